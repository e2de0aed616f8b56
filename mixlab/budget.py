"""Token budgets: tokens and epochs per domain, repetition caps, feasibility, capped-simplex projection.

Notation (COURSE.md): budget ``B`` tokens; domain ``i`` contributes ``w_i B`` tokens and is
repeated ``e_i = w_i B / T_i`` epochs; a cap ``e_i <= E_max`` means ``w_i <= u_i = min(1, E_max T_i / B)``;
the capped problem is feasible iff ``Σ_i u_i >= 1`` (equivalently ``E_max Σ T_i >= B``).
Compute to tokens: ``C ≈ 6 N D`` (Kaplan et al. 2020, arXiv 2001.08361).

Sizes may be in any consistent unit (tokens, bytes, characters). Functions that mix sizes with a
token budget take ``bytes_per_token`` (a scalar or one value per domain) to convert sizes to tokens.

Used in: 1.2, 1.3 (caps), 2.2, 2.3, 2.5 (token budget constraint), 3.1, 3.2 (epochs explode), 3.3,
3.4, 3.5, 3.6; 1.1's token-split exercise is checked against :func:`split_budget`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.simplex import project_capped_simplex  # the projection lives with the simplex tools
from mixlab.validation import (
    COUNT_COLUMNS,
    InvariantError,
    check_counts,
    check_finite_array,
    check_int,
    check_named_values,
    check_names,
    check_positive,
    format_values,
)

__all__ = [
    "tokens_per_domain",
    "split_budget",
    "integer_split",
    "epochs_from_weights",
    "ImpliedMixture",
    "caps_from_epochs",
    "check_feasible",
    "check_within_caps",
    "cap_binding_budgets",
    "project_capped_simplex",
    "weights_from_epochs",
    "implied_bytes_per_token",
    "tokens_from_compute",
    "compute_from_tokens",
    "effective_tokens",
    "repetition_value",
    "fresh_equivalent_tokens",
    "budget_table",
    "llama1_table",
    "MUENNIGHOFF_R_STAR",
]

#: Fitted decay constant R* for repeated data (Muennighoff et al. 2023, arXiv 2305.16264).
MUENNIGHOFF_R_STAR: float = 15.4


Sizes = pd.Series | Mapping[str, float] | pd.DataFrame
"""Domain sizes: a Series or mapping keyed by domain, or a counts table (its ``tokens`` column)."""

Weights = Mixture | pd.Series | Mapping[str, float]
"""Token weights: a token-kind Mixture, or a Series or mapping on the simplex keyed by domain."""

BytesPerToken = float | pd.Series | Mapping[str, float] | None
"""Bytes per token: one number, one per domain (Series/mapping), or None (sizes are tokens)."""


# ---------------------------------------------------------------------------- helpers
def _series(values: Sizes, name: str, *, positive: bool = False) -> pd.Series:
    """A float Series keyed by domain from a Series, mapping, or counts DataFrame (its ``tokens`` column).

    A DataFrame goes through the shared counts-table check (:func:`mixlab.validation.check_counts`),
    so a table with numeric strings, booleans, fractional documents or tokens without documents is
    refused here exactly as it is by the mixers.
    """
    if isinstance(values, pd.DataFrame):
        cols = tuple(c for c in COUNT_COLUMNS if c == "tokens" or c in values.columns)
        values = check_counts(values, cols, name=name)["tokens"]
    if isinstance(values, Mapping) and not isinstance(values, pd.Series):
        values = pd.Series(dict(values), dtype=object)
    if not isinstance(values, pd.Series):
        raise TypeError(f"{name} must be a pandas Series or mapping keyed by domain (got {type(values).__name__})")
    if any(not isinstance(i, str) for i in values.index):
        raise TypeError(f"{name} must be keyed by domain-name strings (got index {list(values.index)})")
    names = check_names(list(values.index), f"{name} index")
    arr = check_named_values(names, values.tolist(), name, positive=positive)
    return pd.Series(arr, index=pd.Index(names, name="domain"), name=name)


def _weights(mixture: Weights) -> pd.Series:
    """Token weights as a Series from a token-kind Mixture, or a Series/mapping on the simplex."""
    if isinstance(mixture, Mixture):
        if mixture.kind != "token":
            raise ValueError(
                "budget arithmetic needs token weights (got a document-kind mixture); convert it with "
                "mixture.to_tokens(counts) first"
            )
        return mixture.weights
    w = _series(mixture, "weights")
    total = float(w.sum())
    if abs(total - 1) > 1e-9:
        raise ValueError(f"weights must sum to 1 within 1e-09 (got {total:.12g}: {format_values(w.items())})")
    return w


def _align(a: pd.Series, b: pd.Series, a_name: str, b_name: str) -> pd.Series:
    """Reorder ``b`` to ``a``'s domains; raise if the domain sets differ."""
    missing = [d for d in a.index if d not in b.index]
    unknown = [d for d in b.index if d not in a.index]
    if missing or unknown:
        raise ValueError(
            f"{b_name} must cover exactly the domains of {a_name} (missing: {', '.join(missing) or '-'}; "
            f"unknown: {', '.join(unknown) or '-'})"
        )
    return b.loc[a.index]


