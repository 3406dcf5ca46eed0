"""The arena's votes: who the contestants of a turn are, the choices a voter has, casting a
vote (one per voter per turn, replaced when cast again), Blind mode's shuffle and the random
battle's draw. compare.selection picks the battles a leaderboard counts."""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts import teams
from accounts.models import Team
from chat import blind
from chat.engine import store
from chat.models import Conversation, Message, Pane, Run, Turn
from compare import ratings
from compare.models import Vote

LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class VoteRefused(ValueError):
    """A vote that cannot be taken, with what to do instead (shown as it is)."""


@dataclass(frozen=True)
class Contestant:
    label: str  # A, B, … in the order the panes are shown
    pane_id: int
    name: str  # the model, with the prompt version it answered from
    message_id: int
    style: ratings.Style
    pane_label: str = ""  # "Pane 2": where the answer is shown (not saved with the vote)
    prompt: str = ""  # the library prompt it answered from, and its version number
    version: int = 0

    def saved(self) -> dict[str, Any]:
        saved = {"label": self.label, "pane": self.pane_id, "name": self.name,
                 "message": self.message_id, "style": list(self.style)}  # fmt: skip
        if self.prompt:  # for the leaderboard's Prompt version filter
            saved |= {"prompt": self.prompt, "version": self.version}
        return saved


@dataclass(frozen=True)
class Choice:
    outcome: str
    winner: str  # a label for "best", else ""
    text: str  # the button's accessible name

    @property
    def value(self) -> str:
        return f"best:{self.winner}" if self.winner else self.outcome


def prompt_version(run: Run) -> tuple[str, int]:
    """The library prompt and version number the run answered from, or ("", 0)."""
    source = run.source if isinstance(run.source, dict) else None
    if source and source.get("name") and isinstance(source.get("number"), int):
        return str(source["name"]), source["number"]
    return "", 0


def contestant_name(run: Run, source: tuple[str, int] | None = None) -> str:
    """ "gpt-4o-mini" or, opened from the library, "gpt-4o-mini · Support bot v3": a prompt
    version competes as itself, not as its model. `source`: its prompt_version, if known."""
    prompt, number = source or prompt_version(run)
    return f"{run.model} · {prompt} v{number}" if prompt else run.model


def hide_panes(conversation: Conversation) -> None:
    """Turn Blind mode on: the panes trade places at random (their positions say nothing
    about who is where afterwards). Refused below two panes with a model each."""
    with transaction.atomic():
        panes = list(Pane.objects.select_for_update().filter(conversation=conversation))
        if sum(1 for pane in panes if pane.model) < 2:
            raise VoteRefused("Blind mode needs two panes or more, each with a model: add a "
                              "pane and choose its model first.")  # fmt: skip
        secrets.SystemRandom().shuffle(panes)
        for position, pane in enumerate(panes):
            pane.position = position
        Pane.objects.bulk_update(panes, ["position"])
        # A title naming a pane's model or prompt ("Support bot: v1 gpt-4o vs v2 …", as
        # Compare versions writes it) would give the game away.
        names = {pane.model for pane in panes if pane.model} | {
            str((pane.source or {}).get("name")) for pane in panes if pane.source}  # fmt: skip
        if any(name and name in conversation.title for name in names):
            conversation.title = "Blind comparison"
        Conversation.objects.filter(pk=conversation.pk).update(blind=True,
                                                               title=conversation.title)  # fmt: skip
        conversation.blind = True
        # A turn not answered yet (a question opened from the library, waiting to run) is
        # blind too: it gets its draw now.
        waiting = list(Turn.objects.filter(conversation=conversation, runs__isnull=True))
        for turn in waiting:
            turn.arena_order = blind.shuffled(conversation, [pane.pk for pane in panes])
        Turn.objects.bulk_update(waiting, ["arena_order"])


def pair_counts(team: Team) -> Counter[frozenset[str]]:
    """How many votes of the team's each pair of contestants met in."""
    counts: Counter[frozenset[str]] = Counter()
    for saved in Vote.objects.filter(team=team).values_list("contestants", flat=True):
        names = sorted({entry["name"] for entry in saved or []})
        counts.update(frozenset((a, b)) for i, a in enumerate(names) for b in names[i + 1 :])
    return counts


def draw_pair(names: Sequence[str], counts: Counter[frozenset[str]],
              rng: random.Random | None = None) -> tuple[int, int]:  # fmt: skip
    """Random battle: two of the pool (by index), a pair with n votes already drawn with
    weight 1 / (1 + n), so the pairs the board knows least about come up most."""
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))
             if names[i] != names[j]]  # fmt: skip
    if not pairs:
        raise VoteRefused("A random battle needs two different contestants in its pool: pick "
                          "more versions or labels, or more models.")  # fmt: skip
    weights = [1 / (1 + counts[frozenset((names[i], names[j]))]) for i, j in pairs]
    return (rng or secrets.SystemRandom()).choices(pairs, weights)[0]


