"""First run, sign in and out, and the team list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chat.account_forms import NewAccountForm


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
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "chat/setup.html", {"form": form})


class SignInView(LoginView):
    template_name = "chat/login.html"
    authentication_form = AuthenticationForm
    redirect_authenticated_user = True


login_view = SignInView.as_view()


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


def team(request: HttpRequest) -> HttpResponse:
    """Members of this Playground; admins add and remove them."""
    User = get_user_model()
    form = NewAccountForm()
    if request.method == "POST":
        if not request.user.is_staff:
            return HttpResponse("Only admins can change the team.", status=403)
        if "remove" in request.POST:
            member = get_object_or_404(User, pk=request.POST["remove"])
            if member == request.user:
                messages.error(request, "You cannot remove yourself.")
            else:
                member.delete()
                messages.success(request, f"Removed {member.username}.")
            return redirect("team")
        form = NewAccountForm(request.POST)
        if form.is_valid():
            member = form.create_user(admin=request.POST.get("is_admin") == "on")
            messages.success(request, f"Added {member.username}; they can sign in now.")
            return redirect("team")
    members = User.objects.order_by("username").only("id", "username", "is_staff", "last_login")
    return render(request, "chat/team.html", {"members": members, "form": form})