def _to_tokens(sizes: pd.Series, bytes_per_token: BytesPerToken) -> pd.Series:
    """Convert sizes to tokens by dividing by ``bytes_per_token`` (scalar or per domain); None = already tokens."""
    if bytes_per_token is None:
        return sizes
    if not isinstance(bytes_per_token, pd.Series | Mapping):  # one number for every domain
        return sizes / check_positive(bytes_per_token, "bytes_per_token")
    bpt = _align(sizes, _series(bytes_per_token, "bytes_per_token", positive=True), "sizes", "bytes_per_token")
    return sizes / bpt


def _check_finite_result(values: np.ndarray, what: str, **inputs: float | np.ndarray | pd.Series) -> None:
    """Refuse a result that overflowed to infinity (or NaN), naming the inputs that produced it."""
    if not np.all(np.isfinite(values)):
        shown = "; ".join(f"{k}={_short(v)}" for k, v in inputs.items())
        raise ValueError(f"{what} overflows float64 for these inputs ({shown})")


def _short(value: float | np.ndarray | pd.Series) -> str:
    """A compact rendering of an input for :func:`_check_finite_result` messages."""
    if isinstance(value, pd.Series):
        return "{" + format_values(value.items(), limit=4) + "}"
    arr = np.asarray(value)
    return f"{float(arr):.6g}" if arr.ndim == 0 else str(np.round(arr.ravel()[:4], 6).tolist())


# ---------------------------------------------------------------------------- tokens and epochs
def tokens_per_domain(mixture: Mixture | pd.Series | Mapping[str, float], budget: float) -> pd.Series:
    """Tokens drawn from each domain, ``w_i B``.

    Parameters
    ----------
    mixture : token-kind Mixture, or weights Series/mapping on the simplex
    budget : float
        Token budget B > 0.

    Returns
    -------
    pandas.Series
        Named ``tokens``, index = domains.

    Raises
    ------
    ValueError
        ``budget <= 0`` or a document-kind mixture.

    Used in: 2.5.
    """
    B = check_positive(budget, "budget")
    return (_weights(mixture) * B).rename("tokens")


def integer_split(weights: npt.ArrayLike, total: int) -> np.ndarray:
    """Whole counts in proportion to ``weights`` that sum exactly to ``total`` (largest remainder).

    Floor every ``w_i · total``; then give the tokens still missing one each to the entries with
    the largest fractional parts, ties going to the earlier entry. Rounding each share on its own
    would not do: three shares of 1/3 of 100 round to 33 + 33 + 33 = 99.

    Parameters
    ----------
    weights : array_like of float
        Non-negative weights summing to 1 (trusted: validate with :func:`split_budget`).
    total : int
        The integer to split.

    Returns
    -------
    numpy.ndarray
        int64 counts, same order as ``weights``, summing to ``total``.

    Used in: no lesson by name; :func:`split_budget` and every proxy run's integer share of ``B``
    call it.
    """
    raw = np.asarray(weights, dtype=np.float64) * total
    out = np.floor(raw).astype(np.int64)
    short = total - int(out.sum())
    if short > 0:
        order = np.argsort(-(raw - out), kind="stable")  # stable: ties broken by domain order
        out[order[:short]] += 1
    return out


