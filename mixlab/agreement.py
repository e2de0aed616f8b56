"""Proxy–target agreement: does a small, cheap model rank mixtures the way the big one does?

Mixture methods (grid search, RegMix, mixing laws, DoReMi) choose weights with small proxy
runs and trust that the ranking carries over to the target model. This module measures that
trust on the synthetic world:

- :func:`rank_agreement` — Spearman's ρ and Kendall's τ between the proxy's and the target's
  objective values over the same candidate mixtures, whether both pick the same best mixture
  (top-1 agreement), and the *regret*: how much worse (on the target) the proxy's pick is than
  the target's own best.
- :func:`misleading_pairs` — the pairs of mixtures the proxy orders opposite to the target,
  most costly first: "a case where the proxy misleads".
- :func:`proxy_target_study` — the whole experiment of lesson 1.4: several proxy configurations
  (less capacity, fewer tokens) against one target, with the compute cost ratio of each;
  :class:`ProxyStudy` compares seed-averaged values (``agreement``), single runs of one model
  (``seed_agreement``, the noise ceiling) and single runs across models (``single_run_agreement``).
- :func:`candidate_mixtures` — named candidate mixtures drawn from a Dirichlet over the domains.
- :func:`near_optimum_accuracy` — how well a predictor of the objective (a mixing law, a RegMix
  regression) ranks and matches measured mixtures, over all of them and over those close to the
  best one, where the choice is actually made.

RegMix (Liu et al. 2024, arXiv 2407.01492) reports rank correlations of this kind between
1M-parameter proxies and 1B-parameter models; Data Mixing Laws (Ye et al. 2024,
arXiv 2403.16952) and DoReMi (Xie et al. 2023, arXiv 2305.10429) also rest on proxy rankings
transferring.

Used in: 1.4 (proxy models), 1.5 (accuracy of a predictor near the optimum), 3.3 (rank agreement of
tokens and excess loss).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.objectives import Objective, resolve_objective
from mixlab.progress import progress_bar
from mixlab.proxy import TARGET, ProxyConfig, train_proxy
from mixlab.ranks import kendall, ranks, spearman
from mixlab.validation import check_int, check_positive, check_seed

if TYPE_CHECKING:
    from mixlab.world import World

__all__ = [
    "Values",
    "RankAgreement",
    "rank_agreement",
    "misleading_pairs",
    "ProxyStudy",
    "proxy_target_study",
    "candidate_mixtures",
    "n_parameters",
    "near_optimum_accuracy",
]


#: Objective values of candidate mixtures: labelled (Series, mapping) or by position (sequence, array).
Values: TypeAlias = "pd.Series | Mapping[Hashable, float] | Sequence[float] | np.ndarray"


def _paired(proxy_values: Values, target_values: Values) -> tuple[pd.Series, pd.Series]:
    """Two aligned float Series (by label when both are labelled, else by position), checked."""
    p = proxy_values if isinstance(proxy_values, pd.Series) else None
    t = target_values if isinstance(target_values, pd.Series) else None
    if isinstance(proxy_values, Mapping):
        p = pd.Series(dict(proxy_values))
    if isinstance(target_values, Mapping):
        t = pd.Series(dict(target_values))
    if p is None:
        p = pd.Series(np.asarray(proxy_values, dtype=np.float64).ravel())
    if t is None:
        t = pd.Series(np.asarray(target_values, dtype=np.float64).ravel())
    if len(p) != len(t):
        raise ValueError(f"proxy_values and target_values must have the same length (got {len(p)} and {len(t)})")
    if p.index.has_duplicates or t.index.has_duplicates:
        raise ValueError("candidate labels must be unique")
    if not p.index.equals(t.index):
        if set(p.index) != set(t.index):
            only_p = sorted(map(str, set(p.index) - set(t.index)))[:5]
            only_t = sorted(map(str, set(t.index) - set(p.index)))[:5]
            raise ValueError(
                f"proxy and target must rate the same candidates (only in proxy: {only_p}; only in target: {only_t})"
            )
        t = t.loc[p.index]
    try:
        p = p.astype(np.float64)
        t = t.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"objective values must be numeric: {exc}") from exc
    for name, s in (("proxy_values", p), ("target_values", t)):
        bad = ~np.isfinite(s.to_numpy())
        if bad.any():
            raise ValueError(f"{name} must be finite (bad at {list(s.index[bad])[:5]})")
    if len(p) < 3:
        raise ValueError(f"rank agreement needs at least 3 candidates (got {len(p)})")
    for name, s in (("proxy_values", p), ("target_values", t)):
        if s.nunique() == 1:
            raise ValueError(f"{name} are all equal ({s.iloc[0]:.6g}): a constant ranking has no correlation")
    p.index.name = t.index.name = "candidate"
    return p.rename("proxy"), t.rename("target")


@dataclass(frozen=True, eq=False)
class RankAgreement:
    """How well a proxy's ranking of candidate mixtures matches the target's (lower value = better).

    Attributes
    ----------
    spearman, spearman_p : float
        Spearman's rank correlation ρ and its two-sided p-value (:func:`mixlab.ranks.spearman`,
        the numbers of ``scipy.stats.spearmanr``).
    kendall, kendall_p : float
        Kendall's τ-b and its two-sided p-value (:func:`mixlab.ranks.kendall`, the numbers of
        ``scipy.stats.kendalltau``).
    top1 : bool
        Whether the proxy's best candidate is the target's best.
    proxy_best, target_best : label
        The best candidate by each model (first one on ties).
    regret : float
        Target value of the proxy's pick minus the target's best value (>= 0): what trusting
        the proxy costs, in the objective's units.
    table : pandas.DataFrame
        One row per candidate: ``proxy``, ``target``, ``proxy_rank``, ``target_rank``
        (1 = best, ties get the lowest rank) and ``rank_shift`` (proxy rank − target rank);
        sorted by target rank.

    Used in: no lesson by name (:func:`rank_agreement` returns it).
    """

    spearman: float
    spearman_p: float
    kendall: float
    kendall_p: float
    top1: bool
    proxy_best: Hashable
    target_best: Hashable
    regret: float
    table: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of candidates."""
        return len(self.table)

    def __repr__(self) -> str:
        return (
            f"RankAgreement(n={self.n}: Spearman ρ={self.spearman:.3f} (p={self.spearman_p:.2g}), "
            f"Kendall τ={self.kendall:.3f}, top-1 {'agrees' if self.top1 else 'differs'} "
            f"(proxy best {self.proxy_best!r}, target best {self.target_best!r}, regret {self.regret:.4f}))"
        )


