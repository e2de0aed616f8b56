"""Ready-made implement-it tasks of chapter 2: domain shares, per-document probabilities, the worst excess.

Like :mod:`mixlab.exercises.tasks_mixtures`: the function the learner writes, seeded hidden
cases, mixlab's own implementation behind the same parameters (the reference adapter), and a
comparison that names the likely mistake. The cases of the first two tasks are random subsets
of the ``tiny`` world's training documents, so the learner's function meets real length tails
and, in one case, a declared domain with no record left.

=======================  ==============================================  ==========================================
task                     the learner writes                              reference (mixlab)
=======================  ==============================================  ==========================================
``DOMAIN_SHARES``        ``domain_shares(docs, domains)``                ``domains.domain_stats``
``TOKEN_PROBABILITIES``  ``token_probabilities(docs, weights)``          ``sampling.document_probabilities``
``WORST_EXCESS``         ``worst_excess_per_mixture(losses, floor)``     ``objectives.worst_excess``
=======================  ==============================================  ==========================================

Used in: the implement-it exercises of 2.1 (``DOMAIN_SHARES``), 2.3 (``TOKEN_PROBABILITIES``)
and 2.4 (``WORST_EXCESS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.answers import Unreadable, read_number, unreadable
from mixlab.exercises.implement import Case, FunctionTask, describe
from mixlab.exercises.registry import canonical_world
from mixlab.exercises.verdicts import Verdict, right, wrong

__all__ = ["DOMAIN_SHARES", "TOKEN_PROBABILITIES", "WORST_EXCESS", "SHARE_COLUMNS"]

N_CASES = 6
#: Columns of the table ``domain_shares`` returns.
SHARE_COLUMNS = ("share_docs", "share_tokens")
#: Tolerance on a share, a probability or a loss (float round-off only).
ATOL = 1e-9


def _tiny_train() -> Any:
    return canonical_world("tiny", 0).train


def _docs_table(rows: np.ndarray) -> pd.DataFrame:
    """The learner's view of some training documents: doc_id, domain (plain text), n_tokens."""
    docs = _tiny_train().docs.iloc[np.sort(rows)]
    return pd.DataFrame({"doc_id": docs["doc_id"].astype(str).to_numpy(),
                         "domain": docs["domain"].astype(str).to_numpy(),
                         "n_tokens": docs["n_tokens"].to_numpy(dtype=np.int64)})


def _subset_rows(rng: np.random.Generator, drop: str | None = None) -> np.ndarray:
    """A random subset of the tiny world's documents, at least one per domain (none of ``drop``)."""
    docs = _tiny_train().docs
    rows: list[int] = []
    for name, group in docs.groupby("domain", observed=True, sort=False):
        if name == drop:
            continue
        idx = group.index.to_numpy()
        n = max(1, int(round(len(idx) * rng.uniform(0.2, 0.9))))
        rows += rng.choice(idx, size=n, replace=False).tolist()
    return np.asarray(rows, dtype=np.int64)


def _corpus_of(docs: pd.DataFrame) -> Any:
    """The tiny world's corpus restricted to the documents of ``docs`` (by doc_id)."""
    train = _tiny_train()
    return train.subset(train.docs["doc_id"].isin(set(docs["doc_id"])).to_numpy())


# ============================================================================ domain shares (2.1)
def _shares_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    domains = list(_tiny_train().domains)
    cases = [{"docs": _docs_table(_subset_rows(rng, drop="books" if i == 1 else None)), "domains": domains}
             for i in range(N_CASES)]
    return cases


def _shares(docs: pd.DataFrame, domains: list[str]) -> dict[str, dict[str, float]]:
    """Mixlab's shares as {column: {domain: share}} (a form the check accepts, and readable in a report)."""
    from mixlab.domains import domain_stats

    table = domain_stats(_corpus_of(docs)).loc[list(domains), list(SHARE_COLUMNS)]
    return {col: {str(d): float(v) for d, v in table[col].items()} for col in SHARE_COLUMNS}


def _read_shares(got: Any, domains: list[str]) -> pd.DataFrame:
    if isinstance(got, Mapping) and not isinstance(got, pd.Series):
        got = pd.DataFrame(dict(got))
    if not isinstance(got, pd.DataFrame):
        raise Unreadable(f"expected a DataFrame indexed by domain with columns share_docs and share_tokens, got "
                         f"{type(got).__name__} {describe(got)}")
    missing = [c for c in SHARE_COLUMNS if c not in got.columns]
    if missing:
        raise Unreadable(f"the table needs the columns share_docs and share_tokens (has {list(map(str, got.columns))})")
    table = got[list(SHARE_COLUMNS)].copy()
    table.index = [str(i) for i in table.index]
    for col in SHARE_COLUMNS:
        for name, value in table[col].items():
            read_number(value, f"{col} of {name!r}")
    return table.astype(np.float64)


