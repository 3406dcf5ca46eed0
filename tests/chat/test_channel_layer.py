import asyncio

from channels.layers import get_channel_layer

from chat import channel_layer
from chat.channel_layer import SweepingInMemoryChannelLayer


def test_the_default_layer_is_the_sweeping_one():
    assert isinstance(get_channel_layer(), SweepingInMemoryChannelLayer)


async def test_expired_messages_are_still_swept_only_less_often(monkeypatch):
    monkeypatch.setattr(channel_layer, "SWEEP_INTERVAL_SECONDS", 0.05)
    layer = SweepingInMemoryChannelLayer(expiry=0.01)
    await layer.send("stale.channel", {"type": "x"})
    await asyncio.sleep(0.1)  # older than both the expiry and the sweep interval
    await layer.group_send("any.group", {"type": "y"})  # a sweep happens on group_send
    assert "stale.channel" not in layer.channels


async def test_messages_flow_as_with_the_stock_layer():
    layer = SweepingInMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await layer.group_send("g", {"type": "hello", "n": 1})
    assert await layer.receive(channel) == {"type": "hello", "n": 1}
