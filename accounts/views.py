"""First run, sign in and out, and the team list."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import lockouts, permissions, teams
from accounts.forms import NewAccountForm, RemoveMemberForm, UnlockForm
from accounts.models import Membership

ADMINS_ONLY = "Only admins can change the team."


def setup(request: HttpRequest) -> HttpResponse:
    """Create the first account; it becomes the admin. Gone once any account exists."""
    User = get_user_model()
    if User.objects.exists():
        raise Http404("Playground is already set up.")
    form = NewAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if User.objects.select_for_update().exists():  # two first visitors at once
                raise Http404("Playground is already set up.")
            user = form.create_user(admin=True)
            teams.first_shared_team(user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "accounts/setup.html", {"form": form})


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = AuthenticationForm
    redirect_authenticated_user = True


login_view = SignInView.as_view()


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


def team(request: HttpRequest) -> HttpResponse:
    """Members of this Playground and locked-out sign-ins; admins add, remove and unlock."""
    if request.method != "POST":
        return _team_page(request, NewAccountForm())
    if not permissions.may_manage_team(request.user):
        return HttpResponse(ADMINS_ONLY, status=403)
    if "remove" in request.POST:
        return _remove_member(request)
    if "unlock" in request.POST:
        return _unlock(request)
    form = NewAccountForm(request.POST)
    if not form.is_valid():
        return _team_page(request, form, status=400)
    member = form.create_user(admin=request.POST.get("is_admin") == "on")
    messages.success(request, f"Added {member.username}; they can sign in now.")
    return redirect("team")


def _team_page(request: HttpRequest, form: NewAccountForm, status: int = 200) -> HttpResponse:
    User = get_user_model()
    manager = permissions.may_manage_team(request.user)
    context = {
        "my_teams": Membership.objects.filter(user=request.user).select_related("team")
        .order_by("team__personal_for", "team__name"),
        "members": User.objects.order_by("username").only("id", "username", "is_staff",
                                                          "last_login"),
        "form": form,
        "lockouts": lockouts.current_lockouts() if manager else [],
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
    }  # fmt: skip
    return render(request, "accounts/team.html", context, status=status)


def _refused(request: HttpRequest, text: str) -> HttpResponse:
    """Bad input in a team form: the page again, saying what was wrong (HTTP 400)."""
    messages.error(request, text)
    return _team_page(request, NewAccountForm(), status=400)


def _remove_member(request: HttpRequest) -> HttpResponse:
    form = RemoveMemberForm(request.POST)
    member = form.member() if form.is_valid() else None
    if member is None:
        return _refused(request, "There is no such member; nothing was removed.")
    if member == request.user:
        return _refused(request, "You cannot remove yourself.")
    name = member.username
    # Their conversations go too (their streaming runs are stopped first), and so do their
    # memberships, whose deletion closes their open sockets (accounts.apps).
    member.delete()
    messages.success(request, f"Removed {name}.")
    return redirect("team")


def _unlock(request: HttpRequest) -> HttpResponse:
    form = UnlockForm(request.POST)
    if not form.is_valid():
        return _refused(request, "Choose a locked-out username or address to unlock.")
    kind, value = form.cleaned_data["kind"], form.cleaned_data["value"]
    lockouts.unlock(kind, value)
    messages.success(request, f"Unlocked {kind} {value}: sign-in works again.")
    return redirect("team")
