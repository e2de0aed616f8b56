"""The exercise registry: every exercise of the course by id, found in the per-lesson catalogs.

An exercise has an id ``"<section>/<slug>"`` (e.g. ``"2.2/doc-to-token-weights"``), a title,
a short statement (Markdown), a kind (``compute``, ``implement`` or ``predict``), an estimated
time in minutes, and a way to judge an answer: a reference answer computed inside mixlab plus
a comparison with its tolerance and diagnostic hints (compute), hidden random cases run against
mixlab's own implementation (implement, :mod:`mixlab.exercises.implement`), or the right option
and an explanation (predict, :mod:`mixlab.exercises.predict`).

Each lesson's exercises live in one module ``mixlab/exercises/catalog/s<section>.py``
(``s2_2.py`` for 2.2, ``s00.py``, ``sA_1.py``) that defines ``SECTION = "2.2"`` and a list
``EXERCISES``. The registry imports the catalogs the first time an exercise is looked up (so
``import mixlab`` stays fast) and checks that ids are well formed, unique and belong to their
module's section. Reference answers are computed when first needed and cached for the process.

A notebook uses three calls, each one line with no formula, data access or expected value:
``exercise("2.2/…")`` shows the statement and the estimated time, ``check("2.2/…", answer)``
judges the learner's answer (or function), ``predict("2.2/…", prediction)`` judges a prediction.

Used in: the Exercises section of every lesson.
"""

from __future__ import annotations

import difflib
import functools
import html
import importlib
import pkgutil
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mixlab.exercises.verdicts import Verdict

__all__ = [
    "ID_PATTERN",
    "KINDS",
    "Exercise",
    "ComputeExercise",
    "Overview",
    "all_exercises",
    "get_exercise",
    "lesson_exercises",
    "exercise",
    "exercise_overview",
    "check",
    "canonical_world",
    "catalog_module_name",
]

#: An exercise id: a course section, a slash, a lowercase hyphenated slug.
ID_PATTERN = re.compile(r"^(?P<section>00|[1-9]\.[1-9]|A\.[1-9])/(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)$")
#: The kinds of exercise, in the order the guide presents them.
KINDS = ("compute", "implement", "predict")
_CATALOG = "mixlab.exercises.catalog"


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Exercise:
    """What every exercise has: id, title, statement, estimated minutes; shown as its header.

    Attributes
    ----------
    id : str
        ``"<section>/<slug>"``, e.g. ``"2.2/doc-to-token-weights"``.
    title : str
        A few words (``"Documents to tokens"``).
    statement : str
        The task in Markdown (a short paragraph; inline math with ``$…$``).
    minutes : int
        Estimated time for a learner, 1–120.

    Raises
    ------
    ValueError
        On a malformed id, an empty title or statement, or minutes outside 1–120.

    Used in: every exercise header (``exercise("…")``).
    """

    kind: ClassVar[str] = ""
    #: Name of the variable the exercise cell assigns (the check cell passes it).
    answer_name: ClassVar[str] = "answer"
    id: str
    title: str
    statement: str
    minutes: int

    def __post_init__(self) -> None:
        from mixlab.course import SECTIONS

        match = ID_PATTERN.match(self.id) if isinstance(self.id, str) else None
        if match is None or match["section"] not in SECTIONS:
            raise ValueError(f"exercise id must look like '2.2/doc-to-token-weights' (a course section, a slash, a "
                             f"lowercase-hyphenated slug) (got {self.id!r})")
        for name in ("title", "statement"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{self.id}: {name} must be a non-empty string (got {value!r})")
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, int) or not 1 <= self.minutes <= 120:
            raise ValueError(f"{self.id}: minutes must be an integer in 1..120 (got {self.minutes!r})")

    @property
    def section(self) -> str:
        """The course section of the exercise (``"2.2"``)."""
        return self.id.split("/", 1)[0]

    def check_call(self) -> str:
        """The one-line check cell for this exercise, e.g. ``check("2.2/x", answer)``."""
        return f'check("{self.id}", {self.answer_name})'

    def reference_answer(self, *given: Any) -> Any:
        """The reference answer (computed by mixlab; cached when nothing is given)."""
        raise NotImplementedError

    def check(self, answer: Any, *given: Any) -> Verdict:
        """Judge the learner's answer."""
        raise NotImplementedError

    def _extra_lines(self) -> list[str]:
        """Kind-specific lines of the header (options of a question, the function to write)."""
        return []

    def __repr__(self) -> str:
        lines = [f"Exercise {self.id} · {self.kind} · about {self.minutes} min", self.title, "", self.statement]
        lines += self._extra_lines()
        lines += ["", f"Check with: {self.check_call()}"]
        return "\n".join(lines)

    def _extra_markdown(self) -> str:
        """Kind-specific Markdown of the header (by default the text lines)."""
        return "\n".join(self._extra_lines()).strip()

    def _repr_markdown_(self) -> str:
        extra = self._extra_markdown()
        return (f"**{html.escape(self.title)}** · *{self.kind}* · about {self.minutes} min\n\n{self.statement}\n\n"
                + (f"{extra}\n\n" if extra else "")
                + f"<small>Exercise `{self.id}`; check with `{self.check_call()}`</small>")