def split_budget(mixture: Weights, budget: int) -> pd.Series:
    """Whole training tokens per domain, ``w_i B`` rounded by largest remainder so they sum to ``B``.

    This is the split every proxy run uses (:func:`mixlab.proxy.train_proxy` reads exactly these
    many tokens of each domain), and what lesson 1.1 asks the learner to write.

    Parameters
    ----------
    mixture : token-kind Mixture, or weights Series/mapping on the simplex
    budget : int
        Token budget B >= 1 (a whole number of tokens).

    Returns
    -------
    pandas.Series
        int64, named ``tokens``, index = domains; sums to ``budget``.

    Raises
    ------
    TypeError
        If ``budget`` is not an integer.
    ValueError
        ``budget < 1``, a document-kind mixture, or weights off the simplex.

    Examples
    --------
    >>> split_budget({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 100).tolist()
    [34, 33, 33]

    Used in: no lesson by name; it is the reference answer of the token-split implement-it exercise
    (:data:`mixlab.exercises.tasks_counts.TOKEN_SPLIT`), and the proxy runs split ``B`` the same way.
    """
    w = _weights(mixture)
    b = check_int(budget, "budget", minimum=1)
    return pd.Series(integer_split(w.to_numpy(), b), index=w.index.copy(), name="tokens")


