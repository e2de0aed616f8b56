"""Proxy runs: the training documents of a mixture, a trained and evaluated proxy, sweeps and their tables.

Training really consumes the sampled tokens: :func:`training_rows` draws exactly ``round(w_i B)``
tokens per domain, :func:`train_on_rows` counts the transitions inside those document prefixes,
so a mixture that starves a domain gives that domain's contexts few counts and a high
validation loss. :func:`train_proxy` does both and evaluates on the world's validation sets
(:class:`ProxyRun`); :func:`sweep` runs many and collects a long table, summarized by
:func:`mean_losses` and :func:`profile_summary`.

Used in: 1.1, 1.2, 1.3, 1.4, 2.4, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6 (every proxy run of the course; 1.5
runs its proxies through :mod:`mixlab.methods`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd

from mixlab.corpus import Corpus, CorpusArrays
from mixlab.mixture import Mixture
from mixlab.progress import progress_bar
from mixlab.proxy.model import PROXY, BigramLM, ProxyConfig, TransitionCounts, validation_transitions
from mixlab.validation import check_finite_array, check_int, check_seed

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mixlab.world import World

__all__ = [
    "training_rows",
    "train_on_rows",
    "pair_codes",
    "held_out",
    "ProxyRun",
    "train_proxy",
    "skill_profile",
    "sweep",
    "mean_losses",
    "profile_summary",
]


def _integer_budget(weights: np.ndarray, budget: int) -> np.ndarray:
    """Split an integer budget in proportion to ``weights`` (largest-remainder rounding, sums exactly)."""
    from mixlab.budget import integer_split

    return integer_split(weights, budget)


def training_rows(corpus: Corpus, mixture: Mixture, budget: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Choose the training documents for a token budget: exactly ``round(w_i B)`` tokens per domain.

    Documents are drawn by :func:`mixlab.sampling.sample_budget` (whole shuffled epochs, then a
    partial pass, each domain on its own seeded stream); the last document of each domain is
    cut so that the domain contributes exactly its integer share of the budget
    (largest-remainder rounding of ``w_i B``, so the shares sum to ``B``).

    Parameters
    ----------
    corpus : Corpus
        Training documents.
    mixture : Mixture
        Token weights over ``corpus.domains`` (a document-kind mixture is rejected: convert it
        with ``mixture.to_tokens(...)`` first, so the budget's meaning is explicit).
    budget : int
        Training tokens B >= 1.
    seed : int
        Sampling seed. The same seed gives every domain the same document order whatever the
        weights, so two mixtures differ only in *how much* of each domain they see.

    Returns
    -------
    rows : numpy.ndarray
        Row positions into ``corpus.docs`` (repeats allowed).
    lengths : numpy.ndarray
        Tokens taken from each row (the full document, except possibly the last of a domain).

    Used in: no lesson directly (:func:`train_proxy` draws with it).
    """
    rows, take, _ = _training_rows(corpus, mixture, budget, seed)
    return rows, take


def _training_rows(
    corpus: Corpus, mixture: Mixture, budget: int, seed: int
) -> tuple[np.ndarray, np.ndarray, CorpusArrays]:
    """:func:`training_rows`, and the corpus arrays it read (so a proxy run reads the table once)."""
    from mixlab.sampling import _budget_draw

    budget = check_int(budget, "budget", minimum=1)
    s = check_seed(seed)
    if mixture.kind != "token":
        raise ValueError(
            "a proxy's budget is in tokens: convert a document-kind mixture with mixture.to_tokens() first"
        )
    w = mixture.as_array(list(corpus.domains))
    share = _integer_budget(w, budget)
    drawn, arrays = _budget_draw(corpus, mixture, float(budget), s)
    rows = drawn.astype(np.int64)
    lens = arrays.n_tokens[rows].astype(np.int64)
    codes = arrays.codes[rows]
    # rows arrive grouped by domain; cut each domain's running total at its integer share
    cum = np.cumsum(lens)
    group_start = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    before = np.repeat(np.r_[0, cum][group_start], np.diff(np.r_[group_start, len(rows)]))
    within = cum - before  # running tokens inside the domain, including this row
    allowed = share[codes]
    take = np.minimum(lens, allowed - (within - lens))
    keep = take > 0
    return rows[keep], take[keep], arrays


