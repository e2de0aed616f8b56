"""Tests for mixlab.corpus: the Corpus table's construction checks name the column, the value and the row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixlab.corpus import Corpus


def _docs(**changes: object) -> pd.DataFrame:
    docs = pd.DataFrame(
        {
            "doc_id": ["a", "b", "c"],
            "domain": pd.Categorical(["x", "y", "x"], categories=["x", "y"]),
            "start": [0, 2, 5],
            "n_tokens": [2, 3, 1],
            "n_bytes": [8, 12, 4],
            "quality": [0.5, 0.9, 0.1],
        }
    )
    for column, value in changes.items():
        docs[column] = value
    return docs


def _corpus(docs: pd.DataFrame) -> Corpus:
    return Corpus(docs, np.arange(6, dtype=np.int32), ("x", "y"), 8)


def test_valid_corpus_accepts_integral_floats() -> None:
    c = _corpus(_docs(n_tokens=[2.0, 3.0, 1.0]))
    assert c.n_tokens == 6 and c.token_counts().tolist() == [3, 3]


@pytest.mark.parametrize(
    ("column", "values", "exc", "pattern"),
    [
        ("n_tokens", [2.0, np.nan, 1.0], ValueError, r"n_tokens must hold whole numbers \(got NaN at row 1; 1 such"),
        ("n_tokens", [2.0, 2.5, 1.0], ValueError, r"docs\.n_tokens must hold whole numbers \(got 2\.5 at row 1"),
        ("start", [0.0, np.inf, 5.0], ValueError, r"docs\.start must hold whole numbers \(got inf at row 1"),
        ("n_bytes", [np.nan, 1.0, 1.0], ValueError, r"docs\.n_bytes must hold whole numbers \(got NaN at row 0"),
        ("n_tokens", [True, True, True], TypeError, r"docs\.n_tokens must hold integers \(got dtype bool\)"),
        ("n_tokens", ["2", "3", "1"], TypeError, r"docs\.n_tokens must hold integers \(got dtype (object|str)\)"),
        ("quality", [0.5, np.nan, 0.1], ValueError, r"docs\.quality must lie in \[0, 1\] \(got nan at row 1"),
        ("quality", [0.5, 1.5, 0.1], ValueError, r"docs\.quality must lie in \[0, 1\] \(got 1\.5 at row 1"),
        ("quality", ["a", "b", "c"], TypeError, r"docs\.quality must be numeric"),
        ("n_tokens", [2, 0, 1], ValueError, r"docs\.n_tokens must be >= 1"),
        ("start", [0, 2, 6], ValueError, r"must lie inside tokens"),
    ],
)
def test_bad_columns_are_named(column: str, values: list, exc: type, pattern: str) -> None:
    with pytest.raises(exc, match=pattern):
        _corpus(_docs(**{column: values}))
