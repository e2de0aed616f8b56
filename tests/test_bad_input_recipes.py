"""Property-based bad input for build recipes: every invalid recipe fails cleanly, none is accepted silently.

Hypothesis mutates one field of a valid recipe (wrong types, NaN and infinities, huge and
negative numbers, values at and just past each documented limit, names that would become
paths, empty strings) or its structure (a section replaced by a non-table, an unknown key, a
required key removed). An independent oracle says whether the result is a valid recipe. Each
input ends in one of:

* a clean error: ``TypeError``/``ValueError`` whose message names the field;
* a valid recipe accepted;
* a failure: a silent acceptance (the oracle says invalid, ``load_recipe`` accepts), a valid
  recipe refused, another exception type, or a message that does not name the field.

The tally is printed (``pytest -s``) and failures must be 0.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from build_helpers import RECIPE
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mixlab.manifest import SAFE_NAME
from mixlab.recipe import LIMITS, load_recipe


def _int(lo: int, hi: int | float) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool) and lo <= v <= hi


def _real(lo: float, hi: float, lo_open: bool = False) -> Callable[[Any], bool]:
    def ok(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            return False
        return (v > lo if lo_open else v >= lo) and v <= hi

    return ok


def _text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip()) and v.isprintable()


#: dotted field -> oracle (is this value valid there?), with the rest of the recipe unchanged
ORACLE: dict[str, Callable[[Any], bool]] = {
    "schema_version": lambda v: isinstance(v, int) and not isinstance(v, bool) and v == 1,
    "name": lambda v: _text(v) and len(v) <= 200,
    "seed": _int(0, LIMITS["seed"]),
    "world.seed": _int(0, LIMITS["seed"]),
    "world.scale": _real(0.0, math.inf, lo_open=True),
    "world.preset": lambda v: isinstance(v, str) and bool(v) and v.isprintable(),
    "filters.0.name": lambda v: v == "quality",  # the quality filter's `threshold` stays in the table
    "filters.0.threshold": _real(0.0, 1.0),
    "filters.0.stage": lambda v: isinstance(v, str) and SAFE_NAME.fullmatch(v) is not None and v != "dedup",
    "mixture.weights.web": _real(0.0, math.inf),
    "mixture.kind": lambda v: v in ("token", "document"),
    "budget.tokens": _int(1, LIMITS["budget.tokens"]),
    "budget.max_epochs": _real(0.0, LIMITS["budget.max_epochs"], lo_open=True),
    "budget.allow_empty": lambda v: isinstance(v, bool),
    "shards.max_records": _int(1, LIMITS["shards.max_records"]),
    "shards.max_tokens": lambda v: v is None or _int(1, LIMITS["shards.max_tokens"])(v),
    "audit.n_per_side": _int(0, LIMITS["audit.n_per_side"]),
}

EDGES = [0, 1, -1, 2, 100, 101, 10_000, 10_001, 10**7, 10**7 + 1, 2**27, 2**27 + 1, 10**9, 10**9 + 1, 10**10,
         2**63 - 1, 2**63, 10**30, 0.0, -0.0, 0.3, 1.0, 1.5, 4.0, 100.0, 100.000001, 1e9, 1e-300, 1e308,
         math.nan, math.inf, -math.inf, True, False, None, "", " ", "1", "0.3", "tiny", "quality", "dedup", "token",
         "document", "tokens", "../../victim/shards/part-00000", "a/b", "/etc/passwd", "..", ".hidden", "a b",
         "x.parquet", "tab\there", "line\nbreak", "é-ok", "x" * 64, "x" * 65, "y" * 201, [], [1], {}, {"a": 1}]

values = st.one_of(
    st.sampled_from(EDGES),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
SECTIONS = ["world", "filters", "mixture", "budget", "shards", "audit"]


def _set(rec: dict[str, Any], path: str, value: Any) -> None:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    target: Any = rec
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, Any, bool]:
    """(what, field named in the message, the mutated recipe, valid by the oracle)."""
    rec = copy.deepcopy(RECIPE)
    kind = draw(st.sampled_from(["field"] * 6 + ["section", "unknown key", "missing key"]))
    if kind == "field":
        path = draw(st.sampled_from(sorted(ORACLE)))
        value = draw(values)
        _set(rec, path, value)
        return f"{path} = {value!r:.60}", path.split(".")[-1], rec, ORACLE[path](value)
    section = draw(st.sampled_from(SECTIONS))
    if kind == "section":
        value = draw(st.one_of(st.sampled_from([5, "x", None, True, 1.5]), st.just([] if section != "filters" else {})))
        rec[section] = value
        return f"{section} = {value!r}", section, rec, False
    if kind == "unknown key":
        target = rec if section == "filters" else rec[section]
        target["surprise"] = 1
        return f"unknown key in {section}", "surprise", rec, False
    required = {"world": "preset", "mixture": "weights", "budget": "tokens", "filters": "name"}
    if section not in required:
        section = "budget"
    (rec["filters"][0] if section == "filters" else rec[section]).pop(required[section])
    return f"{section} without {required[section]}", required[section], rec, False


def _outcome(rec: dict[str, Any], field: str, valid: bool) -> str:
    try:
        load_recipe(rec)
    except (TypeError, ValueError) as exc:
        if valid:
            return "valid recipe refused"
        return "clean error" if field in str(exc) else "error not naming the field"
    except Exception:  # noqa: BLE001 - any other exception is what this suite looks for
        return "other exception"
    return "valid recipe accepted" if valid else "silent acceptance"


@pytest.mark.slow
def test_bad_recipes_fail_cleanly_and_none_is_accepted_silently() -> None:
    tally: Counter[str] = Counter()
    failures: list[str] = []

    @settings(max_examples=600)
    @given(mutations())
    @example(("filters.0.stage = 123", "stage", {**RECIPE, "filters": [{"name": "quality", "threshold": 0.3,
                                                                        "stage": 123}]}, False))
    @example(("budget.tokens = 10**10", "tokens", {**RECIPE, "budget": {"tokens": 10**10}}, False))
    @example(("budget.max_epochs = 1e9", "max_epochs", {**RECIPE, "budget": {"tokens": 24_000, "max_epochs": 1e9}},
              False))
    def run(case: tuple[str, str, dict[str, Any], bool]) -> None:
        what, field, rec, valid = case
        result = _outcome(rec, field, valid)
        tally[result] += 1
        if result not in ("clean error", "valid recipe accepted"):
            failures.append(f"{result}: {what}")

    run()
    tried = sum(tally.values())
    other = tried - tally["clean error"] - tally["valid recipe accepted"] - tally["silent acceptance"]
    print(f"\nrecipes tried {tried}: clean errors {tally['clean error']}, valid accepted "
          f"{tally['valid recipe accepted']}, silent acceptances {tally['silent acceptance']}, other failures {other}")
    assert failures == [], "\n".join(failures[:20])
    assert tally["silent acceptance"] == 0
    assert tally["clean error"] >= 300 and tally["valid recipe accepted"] >= 20  # both sides were exercised
