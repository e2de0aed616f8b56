"""Verdicts: what a checker says about an answer, rendered as plain text and HTML.

A :class:`Verdict` is ✓ (right) or ✗ (not yet) with a message, hints that name the likely
mistake, and optional detail lines (the failing case of an implement-it exercise). The marks
are the check mark U+2713 and the ballot X U+2717, which the common fonts have (DejaVu,
Liberation, Noto, Segoe UI Symbol), unlike the emoji ✅/❌ that render as empty boxes without an
emoji font.

:func:`reveal` wraps a prose solution in a collapsible ``<details>`` block.

Used in: every "check yourself" cell of every lesson.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["MARK_RIGHT", "MARK_WRONG", "Verdict", "Reveal", "reveal", "right", "wrong", "unanswered"]

#: The mark of a right answer (U+2713 CHECK MARK).
MARK_RIGHT = "✓"
#: The mark of an answer that is not right yet (U+2717 BALLOT X).
MARK_WRONG = "✗"

_GREEN = "#1a7f37"
_RED = "#b42318"


@dataclass(frozen=True)
class Verdict:
    """The result of checking an answer.

    Attributes
    ----------
    ok : bool
        True when the answer is right. ``bool(verdict)`` is the same.
    message : str
        One or two sentences on what was found.
    hints : list of str
        What to look at next (empty for a right answer).
    details : list of str
        Extra lines shown as they are, e.g. the inputs, expected and returned values of the first
        failing case of an implement-it exercise.
    answered : bool
        False when there was no answer to judge yet (the placeholder ``...`` or a stub that
        raises ``NotImplementedError``).
    why : str
        An explanation shown after the verdict (the reasoning behind a prediction question).

    Used in: every "check yourself" cell.
    """

    ok: bool
    message: str
    hints: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    answered: bool = True
    why: str = ""

    def __bool__(self) -> bool:
        return self.ok

    @property
    def head(self) -> str:
        """``"✓ Correct."`` or ``"✗ Not yet."``."""
        return f"{MARK_RIGHT} Correct." if self.ok else f"{MARK_WRONG} Not yet."

    def __repr__(self) -> str:
        lines = [f"{self.head} {self.message}"]
        lines += [f"    {d}" for d in self.details]
        lines += [f"  hint: {h}" for h in self.hints]
        if self.why:
            lines.append(f"  why: {self.why}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        color = _GREEN if self.ok else _RED
        state = "right" if self.ok else ("wrong" if self.answered else "unanswered")
        out = [f'<div class="mixlab-verdict" data-verdict="{state}"><strong style="color:{color}">'
               f"{html.escape(self.head)}</strong> {html.escape(self.message)}"]
        if self.details:
            out.append("<pre>" + html.escape("\n".join(self.details)) + "</pre>")
        if self.hints:
            out.append("<ul>" + "".join(f"<li><em>Hint:</em> {html.escape(h)}</li>" for h in self.hints) + "</ul>")
        if self.why:
            out.append(f"<p><em>Why:</em> {html.escape(self.why)}</p>")
        out.append("</div>")
        return "".join(out)


def right(message: str) -> Verdict:
    """A ✓ verdict.

    Parameters
    ----------
    message : str

    Returns
    -------
    Verdict

    Used in: the comparison modules of this package.
    """
    return Verdict(True, message, [])


def wrong(message: str, hints: Sequence[str] = (), extra: Sequence[str] | None = None,
          details: Sequence[str] = ()) -> Verdict:
    """A ✗ verdict with ``hints`` then the exercise's ``extra`` hints (blank and repeated ones dropped).

    Parameters
    ----------
    message : str
    hints : sequence of str
        Hints naming the mistake.
    extra : sequence of str, optional
        The exercise's own hints.
    details : sequence of str
        Lines shown as they are (a failing case).

    Returns
    -------
    Verdict

    Used in: the comparison modules of this package; the exercise catalogs of 3.1 and 3.4.
    """
    out = [h for h in hints if h]
    out += [h for h in (extra or ()) if h and h not in out]
    return Verdict(False, message, out, list(details))


def unanswered(message: str, hints: Sequence[str] = ()) -> Verdict:
    """A ✗ verdict for an answer that is not there yet (placeholder or unfinished stub).

    Parameters
    ----------
    message : str
    hints : sequence of str

    Returns
    -------
    Verdict
        With ``answered=False``.

    Used in: the comparison modules and the implement-it runner.
    """
    return Verdict(False, message, list(hints), [], answered=False)


# ============================================================================ solutions
@dataclass(frozen=True)
class Reveal:
    """A collapsible block shown as ``<details><summary>…</summary>…</details>`` in Jupyter.

    Attributes
    ----------
    text : str
        Markdown (prose, formulas) shown when expanded.
    summary : str
        The clickable line.

    Used in: no lesson at present (what :func:`reveal` returns).
    """

    text: str
    summary: str = "Show solution"

    def _repr_markdown_(self) -> str:
        return f"<details>\n<summary>{html.escape(self.summary)}</summary>\n\n{self.text}\n\n</details>"

    def __repr__(self) -> str:
        return f"[{self.summary}: hidden — expand it in Jupyter]"


def reveal(text: str, summary: str = "Show solution") -> Reveal:
    """Wrap a prose solution in a collapsible block (collapsed until the learner clicks it).

    Parameters
    ----------
    text : str
        Markdown text of the solution.
    summary : str
        The line shown while collapsed.

    Returns
    -------
    Reveal
        Displays as ``<details><summary>Show solution</summary>…</details>``.

    Raises
    ------
    TypeError
        If ``text`` or ``summary`` is not a string.

    Used in: no lesson at present; ready for prose solutions in an Exercises section.
    """
    if not isinstance(text, str) or not isinstance(summary, str):
        raise TypeError(f"reveal needs strings (got text: {type(text).__name__}, summary: {type(summary).__name__})")
    return Reveal(text, summary)
