"""The library's pages (the list, "Library", is library/finding.py): a prompt with its versions and labels, the
diff of any two versions, Save prompt / Save version from a pane, Restore, Move label, Open in
playground and Compare versions. Every lookup asks accounts.permissions: a prompt one may not
see is a 404 that names nothing; viewers open and compare, editors and owners change."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import permissions, teams
from accounts.models import Role
from chat import blind
from chat.models import Conversation, Pane, Run
from compare import arena
from library import opening, saving, variables
from library.diffing import version_diff
from library.models import Prompt, PromptVersion


def _prompt(request: HttpRequest, pk: int, *, change: bool = False) -> Prompt:
    return permissions.get_or_404(request.user, Prompt.objects.select_related("team"),
                                  change=change, pk=pk)  # fmt: skip


def _version(request: HttpRequest, pk: int, *, change: bool = False) -> PromptVersion:
    return permissions.get_or_404(
        request.user, PromptVersion.objects.select_related("prompt", "prompt__team", "author"),
        owner="prompt__owner", change=change, pk=pk,
    )  # fmt: skip


def prompt_page(request: HttpRequest, pk: int) -> HttpResponse:
    prompt = _prompt(request, pk)
    versions = list(prompt.versions.select_related("author"))
    labels = list(prompt.labels.select_related("version"))
    moves = [move for label in prompt.labels.prefetch_related(
        "moves__moved_by", "moves__from_version", "moves__to_version") for move in
        label.moves.all()]  # fmt: skip
    latest = versions[0] if versions else None
    context = {
        "prompt": prompt, "versions": versions, "labels": labels, "latest": latest,
        "moves": sorted(moves, key=lambda move: move.moved_at, reverse=True)[:20],
        "may_change": permissions.may_change(request.user, Prompt.objects, pk=prompt.pk),
        "variables": opening.names_of(latest) if latest else [],
        "media_variables": _media_of(latest),
        "replayed": _replayed(request, prompt),
    }  # fmt: skip
    return render(request, "library/prompt.html", context)


def _replayed(request: HttpRequest, prompt: Prompt) -> dict[str, str]:
    """The text values of the variables of a run of this prompt (?run=), to run them again
    with another version; nothing for a run one may not see or of another prompt."""
    wanted = request.GET.get("run", "")
    if not wanted:
        return {}
    run = (permissions.visible(request.user, Run.objects, owner="conversation__owner")
           .filter(pk=wanted).first() if _is_uuid(wanted) else None)  # fmt: skip
    if run is None or (run.source or {}).get("prompt") != prompt.pk:
        return {}
    return {name: value for name, value in (run.variables or {}).items()
            if isinstance(value, str)}  # fmt: skip


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _media_of(version: PromptVersion | None) -> list[str]:
    """The version's media variables, for file fields (a misplaced one is said on opening)."""
    try:
        return opening.media_of(version) if version else []
    except variables.NotFilled:
        return []


def diff(request: HttpRequest, pk: int) -> HttpResponse:
    """Any two versions side by side: text word by word, parameters, tools, schema."""
    prompt = _prompt(request, pk)
    by_number = {str(v.number): v for v in prompt.versions.all()}
    left, right = by_number.get(request.GET.get("a", "")), by_number.get(request.GET.get("b", ""))
    if left is None or right is None:
        return render(request, "library/diff.html",
                      {"prompt": prompt, "problem": "Pick two versions of this prompt."},
                      status=400)  # fmt: skip
    context = {"prompt": prompt, "left": left, "right": right, "changes": version_diff(left, right),
               "left_name": f"v{left.number}", "right_name": f"v{right.number}"}  # fmt: skip
    return render(request, "library/diff.html", context)


def _pane_for_saving(request: HttpRequest) -> Pane:
    conversation = permissions.get_or_404(request.user, Conversation.objects, change=False,
                                          pk=request.GET.get("conversation") or
                                          request.POST.get("conversation", ""))  # fmt: skip
    return permissions.get_or_404(
        request.user, Pane.objects.filter(conversation=conversation).select_related("connection"),
        owner="conversation__owner", change=False,
        pk=request.GET.get("pane") or request.POST.get("pane", ""),
    )  # fmt: skip