def contestants_of(turn: Turn) -> list[Contestant]:
    """The finished answers of a turn's panes, labelled in pane order — or, on a blind turn,
    in the random order drawn for it."""
    answers, runs = store.shown_results(turn)
    if turn.arena_order:
        drawn = {pane_id: i for i, pane_id in enumerate(turn.arena_order)}
        runs = sorted(runs, key=lambda run: drawn.get(run.pane_id, len(drawn)))
    found = []
    for run in runs:
        answer: Message | None = answers.get(run.pane_id)
        if answer is None or run.status == Run.Status.STREAMING:
            continue
        found.append((run, answer, prompt_version(run)))
    return [Contestant(label=LABELS[i], pane_id=run.pane_id, name=contestant_name(run, source),
                       message_id=answer.pk, style=ratings.markdown_features(answer.content),
                       pane_label=run.pane.label if run.pane else "",
                       prompt=source[0], version=source[1])
            for i, (run, answer, source) in enumerate(found[: len(LABELS)])]  # fmt: skip


def choices(count: int) -> list[Choice]:
    """Two contestants: A or B better, a tie, both bad. More: the best of them, a tie, all
    bad."""
    if count == 2:
        return [Choice("a", "", "A is better"), Choice("b", "", "B is better"),
                Choice("tie", "", "Tie"), Choice("both_bad", "", "Both are bad")]  # fmt: skip
    best = [Choice("best", label, f"Best: {label}") for label in LABELS[:count]]
    return [*best, Choice("tie", "", "Tie"), Choice("both_bad", "", "All bad")]


def vote_team(conversation: Conversation, voter: Any) -> Team:
    """Whose leaderboard a vote counts on: the team the conversation is shared with, else
    the voter's own (a private conversation's votes rank for its author alone)."""
    if conversation.visibility == Conversation.Visibility.TEAM and conversation.team_id:
        return conversation.team
    return teams.personal_team(voter)


def blind_for(conversation: Conversation, turn: Turn, voter: Any) -> bool:
    """Whether `voter` judges `turn` without knowing who is who: a turn of Blind mode, and no
    earlier vote of theirs in this conversation (that one showed them the names, and each
    pane keeps its model from turn to turn)."""
    if not (conversation.blind and turn.arena_order):
        return False
    earlier = Vote.objects.filter(turn__conversation=conversation, voter=voter)
    return not earlier.exclude(turn=turn).exists()


def cast(conversation: Conversation, turn: Turn, voter: Any, value: str, *,
         blind: bool | None = None) -> Vote:  # fmt: skip
    """Record `voter`'s verdict on `turn` (a Choice value: "a", "tie", "best:C", …),
    replacing an earlier one; blind as `blind_for` says unless told. Refused, saying why,
    for a turn still streaming, one with fewer than two answers, or two panes that are the
    same contestant."""
    if turn.conversation_id != conversation.pk:
        raise VoteRefused("That turn is not in this conversation.")
    if turn.finished_at is None:
        raise VoteRefused("Wait for every pane to finish answering, then vote.")
    contestants = contestants_of(turn)
    if len(contestants) < 2:
        raise VoteRefused("A vote needs the answers of two panes or more.")
    if len({c.name for c in contestants}) < len(contestants):
        raise VoteRefused("Two panes answered with the same model and prompt: a vote between "
                          "them would rank nothing. Give each pane its own model or version.")  # fmt: skip
    chosen = next((c for c in choices(len(contestants)) if c.value == value), None)
    if chosen is None:
        raise VoteRefused("Choose one of the vote buttons.")
    if blind is None:  # a vote changed after the names were shown is no longer blind
        earlier = vote_of(turn, voter)
        same = earlier is not None and (earlier.outcome, earlier.winner) == (chosen.outcome,
                                                                            chosen.winner)  # fmt: skip
        blind = (earlier.blind and same) if earlier else blind_for(conversation, turn, voter)
    with transaction.atomic():
        vote, _ = Vote.objects.update_or_create(
            turn=turn, voter=voter,
            defaults={"team": vote_team(conversation, voter), "outcome": chosen.outcome,
                      "winner": chosen.winner, "blind": blind,
                      "contestants": [c.saved() for c in contestants]},
        )  # fmt: skip
    return vote


def vote_of(turn: Turn, voter: Any) -> Vote | None:
    return Vote.objects.filter(turn=turn, voter=voter).first()
