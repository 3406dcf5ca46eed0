"""How two panes' tool calls differ (compare/diff.py: tool_call_diff)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from compare.diff import ArgumentChange, tool_call_diff


def call(name: str, **arguments: object) -> dict:
    return {"id": f"call_{name}", "name": name, "arguments": arguments}


def rows_of(html: str) -> list[ET.Element]:
    return list(ET.fromstring(html).iter("tr"))[1:]  # after the header row


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def test_the_same_calls_with_the_same_arguments_are_identical():
    calls = [call("get_weather", city="Paris", unit="C"), call("get_time", zone="CET")]
    diff = tool_call_diff(calls, [dict(c, id="other") for c in calls])  # ids do not matter
    assert diff.identical
    assert all(row.same for row in diff.rows)
    assert not diff.only_left and not diff.only_right


def test_argument_key_order_does_not_matter():
    left = [{"name": "f", "arguments": {"a": 1, "b": {"x": 1, "y": 2}}}]
    right = [{"name": "f", "arguments": {"b": {"y": 2, "x": 1}, "a": 1}}]
    assert tool_call_diff(left, right).identical


def test_it_names_the_arguments_that_differ_and_those_only_one_side_gave():
    diff = tool_call_diff(
        [call("search", query="cats", limit=5, safe=True)],
        [call("search", query="dogs", safe=True, lang="en")],
    )
    (row,) = diff.rows
    assert row.name_matches and not row.same and not diff.identical
    assert row.keys_differing == ("query",)
    assert row.keys_only_left == ("limit",)
    assert row.keys_only_right == ("lang",)
    assert row.changes[0] == ArgumentChange("query", '"cats"', '"dogs"')


@pytest.mark.parametrize(
    ("left", "right"),
    [(1, 1.0), (True, 1), ("1", 1), (None, "null"), ([1, 2], [2, 1])],
)
def test_values_are_compared_as_json_so_what_the_tool_would_see_differently_differs(left, right):
    diff = tool_call_diff([call("f", x=left)], [call("f", x=right)])
    assert diff.rows[0].keys_differing == ("x",)


def test_calls_are_paired_by_name_when_their_order_differs():
    diff = tool_call_diff(
        [call("get_weather", city="Paris"), call("get_time", zone="CET")],
        [call("get_time", zone="CET"), call("get_weather", city="Paris")],
    )
    pairs = [(row.left_index, row.right_index) for row in diff.rows]
    assert pairs == [(0, 1), (1, 0)]
    assert all(row.same for row in diff.rows)
    assert not diff.identical  # the same calls, in another order


def test_calls_of_one_tool_in_the_same_order_are_paired_position_by_position():
    diff = tool_call_diff(
        [call("lookup", id=1), call("lookup", id=2)],
        [call("lookup", id=3), call("lookup", id=4)],
    )
    assert [(row.left_index, row.right_index) for row in diff.rows] == [(0, 0), (1, 1)]
    assert [row.keys_differing for row in diff.rows] == [("id",), ("id",)]


def test_the_same_call_is_found_wherever_the_other_pane_made_it():
    diff = tool_call_diff(
        [call("lookup", id=1), call("lookup", id=2)],
        [call("lookup", id=2), call("lookup", id=1)],
    )
    assert [(row.left_index, row.right_index) for row in diff.rows] == [(0, 1), (1, 0)]
    assert all(row.same for row in diff.rows) and not diff.identical


def test_an_extra_call_at_the_start_does_not_make_every_later_pair_differ():
    diff = tool_call_diff(
        [call("plan"), call("lookup", id=1, page=1), call("lookup", id=2, page=1)],
        [call("lookup", id=1, page=2), call("lookup", id=2, page=2)],
    )
    assert [(row.left_index, row.right_index) for row in diff.rows] == [(0, None), (1, 0), (2, 1)]
    assert [row.keys_differing for row in diff.rows] == [(), ("page",), ("page",)]


def test_calls_only_one_pane_made_are_reported_on_their_side():
    diff = tool_call_diff([call("a"), call("b")], [call("b"), call("c"), call("d")])
    assert [(row.left_name, row.right_name) for row in diff.pairs] == [("b", "b")]
    assert [(row.left_name, row.right_name) for row in diff.only_left] == [("a", None)]
    assert [(row.left_name, row.right_name) for row in diff.only_right] == [
        (None, "c"),
        (None, "d"),
    ]


def test_different_tools_at_the_same_position_are_paired_with_their_names_differing():
    diff = tool_call_diff([call("get_weather", city="Paris")], [call("search", q="Paris")])
    (row,) = diff.rows
    assert row.paired and not row.name_matches and not row.same
    assert row.keys_only_left == ("city",) and row.keys_only_right == ("q",)


def test_a_call_with_no_left_counterpart_is_listed_after_the_left_call_at_its_position():
    diff = tool_call_diff([call("a")], [call("a"), call("b")])
    assert [(row.left_index, row.right_index) for row in diff.rows] == [(0, 0), (None, 1)]
    assert [row.right_name for row in diff.only_right] == ["b"]


def test_no_calls_on_either_side_are_identical():
    diff = tool_call_diff([], [])
    assert diff.identical and diff.rows == ()
    assert diff.html() == '<p class="tool-call-diff empty">Neither made a tool call.</p>'


def test_calls_on_one_side_only_are_not_identical():
    assert not tool_call_diff([call("a")], []).identical
    assert not tool_call_diff([], [call("a")]).identical


def test_missing_arguments_count_as_none_given():
    assert tool_call_diff([{"name": "ping"}], [{"name": "ping", "arguments": {}}]).identical


def test_arguments_that_are_not_a_mapping_are_refused():
    with pytest.raises(TypeError, match="mapping"):
        tool_call_diff([{"name": "f", "arguments": '{"a": 1}'}], [call("f", a=1)])


# --- html ------------------------------------------------------------------------------------


def test_the_table_heads_its_columns_with_the_panes_labels():
    html = tool_call_diff([call("a")], [call("a")]).html("Pane A", "Pane B")
    headers = ["".join(th.itertext()) for th in ET.fromstring(html).iter("th")]
    assert headers == ["Pane A", "Pane B", "Arguments"]


def test_rows_are_classed_same_or_different_and_say_how():
    diff = tool_call_diff(
        [call("same", x=1), call("changed", x=1), call("gone"), call("left_name")],
        [call("same", x=1), call("changed", x=2), call("right_name"), call("extra1"),
         call("extra2")],
    )  # fmt: skip
    rows = rows_of(diff.html("A", "B"))
    assert [classes(row) - {"tool-call"} for row in rows] == [
        {"same"},
        {"different"},
        {"different", "name-differs"},  # "gone" and "right_name" at position 2
        {"different", "name-differs"},  # "left_name" and "extra1" at position 3
        {"different", "only-right"},
    ]
    assert "same arguments" in "".join(rows[0].itertext())
    changed = rows[1].find(".//li")
    assert classes(changed) == {"argument", "argument-changed"}
    assert "".join(changed.itertext()) == "x 1 → 2"
    assert "".join(rows[4].itertext()) == "—extra2only B"


def test_arguments_only_one_side_gave_are_classed_and_say_whose_they_are():
    html = tool_call_diff([call("f", a=1)], [call("f", b=2)]).html("A", "B")
    items = list(ET.fromstring(html).iter("li"))
    assert [(classes(li), "".join(li.itertext())) for li in items] == [
        ({"argument", "argument-only-left"}, "a only A: 1"),
        ({"argument", "argument-only-right"}, "b only B: 2"),
    ]


def test_an_identical_table_says_so_in_its_class():
    html = tool_call_diff([call("f")], [call("f")]).html()
    assert classes(ET.fromstring(html)) == {"tool-call-diff", "identical"}


def test_names_keys_values_and_labels_are_escaped():
    html = tool_call_diff(
        [{"name": "<script>", "arguments": {"<k>": "</code><b>x</b>"}}],
        [{"name": "<script>", "arguments": {"<k>": "&amp;"}}],
    ).html("<i>A</i>", "B")
    root = ET.fromstring(html)  # would not parse if any of it had been let through as markup
    assert {element.tag for element in root.iter()} <= {
        "table", "thead", "tbody", "tr", "th", "td", "code", "ul", "li",
    }  # fmt: skip
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and "&amp;amp;" in html


def test_a_long_value_is_shortened_and_given_in_full_on_hover():
    long_text = "x" * 500
    html = tool_call_diff([call("f", text=long_text)], [call("f", text="short")]).html()
    (shortened,) = [code for code in ET.fromstring(html).iter("code") if code.get("title")]
    assert shortened.get("title") == f'"{long_text}"'
    assert len(shortened.text) == 120 and shortened.text.endswith("…")


def test_the_table_has_no_inline_style_for_the_content_security_policy_to_block():
    html = tool_call_diff([call("f", a=1)], [call("g", a=2), call("h")]).html()
    assert all("style" not in element.attrib for element in ET.fromstring(html).iter())