def save(request: HttpRequest) -> HttpResponse:
    """ "Save prompt": GET shows the form — a new prompt, or a new version of one, with the
    changes against its latest version — and POST saves it."""
    pane = _pane_for_saving(request)
    if (refused := blind.refusal(pane.conversation)) is not None:
        return refused
    target = request.POST.get("prompt") or request.GET.get("prompt", "")
    editable = permissions.visible(request.user, Prompt.objects.filter(archived=False),
                                   change=True).select_related("team")  # fmt: skip
    prompt = editable.filter(pk=target).first() if target.isdigit() else None
    if request.method == "POST":
        try:
            if prompt is not None:
                version = saving.save_version(prompt, pane, request.user,
                                              request.POST.get("commit_message", ""))  # fmt: skip
            else:
                team = teams.chosen_team(request.user, request.POST.get("team", ""))
                if team is None:
                    raise saving.NotSaved("Pick the team the prompt belongs to.")
                version = saving.save_new_prompt(pane, request.user, team,
                                                 request.POST.get("name", ""),
                                                 request.POST.get("commit_message", ""))  # fmt: skip
        except saving.NotSaved as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"Saved {version.prompt.name} version {version.number}.")
            return redirect("library-prompt", pk=version.prompt_id)
    latest = prompt.versions.order_by("-number").first() if prompt else None
    changes = None
    if latest is not None:
        unsaved = PromptVersion(prompt=prompt, number=latest.number + 1,
                                **saving.pane_state(pane, request.user))  # fmt: skip
        changes = version_diff(latest, unsaved)
    context = {
        "pane": pane, "prompts": editable.order_by("name")[:500], "prompt": prompt,
        "latest": latest, "changes": changes, "teams": teams.editing_teams(request.user),
        "state": saving.pane_state(pane, request.user),
        "left_name": f"v{latest.number}" if latest else "", "right_name": "this pane",
    }  # fmt: skip
    return render(request, "library/save.html", context,
                  status=400 if request.method == "POST" else 200)  # fmt: skip


@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk, change=True)
    try:
        made = saving.restore(version, request.user)
    except saving.NotSaved as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Version {version.number} is the newest again, as version "
                                  f"{made.number}.")  # fmt: skip
    return redirect("library-prompt", pk=version.prompt_id)


@require_POST
def move_label(request: HttpRequest, pk: int) -> HttpResponse:
    prompt = _prompt(request, pk, change=True)
    version = prompt.versions.filter(number=request.POST.get("version") or 0).first() if (
        request.POST.get("version", "").isdigit()) else None  # fmt: skip
    try:
        if version is None:
            raise saving.NotSaved("Pick the version the label points at.")
        label = saving.move_label(prompt, request.POST.get("label", ""), version, request.user)
    except saving.NotSaved as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{label.name} points at version {version.number}.")
    return redirect("library-prompt", pk=prompt.pk)


def _chosen(prompt: Prompt, wanted: str) -> PromptVersion | None:
    """A version by number, a label by name, or "latest"."""
    if wanted == "latest" or not wanted:
        return prompt.versions.order_by("-number").first()
    if wanted.isdigit():
        return prompt.versions.filter(number=int(wanted)).first()
    label = prompt.labels.select_related("version").filter(name=wanted).first()
    return label.version if label else None


def _values(request: HttpRequest) -> dict[str, str]:
    return {key.removeprefix("var_"): value for key, value in request.POST.items()
            if key.startswith("var_")}  # fmt: skip


def _files(request: HttpRequest) -> dict:
    """The files chosen for media variables ({{name:media}}), by variable."""
    return {key.removeprefix("var_"): upload for key, upload in request.FILES.items()
            if key.startswith("var_")}  # fmt: skip


