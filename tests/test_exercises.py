"""Tests for mixlab.exercises: right answers pass, every recognized mistake gets its hint, nothing raises."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mixlab import mixers
from mixlab.budget import epochs_from_weights
from mixlab.exercises import (
    Reveal,
    Verdict,
    compare_epochs,
    compare_feasible,
    compare_mixture,
    compare_number,
    compare_ranking,
    compare_temperature_weights,
    reveal,
)
from mixlab.mixture import Mixture

COUNTS = pd.DataFrame(
    {"docs": [1000, 50, 300, 20], "tokens": [500_000, 400_000, 90_000, 10_000]},
    index=pd.Index(["web", "books", "code", "math"], name="domain"),
)
DOMAINS = list(COUNTS.index)
EXPECTED = mixers.uniform_by_document(COUNTS).to_tokens(COUNTS)  # token weights ∝ mean length


def text(v: Verdict) -> str:
    return (v.message + " " + " ".join(v.hints)).lower()


def as_dict(m: Mixture, scale: float = 1.0) -> dict[str, float]:
    return {d: w * scale for d, w in m.items()}


# ---------------------------------------------------------------- Verdict and reveal
def test_verdict_displays() -> None:
    good = Verdict(True, "fine")
    bad = Verdict(False, "no", ["look here"], ["w = 0.5"])
    assert bool(good) and not bool(bad)
    assert repr(good) == "✓ Correct. fine"
    assert repr(bad) == "✗ Not yet. no\n    w = 0.5\n  hint: look here"
    page = bad._repr_html_()
    assert "✗ Not yet." in page and "<li><em>Hint:</em> look here</li>" in page and "<pre>w = 0.5</pre>" in page
    assert "&lt;x&gt;" in Verdict(False, "e_i <x>")._repr_html_()
    assert "<em>Why:</em> because" in Verdict(True, "ok", why="because")._repr_html_()
    for text in (repr(good), repr(bad), page):  # no emoji: the marks render in fonts without an emoji set
        assert not any(ord(ch) > 0x1F000 or ch in "✅❌" for ch in text)


def test_reveal_is_collapsed_details() -> None:
    r = reveal("Divide by the **sum**.")
    assert isinstance(r, Reveal)
    md = r._repr_markdown_()
    assert md.startswith("<details>") and "<summary>Show solution</summary>" in md
    assert "Divide by the **sum**." in md and md.endswith("</details>")
    assert "hidden" in repr(r)
    assert "<summary>Why?</summary>" in reveal("x", summary="Why?")._repr_markdown_()
    with pytest.raises(TypeError):
        reveal(3)  # type: ignore[arg-type]


# ---------------------------------------------------------------- compare_mixture
@pytest.mark.parametrize("answer", [EXPECTED, EXPECTED.weights, as_dict(EXPECTED), list(EXPECTED.as_array())])
def test_compare_mixture_accepts_right_answers_in_any_container(answer: object) -> None:
    v = compare_mixture(answer, EXPECTED)
    assert v.ok, v
    assert v.hints == []


def test_compare_mixture_tolerance() -> None:
    near = {d: w + (0.0004 if d == "web" else -0.0004 if d == "books" else 0) for d, w in EXPECTED.items()}
    assert compare_mixture(near, EXPECTED).ok
    assert not compare_mixture(near, EXPECTED, atol=1e-5).ok


@pytest.mark.parametrize("answer,needle", [
    (None, "it is none"),
    (..., "placeholder"),
    ("web=0.5", "expected mixture weights"),
    (0.5, "expected mixture weights"),
    ([0.5, 0.5], "got 2 numbers for 4 domains"),
    ({"web": "0.5", "books": 0.5, "code": 0, "math": 0}, "is the text"),
    ({"web": float("nan"), "books": 0.5, "code": 0, "math": 0}, "nan"),
])
def test_compare_mixture_unreadable(answer: object, needle: str) -> None:
    v = compare_mixture(answer, EXPECTED)
    assert not v.ok
    assert v.message.startswith("could not read your answer:")
    assert needle in v.message.lower()


def test_compare_mixture_percent() -> None:
    v = compare_mixture(as_dict(EXPECTED, 100), EXPECTED)
    assert not v.ok and "percentages" in v.message and "divide by 100" in text(v)


def test_compare_mixture_not_normalized_states_the_sum() -> None:
    v = compare_mixture(as_dict(EXPECTED, 2.5), EXPECTED)
    assert not v.ok and "sum to 2.5" in v.message and "normalize" in text(v)


def test_compare_mixture_document_vs_token() -> None:
    doc = mixers.uniform_by_document(COUNTS)
    v = compare_mixture(as_dict(doc), EXPECTED, mean_lengths=COUNTS)
    assert not v.ok and "document weights" in v.message and "multiply by the mean length" in text(v)
    # the reverse question: document weights asked, token weights given
    v2 = compare_mixture(as_dict(EXPECTED), doc, mean_lengths=COUNTS)
    assert not v2.ok and "token weights" in v2.message and "divide by the mean length" in text(v2)
    # a Mixture of the wrong kind also gets the kind hint
    v3 = compare_mixture(doc, EXPECTED, mean_lengths=COUNTS)
    assert "kind='document'" in text(v3)
    # without mean lengths the checker cannot tell, but still says which domains are off
    v4 = compare_mixture(as_dict(doc), EXPECTED)
    assert not v4.ok and "too" in v4.message


def test_compare_mixture_same_numbers_other_kind() -> None:
    v = compare_mixture(mixers.uniform_by_document(COUNTS), mixers.uniform_by_token(COUNTS))
    assert not v.ok and "numbers match" in v.message and "kind='token'" in text(v)
    assert compare_mixture(mixers.uniform_by_document(COUNTS).weights, mixers.uniform_by_token(COUNTS)).ok


def test_compare_mixture_document_weights_also_unnormalized() -> None:
    doc = mixers.uniform_by_document(COUNTS)
    v = compare_mixture(as_dict(doc, 4), EXPECTED, mean_lengths=COUNTS)
    assert "document weights" in v.message and "sum to 4" in v.message


def test_compare_mixture_missing_unknown_and_case() -> None:
    v = compare_mixture({"web": 0.5, "books": 0.5}, EXPECTED)
    assert not v.ok and "missing: code, math" in v.message and "even if it is 0" in text(v)
    v2 = compare_mixture({"Web": 0.25, "books": 0.25, "code": 0.25, "math": 0.25}, EXPECTED)
    assert "unknown: web" in v2.message.lower() and "case" in text(v2)
    v3 = compare_mixture({**as_dict(EXPECTED), "forum": 0.0}, EXPECTED)
    assert "unknown: forum" in v3.message


def test_compare_mixture_swapped_domains() -> None:
    d = as_dict(EXPECTED)
    d["web"], d["books"] = d["books"], d["web"]
    v = compare_mixture(d, EXPECTED)
    assert not v.ok and "web and books look swapped" in v.message
    lst = list(EXPECTED.as_array()[[1, 0, 2, 3]])
    v2 = compare_mixture(lst, EXPECTED)
    assert "swapped" in v2.message and "plain list is read in the order" in text(v2)
    rot = dict(zip(DOMAINS, np.roll(EXPECTED.as_array(), 1), strict=True))
    v3 = compare_mixture(rot, EXPECTED)
    assert "right numbers on the wrong domains" in v3.message


def test_compare_mixture_negative_zero_and_generic() -> None:
    v = compare_mixture({"web": 1.2, "books": -0.2, "code": 0, "math": 0}, EXPECTED)
    assert not v.ok and "negative" in v.message and "books=-0.2" in v.message
    assert "every weight is 0" in compare_mixture(dict.fromkeys(DOMAINS, 0.0), EXPECTED).message.lower()
    v3 = compare_mixture({"web": 0.7, "books": 0.1, "code": 0.1, "math": 0.1}, EXPECTED, hints=["Use domain_stats."])
    assert not v3.ok and "off by more than" in v3.message
    assert "web (too high)" in v3.message and "books (too low)" in v3.message
    assert v3.hints[-1] == "Use domain_stats."


def test_compare_mixture_never_reveals_expected_values() -> None:
    v = compare_mixture({"web": 0.7, "books": 0.1, "code": 0.1, "math": 0.1}, EXPECTED)
    for w in EXPECTED.as_array():
        assert f"{w:.3f}" not in text(v)


# ---------------------------------------------------------------- compare_temperature_weights
def test_compare_temperature_right_and_alpha_confusion() -> None:
    right = mixers.temperature(COUNTS, T=3)
    assert compare_temperature_weights(right, COUNTS, 3).ok
    assert compare_temperature_weights(as_dict(right), COUNTS, 3).ok
    wrong = mixers.temperature(COUNTS, alpha=3)  # used T as the exponent
    v = compare_temperature_weights(as_dict(wrong), COUNTS, 3)
    assert not v.ok and "power t = 3" in v.message.lower() and "α = 0.333" in text(v)


def test_compare_temperature_other_mistakes() -> None:
    prop = as_dict(mixers.proportional(COUNTS))
    v = compare_temperature_weights(prop, COUNTS, 3)
    assert "natural" in v.message and "exponent 1/t" in text(v)
    uni = dict.fromkeys(DOMAINS, 0.25)
    assert "t → ∞" in compare_temperature_weights(uni, COUNTS, 3).message.lower()
    by_docs = as_dict(mixers.temperature(COUNTS, T=3, by="docs"))
    v3 = compare_temperature_weights(by_docs, COUNTS, 3)
    assert "document counts" in v3.message
    p = COUNTS["tokens"] / COUNTS["tokens"].sum()
    raw = (p ** (1 / 3)).to_dict()  # right shape, not normalized
    v4 = compare_temperature_weights(raw, COUNTS, 3)
    assert "right proportions" in v4.message.lower() and "sum to" in v4.message
    assert compare_temperature_weights(uni, COUNTS, math.inf).ok
    with pytest.raises(ValueError, match="by"):
        compare_temperature_weights(uni, COUNTS, 3, by="bytes")


def test_compare_temperature_alpha_form() -> None:
    right = mixers.temperature(COUNTS, alpha=0.3)
    assert compare_temperature_weights(right, COUNTS, alpha=0.3).ok
    assert compare_temperature_weights(as_dict(right), COUNTS, alpha=0.3).ok
    # the same weights checked as T = 1/0.3: both forms agree
    assert compare_temperature_weights(right, COUNTS, T=1 / 0.3).ok
    swapped = as_dict(mixers.temperature(COUNTS, T=0.3))  # used 1/α as the exponent
    v = compare_temperature_weights(swapped, COUNTS, alpha=0.3)
    assert not v.ok and "power 1/α = 3.33" in v.message and "exponent is 0.3" in text(v)
    v2 = compare_temperature_weights(as_dict(mixers.proportional(COUNTS)), COUNTS, alpha=0.3)
    assert "natural" in v2.message and "α = 1" in v2.message and "power α" in text(v2)
    v3 = compare_temperature_weights(dict.fromkeys(DOMAINS, 0.25), COUNTS, alpha=0.3)
    assert "α = 0 limit" in v3.message
    v4 = compare_temperature_weights(as_dict(mixers.temperature(COUNTS, alpha=0.3, by="docs")), COUNTS, alpha=0.3)
    assert "document counts" in v4.message
    assert compare_temperature_weights(dict.fromkeys(DOMAINS, 0.25), COUNTS, alpha=0).ok
    assert compare_temperature_weights(as_dict(mixers.proportional(COUNTS)), COUNTS, alpha=1).ok


def test_compare_temperature_T_path_hints_unchanged() -> None:
    wrong = as_dict(mixers.temperature(COUNTS, alpha=3))
    v = compare_temperature_weights(wrong, COUNTS, T=3)
    assert v.message == "You raised the shares to the power T = 3; temperature sampling uses the exponent α = 1/T."
    assert v.hints[0] == "w_i ∝ p_i^(1/T): with T = 3 the exponent is α = 0.333. Larger T flattens the mixture."


@pytest.mark.parametrize(
    ("kw", "pattern"),
    [({}, "exactly one of T or alpha"), ({"T": 2.0, "alpha": 0.5}, "exactly one of T or alpha"),
     ({"alpha": -1.0}, "alpha must be >= 0"), ({"T": 0.0}, "T must be > 0")],
)
def test_compare_temperature_exponent_errors(kw: dict[str, float], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        compare_temperature_weights(dict.fromkeys(DOMAINS, 0.25), COUNTS, **kw)


def test_compare_temperature_sizes_only_table() -> None:
    sizes = COUNTS[["tokens"]]
    right = mixers.temperature(COUNTS, alpha=0.5)
    assert compare_temperature_weights(right, sizes, alpha=0.5).ok
    assert "natural" in compare_temperature_weights(as_dict(mixers.proportional(COUNTS)), sizes, T=2).message


# ---------------------------------------------------------------- compare_number
@pytest.mark.parametrize("answer,needle", [
    (250.0, "100× too large"),
    (0.025, "100× too small"),
    (2500.0, "1000× too large"),
    (2.5e-3, "1000× too small"),
    (2.5e6, "10⁶× too large"),
    (2.5e9, "10⁹× too large"),
    (-2.5, "sign is flipped"),
    (0.4, "reciprocal"),
    (7.5, "3× too large"),
    (1.25, "2× too small"),
    (2.8, "12% too high"),
])
def test_compare_number_hints(answer: float, needle: str) -> None:
    v = compare_number(answer, 2.5, what="epochs")
    assert not v.ok
    assert v.message.startswith("Epochs = ")
    assert needle in text(v).replace("Your", "your"), v


def test_compare_number_right_and_named_factor() -> None:
    assert compare_number(2.51, 2.5).ok
    assert compare_number(np.float32(2.5), 2.5).ok
    assert compare_number(np.array([2.5]), 2.5).ok
    assert compare_number(3.0, 2.5, atol=0.6, rtol=0).ok
    v = compare_number(15.0, 2.5, factors={"k (number of domains)": 6}, hints=["Re-read the formula."])
    assert "k (number of domains) = 6 times too large" in text(v)
    assert v.hints[-1] == "Re-read the formula."
    v2 = compare_number(1.0, 6.0, factors={"k": 6})
    assert "k = 6 times too small" in text(v2)


@pytest.mark.parametrize("answer,needle", [
    ("2.5", "the text"),
    (None, "none"),
    (True, "expected a number"),
    ([2.5, 1.0], "expected a number"),
    (float("inf"), "infinite"),
])
def test_compare_number_unreadable(answer: object, needle: str) -> None:
    v = compare_number(answer, 2.5)
    assert not v.ok and v.message.startswith("could not read your answer") and needle in v.message.lower()


def test_compare_number_bad_expected_raises() -> None:
    with pytest.raises(ValueError, match="finite"):
        compare_number(1.0, float("nan"))


# ---------------------------------------------------------------- compare_epochs
MIX = mixers.uniform_by_token(COUNTS)
B = 200_000.0


def test_compare_epochs_right_per_domain_and_single() -> None:
    e = epochs_from_weights(MIX, B, COUNTS)
    assert compare_epochs(e, MIX, B, COUNTS).ok
    assert compare_epochs(e.to_dict(), MIX, B, COUNTS).ok
    assert compare_epochs(float(e["math"]), MIX, B, COUNTS, domain="math").ok


@pytest.mark.parametrize("make,needle", [
    (lambda w, T: w * B, "tokens drawn"),
    (lambda w, T: B / T, "left out the weight"),
    (lambda w, T: w * B / T.sum(), "whole corpus"),
    (lambda w, T: T / (w * B), "reciprocal"),
])
def test_compare_epochs_slips(make: object, needle: str) -> None:
    w = MIX.weights
    T = COUNTS["tokens"].astype(float)
    vec = make(w, T)  # type: ignore[operator]
    v = compare_epochs(vec.to_dict(), MIX, B, COUNTS)
    assert not v.ok and needle in text(v)
    single = compare_epochs(float(vec["books"]), MIX, B, COUNTS, domain="books")
    assert not single.ok and needle in text(single)


def test_compare_epochs_bytes_and_generic() -> None:
    sizes_bytes = COUNTS["tokens"] * 4.0
    e_bytes = (MIX.weights * B / sizes_bytes).to_dict()
    v = compare_epochs(e_bytes, MIX, B, sizes_bytes, bytes_per_token=4.0)
    assert "bytes" in text(v)
    wrong = epochs_from_weights(MIX, B, COUNTS).to_dict()
    wrong["code"] *= 1.5
    v2 = compare_epochs(wrong, MIX, B, COUNTS)
    assert "code (too high)" in v2.message
    assert "could not read" in compare_epochs(None, MIX, B, COUNTS).message
    assert "missing" in compare_epochs({"web": 1.0}, MIX, B, COUNTS).message
    with pytest.raises(ValueError, match="domain must be one of .*got .forum."):
        compare_epochs(1.0, MIX, B, COUNTS, domain="forum")


# ---------------------------------------------------------------- compare_feasible
def test_compare_feasible_yes_no() -> None:
    # Σ T = 1e6 tokens; E_max = 4 → capacity 4e6
    assert compare_feasible(True, COUNTS, 3e6, 4).ok
    assert compare_feasible("no", COUNTS, 5e6, 4).ok
    v = compare_feasible(True, COUNTS, 5e6, 4)
    assert not v.ok and "does not supply b tokens" in text(v) and "σ u_i ≥ 1" in text(v)
    v2 = compare_feasible(False, COUNTS, 3e6, 4)
    assert not v2.ok and "one small domain" in text(v2)
    v3 = compare_feasible("maybe", COUNTS, 3e6, 4)
    assert v3.message.startswith("could not read your answer")


def test_compare_feasible_mixture() -> None:
    # B = 1e6, E_max = 1: caps are the token shares → the proportional mixture sits exactly on the caps
    prop = mixers.proportional(COUNTS)
    assert compare_feasible(prop, COUNTS, 1e6, 1).ok
    v = compare_feasible(MIX, COUNTS, 1e6, 1)  # uniform: code and math over their caps
    assert not v.ok and "code" in v.message and "math" in v.message and "web" not in v.message
    assert "project_capped_simplex" in text(v)
    v2 = compare_feasible(as_dict(prop, 2), COUNTS, 1e6, 1)
    assert "sum to 2" in v2.message
    v3 = compare_feasible(prop, COUNTS, 5e6, 1)
    assert "no mixture can satisfy" in v3.message.lower()
    v4 = compare_feasible(mixers.uniform_by_document(COUNTS), COUNTS, 1e6, 1)
    assert "document weights" in v4.message


# ---------------------------------------------------------------- compare_ranking
ORDER = ["a", "b", "c", "d"]


def test_compare_ranking_cases() -> None:
    assert compare_ranking(ORDER, ORDER).ok
    assert compare_ranking(pd.Index(ORDER), ORDER).ok
    rev = compare_ranking(ORDER[::-1], ORDER)
    assert "reversed" in rev.message and "lowest loss" in text(rev)
    sw = compare_ranking(["a", "c", "b", "d"], ORDER)
    assert "places 2 and 3" in sw.message
    far = compare_ranking(["a", "d", "b", "c"], ORDER)
    assert "first 1 place is right" in far.message and "spearman" in far.message.lower()
    first = compare_ranking(["b", "a", "d", "c"], ORDER)
    assert "from the first place" in first.message
    assert "repeated: a" in compare_ranking(["a", "a", "b", "c"], ORDER).message
    missing = compare_ranking(["a", "b", "c"], ORDER)
    assert "missing: d" in missing.message and "mixtures" in missing.message
    assert compare_ranking("abcd", ORDER).message.startswith("could not read")
    assert compare_ranking([1, 2, 3, 4], ORDER).message.startswith("could not read")
    with pytest.raises(ValueError):
        compare_ranking(ORDER, ["a", "a"])


def test_checkers_never_raise_on_odd_answers() -> None:
    odd: list[object] = [None, ..., "x", 3, [], {}, object(), {"web": None}, np.array([1.0, 2.0])]
    for ans in odd:
        for check in (
            lambda a: compare_mixture(a, EXPECTED),
            lambda a: compare_temperature_weights(a, COUNTS, 2),
            lambda a: compare_number(a, 1.0),
            lambda a: compare_epochs(a, MIX, B, COUNTS),
            lambda a: compare_feasible(a, COUNTS, 1e6, 4),
            lambda a: compare_ranking(a, ORDER),
        ):
            v = check(ans)
            assert isinstance(v, Verdict) and not v.ok


# ---------------------------------------------------------------- hint families (issue 14: keep every one working)
def test_family_percentage_for_fraction() -> None:
    assert "percentage where a fraction" in text(compare_number(25.0, 0.25))
    assert "percentages" in text(compare_mixture(as_dict(EXPECTED, 100.0), EXPECTED))


def test_family_reciprocal() -> None:
    assert "reciprocal" in text(compare_number(1 / 2.5, 2.5))
    inverse = (COUNTS["tokens"] / (MIX.weights * B)).to_dict()
    assert "reciprocal" in text(compare_epochs(inverse, MIX, B, COUNTS))


def test_family_missing_half() -> None:
    p, q = mixers.uniform_by_token(COUNTS), mixers.proportional(COUNTS)
    tv = p.tv(q)
    named = compare_number(2 * tv, tv, rtol=1e-3, slips={"You left out the ½: TV = ½ Σ |p_i − q_i|.": 2 * tv})
    assert named.hints[0].startswith("You left out the ½")
    assert "2× too large" in text(compare_number(2 * tv, tv, rtol=1e-3))  # without the slip: the factor is named


def test_family_document_weights_for_token_weights() -> None:
    doc_weights = mixers.uniform_by_document(COUNTS)  # what a learner who forgot to convert would hand in
    v = compare_mixture(as_dict(doc_weights), EXPECTED, mean_lengths=COUNTS)
    assert "document weights" in v.message and "multiply by the mean length" in text(v)
    back = compare_mixture(as_dict(EXPECTED), Mixture(as_dict(doc_weights), kind="document"), mean_lengths=COUNTS)
    assert "token weights" in back.message and "divide by the mean length" in text(back)


def test_family_alpha_for_T() -> None:
    used_T = mixers.temperature(COUNTS, alpha=4.0)  # the exponent T instead of 1/T
    assert "exponent α = 1/T" in compare_temperature_weights(used_T, COUNTS, T=4.0).message
    used_inverse = mixers.temperature(COUNTS, T=0.3)  # 1/α instead of α
    assert "1/α" in compare_temperature_weights(used_inverse, COUNTS, alpha=0.3).message


def test_family_repetitions_are_epochs_minus_one() -> None:
    from mixlab.budget import effective_tokens

    right_value = effective_tokens(100e9, 3)  # 4 epochs = first pass + R = 3 repetitions
    slip = {"R = epochs instead of epochs − 1: four epochs are R = 3 repetitions.": effective_tokens(100e9, 4)}
    v = compare_number(effective_tokens(100e9, 4), right_value, rtol=1e-3, slips=slip)
    assert not v.ok and v.hints == [next(iter(slip))]
    named = compare_number(effective_tokens(100e9, 4), right_value, rtol=1e-3,
                           factors={"R = epochs instead of epochs − 1": effective_tokens(100e9, 4) / right_value})
    assert "r = epochs instead of epochs − 1" in text(named)  # a named factor works too


def test_slips_never_fire_on_the_right_value_and_skip_non_finite() -> None:
    assert compare_number(2.5, 2.5, slips={"never": 2.5}).ok
    v = compare_number(5.0, 2.5, slips={"nan": float("nan"), "equal to expected": 2.5})
    assert v.hints == ["Your answer is 2× too large."]


def test_mixture_slips_name_the_mistake() -> None:
    wrong_way = {"web": 0.7, "books": 0.1, "code": 0.1, "math": 0.1}
    v = compare_mixture(wrong_way, EXPECTED, slips=[(wrong_way, "You divided where you should multiply.")])
    assert v.message == "You divided where you should multiply."


# ---------------------------------------------------------------- the same hints through the registry's check(...)
def _registry_hint(eid: str, answer: object) -> str:
    """What ``check(eid, answer)`` tells a learner whose answer is not right (message and hints)."""
    from mixlab.exercises import check

    verdict = check(eid, answer)
    assert not verdict.ok and verdict.answered, verdict
    return text(verdict)


def test_check_names_repetitions_for_epochs() -> None:
    from mixlab.budget import effective_tokens
    from mixlab.exercises.catalog import s1_2

    four_repetitions = float(effective_tokens(s1_2.UNIQUE_TOKENS, s1_2.EPOCHS))  # R = epochs, not epochs − 1
    assert "four epochs are r = 3, not 4" in _registry_hint("1.2/four-epochs-worth", four_repetitions)


@pytest.mark.slow
def test_check_names_the_missing_half() -> None:
    from mixlab.exercises import get_exercise

    right_value = get_exercise("2.2/tv-two-views").reference_answer()
    assert "left out the ½" in _registry_hint("2.2/tv-two-views", 2 * right_value)


def test_check_names_document_weights_given_for_token_weights() -> None:
    from mixlab.exercises.catalog import s2_2

    hint = _registry_hint("2.2/doc-to-token-weights", dict(s2_2.DOC_CONFIG))  # the config, not converted
    assert "document weights" in hint and "multiply by the mean length" in hint


def test_check_names_alpha_given_for_T() -> None:
    from mixlab.exercises import get_exercise

    right_value = get_exercise("3.5/temperature-at-the-cap").reference_answer()
    assert "that is α = 1/t" in _registry_hint("3.5/temperature-at-the-cap", 1 / right_value)
