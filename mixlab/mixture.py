"""The mixture vector: named weights on the simplex, validated on construction.

A :class:`Mixture` holds one weight per domain, keyed by domain name. It is checked the moment
it is built (no NaN, no infinity, no negative weight, the sum within a stated tolerance of 1,
the domain names exactly those expected) and cannot be changed afterwards. Normalizing raw
scores is an explicit call, :meth:`Mixture.normalized`; nothing is rescaled behind your back.

Notation (COURSE.md): ``w ∈ Δ^{k-1}``; token weights unless ``kind="document"``; conversion
``w_i ∝ w^doc_i · t̄_i`` and ``w^doc_i ∝ w_i / t̄_i`` with mean lengths ``t̄_i = T_i / N_i``.

Used in: 1.1, 1.3, 1.4, 2.1, 2.2 (mixture vector), 2.4, 2.5, 3.3, 3.4, 3.6 (and every mixer returns a
Mixture).
"""

from __future__ import annotations

import copy
import json
import math
import numbers
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from mixlab.validation import (
    check_counts,
    check_named_values,
    check_names,
    check_positive,
    format_masked,
    format_values,
)

__all__ = ["Mixture", "MixtureKind", "DEFAULT_ATOL", "MAX_ATOL", "FORMAT"]

MixtureKind = Literal["token", "document"]

#: Default absolute tolerance on ``|Σ w − 1|``.
DEFAULT_ATOL: float = 1e-9

#: Largest accepted tolerance on ``|Σ w − 1|``. A mixture is a probability vector: with a looser
#: tolerance the weights could mis-state a budget by more than 0.1 % (a "mixture" of 5 + 5 would
#: pass with ``atol=1e9``), and shares printed to three decimals (as published tables give them,
#: e.g. LLaMA-1's 67.0 % / 15.0 % / …) still sum to 1 within 1e-3.
MAX_ATOL: float = 1e-3

#: Format tag written into every JSON file, checked on load.
FORMAT: str = "mixlab.mixture/1"

_KINDS = ("token", "document")


def _pairs(weights: Any) -> list[tuple[Any, Any]]:
    """Turn a mapping, Series or sequence of pairs into a list of (name, value) pairs."""
    if isinstance(weights, Mixture):
        return list(zip(weights.domains, weights.as_array().tolist(), strict=True))
    if isinstance(weights, pd.Series):
        return list(zip(weights.index.tolist(), weights.tolist(), strict=True))
    if isinstance(weights, Mapping):
        return list(weights.items())
    if isinstance(weights, str | bytes) or not isinstance(weights, Iterable):
        raise TypeError(
            "weights must be a mapping {domain: weight}, a pandas Series indexed by domain, or a sequence of "
            f"(domain, weight) pairs (got {type(weights).__name__})"
        )
    out = []
    for item in weights:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise TypeError(f"weights given as a sequence must hold (domain, weight) pairs (got {item!r})")
        out.append((item[0], item[1]))
    return out


def _check_values(names: tuple[str, ...], raw: Sequence[Any], what: str = "mixture weights") -> np.ndarray:
    """Check that every value is a finite, non-negative real number; return float64 array."""
    return check_named_values(names, raw, what)