def _opened(conversation: Conversation, to_run) -> HttpResponse:  # type: ignore[no-untyped-def]
    url = reverse("conversation", args=[conversation.pk])
    return redirect(f"{url}#answer-{to_run.pk}" if to_run else url)


@require_POST
def open_in_playground(request: HttpRequest, pk: int) -> HttpResponse:
    """A version (or a label, or latest) opened into a new conversation, variables filled;
    its last message, when it is yours, runs at once."""
    prompt = _prompt(request, pk)
    version = _chosen(prompt, request.POST.get("version", ""))
    if version is None:
        messages.error(request, "There is no such version or label of this prompt.")
        return redirect("library-prompt", pk=pk)
    try:
        conversation, to_run = opening.open_versions(request.user, [(version, "")],
                                                     _values(request), _files(request))  # fmt: skip
    except variables.NotFilled as refused:
        messages.error(request, str(refused))
        return redirect("library-prompt", pk=pk)
    return _opened(conversation, to_run)


@require_POST
def compare_versions(request: HttpRequest, pk: int) -> HttpResponse:
    """Several versions or labels × models, as the panes of one comparison."""
    prompt = _prompt(request, pk)
    wanted = request.POST.getlist("versions")
    chosen = [_chosen(prompt, item) for item in wanted]
    models = [m.strip() for m in request.POST.get("models", "").split(",") if m.strip()] or [""]
    try:
        if not wanted or any(version is None for version in chosen):
            raise variables.NotFilled("Pick the versions (or labels) to compare.")
        choices = [(version, model) for version in chosen for model in models]
        if "battle" in request.POST:
            return _random_battle(request, prompt, choices)
        conversation, to_run = opening.open_versions(request.user, choices, _values(request),
                                                     _files(request))  # fmt: skip
    except (variables.NotFilled, arena.VoteRefused) as refused:
        messages.error(request, str(refused))
        return redirect("library-prompt", pk=pk)
    return _opened(conversation, to_run)


def _random_battle(request: HttpRequest, prompt: Prompt, pool) -> HttpResponse:  # type: ignore[no-untyped-def]
    """ "Random battle": two of the versions × models drawn (pairs with fewer votes first),
    opened blind. Shared with the prompt's team when the user may change there, so the vote
    counts on that team's Leaderboard; else the user's own."""
    names = [f"{model or version.model} · {prompt.name} v{version.number}"
             for version, model in pool]  # fmt: skip
    shared = not prompt.team.is_personal and teams.role_of(prompt.team, request.user) in (
        Role.OWNER, Role.EDITOR)  # fmt: skip
    board = prompt.team if shared else teams.personal_team(request.user)
    first, second = arena.draw_pair(names, arena.pair_counts(board))
    conversation, to_run = opening.open_versions(request.user, [pool[first], pool[second]],
                                                 _values(request), _files(request))  # fmt: skip
    arena.hide_panes(conversation)
    Conversation.objects.filter(pk=conversation.pk).update(
        title="Random battle · " + timezone.localtime().strftime("%d %b %H:%M"),
        **({"team": prompt.team, "visibility": "team"} if shared else {}))  # fmt: skip
    return _opened(conversation, to_run)


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Deleted, or archived when a conversation was opened from it (old runs keep working)."""
    prompt = _prompt(request, pk, change=True)
    if Pane.objects.filter(source__prompt=prompt.pk).exists():
        Prompt.objects.filter(pk=prompt.pk).update(archived=True)
        messages.success(request, f"Archived {prompt.name}: conversations were opened from it, "
                                  "so it is kept for them.")  # fmt: skip
        return redirect("library")
    try:
        prompt.delete()
    except ProtectedError:
        Prompt.objects.filter(pk=prompt.pk).update(archived=True)
        messages.success(request, f"Archived {prompt.name}: something still uses it.")
        return redirect("library")
    messages.success(request, f"Deleted {prompt.name}.")
    return redirect("library")