_CACHE: dict[str, Any] = {}
_CACHE_LOCK = threading.Lock()


def cached(key: str, compute: Callable[[], Any]) -> Any:
    """Compute a value once per process (reference answers), keyed by ``key``.

    Parameters
    ----------
    key : str
        Unique key (an exercise id, or ``"<section>:<name>"`` for shared inputs).
    compute : callable
        Called without arguments the first time.

    Returns
    -------
    object

    Used in: the exercise kinds and the catalogs.
    """
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    value = compute()
    with _CACHE_LOCK:
        return _CACHE.setdefault(key, value)


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ComputeExercise(Exercise):
    """Compute a value (number, mixture, ranking, …) that is not printed anywhere in the lesson.

    Attributes
    ----------
    reference : callable
        ``reference(*given)`` returns the right answer, computed with mixlab from the canonical
        world and seed (:func:`canonical_world`) or from the objects the check cell passes.
    compare : callable
        ``compare(answer, expected)`` returns a :class:`Verdict`; it holds the tolerance and the
        diagnostic hints (usually a ``compare_*`` function of this package with arguments).
    decimals : int
        Decimals the notebook would display the answer at; the leak test looks for the
        reference value at this precision in the student copies.

    Used in: the compute exercises of most lesson catalogs (the others use
    :class:`~mixlab.exercises.given.GivenComputeExercise`).
    """

    kind: ClassVar[str] = "compute"
    reference: Callable[..., Any]
    compare: Callable[[Any, Any], Verdict]
    decimals: int = 3

    def reference_answer(self, *given: Any) -> Any:
        """The right answer; computed once per process when the check cell passes no objects."""
        if given:
            return self.reference(*given)
        return cached(self.id, self.reference)

    def check(self, answer: Any, *given: Any) -> Verdict:
        """Compare ``answer`` with the reference answer."""
        return self.compare(answer, self.reference_answer(*given))


@functools.lru_cache(maxsize=4)
def canonical_world(preset: str = "default", seed: int = 0) -> Any:
    """The world the notebooks generate (``generate_world(preset, seed)``), built once per process.

    Parameters
    ----------
    preset : str
        World preset (``"default"``, ``"tiny"``, …).
    seed : int

    Returns
    -------
    mixlab.world.World

    Used in: the reference answers of most lesson catalogs, and the hidden cases of some
    implement-it tasks (domain shares, audit sample).
    """
    from mixlab.world import generate_world

    return generate_world(preset, seed=seed)


# ============================================================================ discovery
def catalog_module_name(section: str) -> str:
    """The catalog module of a section: ``"2.2"`` → ``"s2_2"``, ``"00"`` → ``"s00"``, ``"A.1"`` → ``"sA_1"``.

    Parameters
    ----------
    section : str

    Returns
    -------
    str

    Used in: the registry; docs/notebook-guide.md.
    """
    return "s" + section.replace(".", "_")


def _load_catalog(name: str) -> list[Exercise]:
    module = importlib.import_module(f"{_CATALOG}.{name}")
    section = getattr(module, "SECTION", None)
    items = getattr(module, "EXERCISES", None)
    if not isinstance(section, str) or catalog_module_name(section) != name:
        raise ValueError(f"catalog {name}: SECTION must be the section the module is named for "
                         f"(module {name}, got SECTION={section!r})")
    if not isinstance(items, list | tuple):
        raise ValueError(f"catalog {name}: EXERCISES must be a list of exercises (got {type(items).__name__})")
    for item in items:
        if not isinstance(item, Exercise):
            raise TypeError(f"catalog {name}: EXERCISES must hold Exercise objects (got {type(item).__name__})")
        if item.section != section:
            raise ValueError(f"catalog {name}: exercise {item.id!r} does not belong to section {section}")
    return list(items)