def _check_domains(names: tuple[str, ...], domains: Sequence[str] | None) -> tuple[str, ...]:
    """Check the weight names against the expected ``domains``; return the order to use."""
    if domains is None:
        return names
    expected = check_names(domains, "domains")
    missing = [d for d in expected if d not in set(names)]
    unknown = [n for n in names if n not in set(expected)]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing domains: {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown domains: {', '.join(unknown)}")
        raise ValueError(
            f"mixture weights must name exactly the expected domains ({'; '.join(parts)}; "
            f"expected: {', '.join(expected)})"
        )
    return expected


def _check_atol(atol: float) -> float:
    """The sum tolerance: a number in (0, MAX_ATOL]."""
    tol = check_positive(atol, "atol")
    if tol > MAX_ATOL:
        raise ValueError(
            f"atol must be <= {MAX_ATOL:g}: a mixture's weights must sum to 1 within at most 0.1 % (got {tol:g}); "
            "to turn raw scores into a mixture use Mixture.normalized"
        )
    return tol


def _jsonable(obj: Any, name: str = "provenance") -> Any:
    """Return a deep copy of ``obj`` that survives a strict JSON round trip, or raise TypeError."""
    try:
        return json.loads(json.dumps(obj, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be JSON-serializable with finite numbers (got {obj!r}): {exc}") from exc


def _lookup_positive(values: Mapping[str, float] | pd.Series | pd.DataFrame, domains: tuple[str, ...],
                     name: str) -> np.ndarray:
    """Read one positive finite number per domain from a Series/mapping (or counts DataFrame)."""
    if isinstance(values, pd.DataFrame):
        table = check_counts(values, name=name)
        values = table["tokens"] / table["docs"].where(table["docs"] > 0)
    if isinstance(values, pd.Series):
        mapping: Mapping[Any, Any] = values.to_dict()
        if values.index.has_duplicates:
            raise ValueError(f"{name} has duplicated domains: {sorted(set(values.index[values.index.duplicated()]))}")
    elif isinstance(values, Mapping):
        mapping = values
    else:
        raise TypeError(f"{name} must be a pandas Series or mapping keyed by domain (got {type(values).__name__})")
    missing = [d for d in domains if d not in mapping]
    if missing:
        raise ValueError(f"{name} must give a value for every domain (missing: {', '.join(missing)})")
    return check_named_values(domains, [mapping[d] for d in domains], name, positive=True)


class Mixture:
    """Immutable mixture weights keyed by domain name, validated on the simplex.

    Parameters
    ----------
    weights : mapping, pandas.Series or sequence of (name, weight) pairs
        One non-negative finite weight per domain. A sequence of pairs is accepted so that a
        repeated name can be reported instead of silently overwritten.
    domains : sequence of str, optional
        The expected domain names. When given, the weights must name exactly these domains
        (no missing, no unknown) and the mixture keeps this order; otherwise the given order.
    kind : {"token", "document"}
        Token weights ``w`` (share of tokens drawn) or document weights ``w^doc`` (share of
        documents drawn).
    provenance : dict, optional
        JSON-serializable record of how the mixture was made, conventionally
        ``{"mixer": ..., "params": {...}, "counts": {...}}``. Stored as a deep copy.
    atol : float
        Absolute tolerance on ``|Σ w − 1|``, in ``(0, MAX_ATOL]`` = ``(0, 1e-3]`` (default 1e-9).

    Raises
    ------
    TypeError
        Non-string names, non-numeric weights, non-JSON provenance.
    ValueError
        Empty mixture, duplicated/missing/unknown names, NaN, infinite or negative weights, or a
        sum further than ``atol`` from 1 (the message states the sum, the tolerance and the values),
        or ``atol`` outside ``(0, 1e-3]``.

    Examples
    --------
    >>> Mixture({"web": 0.7, "code": 0.3})["web"]
    0.7

    Used in: 1.1, 1.3, 1.4, 2.1, 2.2 (mixture vector), 2.4, 2.5, 3.3, 3.4, 3.6 (and every mixer
    returns one).
    """

    __slots__ = ("_domains", "_w", "_kind", "_provenance", "_atol")

    _domains: tuple[str, ...]
    _w: np.ndarray
    _kind: str
    _provenance: dict[str, Any]
    _atol: float

    def __init__(
        self,
        weights: Mapping[str, float] | pd.Series | Sequence[tuple[str, float]],
        *,
        domains: Sequence[str] | None = None,
        kind: MixtureKind = "token",
        provenance: Mapping[str, Any] | None = None,
        atol: float = DEFAULT_ATOL,
    ) -> None:
        pairs = _pairs(weights)
        if not pairs:
            raise ValueError("mixture weights must not be empty (got no domains)")
        names = check_names([p[0] for p in pairs], "mixture domain names")
        values = _check_values(names, [p[1] for p in pairs])
        order = _check_domains(names, domains)
        if kind not in _KINDS:
            raise ValueError(f"kind must be 'token' or 'document' (got {kind!r})")
        tol = _check_atol(atol)
        total = float(values.sum())
        if not abs(total - 1.0) <= tol:
            raise ValueError(
                f"mixture weights must sum to 1 within {tol:g} (got {total:.12g}: "
                f"{format_values(zip(names, values.tolist(), strict=True))})"
            )
        pos = {n: i for i, n in enumerate(names)}
        w = values[[pos[d] for d in order]].copy()
        w.setflags(write=False)
        prov = _jsonable(dict(provenance) if provenance is not None else {}, "provenance")
        object.__setattr__(self, "_domains", order)
        object.__setattr__(self, "_w", w)
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_provenance", prov)
        object.__setattr__(self, "_atol", tol)

    # ------------------------------------------------------------ immutability
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Mixture is immutable (cannot set {name!r}); build a new one instead")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Mixture is immutable (cannot delete {name!r})")

    # ------------------------------------------------------------ constructors
    @classmethod
    def normalized(
        cls,
        raw: Mapping[str, float] | pd.Series | Sequence[tuple[str, float]],
        *,
        domains: Sequence[str] | None = None,
        kind: MixtureKind = "token",
        provenance: Mapping[str, Any] | None = None,
        atol: float = DEFAULT_ATOL,
    ) -> Mixture:
        """Build a mixture by dividing non-negative raw scores by their sum (the explicit normalizer).

        Parameters
        ----------
        raw : mapping, Series or sequence of pairs
            Non-negative finite scores per domain, at least one positive.
        domains, kind, provenance, atol
            As for :class:`Mixture`. The raw sum is recorded in ``provenance["normalized_from_sum"]``.

        Returns
        -------
        Mixture

        Raises
        ------
        TypeError
            On scores that are not real numbers (strings, booleans).
        ValueError
            On NaN, infinite or negative scores, when all scores are zero, or when their sum
            overflows float64 (e.g. two scores of 1e308; the message shows them).

        Used in: 2.2 (explicit normalization), 3.4 (hand-tuned weights).
        """
        pairs = _pairs(raw)
        if not pairs:
            raise ValueError("raw weights must not be empty (got no domains)")
        names = check_names([p[0] for p in pairs], "mixture domain names")
        values = _check_values(names, [p[1] for p in pairs], what="raw weights")
        with np.errstate(over="ignore"):
            total = float(values.sum())
        if total <= 0:
            zeros = format_masked(names, values, values == 0)
            raise ValueError(f"cannot normalize: all raw weights are zero ({zeros})")
        if not math.isfinite(total):  # each score is finite, their sum is not: dividing by it would give 0
            raise ValueError(
                f"cannot normalize: the raw weights sum to more than the largest float ({sys.float_info.max:.6g}) "
                f"(got {format_values(zip(names, values.tolist(), strict=True))}); divide them by a common factor first"
            )
        prov: dict[str, Any] = dict(provenance) if provenance is not None else {"mixer": "normalized", "params": {}}
        prov["normalized_from_sum"] = total
        return cls(
            dict(zip(names, (values / total).tolist(), strict=True)),
            domains=domains,
            kind=kind,
            provenance=prov,
            atol=atol,
        )

    def with_share(self, domain: str, share: float) -> Mixture:
        """A new mixture with one domain's share set and the others rescaled proportionally.

        With ``d`` the domain and ``s`` its new share, the other domains keep their ratios
        to each other and share the rest, so the weights still sum to 1:

        ``w'_d = s``,  ``w'_j = w_j · (1 − s) / Σ_{i≠d} w_i`` for ``j ≠ d``.

        This is the usual "upweight one domain" experiment (e.g. the marginal value of a
        domain's tokens); nothing is normalized behind your back, because the rescaling is the
        documented purpose of the call.

        Parameters
        ----------
        domain : str
            One of :attr:`domains`.
        share : float
            The new weight of ``domain``, in ``[0, 1]``.

        Returns
        -------
        Mixture
            Same domains, kind and tolerance. Provenance ``{"mixer": "with_share", "params":
            {"domain": ..., "share": ...}, "base": <this mixture's weights>, "parent": <this
            mixture's provenance>}``.

        Raises
        ------
        TypeError
            If ``share`` is not a real number or ``domain`` not a string.
        ValueError
            If ``domain`` is not a domain of the mixture, ``share`` is NaN or outside
            ``[0, 1]``, or ``share < 1`` while every other domain has weight 0 (there is no
            proportion to rescale them by).

        Examples
        --------
        >>> m = Mixture({"web": 0.6, "code": 0.3, "math": 0.1}).with_share("code", 0.5)
        >>> [round(w, 4) for w in m.as_array()]
        [0.4286, 0.5, 0.0714]

        Used in: 1.2 (marginal value of a domain's tokens, repetition experiment).
        """
        if not isinstance(domain, str):
            raise TypeError(f"domain must be a domain name (str) (got {type(domain).__name__}: {domain!r})")
        if domain not in self._domains:
            raise ValueError(f"domain must be one of the mixture's domains {list(self._domains)} (got {domain!r})")
        if isinstance(share, bool) or not isinstance(share, numbers.Real):
            raise TypeError(f"share must be a real number in [0, 1] (got {type(share).__name__}: {share!r})")
        s = float(share)
        if not 0.0 <= s <= 1.0:  # also rejects NaN
            raise ValueError(f"share must lie in [0, 1] (got {domain}={s!r})")
        i = self._domains.index(domain)
        others = np.ones(len(self._domains), dtype=bool)
        others[i] = False
        rest = self._w[others]
        total = float(rest.sum())
        if total <= 0 and s < 1:
            raise ValueError(
                f"cannot give {domain} share {s:g}: every other domain has weight 0, so there is no proportion "
                f"to rescale them by (weights: {format_values(self.items())})"
            )
        new = np.zeros_like(self._w)
        if total > 0:
            new[others] = rest * (1 - s) / total
        new[i] = s
        prov = {
            "mixer": "with_share",
            "params": {"domain": domain, "share": s},
            "base": dict(self.items()),
            "parent": self._provenance,
        }
        return Mixture(
            dict(zip(self._domains, new.tolist(), strict=True)),
            domains=self._domains,
            kind=self._kind,
            provenance=prov,
            atol=self._atol,
        )

    # ------------------------------------------------------------ views
    @property
    def domains(self) -> tuple[str, ...]:
        """Domain names, in order."""
        return self._domains

    @property
    def kind(self) -> str:
        """``"token"`` or ``"document"``."""
        return self._kind

    @property
    def atol(self) -> float:
        """The tolerance the sum was checked with."""
        return self._atol

    @property
    def provenance(self) -> dict[str, Any]:
        """A deep copy of the provenance record (mutating it does not change the mixture)."""
        return copy.deepcopy(self._provenance)

    @property
    def weights(self) -> pd.Series:
        """Weights as a new float Series (index = domains in order, name = kind)."""
        return pd.Series(self._w.copy(), index=pd.Index(self._domains, name="domain"), name=f"{self._kind}_weight")

    def as_array(self, domains: Sequence[str] | None = None) -> np.ndarray:
        """Weights as a new float64 array, in ``domains`` order (default: the mixture's order).

        Raises
        ------
        ValueError
            If ``domains`` is not exactly the mixture's set of domains.

        Used in: 1.3 (optimizers work on arrays), 2.2, 3.1, 3.2, 3.6.
        """
        if domains is None:
            return self._w.copy()
        order = _check_domains(self._domains, list(domains))
        pos = {d: i for i, d in enumerate(self._domains)}
        return self._w[[pos[d] for d in order]].copy()

    def __getitem__(self, domain: str) -> float:
        try:
            return float(self._w[self._domains.index(domain)])
        except ValueError:
            raise KeyError(f"unknown domain {domain!r} (mixture domains: {', '.join(self._domains)})") from None

    def __len__(self) -> int:
        return len(self._domains)

    def __contains__(self, domain: object) -> bool:
        return domain in self._domains

    def items(self) -> list[tuple[str, float]]:
        """``(domain, weight)`` pairs in order."""
        return list(zip(self._domains, self._w.tolist(), strict=True))

    # ------------------------------------------------------------ comparisons
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mixture):
            return NotImplemented
        return (
            self._domains == other._domains
            and self._kind == other._kind
            and bool(np.array_equal(self._w, other._w))
            and self._provenance == other._provenance
        )

    def __hash__(self) -> int:
        return hash((self._domains, self._kind, self._w.tobytes()))

    def _aligned(self, other: Mixture, what: str) -> np.ndarray:
        if not isinstance(other, Mixture):
            raise TypeError(f"{what} needs another Mixture (got {type(other).__name__})")
        if set(other.domains) != set(self._domains):
            raise ValueError(
                f"{what} needs mixtures over the same domains (got {', '.join(self._domains)} vs "
                f"{', '.join(other.domains)})"
            )
        if other.kind != self._kind:
            raise ValueError(
                f"{what} needs mixtures of the same kind (got {self._kind} vs {other.kind}); convert one with "
                "to_tokens/to_documents first"
            )
        return other.as_array(self._domains)

    def allclose(self, other: Mixture, atol: float = 1e-9) -> bool:
        """True when both mixtures have the same domains and kind and every weight differs by at most ``atol``.

        Provenance is ignored. Used in: 2.2, 3.3, 3.4, 3.5 (temperature's limits), 3.6.
        """
        q = self._aligned(other, "allclose")
        return bool(np.max(np.abs(self._w - q)) <= check_positive(atol, "atol", allow_zero=True))

    def tv(self, other: Mixture) -> float:
        """Total variation distance ``½ Σ |p_i − q_i|`` (in [0, 1]).

        Raises
        ------
        ValueError
            If the mixtures differ in domains or kind.

        Used in: 2.1, 2.2 (distances), 2.5, 3.1, 3.3, 3.4.
        """
        q = self._aligned(other, "tv")
        return float(0.5 * np.abs(self._w - q).sum())

    def kl(self, other: Mixture) -> float:
        """Kullback–Leibler divergence ``KL(self ‖ other) = Σ p_i log(p_i / q_i)`` in nats.

        Terms with ``p_i = 0`` contribute 0. When ``other`` gives zero weight to a domain that
        ``self`` uses (support mismatch) the divergence is ``math.inf`` — returned, not raised,
        because it is the mathematically correct value and it plots as a gap.

        Raises
        ------
        ValueError
            If the mixtures differ in domains or kind.

        Used in: 2.2 (distances).
        """
        q = self._aligned(other, "kl")
        p = self._w
        on = p > 0
        if np.any(q[on] == 0):
            return math.inf
        return float(max(0.0, np.sum(p[on] * (np.log(p[on]) - np.log(q[on])))))

    def entropy(self) -> float:
        """Shannon entropy ``H = −Σ w_i log w_i`` in nats (0 for a point mass, log k for uniform).

        Used in: 2.2, 3.2, 3.5 (entropy vs temperature).
        """
        p = self._w[self._w > 0]
        return float(max(0.0, -np.sum(p * np.log(p))))

    def effective_domains(self) -> float:
        """Effective number of domains ``exp(H)`` (between 1 and k). Used in: 1.4, 2.2, 3.3, 3.5."""
        return float(math.exp(self.entropy()))

    # ------------------------------------------------------------ doc <-> token
    def _convert(self, mean_lengths: Mapping[str, float] | pd.Series | pd.DataFrame, to_kind: str) -> Mixture:
        lengths = _lookup_positive(mean_lengths, self._domains, "mean_lengths")
        raw = self._w * lengths if to_kind == "token" else self._w / lengths
        w = raw / raw.sum()
        prov = {
            "mixer": f"to_{'tokens' if to_kind == 'token' else 'documents'}",
            "params": {"mean_lengths": dict(zip(self._domains, lengths.tolist(), strict=True))},
            "parent": self._provenance,
        }
        return Mixture(
            dict(zip(self._domains, w.tolist(), strict=True)),
            kind=to_kind,  # type: ignore[arg-type]
            provenance=prov,
            atol=self._atol,
        )

    def to_tokens(self, mean_lengths: Mapping[str, float] | pd.Series | pd.DataFrame) -> Mixture:
        """Convert document weights to token weights: ``w_i ∝ w^doc_i · t̄_i``.

        Parameters
        ----------
        mean_lengths : Series or mapping keyed by domain, or a counts DataFrame
            Mean document length ``t̄_i = T_i / N_i`` (> 0) for every domain (extra keys are
            ignored). A DataFrame with columns ``docs`` and ``tokens`` is converted with ``tokens / docs``.

        Returns
        -------
        Mixture
            Token-kind mixture whose provenance has ``mixer="to_tokens"`` and the original
            provenance under ``"parent"``.

        Raises
        ------
        ValueError
            If the mixture is already token-weighted or a mean length is missing, zero, negative or NaN.

        Used in: 1.3, 1.5, 2.2, 3.1 (implied token shares of uniform-by-document), 3.2, 3.3, 3.5, 3.6.
        """
        if self._kind != "document":
            raise ValueError("to_tokens needs a document-kind mixture (this one is already token-weighted)")
        return self._convert(mean_lengths, "token")

    def to_documents(self, mean_lengths: Mapping[str, float] | pd.Series | pd.DataFrame) -> Mixture:
        """Convert token weights to document weights: ``w^doc_i ∝ w_i / t̄_i``.

        Parameters and errors mirror :meth:`to_tokens` (this one needs a token-kind mixture).

        Used in: 1.3, 2.2, 2.3, 3.2 (implied document shares of uniform-by-token), 3.6.
        """
        if self._kind != "token":
            raise ValueError("to_documents needs a token-kind mixture (this one is already document-weighted)")
        return self._convert(mean_lengths, "document")

    # ------------------------------------------------------------ serialization
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: format tag, kind, domains, weights, atol and provenance (what :meth:`to_json` writes).

        Used in: internal (:meth:`to_json`, :meth:`save`).
        """
        return {
            "format": FORMAT,
            "kind": self._kind,
            "domains": list(self._domains),
            "weights": dict(zip(self._domains, self._w.tolist(), strict=True)),
            "atol": self._atol,
            "provenance": copy.deepcopy(self._provenance),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Mixture:
        """Rebuild (and re-validate) a mixture from :meth:`to_dict` output.

        Raises
        ------
        ValueError
            If the format tag or a required field is missing, or the weights fail validation.

        Used in: internal (:meth:`from_json`, :meth:`load`).
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"mixture data must be a JSON object (got {type(data).__name__})")
        if data.get("format") != FORMAT:
            raise ValueError(f"not a mixlab mixture (format is {data.get('format')!r}, expected {FORMAT!r})")
        missing = [k for k in ("kind", "domains", "weights") if k not in data]
        if missing:
            raise ValueError(f"mixture JSON is missing fields: {', '.join(missing)}")
        return cls(
            data["weights"],
            domains=data["domains"],
            kind=data["kind"],
            provenance=data.get("provenance") or {},
            atol=data.get("atol", DEFAULT_ATOL),
        )

    def to_json(self, indent: int | None = 2) -> str:
        """Serialize to a JSON string (floats written exactly, so the round trip is lossless). Used in: 2.2."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Mixture:
        """Parse :meth:`to_json` output and re-validate it. Used in: 3.4 (through :meth:`load`)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"mixture JSON is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the JSON to ``path`` atomically (temporary file in the same folder, then ``os.replace``).

        Returns
        -------
        pathlib.Path
            The path written.

        Used in: 3.4 (hand-tuned weights saved with a rationale).
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.to_json())
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Mixture:
        """Read a mixture written by :meth:`save` (re-validated). Used in: 3.4."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    # ------------------------------------------------------------ display
    @property
    def mixer(self) -> str:
        """Name of the mixer recorded in the provenance (``"?"`` if none)."""
        return str(self._provenance.get("mixer", "?"))

    def __repr__(self) -> str:
        width = max(len(d) for d in self._domains)
        lines = [f"Mixture(kind={self._kind}, {len(self._domains)} domains, mixer={self.mixer})"]
        for d, w in zip(self._domains, self._w.tolist(), strict=True):
            bar = "█" * int(round(w * 30))
            lines.append(f"  {d:<{width}}  {w:6.3f}  {bar}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{d}</td><td style='text-align:right'>{w:.4f}</td>"
            f"<td><div style='background:#4c72b0;height:0.8em;width:{w * 200:.1f}px'></div></td></tr>"
            for d, w in zip(self._domains, self._w.tolist(), strict=True)
        )
        return (
            f"<div><b>Mixture</b> (kind={self._kind}, mixer={self.mixer})"
            f"<table><tr><th>domain</th><th>weight</th><th></th></tr>{rows}</table></div>"
        )
