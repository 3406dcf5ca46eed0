"""Export and Import of a prompt file (library/transfer.py): Export on a prompt's page, for
anyone who may see the prompt; Import prompt on the Library page, into a team the user may
edit, landing on the imported prompt or saying why the file was refused."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from accounts import permissions, teams
from library import transfer
from library.models import Prompt


def export(request: HttpRequest, pk: int) -> HttpResponse:
    prompt = permissions.get_or_404(request.user, Prompt.objects.select_related("team"),
                                    change=False, pk=pk)  # fmt: skip
    response = HttpResponse(transfer.exported_json(prompt, request.user),
                            content_type="application/json; charset=utf-8")  # fmt: skip
    name = slugify(prompt.name) or "prompt"
    response["Content-Disposition"] = f'attachment; filename="{name}.prompt.json"'
    return response


@require_POST
def import_prompt(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    team = teams.chosen_team(request.user, request.POST.get("team", ""))
    try:
        if team is None:
            raise transfer.TransferRefused("Pick a team you may edit to import the prompt into.")
        if upload is None:
            raise transfer.TransferRefused("Pick the prompt file to import.")
        if upload.size > transfer.MAX_BYTES:
            raise transfer.TransferRefused("The file is over 2 MB; a prompt file is smaller.")
        prompt = transfer.import_prompt(team, request.user, upload.read())
    except transfer.TransferRefused as refused:
        messages.error(request, f"Nothing was imported. {refused}")
        return redirect("library")
    messages.success(request, f"Imported {prompt.name} into {team.name} with "
                              f"{prompt.versions.count()} versions.")  # fmt: skip
    return redirect("library-prompt", pk=prompt.pk)
