"""The exercise registry: discovery of the per-lesson catalogs, ids, headers, checks and predictions."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mixlab.exercises import (
    ComputeExercise,
    ImplementExercise,
    PredictExercise,
    all_exercises,
    check,
    exercise,
    exercise_overview,
    get_exercise,
    lesson_exercises,
    predict,
)
from mixlab.exercises import registry as reg
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.verdicts import Verdict

IDS = sorted(all_exercises())


def _compute(eid: str = "2.2/x", **kw: object) -> ComputeExercise:
    args: dict[str, object] = {"id": eid, "title": "T", "statement": "S", "minutes": 3, "reference": lambda: 1.0,
                               "compare": lambda a, e: compare_number(a, e)}
    args.update(kw)
    return ComputeExercise(**args)  # type: ignore[arg-type]


# ---------------------------------------------------------------- every registered exercise
@pytest.mark.slow
@pytest.mark.parametrize("eid", IDS)
def test_reference_passes_its_own_check_and_the_placeholder_is_not_yet(eid: str) -> None:
    item = get_exercise(eid)
    assert item.section == eid.split("/")[0] and item.kind in reg.KINDS
    reference = item.reference_answer()
    verdict = item.check(reference)
    assert verdict.ok, verdict
    placeholder = item.check(...)
    assert not placeholder.ok and not placeholder.answered
    assert "Not yet" in repr(placeholder) and "Traceback" not in repr(placeholder)


@pytest.mark.parametrize("eid", IDS)
def test_header_shows_title_kind_minutes_and_the_check_call(eid: str) -> None:
    item = exercise(eid)
    text, md = repr(item), item._repr_markdown_()
    for shown in (text, md):
        assert item.title in shown and item.kind in shown and f"about {item.minutes} min" in shown
        assert item.check_call() in shown
    if isinstance(item, PredictExercise):
        assert all(f"({k}) {v}" in text for k, v in item.options.items())


def test_every_catalog_belongs_to_a_course_section() -> None:
    from mixlab.course import SECTIONS

    assert {e.section for e in all_exercises().values()} <= set(SECTIONS)
    assert len(lesson_exercises("2.2")) >= 3


# ---------------------------------------------------------------- lookups and calls
def test_unknown_id_names_the_close_matches() -> None:
    with pytest.raises(ValueError, match=r"registered exercise \(got '2.2/doc-to-token-weight'\).*did you mean"):
        check("2.2/doc-to-token-weight", 0.5)
    with pytest.raises(TypeError, match="exercise_id must be a string"):
        get_exercise(22)  # type: ignore[arg-type]


def test_predict_refuses_other_kinds_and_check_takes_predictions_too() -> None:
    with pytest.raises(ValueError, match="must name a predict question.*compute exercise"):
        predict("2.2/tv-two-views", "a")
    pid = "2.2/which-domain-gains-tokens"
    letter = get_exercise(pid).reference_answer()
    assert check(pid, letter).ok and predict(pid, letter.upper()).ok and predict(pid, f"({letter})").ok


def test_prediction_verdicts_explain() -> None:
    pid = "2.2/which-domain-gains-tokens"
    item = get_exercise(pid)
    assert isinstance(item, PredictExercise)
    right_letter = item.reference_answer()
    other = next(k for k in item.options if k != right_letter)
    wrong = predict(pid, other)
    assert not wrong.ok and f"the answer is ({right_letter})" in wrong.message and wrong.why == item.explanation
    assert predict(pid, right_letter).why == item.explanation
    unread = predict(pid, "z")
    assert "could not read your prediction" in unread.message and unread.answered
    waiting = predict(pid, ...)
    assert not waiting.answered and len(waiting.details) == len(item.options)


def test_computed_prediction_matches_the_lesson() -> None:
    """The right option is computed from the world: books gets the most tokens under equal document shares."""
    from mixlab.domains import domain_stats
    from mixlab.mixers import uniform_by_document

    stats = domain_stats(reg.canonical_world().train)
    assert uniform_by_document(stats).to_tokens(stats).weights.idxmax() == "books"
    assert get_exercise("2.2/which-domain-gains-tokens").reference_answer() == "c"


def test_check_passes_given_objects_to_the_reference_and_does_not_cache_them() -> None:
    item = _compute("2.2/given", reference=lambda x=None: 2.0 if x is None else x * 10.0)
    assert item.check(20.0, 2.0).ok and item.check(30.0, 3.0).ok and item.check(2.0).ok


def test_reference_is_computed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    item = _compute("2.2/counted", reference=lambda: calls.append(1) or 4.0)
    monkeypatch.delitem(reg._CACHE, "2.2/counted", raising=False)
    for _ in range(3):
        assert item.check(4.0).ok
    assert calls == [1]
    reg._CACHE.pop("2.2/counted", None)


def test_overview_lists_kinds_and_minutes() -> None:
    view = exercise_overview("2.2")
    items = lesson_exercises("2.2")
    assert view.minutes == sum(e.minutes for e in items)
    assert {"predict", "implement", "compute"} <= {e.kind for e in items}
    for e in items:
        assert e.id in repr(view) and f"`{e.id}`" in view._repr_markdown_()
    with pytest.raises(ValueError, match="section must have registered exercises"):
        exercise_overview("9.9")


# ---------------------------------------------------------------- validation of exercises
@pytest.mark.parametrize(("kw", "pattern"), [
    ({"id": "2.2/Doc_To_Token"}, "exercise id must look like"),
    ({"id": "7.7/x"}, "exercise id must look like"),
    ({"id": "doc-to-token"}, "exercise id must look like"),
    ({"title": " "}, "title must be a non-empty string"),
    ({"minutes": 0}, "minutes must be an integer in 1..120"),
    ({"minutes": 2.5}, "minutes must be an integer in 1..120"),
])
def test_exercise_fields_are_validated(kw: dict[str, object], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        _compute(**kw)


def test_predict_options_and_answer_are_validated() -> None:
    base = {"id": "2.2/q", "title": "T", "statement": "S", "minutes": 1, "explanation": "E"}
    with pytest.raises(ValueError, match="options must be keyed 'a', 'b'"):
        PredictExercise(options={"a": "x", "c": "y"}, answer="a", **base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="answer must be one of the option letters"):
        PredictExercise(options={"a": "x", "b": "y"}, answer="c", **base)  # type: ignore[arg-type]
    computed = PredictExercise(options={"a": "x", "b": "y"}, answer=lambda: "q", **{**base, "id": "2.2/q2"})
    with pytest.raises(ValueError, match="computed answer must be an option letter"):
        computed.check("a")
    reg._CACHE.pop("2.2/q2", None)


def test_implement_check_takes_only_the_function() -> None:
    item = get_exercise("2.2/implement-doc-to-token")
    assert isinstance(item, ImplementExercise)
    with pytest.raises(TypeError, match="takes only the function"):
        item.check(item.task.reference, 1)


# ---------------------------------------------------------------- discovery
@pytest.fixture()
def fake_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty catalog package ``fakecat`` the registry reads instead of the real one."""
    pkg = tmp_path / "fakecat"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(reg, "_CATALOG", "fakecat")
    reg._registry.cache_clear()
    yield pkg
    reg._registry.cache_clear()
    for name in [m for m in sys.modules if m == "fakecat" or m.startswith("fakecat.")]:
        del sys.modules[name]


