"""Auto-reply with fixtures: when a pane's answer ends in tool calls and the pane's switch is
on, the saved results of the library (chat.tool_answers) answer them and the pane goes on by
itself, every call of a round answered together, for at most the pane's step limit of rounds
per turn. A call that no fixture matches pauses the loop: its card says which call, and the
user answers as without the switch."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chat import tool_answers
from chat.models import Message, Pane


@dataclass(frozen=True)
class Decision:
    results: dict[str, str]  # what to send, by call id; empty when the loop pauses
    note: str = ""  # why it paused, for the call's card


def _call_text(call: Mapping[str, Any]) -> str:
    arguments = json.dumps(call.get("arguments") or {}, ensure_ascii=False, sort_keys=True)
    if len(arguments) > 80:
        arguments = arguments[:77] + "…"
    return f"{call.get('name', '')}({arguments})"


def decide(calls: Sequence[Mapping[str, Any]], found: Mapping[str, str], rounds_before: int,
           steps: int) -> Decision:  # fmt: skip
    """What the loop does with a round of open calls, given the fixtures `found` for them (by
    call id) and how many rounds of this turn were answered before."""
    if rounds_before >= steps:
        return Decision({}, f"Auto-reply stopped after {steps} step{'s' * (steps != 1)}, this "
                            "pane's limit: answer these calls yourself, or raise Auto-reply "
                            "steps.")  # fmt: skip
    unmatched = [call for call in calls if call["id"] not in found]
    if unmatched:
        listed = ", ".join(_call_text(call) for call in unmatched[:3])
        more = f" and {len(unmatched) - 3} more" if len(unmatched) > 3 else ""
        return Decision({}, f"Auto-reply paused: no fixture matches {listed}{more}. Answer "
                            "it below (Save as fixture keeps it for next time).")  # fmt: skip
    return Decision({call["id"]: found[call["id"]] for call in calls})


def rounds_before(message: Message) -> int:
    """How many rounds of tool calls its pane answered earlier in the same turn (and
    alternative): the steps already taken."""
    earlier = Message.objects.filter(
        turn_id=message.turn_id, pane_id=message.pane_id, alternative=message.alternative,
        role=Message.Role.ASSISTANT, replaced=False, pk__lt=message.pk,
    ).values_list("tool_calls", flat=True)  # fmt: skip
    return sum(1 for calls in earlier if calls)


def for_finished(message_id: int, calls: Sequence[dict[str, Any]]
                 ) -> tuple[dict[str, str], Decision | None]:  # fmt: skip
    """For an answer that just ended in `calls`: the saved results that match them (for its
    card's "Answer with fixture"), and what auto-reply does, None when its pane does not
    auto-reply (sync: it queries)."""
    found = tool_answers.for_message(message_id, calls)
    message = Message.objects.filter(pk=message_id).select_related("pane").first()
    pane: Pane | None = message.pane if message else None
    if pane is None or not pane.auto_reply or not calls:
        return found, None
    return found, decide(calls, found, rounds_before(message), pane.auto_reply_steps)


async def go_on(conversation_id: int, user_id: int | None, message_id: int,
                results: dict[str, str]) -> str:  # fmt: skip
    """Send the fixtures' results as the user would; "" when the pane went on, else why not
    (the account lost access, or the conversation moved on meanwhile)."""
    from chat.engine import turns  # turns starts runs, whose end calls here

    if user_id is None:
        return "Auto-reply stopped: nobody is known to have asked for this answer."
    try:
        await turns.answer_tool_calls(conversation_id, user_id, message_id, results)
    except turns.NoAccess:
        return "Auto-reply stopped: you may no longer change this conversation."
    except turns.ToolResultsError as error:
        return f"Auto-reply stopped: {error}"
    return ""
