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
the proxy on Σ_i α_t[i] L_i" becomes *weighted counting*: :func:`group_dro` adds the minibatch's
domain-i transitions with weight ``α_t[i] · k``. Why that weight: for a count model, maximizing
the weighted log-likelihood ``Σ_s Σ_i α_s[i] · (1/n_i) Σ_{x ∈ batch_s ∩ D_i} log Q(x)``
accumulated over steps s <= t is solved in closed form by counts in which every domain-i
transition of step s carries weight ``∝ α_s[i] / n_i``: exactly the DoReMi objective
``Σ_i α_t[i] L_i``, summed over the steps the proxy has trained for, with each ``L_i`` the mean
loss over the domain's tokens. With ``n_i = b`` tokens per domain (uniform sampling, share
``1/k``), the weight ``α_s[i] / (1/k) = α_s[i] · k`` is the importance weight that turns a uniform
sample into a sample from ``α_s``; it also makes every step add exactly ``k·b`` units of count
mass (the number of tokens in the batch), so the smoothing constant has the same strength
relative to the data as in an ordinary proxy of the same budget.

Weights in, weights out: :func:`doremi_step` takes the previous weights ``α_{t−1}`` and returns
``α_t`` (the log space is internal), so a learner can chain it: ``alpha = doremi_step(alpha, lam)``.

Used in: 1.5 (DoReMi in miniature).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Unpack

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.objectives import Objective
from mixlab.progress import progress_bar
from mixlab.proxy import PROXY, BigramLM, ProxyConfig, train_proxy, training_rows
from mixlab.search import OptimizationResult, SearchOptions, search_setup
from mixlab.simplex import project_capped_simplex
from mixlab.validation import check_finite_array, check_int, check_positive, check_seed

if TYPE_CHECKING:
    from mixlab.corpus import Corpus
    from mixlab.world import World

__all__ = ["doremi_step", "DomainBatches", "domain_batches", "GroupDRO", "group_dro", "doremi"]


# ---------------------------------------------------------------------------- the weight update
def doremi_step(alpha: np.ndarray, excess: np.ndarray, eta: float = 1.0, eps: float = 1e-3) -> np.ndarray:
    """One DoReMi domain-weight update: exponentiated gradient ascent on excess loss, then smoothing.

    Weights in, weights out: ``α'_t = α_{t−1} ⊙ exp(η λ_t)``, computed in log space as
    ``softmax(log α_{t−1} + η λ_t)`` (the normalization ``α'_t / Σ α'_t`` is part of the
    algorithm, not a silent fix), followed by ``α_t = (1 − ε) · softmax(·) + ε / k``
    (Xie et al. 2023, arXiv 2305.10429, Algorithm 1).

    Parameters
    ----------
    alpha : numpy.ndarray
        ``α_{t−1}``, shape ``(k,)``: the previous weights, on the simplex (>= 0, summing to 1
        within 1e-9; nothing is normalized). A zero weight stays zero before smoothing.
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
        Shape mismatch, ``alpha`` off the simplex (negative, non-finite, not summing to 1),
        non-finite excess, η <= 0 or ε outside [0, 1].

    Examples
    --------
    >>> doremi_step(np.array([0.5, 0.5]), np.array([0.0, np.log(3.0)]), eta=1.0, eps=0.0).round(3).tolist()
    [0.25, 0.75]

    Used in: 1.5 (the update by hand, its invariant, the exercise).
    """
    a = check_finite_array(alpha, "alpha", nonnegative=True)
    lam = check_finite_array(excess, "excess")
    if a.ndim != 1 or a.shape != lam.shape or a.size == 0:
        raise ValueError(f"alpha and excess must be 1-d of equal length (got {a.shape} and {lam.shape})")
    if abs(a.sum() - 1.0) > 1e-9:
        raise ValueError(f"alpha must be the previous weights, summing to 1 within 1e-09 (got sum {a.sum():.12g})")
    step = check_positive(eta, "eta")
    smooth = check_positive(eps, "eps", allow_zero=True)
    if smooth > 1:
        raise ValueError(f"eps must lie in [0, 1] (got {smooth:g})")
    with np.errstate(divide="ignore"):
        z = np.log(a) + step * lam  # a zero weight is log 0 = -inf: exp(-inf) = 0 below
    z = z - z[np.isfinite(z)].max()
    p = np.exp(z)
    p /= p.sum()
    return (1.0 - smooth) * p + smooth / a.size


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

    Used in: no lesson by name (:func:`domain_batches` returns it).
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