def _shares_compare(got: Any, expected_shares: dict[str, dict[str, float]], case: Case) -> Verdict:
    domains = list(case["domains"])
    expected = pd.DataFrame(expected_shares).loc[domains, list(SHARE_COLUMNS)]
    try:
        table = _read_shares(got, domains)
    except Unreadable as exc:
        return unreadable(exc)
    present = set(case["docs"]["domain"])
    missing = [d for d in domains if d not in table.index]
    if missing:
        empty = [d for d in missing if d not in present]
        return wrong(f"the table has no row for {', '.join(missing)}.",
                     [f"{', '.join(empty)} is declared but has no record in these documents: it still gets a row, "
                      "with share 0 (reindex by the declared domains)." if empty else
                      "Give one row per declared domain."])
    table = table.loc[domains]
    e, a = expected.to_numpy(dtype=np.float64), table.to_numpy(dtype=np.float64)
    if np.allclose(a, e, rtol=0.0, atol=ATOL):
        return right("right")
    if np.allclose(a[:, ::-1], e, rtol=0.0, atol=ATOL):
        return wrong("the two columns are swapped.", ["share_docs counts documents, share_tokens sums n_tokens."])
    if np.allclose(a, 100 * e, rtol=1e-9, atol=ATOL):
        return wrong("these are percentages.", ["Shares are fractions that sum to 1, not to 100."])
    counts = case["docs"].groupby("domain")["n_tokens"].agg(["size", "sum"]).reindex(domains, fill_value=0)
    if np.allclose(a, counts.to_numpy(dtype=np.float64), rtol=0.0, atol=ATOL):
        return wrong("these are counts, not shares.", ["Divide each count by the total over all domains."])
    col = int(np.argmax(np.abs(a - e).max(axis=0)))
    if col == 1 and np.allclose(a[:, 1], e[:, 0], rtol=0.0, atol=ATOL):
        return wrong("share_tokens equals the document share.", ["Weight each document by its length: "
                                                                 "T_i / Σ_j T_j with T_i the sum of n_tokens."])
    return wrong(f"{SHARE_COLUMNS[col]} is off (first domain off: "
                 f"{domains[int(np.argmax(np.abs(a[:, col] - e[:, col])))]}).",
                 ["share_docs_i = N_i / Σ_j N_j and share_tokens_i = T_i / Σ_j T_j."])


DOMAIN_SHARES = FunctionTask(
    name="domain_shares", params=("docs", "domains"),
    returns="a DataFrame indexed by the declared domains, with columns share_docs and share_tokens",
    cases=_shares_cases, reference=_shares, compare=_shares_compare)


# ============================================================================ token probabilities (2.3)
def _random_token_weights(rng: np.random.Generator, domains: list[str], zero: bool) -> pd.Series:
    w = rng.dirichlet(np.full(len(domains), 1.5))
    if zero:
        w[int(rng.integers(len(domains)))] = 0.0
        w = w / w.sum()
    return pd.Series(w, index=pd.Index(domains, name="domain"))


def _prob_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    domains = list(_tiny_train().domains)
    return [{"docs": _docs_table(_subset_rows(rng)), "weights": _random_token_weights(rng, domains, i % 3 == 2)}
            for i in range(N_CASES)]


def _probabilities(docs: pd.DataFrame, weights: pd.Series) -> np.ndarray:
    from mixlab.mixture import Mixture
    from mixlab.sampling import document_probabilities

    corpus = _corpus_of(docs)
    p = document_probabilities(corpus, Mixture(weights, kind="token"))
    by_id = pd.Series(np.asarray(p), index=corpus.docs["doc_id"].astype(str).to_numpy())
    return by_id.loc[docs["doc_id"].astype(str)].to_numpy()


