"""Votes on compared answers: which pane's answer of a turn was better. Ratings are computed
from them (compare.ratings), never stored by hand (design §4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Vote(models.Model):
    """One voter's verdict on one turn: the contestants as they stood (label, pane, the
    contestant's name, the answer's style counts), the outcome and, for a "best" pick among
    several, the winner's label. Voting again replaces it."""

    class Outcome(models.TextChoices):
        A = "a", "A is better"
        B = "b", "B is better"
        TIE = "tie", "Tie"
        BOTH_BAD = "both_bad", "Both are bad"
        BEST = "best", "Best"

    turn = models.ForeignKey("chat.Turn", on_delete=models.CASCADE, related_name="votes")
    # The conversation's team when shared, else the voter's personal team: whose leaderboard.
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="votes")  # fmt: skip
    contestants = models.JSONField(default=list)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    winner = models.CharField(max_length=2, blank=True, default="")
    blind = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["turn", "voter"], name="one_vote_per_turn")]

    def __str__(self) -> str:
        return f"Vote on turn {self.turn_id}: {self.outcome}"
