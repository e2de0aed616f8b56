"""Baseline mixtures computed from a counts table.

Every mixer takes ``counts``: a pandas DataFrame indexed by domain with columns ``docs`` and
``tokens`` (what ``mixlab.domains.domain_stats`` returns, or any real table such as LLaMA-1's),
and returns a :class:`~mixlab.mixture.Mixture` whose provenance records the mixer, its
parameters and the counts it saw. Every mixer reads one count only (``counts[by]``, or ``docs``
for uniform-by-document and ``tokens`` for uniform-by-token), so a sizes-only table (e.g.
LLaMA-1's tokens per source) is enough, and so is a Series or mapping ``{domain: count}`` — the
same inputs the :mod:`mixlab.budget` functions take. Tables are checked with the one shared
counts check, :func:`mixlab.validation.check_counts` (re-exported here).

Convention for ``by``: ``by="tokens"`` uses ``T_i`` and returns a *token*-kind mixture;
``by="docs"`` uses ``N_i`` and returns a *document*-kind mixture (documents are drawn in
proportion to the weights, as in XLM-R's and seqio's example-level sampling). Convert with
``mixture.to_tokens(counts)`` to see the implied token shares.

Used in: 3.1 (uniform by document), 3.2 (uniform by token), 3.3 (proportional), 3.4 (hand-tuned),
3.5 (temperature, UniMax, seqio rates), 3.6 (side by side).
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from mixlab.config import ConfigError, Fields, parse_toml
from mixlab.mixture import DEFAULT_ATOL, Mixture
from mixlab.validation import check_counts, check_flag, check_positive

__all__ = [
    "check_counts",
    "mean_lengths",
    "uniform_by_document",
    "uniform_by_token",
    "proportional",
    "hand_tuned",
    "temperature",
    "unimax",
    "seqio_rates",
]

By = Literal["tokens", "docs"]


CountsLike = pd.DataFrame | pd.Series | Mapping[str, float]
"""A counts table, or (for a mixer that reads one count) a Series/mapping {domain: that count}."""


def _check_sizes(counts: CountsLike, col: str) -> pd.DataFrame:
    """Validate the counts a mixer needs: column ``col`` must be there; the other count is optional.

    A sizes-only table (e.g. tokens per source, as LLaMA-1 publishes it) is enough for a mixer
    that reads only ``col``; so is a Series or mapping ``{domain: count}``, read as ``counts[col]``
    (the same inputs the budget functions take). If a table also has the other standard count
    column, it is validated (with :func:`mixlab.validation.check_counts`) and recorded in the
    provenance, so tables with both columns give the same result as a full check.
    """
    if isinstance(counts, pd.Series | Mapping) and not isinstance(counts, pd.DataFrame):
        items = list(counts.items())
        frame = pd.DataFrame({col: [v for _, v in items]}, index=pd.Index([k for k, _ in items]), dtype=object)
        return check_counts(frame, (col,))
    if not isinstance(counts, pd.DataFrame):
        raise TypeError(
            f"counts must be a pandas DataFrame indexed by domain (columns docs and tokens), or a Series or "
            f"mapping {{domain: {col}}} (got {type(counts).__name__})"
        )
    return check_counts(counts, tuple(c for c in ("docs", "tokens") if c == col or c in counts.columns))


def _counts_record(counts: pd.DataFrame) -> dict[str, dict[str, float | int]]:
    """The counts as a JSON-able provenance record (integers kept as int)."""
    rec: dict[str, dict[str, float | int]] = {}
    for c in counts.columns:
        vals = counts[c].to_numpy(dtype=np.float64)
        rec[str(c)] = {
            str(d): (int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v))
            for d, v in zip(counts.index, vals, strict=True)
        }
    return rec


def _by_column(by: str) -> tuple[str, Literal["token", "document"]]:
    if by == "tokens":
        return "tokens", "token"
    if by == "docs":
        return "docs", "document"
    raise ValueError(f"by must be 'tokens' or 'docs' (got {by!r})")


def _make(
    counts: pd.DataFrame, w: np.ndarray, kind: Literal["token", "document"], mixer: str, params: dict[str, Any]
) -> Mixture:
    prov = {"mixer": mixer, "params": params, "counts": _counts_record(counts)}
    return Mixture(
        dict(zip(counts.index, w.tolist(), strict=True)), domains=list(counts.index), kind=kind, provenance=prov
    )


def mean_lengths(counts: pd.DataFrame) -> pd.Series:
    """Mean document length per domain, ``t̄_i = T_i / N_i``.

    Raises
    ------
    ValueError
        If a domain has no documents (its mean length is undefined).

    Used in: 2.2 (doc ↔ token conversion), 3.1, 3.2.
    """
    c = check_counts(counts)
    empty = c["docs"] <= 0
    if empty.any():
        raise ValueError(f"mean length is undefined for domains with no documents: {', '.join(c.index[empty])}")
    return (c["tokens"] / c["docs"]).rename("mean_length")


def uniform_by_document(counts: CountsLike) -> Mixture:
    """Equal document weight per domain, ``w^doc_i = 1/k`` (a document-kind mixture).

    Its token-weight equivalent is ``uniform_by_document(counts).to_tokens(counts)``
    (``w_i ∝ t̄_i``: long-document domains dominate the tokens).

    Parameters
    ----------
    counts : pandas.DataFrame, Series or mapping
        Counts table (its ``docs`` column is required, ``tokens`` is checked and recorded when
        present), or a Series/mapping ``{domain: docs}``.

    Returns
    -------
    Mixture
        kind ``"document"``, provenance mixer ``"uniform_by_document"``.

    Used in: 3.1 (the baseline itself), 1.3, 1.5, 2.2, 2.3, 3.2, 3.3, 3.6.
    """
    return _uniform(counts, "docs")


def uniform_by_token(counts: CountsLike) -> Mixture:
    """Equal token share per domain, ``w_i = 1/k`` (a token-kind mixture).

    Its document-weight equivalent is ``uniform_by_token(counts).to_documents(counts)``. The
    ``counts`` argument mirrors :func:`uniform_by_document` with the roles of the columns swapped
    (``tokens`` required, or a Series/mapping ``{domain: tokens}``); the result is token-kind with
    provenance mixer ``"uniform_by_token"``.

    Used in: 3.2 (the baseline itself), 1.1, 1.3, 1.4, 1.5, 2.2, 2.3, 2.5, 3.1, 3.3, 3.5, 3.6.
    """
    return _uniform(counts, "tokens")


def _uniform(counts: CountsLike, col: Literal["docs", "tokens"]) -> Mixture:
    """``1/k`` for each of the k domains; document-kind when counted by ``docs``, token-kind by ``tokens``."""
    c = _check_sizes(counts, col)
    kind: Literal["token", "document"] = "document" if col == "docs" else "token"
    return _make(c, np.full(len(c), 1.0 / len(c)), kind, f"uniform_by_{kind}", {})


def proportional(counts: CountsLike, by: By = "tokens") -> Mixture:
    """Source-proportional mixture: ``w_i = T_i / Σ T`` (by tokens) or ``w^doc_i = N_i / Σ N`` (by docs).

    Parameters
    ----------
    counts : pandas.DataFrame, Series or mapping
        Counts table; only the column ``by`` is required (the other count, if present, is
        validated and recorded too). A Series or mapping ``{domain: count}`` is read as ``counts[by]``.
    by : {"tokens", "docs"}
        Which count to be proportional to; ``"docs"`` returns a document-kind mixture (every
        document equally likely), which converts to the token-proportional mixture exactly.

    Returns
    -------
    Mixture

    Used in: 3.3 (the baseline itself), 00, 1.1, 1.2, 1.3, 1.5, 2.1, 2.2, 2.3, 2.4, 2.5, 3.1, 3.2,
    3.4, 3.5, 3.6.
    """
    col, kind = _by_column(by)
    c = _check_sizes(counts, col)
    x = c[col].to_numpy()
    return _make(c, x / x.sum(), kind, "proportional", {"by": by})


#: Top-level keys a hand-tuned config may have. ``source`` names the tool that wrote it
#: (e.g. ``"mixture_editor"``); free-form records go under ``[provenance]``.
CONFIG_KEYS: tuple[str, ...] = ("rationale", "weights", "kind", "source", "provenance")

#: Provenance parameters :func:`hand_tuned` records itself; a config's ``[provenance]`` may not set them.
RESERVED_PARAMS: tuple[str, ...] = ("rationale", "source", "sha256", "normalize", "written_by")


def _load_config(path: Path) -> tuple[dict[str, Any], str]:
    """Read a hand-tuned config; return its contents and the sha256 of the exact bytes parsed.

    Every error names the file: unreadable (missing, a folder, no permission), not TOML/JSON,
    no ``[weights]`` table, unknown top-level keys.
    """
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ValueError(f"hand-tuned config must be a .toml or .json file (got {path.name})")
    try:
        raw = path.read_bytes()
    except OSError as exc:  # FileNotFoundError, IsADirectoryError, PermissionError keep their type
        raise type(exc)(f"cannot read hand-tuned config {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(raw).hexdigest()
    if suffix == ".toml":
        data: Any = parse_toml(raw, path, "hand-tuned config")
    else:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"hand-tuned config file {path} is not valid JSON: {exc}") from None
    fields = Fields(f"hand-tuned config {path.name}")
    data = fields.table(data, "")
    if "weights" not in data or not isinstance(data["weights"], Mapping):
        raise ConfigError(f"hand-tuned config {path} must have a [weights] table mapping domain -> weight "
                          f"(got weights = {data.get('weights')!r})")
    unknown = sorted(str(k) for k in data if k not in CONFIG_KEYS)
    if unknown:
        raise ConfigError(
            f"hand-tuned config {path.name} has unknown keys: {', '.join(unknown)} "
            f"(allowed: {', '.join(CONFIG_KEYS)}; put extra records under [provenance])"
        )
    for key in ("rationale", "source"):
        if key in data:
            fields.string(data[key], key)
    if "kind" in data:
        fields.string(data["kind"], "kind", choices=("token", "document"))
    return data, digest


def _config_provenance(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The ``[provenance]`` table of a config, checked: a table of JSON-able values, no reserved keys."""
    table = data.get("provenance", {})
    if not isinstance(table, Mapping):
        raise ValueError(
            f"hand-tuned config {name}: provenance must be a table of records (got {type(table).__name__})"
        )
    reserved = sorted(k for k in table if k in RESERVED_PARAMS)
    if reserved:
        raise ValueError(
            f"hand-tuned config {name}: [provenance] must not set {', '.join(reserved)} "
            f"(hand_tuned records {', '.join(RESERVED_PARAMS)} itself)"
        )
    out: dict[str, Any] = {}
    for key, value in table.items():
        try:
            out[str(key)] = json.loads(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"hand-tuned config {name}: provenance.{key} must be a string, number, boolean, array or table "
                f"of finite numbers (got {value!r})"
            ) from exc
    return out