def _read_vector(got: Any, n: int) -> np.ndarray:
    if isinstance(got, str | bytes | Mapping) or not hasattr(got, "__len__"):
        raise Unreadable(f"expected one probability per row of docs (an array or Series), got {describe(got)}")
    try:
        arr = np.asarray(got, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise Unreadable(f"expected numbers, got {describe(got)}") from None
    if arr.size != n:
        raise Unreadable(f"expected {n} probabilities (one per row of docs), got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise Unreadable("some probabilities are NaN or infinite (a division by a zero count?)")
    return arr


def _prob_mistakes(case: Case) -> list[tuple[np.ndarray, str]]:
    docs, w = case["docs"], case["weights"]
    t = docs["n_tokens"].to_numpy(dtype=np.float64)
    dom = docs["domain"].to_numpy()
    T = docs.groupby("domain")["n_tokens"].transform("sum").to_numpy(dtype=np.float64)
    N = docs.groupby("domain")["n_tokens"].transform("size").to_numpy(dtype=np.float64)
    wd = w.reindex(dom).to_numpy(dtype=np.float64)
    return [
        (wd / N, "These are the document-mixture probabilities w_d / N_d: a token mixture weights each document "
                 "by its length, w_d · t_x / T_d."),
        (t / T, "Each domain's probabilities sum to 1 here: multiply by the domain's weight w_d."),
        (wd * t / t.sum(), "You divided by all the tokens of the corpus; divide by the tokens of the document's own "
                           "domain, T_d."),
    ]


def _prob_compare(got: Any, expected: np.ndarray, case: Case) -> Verdict:
    try:
        a = _read_vector(got, len(expected))
    except Unreadable as exc:
        return unreadable(exc)
    if np.allclose(a, expected, rtol=1e-9, atol=1e-15):
        return right("right")
    for alt, hint in _prob_mistakes(case):
        if np.allclose(a, alt, rtol=1e-9, atol=1e-15):
            return wrong("the probabilities do not match mixlab's.", [hint])
    total = float(a.sum())
    hints = [f"Your probabilities sum to {total:.6g}, not 1."] if abs(total - 1.0) > 1e-9 else []
    return wrong("the probabilities do not match mixlab's.",
                 [*hints, "p_tok(x) = w_d(x) · t_x / T_d(x): T_d is the sum of n_tokens over the rows of domain d."])


TOKEN_PROBABILITIES = FunctionTask(
    name="token_probabilities", params=("docs", "weights"),
    returns="one probability per row of docs (an array), p_tok(x) = w_d t_x / T_d, summing to 1",
    cases=_prob_cases, reference=_probabilities, compare=_prob_compare)


# ============================================================================ worst excess (2.4)
_POOL = ("web", "books", "code", "math", "wiki", "forum")


def _excess_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for i in range(N_CASES):
        k = int(rng.integers(3, 7))
        domains = [_POOL[j] for j in np.sort(rng.choice(len(_POOL), size=k, replace=False))]
        m = int(rng.integers(2, 7))
        floor = pd.Series(np.round(rng.uniform(1.5, 3.5, k), 4), index=pd.Index(domains, name="domain"))
        excess = np.round(rng.gamma(2.0, 0.4, size=(m, k)), 4)
        losses = pd.DataFrame(floor.to_numpy() + excess, index=pd.Index([f"mix{j}" for j in range(m)], name="mixture"),
                              columns=pd.Index(domains, name="domain"))
        order = rng.permutation(k) if i % 2 == 0 else np.arange(k)  # the floor often lists the domains in another order
        cases.append({"losses": losses, "floor": floor.iloc[order]})
    return cases


def _worst_excess(losses: pd.DataFrame, floor: pd.Series) -> pd.Series:
    from mixlab.objectives import worst_excess

    objective = worst_excess(floor)
    return pd.Series({str(name): objective(row) for name, row in losses.iterrows()}, name="worst_excess")


def _read_by_mixture(got: Any, names: list[str]) -> pd.Series:
    if isinstance(got, pd.DataFrame) and got.shape[1] == 1:
        got = got.iloc[:, 0]
    if isinstance(got, pd.Series | Mapping):
        table = pd.Series({str(k): read_number(v, f"the value for {k!r}") for k, v in got.items()})
    elif isinstance(got, str | bytes) or not hasattr(got, "__len__"):
        raise Unreadable(f"expected one number per mixture (a Series indexed like losses), got {describe(got)}")
    else:
        values = [read_number(v, "a value") for v in np.asarray(got, dtype=object).reshape(-1)]
        if len(values) != len(names):
            raise Unreadable(f"expected {len(names)} numbers (one per row of losses), got {len(values)}")
        table = pd.Series(values, index=names)
    missing = [n for n in names if n not in table.index]
    if missing:
        raise Unreadable(f"no value for the mixtures {', '.join(missing)} (index the result like losses)")
    return table.loc[names].astype(np.float64)


def _excess_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    losses, floor = case["losses"], case["floor"]
    try:
        a = _read_by_mixture(got, [str(i) for i in losses.index]).to_numpy()
    except Unreadable as exc:
        return unreadable(exc)
    if np.allclose(a, expected.to_numpy(), rtol=0.0, atol=ATOL):
        return right("right")
    aligned = losses.sub(floor, axis=1)
    slips = [
        (losses.max(axis=1), "This is the raw worst loss max_j L_j: subtract each domain's floor first."),
        (aligned.mean(axis=1), "This is the mean excess; the worst excess takes the maximum over domains."),
        (aligned.min(axis=1), "This is the best (smallest) excess; the worst excess is the largest one."),
        (-aligned.min(axis=1), "The sign is flipped: the excess is L_j − L_j^*, loss minus floor."),
        (pd.Series((losses.to_numpy() - floor.to_numpy()).max(axis=1), index=losses.index),
         "The floors were subtracted by position, not by domain name: floor lists the domains in another "
         "order than the columns of losses (subtract with pandas alignment, e.g. losses - floor)."),
    ]
    for value, hint in slips:
        if np.allclose(a, value.to_numpy(dtype=np.float64), rtol=0.0, atol=ATOL):
            return wrong("the values do not match mixlab's worst excess.", [hint])
    return wrong("the values do not match mixlab's worst excess.",
                 ["For each mixture (row): subtract each domain's floor from its loss, then take the maximum."])


WORST_EXCESS = FunctionTask(
    name="worst_excess_per_mixture", params=("losses", "floor"),
    returns="a Series indexed like the rows of losses: max_j (L_j − L_j^*) for each mixture",
    cases=_excess_cases, reference=_worst_excess, compare=_excess_compare)
