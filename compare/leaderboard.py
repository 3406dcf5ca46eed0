"""The arena's leaderboard page (per team: Bradley–Terry ratings with 95% intervals, ranks
that respect them, win rates between every two contestants, optionally a second ranking with
length and Markdown held equal; compare.selection picks the votes and battles) and the export
of the votes behind it as CSV or JSON. A
team's members read them, whatever their role (accounts.permissions.member_teams)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import permissions
from compare import ratings, selection

MIN_BATTLES = 5  # below this a contestant is listed apart, without a rating


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _chosen(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The team (the first of one's teams when none is asked for) and the filters."""
    teams = list(permissions.member_teams(request.user))
    wanted = request.GET.get("team", "")
    team = permissions.member_team_or_404(request.user, wanted) if wanted else (
        next((t for t in teams if not t.is_personal), teams[0] if teams else None))  # fmt: skip
    if team is None:
        raise Http404(permissions.NOT_FOUND)
    prompt, version = _prompt_version(request.GET.get("prompt", ""))
    filters = selection.Filters(
        since=_day(request.GET.get("since", "")), until=_day(request.GET.get("until", "")),
        blind_only=request.GET.get("blind", "1") != "0",
        pool=frozenset(name.strip()[:300] for name in request.GET.getlist("pool")[:100]
                       if name.strip()),
        prompt=prompt, version=version,
        contestant=request.GET.get("contestant", "").strip()[:300],
    )  # fmt: skip
    return teams, team, filters


def _prompt_version(value: str) -> tuple[str, int]:
    """The Prompt version field: "3:Support bot" is its version 3, "0:Support bot" any."""
    number, _, prompt = value.partition(":")
    if not number.isdigit() or not prompt.strip():
        return "", 0
    return prompt.strip()[:120], int(number)


def page(request: HttpRequest) -> HttpResponse:
    teams, team, filters = _chosen(request)
    votes = list(selection.team_votes(team, filters))
    per_vote = [selection.vote_battles(vote, filters) for vote in votes]
    battles = [battle for found in per_vote for battle in found]
    board = ratings.fit(battles, min_battles=MIN_BATTLES) if battles else None
    controlled = None
    if board is not None and request.GET.get("control") == "1" and board.rows:
        controlled = ratings.fit_controlled(battles, min_battles=MIN_BATTLES)
    rated = [row.contestant for row in board.rows] if board else []
    matrix = [(a, [(b, *board.win_rates.get(a, b)) for b in rated]) for a in rated] if board else []
    context = {
        "teams": teams, "team": team, "filters": filters, "board": board,
        "controlled": controlled, "matrix": matrix, "votes": sum(1 for f in per_vote if f),
        "contestant_names": selection.contestant_names(votes),
        "prompt_versions": selection.prompt_versions(votes), "min_battles": MIN_BATTLES,
        "query": request.GET.urlencode(),
    }  # fmt: skip
    return render(request, "compare/leaderboard.html", context)


FIELDS = ("vote", "updated_at", "team", "voter", "blind", "outcome", "winner", "winner_name",
          "contestants", "conversation", "turn")  # fmt: skip


def _rows(votes) -> list[dict]:  # type: ignore[no-untyped-def]
    rows = []
    for vote in votes:
        names = {entry["label"]: entry["name"] for entry in vote.contestants or []}
        rows.append({
            "vote": vote.pk, "updated_at": vote.updated_at.isoformat(), "team": vote.team.name,
            "voter": vote.voter.get_username(), "blind": vote.blind, "outcome": vote.outcome,
            "winner": vote.winner, "winner_name": names.get(vote.winner, ""),
            "contestants": [{"label": e["label"], "name": e["name"]}
                            for e in vote.contestants or []],
            "conversation": vote.turn.conversation_id, "turn": vote.turn_id,
        })  # fmt: skip
    return rows


def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The votes the page's filters select, one per row: CSV for a spreadsheet, JSON for code."""
    if fmt not in ("csv", "json"):
        raise Http404(permissions.NOT_FOUND)
    _teams, team, filters = _chosen(request)
    votes = selection.team_votes(team, filters).select_related("team", "turn")
    if filters.narrowed:  # the votes that make at least one battle the board counts
        votes = [vote for vote in votes if selection.vote_battles(vote, filters)]
    rows = _rows(votes)
    name = f"votes-{team.pk}.{fmt}"
    if fmt == "json":
        body = json.dumps({"team": team.name, "votes": rows}, indent=2, ensure_ascii=False)
        content_type = "application/json"
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            flat = dict(row, contestants=" | ".join(f"{e['label']}={e['name']}"
                                                    for e in row["contestants"]))  # fmt: skip
            writer.writerow(flat)
        body, content_type = out.getvalue(), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