def hand_tuned(
    weights_or_path: Mapping[str, float] | pd.Series | str | os.PathLike[str],
    rationale: str | None = None,
    *,
    domains: Sequence[str] | None = None,
    normalize: bool = False,
    kind: Literal["token", "document"] = "token",
    atol: float = DEFAULT_ATOL,
) -> Mixture:
    """Named weights chosen by a person, with the written rationale stored in the provenance.

    Parameters
    ----------
    weights_or_path : mapping, Series, or path to a TOML/JSON config
        The weights, or a file holding a ``weights`` table (domain = weight) and a ``rationale``
        string; optionally ``kind``, ``source`` (the tool that wrote the file, recorded as
        ``written_by``) and a ``provenance`` table of further records (e.g. the raw slider values
        and caps that :meth:`mixlab.widgets.MixtureEditor.config_toml` writes), which are copied
        into the mixture's provenance params. Any other top-level key is an error. Example TOML::

            rationale = "upweight curated sources"
            [weights]
            web = 0.5
            books = 0.3
            code = 0.2
            [provenance]
            reviewed_by = "data team"

    rationale : str, optional
        Why these weights. Required unless the config file has one; the argument wins if both.
    domains : sequence of str, optional
        Expected domain names (missing/unknown names are errors).
    normalize : bool
        If True, divide the weights by their sum (explicitly requested; recorded in provenance).
        If False (default) they must already sum to 1 within ``atol``.
    kind : {"token", "document"}
        Kind of weights (a config's ``kind`` overrides the default).
    atol : float
        Tolerance on the sum.

    Returns
    -------
    Mixture
        Provenance mixer ``"hand_tuned"`` with ``params = {"rationale", "source", "normalize"}``.
        ``source`` is ``"mapping"`` for weights given in code; for a config file it is the file
        *name* (not its machine-specific path), and ``params["sha256"]`` is the hash of the exact
        bytes read, so the record identifies the file wherever it lives. A config's ``source``
        is recorded as ``written_by`` and its ``[provenance]`` entries are added to ``params``.

    Raises
    ------
    TypeError
        ``normalize`` not a bool, weights of the wrong type, a config field of the wrong type.
    ValueError
        Missing/empty rationale, weights off the simplex (unless ``normalize``), bad names,
        unknown top-level config keys, or a ``[provenance]`` table that is not a table of
        JSON-able records or sets a key hand_tuned records itself (``RESERVED_PARAMS``).
        A config that is not TOML/JSON raises :class:`mixlab.config.ConfigError` (a ValueError).
        Every error about a config file names the file.
    FileNotFoundError, IsADirectoryError, PermissionError
        If the config file cannot be read (the message names it).

    Used in: 3.4 (the baseline itself), 1.1, 2.2, 3.6.
    """
    weights: Mapping[str, float] | pd.Series
    if isinstance(weights_or_path, str | os.PathLike):
        weights, rationale, kind, params = _config_call(Path(weights_or_path), rationale, kind)
    else:
        weights, params = weights_or_path, {"source": "mapping"}
    if not isinstance(rationale, str) or not rationale.strip():
        where = f" (hand-tuned config {params['source']} has none)" if params["source"] != "mapping" else ""
        raise ValueError(f"hand_tuned needs a non-empty written rationale (got {rationale!r}){where}")
    normalize = check_flag(normalize, "normalize")
    extra = {k: v for k, v in params.items() if k != "source"}
    prov = {"mixer": "hand_tuned",
            "params": {"rationale": rationale, "source": params["source"], "normalize": normalize, **extra}}
    return _named_errors(Mixture.normalized if normalize else Mixture, params["source"])(
        weights, domains=domains, kind=kind, provenance=prov, atol=atol)


