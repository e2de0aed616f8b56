"""Predict, then run: the learner commits to one lettered option before the cells that reveal the answer.

A :class:`PredictExercise` holds the question (its statement), the options ``a``, ``b``, …, the
right letter — given, or computed inside mixlab from the canonical world so that it can never
disagree with what the next cells show — and an explanation. :func:`predict` compares the
learner's letter with it: ✓ or ✗, then the explanation (which may point at the cells that
follow). While the answer is still ``...`` it lists the options and asks for a letter.

Used in: the predict questions of every lesson but the build appendix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from mixlab.exercises.registry import Exercise, cached, get_exercise
from mixlab.exercises.verdicts import Verdict, wrong

__all__ = ["PredictExercise", "predict"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class PredictExercise(Exercise):
    """A question with lettered options, asked before the cells that answer it.

    Attributes
    ----------
    options : mapping letter → text
        Two to six options keyed ``"a"``, ``"b"``, … in order.
    answer : str or callable
        The right letter, or a function of no arguments that computes it with mixlab.
    explanation : str
        Why the right option is right (shown after any prediction).

    Raises
    ------
    ValueError
        If the options are not keyed a, b, c, … or a given answer is not one of them.

    Used in: the predict questions of the lesson catalogs.
    """

    kind: ClassVar[str] = "predict"
    answer_name: ClassVar[str] = "prediction"
    options: Mapping[str, str]
    answer: str | Callable[[], str]
    explanation: str

    def __post_init__(self) -> None:
        super().__post_init__()
        letters = list(self.options)
        if not 2 <= len(letters) <= 6 or letters != [chr(ord("a") + i) for i in range(len(letters))]:
            raise ValueError(f"{self.id}: options must be keyed 'a', 'b', … in order, 2 to 6 of them (got {letters})")
        if isinstance(self.answer, str) and self.answer not in self.options:
            raise ValueError(f"{self.id}: answer must be one of the option letters {letters} (got {self.answer!r})")
        if not isinstance(self.explanation, str) or not self.explanation.strip():
            raise ValueError(f"{self.id}: explanation must be a non-empty string (got {self.explanation!r})")

    def check_call(self) -> str:
        """``predict("2.2/x", prediction)``."""
        return f'predict("{self.id}", {self.answer_name})'

    def _extra_lines(self) -> list[str]:
        return ["", *[f"  ({k}) {v}" for k, v in self.options.items()], "",
                "Commit to one letter in the next cell before you run the cells after it."]

    def _extra_markdown(self) -> str:
        options = "\n".join(f"- **({k})** {v}" for k, v in self.options.items())
        return f"{options}\n\nCommit to one letter in the next cell before you run the cells after it."

    def reference_answer(self, *given: Any) -> str:
        """The right letter (computed once per process if it is a function)."""
        if isinstance(self.answer, str):
            return self.answer
        letter = cached(self.id, self.answer)
        if letter not in self.options:
            raise ValueError(f"{self.id}: the computed answer must be an option letter (got {letter!r})")
        return str(letter)

    def _read(self, prediction: Any) -> str | Verdict:
        letters = ", ".join(self.options)
        if prediction is Ellipsis or prediction is None:
            return Verdict(False, f"make your prediction first: set {self.answer_name} to one of {letters}.",
                           details=[f"({k}) {v}" for k, v in self.options.items()], answered=False)
        text = prediction.strip().strip("()").strip().lower() if isinstance(prediction, str) else None
        if text not in self.options:
            return wrong(f"could not read your prediction {prediction!r}: give one letter, {letters} (in quotes).")
        return str(text)

    def check(self, answer: Any, *given: Any) -> Verdict:
        """Compare the learner's letter with the right one and explain."""
        if given:
            raise TypeError(f"{self.id}: a prediction check takes only the letter (got {len(given)} more arguments)")
        letter = self._read(answer)
        if isinstance(letter, Verdict):
            return letter
        right_letter = self.reference_answer()
        if letter == right_letter:
            return Verdict(True, f"({letter}) {self.options[letter]}.", why=self.explanation)
        return Verdict(False, f"you predicted ({letter}) {self.options[letter]}; the answer is ({right_letter}) "
                       f"{self.options[right_letter]}.", why=self.explanation)


def predict(exercise_id: str, prediction: Any) -> Verdict:
    """Judge a prediction: ✓ or ✗, and the explanation; lists the options while it is still ``...``.

    Parameters
    ----------
    exercise_id : str
        The id of a predict question, e.g. ``"2.2/which-domain-gains"``.
    prediction : str
        One option letter (``"b"``; ``"(b)"`` and ``"B"`` are read too).

    Returns
    -------
    Verdict
        ✓ or ✗ followed by the explanation; while the prediction is still ``...``, a "not yet"
        that lists the options.

    Raises
    ------
    ValueError
        If the id is not registered or is not a predict question.

    Used in: every lesson's predict questions (predict, then run); the build appendix has none.
    """
    item = get_exercise(exercise_id)
    if not isinstance(item, PredictExercise):
        raise ValueError(f"exercise_id must name a predict question (got {exercise_id!r}, a {item.kind} exercise; "
                         f"use {item.check_call()})")
    return item.check(prediction)
