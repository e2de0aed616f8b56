"""DoReMi in miniature: domain weights from online Group DRO of a proxy against a reference model.

DoReMi (Xie et al. 2023, arXiv 2305.10429, Algorithm 1) finds domain weights in three steps:

1. train a *reference* model on a reference mixture (uniform by token here);
2. train a *proxy* model of the same kind with online Group DRO: at every step t, draw a
   minibatch with the same number of tokens from every domain, measure the proxy's
   per-token excess loss over the reference, clipped at zero per token, average it per domain
   (``λ_t[i]``), raise the weights of the domains with large excess in log space,

       α'_t = α_{t−1} ⊙ exp(η λ_t),   α_t = (1 − ε) α'_t / Σ_j α'_t[j] + ε / k,

   and update the proxy on the α_t-weighted loss ``Σ_i α_t[i] L_i``;
3. return the *time average* ``ᾱ = (1/T) Σ_t α_t`` as the mixture for the large model.

The paper uses η = 1 and ε = 1e-3 (the defaults here); it trains 280M-parameter proxy and
reference models and reports that the weights found for an 8B model raise average few-shot
accuracy by 6.5 points and reach the baseline's accuracy in 2.6× fewer steps. Its reference
implementation is github.com/sangmichaelxie/doremi (the domain-weight update in its trainer).

Here both models are :class:`mixlab.proxy.BigramLM` count models built from the same
:class:`~mixlab.proxy.ProxyConfig`. A count model has no gradient step, so step 2's "update
the proxy on Σ_i α_t[i] L_i" becomes *weighted counting*; see :func:`group_dro` for why adding
the minibatch's domain-i transitions with weight ``α_t[i] · k`` is the right analogue.

Used in: 1.5 (DoReMi in miniature), 3.6 (the best optimized mixture next to the baselines).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.objectives import Objective
from mixlab.optimizers import EVAL_SEED, OptimizationResult, progress_bar, search_setup
from mixlab.proxy import PROXY, BigramLM, ProxyConfig, train_proxy, training_rows
from mixlab.validation import check_finite_array, check_int, check_positive, check_seed, format_values

if TYPE_CHECKING:
    from mixlab.corpus import Corpus
    from mixlab.world import World

__all__ = ["doremi_step", "DomainBatches", "domain_batches", "GroupDRO", "group_dro", "doremi"]


# ---------------------------------------------------------------------------- the weight update
def doremi_step(
    log_alpha: np.ndarray, excess: np.ndarray, eta: float = 1.0, eps: float = 1e-3
) -> np.ndarray:
    """One DoReMi domain-weight update: exponentiated gradient ascent on excess loss, then smoothing.

    ``α'_t = α_{t−1} ⊙ exp(η λ_t)``, computed in log space as
    ``softmax(log α_{t−1} + η λ_t)`` (the normalization ``α'_t / Σ α'_t`` is part of the
    algorithm, not a silent fix), followed by ``α_t = (1 − ε) · softmax(·) + ε / k``
    (Xie et al. 2023, arXiv 2305.10429, Algorithm 1).

    Parameters
    ----------
    log_alpha : numpy.ndarray
        ``log α_{t−1}``, shape ``(k,)``; finite or ``-inf`` (a zero weight), at least one finite.
        Only differences matter (softmax is shift-invariant).
    excess : numpy.ndarray
        ``λ_t``: per-domain average of the clipped per-token excess loss, shape ``(k,)``, finite.
    eta : float
        Step size η > 0 (paper: 1).
    eps : float
        Smoothing ε in [0, 1] (paper: 1e-3); mixes the weights with uniform.

    Returns
    -------
    numpy.ndarray
        ``α_t``, shape ``(k,)``, on the simplex, every entry >= ε / k.

    Raises
    ------
    ValueError
        Shape mismatch, NaN/+inf log-weights or all ``-inf``, non-finite excess, η <= 0 or ε
        outside [0, 1].

    Examples
    --------
    >>> doremi_step(np.log([0.5, 0.5]), np.array([0.0, np.log(3.0)]), eta=1.0, eps=0.0).round(3).tolist()
    [0.25, 0.75]

    Used in: 1.5.
    """
    la = np.asarray(log_alpha, dtype=np.float64)
    lam = check_finite_array(excess, "excess")
    if la.ndim != 1 or la.shape != lam.shape or la.size == 0:
        raise ValueError(f"log_alpha and excess must be 1-d of equal length (got {la.shape} and {lam.shape})")
    if np.isnan(la).any() or np.isposinf(la).any() or np.isneginf(la).all():
        raise ValueError(f"log_alpha must be finite or -inf, not all -inf (got {la.tolist()})")
    step = check_positive(eta, "eta")
    smooth = check_positive(eps, "eps", allow_zero=True)
    if smooth > 1:
        raise ValueError(f"eps must lie in [0, 1] (got {smooth:g})")
    z = la + step * lam
    z = z - z[np.isfinite(z)].max()
    p = np.exp(z)
    p /= p.sum()
    return (1.0 - smooth) * p + smooth / la.size


# ---------------------------------------------------------------------------- minibatches
@dataclass(frozen=True)
class DomainBatches:
    """Training transitions for T steps, the same number of tokens from every domain per step.

    Attributes
    ----------
    prev, nxt : numpy.ndarray
        Transitions (previous token → next token), concatenated over domains.
    domain : numpy.ndarray
        Domain index of each transition.
    step : numpy.ndarray
        Step ``t`` in ``[0, steps)`` at which each transition is drawn.
    steps : int
    tokens_per_domain : int
        Tokens drawn per domain per step (``b``); a step's batch holds ``k·b`` tokens.
    rows, lengths : numpy.ndarray
        The training documents (row positions, tokens taken) behind the stream.

    Used in: 1.5.
    """

    prev: np.ndarray
    nxt: np.ndarray
    domain: np.ndarray
    step: np.ndarray
    steps: int
    tokens_per_domain: int
    rows: np.ndarray
    lengths: np.ndarray

    @property
    def tokens(self) -> int:
        """Tokens in the whole stream (``steps · k · b``)."""
        return int(self.lengths.sum())


def domain_batches(
    corpus: Corpus, steps: int, tokens_per_domain: int, seed: int, shuffle: bool = True
) -> DomainBatches:
    """Cut a per-domain document stream into ``steps`` minibatches of ``b`` tokens per domain.

    Each domain's stream is drawn by :func:`mixlab.proxy.training_rows` at a uniform token
    mixture with budget ``steps · k · b`` (so exactly ``steps · b`` tokens per domain, whole
    shuffled epochs then a partial pass, each domain on its own seeded child stream); its
    ``n_i ≈ steps · b`` transitions (a document of ``n`` tokens gives ``n − 1``) are dealt out
    to the steps, ``n_i / steps`` per step.

    With ``shuffle=True`` (default) the transitions of each domain are dealt in a random order,
    so a step's batch is a random sample of transitions from many documents — what a real
    minibatch of many sequences looks like. With ``shuffle=False`` they are dealt in stream
    order, so with small ``b`` consecutive steps see consecutive pieces of the same long
    document and the proxy's excess loss on it collapses after one step (the proxy has just
    counted the document's earlier half) — a miniature artefact, kept as an option to show it.
    A bigram count model only ever sees transitions, so shuffling them loses nothing it could use.

    Parameters
    ----------
    corpus : Corpus
        Training documents.
    steps : int
        T >= 1.
    tokens_per_domain : int
        b >= 2.
    seed : int
        Seeds the document draw and (a separate child stream) the shuffle.
    shuffle : bool
        Deal each domain's transitions to steps in random order (default) or in stream order.

    Returns
    -------
    DomainBatches

    Used in: 1.5.
    """
    from mixlab.proxy import transitions

    T = check_int(steps, "steps", minimum=1)
    b = check_int(tokens_per_domain, "tokens_per_domain", minimum=2)
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be a bool (got {shuffle!r})")
    k = len(corpus.domains)
    draw_ss, shuffle_ss = np.random.SeedSequence(check_seed(seed)).spawn(2)
    uniform = Mixture({d: 1.0 / k for d in corpus.domains}, domains=corpus.domains)
    rows, lengths = training_rows(corpus, uniform, T * k * b, int(draw_ss.generate_state(1)[0]))
    toks, offsets = corpus.concatenated_tokens(rows, lengths)
    prev, nxt = transitions(toks, offsets)
    # domain of every transition (rows arrive grouped by domain, in domain order)
    dom = np.repeat(corpus.domain_codes()[rows], np.maximum(lengths - 1, 0))
    n_dom = np.bincount(dom, minlength=k)
    first = np.r_[0, np.cumsum(n_dom)[:-1]]
    if shuffle:
        key = np.random.default_rng(shuffle_ss).random(dom.size)
        order = np.lexsort((key, dom))  # by domain, random within a domain
        prev, nxt, dom = prev[order], nxt[order], dom[order]
    rank = np.arange(dom.size) - first[dom]
    step = rank * T // np.maximum(n_dom[dom], 1)
    return DomainBatches(
        prev=prev,
        nxt=nxt,
        domain=dom,
        step=step,
        steps=T,
        tokens_per_domain=b,
        rows=rows,
        lengths=lengths,
    )


# ---------------------------------------------------------------------------- online Group DRO
@dataclass(frozen=True, eq=False)
class GroupDRO:
    """Result of DoReMi's step 2: the weight trajectory and the proxy trained along it.

    Attributes
    ----------
    domains : tuple of str
    alpha : numpy.ndarray
        ``α_t`` for t = 1..T, shape ``(T, k)``.
    excess : numpy.ndarray
        ``λ_t``, shape ``(T, k)``.
    average : numpy.ndarray
        ``ᾱ = mean_t α_t``, shape ``(k,)``.
    proxy : BigramLM
        The proxy after T weighted updates.
    tokens : int
        Training tokens the proxy consumed (``T · k · b``).

    Used in: 1.5.
    """

    domains: tuple[str, ...]
    alpha: np.ndarray
    excess: np.ndarray
    average: np.ndarray
    proxy: BigramLM
    tokens: int

    def trajectory(self) -> pd.DataFrame:
        """One row per step: ``α_t`` (columns named after the domains), ``excess_<domain>`` (λ_t)
        and ``avg_<domain>`` (the running time-average of α up to t)."""
        T = self.alpha.shape[0]
        out = pd.DataFrame(self.alpha, columns=list(self.domains), index=pd.RangeIndex(1, T + 1, name="step"))
        for j, d in enumerate(self.domains):
            out[f"excess_{d}"] = self.excess[:, j]
        running = np.cumsum(self.alpha, axis=0) / np.arange(1, T + 1)[:, None]
        for j, d in enumerate(self.domains):
            out[f"avg_{d}"] = running[:, j]
        return out


def group_dro(
    batches: DomainBatches,
    reference: BigramLM,
    proxy: BigramLM,
    domains: tuple[str, ...],
    eta: float = 1.0,
    eps: float = 1e-3,
    progress: bool = True,
) -> GroupDRO:
    """Train ``proxy`` with online Group DRO against ``reference`` (DoReMi step 2, arXiv 2305.10429).

    At step t (t = 1..T), with the step's minibatch of transitions ``x`` from every domain:

    1. per-token excess loss of the *current* proxy (before this step's update) over the
       reference, clipped at zero per token: ``e(x) = max(ℓ_θ(x) − ℓ_ref(x), 0)``;
    2. ``λ_t[i] = Σ_{x ∈ domain i} e(x) / #{x ∈ domain i}``;
    3. ``α_t = doremi_step(log α_{t−1}, λ_t, η, ε)`` with ``α_0 = 1/k``;
    4. the proxy adds the minibatch's transitions, those of domain i with weight ``α_t[i] · k``.

    Why weight ``α_t[i] · k``: for a count model, maximizing the weighted log-likelihood
    ``Σ_s Σ_i α_s[i] · (1/n_i) Σ_{x ∈ batch_s ∩ D_i} log Q(x)`` accumulated over steps s <= t is
    solved in closed form by counts in which every domain-i transition of step s carries weight
    ``∝ α_s[i] / n_i``: exactly the DoReMi objective ``Σ_i α_t[i] L_i``, summed over the steps
    the proxy has trained for, with each ``L_i`` the mean loss over the domain's tokens.
    With ``n_i = b`` tokens per domain (uniform sampling, share ``1/k``), the weight
    ``α_s[i] / (1/k) = α_s[i] · k`` is the importance weight that turns a uniform sample into a
    sample from ``α_s``; it also makes every step add exactly ``k·b`` units of count mass (the
    number of tokens in the batch), so the smoothing constant has the same strength relative to
    the data as in an ordinary proxy of the same budget.

    Parameters
    ----------
    batches : DomainBatches
        From :func:`domain_batches`.
    reference : BigramLM
        The trained reference model (its losses are computed once for the whole stream).
    proxy : BigramLM
        An untrained model (updated in place).
    domains : tuple of str
        Domain names, in the order of ``batches.domain`` codes.
    eta, eps : float
        Step size and smoothing of :func:`doremi_step`.
    progress : bool
        tqdm bar over steps (``TQDM_DISABLE=1`` silences it too).

    Returns
    -------
    GroupDRO

    Raises
    ------
    ValueError
        If some step has no transition from some domain (raise ``tokens_per_domain``).

    Used in: 1.5.
    """
    k = len(domains)
    T = batches.steps
    ref_loss = reference.token_losses(batches.prev, batches.nxt)
    group = batches.step * k + batches.domain  # (step, domain) cell of every transition
    n_cell = np.bincount(group, minlength=T * k).reshape(T, k)
    if (n_cell == 0).any():
        t, i = np.argwhere(n_cell == 0)[0]
        raise ValueError(
            f"step {t + 1} has no transition from domain {domains[i]!r}: raise tokens_per_domain "
            f"(now {batches.tokens_per_domain})"
        )
    order = np.argsort(batches.step, kind="stable")
    bounds = np.searchsorted(batches.step[order], np.arange(T + 1))
    alpha = np.empty((T, k))
    excess = np.empty((T, k))
    log_alpha = np.full(k, -np.log(k))
    for t in progress_bar(range(T), progress, desc=f"DoReMi Group DRO ({T} steps)"):
        idx = order[bounds[t] : bounds[t + 1]]
        prev, nxt, dom = batches.prev[idx], batches.nxt[idx], batches.domain[idx]
        clipped = np.maximum(proxy.token_losses(prev, nxt) - ref_loss[idx], 0.0)
        lam = np.bincount(dom, weights=clipped, minlength=k) / n_cell[t]
        a = doremi_step(log_alpha, lam, eta, eps)
        proxy.partial_fit(prev, nxt, (a * k)[dom])
        alpha[t], excess[t] = a, lam
        with np.errstate(divide="ignore"):
            log_alpha = np.log(a)
    return GroupDRO(
        domains=domains,
        alpha=alpha,
        excess=excess,
        average=alpha.mean(axis=0),
        proxy=proxy,
        tokens=batches.tokens,
    )


# ---------------------------------------------------------------------------- the method
def doremi(
    world: World,
    objective: Objective | str = "uniform",
    config: ProxyConfig = PROXY,
    steps: int = 50,
    max_epochs: float | None = None,
    seed: int = 0,
    eval_seed: int = EVAL_SEED,
    progress: bool = True,
    *,
    eta: float = 1.0,
    eps: float = 1e-3,
    tokens_per_domain: int | None = None,
    reference: Mixture | None = None,
    cap_budget: float | None = None,
) -> OptimizationResult:
    """Choose domain weights with DoReMi (Xie et al. 2023, arXiv 2305.10429) on small proxy models.

    (a) A reference model is trained on ``reference`` (default: uniform by token) with
    :func:`mixlab.proxy.train_proxy` at the config's budget. (b) A proxy of the same config is
    trained by online Group DRO (:func:`group_dro`) for ``steps`` steps on minibatches of
    ``tokens_per_domain`` tokens from each domain (:func:`domain_batches`; default
    ``budget // (k · steps)``, so the proxy sees about one budget of tokens, like the reference).
    (c) The time-average of the weights is the answer. DoReMi minimizes the *worst-case excess
    loss over the reference*, whatever ``objective`` says: the objective is only what the
    answer is measured with (``value``), so that it can be compared with other methods.

    If ``max_epochs`` is given and the average exceeds a cap ``u_i = min(1, E_max T_i / B)``,
    it is explicitly projected onto the capped simplex
    (:func:`mixlab.budget.project_capped_simplex`, Euclidean); the raw average and the
    projection are both recorded. DoReMi itself knows no caps.

    Parameters
    ----------
    world : World
        Supplies training data, validation sets and sizes.
    objective : Objective or str
        The objective the answer is measured with (default ``"uniform"``).
    config : ProxyConfig
        Reference and proxy configuration (capacity, budget, smoothing).
    steps : int
        Group DRO steps T >= 1.
    max_epochs : float, optional
        Repetition cap for the returned mixture.
    cap_budget : float, optional
        Token budget at which the caps ``u_i = min(1, E_max T_i / B)`` are computed (default: the
        proxy's own ``config.budget``), for when the real run is larger than the proxy.
    seed : int
        Child streams of ``SeedSequence(seed)`` seed the reference's training data and the
        Group DRO minibatch stream (different draws, so the reference is not scored on its own
        training documents more than chance repeats make it).
    eval_seed : int
        Seed of the fresh proxy run that measures the answer.
    progress : bool
        tqdm bar over the steps.
    eta : float
        Step size η (paper: 1).
    eps : float
        Smoothing ε (paper: 1e-3).
    tokens_per_domain : int, optional
        Minibatch tokens per domain per step, b >= 2.
    reference : Mixture, optional
        Token-kind reference mixture over the world's domains (default uniform by token).

    Returns
    -------
    OptimizationResult
        ``mixture``: the time-averaged weights (token kind) with provenance params η, ε, steps,
        batch size (``k·b`` tokens), reference mixture, seeds. ``history``: one row per step,
        α_t per domain, ``excess_<domain>`` (λ_t) and ``avg_<domain>`` (running average).
        ``tokens_spent`` = reference training tokens + Group DRO proxy tokens (the measuring run
        excluded, as for every optimizer); ``runs = 2`` (reference and proxy).
        ``details``: ``reference`` (the reference ProxyRun), ``dro`` (:class:`GroupDRO`),
        ``raw_average`` (before any cap projection), ``tokens`` (the breakdown).

    Raises
    ------
    TypeError, ValueError
        Bad arguments, a reference mixture over other domains, or batches too small to hold a
        transition of every domain at every step.

    Used in: 1.5, 3.6.
    """
    from mixlab.budget import project_capped_simplex
    from mixlab.domains import domain_stats
    from mixlab.mixers import uniform_by_token

    setup = search_setup(world, objective, config, max_epochs, seed, eval_seed, cap_budget=cap_budget)
    k = len(setup.domains)
    T = check_int(steps, "steps", minimum=1)
    b = config.budget // (k * T) if tokens_per_domain is None else tokens_per_domain
    b = check_int(b, "tokens_per_domain", minimum=2)
    if reference is None:
        ref_mix = uniform_by_token(domain_stats(world.train))
    elif isinstance(reference, Mixture):
        ref_mix = reference
    else:
        raise TypeError(f"reference must be a Mixture or None (got {type(reference).__name__})")
    ref_ss, stream_ss = np.random.SeedSequence(check_seed(seed)).spawn(2)
    ref_seed, stream_seed = int(ref_ss.generate_state(1)[0]), int(stream_ss.generate_state(1)[0])
    ref_run = train_proxy(world, ref_mix, config, ref_seed)
    batches = domain_batches(world.train, T, b, stream_seed)
    dro = group_dro(batches, ref_run.model, config.build(world.train.vocab_size), setup.domains, eta, eps, progress)
    raw = dro.average
    w = raw
    projected = not bool(setup.feasible(raw))
    if projected:
        w = np.asarray(project_capped_simplex(raw, setup.caps), dtype=np.float64)
    tokens = {"reference": ref_run.tokens_spent, "group_dro": dro.tokens}
    params: dict[str, Any] = {
        "objective": setup.objective.name,
        "eta": float(eta),
        "eps": float(eps),
        "steps": T,
        "tokens_per_domain": b,
        "batch_tokens": k * b,
        "reference": dict(ref_mix.items()),
        "reference_kind": ref_mix.kind,
        "max_epochs": max_epochs,
        "projected_to_caps": projected,
        "budget": setup.budget,
        "seed": seed,
        "eval_seed": eval_seed,
        "config": config.name,
        "tokens": tokens,
    }
    if projected:
        params["raw_average"] = dict(zip(setup.domains, raw.tolist(), strict=True))
    if not setup.feasible(w):  # pragma: no cover - the projection guarantees it
        pairs = zip(setup.domains, w.tolist(), strict=True)
        raise AssertionError(f"projected weights exceed the caps: {format_values(pairs)}")
    return OptimizationResult(
        mixture=setup.mixture(w, "doremi", params),
        objective=setup.objective.name,
        value=setup.measure(w),
        tokens_spent=int(sum(tokens.values())),
        runs=2,
        history=dro.trajectory(),
        details={"reference": ref_run, "dro": dro, "raw_average": raw, "tokens": tokens},
    )
