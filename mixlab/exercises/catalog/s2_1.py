"""Exercises of 2.1 (domains): one prediction, one function to write, three values to compute.

Every reference answer is computed here from the notebook's training corpus (``train``, which the
check cells pass; ``generate_world("default", seed=0)`` when called without it), never typed;
none of them is printed in the notebook. The hints' slip values are computed only for a wrong
answer, so the notebook never generates a second world. The prediction's letter is a literal,
checked against the world by tests/test_exercises_chapter2_catalogs.py.

Used in: 2.1.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number_lazy
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, canonical_world
from mixlab.exercises.tasks_chapter2 import DOMAIN_SHARES
from mixlab.exercises.verdicts import Verdict

SECTION = "2.1"

#: The options of the prediction: the token share each names (the nearest on a log scale is right).
BOOK_SHARE_OPTIONS = {"a": 0.005, "b": 0.02, "c": 0.06, "d": 0.25}


def _at(frame: pd.DataFrame, row: str, col: str) -> float:
    """One cell of a table as a float."""
    return float(frame[col].astype(float)[row])


def _train(train: Any = None) -> Any:
    """The notebook's training corpus when the check cell passes it, else the canonical world's."""
    return canonical_world().train if train is None else train


def books_token_share_option(train: Any = None) -> str:
    """The option nearest (on a log scale) to books' token share: the prediction's right letter."""
    import math

    from mixlab.domains import domain_stats

    share = _at(domain_stats(_train(train)), "books", "share_tokens")
    return min(BOOK_SHARE_OPTIONS, key=lambda k: abs(math.log(BOOK_SHARE_OPTIONS[k] / share)))


def _web_to_code(threshold: float, weighted: bool, train: Any = None) -> float:
    from mixlab.domains import bytes_per_token_rule, confusion, derive_labels

    train = _train(train)
    labels = derive_labels(train, bytes_per_token_rule(threshold))
    weights = train.docs["n_tokens"] if weighted else None
    return _at(confusion(train.docs["domain"], labels, weights=weights, normalize="index"), "web", "code")


def _stricter_slips() -> dict[str, float]:
    return {
        "That is the share of web *documents* moved; the question asks for the share of web *tokens*.":
            _web_to_code(4.3, weighted=False),
        "That is the 4.6 rule of section 4; lower the threshold to 4.3.": _web_to_code(4.6, weighted=True),
    }


def _compare_stricter(answer: Any, expected: float) -> Verdict:
    hint = ("Build the labels with derive_labels(train, bytes_per_token_rule(4.3)), then read the token-weighted "
            "confusion table row by row (normalize='index').")
    return compare_number_lazy(answer, expected, rtol=1e-3, what="share of web tokens moved to code",
                               slips=_stricter_slips, hints=[hint])


def _derived_code_tokens(train: Any = None) -> pd.DataFrame:
    from mixlab.domains import bytes_per_token_rule, confusion, derive_labels

    train = _train(train)
    labels = derive_labels(train, bytes_per_token_rule(4.6))
    return confusion(train.docs["domain"], labels, weights=train.docs["n_tokens"])


def _web_share_of_code(train: Any = None) -> float:
    c = _derived_code_tokens(train)
    return float(_at(c, "web", "code") / c["code"].sum())


def _web_share_slips() -> dict[str, float]:
    from mixlab.domains import bytes_per_token_rule, confusion, derive_labels

    train = _train()
    c_tok = _derived_code_tokens()
    c_doc = confusion(train.docs["domain"], derive_labels(train, bytes_per_token_rule(4.6)))
    row_view = _at(c_tok, "web", "code") / float(c_tok.sum(axis=1)["web"])
    return {
        "That is the share of web's tokens that moved to code (the row view); the question is about the code "
        "column: of all tokens labelled code, which share is web?": row_view,
        "That is the document view; weight each record by its tokens.":
            float(_at(c_doc, "web", "code") / c_doc["code"].sum()),
        "That is the share of the code column that truly is code; the question asks for web.":
            float(_at(c_tok, "code", "code") / c_tok["code"].sum()),
    }


def _compare_web_share(answer: Any, expected: float) -> Verdict:
    hint = "Divide the web → code cell of the token confusion table by the sum of its code column."
    return compare_number_lazy(answer, expected, rtol=1e-3, slips=_web_share_slips, hints=[hint],
                               what="share of the code-labelled tokens that come from web")


def _noisy_stats(fraction: float, seed: int, train: Any = None) -> pd.DataFrame:
    from mixlab.domains import domain_stats, mislabel, relabel

    train = _train(train)
    noisy = mislabel(train.docs["domain"], train.domains, fraction=fraction, seed=seed)
    return domain_stats(relabel(train, noisy, reason=f"exercise: {fraction:.0%} noise"))


def _noisy_books_slips() -> dict[str, float]:
    from mixlab.domains import domain_stats

    return {
        "That is the *document* share of books under the noisy labels; the question asks for the token share.":
            _at(_noisy_stats(0.20, 3), "books", "share_docs"),
        "That is the true token share of books (source labels); relabel the corpus with the noisy labels first.":
            _at(domain_stats(_train()), "books", "share_tokens"),
        "That is the 10 % noise of section 5 (seed 1); use fraction=0.20 and seed=3.":
            _at(_noisy_stats(0.10, 1), "books", "share_tokens"),
    }


def _compare_noisy_books(answer: Any, expected: float) -> Verdict:
    hint = "mislabel(...), then relabel(...), then domain_stats(...)['share_tokens']."
    return compare_number_lazy(answer, expected, rtol=1e-3, slips=_noisy_books_slips, hints=[hint],
                               what="token share of books under 20 % label noise")


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="2.1/books-token-share",
        title="How many tokens are books?",
        minutes=2,
        statement="Books are the smallest domain by documents (the record counts printed in section 2), and a "
                  "book is long. Before running the next cells, predict: what share of all training **tokens** "
                  "comes from books?",
        options={"a": "about 0.5 %: the same as its share of the documents",
                 "b": "about 2 %",
                 "c": "about 6 %",
                 "d": "about 25 %"},
        answer="c",  # = books_token_share_option(), checked by the tests
        explanation="share_tok_i = share_doc_i · t̄_i / t̄: a domain's token share is its document share times how "
                    "much longer its documents are than the corpus average. Books are about a dozen times longer "
                    "than the average document, so a half-percent document share becomes a token share near 6 %; "
                    "the table below shows both views.",
    ),
    ImplementExercise(
        id="2.1/implement-domain-shares",
        title="Write both views of domain size",
        minutes=10,
        statement="Write `domain_shares(docs, domains)`. `docs` is a records table, a DataFrame with one row per "
                  "document and the columns `doc_id`, `domain` (a plain text label) and `n_tokens`; `domains` is "
                  "the list of declared domain names. Return a DataFrame indexed by the declared domains, in that "
                  "order, with the columns `share_docs` ($N_i / \\sum_j N_j$) and `share_tokens` "
                  "($T_i / \\sum_j T_j$). A declared domain with no record still gets a row, with zeros. Use "
                  "pandas (`groupby`, `reindex`), not `domain_stats`.",
        task=DOMAIN_SHARES,
    ),
    ComputeExercise(
        id="2.1/stricter-code-rule",
        title="A stricter code rule",
        minutes=5,
        statement="Lower the code rule's threshold from 4.6 to **4.3** bytes per token "
                  "(`bytes_per_token_rule(4.3)`). What fraction of the **web tokens** does it now move into "
                  "`code`? Give a fraction (e.g. 0.25).",
        reference=lambda train=None: _web_to_code(4.3, weighted=True, train=train),
        compare=_compare_stricter,
        decimals=4,
    ),
    ComputeExercise(
        id="2.1/web-in-derived-code",
        title="What is in the derived code domain?",
        minutes=4,
        statement="Under the derived labels of section 4 (the 4.6 rule, `derived`), of all the **tokens** labelled "
                  "`code`, what fraction truly comes from `web` (source label)? Give a fraction.",
        reference=lambda train=None: _web_share_of_code(train),
        compare=_compare_web_share,
        decimals=4,
    ),
    ComputeExercise(
        id="2.1/books-share-more-noise",
        title="More label noise",
        minutes=5,
        statement="Mislabel **20 %** of the records with `seed=3` (`mislabel(source, train.domains, fraction=0.20, "
                  "seed=3)`). What is the **token share** of `books` under the noisy labels (a fraction)? Then "
                  "explain the direction of the change with the table of what books received in section 5.",
        reference=lambda train=None: _at(_noisy_stats(0.20, 3, train), "books", "share_tokens"),
        compare=_compare_noisy_books,
        decimals=4,
    ),
]