@functools.lru_cache(maxsize=1)
def _registry() -> dict[str, Exercise]:
    catalog = importlib.import_module(_CATALOG)
    found: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(catalog.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        for item in _load_catalog(info.name):
            if item.id in found:
                raise ValueError(f"exercise id {item.id!r} is registered twice")
            found[item.id] = item
    return found


def all_exercises() -> dict[str, Exercise]:
    """Every registered exercise by id, lessons in catalog order.

    Returns
    -------
    dict of str to Exercise

    Raises
    ------
    ValueError, TypeError
        If a catalog is malformed (wrong SECTION, an id of another section, a duplicate id).

    Used in: the exercise tests; :func:`lesson_exercises`.
    """
    return dict(_registry())


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise with this id.

    Parameters
    ----------
    exercise_id : str

    Returns
    -------
    Exercise

    Raises
    ------
    ValueError
        If no exercise has this id (the message lists the close matches).
    TypeError
        If the id is not a string.

    Used in: :func:`check`, :func:`exercise`, :func:`~mixlab.exercises.predict.predict`.
    """
    reg = _registry()
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise_id must be a string like '2.2/doc-to-token-weights' (got {exercise_id!r})")
    if exercise_id not in reg:
        near = difflib.get_close_matches(exercise_id, list(reg), n=3)
        hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
        raise ValueError(f"exercise_id must be a registered exercise (got {exercise_id!r}){hint}")
    return reg[exercise_id]


def lesson_exercises(section: str) -> list[Exercise]:
    """The exercises of one lesson section, in catalog order.

    Parameters
    ----------
    section : str
        E.g. ``"2.2"``.

    Returns
    -------
    list of Exercise
        Empty for a section without a catalog.

    Used in: :func:`exercise_overview`; the notebook tests.
    """
    return [e for e in _registry().values() if e.section == section]


# ============================================================================ notebook calls
def exercise(exercise_id: str) -> Exercise:
    """Show an exercise's header: title, kind, estimated time, statement and the check call.

    Parameters
    ----------
    exercise_id : str
        E.g. ``"2.2/doc-to-token-weights"``.

    Returns
    -------
    Exercise
        Displays as the header (Markdown in Jupyter, text elsewhere).

    Raises
    ------
    ValueError
        If the id is not registered.

    Used in: every lesson's exercise headers.
    """
    return get_exercise(exercise_id)


def check(exercise_id: str, answer: Any, *given: Any) -> Verdict:
    """Judge the learner's answer to an exercise: ✓, or ✗ with what looks wrong.

    Parameters
    ----------
    exercise_id : str
        E.g. ``"2.2/doc-to-token-weights"``.
    answer : object
        The learner's answer: a value (compute), a function (implement) or a letter (predict).
        The placeholder ``...`` and an unfinished stub give a graceful "not yet".
    *given : object
        Objects of the notebook the reference answer is computed from, when the exercise
        says so (names only, never an expected value).

    Returns
    -------
    Verdict
        ✓, or ✗ naming the likely mistake; a graceful "not yet" for the placeholder ``...`` or
        an unfinished stub (never a traceback).

    Raises
    ------
    ValueError
        If the id is not registered (an error in the notebook, not in the answer).

    Used in: every lesson's check cells.
    """
    return get_exercise(exercise_id).check(answer, *given)


@dataclass(frozen=True)
class Overview:
    """A table of a lesson's exercises (title, kind, minutes, id), shown in the closing note.

    Used in: no lesson by name; :func:`exercise_overview` returns it for every lesson's closing note.
    """

    section: str
    items: Sequence[Exercise] = field(default_factory=tuple)

    @property
    def minutes(self) -> int:
        """Total estimated minutes."""
        return sum(e.minutes for e in self.items)

    def __repr__(self) -> str:
        width = max((len(e.title) for e in self.items), default=5)
        lines = [f"Exercises of {self.section}: {len(self.items)}, about {self.minutes} min in all"]
        lines += [f"  {e.title:<{width}}  {e.kind:<9}  {e.minutes:>3} min  {e.id}" for e in self.items]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| {html.escape(e.title)} | {e.kind} | {e.minutes} | `{e.id}` |" for e in self.items)
        return (f"| exercise | kind | minutes | id |\n| --- | --- | ---: | --- |\n{rows}\n\n"
                f"{len(self.items)} exercises, about {self.minutes} min in all.")


def exercise_overview(section: str) -> Overview:
    """List a lesson's exercises with their kind and estimated time.

    Parameters
    ----------
    section : str
        The lesson whose exercises to list.

    Returns
    -------
    Overview
        One row per exercise (title, kind, minutes, id) and the total of the minutes.

    Raises
    ------
    ValueError
        If the section has no registered exercise.

    Used in: every lesson's closing note.
    """
    items = lesson_exercises(section)
    if not items:
        raise ValueError(f"section must have registered exercises (got {section!r}, which has none)")
    return Overview(section, tuple(items))