def train_on_rows(
    model: BigramLM, corpus: Corpus, rows: np.ndarray, lengths: np.ndarray, weights: np.ndarray | None = None
) -> BigramLM:
    """Feed the transitions of the given document prefixes to ``model`` (optionally weighted per row).

    Parameters
    ----------
    model : BigramLM
        Updated in place (and returned).
    corpus : Corpus
        Holds the documents.
    rows : numpy.ndarray
        Row positions into ``corpus.docs`` (repeats allowed).
    lengths : numpy.ndarray
        Use the first ``lengths[j]`` tokens of row ``rows[j]`` (``1 <= lengths[j] <= n_tokens``).
    weights : numpy.ndarray, optional
        One non-negative weight per row, applied to each of its transitions.

    Returns
    -------
    BigramLM
        ``model``.

    Raises
    ------
    ValueError
        On mismatched lengths, lengths outside ``[1, n_tokens]``, or bad weights.

    Used in: no lesson directly (:func:`train_proxy` and DoReMi's reweighted training).
    """
    rows = np.asarray(rows, dtype=np.int64)
    lens = np.asarray(lengths, dtype=np.int64)
    full = corpus.docs["n_tokens"].to_numpy()[rows]
    if lens.shape != rows.shape or (lens.size and (lens.min() < 1 or (lens > full).any())):
        raise ValueError("lengths must have one entry per row, each in [1, n_tokens of that row]")
    # gather the (previous, next) pairs straight from the shared token array: pair p of row j sits at
    # starts[j] + p, for p < lengths[j] - 1 (no concatenated copy, no boundary mask)
    n_pairs = lens - 1
    first = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(n_pairs, out=first[1:])
    starts = corpus.docs["start"].to_numpy()[rows].astype(np.int64, copy=False)
    pos = np.repeat(starts - first[:-1], n_pairs)
    pos += np.arange(first[-1], dtype=np.int64)
    w = None
    if weights is not None:
        wr = check_finite_array(weights, "weights", nonnegative=True)
        if wr.shape != rows.shape:
            raise ValueError(f"weights must have one entry per row (got {wr.shape[0]} for {rows.shape[0]} rows)")
        w = np.repeat(wr, n_pairs)
    if model.vocab_size != corpus.vocab_size:
        raise ValueError(f"model vocab_size={model.vocab_size} differs from the corpus's {corpus.vocab_size}")
    return model._add_codes(np.take(pair_codes(corpus), pos), w)


_PAIR_CODES: WeakKeyDictionary[Corpus, np.ndarray] = WeakKeyDictionary()


def pair_codes(corpus: Corpus) -> np.ndarray:
    """``tokens[p] * V + tokens[p + 1]`` for every position ``p`` of the corpus's token array, cached.

    Computed once per corpus object (4 bytes per token), so training gathers one code per
    transition instead of two tokens. Pairs that straddle a document boundary are present
    here but never gathered by :func:`train_on_rows`.

    Used in: no lesson directly (every proxy run gathers from it).
    """
    codes = _PAIR_CODES.get(corpus)
    if codes is None:
        v = corpus.vocab_size
        dtype = np.int32 if v * v < 2**31 else np.int64
        toks = corpus.tokens
        codes = np.multiply(toks[:-1], v, dtype=dtype) + toks[1:].astype(dtype)
        codes.setflags(write=False)
        _PAIR_CODES[corpus] = codes
    return codes


_HELD_OUT: WeakKeyDictionary[Corpus, TransitionCounts] = WeakKeyDictionary()
def held_out(corpus: Corpus) -> TransitionCounts:
    """Aggregated validation transitions of ``corpus``, computed once per corpus object.

    Returns
    -------
    TransitionCounts
        :func:`mixlab.proxy.model.validation_transitions` of ``corpus``, cached while it lives.

    Used in: no lesson directly (every proxy run evaluates on it).
    """
    tc = _HELD_OUT.get(corpus)
    if tc is None:
        tc = validation_transitions(corpus)
        _HELD_OUT[corpus] = tc
    return tc