def _by_domain_then_key(dom: np.ndarray, key: np.ndarray, first: np.ndarray, n_dom: np.ndarray) -> np.ndarray:
    """``np.lexsort((key, dom))``; when ``dom`` is already grouped in order, one stable sort per domain."""
    if dom.size and np.any(dom[1:] < dom[:-1]):
        return np.lexsort((key, dom))
    return np.concatenate([a + np.argsort(key[a : a + n], kind="stable") for a, n in zip(first, n_dom, strict=True)]
                          + [np.zeros(0, dtype=np.intp)])


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

    Used in: no lesson directly (:func:`doremi` draws its minibatches with it).
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
        order = _by_domain_then_key(dom, key, first, n_dom)  # by domain, random within a domain
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

    Used in: no lesson by name (``doremi(...).details["dro"]``).
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
    3. ``α_t = doremi_step(α_{t−1}, λ_t, η, ε)`` with ``α_0 = 1/k``;
    4. the proxy adds the minibatch's transitions, those of domain i with weight ``α_t[i] · k``.

    (Why ``α_t[i] · k`` is the right weight: module docstring.)

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

    Used in: no lesson directly (step 2 of :func:`doremi`).
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
    a = np.full(k, 1.0 / k)
    for t in progress_bar(range(T), progress, desc=f"DoReMi Group DRO ({T} steps)"):
        idx = order[bounds[t] : bounds[t + 1]]
        prev, nxt, dom = batches.prev[idx], batches.nxt[idx], batches.domain[idx]
        clipped = np.maximum(proxy.token_losses(prev, nxt) - ref_loss[idx], 0.0)
        lam = np.bincount(dom, weights=clipped, minlength=k) / n_cell[t]
        a = doremi_step(a, lam, eta, eps)
        proxy.partial_fit(prev, nxt, (a * k)[dom])
        alpha[t], excess[t] = a, lam
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
    *,
    steps: int = 50,
    eta: float = 1.0,
    eps: float = 1e-3,
    tokens_per_domain: int | None = None,
    reference: Mixture | None = None,
    **options: Unpack[SearchOptions],
) -> OptimizationResult:
    """Choose domain weights with DoReMi (Xie et al. 2023, arXiv 2305.10429) on small proxy models.

    (a) A reference model trains on ``reference`` at the config's budget; (b) a proxy of the same
    config trains by online Group DRO (:func:`group_dro`) for ``steps`` steps on minibatches of
    ``tokens_per_domain`` tokens per domain (:func:`domain_batches`); (c) the time-average of the
    weights is the answer. DoReMi minimizes the worst-case excess loss over the reference whatever
    ``objective`` says (it only measures the answer). With ``max_epochs``, an average above a cap
    is projected onto the capped simplex (Euclidean); DoReMi itself knows no caps.

    Parameters
    ----------
    world : World
        Training data, validation sets, sizes (DoReMi trains its own models: no ``evaluate``).
    objective, config : Objective or str, ProxyConfig
        What the answer is measured with (default ``"uniform"``); reference and proxy configuration.
    steps, eta, eps : int, float, float
        Group DRO steps T >= 1; step size η and smoothing ε (paper: 1 and 1e-3).
    tokens_per_domain : int, optional
        Minibatch tokens per domain per step, b >= 2 (default ``budget // (k · steps)``).
    reference : Mixture, optional
        Token-kind reference mixture over the world's domains (default uniform by token).
    **options
        The search options, :class:`mixlab.search.SearchOptions`; child streams of
        ``SeedSequence(seed)`` seed the reference's data and the minibatch stream.

    Returns
    -------
    OptimizationResult
        ``history``: one row per step, α_t per domain, ``excess_<domain>`` (λ_t), ``avg_<domain>``.
        ``tokens_spent``: reference + Group DRO tokens; ``runs = 2``. ``details``: ``reference``
        (ProxyRun), ``dro`` (:class:`GroupDRO`), ``raw_average`` (before any projection), ``tokens``.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, ``evaluate=``, or batches too small for every domain at every step.

    Used in: 1.5 (DoReMi in miniature).
    """
    from mixlab.domains import domain_stats
    from mixlab.mixers import uniform_by_token

    if options.get("evaluate") is not None:
        raise TypeError("doremi trains its own reference and proxy models: it takes a world, not evaluate=")
    setup = search_setup(world, objective, config, **options)
    k = len(setup.domains)
    T = check_int(steps, "steps", minimum=1)
    b = check_int(config.budget // (k * T) if tokens_per_domain is None else tokens_per_domain,
                  "tokens_per_domain", minimum=2)
    if not isinstance(reference, Mixture | None):
        raise TypeError(f"reference must be a Mixture or None (got {type(reference).__name__})")
    ref_mix = uniform_by_token(domain_stats(world.train)) if reference is None else reference
    ref_ss, stream_ss = np.random.SeedSequence(setup.seed).spawn(2)
    ref_run = train_proxy(world, ref_mix, config, int(ref_ss.generate_state(1)[0]))
    batches = domain_batches(world.train, T, b, int(stream_ss.generate_state(1)[0]))
    dro = group_dro(batches, ref_run.model, config.build(world.vocab_size), setup.domains, eta, eps, setup.progress)
    raw, projected = dro.average, not bool(setup.feasible(dro.average))
    w = np.asarray(project_capped_simplex(raw, setup.caps)) if projected else raw
    tokens = {"reference": ref_run.tokens_spent, "group_dro": dro.tokens}
    params = setup.params(eta=float(eta), eps=float(eps), steps=T, tokens_per_domain=b, batch_tokens=k * b,
                          reference=dict(ref_mix.items()), reference_kind=ref_mix.kind, projected_to_caps=projected,
                          tokens=tokens)
    if projected:
        params["raw_average"] = dict(zip(setup.domains, raw.tolist(), strict=True))
    details = {"reference": ref_run, "dro": dro, "raw_average": raw, "tokens": tokens}
    return setup.result(w, "doremi", params, runs=2, history=dro.trajectory(), details=details,
                        tokens_spent=sum(tokens.values()))
