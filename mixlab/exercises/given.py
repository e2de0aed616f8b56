"""Compute exercises whose check cell passes notebook objects by name, shown in the header too.

A reference answer that needs an object the notebook already built (its ``stats`` table, a
sweep) can take it as an argument, so the check does not rebuild it (regenerating the world
inside a lesson costs a noticeable part of its few seconds). :class:`GivenComputeExercise` is a
:class:`~mixlab.exercises.registry.ComputeExercise` that names those objects, so its header shows
the check call exactly as the check cell writes it (``check("1.1/…", answer, stats)``), and
that refuses a check with the wrong number of them. Its reference must also work with no
arguments (from the canonical world), for the tests that look for leaked answers.

Used in: the compute exercises of 00, 1.1, 1.2 and 2.4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mixlab.exercises.registry import ComputeExercise
from mixlab.exercises.verdicts import Verdict

__all__ = ["GivenComputeExercise"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class GivenComputeExercise(ComputeExercise):
    """A compute exercise whose check cell passes notebook objects by name.

    Attributes
    ----------
    given : tuple of str
        The names the check cell passes after the answer (e.g. ``("stats",)``), in order.

    Raises
    ------
    ValueError
        On an empty ``given`` or a name that is not a Python identifier.

    Used in: the compute exercises of 00, 1.1, 1.2 and 2.4.
    """

    given: tuple[str, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.given or not all(isinstance(g, str) and g.isidentifier() for g in self.given):
            raise ValueError(f"{self.id}: given must name at least one notebook object, each an identifier "
                             f"(got {self.given!r})")

    def check_call(self) -> str:
        """``check("1.1/x", answer, stats)``."""
        return f'check("{self.id}", {self.answer_name}, {", ".join(self.given)})'

    def check(self, answer: Any, *given: Any) -> Verdict:
        """Compare ``answer`` with the reference computed from the objects passed.

        Raises
        ------
        TypeError
            If the check cell passes another number of objects than ``given`` names.
        """
        if given and len(given) != len(self.given):
            raise TypeError(f"{self.id}: the check passes {', '.join(self.given)} after the answer "
                            f"(got {len(given)} objects): use {self.check_call()}")
        return super().check(answer, *given)