@dataclass(frozen=True, eq=False)
class ProxyRun:
    """One trained proxy: its configuration, data, model and per-domain validation losses.

    Attributes
    ----------
    config : ProxyConfig
    mixture : Mixture
    seed : int
    model : BigramLM
    losses : pandas.Series
        Validation loss per domain (nats/token).
    floor : pandas.Series
        Entropy rate per domain (the irreducible loss).
    tokens : pandas.Series
        Training tokens consumed per domain (sums to ``config.budget``).
    docs : pandas.Series
        Documents read per domain: the document prefixes the model was trained on, a document
        drawn twice counted twice (the last document of a domain may be cut, it still counts).
        The model counts ``tokens − docs`` transitions.
    unique_docs : pandas.Series
        Distinct documents read per domain (``<= docs``; smaller when a domain is repeated).

    All per-domain Series are indexed by the training corpus's domains, in spec order.
    :meth:`skill_profile` shows ``tokens`` next to the losses; ``docs`` and ``unique_docs``
    stay on the run (the document view of what was read).

    Used in: no lesson by name (every :func:`train_proxy` call returns one).
    """

    config: ProxyConfig
    mixture: Mixture
    seed: int
    model: BigramLM
    losses: pd.Series
    floor: pd.Series
    tokens: pd.Series
    docs: pd.Series
    unique_docs: pd.Series

    @property
    def tokens_spent(self) -> int:
        """Training tokens this run consumed."""
        return int(self.tokens.sum())

    def skill_profile(self) -> pd.DataFrame:
        """Per-domain loss, floor, excess over the floor and training tokens, one row per domain."""
        return skill_profile(self)

    def __repr__(self) -> str:
        losses = ", ".join(f"{d}={v:.3f}" for d, v in self.losses.items())
        return f"ProxyRun({self.config.name}, {self.tokens_spent:,} tokens, seed={self.seed}; loss {losses})"


def _check_train_corpus(world: World, train: object) -> Corpus:
    """Check that ``train`` can stand in for ``world.train``: a Corpus over the same domains and vocabulary."""
    if not isinstance(train, Corpus):
        raise TypeError(f"train must be a Corpus, e.g. a subset of world.train (got {type(train).__name__})")
    if tuple(train.domains) != tuple(world.train.domains):
        raise ValueError(
            f"train must have the world's domains in the same order (got {list(train.domains)}, "
            f"world: {list(world.train.domains)})"
        )
    if train.vocab_size != world.train.vocab_size:
        raise ValueError(
            "train must use the world's vocabulary "
            f"(got vocab_size={train.vocab_size}, world: {world.train.vocab_size})"
        )
    return train


def train_proxy(
    world: World,
    mixture: Mixture,
    config: ProxyConfig = PROXY,
    seed: int = 0,
    *,
    train: Corpus | None = None,
) -> ProxyRun:
    """Train a proxy model on ``config.budget`` tokens sampled from ``mixture`` and evaluate it.

    Parameters
    ----------
    world : World
        Supplies the training corpus, the validation corpus and the entropy-rate floor.
    mixture : Mixture
        Token weights over ``world.train.domains``.
    config : ProxyConfig
        Capacity, budget and smoothing (default :data:`PROXY`).
    seed : int
        Sampling seed (same seed, same mixture → identical losses on any machine).
    train : Corpus, optional
        Train on this corpus instead of ``world.train`` (e.g. the output of a filter pipeline,
        or a subset that holds only a few unique documents of one domain, to study
        repetition). It must have the world's domains (same order) and vocabulary. The model
        is still evaluated on ``world.validation`` against the world's entropy floor, so runs
        on different training corpora are comparable. Default: ``world.train``.

    Returns
    -------
    ProxyRun

    Raises
    ------
    TypeError
        If ``config`` is not a ProxyConfig or ``train`` not a Corpus.
    ValueError
        On a document-kind mixture, a mixture over other domains, weight on a domain with no
        training documents, or a ``train`` corpus with other domains or another vocabulary.

    Used in: 1.1, 1.2, 1.3 (an exercise's paired seeds), 1.4, 3.1; every :func:`sweep` calls it.
    """
    s = check_seed(seed)
    if not isinstance(config, ProxyConfig):
        raise TypeError(f"config must be a ProxyConfig (got {type(config).__name__})")
    corpus = world.train if train is None else _check_train_corpus(world, train)
    rows, lengths, arrays = _training_rows(corpus, mixture, config.budget, s)
    model = train_on_rows(config.build(corpus.vocab_size), corpus, rows, lengths)
    domain_of_row = arrays.codes
    codes = domain_of_row[rows]
    k = len(corpus.domains)
    tokens = np.bincount(codes, weights=lengths, minlength=k).astype(np.int64)
    docs = np.bincount(codes, minlength=k).astype(np.int64)
    read = np.zeros(len(domain_of_row), dtype=bool)
    read[rows] = True  # each document once, however often it was read
    unique_docs = np.bincount(domain_of_row[read], minlength=k).astype(np.int64)
    index = pd.Index(corpus.domains, name="domain")
    return ProxyRun(
        config=config,
        mixture=mixture,
        seed=s,
        model=model,
        losses=model.evaluate(held_out(world.validation)),
        floor=world.process.entropy_rate(),  # cached by the process, returned as a copy
        tokens=pd.Series(tokens, index=index, name="tokens"),
        docs=pd.Series(docs, index=index.copy(), name="docs"),  # own Index objects: renaming one renames no other
        unique_docs=pd.Series(unique_docs, index=index.copy(), name="unique_docs"),
    )