def _named_errors(make: Callable[..., Mixture], source: str) -> Callable[..., Mixture]:
    """``make``, with a config file's name put in front of its TypeError/ValueError messages."""
    if source == "mapping":
        return make

    def wrapped(*args: Any, **kwargs: Any) -> Mixture:
        try:
            return make(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"hand-tuned config {source}: {exc}") from None

    return wrapped


def _config_call(
    path: Path, rationale: str | None, kind: Literal["token", "document"]
) -> tuple[Mapping[str, float], str | None, Literal["token", "document"], dict[str, Any]]:
    """Weights, rationale, kind and provenance params of a hand-tuned config file (arguments win)."""
    data, digest = _load_config(path)
    params: dict[str, Any] = {"source": path.name, "sha256": digest}
    if "source" in data:
        params["written_by"] = data["source"]
    params.update(_config_provenance(data, path.name))
    if rationale is None:
        rationale = data.get("rationale")
    return data["weights"], rationale, data.get("kind", kind), params


def _exponent(T: float | None, alpha: float | None) -> tuple[float, float | str]:
    """Validate exactly one of T / alpha; return (alpha, T as JSON-able)."""
    if (T is None) == (alpha is None):
        raise ValueError(f"give exactly one of T or alpha (got T={T!r}, alpha={alpha!r})")
    if T is not None:
        if isinstance(T, bool) or not isinstance(T, numbers.Real) or math.isnan(T):
            raise ValueError(f"T must be a real number > 0 (got {T!r})")
        if T <= 0:
            raise ValueError(f"T must be > 0 (got {T!r}); T = 1 is proportional, T → inf is uniform")
        a = 0.0 if math.isinf(T) else 1.0 / float(T)
        return a, ("inf" if math.isinf(T) else float(T))
    assert alpha is not None
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or math.isnan(alpha) or math.isinf(alpha):
        raise ValueError(f"alpha must be a finite real number >= 0 (got {alpha!r})")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0 (got {alpha!r}); alpha = 1 is proportional, alpha = 0 is uniform")
    a = float(alpha)
    return a, ("inf" if a == 0 else 1.0 / a)