ENTRY = '''
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.registry import ComputeExercise

SECTION = {section!r}
EXERCISES = [ComputeExercise(id={eid!r}, title="T", statement="S", minutes=2, reference=lambda: 1.0,
                             compare=compare_number)]
'''


def _write(pkg: Path, module: str, section: str, eid: str) -> None:
    (pkg / f"{module}.py").write_text(textwrap.dedent(ENTRY.format(section=section, eid=eid)))


def test_discovery_reads_every_catalog_module(fake_catalog: Path) -> None:
    _write(fake_catalog, "s1_1", "1.1", "1.1/one")
    _write(fake_catalog, "sA_1", "A.1", "A.1/two")
    (fake_catalog / "_helpers.py").write_text("raise RuntimeError('private modules are not catalogs')\n")
    assert list(all_exercises()) == ["1.1/one", "A.1/two"]
    assert check("A.1/two", 1.0).ok


@pytest.mark.parametrize(("files", "pattern"), [
    ([("s1_1", "1.2", "1.2/x")], "SECTION must be the section the module is named for"),
    ([("s1_1", "1.1", "1.2/x")], "does not belong to section 1.1"),
])
def test_discovery_refuses_malformed_catalogs(fake_catalog: Path, files: list[tuple[str, str, str]],
                                              pattern: str) -> None:
    for module, section, eid in files:
        _write(fake_catalog, module, section, eid)
    with pytest.raises(ValueError, match=pattern):
        all_exercises()


def test_discovery_refuses_duplicate_ids(fake_catalog: Path) -> None:
    _write(fake_catalog, "s1_1", "1.1", "1.1/x")
    text = (fake_catalog / "s1_1.py").read_text().replace("EXERCISES = [", "EXERCISES = 2 * [")
    (fake_catalog / "s1_1.py").write_text(text)
    with pytest.raises(ValueError, match="'1.1/x' is registered twice"):
        all_exercises()


def test_catalog_module_names() -> None:
    assert [reg.catalog_module_name(s) for s in ("00", "2.2", "A.1")] == ["s00", "s2_2", "sA_1"]


@pytest.mark.slow
def test_importing_mixlab_exercises_loads_no_catalog() -> None:
    import subprocess

    code = ("import sys, mixlab.exercises; "
            "print(any(m.startswith('mixlab.exercises.catalog.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_verdict_type() -> None:
    assert isinstance(check("2.2/tv-two-views", ...), Verdict)
