"""The compare panel under a conversation's panes: the latest turn's chart across panes (the
latest shown: on the branch shown, each pane's chosen answer),
which pane was fastest and cheapest, and the differences between two panes' answers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import permissions
from chat.display import RunDisplay
from chat.engine import store
from chat.engine.fanout import panes_changed_from_sync
from chat.models import Conversation, Message, Run
from compare import arena, chart, consistency, metrics
from compare.diff import tool_call_diff, word_diff


def _conversation(request: HttpRequest, pk: int) -> Conversation:
    return permissions.get_or_404(request.user, Conversation.objects, change=False, pk=pk)


def figures_of(results) -> list[tuple[object, metrics.PaneFigures]]:  # type: ignore[no-untyped-def]
    """Each pane's last run of the turn, as the chart and the marks compare them."""
    pairs = []
    for run in results:
        shown = RunDisplay.of(run)
        pairs.append((run, metrics.PaneFigures(
            label=run.pane.label if run.pane else "Pane",
            ttft_ms=shown.time_to_first_token_ms,
            tokens_per_second=shown.tokens_per_second,
            total_ms=shown.duration_ms,
            cost=shown.cost_usd,
        )))  # fmt: skip
    return pairs


def turn(request: HttpRequest, pk: int, *, problem: str = "", status: int = 200) -> HttpResponse:
    """The panel for the latest finished turn of a conversation with two panes or more."""
    conversation = _conversation(request, pk)
    panes = store.panes_of(conversation)
    latest = store.latest_shown_turn(conversation.pk)
    repeated = repetitions_of(latest, panes) if latest is not None else []
    if latest is None or (len(panes) < 2 and not repeated):
        return HttpResponse("")
    pairs = figures_of(store.shown_results(latest)[1])
    marks = metrics.marks([figures for _run, figures in pairs])
    context = {
        "conversation": conversation,
        "turn": latest,
        "panes": panes,
        "chart": chart.metrics_chart([figures for _run, figures in pairs]),
        "marks": [(run.message_id, sorted(marks.get(figures.label, ()))) for run, figures in pairs],
        **vote_context(request, latest, problem),
        "repeated": repeated,
    }
    return render(request, "compare/turn.html", context, status=status)


@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Vote on the latest turn (anyone who may see the conversation judges it, viewers too),
    then the panel again, now with the names behind the labels."""
    conversation = _conversation(request, pk)
    latest = store.latest_shown_turn(conversation.pk)
    if latest is None or str(latest.pk) != request.POST.get("turn", ""):
        return turn(request, pk, problem="A newer turn is shown now: vote on that one.",
                    status=409)  # fmt: skip
    try:
        arena.cast(conversation, latest, request.user, request.POST.get("choice", ""))
    except arena.VoteRefused as refused:
        return turn(request, pk, problem=str(refused), status=400)
    if not request.htmx:
        return redirect("conversation", pk=pk)
    return turn(request, pk)


def repetitions_of(latest, panes) -> list[tuple[object, consistency.Consistency]]:  # type: ignore[no-untyped-def]
    """Each pane that answered the turn more than once ("Repeat", or Regenerate), with how
    consistent its answers were."""
    by_pane: dict[int, list[consistency.Repetition]] = {}
    runs = (Run.objects.filter(turn=latest, pane__isnull=False, message__replaced=False)
            .select_related("message").order_by("started_at"))  # fmt: skip
    for run in runs:
        if run.status == Run.Status.STREAMING:
            continue
        by_pane.setdefault(run.pane_id, []).append(consistency.Repetition.of(
            run.message.content, run.message.tool_calls, run.output_valid,
            run.duration_ms))  # fmt: skip
    return [(pane, consistency.figures(by_pane[pane.pk])) for pane in panes
            if len(by_pane.get(pane.pk, ())) > 1]  # fmt: skip


def vote_context(request: HttpRequest, latest, problem: str = "") -> dict:  # type: ignore[no-untyped-def]
    """The vote buttons of the latest turn and, once voted, the verdict with the names."""
    contestants = arena.contestants_of(latest)
    return {
        "contestants": contestants,
        "choices": arena.choices(len(contestants)) if len(contestants) >= 2 else [],
        "vote": arena.vote_of(latest, request.user),
        "vote_problem": problem,
    }


@require_POST
def blind_mode(request: HttpRequest, pk: int) -> HttpResponse:
    """The "Blind mode" switch (editors): on, the panes trade places at random, so where a
    model was set up says nothing, and every page and frame hides the models; the page
    reloads to draw itself again."""
    conversation = permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    wanted = request.POST.get("blind") == "on"
    if wanted and not conversation.blind:
        try:
            arena.hide_panes(conversation)
        except arena.VoteRefused as refused:
            return HttpResponse(str(refused), status=400,
                                content_type="text/plain; charset=utf-8")  # fmt: skip
    elif not wanted and conversation.blind:
        Conversation.objects.filter(pk=pk).update(blind=False)
    panes_changed_from_sync(pk)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("conversation", pk=pk)


def differences(request: HttpRequest, pk: int) -> HttpResponse:
    """Show differences: the latest turn's answers of two panes, word by word, and their
    tool calls."""
    conversation = _conversation(request, pk)
    latest = store.latest_shown_turn(conversation.pk)
    first_id, second_id = request.GET.get("a", ""), request.GET.get("b", "")
    panes = {str(pane.pk): pane for pane in store.panes_of(conversation)}
    if latest is None or first_id not in panes or second_id not in panes:
        return render(request, "compare/differences.html",
                      {"problem": "Choose two panes of this conversation."}, status=400)  # fmt: skip
    if first_id == second_id:
        return render(request, "compare/differences.html",
                      {"problem": "Choose two different panes."}, status=400)  # fmt: skip
    answers = store.shown_results(latest)[0]
    first, second = answers.get(int(first_id)), answers.get(int(second_id))
    text_diff = word_diff(first.content if first else "", second.content if second else "")
    calls = tool_call_diff(_calls(first), _calls(second))
    context = {
        "first": panes[first_id], "second": panes[second_id], "blind": conversation.blind,
        "text_diff": text_diff.html(),
        "summary": text_diff,
        "calls": calls.html(panes[first_id].label, panes[second_id].label)
        if _calls(first) or _calls(second) else "",
    }  # fmt: skip
    return render(request, "compare/differences.html", context)


def _calls(message: Message | None) -> list[dict]:
    if message is None:
        return []
    return [{"name": call["name"], "arguments": call.get("arguments") or {}}
            for call in message.tool_calls or []]  # fmt: skip
