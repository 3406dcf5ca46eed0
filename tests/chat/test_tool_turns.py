"""Tools and structured output in the playground, end to end below the browser: the socket,
the run engine and the real provider layer against the fake provider server."""

from __future__ import annotations

import json

import pytest

from chat.models import Conversation, Message, Run
from chat.tool_settings import EXAMPLE_TOOLS
from tests.chat.test_consumers import Tab, latest_run, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)

CALL = {"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
SCHEMA = {"title": "verdict", "type": "object",
          "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
          "required": ["answer", "confidence"]}  # fmt: skip


@pytest.fixture
def conversation(user):
    return Conversation.objects.create(owner=user)


@pytest.fixture
def openai_connection(make_connection, fake_provider):
    return make_connection(name="Fake OpenAI", base_url=fake_provider.base_url)


@pytest.fixture
def anthropic_connection(make_connection, fake_provider):
    return make_connection(
        name="Fake Anthropic", kind="anthropic", base_url=fake_provider.base_url, api_key="sk-t"
    )


def fields(connection, action="send", **extra) -> dict:
    return {"action": action, "message": "Weather in Paris?", "connection": str(connection.pk),
            "model": "fake-model", "nonce": "n1", "tools": "", "tool_choice": "",
            "output_schema": "", **extra}  # fmt: skip


async def finished_run(tab: Tab, conversation) -> Run:
    """Wait for the turn just sent to start, then for its run to end."""
    await tab.until(r'data-status="streaming"')
    return await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)


async def test_a_tool_call_shows_as_a_card_and_the_typed_result_continues_the_answer(
    user, conversation, openai_connection, fake_provider
):
    fake_provider.push_script(tokens=[], tool_calls=[CALL])
    fake_provider.push_script(tokens=["It is ", "sunny ", "and 21 °C."])
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(openai_connection, tools=json.dumps(EXAMPLE_TOOLS)))
    frame = await tab.until(r'class="tool-card"')
    assert "get_weather" in frame and "Paris" in frame and 'name="result:call_1"' in frame
    first = await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)
    assert first.message.tool_calls == [CALL] and first.finish_reason == "tool_calls"
    assert first.tools == EXAMPLE_TOOLS
    offered = fake_provider.requests()[0]["body"]
    assert offered["tools"][0]["function"]["name"] == "get_weather"

    await tab.send(**fields(openai_connection, action="tool_results", message_id=str(first.message_id),
                            **{"result:call_1": '{"temperature": 21, "sky": "clear"}'}))  # fmt: skip
    started = await tab.until(r'data-status="streaming"')
    assert "Result of <code>get_weather</code>" in started
    assert "answered" in started and 'name="result:call_1"' not in started  # the form is gone
    second = await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)
    assert second.message.content == "It is sunny and 21 °C."
    sent = fake_provider.requests()[1]["body"]["messages"]
    assert sent[-2]["tool_calls"][0]["id"] == "call_1"
    assert sent[-2]["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris"}'
    assert sent[-1] == {"role": "tool", "tool_call_id": "call_1",
                        "content": '{"temperature": 21, "sky": "clear"}'}  # fmt: skip
    await tab.close()


async def test_missing_results_are_refused_and_nothing_is_saved(
    user, conversation, openai_connection, fake_provider
):
    fake_provider.push_script(tokens=[], tool_calls=[CALL])
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(openai_connection, tools=json.dumps(EXAMPLE_TOOLS)))
    run = await finished_run(tab, conversation)
    before = await Message.objects.filter(conversation=conversation).acount()
    await tab.send(**fields(openai_connection, action="tool_results",
                            message_id=str(run.message_id), **{"result:call_1": "  "}))  # fmt: skip
    frame = await tab.until(r'tool-errors-\d+" hx-swap-oob')
    assert "Type a result for every call (get_weather)." in frame
    assert await Message.objects.filter(conversation=conversation).acount() == before
    await tab.close()


async def test_a_typed_message_instead_of_results_leaves_the_unanswered_call_out(
    user, conversation, openai_connection, fake_provider
):
    fake_provider.push_script(tokens=["Let me check."], tool_calls=[CALL])
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(openai_connection, tools=json.dumps(EXAMPLE_TOOLS)))
    first = await finished_run(tab, conversation)
    await tab.send(**fields(openai_connection, message="Never mind."))
    await finished_run(tab, conversation)
    sent = fake_provider.requests()[1]["body"]["messages"]
    assert sent[1] == {"role": "assistant", "content": "Let me check."}  # no dangling call
    # The old calls can no longer be answered: the conversation went on.
    await tab.send(**fields(openai_connection, action="tool_results",
                            message_id=str(first.message_id), **{"result:call_1": "21"}))  # fmt: skip
    assert "The conversation went on" in await tab.until(r'tool-errors-\d+" hx-swap-oob')
    await tab.close()


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
@pytest.mark.parametrize(
    ("answer", "valid"), [('{"answer": "yes", "confidence": 0.9}', True), ('{"answer": 5}', False)]
)
async def test_a_structured_answer_is_shown_as_json_with_a_validity_badge(
    user, conversation, openai_connection, anthropic_connection, fake_provider, kind, answer, valid
):
    connection = openai_connection if kind == "openai" else anthropic_connection
    fake_provider.push_script(tokens=[answer])
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(connection, output_schema=json.dumps(SCHEMA)))
    run = await finished_run(tab, conversation)
    frame = await tab.until(r"structured-answer")
    assert run.output_schema == SCHEMA and run.output_valid is valid
    assert json.loads(run.message.content) == json.loads(answer)
    assert run.message.tool_calls == []  # Anthropic's forced tool is the answer, not a call
    if valid:
        assert "Valid JSON for the schema" in frame and run.output_problem == ""
    else:
        assert "Does not fit the schema" in frame
        assert "&#x27;confidence&#x27; is a required property" in frame
    body = fake_provider.requests()[0]["body"]
    if kind == "openai":
        assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    else:
        assert body["tool_choice"] == {"type": "tool", "name": "verdict"}
    await tab.close()


def test_a_bad_tools_box_is_refused_next_to_the_box_and_not_saved(
    member_client, conversation, openai_connection, fake_provider
):
    pane = conversation.panes.create(position=0, connection=openai_connection, model="fake-model")
    answer = member_client.post(
        f"/c/{conversation.pk}/panes/{pane.pk}/settings/",
        {"connection": str(openai_connection.pk), "model": "fake-model",
         "tools": '[{"name": "a b"}]', "tool_choice": "", "output_schema": ""},
    ).content.decode()  # fmt: skip
    assert 'role="alert"' in answer and "may hold only letters" in answer
    pane.refresh_from_db()
    assert pane.tools == []
    assert fake_provider.requests() == []
