"""GivenComputeExercise: a compute exercise whose check cell passes notebook objects by name."""

from __future__ import annotations

import pytest

from mixlab.exercises.given import GivenComputeExercise
from mixlab.exercises.numbers import compare_number


def _item(**kw: object) -> GivenComputeExercise:
    args: dict[str, object] = {"id": "1.1/x", "title": "T", "statement": "S", "minutes": 3,
                               "reference": lambda counts=None: 2.0 if counts is None else float(counts["a"]),
                               "compare": lambda a, e: compare_number(a, e), "given": ("counts",)}
    args.update(kw)
    return GivenComputeExercise(**args)  # type: ignore[arg-type]


def test_header_shows_the_objects_the_check_cell_passes() -> None:
    item = _item()
    assert item.check_call() == 'check("1.1/x", answer, counts)'
    assert 'check("1.1/x", answer, counts)' in repr(item) and 'answer, counts' in item._repr_markdown_()


def test_reference_uses_the_objects_passed_or_else_its_own() -> None:
    item = _item()
    assert item.check(5.0, {"a": 5}).ok and not item.check(2.0, {"a": 5}).ok
    assert item.check(2.0).ok  # no objects: the reference's own (canonical) inputs


def test_wrong_number_of_objects_and_bad_names_are_refused() -> None:
    with pytest.raises(TypeError, match=r"passes counts after the answer \(got 2 objects\)"):
        _item().check(1.0, {"a": 1}, {"b": 2})
    with pytest.raises(ValueError, match="given must name"):
        _item(given=())
    with pytest.raises(ValueError, match="given must name"):
        _item(given=("not a name",))
