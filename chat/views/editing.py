"""Changing what was said, over HTTP: "Edit message" (chat/editing.py) and "Previous
alternative" / "Next alternative" (chat/choosing.py). Every tab redraws its panes afterwards,
this one too; a refusal answers 400 with the reason, which the page shows beside the message
(static/js/edit_message.js).

"Regenerate" and "Re-run from here" start runs, so they go over the conversation's socket as
a send does (chat/consumers.py): a run belongs to the server's event loop, and a view's loop
is not it when a middleware is synchronous. "Save and re-run" saves the edit on a new branch
here, names the edited message in the X-Answer header, and the page has every pane answer
it over the socket ("regenerate").
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import permissions
from chat import attachments, choosing
from chat.editing import NewFile, NotEdited, edit_into_branch, edit_message
from chat.engine import fanout
from chat.models import Message
from media import MediaRejected


def _message(request: HttpRequest, pk: int) -> Message:
    return permissions.get_or_404(
        request.user, Message.objects.select_related("conversation").filter(replaced=False),
        owner="conversation__owner", pk=pk,
    )  # fmt: skip


def _refused(reason: object) -> HttpResponse:
    return HttpResponse(str(reason), status=400, content_type="text/plain; charset=utf-8")


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the edit form, in place of the message. POST: save it ("Save"), or save it and
    have the page re-run every pane from it ("Save and re-run")."""
    message = _message(request, pk)
    if request.method == "GET":
        attached = list(message.attachments.select_related("blob"))
        return render(request, "chat/partials/message_edit.html",
                      {"message": message, "attached": attached})  # fmt: skip
    try:
        # Checked and normalised before anything is saved: a bad file leaves no rows.
        added = [NewFile(*attachments.checked_upload(f)) for f in request.FILES.getlist("files")]
        rerun = request.POST.get("then") == "rerun"
        revision = (edit_into_branch if rerun else edit_message)(
            message, request.POST.get("text", ""), keep=request.POST.getlist("keep"),
            added=added, user=request.user,
        )  # fmt: skip
    except (NotEdited, MediaRejected) as refused:
        return _refused(refused)
    fanout.panes_changed_from_sync(message.conversation_id)
    response = HttpResponse(status=204)
    if rerun:
        response["X-Answer"] = str(revision.pk)  # the page has every pane answer it
    return response


@require_POST
def alternative(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    if choosing.step(message, -1 if request.POST.get("step") == "-1" else 1):
        fanout.panes_changed_from_sync(message.conversation_id)
    return HttpResponse(status=204)
