"""Progress bars for long loops (proxy sweeps, searches, ranking studies): one tqdm wrapper.

Bars are welcome on long loops and silenced under tests and notebook runs by ``TQDM_DISABLE=1``
(CONVENTIONS.md). This module is the one place that turns a ``progress: bool`` argument into a
bar, so that the environment variable is honoured the same way everywhere. tqdm is imported
when a bar is made, not when mixlab is.

Used in: no lesson directly; every function with a ``progress`` argument shows its bar with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["progress_bar"]

T = TypeVar("T")


def progress_bar(iterable: Iterable[T] | None, progress: bool, *, desc: str, total: int | None = None) -> tqdm[T]:
    """A tqdm bar over ``iterable`` (or a manual one with ``total`` steps), shown when ``progress`` is True.

    ``disable=True`` is passed only when ``progress`` is False, so that ``TQDM_DISABLE=1`` still
    silences the bar otherwise.

    Parameters
    ----------
    iterable : iterable or None
        What to loop over; ``None`` for a bar advanced by hand with ``bar.update(1)``.
    progress : bool
        Show the bar.
    desc : str
        Label printed before the bar.
    total : int, optional
        Number of steps (needed without an iterable of known length).

    Returns
    -------
    tqdm.tqdm
        Iterate over it like ``iterable``; ``close()`` a manual bar when done.

    Raises
    ------
    TypeError
        If ``progress`` is not a bool.

    Used in: no lesson directly (lessons pass ``progress=False``).
    """
    from tqdm.auto import tqdm

    if not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool (got {progress!r})")
    options = {} if progress else {"disable": True}
    return tqdm(iterable, desc=desc, total=total, **options)