def _power_weights(x: np.ndarray, a: float) -> np.ndarray:
    """``w ∝ x^a`` over the entries with ``x > 0`` (zeros get weight 0), computed in log space."""
    pos = x > 0
    w = np.zeros_like(x)
    if a == 1.0:
        w[pos] = x[pos] / x[pos].sum()
    elif a == 0.0:
        w[pos] = 1.0 / pos.sum()
    else:
        logs = np.log(x[pos])
        with np.errstate(over="ignore", invalid="ignore"):
            z = a * logs
            z -= z.max()
        if not np.all(np.isfinite(z)):  # a huge exponent overflows a·log x: use a·(log x − max log x) <= 0
            with np.errstate(over="ignore", invalid="ignore"):
                z = np.where(logs == logs.max(), 0.0, a * (logs - logs.max()))
        e = np.exp(z)
        w[pos] = e / e.sum()
    return w


def temperature(counts: CountsLike, T: float | None = None, alpha: float | None = None, by: By = "tokens") -> Mixture:
    """Temperature-smoothed mixture ``w_i ∝ p_i^{1/T} = p_i^α`` with ``p_i`` the natural share.

    ``T = 1`` (``α = 1``) gives exactly the proportional mixture, ``T = math.inf`` (``α = 0``)
    gives exactly the uniform mixture over domains with data; in between the weights are
    computed in log space (``α log p − logsumexp``) so tiny shares do not underflow.
    XLM-R (Conneau et al. 2019, arXiv 1911.02116) and mT5 (Xue et al. 2020, arXiv 2010.11934)
    sample languages with α = 0.3.

    Parameters
    ----------
    counts : pandas.DataFrame, Series or mapping
        Counts table; only the column ``by`` is required (a Series/mapping is read as ``counts[by]``).
    T : float, optional
        Temperature > 0 (``math.inf`` allowed). Give exactly one of ``T`` and ``alpha``.
    alpha : float, optional
        Exponent ``α = 1/T >= 0``.
    by : {"tokens", "docs"}
        Natural shares from tokens (token-kind result) or documents (document-kind result).

    Returns
    -------
    Mixture
        Provenance params ``{"T", "alpha", "by"}`` (``T = "inf"`` for the uniform limit).
        Domains with zero count get weight 0 for every T.

    Raises
    ------
    ValueError
        Both or neither of T/alpha, ``T <= 0``, ``alpha < 0``, NaN.

    Used in: 3.5 (the baseline itself), 1.3, 2.2, 3.6.
    """
    a, t_json = _exponent(T, alpha)
    col, kind = _by_column(by)
    c = _check_sizes(counts, col)
    w = _power_weights(c[col].to_numpy(), a)
    return _make(c, w, kind, "temperature", {"T": t_json, "alpha": a, "by": by})


