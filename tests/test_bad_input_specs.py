"""Bad-input suite for world specs: every invalid field value is refused with a clean, named error.

An independent oracle (the documented rule of each field, written here, not imported) says which
values are invalid. Each test mutates one field of the valid ``tiny`` spec to an invalid value and
requires a ``TypeError`` or ``ValueError`` whose message names the field's dotted path: a *clean
error*. Any other exception is a crash; no exception is a *silent acceptance*. Both must be zero.
The tallies are printed by ``test_report`` (run with ``-s`` to see them).

Used in: the test suite (issue 13: no silent acceptances).
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mixlab.world import WorldSpec, generate_world, load_spec, worlds_dir
from mixlab.world.spec import MAX_DOCS, MAX_LENGTH, MAX_VOCAB_SIZE

TALLY: Counter[str] = Counter()

# field path -> (kind, low, high, low_open, high_open): the documented rule of every field.
_INT, _REAL = "int", "real"
DOMAIN_RULES: dict[str, tuple[str, float, float, bool, bool]] = {
    "docs": (_INT, 1, MAX_DOCS, False, False),
    "validation_docs": (_INT, 1, MAX_DOCS, False, False),
    "length_median": (_REAL, 0, math.inf, True, True),
    "length_sigma": (_REAL, 0, 5, False, False),
    "min_length": (_INT, 1, MAX_LENGTH, False, False),
    "max_length": (_INT, 1, MAX_LENGTH, False, False),
    "clean_quality.alpha": (_REAL, 0, math.inf, True, True),
    "clean_quality.beta": (_REAL, 0, math.inf, True, True),
    "junk_quality.alpha": (_REAL, 0, math.inf, True, True),
    "junk_quality.beta": (_REAL, 0, math.inf, True, True),
    "junk_share": (_REAL, 0, 1, False, True),
    "junk_length_multiplier": (_REAL, 0, math.inf, True, True),
    "duplicate_share": (_REAL, 0, 1, False, True),
    "specificity": (_REAL, 0, 1, False, False),
    "word_length_bias": (_REAL, -5, 5, False, False),
}
PROCESS_RULES: dict[str, tuple[str, float, float, bool, bool]] = {
    "shared_support": (_INT, 2, 96, False, False),  # <= vocab_size of tiny
    "shared_alpha": (_REAL, 0, math.inf, True, True),
    "domain_support": (_INT, 2, 96, False, False),
    "domain_alpha": (_REAL, 0, math.inf, True, True),
    "floor": (_REAL, 0, 1, True, False),
    "topic_sigma": (_REAL, 0, 10, False, False),
    "junk_cycle": (_INT, 2, 96, False, False),
    "junk_noise": (_REAL, 0, 1, True, True),
    "uniform_mix": (_REAL, 0, 1, True, True),
    "domain_overlap": (_REAL, 0, 1, False, False),
}
TOP_RULES: dict[str, tuple[str, float, float, bool, bool]] = {
    "vocab_size": (_INT, 8, MAX_VOCAB_SIZE, False, False),
    "filters.quality_threshold": (_REAL, 0, 1, False, False),
}
FIELDS = (
    [(f"domains.web.{k}", r) for k, r in DOMAIN_RULES.items()]
    + [(f"domains.code.{k}", r) for k, r in DOMAIN_RULES.items()]
    + [(f"process.{k}", r) for k, r in PROCESS_RULES.items()]
    + list(TOP_RULES.items())
)


def is_valid(value: object, rule: tuple[str, float, float, bool, bool]) -> bool:
    """The oracle: does ``value`` satisfy the documented type and range of a field?"""
    kind, lo, hi, lo_open, hi_open = rule
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if kind == _INT and not isinstance(value, int):
        return False
    if math.isnan(value) or math.isinf(value):
        return False
    return (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)


def _tiny() -> dict:
    return copy.deepcopy(load_spec("tiny").to_dict())


def _set(data: dict, path: str, value: object) -> None:
    node = data
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value


def _classify(action: Callable[[], object], names: str) -> str:
    """Run ``action``; return 'clean', 'silent' or 'crash' and count it."""
    try:
        action()
    except (TypeError, ValueError) as exc:
        outcome = "clean" if names in str(exc) else "unnamed"
    except Exception:  # noqa: BLE001 - a crash is what this suite looks for
        outcome = "crash"
    else:
        outcome = "silent"
    TALLY["tried"] += 1
    TALLY[outcome] += 1
    return outcome


BAD_VALUES: list[object] = [
    None, "3", "0.5", "", True, False, [], [1], {}, {"a": 1}, math.nan, math.inf, -math.inf,
    -1, 0, -1e-9, 1e12, 10**18, -(10**18), 2.5, 1.0000001, 5.0000001, 0.0, 1.0, 1, 10.5,
]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "rule"), FIELDS, ids=[p for p, _ in FIELDS])
def test_every_invalid_value_of_every_field_is_refused_by_name(path: str, rule: tuple) -> None:
    for value in BAD_VALUES:
        if is_valid(value, rule):
            continue
        data = _tiny()
        _set(data, path, value)
        outcome = _classify(lambda data=data: WorldSpec.from_dict(data), path)
        assert outcome == "clean", f"{path} = {value!r}: {outcome}"


@pytest.mark.slow
@given(
    field=st.sampled_from(FIELDS),
    value=st.one_of(
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=2),
    ),
)
@example(field=("domains.web.docs", DOMAIN_RULES["docs"]), value=2.5)
@example(field=("domains.web.docs", DOMAIN_RULES["docs"]), value="2")
@example(field=("domains.web.docs", DOMAIN_RULES["docs"]), value=True)
@example(field=("domains.web.docs", DOMAIN_RULES["docs"]), value=10**9)
@example(field=("vocab_size", TOP_RULES["vocab_size"]), value=32767)
def test_random_invalid_values_are_refused(field: tuple, value: object) -> None:
    path, rule = field
    if is_valid(value, rule):
        return
    data = _tiny()
    _set(data, path, value)
    outcome = _classify(lambda: WorldSpec.from_dict(data), path)
    assert outcome == "clean", f"{path} = {value!r}: {outcome}"


@pytest.mark.parametrize(
    ("mutate", "names"),
    [
        (lambda d: d["domains"]["web"].update(extra=1), "domains.web"),
        (lambda d: d["domains"]["web"].pop("docs"), "domains.web"),
        (lambda d: d["process"].pop("floor"), "process"),
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d.update(domains={}), "domains"),
        (lambda d: d.update(domains=[1]), "domains"),
        (lambda d: d.update(process=3), "process"),
        (lambda d: d.update(filters="x"), "filters"),
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d.update(schema_version=True), "schema_version"),
        (lambda d: d.update(name=""), "name"),
        (lambda d: d.update(name=3), "name"),
        (lambda d: d.update(description=3), "description"),
        (lambda d: d["domains"].update({"a.b": d["domains"]["web"]}), "domains"),
        (lambda d: d["domains"]["web"].update(clean_quality=0.5), "domains.web.clean_quality"),
        (lambda d: d["domains"]["web"].update(min_length=500, max_length=400), "domains.web.max_length"),
        (lambda d: d["domains"]["web"].update(length_median=1e6), "domains.web"),
        (lambda d: d["process"].update(shared_support=97), "process.shared_support"),
    ],
)
def test_structural_errors_are_refused_by_name(mutate: Callable[[dict], object], names: str) -> None:
    data = _tiny()
    mutate(data)
    assert _classify(lambda: WorldSpec.from_dict(data), names) == "clean"


def test_bad_files_and_arguments(tmp_path: Path) -> None:
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    broken = tmp_path / "broken.toml"
    broken.write_text("vocab_size = = 3\n")
    cases: list[tuple[Callable[[], object], str, type[BaseException]]] = [
        (lambda: load_spec(tmp_path), str(tmp_path), IsADirectoryError),
        (lambda: load_spec(tmp_path / "none.toml"), "none.toml", FileNotFoundError),
        (lambda: load_spec(binary), str(binary), ValueError),
        (lambda: load_spec(broken), str(broken), ValueError),
        (lambda: load_spec("no-such-preset"), "no-such-preset", FileNotFoundError),
        (lambda: load_spec(3), "name_or_path", TypeError),  # type: ignore[arg-type]
        (lambda: generate_world(3.5, 0), "spec_or_name", TypeError),  # type: ignore[arg-type]
        (lambda: generate_world("tiny", -1), "seed", ValueError),
        (lambda: generate_world("tiny", 1.5), "seed", TypeError),  # type: ignore[arg-type]
        (lambda: load_spec("tiny").scaled(math.nan), "factor", ValueError),
        (lambda: load_spec("tiny").scaled("2"), "factor", TypeError),  # type: ignore[arg-type]
        (lambda: load_spec("tiny").scaled(1e6), "factor", ValueError),
        (lambda: load_spec("tiny").with_overrides({"domains.web.docs": "9"}), "domains.web.docs", TypeError),
        (lambda: load_spec("tiny").select_domains("web"), "names", TypeError),
    ]
    for action, names, exc in cases:
        with pytest.raises(exc, match=None) as info:
            action()
        assert names in str(info.value), (names, str(info.value))
        TALLY["tried"] += 1
        TALLY["clean"] += 1
    unreadable = tmp_path / "secret.toml"
    unreadable.write_text((worlds_dir() / "tiny.toml").read_text())
    unreadable.chmod(0)
    try:
        if not unreadable.exists() or _readable(unreadable):  # root can read anything: nothing to test
            return
        with pytest.raises(PermissionError, match="secret.toml"):
            load_spec(unreadable)
    finally:
        unreadable.chmod(0o600)


def _readable(path: Path) -> bool:
    try:
        path.read_bytes()
    except PermissionError:
        return False
    return True


def test_report() -> None:
    """Runs last in this file: print the tallies; silent acceptances and crashes must be zero."""
    print(f"\nbad-input suite (world specs): {dict(sorted(TALLY.items()))}")
    assert TALLY["silent"] == 0 and TALLY["crash"] == 0 and TALLY["unnamed"] == 0
