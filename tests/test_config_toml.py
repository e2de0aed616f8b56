"""mixlab.config.dumps_toml: the TOML writer behind saved configs reads back exactly, and refuses what TOML cannot hold.

Used in: CI.
"""

from __future__ import annotations

import math
import tomllib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mixlab.config import dumps_toml

_keys = st.text(min_size=1, max_size=12)
_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
_values = st.one_of(_scalars, st.lists(_scalars, max_size=4))
_tables = st.recursive(
    st.dictionaries(_keys, _values, max_size=4),
    lambda inner: st.dictionaries(_keys, st.one_of(_values, inner), max_size=4),
    max_leaves=12,
)


def _same(a: object, b: object) -> bool:
    """Equality that treats 0.0 and -0.0 as different (the writer must keep the sign)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@pytest.mark.slow
@given(_tables)
@example({"rationale": 'a "quoted" \\ line\nand\ttab\x01\x7f', "weights": {"web": 0.1 + 0.2, "x y": -0.0}})
@example({"a.b": {"c": 1e308, "d": -1e-308, "": 1, "[x]": {"y": 2}}})
@example({"t": {"inner": {"deeper": [True, 1, "s"]}}})
def test_round_trip_is_exact(doc: dict[str, object]) -> None:
    text = dumps_toml(doc, quoted_tables=["weights"])
    assert _same(tomllib.loads(text), doc)


def test_layout_quoting_and_comments() -> None:
    text = dumps_toml(
        {"rationale": "more books", "n": 3, "weights": {"web": 0.75, "books": 0.25},
         "provenance": {"raw_sum": 11.0, "caps": {"web": 1.0}}},
        quoted_tables=["weights", "provenance.caps"],
        comments={"provenance": "the editor's state"},
    )
    assert text == (
        'rationale = "more books"\nn = 3\n\n[weights]\n"web" = 0.75\n"books" = 0.25\n\n'
        "# the editor's state\n[provenance]\nraw_sum = 11.0\n\n[provenance.caps]\n\"web\" = 1.0\n"
    )


def test_infinities_are_toml_and_read_back() -> None:
    assert tomllib.loads(dumps_toml({"x": math.inf, "y": -math.inf})) == {"x": math.inf, "y": -math.inf}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"budget": None}, "budget must be a bool, number, string, list or table.*TOML has no null"),
        ({"t": {"when": object()}}, r"t\.when must be a bool, number"),
        ({"t": {3: 1.0}}, "TOML keys must be strings"),
        ({"xs": [1, None]}, "xs must be a bool"),
    ],
)
def test_what_toml_cannot_hold_is_refused_naming_the_key(doc: dict[object, object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        dumps_toml(doc)  # type: ignore[arg-type]