def epochs_from_weights(
    mixture: Weights,
    budget: float,
    sizes: Sizes,
    *,
    bytes_per_token: BytesPerToken = None,
    on_empty: str = "raise",
) -> pd.Series:
    """Epochs per domain at budget B, ``e_i = w_i B / T_i``; the inverse of :func:`weights_from_epochs`.

    Parameters
    ----------
    mixture : token-kind Mixture, or weights Series/mapping on the simplex
        The shares ``w_i``.
    budget : float
        Token budget B > 0.
    sizes : Series/mapping keyed by domain, or counts DataFrame (its ``tokens`` column)
        Domain sizes ``T_i`` (tokens, or bytes with ``bytes_per_token``).
    bytes_per_token : float or per-domain Series/mapping, optional (keyword-only)
        Converts sizes to tokens (``T_i = size_i / bytes_per_token_i``).
    on_empty : {"raise", "inf"}
        A domain with size 0 and positive weight has infinitely many epochs: raise a
        ``ValueError`` naming it (default) or return ``inf`` for it. Size 0 with weight 0 gives 0.

    Returns
    -------
    pandas.Series
        Named ``epochs``.

    Raises
    ------
    TypeError, ValueError
        Bad weights, sizes or budget (the message names the argument); a document-kind mixture;
        positive weight on an empty domain (with ``on_empty="raise"``).

    Used in: 1.3, 2.3, 2.5 (epochs per domain; the LLaMA-1 table), 3.1, 3.2 (epochs explode on
    small domains), 3.3, 3.5.
    """
    if on_empty not in ("raise", "inf"):
        raise ValueError(f"on_empty must be 'raise' or 'inf' (got {on_empty!r})")
    B = check_positive(budget, "budget")
    w = _weights(mixture)
    T = _to_tokens(_align(w, _series(sizes, "sizes"), "mixture", "sizes"), bytes_per_token)
    empty = (T.to_numpy() == 0) & (w.to_numpy() > 0)
    if empty.any() and on_empty == "raise":
        raise ValueError(
            f"domains with size 0 but positive weight would need infinitely many epochs: "
            f"{format_values(zip(w.index[empty], w.to_numpy()[empty], strict=True))}"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(T.to_numpy() > 0, w.to_numpy() * B / np.where(T.to_numpy() > 0, T.to_numpy(), 1.0), 0.0)
    e = np.where(empty, np.inf, e)
    return pd.Series(e, index=w.index, name="epochs")


class ImpliedMixture(NamedTuple):
    """What :func:`weights_from_epochs` returns: the shares and the budget that epochs imply.

    A named tuple, so both ``implied.mixture`` / ``implied.budget`` and
    ``mixture, budget = weights_from_epochs(...)`` read naturally.

    Used in: internal (what :func:`weights_from_epochs` returns).
    """

    mixture: Mixture
    """Token-kind mixture ``w_i = e_i T_i / Σ_j e_j T_j`` (provenance mixer ``"weights_from_epochs"``)."""
    budget: float
    """Implied token budget ``B = Σ_j e_j T_j``."""


def weights_from_epochs(
    sizes: Sizes,
    epochs: pd.Series | Mapping[str, float],
    *,
    bytes_per_token: BytesPerToken = None,
) -> ImpliedMixture:
    """Shares and total budget implied by epochs per domain: ``w_i = e_i T_i / Σ_j e_j T_j``, ``B = Σ e_j T_j``.

    The inverse of :func:`epochs_from_weights`.

    Parameters
    ----------
    sizes : Series/mapping/counts DataFrame
        Domain sizes (tokens, or bytes with ``bytes_per_token``).
    epochs : Series/mapping
        Epochs ``e_i >= 0`` per domain, not all zero.
    bytes_per_token : float or per-domain Series/mapping, optional (keyword-only)
        Converts sizes to tokens.

    Returns
    -------
    ImpliedMixture
        ``(mixture, budget)``: the token-kind mixture (provenance mixer ``"weights_from_epochs"``)
        and the implied budget B.

    Raises
    ------
    TypeError, ValueError
        Bad sizes or epochs (the message names the argument), or no domain with positive epochs and size.

    Used in: 2.5.
    """
    T = _to_tokens(_series(sizes, "sizes"), bytes_per_token)
    e = _align(T, _series(epochs, "epochs"), "sizes", "epochs")
    with np.errstate(over="ignore"):
        drawn = e * T
        B = float(drawn.sum())
    if not math.isfinite(B):
        raise ValueError(f"epochs × sizes overflow: the implied budget Σ e_i T_i is not finite (sizes: "
                         f"{format_values(T.items())}; epochs: {format_values(e.items())})")
    if B <= 0:
        raise ValueError("weights_from_epochs needs at least one domain with positive epochs and size")
    prov = {
        "mixer": "weights_from_epochs",
        "params": {"epochs": e.to_dict(), "sizes_in_tokens": T.to_dict(), "budget": B},
    }
    shares = {str(d): float(x) for d, x in (drawn / B).items()}
    return ImpliedMixture(Mixture(shares, domains=[str(d) for d in T.index], provenance=prov), B)


def implied_bytes_per_token(
    weights: pd.Series | Mapping[str, float],
    epochs: pd.Series | Mapping[str, float],
    budget: float,
    sizes_bytes: pd.Series | Mapping[str, float],
) -> pd.Series:
    """Bytes per token implied by a published table: ``size_i · e_i / (w_i B)``.

    From ``e_i = w_i B / T_i`` with ``T_i = size_i / bpt_i``. For LLaMA-1's Table 1 this gives
    about 2.8 (ArXiv) to 3.9–3.95 (CommonCrawl 3.87, C4 3.95) bytes per token.

    Used in: 2.5.
    """
    B = check_positive(budget, "budget")
    w = _series(weights, "weights", positive=True)
    e = _align(w, _series(epochs, "epochs", positive=True), "weights", "epochs")
    s = _align(w, _series(sizes_bytes, "sizes_bytes", positive=True), "weights", "sizes_bytes")
    with np.errstate(over="ignore"):
        bpt = (s * e / (w * B)).rename("bytes_per_token")
    _check_finite_result(bpt.to_numpy(), "bytes per token size_i · e_i / (w_i B)",
                         weights=w, epochs=e, budget=B, sizes_bytes=s)
    return bpt


def llama1_table() -> pd.DataFrame:
    """LLaMA-1 pre-training data (Touvron et al. 2023, arXiv 2302.13971, Table 1), B = 1.4T tokens.

    Returns
    -------
    pandas.DataFrame
        Index = source; columns ``share`` (sampling proportion), ``epochs``, ``size_bytes``
        (disk size; 1 GB = 1e9 bytes, 1 TB = 1e12 bytes). Attribute ``attrs["budget"] = 1.4e12``.

    Used in: 2.2, 2.5 (the LLaMA-1 table reproduced from shares and sizes), 3.3, 3.4.
    """
    df = pd.DataFrame(
        {
            "share": [0.670, 0.150, 0.045, 0.045, 0.045, 0.025, 0.020],
            "epochs": [1.10, 1.06, 0.64, 2.45, 2.23, 1.06, 1.03],
            "size_bytes": [3.3e12, 783e9, 328e9, 83e9, 85e9, 92e9, 78e9],
        },
        index=pd.Index(["CommonCrawl", "C4", "GitHub", "Wikipedia", "Books", "ArXiv", "StackExchange"], name="domain"),
    )
    df.attrs["budget"] = 1.4e12
    return df


# ---------------------------------------------------------------------------- caps and feasibility
def caps_from_epochs(
    sizes: Sizes,
    budget: float,
    max_epochs: float,
    *,
    bytes_per_token: BytesPerToken = None,
) -> pd.Series:
    """Weight caps from a repetition limit: ``u_i = min(1, E_max T_i / B)``.

    With ``max_epochs = math.inf`` a domain with tokens is uncapped (``u_i = 1``) and a domain
    with none still gets ``u_i = 0``: no number of epochs over nothing supplies a token.

    Raises
    ------
    ValueError
        ``budget <= 0``, ``max_epochs <= 0`` or bad sizes.

    Used in: 2.5, 3.6 (an exercise's caps). The other lessons get their caps from
    :func:`check_feasible`, which calls it.
    """
    B = check_positive(budget, "budget")
    E = check_positive(max_epochs, "max_epochs", allow_inf=True)
    T = _to_tokens(_series(sizes, "sizes"), bytes_per_token)
    if math.isinf(E):
        return pd.Series(np.where(T.to_numpy() > 0, 1.0, 0.0), index=T.index, name="cap")
    return (E * T / B).clip(upper=1.0).rename("cap")


def check_feasible(
    sizes: Sizes,
    budget: float,
    max_epochs: float,
    *,
    bytes_per_token: BytesPerToken = None,
) -> pd.Series:
    """Check that some mixture reaches budget B without any domain exceeding ``E_max`` epochs.

    Feasible iff ``Σ_i min(1, E_max T_i / B) >= 1``, i.e. iff ``E_max Σ_i T_i >= B``. Domains
    without tokens can never supply any, even with ``E_max = math.inf``.

    Returns
    -------
    pandas.Series
        The caps ``u_i`` (when feasible).

    Raises
    ------
    ValueError
        ``"infeasible: at E_max=… the domains hold at most X tokens, budget B needs Y more"``, or
        that the domains hold no tokens at all; bad sizes, budget or ``max_epochs``.

    Used in: 1.3 (caps become binding), 2.5, 3.5, 3.6.
    """
    caps = caps_from_epochs(sizes, budget, max_epochs, bytes_per_token=bytes_per_token)
    B = float(budget)
    E = float(max_epochs)
    if float(caps.sum()) < 1.0 - 1e-12:
        total = float(_to_tokens(_series(sizes, "sizes"), bytes_per_token).sum())
        if total == 0:
            raise ValueError(f"infeasible: the domains hold no tokens at all, so no number of epochs "
                             f"(E_max={E:g}) reaches budget {B:.6g}")
        held = E * total
        raise ValueError(
            f"infeasible: at E_max={E:g} the domains hold at most {held:.6g} tokens, budget {B:.6g} needs "
            f"{B - held:.6g} more (caps sum to {float(caps.sum()):.6g} < 1)"
        )
    return caps


def check_within_caps(
    mixture: Weights,
    budget: float,
    sizes: Sizes,
    max_epochs: float,
    *,
    bytes_per_token: BytesPerToken = None,
    rtol: float = 1e-9,
) -> pd.Series:
    """Check ``e_i <= E_max`` for every domain (fail-fast); return the epochs.

    Raises
    ------
    InvariantError
        Naming each domain over its cap with its epochs and the cap.

    Used in: 1.3, 2.5, 3.2, 3.3, 3.4 (hand-tuned weights must respect caps), 3.5, 3.6.
    """
    E = check_positive(max_epochs, "max_epochs")
    e = epochs_from_weights(mixture, budget, sizes, bytes_per_token=bytes_per_token, on_empty="inf")
    over = e > E * (1 + rtol)
    if over.any():
        raise InvariantError(f"epoch cap violated (E_max={E:g}) for: {format_values(e[over].items())} epochs")
    return e


def cap_binding_budgets(
    mixture: Weights,
    sizes: Sizes,
    max_epochs: float,
    *,
    bytes_per_token: BytesPerToken = None,
) -> pd.Series:
    """The budget at which each domain's epoch cap binds for a fixed mixture: ``B_i = E_max T_i / w_i``.

    Epochs grow in proportion to the budget (``e_i = w_i B / T_i``), so domain ``i`` reaches
    ``E_max`` epochs exactly at ``B_i``. The mixture stays within every cap up to
    ``min_i B_i`` and breaks the first cap just above it. A domain with weight 0 is never read:
    its cap never binds (``inf``).

    Parameters
    ----------
    mixture : token-kind Mixture, or weights Series/mapping on the simplex
    sizes : Series/mapping keyed by domain, or counts DataFrame (its ``tokens`` column)
        Domain sizes ``T_i`` (tokens, or bytes with ``bytes_per_token``).
    max_epochs : float
        The cap ``E_max > 0``.
    bytes_per_token : float or per-domain Series/mapping, optional (keyword-only)
        Converts sizes to tokens.

    Returns
    -------
    pandas.Series
        Named ``binding_budget``, index = the mixture's domains, in tokens (``inf`` for weight 0).

    Raises
    ------
    TypeError, ValueError
        Bad weights, sizes or ``max_epochs`` (the message names the argument); a document-kind
        mixture; sizes over other domains.

    Examples
    --------
    >>> cap_binding_budgets({"web": 0.5, "books": 0.5}, {"web": 1000, "books": 100}, 4).tolist()
    [8000.0, 800.0]

    Used in: 3.2 (when uniform by token breaks its first cap), 3.3 (the three baselines' largest
    budgets within the caps).
    """
    E = check_positive(max_epochs, "max_epochs")
    w = _weights(mixture)
    T = _to_tokens(_align(w, _series(sizes, "sizes"), "mixture", "sizes"), bytes_per_token)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(w.to_numpy() > 0, E * T.to_numpy() / np.where(w.to_numpy() > 0, w.to_numpy(), 1.0), np.inf)
    return pd.Series(b, index=w.index, name="binding_budget")


# ---------------------------------------------------------------------------- compute and repetition
def tokens_from_compute(compute: float, n_params: float) -> float:
    """Training tokens affordable with compute C for N parameters: ``D = C / (6 N)``.

    Uses the ``C ≈ 6 N D`` FLOPs rule (Kaplan et al. 2020, arXiv 2001.08361).

    Used in: 2.5 (compute → tokens).
    """
    C, N = check_positive(compute, "compute"), check_positive(n_params, "n_params")
    with np.errstate(over="ignore"):
        D = C / (6.0 * N)
    _check_finite_result(np.asarray(D), "tokens C / (6 N)", compute=C, n_params=N)
    return D


def compute_from_tokens(tokens: float, n_params: float) -> float:
    """Inverse of :func:`tokens_from_compute`: ``C = 6 N D`` FLOPs. Used in: 2.5."""
    N, D = check_positive(n_params, "n_params"), check_positive(tokens, "tokens")
    with np.errstate(over="ignore"):
        C = 6.0 * N * D
    _check_finite_result(np.asarray(C), "compute 6 N D", tokens=D, n_params=N)
    return C


def effective_tokens(
    unique: float | npt.ArrayLike, repeats: float | npt.ArrayLike, r_star: float = MUENNIGHOFF_R_STAR
) -> float | np.ndarray:
    """Effective data of repeated tokens: ``D' = U + U R* (1 − exp(−R / R*))``.

    ``U`` unique tokens seen ``1 + R`` times (R = repetitions beyond the first epoch) are worth
    ``D'`` fresh tokens (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models",
    arXiv 2305.16264, with fitted R* ≈ 15.4). Repeating for ever is worth at most ``U (1 + R*)``.

    Parameters
    ----------
    unique : float or array-like
        Unique tokens ``U >= 0``.
    repeats : float or array-like
        Extra repetitions ``R >= 0`` (``epochs − 1`` for ``epochs >= 1``).
    r_star : float
        Decay constant R* > 0.

    Returns
    -------
    float or numpy.ndarray

    Used in: 1.2 (repeated tokens worth less), 2.5 (published-style table).
    """
    rs = check_positive(r_star, "r_star")
    U = check_finite_array(unique, "unique", ndim=None, nonnegative=True)
    R = check_finite_array(repeats, "repeats", ndim=None, nonnegative=True)
    with np.errstate(over="ignore", invalid="ignore"):
        out = U + U * rs * (-np.expm1(-R / rs))
    _check_finite_result(out, "effective tokens U + U R* (1 − exp(−R/R*))", unique=U, repeats=R, r_star=rs)
    return float(out) if out.ndim == 0 else out


def repetition_value(
    epochs: float | npt.ArrayLike | pd.Series, r_star: float = MUENNIGHOFF_R_STAR
) -> float | np.ndarray | pd.Series:
    """Value of a token read at ``epochs`` epochs, in fresh tokens per token read.

    ``U`` unique tokens read ``E`` times are worth :func:`effective_tokens` ``D'(U, R = E − 1)``
    fresh tokens (Muennighoff et al. 2023, arXiv 2305.16264), so each token read is worth
    ``D' / (U E) = (1 + R* (1 − exp(−(E − 1) / R*))) / E`` of a fresh one: 1 at one epoch,
    falling towards ``(1 + R*) / E``.

    Parameters
    ----------
    epochs : float, array-like or pandas.Series
        Epochs over the unique data, ``E >= 1`` (fractional allowed).
    r_star : float
        Decay constant R* > 0 (default :data:`MUENNIGHOFF_R_STAR`).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Fresh tokens per token read, shaped like ``epochs`` (a Series keeps its index).

    Raises
    ------
    ValueError
        If an epoch count is not finite or is below 1.

    Used in: 1.2 (value per token read).
    """
    rs = check_positive(r_star, "r_star")
    E = check_finite_array(epochs, "epochs", ndim=None)
    if (E < 1).any():
        bad = E[~np.isfinite(E) | (E < 1)].ravel()[:5].tolist()
        raise ValueError(f"epochs must be finite and >= 1 (got {bad})")
    value = (1.0 + rs * (-np.expm1(-(E - 1.0) / rs))) / E
    if isinstance(epochs, pd.Series):
        return pd.Series(value, index=epochs.index, name="value per token read")
    return float(value) if value.ndim == 0 else value


def fresh_equivalent_tokens(
    loss: float | npt.ArrayLike | pd.Series, fresh_tokens: npt.ArrayLike, fresh_loss: npt.ArrayLike
) -> float | np.ndarray | pd.Series:
    """Fresh tokens that reach the same loss: read ``loss`` off a measured fresh-data curve.

    Interpolates ``log(tokens)`` linearly in the loss along the curve ``(fresh_tokens,
    fresh_loss)``, the way 1.2 converts the loss of a run on repeated data into "effective
    fresh tokens" D' to compare with :func:`effective_tokens`. Losses beyond the curve's ends
    are clamped to them (``numpy.interp``): the answer never leaves the measured range.

    Parameters
    ----------
    loss : float, array-like or pandas.Series
        Losses to convert.
    fresh_tokens : array-like
        Token counts of the fresh-data runs (> 0, at least 2).
    fresh_loss : array-like
        Their losses, strictly decreasing as the tokens grow.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Same shape as ``loss`` (a Series keeps its index).

    Raises
    ------
    ValueError
        On lengths that differ, fewer than 2 points, non-finite values, non-positive tokens,
        or a fresh curve whose loss does not fall strictly as the tokens grow.

    Used in: 1.2 (the fresh tokens a repeated run is worth, against the same-share fresh curve).
    """
    t = check_finite_array(fresh_tokens, "fresh_tokens", ndim=None)
    f = check_finite_array(fresh_loss, "fresh_loss", ndim=None)
    y = check_finite_array(loss, "loss", ndim=None)
    if t.ndim != 1 or t.shape != f.shape or t.size < 2:
        raise ValueError(f"fresh_tokens and fresh_loss must be 1-d, equally long, >= 2 points "
                         f"(got shapes {t.shape} and {f.shape})")
    if (t <= 0).any():
        raise ValueError(f"fresh_tokens must be > 0 (got {t.tolist()})")
    order = np.argsort(t)
    t, f = t[order], f[order]
    if not (np.all(np.diff(t) > 0) and np.all(np.diff(f) < 0)):
        raise ValueError(f"the fresh curve's loss must fall strictly as tokens grow "
                         f"(got tokens {t.tolist()}, loss {np.round(f, 4).tolist()})")
    out = np.exp(np.interp(-y, -f, np.log(t)))
    if isinstance(loss, pd.Series):
        return pd.Series(out, index=loss.index, name=loss.name)
    return float(out) if out.ndim == 0 else out


def budget_table(
    mixture: Mixture | pd.Series | Mapping[str, float],
    budget: float,
    sizes: pd.Series | Mapping[str, float] | pd.DataFrame,
    max_epochs: float | None = None,
    *,
    bytes_per_token: float | pd.Series | Mapping[str, float] | None = None,
    r_star: float = MUENNIGHOFF_R_STAR,
) -> pd.DataFrame:
    """A published-style table: weight, tokens, epochs, effective tokens, cap and whether it binds.

    Effective tokens follow Muennighoff et al. (arXiv 2305.16264): a domain drawn for
    ``e < 1`` epochs contributes its ``w B`` fresh tokens; for ``e >= 1`` it is
    ``T + T R* (1 − exp(−(e − 1)/R*))``.

    Returns
    -------
    pandas.DataFrame
        Columns ``weight``, ``tokens``, ``epochs``, ``effective_tokens``, ``cap`` (NaN without
        ``max_epochs``), ``binding`` (weight within 1e-9 of its cap) and ``over_cap`` (weight above
        its cap: the mixture breaks the repetition limit; :func:`check_within_caps` raises on it).

    Used in: 1.3, 2.5, 3.5, 3.6.
    """
    B = check_positive(budget, "budget")
    w = _weights(mixture)
    T = _to_tokens(_align(w, _series(sizes, "sizes"), "mixture", "sizes"), bytes_per_token)
    e = epochs_from_weights(w, B, T, on_empty="inf")
    drawn = w * B
    reps = np.maximum(e.to_numpy() - 1.0, 0.0)
    finite = np.isfinite(reps)
    eff = np.where(e.to_numpy() < 1, drawn.to_numpy(), 0.0)
    big = (e.to_numpy() >= 1) & finite
    eff[big] = effective_tokens(T.to_numpy()[big], reps[big], r_star)
    eff[~finite] = np.nan
    if max_epochs is None:
        cap = pd.Series(np.nan, index=w.index)
        binding = pd.Series(False, index=w.index)
        over = pd.Series(False, index=w.index)
    else:
        cap = caps_from_epochs(T, B, max_epochs)
        binding = (w - cap).abs() <= 1e-9
        over = w > cap + 1e-9
    return pd.DataFrame(
        {
            "weight": w,
            "tokens": drawn,
            "epochs": e,
            "effective_tokens": eff,
            "cap": cap,
            "binding": binding,
            "over_cap": over,
        },
        index=w.index,
    )