def skill_profile(run: ProxyRun) -> pd.DataFrame:
    """A trained model's skill profile: per-domain loss next to the entropy floor.

    Returns
    -------
    pandas.DataFrame
        Index = domains; columns ``weight`` (the mixture), ``tokens`` (training tokens),
        ``loss``, ``floor`` and ``excess`` (= loss − floor, the reducible part).

    Used in: 1.1 (as ``ProxyRun.skill_profile()``); :func:`profile_summary` and the skill-profile
    widget call it too.
    """
    return pd.DataFrame(
        {
            "weight": run.mixture.as_array(list(run.losses.index)),
            "tokens": run.tokens,
            "loss": run.losses,
            "floor": run.floor,
            "excess": run.losses - run.floor,
        }
    )


def sweep(
    world: World,
    mixtures: Sequence[Mixture] | Mapping[str, Mixture],
    config: ProxyConfig = PROXY,
    seeds: Sequence[int] = (0,),
    progress: bool = True,
) -> pd.DataFrame:
    """Train one proxy per (mixture, seed) and collect the per-domain losses in a long table.

    Parameters
    ----------
    world : World
    mixtures : sequence of Mixture, or mapping name → Mixture
        Unnamed mixtures are labelled ``m0, m1, …``.
    config : ProxyConfig
    seeds : sequence of int
    progress : bool
        Show a tqdm progress bar (silenced when ``TQDM_DISABLE=1``, as under tests).

    Returns
    -------
    pandas.DataFrame
        Columns ``mixture``, ``seed``, ``domain``, ``weight``, ``tokens``, ``loss``, ``floor``,
        ``excess``; one row per (mixture, seed, domain), mixtures in input order, then seeds,
        then domains in spec order (``world.train.domains``). ``domain`` is a pandas
        Categorical whose categories are the domains in spec order, so ``groupby("domain")``,
        ``pivot_table`` and sorting keep that order instead of the alphabetical one.
        :func:`mean_losses` turns the table into mixture × domain means over seeds.

    Used in: 1.1, 1.2, 1.3, 1.4, 2.4, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6.
    """
    named = dict(mixtures) if isinstance(mixtures, Mapping) else {f"m{i}": m for i, m in enumerate(mixtures)}
    seeds = [check_seed(x, "seeds") for x in seeds]
    if not named or not seeds:
        raise ValueError("sweep needs at least one mixture and one seed")
    jobs = [(name, m, s) for name, m in named.items() for s in seeds]
    domains = list(world.train.domains)
    k = len(domains)
    weights = np.empty((len(jobs), k))
    tokens = np.empty((len(jobs), k), dtype=np.int64)
    losses = np.empty((len(jobs), k))
    floor = np.empty((len(jobs), k))
    for j, (_, m, s) in enumerate(progress_bar(jobs, progress, desc=f"training {config.name}s")):
        run = train_proxy(world, m, config, s)
        weights[j] = m.as_array(domains)
        tokens[j] = run.tokens.to_numpy()
        losses[j] = run.losses.to_numpy()
        floor[j] = run.floor.to_numpy()
    # one table at the end (building a small DataFrame per run would cost more than the run)
    return pd.DataFrame(
        {
            "mixture": np.repeat([name for name, _, _ in jobs], k),
            "seed": np.repeat(np.array([s for _, _, s in jobs], dtype=np.int64), k),
            "domain": pd.Categorical(np.tile(np.array(domains, dtype=object), len(jobs)), categories=domains),
            "weight": weights.ravel(),
            "tokens": tokens.ravel(),
            "loss": losses.ravel(),
            "floor": floor.ravel(),
            "excess": (losses - floor).ravel(),
        }
    )


