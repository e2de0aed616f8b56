"""Hostile input against the public API of mixtures, mixers, budget and sampling.

Every public function of :mod:`mixlab.mixture`, :mod:`mixlab.mixers`, :mod:`mixlab.budget` (but
the capped-simplex projection, which moves to :mod:`mixlab.simplex` with its own tests) and
:mod:`mixlab.sampling` is called with a valid baseline, then with one argument replaced by a
hostile value: NaN, infinities, negatives, huge numbers, wrong types, numeric strings, booleans,
empty containers, duplicate or unknown names, domains that do not match.

Each call must either succeed with a valid result (finite, non-negative numbers; a Mixture is
valid by construction) or raise ``TypeError``/``ValueError`` whose message names the argument.
A call that succeeds although its input can never be right (NaN, a numeric string, a boolean
where a number or a table belongs, a size beyond the documented limit, ...) is a *silent
acceptance*; the sweep asserts there are none.

Two runners share the cases: :func:`test_sweep_every_argument_with_every_hostile_value` walks
the whole table once (its totals are what ``python tests/test_bad_input.py`` prints), and a
hypothesis property test draws combinations of them (derandomized by the root conftest's
profile).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from corpus_factory import make_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab import budget, mixers, sampling
from mixlab.mixture import Mixture
from mixlab.sampling import SampleResult

DOMS = ("web", "books", "code")
CORPUS = make_corpus(0, 60)
COUNTS = pd.DataFrame(
    {"docs": CORPUS.doc_counts().to_numpy(), "tokens": CORPUS.token_counts().to_numpy()}, index=list(DOMS)
)
SIZES = COUNTS["tokens"].astype(float)
TOK = Mixture({"web": 0.5, "books": 0.3, "code": 0.2})
DOC = Mixture({"web": 0.5, "books": 0.3, "code": 0.2}, kind="document")
OTHER = Mixture({"web": 0.5, "wiki": 0.5})


@dataclass(frozen=True, eq=False)
class Hostile:
    """One hostile value; ``refuse`` says it can never be right for an argument of its kind."""

    label: str
    value: object
    refuse: bool


def _table(**cols: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {"docs": COUNTS["docs"].tolist(), "tokens": COUNTS["tokens"].tolist()}
    base.update(cols)
    return pd.DataFrame(base, index=list(DOMS))


WRONG_TYPES = [Hostile("none", None, True), Hostile("list", [1.0], True), Hostile("object", object(), True)]

HOSTILE: dict[str, list[Hostile]] = {
    "real": [
        Hostile("nan", math.nan, True), Hostile("inf", math.inf, False), Hostile("-inf", -math.inf, True),
        Hostile("negative", -1.0, False), Hostile("zero", 0.0, False), Hostile("huge", 1e308, False),
        Hostile("tiny", 1e-308, False), Hostile("big int", 10**30, False), Hostile("numeric string", "5", True),
        Hostile("bool", True, True), *WRONG_TYPES,
    ],
    "count": [  # an integer count: n, n_samples
        Hostile("nan", math.nan, True), Hostile("float", 2.5, True), Hostile("negative", -1, True),
        Hostile("beyond the limit", 10**13, True), Hostile("numeric string", "5", True),
        Hostile("bool", True, True), Hostile("zero", 0, False), *WRONG_TYPES,
    ],
    "seed": [
        Hostile("negative", -1, True), Hostile("float", 1.0, True), Hostile("bool", False, True),
        Hostile("numeric string", "0", True), Hostile("big", 2**80, False), *WRONG_TYPES,
    ],
    "flag": [
        Hostile("string no", "no", True), Hostile("int 1", 1, True), Hostile("int 0", 0, True),
        Hostile("string True", "True", True), *WRONG_TYPES,
    ],
    "weights": [  # a mapping of weights over DOMS
        Hostile("nan", {"web": math.nan, "books": 0.5, "code": 0.5}, True),
        Hostile("numeric string", {"web": "0.5", "books": 0.3, "code": 0.2}, True),
        Hostile("bool", {"web": True, "books": False, "code": False}, True),
        Hostile("negative", {"web": -0.5, "books": 1.0, "code": 0.5}, True),
        Hostile("inf", {"web": math.inf, "books": 0.0, "code": 0.0}, True),
        Hostile("huge", {"web": 1e308, "books": 1e308, "code": 0.0}, False),
        Hostile("off the simplex", {"web": 5.0, "books": 5.0, "code": 0.0}, False),
        Hostile("empty", {}, True),
        Hostile("duplicate names", [("web", 0.5), ("web", 0.5)], True),
        Hostile("non-string name", {1: 1.0}, True),
        Hostile("unknown domain", {"web": 0.5, "books": 0.3, "wiki": 0.2}, False),
        Hostile("string", "web", True), Hostile("number", 5, True), *WRONG_TYPES,
    ],
    "table": [  # a counts table over DOMS
        Hostile("numeric strings", _table(docs=["1", "2", "3"]), True),
        Hostile("booleans", _table(tokens=[True, True, True]), True),
        Hostile("fractional docs", _table(docs=[2.5, 3, 4]), True),
        Hostile("tokens without docs", _table(docs=[0, 3, 4]), True),
        Hostile("nan", _table(tokens=[math.nan, 1, 1]), True),
        Hostile("negative", _table(tokens=[-5, 1, 1]), True),
        Hostile("inf", _table(tokens=[math.inf, 1, 1]), True),
        Hostile("all zero", _table(docs=[0, 0, 0], tokens=[0, 0, 0]), True),
        Hostile("empty", pd.DataFrame({"docs": [], "tokens": []}), True),
        Hostile("duplicate names", COUNTS.set_axis(["web", "web", "code"]), True),
        Hostile("integer index", COUNTS.reset_index(drop=True), True),
        Hostile("no columns", pd.DataFrame(index=list(DOMS)), True),
        Hostile("unknown domain", COUNTS.set_axis(["web", "books", "wiki"]), False),
        Hostile("huge", _table(docs=[10**15, 1, 1], tokens=[1e300, 1, 1]), False),
        Hostile("string", "counts", True), *WRONG_TYPES,
    ],
    "sizes": [  # domain sizes: Series or mapping over DOMS
        Hostile("nan", pd.Series({"web": math.nan, "books": 1.0, "code": 1.0}), True),
        Hostile("numeric string", {"web": "10", "books": 1.0, "code": 1.0}, True),
        Hostile("bool", {"web": True, "books": 1.0, "code": 1.0}, True),
        Hostile("negative", {"web": -10.0, "books": 1.0, "code": 1.0}, True),
        Hostile("inf", {"web": math.inf, "books": 1.0, "code": 1.0}, True),
        Hostile("empty", {}, True),
        Hostile("missing domain", {"web": 10.0, "books": 1.0}, False),
        Hostile("non-string name", {0: 10.0, 1: 1.0, 2: 1.0}, True),
        Hostile("bad counts table", _table(docs=[2.5, 3, 4]), True),
        Hostile("huge", {"web": 1e308, "books": 1e308, "code": 1e308}, False),
        Hostile("string", "sizes", True), *WRONG_TYPES,
    ],
    "mixture": [  # a Mixture (sampling) over DOMS
        Hostile("mapping", {"web": 0.5, "books": 0.3, "code": 0.2}, True),
        Hostile("other domains", OTHER, True), Hostile("string", "mixture", True), *WRONG_TYPES,
    ],
    "corpus": [Hostile("dataframe", COUNTS, True), Hostile("string", "corpus", True), *WRONG_TYPES],
    "corpus or counts": [Hostile("string", "corpus", True), Hostile("series", SIZES, True), *WRONG_TYPES],
    "real array": [  # a number or an array of them
        Hostile("nan", math.nan, True), Hostile("inf", math.inf, True), Hostile("negative", -1.0, False),
        Hostile("zero", 0.0, False), Hostile("huge", 1e308, False), Hostile("numeric string", "5", True),
        Hostile("bool", True, True), Hostile("strings", ["1", "2", "3"], True), Hostile("bools", [True, False], True),
        Hostile("list", [1.0, 2.0, 3.0], False), Hostile("empty", [], False), Hostile("none", None, True),
        Hostile("object", object(), True),
    ],
    "probabilities": [
        Hostile("wrong length", np.full(3, 1 / 3), True), Hostile("nan", np.full(len(CORPUS), math.nan), True),
        Hostile("not summing to 1", np.full(len(CORPUS), 1.0), True),
        Hostile("negative", np.r_[-1.0, np.full(len(CORPUS) - 1, 2 / (len(CORPUS) - 1))], True),
        Hostile("strings", ["x"] * len(CORPUS), True), *WRONG_TYPES,
    ],
    "array weights": [  # shares for the blended index (array, Series, mapping or Mixture)
        Hostile("nan", [math.nan, 1.0], True), Hostile("negative", [-0.5, 1.5], True),
        Hostile("off the simplex", [0.5, 0.6], True), Hostile("empty", [], True),
        Hostile("strings", ["0.5", "0.5"], True), Hostile("bools", [True, False], True),
        Hostile("2-d", [[0.5, 0.5]], True), Hostile("one source", [1.0], False),
        Hostile("none", None, True), Hostile("object", object(), True),
    ],
    "domain": [Hostile("unknown", "wiki", True), Hostile("number", 3, True), *WRONG_TYPES],
    "text": [
        Hostile("not JSON", "{bad", True), Hostile("other JSON", "[1, 2]", True), Hostile("number", 5, True),
        Hostile("wrong format", '{"format": "x"}', True), *WRONG_TYPES,
    ],
}


@dataclass(frozen=True, eq=False)
class Spec:
    """A public function, a valid baseline call and how its arguments are named in messages."""

    name: str
    fn: Callable[..., object]
    args: dict[str, object]
    kinds: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)
    domains_fixed: bool = True  # the call has reference domains, so an unknown name is wrong
    optional: tuple[str, ...] = ()  # arguments for which None is a valid value
    columns: tuple[str, ...] = ()  # for a table result: the columns that must be finite (default: all numeric)

    def named(self, arg: str) -> str:
        return self.aliases.get(arg, re.escape(arg))


def _kl(**kw: object) -> object:
    return TOK.kl(**kw)  # type: ignore[arg-type]


SPECS: list[Spec] = [
    # ---- mixture
    Spec("Mixture", Mixture, {"weights": {"web": 0.5, "books": 0.5}, "atol": 1e-9},
         {"weights": "weights", "atol": "real"}, {"weights": "weights|mixture|domain"}, domains_fixed=False),
    Spec("Mixture(domains=)", Mixture, {"weights": {"web": 0.5, "books": 0.3, "code": 0.2}, "domains": DOMS},
         {"weights": "weights"}, {"weights": "weights|mixture|domain"}),
    Spec("Mixture.normalized", Mixture.normalized, {"raw": {"web": 2.0, "books": 1.0, "code": 1.0}},
         {"raw": "weights"}, {"raw": "raw|weights|normalize|mixture|domain"}, domains_fixed=False),
    Spec("Mixture.with_share", TOK.with_share, {"domain": "web", "share": 0.4},
         {"domain": "domain", "share": "real"}),
    Spec("Mixture.to_documents", TOK.to_documents, {"mean_lengths": COUNTS}, {"mean_lengths": "table"}),
    Spec("Mixture.to_documents(sizes)", TOK.to_documents, {"mean_lengths": SIZES / 10},
         {"mean_lengths": "sizes"}),
    Spec("Mixture.to_tokens", DOC.to_tokens, {"mean_lengths": COUNTS}, {"mean_lengths": "table"}),
    Spec("Mixture.tv", TOK.tv, {"other": DOC.to_tokens(COUNTS)}, {"other": "mixture"},
         {"other": "other|tv|Mixture|domains"}),
    Spec("Mixture.kl", _kl, {"other": DOC.to_tokens(COUNTS)}, {"other": "mixture"},
         {"other": "other|kl|Mixture|domains"}),
    Spec("Mixture.allclose", TOK.allclose, {"other": TOK, "atol": 1e-9}, {"atol": "real"}),
    Spec("Mixture.from_json", Mixture.from_json, {"text": TOK.to_json()}, {"text": "text"},
         {"text": "JSON|mixture"}),
    # ---- mixers
    Spec("uniform_by_document", mixers.uniform_by_document, {"counts": COUNTS}, {"counts": "table"},
         domains_fixed=False),
    Spec("uniform_by_token(sizes)", mixers.uniform_by_token, {"counts": SIZES}, {"counts": "sizes"},
         domains_fixed=False),
    Spec("proportional", mixers.proportional, {"counts": COUNTS}, {"counts": "table"}, domains_fixed=False),
    Spec("temperature", mixers.temperature, {"counts": COUNTS, "T": 2.0}, {"counts": "table", "T": "real"},
         domains_fixed=False),
    Spec("temperature(alpha)", mixers.temperature, {"counts": COUNTS, "alpha": 0.3}, {"alpha": "real"}),
    Spec("unimax", mixers.unimax, {"counts": COUNTS, "budget": 1000.0, "max_epochs": 4.0},
         {"counts": "table", "budget": "real", "max_epochs": "real"}, {"budget": "budget|unimax"},
         domains_fixed=False),
    Spec("seqio_rates", mixers.seqio_rates, {"counts": COUNTS, "maximum": 5.0, "temperature": 2.0},
         {"counts": "table", "maximum": "real", "temperature": "real"}, domains_fixed=False, optional=("maximum",)),
    Spec("hand_tuned", mixers.hand_tuned, {"weights_or_path": {"web": 0.5, "books": 0.5}, "rationale": "r"},
         {"weights_or_path": "weights", "normalize": "flag", "atol": "real"},
         {"weights_or_path": "weights|mixture|domain|hand-tuned config"}, domains_fixed=False),
    Spec("mean_lengths", mixers.mean_lengths, {"counts": COUNTS}, {"counts": "table"}, domains_fixed=False),
    # ---- budget
    Spec("tokens_per_domain", budget.tokens_per_domain, {"mixture": TOK, "budget": 1000.0},
         {"mixture": "weights", "budget": "real"}, {"mixture": "weights|mixture"}, domains_fixed=False),
    Spec("epochs_from_weights", budget.epochs_from_weights, {"mixture": TOK, "budget": 1000.0, "sizes": SIZES},
         {"mixture": "weights", "budget": "real", "sizes": "sizes"}, {"mixture": "weights|mixture"}),
    Spec("epochs_from_weights(table)", budget.epochs_from_weights,
         {"mixture": TOK, "budget": 1000.0, "sizes": COUNTS, "bytes_per_token": 2.0},
         {"sizes": "table", "bytes_per_token": "real"}, {"sizes": "sizes|mixture"}, optional=("bytes_per_token",)),
    Spec("weights_from_epochs", budget.weights_from_epochs,
         {"sizes": SIZES, "epochs": {"web": 1.0, "books": 2.0, "code": 0.5}},
         {"sizes": "sizes", "epochs": "sizes"}, {"sizes": "sizes|epochs", "epochs": "epochs|sizes"}),
    Spec("caps_from_epochs", budget.caps_from_epochs, {"sizes": SIZES, "budget": 1000.0, "max_epochs": 4.0},
         {"sizes": "sizes", "budget": "real", "max_epochs": "real"}, domains_fixed=False),
    Spec("check_feasible", budget.check_feasible, {"sizes": COUNTS, "budget": 1000.0, "max_epochs": 4.0},
         {"sizes": "table", "budget": "real", "max_epochs": "real"},
         {"budget": "budget|infeasible", "max_epochs": "max_epochs|E_max|infeasible"}, domains_fixed=False),
    Spec("check_within_caps", budget.check_within_caps,
         {"mixture": TOK, "budget": 100.0, "sizes": SIZES, "max_epochs": 50.0},
         {"mixture": "weights", "budget": "real", "sizes": "sizes", "max_epochs": "real"},
         {"mixture": "weights|mixture", "budget": "budget|epoch cap", "max_epochs": "max_epochs|epoch cap"}),
    Spec("implied_bytes_per_token", budget.implied_bytes_per_token,
         {"weights": TOK.weights, "epochs": {"web": 1.0, "books": 2.0, "code": 0.5}, "budget": 1000.0,
          "sizes_bytes": SIZES * 4},
         {"weights": "sizes", "epochs": "sizes", "budget": "real", "sizes_bytes": "sizes"},
         {"weights": "weights", "epochs": "epochs|weights", "sizes_bytes": "sizes_bytes|weights"}),
    Spec("tokens_from_compute", budget.tokens_from_compute, {"compute": 6e18, "n_params": 1e8},
         {"compute": "real", "n_params": "real"}, {"compute": "compute|tokens", "n_params": "n_params|tokens"}),
    Spec("compute_from_tokens", budget.compute_from_tokens, {"tokens": 1e10, "n_params": 1e8},
         {"tokens": "real", "n_params": "real"}, {"tokens": "tokens|compute", "n_params": "n_params|compute"}),
    Spec("effective_tokens", budget.effective_tokens, {"unique": 1e6, "repeats": 2.0, "r_star": 15.4},
         {"unique": "real array", "repeats": "real array", "r_star": "real"},
         {"unique": "unique|effective tokens", "repeats": "repeats|effective tokens",
          "r_star": "r_star|effective tokens"}),
    Spec("repetition_value", budget.repetition_value, {"epochs": 2.0}, {"epochs": "real array"}),
    Spec("fresh_equivalent_tokens", budget.fresh_equivalent_tokens,
         {"loss": 3.0, "fresh_tokens": [1e3, 1e4, 1e5], "fresh_loss": [4.0, 3.5, 2.0]},
         {"loss": "real array", "fresh_tokens": "real array", "fresh_loss": "real array"},
         {"fresh_tokens": "fresh_tokens|fresh curve", "fresh_loss": "fresh_loss|fresh curve"}),
    Spec("budget_table", budget.budget_table,
         {"mixture": TOK, "budget": 1000.0, "sizes": COUNTS, "max_epochs": 4.0},
         {"mixture": "weights", "budget": "real", "sizes": "table", "max_epochs": "real"},
         {"mixture": "weights|mixture", "sizes": "sizes|mixture"}, optional=("max_epochs",),
         columns=("weight", "tokens", "epochs", "effective_tokens")),  # cap is NaN without max_epochs
    # ---- sampling
    Spec("document_probabilities", sampling.document_probabilities, {"corpus_or_counts": CORPUS, "mixture": TOK},
         {"corpus_or_counts": "corpus or counts", "mixture": "mixture"}),
    Spec("document_probabilities(counts)", sampling.document_probabilities,
         {"corpus_or_counts": COUNTS, "mixture": DOC}, {"corpus_or_counts": "table"},
         {"corpus_or_counts": "counts|mixture"}),
    Spec("sample_documents", sampling.sample_documents, {"corpus": CORPUS, "mixture": DOC, "n": 5, "seed": 0},
         {"corpus": "corpus", "mixture": "mixture", "n": "count", "seed": "seed", "replace": "flag"},
         {"corpus": "corpus|Corpus", "n": r"\bn\b"}),
    Spec("draw_documents", sampling.draw_documents,
         {"corpus": CORPUS, "probabilities": sampling.document_probabilities(CORPUS, DOC), "n": 5, "seed": 0},
         {"probabilities": "probabilities", "n": "count", "seed": "seed", "replace": "flag"},
         {"n": r"\bn\b"}),
    Spec("sample_budget", sampling.sample_budget, {"corpus": CORPUS, "mixture": TOK, "budget": 500.0, "seed": 0},
         {"corpus": "corpus", "mixture": "mixture", "budget": "real", "seed": "seed"},
         {"corpus": "corpus|Corpus"}),
    Spec("blended_index", sampling.blended_index, {"weights": [0.5, 0.5], "n_samples": 10},
         {"weights": "array weights", "n_samples": "count"}),
    Spec("blended_index_reference", sampling.blended_index_reference, {"weights": [0.5, 0.5], "n_samples": 10},
         {"weights": "array weights", "n_samples": "count"}),
    Spec("blended_index_bound", sampling.blended_index_bound, {"weights": [0.5, 0.5]},
         {"weights": "array weights"}),
    Spec("check_realized", sampling.check_realized, {"realized": {"web": 5, "books": 3, "code": 2},
                                                     "target": DOC, "atol": 0.5},
         {"realized": "sizes", "target": "mixture", "atol": "real"},
         {"realized": "realized", "target": "target|Mixture|domains", "atol": "atol|tolerance"}),
]


def _valid(spec: Spec, obj: object) -> bool:
    if spec.columns and isinstance(obj, pd.DataFrame):
        return _finite_nonneg(obj[list(spec.columns)])
    return _finite_nonneg(obj)


def _finite_nonneg(obj: object) -> bool:
    """The result check: every number finite and >= 0 (a Mixture checked itself on construction)."""
    if isinstance(obj, Mixture | str | bool) or obj is None:
        return True
    if isinstance(obj, SampleResult):
        return bool(obj.rows.size and (obj.rows >= 0).all() and obj.n_tokens > 0)
    if isinstance(obj, tuple):
        return all(_finite_nonneg(x) for x in obj)
    if isinstance(obj, pd.DataFrame):
        num = obj.select_dtypes("number")
        return _finite_nonneg(num.to_numpy(dtype=np.float64))
    arr = np.asarray(obj, dtype=np.float64)
    return bool(np.all(np.isfinite(arr)) and np.all(arr >= 0))


@dataclass
class Tally:
    tried: int = 0
    succeeded: int = 0
    clean_errors: int = 0
    silent: list[str] = field(default_factory=list)


def _cases() -> Iterator[tuple[Spec, str, Hostile]]:
    for spec in SPECS:
        for arg, kind in spec.kinds.items():
            for hostile in HOSTILE[kind]:
                yield spec, arg, hostile


def _must_refuse(spec: Spec, arg: str, hostile: Hostile) -> bool:
    if hostile.label in ("unknown domain", "missing domain"):
        return spec.domains_fixed
    if hostile.value is None and arg in spec.optional:
        return False
    return hostile.refuse


def run_case(spec: Spec, arg: str, hostile: Hostile, tally: Tally) -> None:
    """Call ``spec`` with ``arg`` replaced; count the outcome; fail on a raw or unnamed error."""
    tally.tried += 1
    kwargs = {**spec.args, arg: hostile.value}
    where = f"{spec.name}({arg}={hostile.label})"
    try:
        with np.errstate(all="ignore"):
            result = spec.fn(**kwargs)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        assert re.search(spec.named(arg), message), f"{where}: message does not name {arg!r}: {message}"
        assert "Traceback" not in message and message.strip(), where
        tally.clean_errors += 1
        return
    tally.succeeded += 1
    if _must_refuse(spec, arg, hostile) or not _valid(spec, result):
        tally.silent.append(where)


def test_every_baseline_call_succeeds() -> None:
    for spec in SPECS:
        assert _valid(spec, spec.fn(**spec.args)), spec.name


@pytest.mark.slow
def test_sweep_every_argument_with_every_hostile_value() -> None:
    tally = Tally()
    for spec, arg, hostile in _cases():
        run_case(spec, arg, hostile, tally)
    assert tally.tried > 500
    assert tally.silent == [], f"silent acceptances: {tally.silent}"
    assert tally.clean_errors + tally.succeeded == tally.tried


CASES = list(_cases())


@settings(max_examples=300)
@given(st.sampled_from(CASES), st.integers(0, 10**6))
def test_two_hostile_arguments_at_once(first: tuple[Spec, str, Hostile], pick: int) -> None:
    """Pairs of hostile values in one call: still a clean error naming one of them, or a valid result."""
    spec, arg, hostile = first
    other = [(a, h) for s, a, h in CASES if s is spec and a != arg]
    if not other:
        return
    arg2, hostile2 = other[pick % len(other)]
    kwargs = {**spec.args, arg: hostile.value, arg2: hostile2.value}
    try:
        with np.errstate(all="ignore"):
            result = spec.fn(**kwargs)
    except (TypeError, ValueError) as exc:
        assert re.search(f"{spec.named(arg)}|{spec.named(arg2)}", str(exc)), (spec.name, arg, arg2, str(exc))
        return
    assert not (_must_refuse(spec, arg, hostile) or _must_refuse(spec, arg2, hostile2)), (spec.name, arg, arg2)
    assert _valid(spec, result), (spec.name, arg, arg2)


@pytest.mark.slow
@pytest.mark.parametrize("value", [st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**20), 10**20)])
def test_hostile_numbers_for_every_real_argument(value: st.SearchStrategy[float]) -> None:
    @settings(max_examples=150)
    @given(st.sampled_from([(s, a) for s in SPECS for a, k in s.kinds.items() if k == "real"]), value)
    def check(case: tuple[Spec, str], number: float) -> None:
        spec, arg = case
        tally = Tally()
        run_case(spec, arg, Hostile(repr(number), number, math.isnan(number)), tally)
        assert tally.silent == [], tally.silent

    check()


if __name__ == "__main__":  # the totals for the report: python tests/test_bad_input.py
    totals = Tally()
    for case in _cases():
        run_case(*case, totals)
    print(f"{len(SPECS)} call specs, {totals.tried} hostile inputs: {totals.clean_errors} clean errors, "
          f"{totals.succeeded} valid results, {len(totals.silent)} silent acceptances {totals.silent}")