def rank_agreement(proxy_values: Values, target_values: Values) -> RankAgreement:
    """Compare the proxy's and the target's rankings of the same candidates.

    Parameters
    ----------
    proxy_values, target_values : pandas.Series, mapping or array-like
        The objective (lower is better) of each candidate under the proxy and under the target.
        Labelled inputs are aligned by label; arrays by position (labels ``0..n-1``).

    Returns
    -------
    RankAgreement

    Raises
    ------
    ValueError
        Fewer than 3 candidates, different lengths or labels, non-finite or constant values.
    TypeError
        Non-numeric values.

    Examples
    --------
    >>> round(rank_agreement([1.0, 2.0, 3.0, 4.0], [1.1, 2.5, 2.4, 4.0]).spearman, 6)
    0.8

    Used in: 1.4, 3.3 (does proportional's share of tokens rank the domains' excess loss?).
    """
    p, t = _paired(proxy_values, target_values)
    rho, rho_p = spearman(p.to_numpy(), t.to_numpy())
    tau, tau_p = kendall(p.to_numpy(), t.to_numpy())
    table = pd.DataFrame({"proxy": p, "target": t})
    table["proxy_rank"] = ranks(p.to_numpy(), method="min")
    table["target_rank"] = ranks(t.to_numpy(), method="min")
    table["rank_shift"] = table["proxy_rank"] - table["target_rank"]
    table = table.sort_values(["target_rank", "proxy_rank"], kind="stable")
    proxy_best = p.index[int(np.argmin(p.to_numpy()))]
    target_best = t.index[int(np.argmin(t.to_numpy()))]
    t_best_value = float(t.min())
    t_at_pick = float(t.to_numpy()[int(np.argmin(p.to_numpy()))])
    return RankAgreement(
        spearman=float(rho),
        spearman_p=float(rho_p),
        kendall=float(tau),
        kendall_p=float(tau_p),
        top1=t_at_pick == t_best_value,
        proxy_best=proxy_best,
        target_best=target_best,
        regret=t_at_pick - t_best_value,
        table=table,
    )


