"""Which of a team's votes and battles a leaderboard counts: a date range, blind votes only
(the default), a pool of contestants, one prompt (or one version of it), one contestant's
battles. Pool, prompt and contestant act on battles, not whole votes: a three-way vote won
by C is the battles C > A and C > B, and a pool of A and B keeps neither."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Team
from compare import ratings
from compare.models import Vote


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    blind_only: bool = True
    pool: frozenset[str] = frozenset()  # only battles between two of these; empty: everyone
    prompt: str = ""  # only battles between answers of this library prompt …
    version: int = 0  # … and of this version of it (0: any version)
    contestant: str = ""  # only the battles this contestant (a model, or a prompt version) was in

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond the date range and blindness is asked."""
        return bool(self.pool or self.prompt or self.contestant)

    def applied(self, votes: QuerySet) -> QuerySet:
        zone = timezone.get_current_timezone()
        if self.since:
            votes = votes.filter(updated_at__gte=datetime.combine(self.since, time.min, zone))
        if self.until:
            votes = votes.filter(updated_at__lte=datetime.combine(self.until, time.max, zone))
        if self.blind_only:
            votes = votes.filter(blind=True)
        return votes

    def admits(self, entry: dict[str, Any]) -> bool:
        """Whether a vote's contestant (as saved with it) may take part."""
        if self.pool and entry["name"] not in self.pool:
            return False
        if self.prompt and entry.get("prompt") != self.prompt:
            return False
        return not self.version or entry.get("version") == self.version

    def keeps(self, battle: ratings.Battle) -> bool:
        return not self.contestant or self.contestant in (battle.a, battle.b)


def team_votes(team: Team, filters: Filters) -> QuerySet:
    return filters.applied(Vote.objects.filter(team=team)).select_related("voter")


def vote_battles(vote: Vote, filters: Filters = Filters()) -> list[ratings.Battle]:
    """The pairwise battles one vote makes (ratings.battles_from_vote) that the filters keep,
    with each answer's style for the length-controlled ranking. A vote whose contestants
    repeat a name (saved before that was refused) makes none rather than being guessed at."""
    saved = vote.contestants or []
    names = {entry["label"]: entry["name"] for entry in saved}
    styles = {entry["name"]: ratings.Style(*entry.get("style", ())) for entry in saved}
    admitted = {entry["name"] for entry in saved if filters.admits(entry)}
    try:
        battles = ratings.battles_from_vote([entry["name"] for entry in saved], vote.outcome,
                                            names.get(vote.winner), styles)  # fmt: skip
    except ValueError:
        return []
    return [battle for battle in battles
            if battle.a in admitted and battle.b in admitted and filters.keeps(battle)]  # fmt: skip


def battles_of(votes: Iterable[Vote], filters: Filters = Filters()) -> list[ratings.Battle]:
    return [battle for vote in votes for battle in vote_battles(vote, filters)]


def contestant_names(votes: Iterable[Vote]) -> list[str]:
    return sorted({entry["name"] for vote in votes for entry in vote.contestants or []})


def prompt_versions(votes: Iterable[Vote]) -> list[tuple[str, list[int]]]:
    """The library prompts whose answers the votes judged, each with its versions."""
    found: dict[str, set[int]] = {}
    for vote in votes:
        for entry in vote.contestants or []:
            if entry.get("prompt"):
                found.setdefault(entry["prompt"], set()).add(int(entry.get("version") or 0))
    return [(prompt, sorted(found[prompt])) for prompt in sorted(found)]