def unimax(counts: CountsLike, budget: float, max_epochs: float, by: By = "tokens") -> Mixture:
    """UniMax: spread the budget uniformly over domains, capping each at ``max_epochs`` epochs.

    Domains are visited in order of increasing size. Each gets the remaining budget divided by
    the number of remaining domains, unless that exceeds ``max_epochs × size``, in which case it
    gets exactly its cap and the surplus is re-spread over the larger domains. The whole
    budget is spent (Chung et al. 2023, "UniMax", arXiv 2304.09151, Algorithm 1; there the
    budget is in characters — any consistent unit works).

    Parameters
    ----------
    counts : pandas.DataFrame, Series or mapping
        Counts table; sizes are ``counts[by]`` (the only column required; a Series/mapping is the sizes).
    budget : float
        Total budget B > 0 in the same unit as the sizes.
    max_epochs : float
        Cap E_max > 0 on the epochs of any domain.
    by : {"tokens", "docs"}
        Unit of size and budget; the mixture kind follows (token / document).

    Returns
    -------
    Mixture
        ``w_i = allocation_i / B``; provenance params ``{"budget", "max_epochs", "by", "allocation"}``.

    Raises
    ------
    ValueError
        ``budget <= 0``, ``max_epochs <= 0``, or an infeasible budget ``B > E_max Σ size``
        (the message states how many tokens are missing).

    Used in: 2.5, 3.5 (UniMax as the capped alternative), 3.6.
    """
    B = check_positive(budget, "budget")
    E = check_positive(max_epochs, "max_epochs")
    col, kind = _by_column(by)
    c = _check_sizes(counts, col)
    size = c[col].to_numpy()
    capacity = float(E * size.sum())
    if B > capacity * (1 + 1e-12):
        raise ValueError(
            f"unimax infeasible: at max_epochs={E:g} the domains hold at most {capacity:.6g} {col}, "
            f"budget {B:.6g} needs {B - capacity:.6g} more"
        )
    order = np.argsort(size, kind="stable")
    alloc = np.zeros_like(size)
    remaining = B
    for rank, i in enumerate(order):  # loop over domains (k is small), not documents
        share = remaining / (len(order) - rank)
        alloc[i] = min(share, E * size[i])
        remaining -= alloc[i]
    w = alloc / alloc.sum()
    params = {"budget": B, "max_epochs": E, "by": by, "allocation": dict(zip(c.index, alloc.tolist(), strict=True))}
    return _make(c, w, kind, "unimax", params)