def misleading_pairs(proxy_values: Values, target_values: Values, min_gap: float = 0.0) -> pd.DataFrame:
    """Pairs of candidates that the proxy orders opposite to the target.

    A pair ``(a, b)`` is listed when the proxy says ``a`` is better (``proxy_a < proxy_b``)
    while the target says ``b`` is strictly better by more than ``min_gap``
    (``target_a − target_b > min_gap``; use the target's seed-to-seed noise as the gap so that
    only real disagreements count). Every unordered pair is checked once.

    Parameters
    ----------
    proxy_values, target_values
        As for :func:`rank_agreement`.
    min_gap : float
        Smallest target difference that counts (>= 0).

    Returns
    -------
    pandas.DataFrame
        Columns ``proxy_prefers``, ``target_prefers``, ``proxy_gap`` (how much better the proxy
        thinks its choice is), ``target_gap`` (how much worse the proxy's choice really is) and
        the four values; sorted by ``target_gap``, largest (most misleading) first. Empty when
        the proxy never contradicts the target.

    Raises
    ------
    ValueError, TypeError
        As for :func:`rank_agreement`, or a negative ``min_gap``.

    Used in: 1.4, through :meth:`ProxyTargetStudy.misleading` (a case where the proxy misleads) and
    the study's ``misleading_pairs`` counts.
    """
    gap = check_positive(min_gap, "min_gap", allow_zero=True)
    p, t = _paired(proxy_values, target_values)
    pv, tv = p.to_numpy(), t.to_numpy()
    i, j = np.triu_indices(len(p), k=1)
    dp = pv[i] - pv[j]
    dt = tv[i] - tv[j]
    # proxy prefers i and the target prefers j, or the other way round
    flip_ij = (dp < 0) & (dt > gap)
    flip_ji = (dp > 0) & (-dt > gap)
    a = np.concatenate([i[flip_ij], j[flip_ji]])  # the proxy's choice
    b = np.concatenate([j[flip_ij], i[flip_ji]])  # the target's choice
    labels = p.index.to_numpy()
    out = pd.DataFrame(
        {
            "proxy_prefers": labels[a],
            "target_prefers": labels[b],
            "proxy_gap": pv[b] - pv[a],
            "target_gap": tv[a] - tv[b],
            "proxy_a": pv[a],
            "proxy_b": pv[b],
            "target_a": tv[a],
            "target_b": tv[b],
        }
    )
    return out.sort_values(["target_gap", "proxy_gap"], ascending=False, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------- the lesson-1.4 study
def n_parameters(config: ProxyConfig, vocab_size: int) -> int:
    """Free parameters of a proxy configuration's bigram table: ``buckets × (V − 1)``.

    Used in: 1.4 (cost ratio ``tokens × params``, the ``C ≈ 6 N D`` rule without the constant).
    """
    v = check_int(vocab_size, "vocab_size", minimum=2)
    buckets = v if config.buckets is None else min(int(config.buckets), v)
    return buckets * (v - 1)


def candidate_mixtures(domains: Sequence[str], n: int, concentration: float = 1.0, seed: int = 0) -> dict[str, Mixture]:
    """``n`` named candidate mixtures drawn from a symmetric Dirichlet over ``domains`` (RegMix-style).

    Not to be confused with :func:`mixlab.regmix.dirichlet_mixtures`, which returns a weight
    matrix centred on a prior (with strengths and caps) for the RegMix regression; this one
    returns named :class:`~mixlab.mixture.Mixture` objects for ranking studies.

    Parameters
    ----------
    domains : sequence of str
    n : int
        Number of candidates (>= 1), named ``c00, c01, …``.
    concentration : float
        Dirichlet parameter α > 0 (1 = uniform over the simplex; small = near the vertices).
    seed : int

    Returns
    -------
    dict of str → Mixture
        Provenance ``{"mixer": "dirichlet", "params": {...}}``.

    Raises
    ------
    ValueError, TypeError
        Fewer than 2 or repeated domains, ``n < 1``, ``concentration <= 0``, a bad seed.

    Used in: 1.4 (candidate mixtures; RegMix, arXiv 2407.01492, samples its proxy mixtures so).
    """
    doms = tuple(domains)
    if len(doms) < 2 or len(set(doms)) != len(doms):
        raise ValueError(f"domains must be at least 2 unique names (got {list(doms)})")
    count = check_int(n, "n", minimum=1)
    alpha = check_positive(concentration, "concentration")
    s = check_seed(seed)
    draws = np.random.default_rng(s).dirichlet(np.full(len(doms), alpha), size=count)
    width = max(2, len(str(count - 1)))
    out: dict[str, Mixture] = {}
    for r, x in enumerate(draws):  # loop over a handful of candidates, not tokens
        # Dirichlet draws sum to 1 up to rounding; dividing by the sum is that rounding fix
        out[f"c{r:0{width}d}"] = Mixture.normalized(
            dict(zip(doms, x.tolist(), strict=True)),
            domains=doms,
            provenance={"mixer": "dirichlet", "params": {"concentration": alpha, "seed": s, "draw": r}},
        )
    return out


@dataclass(frozen=True, eq=False)
class ProxyStudy:
    """The result of :func:`proxy_target_study`.

    Attributes
    ----------
    values : pandas.DataFrame
        Objective per candidate mixture (rows) and model (columns: each proxy config's name,
        then ``target``), averaged over the seeds.
    losses : pandas.DataFrame
        Long table: ``model``, ``mixture``, ``seed``, ``domain``, ``loss``.
    summary : pandas.DataFrame
        One row per proxy config: ``buckets``, ``budget``, ``params``, ``spearman``,
        ``spearman_p``, ``kendall``, ``top1``, ``regret``, ``misleading_pairs`` (pairs ordered
        opposite to the target by more than ``min_gap``), ``token_ratio``, ``param_ratio``
        and ``cost_ratio`` (= tokens × params relative to the target). All deterministic.
        The agreement columns compare the *seed-averaged* values (``values``), as
        :meth:`agreement` does; averaging removes part of the sampling noise, so they are
        higher than what one proxy run says about one target run
        (:meth:`single_run_agreement`).
    timings : pandas.DataFrame
        Measured wall time per model: ``seconds_per_run`` and ``time_ratio`` vs the target
        (machine-dependent; keep it out of output comparisons).
    per_seed : pandas.DataFrame
        The objective of every run: rows = mixtures, columns = (model, seed).
    objective : str
    min_gap : float
        The target-difference threshold used for ``misleading_pairs``.

    Used in: no lesson by name (:func:`proxy_target_study` returns it).
    """

    values: pd.DataFrame
    losses: pd.DataFrame
    summary: pd.DataFrame
    timings: pd.DataFrame
    per_seed: pd.DataFrame
    objective: str
    min_gap: float

    def agreement(self, proxy: str) -> RankAgreement:
        """:func:`rank_agreement` of one proxy config (by name) against the target."""
        self._check_name(proxy)
        return rank_agreement(self.values[proxy], self.values["target"])

    def misleading(self, proxy: str, min_gap: float | None = None) -> pd.DataFrame:
        """:func:`misleading_pairs` of one proxy config against the target (default gap: the study's)."""
        self._check_name(proxy)
        return misleading_pairs(self.values[proxy], self.values["target"], self.min_gap if min_gap is None else min_gap)

    def seed_agreement(self, model: str = "target") -> RankAgreement:
        """Rank agreement of one model with *itself* across the first two seeds: the noise ceiling.

        No proxy can be expected to agree with the target better than the target agrees with a
        rerun of itself on other samples; ``table["target"] - table["proxy"]`` (here: seed 2
        minus seed 1) also suggests a ``min_gap`` for :meth:`misleading`. Compares single
        runs, like :meth:`single_run_agreement` (``seed_agreement(m)`` equals
        ``single_run_agreement(m, seed=s0, target_seed=s1, against=m)`` for the first two seeds).

        Raises
        ------
        ValueError
            If the study ran fewer than two seeds.
        KeyError
            For an unknown model.
        """
        if model not in self.values.columns:
            raise KeyError(f"unknown model {model!r} (known: {', '.join(self.values.columns)})")
        seeds = list(self.per_seed[model].columns)
        if len(seeds) < 2:
            raise ValueError("seed agreement needs a study run with at least two seeds")
        return rank_agreement(self.per_seed[(model, seeds[0])], self.per_seed[(model, seeds[1])])

    def single_run_agreement(
        self, model: str, *, seed: int, target_seed: int, against: str = "target"
    ) -> RankAgreement:
        """Rank agreement of *one* run of ``model`` (seed ``seed``) with one target run (seed ``target_seed``).

        :meth:`agreement` and ``summary["spearman"]`` compare values averaged over the study's
        seeds, and :meth:`seed_agreement` compares two single runs of one model. This compares
        single runs across models: what a method that trains each proxy once learns about a
        target trained once. Use different seeds (``seed=0, target_seed=1``) so that the two
        runs also read different samples, as the noise ceiling does.

        Parameters
        ----------
        model : str
            A proxy config's name, or ``"target"``.
        seed : int
            The seed of the ``model`` run (one of the study's seeds).
        target_seed : int
            The seed of the ``against`` run (one of the study's seeds).
        against : str
            The reference model, ``"target"`` by default.

        Returns
        -------
        RankAgreement
            ``rank_agreement(per_seed[(model, seed)], per_seed[(against, target_seed)])``.

        Raises
        ------
        KeyError
            For an unknown model.
        ValueError
            If a seed was not run by the study.

        Used in: 1.4 (one run vs one target run, next to the noise ceiling).
        """
        for name in (model, against):
            if name not in self.values.columns:
                raise KeyError(f"unknown model {name!r} (known: {', '.join(map(str, self.values.columns))})")
        seeds = list(self.per_seed[model].columns)
        for arg, value in (("seed", seed), ("target_seed", target_seed)):
            if isinstance(value, bool) or value not in seeds:
                raise ValueError(f"{arg} must be one of the study's seeds {seeds} (got {value!r})")
        return rank_agreement(self.per_seed[(model, seed)], self.per_seed[(against, target_seed)])

    def _check_name(self, proxy: str) -> None:
        if proxy not in self.summary.index:
            raise KeyError(f"unknown proxy config {proxy!r} (known: {', '.join(self.summary.index)})")

    def __repr__(self) -> str:
        parts = ", ".join(f"{name}: ρ={row.spearman:.2f}" for name, row in self.summary.iterrows())
        return f"ProxyStudy({self.objective}, {len(self.values)} mixtures; {parts})"


def _named_configs(proxy_configs: Sequence[ProxyConfig] | Mapping[str, ProxyConfig],
                   target_config: ProxyConfig) -> dict[str, ProxyConfig]:
    """Proxy configs by name (checked; ``"target"`` is reserved for ``target_config``)."""
    if isinstance(proxy_configs, Mapping):
        configs = dict(proxy_configs)
    else:
        configs = {}
        for c in proxy_configs:
            if not isinstance(c, ProxyConfig):
                raise TypeError(f"proxy_configs must be ProxyConfig objects (got {type(c).__name__})")
            if c.name in configs:
                raise ValueError(f"proxy config names must be unique (repeated: {c.name!r}); pass a mapping to rename")
            configs[c.name] = c
    if not configs:
        raise ValueError("proxy_configs must hold at least one config")
    if "target" in configs:
        raise ValueError("'target' is reserved for target_config; rename that proxy config")
    for name, c in {**configs, "target": target_config}.items():
        if not isinstance(c, ProxyConfig):
            raise TypeError(f"{name!r} must be a ProxyConfig (got {type(c).__name__})")
    return configs


def _study_summary(table: pd.DataFrame, configs: Mapping[str, ProxyConfig], target_config: ProxyConfig,
                   gap: float, vocab_size: int) -> pd.DataFrame:
    """One row per proxy config: agreement with the target (seed-averaged values) and cost ratios."""
    t_params = n_parameters(target_config, vocab_size)
    rows = []
    for mn, c in configs.items():
        ag = rank_agreement(table[mn], table["target"])
        params = n_parameters(c, vocab_size)
        rows.append(
            {
                "buckets": params // (vocab_size - 1),
                "budget": c.budget,
                "params": params,
                "spearman": ag.spearman,
                "spearman_p": ag.spearman_p,
                "kendall": ag.kendall,
                "top1": ag.top1,
                "regret": ag.regret,
                "misleading_pairs": len(misleading_pairs(table[mn], table["target"], gap)),
                "token_ratio": c.budget / target_config.budget,
                "param_ratio": params / t_params,
                "cost_ratio": c.budget * params / (target_config.budget * t_params),
            }
        )
    return pd.DataFrame(rows, index=pd.Index(list(configs), name="proxy"))


def proxy_target_study(
    world: World,
    mixtures: Sequence[Mixture] | Mapping[str, Mixture],
    proxy_configs: Sequence[ProxyConfig] | Mapping[str, ProxyConfig],
    target_config: ProxyConfig = TARGET,
    objective: Objective | str = "uniform",
    seeds: Sequence[int] = (0,),
    min_gap: float = 0.0,
    progress: bool = True,
) -> ProxyStudy:
    """Train every proxy config and the target on the same candidate mixtures and compare rankings.

    Every (config, mixture, seed) is one real training run (:func:`mixlab.proxy.train_proxy`);
    a model's value for a mixture is its objective averaged over ``seeds``. The cost of a
    config relative to the target is ``(B_proxy × N_proxy) / (B_target × N_target)`` with
    ``N`` the free parameters (``C ≈ 6 N D``, the 6 cancels), and the measured wall time.

    Parameters
    ----------
    world : World
    mixtures : sequence of Mixture or mapping name → Mixture
        At least 3 candidates (unnamed ones are labelled ``m0, m1, …``).
    proxy_configs : sequence of ProxyConfig or mapping name → ProxyConfig
        Unnamed configs are labelled by their ``name`` field, which must then be unique and
        different from ``"target"``.
    target_config : ProxyConfig
        Default :data:`mixlab.proxy.TARGET`.
    objective, seeds, progress : Objective or str, sequence of int, bool
    min_gap : float
        Target difference below which a reversed pair is not counted as misleading.

    Returns
    -------
    ProxyStudy

    Raises
    ------
    TypeError, ValueError
        Fewer than 3 mixtures, no proxy config, duplicated names, bad seeds.

    Used in: 1.4 (table and plot of ρ vs cost).
    """
    obj = resolve_objective(objective)
    gap = check_positive(min_gap, "min_gap", allow_zero=True)
    named = dict(mixtures) if isinstance(mixtures, Mapping) else {f"m{i}": m for i, m in enumerate(mixtures)}
    if len(named) < 3:
        raise ValueError(f"a ranking study needs at least 3 mixtures (got {len(named)})")
    for name, m in named.items():
        if not isinstance(m, Mixture):
            raise TypeError(f"mixtures must be Mixture objects (got {type(m).__name__} for {name!r})")
    configs = _named_configs(proxy_configs, target_config)
    seed_list = [check_seed(s, "seeds") for s in seeds]
    if not seed_list:
        raise ValueError("seeds must not be empty")
    models = {**configs, "target": target_config}
    jobs = [(mn, xn, s) for mn in models for xn in named for s in seed_list]
    records: list[tuple[str, str, int, str, float]] = []
    seconds: dict[str, float] = dict.fromkeys(models, 0.0)
    values: dict[str, dict[str, list[float]]] = {mn: {xn: [] for xn in named} for mn in models}
    for mn, xn, s in progress_bar(jobs, progress, desc="proxy vs target runs"):
        t0 = time.perf_counter()
        run = train_proxy(world, named[xn], models[mn], s)
        seconds[mn] += time.perf_counter() - t0
        values[mn][xn].append(obj(run.losses))
        records.extend((mn, xn, s, str(d), float(v)) for d, v in run.losses.items())
    table = pd.DataFrame({mn: [float(np.mean(values[mn][xn])) for xn in named] for mn in models},
                         index=pd.Index(list(named), name="mixture"))
    table.columns.name = "model"
    per_run = {mn: seconds[mn] / (len(named) * len(seed_list)) for mn in models}
    timings = pd.DataFrame({"seconds_per_run": per_run,
                            "time_ratio": {mn: per_run[mn] / per_run["target"] for mn in models}})
    timings.index.name = "model"
    per_seed = pd.DataFrame(
        {(mn, s): [values[mn][xn][i] for xn in named] for mn in models for i, s in enumerate(seed_list)},
        index=pd.Index(list(named), name="mixture"),
    )
    per_seed.columns = per_seed.columns.set_names(["model", "seed"])
    losses = pd.DataFrame.from_records(records, columns=["model", "mixture", "seed", "domain", "loss"])
    summary = _study_summary(table, configs, target_config, gap, world.vocab_size)
    return ProxyStudy(table, losses, summary, timings, per_seed, obj.name, gap)


def _accuracy_row(measured: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """n, Spearman's ρ (average ranks for ties), RMSE and the spread of the measured values."""
    n = len(measured)
    undefined = n < 3 or np.ptp(measured) == 0 or np.ptp(predicted) == 0
    rho = float("nan") if undefined else spearman(measured, predicted).statistic
    return {"mixtures": n, "spearman": rho, "rmse": float(np.sqrt(np.mean((predicted - measured) ** 2))),
            "measured_range": float(np.ptp(measured))}


def near_optimum_accuracy(
    weights: pd.DataFrame,
    measured: pd.Series | Sequence[float] | np.ndarray,
    predicted: pd.Series | Sequence[float] | np.ndarray,
    centre: Mixture,
    radius: float,
) -> pd.DataFrame:
    """How well predictions rank and match measurements: over all mixtures, and near a centre.

    A predictor of the objective (a fitted mixing law, a RegMix regression) is judged by its rank
    correlation with measured values. Over the whole simplex that correlation is dominated by the
    lopsided mixtures, whose losses differ by nats; the mixture method only needs it where it
    chooses, near the best mixture, where losses differ by hundredths. The second row keeps the
    mixtures within total variation distance ``radius`` of ``centre``,
    ``TV(w, c) = ½ Σ_i |w_i − c_i|`` (the share of the weight that would have to move).

    Parameters
    ----------
    weights : pandas.DataFrame
        One row per held-out mixture, one column per domain of ``centre`` (e.g. a grid search's
        ``history``; extra columns are ignored).
    measured, predicted : Series or array-like
        The measured objective and its prediction, one value per row of ``weights``.
    centre : Mixture
        The mixture the neighbourhood is centred on (e.g. the grid optimum).
    radius : float
        TV radius of the neighbourhood, in (0, 1].

    Returns
    -------
    pandas.DataFrame
        Index ``["all mixtures", "TV <= <radius>"]``; columns ``mixtures`` (count), ``spearman``
        (NaN with fewer than 3 mixtures or constant values), ``rmse`` and ``measured_range``
        (max − min of the measured values: the differences the predictor has to resolve).

    Raises
    ------
    TypeError
        If ``weights`` is not a DataFrame or ``centre`` not a Mixture.
    ValueError
        Missing domain columns, lengths that differ, non-finite values, ``radius`` outside
        (0, 1], or no mixture within it.

    Examples
    --------
    >>> w = pd.DataFrame({"a": [1.0, 0.5, 0.4, 0.6, 0.0], "b": [0.0, 0.5, 0.6, 0.4, 1.0]})
    >>> acc = near_optimum_accuracy(w, [3.0, 1.0, 1.1, 1.2, 2.5], [2.9, 1.2, 1.1, 1.0, 2.6],
    ...                             Mixture({"a": 0.5, "b": 0.5}), 0.15)
    >>> acc["spearman"].round(2).tolist(), acc["mixtures"].tolist()
    ([0.6, -1.0], [5, 3])

    Used in: 1.5 (the mixing law and RegMix judged on the grid's held-out mixtures).
    """
    if not isinstance(weights, pd.DataFrame):
        raise TypeError(f"weights must be a DataFrame with one column per domain (got {type(weights).__name__})")
    if not isinstance(centre, Mixture):
        raise TypeError(f"centre must be a Mixture (got {type(centre).__name__})")
    domains = list(centre.domains)
    missing = [d for d in domains if d not in weights.columns]
    if missing:
        raise ValueError(f"weights has no column for domains {missing} (columns: {list(weights.columns)})")
    m = np.asarray(measured, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if m.shape != (len(weights),) or p.shape != (len(weights),):
        raise ValueError(f"measured and predicted need one value per mixture ({len(weights)}; got shapes "
                         f"{m.shape} and {p.shape})")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(p))):
        raise ValueError("measured and predicted must be finite")
    r = check_positive(radius, "radius")
    if r > 1.0:
        raise ValueError(f"radius must lie in (0, 1]: TV distances never exceed 1 (got {radius!r})")
    tv = 0.5 * np.abs(weights[domains].to_numpy(dtype=np.float64) - centre.as_array(domains)).sum(axis=1)
    near = tv <= r + 1e-9
    if not near.any():
        raise ValueError(f"no mixture lies within TV {r:g} of the centre (nearest: {tv.min():.4g})")
    rows = {"all mixtures": _accuracy_row(m, p), f"TV <= {r:g}": _accuracy_row(m[near], p[near])}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out["mixtures"] = out["mixtures"].astype(np.int64)
    return out