def mean_losses(sweep_table: pd.DataFrame) -> pd.DataFrame:
    """Per-domain validation losses averaged over seeds: one row per mixture, one column per domain.

    Parameters
    ----------
    sweep_table : pandas.DataFrame
        A long table as :func:`sweep` returns it (at least the columns ``mixture``, ``domain``
        and ``loss``; other columns are ignored).

    Returns
    -------
    pandas.DataFrame
        Index ``mixture`` in the order the mixtures first appear (the order given to
        :func:`sweep`), columns ``domain`` in spec order (the categories of a Categorical
        ``domain`` column, otherwise the order of first appearance, which is spec order for a
        :func:`sweep` table), values the mean ``loss`` over all rows of that (mixture, domain),
        i.e. over seeds. A (mixture, domain) pair without rows is NaN.

    Raises
    ------
    TypeError
        If ``sweep_table`` is not a DataFrame.
    ValueError
        If it is empty or lacks one of the columns ``mixture``, ``domain``, ``loss``.

    Examples
    --------
    >>> table = pd.DataFrame({"mixture": ["a", "a", "a", "a"], "seed": [0, 0, 1, 1],
    ...                       "domain": ["web", "code"] * 2, "loss": [3.0, 2.0, 3.5, 2.5]})
    >>> means = mean_losses(table)
    >>> list(means.columns), means.loc["a"].tolist()
    (['web', 'code'], [3.25, 2.25])

    Used in: 1.4, 2.4, 3.6 (per-domain losses of several mixtures side by side, mean over seeds).
    """
    if not isinstance(sweep_table, pd.DataFrame):
        raise TypeError(f"sweep_table must be a pandas DataFrame from sweep (got {type(sweep_table).__name__})")
    missing = [c for c in ("mixture", "domain", "loss") if c not in sweep_table.columns]
    if missing:
        raise ValueError(
            f"sweep_table is missing columns: {', '.join(missing)} (has: {', '.join(map(str, sweep_table.columns))})"
        )
    if sweep_table.empty:
        raise ValueError("sweep_table has no rows")
    dom = sweep_table["domain"]
    if isinstance(dom.dtype, pd.CategoricalDtype):
        present = set(dom.dropna().unique().tolist())
        domains = [d for d in dom.cat.categories.tolist() if d in present]
    else:
        domains = pd.unique(dom.to_numpy()).tolist()
    mixtures = pd.unique(sweep_table["mixture"].to_numpy()).tolist()
    means = (
        sweep_table.assign(domain=dom.astype(object))
        .groupby(["mixture", "domain"], sort=False)["loss"]
        .mean()
        .unstack("domain")
    )
    return pd.DataFrame(
        means.reindex(index=mixtures, columns=domains).to_numpy(dtype=np.float64),
        index=pd.Index(mixtures, name="mixture"),
        columns=pd.Index(domains, name="domain"),
    )


def profile_summary(runs: Mapping[str, ProxyRun]) -> pd.DataFrame:
    """Summarize several runs' skill profiles: mean and worst excess loss, and the worst domain.

    Parameters
    ----------
    runs : mapping of str to ProxyRun
        Named proxy runs, e.g. ``{"uniform by token": train_proxy(...), ...}``.

    Returns
    -------
    pandas.DataFrame
        One row per run, index = the names of ``runs`` in their given order; columns
        ``mean excess`` (the mean over domains of ``run.skill_profile()["excess"]``, i.e. of
        loss − entropy floor, nats/token), ``worst excess`` (its maximum) and ``worst domain``
        (the domain where that maximum is reached; the first one in spec order on a tie).

    Raises
    ------
    TypeError
        If ``runs`` is not a mapping or one of its values is not a ProxyRun.
    ValueError
        If ``runs`` is empty.

    Used in: no lesson (the baseline lessons compare over seeds with
    :func:`mixlab.verdicts.worst_excess_runs`).
    """
    if not isinstance(runs, Mapping):
        raise TypeError(f"runs must be a mapping of name -> ProxyRun (got {type(runs).__name__})")
    if not runs:
        raise ValueError("runs is empty: profile_summary needs at least one run")
    bad = [str(name) for name, run in runs.items() if not isinstance(run, ProxyRun)]
    if bad:
        raise TypeError(f"every value of runs must be a ProxyRun (not for: {', '.join(bad)})")
    excess = {name: run.skill_profile()["excess"] for name, run in runs.items()}
    return pd.DataFrame(
        {
            "mean excess": [float(e.mean()) for e in excess.values()],
            "worst excess": [float(e.max()) for e in excess.values()],
            "worst domain": [str(e.idxmax()) for e in excess.values()],
        },
        index=pd.Index(list(excess)),
    )