def seqio_rates(
    counts: CountsLike, maximum: float | None = None, temperature: float = 1.0, by: By = "docs"
) -> Mixture:
    """seqio-style mixing rates: ``rate_i = min(size_i, maximum) ** (1/temperature)``, then normalized.

    The cap applies *before* the temperature exponent, as in seqio's
    ``mixing_rate_num_examples`` (github.com/google/seqio, ``seqio/utils.py``; used for T5,
    Raffel et al. 2019, arXiv 1910.10683, "examples-proportional mixing with an artificial limit").

    Parameters
    ----------
    counts : pandas.DataFrame, Series or mapping
        Counts table; sizes are ``counts[by]``, the only column required (seqio counts examples,
        hence ``by="docs"``); a Series/mapping is the sizes.
    maximum : float, optional
        Artificial size limit K > 0 (None: no limit).
    temperature : float
        Temperature > 0 (``math.inf`` allowed: uniform over non-empty domains).
    by : {"docs", "tokens"}
        Size unit; the mixture kind follows (document / token).

    Returns
    -------
    Mixture
        Provenance params ``{"maximum", "temperature", "by"}``.

    Raises
    ------
    ValueError
        ``maximum <= 0``, ``temperature <= 0``, bad counts.

    Used in: 3.5.
    """
    col, kind = _by_column(by)
    c = _check_sizes(counts, col)
    T = check_positive(temperature, "temperature", allow_inf=True)
    size = c[col].to_numpy().copy()
    if maximum is not None:
        K = check_positive(maximum, "maximum")
        size = np.minimum(size, K)
    w = _power_weights(size, 0.0 if math.isinf(T) else 1.0 / T)
    params = {
        "maximum": None if maximum is None else float(maximum),
        "temperature": "inf" if math.isinf(T) else T,
        "by": by,
    }
    return _make(c, w, kind, "seqio_rates", params)
