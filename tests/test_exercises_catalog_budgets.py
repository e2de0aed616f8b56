"""The exercises of 2.5 and 3.1–3.3: each known slip of a compute exercise gets the hint that names it,
and each prediction's computed answer is the option the lesson's cells show."""

from __future__ import annotations

import pandas as pd
import pytest

from mixlab.budget import llama1_table
from mixlab.domains import domain_stats
from mixlab.exercises import check, predict
from mixlab.exercises.registry import canonical_world, get_exercise
from mixlab.mixers import proportional, uniform_by_document, uniform_by_token


@pytest.fixture(scope="module")
def stats() -> pd.DataFrame:
    return domain_stats(canonical_world().train)


def _hint(eid: str, answer: object) -> str:
    verdict = check(eid, answer)
    assert not verdict.ok and verdict.answered, verdict
    return repr(verdict)


def test_largest_compute_slips() -> None:
    right = get_exercise("2.5/largest-compute-7b").reference_answer()
    t = llama1_table()
    unique = float((t["share"] * t.attrs["budget"] / t["epochs"]).sum())
    assert check("2.5/largest-compute-7b", float(f"{right:.3g}")).ok  # three significant digits are enough
    assert "left out the 6" in _hint("2.5/largest-compute-7b", right / 6)
    assert "You used 1.4T" in _hint("2.5/largest-compute-7b", 6 * 7e9 * 4 * 1.4e12)
    assert "left out E_max" in _hint("2.5/largest-compute-7b", right / 4)
    assert "token budget D" in _hint("2.5/largest-compute-7b", 4 * unique)


def test_feasibility_and_repair(stats: pd.DataFrame) -> None:
    assert check("2.5/feasible-at-three-epochs", False).ok and not check("2.5/feasible-at-three-epochs", True).ok
    assert "Over the epoch cap" in _hint("2.5/repair-at-eight-million", uniform_by_token(stats))


def test_books_epochs_slips(stats: pd.DataFrame) -> None:
    one_kth = 1_000_000 / len(stats) / float(stats["tokens"]["books"])
    assert "document weight 1/k" in _hint("3.1/books-epochs-at-1m", one_kth)
    right = get_exercise("3.1/books-epochs-at-1m").reference_answer()
    assert "reciprocal" in _hint("3.1/books-epochs-at-1m", 1 / right)


def test_ten_chapters_slips(stats: pd.DataFrame) -> None:
    today = float(uniform_by_document(stats).to_tokens(stats)["books"])
    assert "books' share today" in _hint("3.1/books-share-ten-chapters", today)
    assert "renormalized" in _hint("3.1/books-share-ten-chapters", today / 10)
    right = get_exercise("3.1/books-share-ten-chapters").reference_answer()
    assert "percentage" in _hint("3.1/books-share-ten-chapters", 100 * right)


def test_safe_budget_slips(stats: pd.DataFrame) -> None:
    kept = stats["tokens"].drop("books")
    assert "You kept k = 6" in _hint("3.2/largest-budget-without-books", 6 * 4 * int(kept.min()))
    assert "no longer in the mix" in _hint("3.2/largest-budget-without-books", 6 * 4 * int(stats["tokens"].min()))
    assert "left out E_max" in _hint("3.2/largest-budget-without-books", 5 * int(kept.min()))


def test_document_share_slips(stats: pd.DataFrame) -> None:
    assert "share of the tokens" in _hint("3.2/wiki-document-share-three-domains", 1 / 3)
    all_six = float(uniform_by_token(stats).to_documents(stats)["wiki"])
    assert "with all six domains" in _hint("3.2/wiki-document-share-three-domains", all_six)


def test_proportional_and_growth_slips(stats: pd.DataFrame) -> None:
    sub = stats.loc[["code", "math", "books"]]
    assert "shares of the documents" in _hint("3.3/proportional-three-domains", proportional(sub, by="docs").weights)
    right = get_exercise("3.3/web-growth-for-ninety-percent").reference_answer()
    assert "(f − 1)" in _hint("3.3/web-growth-for-ninety-percent", right - 1)
    assert check("3.3/web-growth-for-ninety-percent", round(right, 3)).ok


@pytest.mark.parametrize(("eid", "letter"), [("2.5/wiki-after-projection", "b"), ("3.1/books-in-chapters", "c"),
                                             ("3.2/most-documents", "b"), ("3.3/which-domains-starve", "b")])
def test_predictions_match_what_the_lessons_show(eid: str, letter: str) -> None:
    # the letters are computed from the world (and, for 3.3, from the proxy runs); the notebooks' prose
    # explains these outcomes, so a change of world that flips one must fail here first
    assert predict(eid, letter).ok


def test_the_written_down_letter_of_3_3_is_what_the_proxy_runs_give() -> None:
    from mixlab.exercises.catalog.s3_3 import starving_domains_outcome

    assert starving_domains_outcome() == get_exercise("3.3/which-domains-starve").reference_answer()
