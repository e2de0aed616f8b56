"""The synthetic world: a spec (TOML), a known token process, and a fast seeded generator.

The world is mixlab's ground truth. Every domain (web, books, code, ...) is a generative
source with its own document count, heavy-tailed length distribution, quality scores, share of
junk and of exact duplicates. Tokens come from a *known* Markov process, so the irreducible
loss of each domain (its entropy rate) is computed exactly rather than estimated.

The token process
-----------------
Over a shared vocabulary of ``V`` token ids:

* a shared "language" chain ``S`` (``V x V``, row-stochastic). Each row puts Dirichlet weights on
  a random support of ``shared_support`` tokens, mixed with a floor ``floor / k`` on every
  support entry so no weight is vanishingly small;
* a domain chain ``D_d`` per domain, built the same way: a share ``domain_overlap`` of each row's
  support is taken from the same row of ``S`` (the domain re-weights common continuations), the
  rest is drawn from the domain's own token preferences (a random "topic" weight per token, tilted
  towards short or long pieces by ``word_length_bias``);
* domain ``d``'s chain is the blend
  ``P_d = (1 - u) [(1 - lambda_d) S + lambda_d D_d] + u / V`` with ``lambda_d = specificity``
  and ``u = uniform_mix``. Domains share ``S`` and so overlap partly: a model trained on one
  domain helps on another a little;
* junk documents come from a separate low-entropy chain ``J_d`` per domain: a short cycle of the
  domain's tokens followed with probability ``1 - junk_noise`` (boilerplate, repetition). They
  are cheap to predict but teach the wrong statistics.

Irreducibility and aperiodicity: the uniform part ``u / V`` (``u > 0`` is required) makes every
entry of ``P_d`` positive, so every ``P_d`` is irreducible and aperiodic and has a unique
stationary distribution ``pi_d``, computed exactly by a linear solve. It also makes every
cross-entropy between domains finite. Clean documents start from ``pi_d``, so every
transition in them is distributed as ``pi_d(a) P_d(a, b)`` and the expected loss of the true
model per transition is exactly the entropy rate
``H_d = - sum_a pi_d(a) sum_b P_d(a, b) log P_d(a, b)`` (nats/token).

Generation
----------
Each chain row is stored as a small alias table (the support of ``S`` and ``D_d`` side by side,
weighted ``1 - lambda`` and ``lambda``, plus one "uniform" slot of weight ``u`` that is replaced by
a uniform token id), so drawing a next token costs O(1): one uniform number picks a column and
a coin. Documents are laid out domain by domain in one flat ``int32`` array;
generation loops over *positions* (not documents): documents sorted by length, the active ones
at step ``t`` are a prefix, and one vectorized draw extends all of them by one token.

Used in: 00 (the world at a glance), 1.1-1.5 (proxy runs), 1.2 (junk, quality filter), 2.1
(domains), 2.4 (validation sets, irreducible loss), every notebook that needs data.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import numbers
import tomllib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixlab.corpus import Corpus
from mixlab.text import byte_lengths, word_table
from mixlab.validation import InvariantError, check_int, check_seed

__all__ = [
    "SCHEMA_VERSION",
    "GENERATOR_VERSION",
    "Corpus",
    "BetaParams",
    "DomainSpec",
    "ProcessSpec",
    "WorldSpec",
    "MarkovProcess",
    "World",
    "available_presets",
    "load_spec",
    "generate_world",
    "document_hashes",
    "check_disjoint",
    "DisjointCheck",
    "worlds_dir",
]

#: The spec format this module reads.
SCHEMA_VERSION = 1
#: Version of the generating code: bump it whenever the same spec and seed would give different
#: documents, tokens or ground truth, so that anything cached or built from a world (build shards,
#: world caches) knows to start over.
GENERATOR_VERSION = 1


# ====================================================================== spec
def _fail(path: str, condition: str, value: Any) -> ValueError:
    return ValueError(f"{path} must {condition} (got {value!r})")


def _real(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{path} must be a number (got {value!r} of type {type(value).__name__})")
    v = float(value)
    if not math.isfinite(v):
        raise _fail(path, "be finite", value)
    return v


def _integer(value: Any, path: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{path} must be an integer (got {value!r} of type {type(value).__name__})")
    v = int(value)
    if v < minimum:
        raise _fail(path, f"be >= {minimum}" if minimum != 1 else "be > 0", v)
    return v


def _positive(value: Any, path: str) -> float:
    v = _real(value, path)
    if v <= 0:
        raise _fail(path, "be > 0", v)
    return v


def _in_range(value: Any, path: str, lo: float, hi: float, *, hi_open: bool = False, lo_open: bool = False) -> float:
    v = _real(value, path)
    ok = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok:
        raise _fail(path, f"lie in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}", v)
    return v


def _table(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{path} must be a table (got {value!r} of type {type(value).__name__})")
    return value


def _check_keys(table: Mapping[str, Any], path: str, required: Iterable[str], optional: Iterable[str] = ()) -> None:
    req, opt = list(required), list(optional)
    unknown = sorted(set(table) - set(req) - set(opt))
    if unknown:
        where = path or "the spec's top level"
        raise ValueError(f"unknown key(s) in {where}: {', '.join(unknown)} (allowed: {', '.join(req + opt)})")
    missing = [k for k in req if k not in table]
    if missing:
        raise ValueError(f"missing key(s) in {path or 'the spec top level'}: {', '.join(missing)}")


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@dataclass(frozen=True)
class BetaParams:
    """Parameters of a Beta distribution (the quality score of clean or junk documents).

    Used in: 1.2 (quality filter).
    """

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        """Mean ``alpha / (alpha + beta)``."""
        return self.alpha / (self.alpha + self.beta)

    @classmethod
    def parse(cls, value: Any, path: str) -> BetaParams:
        """Parse ``{alpha = ..., beta = ...}``; raise naming ``path`` on bad values."""
        tab = _table(value, path)
        _check_keys(tab, path, ["alpha", "beta"])
        return cls(_positive(tab["alpha"], f"{path}.alpha"), _positive(tab["beta"], f"{path}.beta"))

    def to_dict(self) -> dict[str, float]:
        """As a TOML-ready table."""
        return {"alpha": self.alpha, "beta": self.beta}


_DOMAIN_REQUIRED = (
    "docs",
    "validation_docs",
    "length_median",
    "length_sigma",
    "min_length",
    "max_length",
    "clean_quality",
    "junk_quality",
    "junk_share",
    "junk_length_multiplier",
    "duplicate_share",
    "specificity",
    "word_length_bias",
)


@dataclass(frozen=True)
class DomainSpec:
    """One domain of the world: how many documents, how long, how clean, how specific.

    Attributes
    ----------
    name : str
        Domain name (``web``, ``books``, ...).
    docs : int
        Training documents, duplicates included (> 0).
    validation_docs : int
        Clean held-out documents (> 0).
    length_median, length_sigma : float
        Clean document length ~ round(lognormal(log(median), sigma)), truncated to
        ``[min_length, max_length]`` (resampled, not clipped).
    min_length, max_length : int
        Length bounds in tokens, ``1 <= min_length <= max_length``.
    clean_quality, junk_quality : BetaParams
        Distribution of the observable quality score for clean and junk documents.
    junk_share : float
        Share of non-duplicate documents that are junk, in [0, 1).
    junk_length_multiplier : float
        Junk lengths use median ``length_median * junk_length_multiplier`` (> 0).
    duplicate_share : float
        Share of documents that are exact copies of an earlier document of the domain, in [0, 1).
    specificity : float
        ``lambda_d`` in [0, 1]: weight of the domain chain in ``P_d``.
    word_length_bias : float
        Tilt of the domain's token preferences towards long (> 0) or short (< 0) pieces.

    Used in: 2.1 (domains), 1.2 (junk).
    """

    name: str
    docs: int
    validation_docs: int
    length_median: float
    length_sigma: float
    min_length: int
    max_length: int
    clean_quality: BetaParams
    junk_quality: BetaParams
    junk_share: float
    junk_length_multiplier: float
    duplicate_share: float
    specificity: float
    word_length_bias: float

    @classmethod
    def parse(cls, name: str, value: Any, path: str) -> DomainSpec:
        """Parse and validate one ``[domains.<name>]`` table."""
        tab = _table(value, path)
        _check_keys(tab, path, _DOMAIN_REQUIRED)
        min_len = _integer(tab["min_length"], f"{path}.min_length", 1)
        max_len = _integer(tab["max_length"], f"{path}.max_length", 1)
        if max_len < min_len:
            raise ValueError(f"{path}.max_length must be >= min_length = {min_len} (got {max_len})")
        spec = cls(
            name=name,
            docs=_integer(tab["docs"], f"{path}.docs", 1),
            validation_docs=_integer(tab["validation_docs"], f"{path}.validation_docs", 1),
            length_median=_positive(tab["length_median"], f"{path}.length_median"),
            length_sigma=_in_range(tab["length_sigma"], f"{path}.length_sigma", 0.0, 5.0),
            min_length=min_len,
            max_length=max_len,
            clean_quality=BetaParams.parse(tab["clean_quality"], f"{path}.clean_quality"),
            junk_quality=BetaParams.parse(tab["junk_quality"], f"{path}.junk_quality"),
            junk_share=_in_range(tab["junk_share"], f"{path}.junk_share", 0.0, 1.0, hi_open=True),
            junk_length_multiplier=_positive(tab["junk_length_multiplier"], f"{path}.junk_length_multiplier"),
            duplicate_share=_in_range(tab["duplicate_share"], f"{path}.duplicate_share", 0.0, 1.0, hi_open=True),
            specificity=_in_range(tab["specificity"], f"{path}.specificity", 0.0, 1.0),
            word_length_bias=_in_range(tab["word_length_bias"], f"{path}.word_length_bias", -5.0, 5.0),
        )
        for label, mult in (("clean", 1.0), ("junk", spec.junk_length_multiplier)):
            mass = spec.length_mass(mult)
            if mass < 0.01:
                raise ValueError(
                    f"{path}: the {label} length distribution (median {spec.length_median * mult:g}, sigma "
                    f"{spec.length_sigma:g}) must put >= 1% of its mass in [min_length, max_length] = "
                    f"[{min_len}, {max_len}] (got {mass:.2e})"
                )
        return spec

    def length_mass(self, multiplier: float = 1.0) -> float:
        """Probability that an untruncated (rounded) length falls in ``[min_length, max_length]``.

        Parameters
        ----------
        multiplier : float
            Scale of the median (``junk_length_multiplier`` for junk documents).

        Returns
        -------
        float
        """
        median = self.length_median * multiplier
        lo, hi = self.min_length - 0.5, self.max_length + 0.5
        if self.length_sigma == 0:
            return 1.0 if lo <= median < hi else 0.0
        z_lo = (math.log(lo) - math.log(median)) / self.length_sigma if lo > 0 else -math.inf
        z_hi = (math.log(hi) - math.log(median)) / self.length_sigma
        return _normal_cdf(z_hi) - (_normal_cdf(z_lo) if z_lo > -math.inf else 0.0)

    def to_dict(self) -> dict[str, Any]:
        """As a TOML-ready table (without the name)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "name":
                continue
            v = getattr(self, f.name)
            out[f.name] = v.to_dict() if isinstance(v, BetaParams) else v
        return out


_PROCESS_KEYS = (
    "shared_support",
    "shared_alpha",
    "domain_support",
    "domain_alpha",
    "floor",
    "topic_sigma",
    "junk_cycle",
    "junk_noise",
    "uniform_mix",
    "domain_overlap",
)


@dataclass(frozen=True)
class ProcessSpec:
    """Parameters of the token process (see the module docstring).

    Attributes
    ----------
    shared_support, domain_support : int
        Support size of each row of ``S`` and of ``D_d`` (>= 2, <= vocab size).
    shared_alpha, domain_alpha : float
        Dirichlet concentration of the row weights (> 0; small = peaked rows, low entropy).
    floor : float
        In (0, 1]: each row is ``(1 - floor) * Dirichlet + floor / k`` over its support.
    topic_sigma : float
        >= 0: spread (lognormal sigma) of the per-domain token preferences; larger = domains
        more distinct.
    junk_cycle : int
        Length of the repeated cycle in junk documents (>= 2, <= vocab size).
    junk_noise : float
        In (0, 1): probability that a junk document leaves its cycle for one token.
    uniform_mix : float
        In (0, 1): weight ``u`` of the uniform distribution in every clean chain (makes every
        transition possible: unique ``pi_d``, finite cross-entropies).
    domain_overlap : float
        In [0, 1]: share of each ``D_d`` row's support copied from the same row of ``S``
        (rounded down to whole entries). Higher = domains help each other more.

    Used in: 2.4 (irreducible loss), 1.4 (proxy models).
    """

    shared_support: int
    shared_alpha: float
    domain_support: int
    domain_alpha: float
    floor: float
    topic_sigma: float
    junk_cycle: int
    junk_noise: float
    uniform_mix: float
    domain_overlap: float

    @classmethod
    def parse(cls, value: Any, path: str, vocab_size: int) -> ProcessSpec:
        """Parse and validate the ``[process]`` table."""
        tab = _table(value, path)
        _check_keys(tab, path, _PROCESS_KEYS)
        spec = cls(
            shared_support=_integer(tab["shared_support"], f"{path}.shared_support", 2),
            shared_alpha=_positive(tab["shared_alpha"], f"{path}.shared_alpha"),
            domain_support=_integer(tab["domain_support"], f"{path}.domain_support", 2),
            domain_alpha=_positive(tab["domain_alpha"], f"{path}.domain_alpha"),
            floor=_in_range(tab["floor"], f"{path}.floor", 0.0, 1.0, lo_open=True),
            topic_sigma=_in_range(tab["topic_sigma"], f"{path}.topic_sigma", 0.0, 10.0),
            junk_cycle=_integer(tab["junk_cycle"], f"{path}.junk_cycle", 2),
            junk_noise=_in_range(tab["junk_noise"], f"{path}.junk_noise", 0.0, 1.0, lo_open=True, hi_open=True),
            uniform_mix=_in_range(tab["uniform_mix"], f"{path}.uniform_mix", 0.0, 1.0, lo_open=True, hi_open=True),
            domain_overlap=_in_range(tab["domain_overlap"], f"{path}.domain_overlap", 0.0, 1.0),
        )
        for key in ("shared_support", "domain_support", "junk_cycle"):
            if getattr(spec, key) > vocab_size:
                raise ValueError(f"{path}.{key} must be <= vocab_size = {vocab_size} (got {getattr(spec, key)})")
        return spec

    def to_dict(self) -> dict[str, Any]:
        """As a TOML-ready table."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class WorldSpec:
    """A validated world spec: vocabulary, token process, domains, filter threshold.

    Build it with :func:`load_spec` (from a preset name or a TOML path) or
    :meth:`WorldSpec.from_dict`; make variants with :meth:`with_overrides`,
    :meth:`select_domains` and :meth:`scaled`.

    Attributes
    ----------
    name : str
        Preset name or a label.
    description : str
        One line of prose.
    vocab_size : int
        Token ids lie in ``[0, vocab_size)`` (>= 8).
    process : ProcessSpec
        Token-process parameters.
    domains : tuple of DomainSpec
        In spec order (the order of every per-domain table and Categorical).
    quality_threshold : float
        The course's quality-filter threshold (``[filters] quality_threshold``): documents with
        ``quality < quality_threshold`` are dropped in lesson 1.2.
    schema_version : int
        Always :data:`SCHEMA_VERSION`.

    Used in: 00, 2.1, every notebook that builds a world.
    """

    name: str
    description: str
    vocab_size: int
    process: ProcessSpec
    domains: tuple[DomainSpec, ...]
    quality_threshold: float
    schema_version: int = SCHEMA_VERSION
    _source: str = field(default="", compare=False, repr=False)

    # ---------------------------------------------------------------- parse
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "") -> WorldSpec:
        """Validate a parsed TOML document and build the spec.

        Parameters
        ----------
        data : mapping
            The TOML document as a dict (what ``tomllib.load`` returns).
        source : str
            Where it came from, for messages.

        Returns
        -------
        WorldSpec

        Raises
        ------
        ValueError, TypeError
            Naming the field path and the violated condition, e.g.
            ``domains.web.docs must be > 0 (got -3)``; also for unknown keys and an unsupported
            ``schema_version``.

        Used in: 00, 2.1.
        """
        tab = _table(data, "spec")
        version = tab.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version != SCHEMA_VERSION:
            raise ValueError(f"schema_version must be {SCHEMA_VERSION} (got {version!r}); this mixlab reads only v1")
        _check_keys(tab, "", ["schema_version", "name", "vocab_size", "process", "filters", "domains"], ["description"])
        name = tab["name"]
        if not isinstance(name, str) or not name.strip():
            raise _fail("name", "be a non-empty string", name)
        description = tab.get("description", "")
        if not isinstance(description, str):
            raise _fail("description", "be a string", description)
        vocab_size = _integer(tab["vocab_size"], "vocab_size", 8)
        if vocab_size > 32767:
            raise _fail("vocab_size", "be <= 32767", vocab_size)
        process = ProcessSpec.parse(tab["process"], "process", vocab_size)
        filters = _table(tab["filters"], "filters")
        _check_keys(filters, "filters", ["quality_threshold"])
        threshold = _in_range(filters["quality_threshold"], "filters.quality_threshold", 0.0, 1.0)
        doms = _table(tab["domains"], "domains")
        if not doms:
            raise ValueError("domains must contain at least one domain table (got none)")
        domains = []
        for dname, dtab in doms.items():
            if not isinstance(dname, str) or not dname.strip() or "." in dname:
                raise _fail("domains", "have non-empty names without dots", dname)
            domains.append(DomainSpec.parse(dname, dtab, f"domains.{dname}"))
        return cls(
            name=name,
            description=description,
            vocab_size=vocab_size,
            process=process,
            domains=tuple(domains),
            quality_threshold=threshold,
            _source=source,
        )

    def to_dict(self) -> dict[str, Any]:
        """The spec as a nested dict in TOML layout (``from_dict(to_dict())`` round-trips).

        Used in: A.1 (the spec recorded in a manifest).
        """
        return {
            "schema_version": self.schema_version,
            "name": self.name,
            "description": self.description,
            "vocab_size": self.vocab_size,
            "process": self.process.to_dict(),
            "filters": {"quality_threshold": self.quality_threshold},
            "domains": {d.name: d.to_dict() for d in self.domains},
        }

    # ---------------------------------------------------------------- views
    @property
    def domain_names(self) -> tuple[str, ...]:
        """Domain names in spec order."""
        return tuple(d.name for d in self.domains)

    def domain(self, name: str) -> DomainSpec:
        """The spec of domain ``name``; raises ``KeyError`` naming the known domains."""
        for d in self.domains:
            if d.name == name:
                return d
        raise KeyError(f"unknown domain {name!r} (known: {', '.join(self.domain_names)})")

    def table(self) -> pd.DataFrame:
        """The per-domain settings as a DataFrame (one row per domain), for display.

        Used in: 00, 2.1.
        """
        rows = []
        for d in self.domains:
            row = d.to_dict()
            for key in ("clean_quality", "junk_quality"):
                q = row.pop(key)
                row[f"{key}_mean"] = q["alpha"] / (q["alpha"] + q["beta"])
            rows.append(row)
        return pd.DataFrame(rows, index=pd.Index(self.domain_names, name="domain"))

    # ---------------------------------------------------------------- variants
    def with_overrides(self, changes: Mapping[str, Any] | None = None, /, **kwargs: Any) -> WorldSpec:
        """A new spec with some fields changed; the result is validated like a file.

        Parameters
        ----------
        changes : mapping, optional
            Dotted field paths to new values, e.g. ``{"domains.web.docs": 200,
            "process.junk_noise": 0.1}``, or nested tables, e.g. ``{"domains": {"web": {"docs": 200}}}``.
        **kwargs
            Top-level fields, e.g. ``vocab_size=256``, ``name="mine"``, or
            ``domains={"web": {"docs": 200}}``.

        Returns
        -------
        WorldSpec

        Raises
        ------
        KeyError
            For an unknown domain name (overrides never add a domain; use :meth:`select_domains`
            to drop some).
        ValueError, TypeError
            For unknown keys or invalid values, naming the field path.

        Used in: 1.2, 1.4, exercises that vary the world.
        """
        data = self.to_dict()
        flat: dict[str, Any] = {}
        for source in (changes or {}, kwargs):
            for key, value in source.items():
                if not isinstance(key, str):
                    raise TypeError(f"override keys must be strings (got {key!r})")
                _flatten(key, value, flat)
        for path, value in flat.items():
            parts = path.split(".")
            if parts[0] == "domains" and len(parts) >= 2 and parts[1] not in data["domains"]:
                raise KeyError(
                    f"unknown domain {parts[1]!r} in override {path!r} (known: {', '.join(self.domain_names)})"
                )
            node = data
            for i, part in enumerate(parts[:-1]):
                nxt = node.get(part) if isinstance(node, dict) else None
                if not isinstance(nxt, dict):
                    raise ValueError(f"unknown override path {path!r}: {'.'.join(parts[: i + 1])} is not a table")
                node = nxt
            node[parts[-1]] = copy.deepcopy(value)
        return WorldSpec.from_dict(data, source=f"{self._source or self.name} + overrides")

    def select_domains(self, names: Sequence[str]) -> WorldSpec:
        """A new spec with only the named domains, in the given order.

        Raises
        ------
        KeyError
            If a name is not a domain of this spec.
        ValueError
            If ``names`` is empty or repeats a name.

        Used in: 1.3 (a three-domain simplex).
        """
        if isinstance(names, str):
            raise TypeError("names must be a sequence of domain names, not a single string")
        names = list(names)
        if not names:
            raise ValueError("names must not be empty")
        if len(set(names)) != len(names):
            raise ValueError(f"names must not repeat (got {names})")
        picked = tuple(self.domain(n) for n in names)
        return dataclasses.replace(self, domains=picked)

    def scaled(self, factor: float) -> WorldSpec:
        """A new spec with every domain's ``docs`` and ``validation_docs`` multiplied by ``factor`` (rounded, >= 1).

        Raises
        ------
        ValueError
            If ``factor`` is not a positive finite number.

        Used in: 1.4 (proxy versus target scale), benchmarks.
        """
        f = _positive(factor, "factor")
        doms = tuple(
            dataclasses.replace(d, docs=max(1, round(d.docs * f)), validation_docs=max(1, round(d.validation_docs * f)))
            for d in self.domains
        )
        return dataclasses.replace(self, domains=doms)

    def expected_tokens(self) -> pd.Series:
        """Rough expected training tokens per domain from the spec (untruncated lognormal means).

        Used in: 2.1 (planning a world size).
        """
        out = {}
        for d in self.domains:
            mean = d.length_median * math.exp(d.length_sigma**2 / 2)
            n_dup = round(d.duplicate_share * d.docs)
            n = d.docs - n_dup
            junk = round(d.junk_share * n)
            per_doc = ((n - junk) * mean + junk * mean * d.junk_length_multiplier) / n
            out[d.name] = min(per_doc, d.max_length) * d.docs
        return pd.Series(out, name="expected_tokens").rename_axis("domain")

    def __repr__(self) -> str:
        return (
            f"WorldSpec({self.name!r}: vocab {self.vocab_size}, {len(self.domains)} domains "
            f"[{', '.join(self.domain_names)}], {sum(d.docs for d in self.domains):,} train docs)"
        )


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = value


def worlds_dir() -> Path:
    """The directory of the preset specs, ``<repo>/data_synth/worlds`` (next to the mixlab package).

    Used in: 00 (where the world comes from), A.1 (a spec file copied next to a recipe).
    """
    return Path(__file__).resolve().parent.parent / "data_synth" / "worlds"


def available_presets() -> tuple[str, ...]:
    """Names of the preset specs (sorted), e.g. ``('default', 'large', 'tiny')``.

    Used in: 00.
    """
    d = worlds_dir()
    return tuple(sorted(p.stem for p in d.glob("*.toml"))) if d.is_dir() else ()


def load_spec(name_or_path: str | Path | WorldSpec) -> WorldSpec:
    """Load and validate a world spec.

    Parameters
    ----------
    name_or_path : str, pathlib.Path or WorldSpec
        A preset name (``"tiny"``, ``"default"``, ``"large"``: ``data_synth/worlds/<name>.toml``)
        or the path of a TOML file. A ``WorldSpec`` is returned unchanged.

    Returns
    -------
    WorldSpec

    Raises
    ------
    FileNotFoundError
        If the name is not a preset and no such file exists.
    ValueError, TypeError
        If the file is not valid TOML or fails validation (the message names the field).

    Used in: 00, every notebook that builds a world.
    """
    if isinstance(name_or_path, WorldSpec):
        return name_or_path
    if not isinstance(name_or_path, str | Path):
        raise TypeError(f"name_or_path must be a preset name or a path (got {type(name_or_path).__name__})")
    text = str(name_or_path)
    is_name = isinstance(name_or_path, str) and "/" not in text and "\\" not in text and not text.endswith(".toml")
    path = worlds_dir() / f"{text}.toml" if is_name else Path(name_or_path)
    if not path.is_file():
        if is_name:
            raise FileNotFoundError(f"no preset world named {text!r} (available: {', '.join(available_presets())})")
        raise FileNotFoundError(f"world spec file not found: {path}")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from exc
    return WorldSpec.from_dict(data, source=str(path))


# ====================================================================== process
def _named_child(ss: np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    """A child seed keyed by a domain's *name*, so a domain's streams do not depend on the other domains."""
    return np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 0x6D69786C, zlib.crc32(name.encode("utf-8"))))


def _alias_tables(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose alias tables for many rows at once.

    ``weights`` is (R, W), rows summing to 1. Returns ``prob`` (R, W) float64 and ``alias`` (R, W)
    int64 (a column index) such that drawing a column ``j`` uniformly and keeping it with
    probability ``prob[r, j]`` (else taking ``alias[r, j]``) samples column ``c`` with probability
    ``weights[r, c]``. All rows advance in lock-step: each pass pairs one under-full column with
    one over-full column per row, so W passes suffice.
    """
    r, w = weights.shape
    q = weights * w
    prob = np.ones((r, w))
    alias = np.broadcast_to(np.arange(w), (r, w)).copy()
    done = np.zeros((r, w), dtype=bool)
    for _ in range(w):
        small = ~done & (q < 1.0)
        large = ~done & (q >= 1.0)
        rows = np.flatnonzero(small.any(axis=1) & large.any(axis=1))
        if rows.size == 0:
            break
        s = small[rows].argmax(axis=1)
        lg = large[rows].argmax(axis=1)
        qs = q[rows, s]
        prob[rows, s] = qs
        alias[rows, s] = lg
        done[rows, s] = True
        q[rows, lg] -= 1.0 - qs
    # whatever is left is (up to rounding) exactly full: keep it with probability 1
    return prob, alias


def _sparse_rows(
    rng: np.random.Generator, preference: np.ndarray, k: int, alpha: float, floor: float, given: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Support (V, k) and weights (V, k) of a sparse random chain (see module docstring).

    ``given`` (V, g) holds support columns fixed in advance; the other ``k - g`` columns of each
    row are drawn without replacement with probability proportional to ``preference``
    (Gumbel top-k), avoiding the given ones.
    """
    v = len(preference)
    g = 0 if given is None else given.shape[1]
    support = np.empty((v, k), dtype=np.int64)
    keys = np.log(preference)[None, :] + rng.gumbel(size=(v, v))
    if given is not None:
        support[:, :g] = given
        keys[np.arange(v)[:, None], given] = -np.inf
    if k > g:
        support[:, g:] = np.argpartition(-keys, k - g - 1, axis=1)[:, : k - g]
    raw = rng.dirichlet(np.full(k, alpha), size=v)
    if not np.all(np.isfinite(raw)):
        raise InvariantError("Dirichlet draw produced non-finite weights (alpha too small?)")
    weights = (1.0 - floor) * raw + floor / k
    return support, weights


def _dense(support: np.ndarray, weights: np.ndarray, v: int, uniform: float = 0.0) -> np.ndarray:
    """Dense (V, V) matrix from sparse rows (repeated columns add up) plus ``uniform / V`` everywhere."""
    out = np.full((support.shape[0], v), uniform / v)
    rows = np.broadcast_to(np.arange(support.shape[0])[:, None], support.shape)
    np.add.at(out, (rows, support), weights)
    return out


def _stationary(p: np.ndarray, max_iter: int = 20_000) -> np.ndarray:
    """Stationary distribution of an irreducible aperiodic row-stochastic matrix, to float precision.

    Power iteration ``pi <- pi P`` until the update is below 1e-15 (the uniform part of every
    clean chain guarantees geometric convergence at rate <= 1 - u); a linear solve of
    ``pi (P - I) = 0, sum(pi) = 1`` is the fallback. Both are exact up to rounding (no simulation);
    the result is verified to be invariant.
    """
    v = p.shape[0]
    pi = np.full(v, 1.0 / v)
    for _ in range(max_iter):  # loop over iterations of a V-vector, not over documents
        new = pi @ p
        delta = float(np.abs(new - pi).max())
        pi = new
        if delta < 1e-15:
            break
    else:
        a = p.T - np.eye(v)
        a[-1, :] = 1.0
        b = np.zeros(v)
        b[-1] = 1.0
        pi = np.linalg.solve(a, b)
    if pi.min() <= 0 or not np.allclose(pi @ p, pi, atol=1e-12, rtol=1e-9):
        raise InvariantError(f"stationary distribution is not positive and invariant (min {pi.min():.3g})")
    return pi


@dataclass(frozen=True, eq=False)
class MarkovProcess:
    """The known token process of a world: per-domain bigram chains and junk chains.

    Chains are stored sparsely (row supports and weights); dense matrices are built on demand
    by :meth:`transition`. Build with :meth:`from_spec`.

    Attributes
    ----------
    domains : tuple of str
        Domain names in order.
    vocab_size : int
        ``V``.
    specificity : numpy.ndarray
        ``lambda_d`` per domain.
    uniform_mix : float
        ``u``: every clean chain is ``(1 - u) * sparse part + u / V``.
    support : numpy.ndarray
        (K, V, W) int64: row ``a`` of domain ``d``'s clean chain puts ``weights[d, a, j]`` on
        token ``support[d, a, j]`` (the shared chain's support, then the domain chain's) on top
        of the uniform part.
    weights : numpy.ndarray
        (K, V, W) float64, rows sum to ``1 - u``.
    junk_support, junk_weights : numpy.ndarray
        The same for the junk chains ``J_d``.
    junk_start : numpy.ndarray
        (K, C) int64: the cycle of each junk chain (junk documents start uniformly on it).
    stationary : numpy.ndarray
        (K, V) float64: ``pi_d``, the exact stationary distribution of ``P_d``.

    Used in: 2.4 (irreducible loss), 1.4 and 1.5 (proxy models, mixing-law constant term).
    """

    domains: tuple[str, ...]
    vocab_size: int
    specificity: np.ndarray
    uniform_mix: float
    support: np.ndarray
    weights: np.ndarray
    junk_support: np.ndarray
    junk_weights: np.ndarray
    junk_start: np.ndarray
    stationary: np.ndarray

    @classmethod
    def from_spec(cls, spec: WorldSpec, seed: int | np.random.SeedSequence) -> MarkovProcess:
        """Draw the token process of ``spec`` (deterministic in ``seed``).

        Parameters
        ----------
        spec : WorldSpec
        seed : int or numpy.random.SeedSequence

        Returns
        -------
        MarkovProcess

        Used in: 2.4.
        """
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(check_seed(seed))
        ps = spec.process
        v = spec.vocab_size
        k = len(spec.domains)
        words = word_table(v)
        nb = words.n_bytes.astype(np.float64)
        z = (nb - nb.mean()) / (nb.std() or 1.0)
        (shared_ss,) = ss.spawn(1)
        dom_ss = [_named_child(ss, d.name) for d in spec.domains]
        srng = np.random.default_rng(shared_ss)
        shared_pref = np.exp(ps.topic_sigma * srng.standard_normal(v))
        s_sup, s_w = _sparse_rows(srng, shared_pref, ps.shared_support, ps.shared_alpha, ps.floor, None)
        u = ps.uniform_mix
        ks, kd = ps.shared_support, ps.domain_support
        wj = ps.junk_cycle
        support = np.empty((k, v, ks + kd), dtype=np.int64)
        weights = np.empty((k, v, ks + kd))
        junk_support = np.zeros((k, v, wj), dtype=np.int64)
        junk_weights = np.zeros((k, v, wj))
        junk_start = np.empty((k, ps.junk_cycle), dtype=np.int64)
        stationary = np.empty((k, v))
        lam = np.array([d.specificity for d in spec.domains])
        for i, d in enumerate(spec.domains):  # loop over domains (a handful), not documents
            drng = np.random.default_rng(dom_ss[i])
            pref = np.exp(ps.topic_sigma * drng.standard_normal(v) + d.word_length_bias * z)
            pref /= pref.sum()
            # part of each domain row re-weights common continuations (columns of S's row)
            n_common = min(int(ps.domain_overlap * kd), ks)
            pick = np.argsort(drng.random((v, ks)), axis=1)[:, :n_common]
            common = np.take_along_axis(s_sup, pick, axis=1)
            d_sup, d_w = _sparse_rows(drng, pref, kd, ps.domain_alpha, ps.floor, common)
            support[i, :, :ks] = s_sup
            support[i, :, ks:] = d_sup
            weights[i, :, :ks] = (1.0 - u) * (1.0 - lam[i]) * s_w
            weights[i, :, ks:] = (1.0 - u) * lam[i] * d_w
            # junk: a cycle over the domain's favourite tokens, left with probability junk_noise
            cycle = drng.choice(v, size=ps.junk_cycle, replace=False, p=pref)
            junk_start[i] = cycle
            junk_support[i, :, :] = cycle[None, :]  # off the cycle: jump back onto it
            junk_weights[i, :, :] = 1.0 / wj
            nxt = np.roll(cycle, -1)
            noise_tokens = drng.choice(v, size=(ps.junk_cycle, wj - 1), p=pref)
            junk_support[i, cycle, 0] = nxt
            junk_support[i, cycle, 1:] = noise_tokens
            junk_weights[i, cycle, 0] = 1.0 - ps.junk_noise
            junk_weights[i, cycle, 1:] = ps.junk_noise / (wj - 1)
            stationary[i] = _stationary(_dense(support[i], weights[i], v, u))
        for arr in (lam, support, weights, junk_support, junk_weights, junk_start, stationary):
            arr.setflags(write=False)  # the ground truth is immutable
        return cls(
            tuple(spec.domain_names), v, lam, u, support, weights, junk_support, junk_weights, junk_start, stationary
        )

    # ---------------------------------------------------------------- lookups
    def _index(self, domain: str | int) -> int:
        if isinstance(domain, str):
            if domain not in self.domains:
                raise KeyError(f"unknown domain {domain!r} (known: {', '.join(self.domains)})")
            return self.domains.index(domain)
        return check_int(domain, "domain", minimum=0, maximum=len(self.domains) - 1)

    def transition(self, domain: str | int) -> np.ndarray:
        """Dense ``P_d`` (V x V, row-stochastic) of a domain's clean chain.

        Used in: 2.4, 1.4.
        """
        i = self._index(domain)
        return _dense(self.support[i], self.weights[i], self.vocab_size, self.uniform_mix)

    def junk_transition(self, domain: str | int) -> np.ndarray:
        """Dense ``J_d`` (V x V) of a domain's junk chain.

        Used in: 1.2.
        """
        i = self._index(domain)
        return _dense(self.junk_support[i], self.junk_weights[i], self.vocab_size)

    def stationary_distribution(self, domain: str | int) -> np.ndarray:
        """``pi_d`` (length V), with ``pi_d P_d = pi_d`` (a copy).

        Used in: 2.4.
        """
        return self.stationary[self._index(domain)].copy()

    def entropy_rate(self) -> pd.Series:
        """Exact entropy rate ``H_d`` of every domain's clean chain, in nats/token.

        ``H_d = - sum_a pi_d(a) sum_b P_d(a, b) log P_d(a, b)``: the expected loss of the true
        bigram model on a clean document (per predicted token), i.e. the irreducible loss, the
        floor under every proxy's validation loss.

        Returns
        -------
        pandas.Series
            Index = domains (name ``domain``), name ``entropy_rate``.

        Used in: 2.4, 1.4, 1.5 (the constant term of a mixing law).
        """
        cached = self.__dict__.get("_entropy_rate")
        if cached is None:  # the process is immutable, so compute once (proxies ask on every run)
            vals = [self.cross_entropy(d, self.transition(d)) for d in self.domains]
            cached = pd.Series(vals, index=pd.Index(self.domains, name="domain"), name="entropy_rate")
            object.__setattr__(self, "_entropy_rate", cached)
        return cached.copy()

    def cross_entropy(self, domain: str | int, q: np.ndarray) -> float:
        """Exact expected loss of a bigram model ``Q`` on domain ``d``'s clean data.

        ``- sum_a pi_d(a) sum_b P_d(a, b) log Q(a, b)`` in nats/token (``inf`` if ``Q`` gives zero
        probability to a transition that ``P_d`` can make).

        Parameters
        ----------
        domain : str or int
        q : numpy.ndarray
            (V, V) row-stochastic matrix (rows must sum to 1 within 1e-6; nothing is normalized).

        Returns
        -------
        float

        Raises
        ------
        ValueError
            If ``q`` has the wrong shape, negative or non-finite entries, or rows not summing to 1.

        Used in: 1.4 (proxy evaluation), 2.4.
        """
        i = self._index(domain)
        v = self.vocab_size
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (v, v):
            raise ValueError(f"q must have shape ({v}, {v}) (got {q.shape})")
        if not np.all(np.isfinite(q)) or q.min() < 0:
            raise ValueError("q must be finite and >= 0")
        sums = q.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
        if bad.size:
            raise ValueError(f"q rows must sum to 1 (row {bad[0]} sums to {sums[bad[0]]:.6g}; {bad.size} rows off)")
        p = self.transition(i)
        with np.errstate(divide="ignore"):
            logq = np.log(q)
        return float(-(self.stationary[i][:, None] * p * logq).sum())

    def cross_entropy_matrix(self) -> pd.DataFrame:
        """Loss of domain ``j``'s true chain (columns) on domain ``i``'s data (rows), nats/token.

        The diagonal is the entropy rate; off-diagonal excess shows how much the domains overlap.

        Used in: 1.1 (skill profiles), 2.1.
        """
        mats = [self.transition(d) for d in self.domains]
        data = [[self.cross_entropy(di, mats[j]) for j in range(len(mats))] for di in self.domains]
        idx = pd.Index(self.domains, name="data")
        return pd.DataFrame(data, index=idx, columns=pd.Index(self.domains, name="model"))

    def sample(self, domain: str | int, n_docs: int, length: int, seed: int, *, junk: bool = False) -> np.ndarray:
        """Draw ``n_docs`` independent sequences of ``length`` tokens from a domain's chain.

        Clean sequences start from ``pi_d``; junk sequences start uniformly on the junk cycle.

        Returns
        -------
        numpy.ndarray
            (n_docs, length) int32.

        Used in: 2.4 (Monte Carlo check of the entropy rate).
        """
        i = self._index(domain)
        n_docs = check_int(n_docs, "n_docs", minimum=1)
        length = check_int(length, "length", minimum=1)
        rng = np.random.default_rng(check_seed(seed))
        tables = _Tables.build(self)
        table_id = np.full(n_docs, (len(self.domains) + i) if junk else i, dtype=np.int64)
        lengths = np.full(n_docs, length, dtype=np.int64)
        starts = np.arange(n_docs, dtype=np.int64) * length
        out = np.empty(n_docs * length, dtype=np.int32)
        first = self._first_tokens(rng, table_id)
        _fill(out, tables, table_id, first, lengths, starts, rng)
        return out.reshape(n_docs, length)

    def _first_tokens(self, rng: np.random.Generator, table_id: np.ndarray) -> np.ndarray:
        """First token of each document: ``pi_d`` for clean tables, uniform on the cycle for junk."""
        k = len(self.domains)
        u = rng.random(len(table_id))
        first = np.empty(len(table_id), dtype=np.int64)
        for t in range(2 * k):  # loop over chains, not documents
            sel = table_id == t
            if not sel.any():
                continue
            if t < k:
                cdf = np.cumsum(self.stationary[t])
                first[sel] = np.minimum(np.searchsorted(cdf, u[sel] * cdf[-1], side="right"), self.vocab_size - 1)
            else:
                cyc = self.junk_start[t - k]
                first[sel] = cyc[(u[sel] * len(cyc)).astype(np.int64)]
        return first

    def __repr__(self) -> str:
        return f"MarkovProcess(vocab {self.vocab_size}, domains {', '.join(self.domains)})"


@dataclass(frozen=True)
class _Tables:
    """Flat alias tables of all 2K chains: entry ``(chain * V + prev) * W + j``."""

    width: int
    vocab_size: int
    prob: np.ndarray  # float64
    hi: np.ndarray  # int32 token kept when the coin is under prob
    lo: np.ndarray  # int32 alias token

    @classmethod
    def build(cls, proc: MarkovProcess) -> _Tables:
        k, v, w_sparse = proc.support.shape
        w_clean = w_sparse + 1  # plus the "uniform" slot, token id V (a sentinel)
        w = max(w_clean, proc.junk_support.shape[2])
        sup = np.zeros((2 * k, v, w), dtype=np.int64)
        wts = np.zeros((2 * k, v, w))
        sup[:k, :, :w_sparse] = proc.support
        wts[:k, :, :w_sparse] = proc.weights
        sup[:k, :, w_sparse] = v
        wts[:k, :, w_sparse] = proc.uniform_mix
        wj = proc.junk_support.shape[2]
        sup[k:, :, :wj] = proc.junk_support
        wts[k:, :, :wj] = proc.junk_weights
        sup = sup.reshape(-1, w)
        prob, alias = _alias_tables(wts.reshape(-1, w))
        rows = np.arange(sup.shape[0])[:, None]
        hi = sup.astype(np.int32).ravel()
        lo = sup[rows, alias].astype(np.int32).ravel()
        return cls(w, v, prob.ravel(), hi, lo)


def _fill(
    out: np.ndarray,
    tables: _Tables,
    table_id: np.ndarray,
    first: np.ndarray,
    lengths: np.ndarray,
    starts: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Write documents into ``out`` (flat, at ``starts``), one position at a time for all documents.

    Documents are processed in order of decreasing length (stable), so the documents still
    growing at step ``t`` are a prefix of that order and each step is one vectorized draw.
    The random stream is consumed in a fixed order, so the result depends only on ``rng``'s seed.
    """
    if len(lengths) == 0:
        return
    order = np.argsort(-lengths, kind="stable")
    ln = lengths[order]
    st = starts[order]
    w, v = tables.width, tables.vocab_size
    base = table_id[order] * (v * w)
    cur = first[order].astype(np.int64)
    out[st] = cur
    max_len = int(ln[0])
    # active[t] = number of documents longer than t
    counts = np.bincount(ln, minlength=max_len + 1)
    active = len(ln) - np.cumsum(counts)
    prob, hi, lo = tables.prob, tables.hi, tables.lo
    buf = np.empty(len(ln))
    for t in range(1, max_len):  # loop over positions; every step is vectorized over documents
        n = int(active[t])
        x = buf[:n]
        rng.random(out=x)
        x *= w
        j = x.astype(np.int64)
        x -= j  # the fractional part is the alias coin
        flat = base[:n] + cur[:n] * w + j
        nxt = np.where(x < prob[flat], hi[flat], lo[flat])
        uni = (nxt == v).nonzero()[0]  # the uniform slot: draw a fresh token id
        if uni.size:
            nxt[uni] = rng.integers(0, v, size=uni.size)
        out[st[:n] + t] = nxt
        cur[:n] = nxt


# ====================================================================== world
@dataclass(frozen=True, eq=False)
class World:
    """A generated synthetic world: training and validation corpora plus the ground truth.

    Attributes
    ----------
    spec : WorldSpec
    seed : int
    train : Corpus
        Training documents (clean, junk and duplicates), rows ordered by domain then index.
        Its token array (like the validation one) is read-only.
    validation : Corpus
        Clean held-out documents per domain, disjoint from ``train`` (ids and contents).
    truth : pandas.DataFrame
        Aligned with ``train.docs`` rows: ``is_junk`` (bool), ``is_duplicate`` (bool),
        ``duplicate_of`` (int64 row of the original, -1 if none). Filters must not read it.
    process : MarkovProcess
        The generating process (entropy rates, exact cross-entropies).
    vocab_size : int

    Used in: every notebook.
    """

    spec: WorldSpec
    seed: int
    train: Corpus
    validation: Corpus
    truth: pd.DataFrame
    process: MarkovProcess
    vocab_size: int

    @property
    def domains(self) -> tuple[str, ...]:
        """Domain names in order."""
        return self.train.domains

    def summary(self) -> pd.DataFrame:
        """One row per domain: documents, tokens, lengths, junk and duplicate shares, entropy rate.

        Columns: ``docs``, ``tokens``, ``mean_length``, ``median_length``, ``max_length``,
        ``doc_share``, ``token_share``, ``junk_docs``, ``junk_token_share``, ``duplicate_docs``,
        ``val_docs``, ``val_tokens``, ``bytes_per_token``, ``entropy_rate``.

        Used in: 00, 2.1.
        """
        d = self.train.docs
        codes = self.train.domain_codes()
        n_tok = d["n_tokens"].to_numpy()
        g = pd.DataFrame({"code": codes, "n": n_tok, "junk": self.truth["is_junk"].to_numpy()})
        docs = self.train.doc_counts()
        tokens = self.train.token_counts()
        idx = docs.index
        junk_tok = np.bincount(codes, weights=n_tok * g["junk"].to_numpy(), minlength=len(idx))
        out = pd.DataFrame(
            {
                "docs": docs,
                "tokens": tokens,
                "mean_length": tokens / docs,
                "median_length": g.groupby("code")["n"].median().reindex(range(len(idx))).to_numpy(),
                "max_length": g.groupby("code")["n"].max().reindex(range(len(idx))).to_numpy(),
                "doc_share": docs / docs.sum(),
                "token_share": tokens / tokens.sum(),
                "junk_docs": np.bincount(codes, weights=g["junk"].to_numpy(), minlength=len(idx)).astype(np.int64),
                "junk_token_share": junk_tok / tokens.to_numpy(),
                "duplicate_docs": np.bincount(
                    codes, weights=self.truth["is_duplicate"].to_numpy(), minlength=len(idx)
                ).astype(np.int64),
                "val_docs": self.validation.doc_counts(),
                "val_tokens": self.validation.token_counts(),
                "bytes_per_token": np.bincount(codes, weights=d["n_bytes"].to_numpy(), minlength=len(idx))
                / tokens.to_numpy(),
                "entropy_rate": self.process.entropy_rate(),
            },
            index=idx,
        )
        return out

    def __repr__(self) -> str:
        return (
            f"World({self.spec.name!r}, seed={self.seed}: train {len(self.train):,} docs / "
            f"{self.train.n_tokens:,} tokens, validation {len(self.validation):,} docs / "
            f"{self.validation.n_tokens:,} tokens, {len(self.domains)} domains: {', '.join(self.domains)}; "
            f"vocab {self.vocab_size})"
        )


def _truncated_lengths(
    rng: np.random.Generator, n: int, median: float, sigma: float, lo: int, hi: int, mass: float
) -> np.ndarray:
    """``n`` draws of round(lognormal(log median, sigma)) conditioned on [lo, hi] (rejection, vectorized)."""
    out = np.empty(n, dtype=np.int64)
    filled = 0
    while filled < n:
        need = n - filled
        m = int(need / max(mass, 1e-3) * 1.1) + 16
        x = np.rint(median * np.exp(sigma * rng.standard_normal(m)))
        x = x[(x >= lo) & (x <= hi)][:need]
        out[filled : filled + len(x)] = x
        filled += len(x)
    return out


def _domain_docs(d: DomainSpec, ss: np.random.SeedSequence) -> dict[str, np.ndarray]:
    """Lengths, quality, junk and duplicate structure of one domain's training documents."""
    s_len, s_qual, s_junk, s_dup = ss.spawn(4)
    n = d.docs
    # duplicates: exact copies of an earlier non-duplicate document of the same domain
    drng = np.random.default_rng(s_dup)
    n_dup = min(round(d.duplicate_share * n), n - 1)
    is_dup = np.zeros(n, dtype=bool)
    if n_dup:
        is_dup[1 + drng.choice(n - 1, size=n_dup, replace=False)] = True
    orig_pool = np.flatnonzero(~is_dup)
    dup_rows = np.flatnonzero(is_dup)
    n_before = np.searchsorted(orig_pool, dup_rows)  # >= 1 because row 0 is never a duplicate
    dup_of = np.full(n, -1, dtype=np.int64)
    dup_of[dup_rows] = orig_pool[(drng.random(n_dup) * n_before).astype(np.int64)]
    # junk among the originals (exact count)
    jrng = np.random.default_rng(s_junk)
    n_junk = round(d.junk_share * len(orig_pool))
    is_junk = np.zeros(n, dtype=bool)
    if n_junk:
        is_junk[jrng.choice(orig_pool, size=n_junk, replace=False)] = True
    # lengths: clean and junk from their own truncated lognormals
    lrng = np.random.default_rng(s_len)
    lengths = _truncated_lengths(lrng, n, d.length_median, d.length_sigma, d.min_length, d.max_length, d.length_mass())
    junk_len = _truncated_lengths(
        lrng,
        n_junk,
        d.length_median * d.junk_length_multiplier,
        d.length_sigma,
        d.min_length,
        d.max_length,
        d.length_mass(d.junk_length_multiplier),
    )
    lengths[np.flatnonzero(is_junk)] = junk_len
    qrng = np.random.default_rng(s_qual)
    quality = qrng.beta(d.clean_quality.alpha, d.clean_quality.beta, size=n)
    quality[is_junk] = qrng.beta(d.junk_quality.alpha, d.junk_quality.beta, size=n_junk)
    # duplicates inherit everything observable and the junk flag from their original
    lengths[dup_rows] = lengths[dup_of[dup_rows]]
    quality[dup_rows] = quality[dup_of[dup_rows]]
    is_junk[dup_rows] = is_junk[dup_of[dup_rows]]
    return {"lengths": lengths, "quality": quality, "is_junk": is_junk, "is_dup": is_dup, "dup_of": dup_of}


def _ids(name: str, n: int, infix: str = "") -> np.ndarray:
    nums = np.char.zfill(np.arange(n).astype(str), 7)
    return np.char.add(f"{name}-{infix}", nums).astype(object)


def _build_corpus(
    domains: tuple[str, ...],
    vocab_size: int,
    ids: np.ndarray,
    codes: np.ndarray,
    lengths: np.ndarray,
    quality: np.ndarray,
    tokens: np.ndarray,
) -> Corpus:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    n_bytes = byte_lengths(tokens, offsets, words=word_table(vocab_size))
    docs = pd.DataFrame(
        {
            "doc_id": ids,
            "domain": pd.Categorical.from_codes(codes, categories=pd.Index(domains)),
            "start": offsets[:-1],
            "n_tokens": lengths.astype(np.int64),
            "n_bytes": n_bytes,
            "quality": quality.astype(np.float64),
        }
    )
    return Corpus(docs, tokens, domains, vocab_size)


def generate_world(spec_or_name: WorldSpec | str | Path, seed: int) -> World:
    """Generate a synthetic world from a spec (or preset name / TOML path) and a seed.

    Seeds: ``SeedSequence(seed).spawn(3)`` gives the process, training and validation streams.
    Each has one child per domain, keyed by the domain's *name* (so a domain's chain, lengths,
    quality, junk and duplicates do not change when other domains are added, removed or
    reordered), split into lengths, quality, junk and duplicates; plus one token stream shared by
    all domains (generation is one batched loop). Streams are consumed in a fixed order, so the
    same spec and seed give identical arrays and tables on any machine.

    Parameters
    ----------
    spec_or_name : WorldSpec, str or pathlib.Path
        A spec, a preset name (``"tiny"``, ``"default"``, ``"large"``) or a TOML path.
    seed : int
        Non-negative integer.

    Returns
    -------
    World

    Raises
    ------
    TypeError
        If ``seed`` is not an integer or ``spec_or_name`` has the wrong type.
    ValueError
        If ``seed`` is negative or the spec is invalid.
    FileNotFoundError
        If a preset name or path does not exist.
    InvariantError
        If a validation document happens to equal a training document (only possible for very
        short documents: raise ``min_length``).

    Used in: every notebook (00, 1.x, 2.x, 3.x).
    """
    seed = check_seed(seed)
    if not isinstance(spec_or_name, WorldSpec | str | Path):
        raise TypeError(
            f"spec_or_name must be a WorldSpec, a preset name or a TOML path (got {type(spec_or_name).__name__})"
        )
    spec = spec_or_name if isinstance(spec_or_name, WorldSpec) else load_spec(spec_or_name)
    names = spec.domain_names
    k, v = len(names), spec.vocab_size
    proc_ss, train_ss, val_ss = np.random.SeedSequence(seed).spawn(3)
    process = MarkovProcess.from_spec(spec, proc_ss)
    tables = _Tables.build(process)

    # ---- training documents
    (tok_ss,) = train_ss.spawn(1)
    parts = [_domain_docs(d, _named_child(train_ss, d.name)) for d in spec.domains]
    lengths = np.concatenate([p["lengths"] for p in parts])
    codes = np.repeat(np.arange(k), [d.docs for d in spec.domains])
    is_junk = np.concatenate([p["is_junk"] for p in parts])
    is_dup = np.concatenate([p["is_dup"] for p in parts])
    row0 = np.concatenate([[0], np.cumsum([d.docs for d in spec.domains])[:-1]])
    dup_of = np.concatenate([np.where(p["dup_of"] >= 0, p["dup_of"] + row0[i], -1) for i, p in enumerate(parts)])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    tokens = np.empty(int(lengths.sum()), dtype=np.int32)
    gen = np.flatnonzero(~is_dup)
    table_id = codes[gen] + k * is_junk[gen]
    trng = np.random.default_rng(tok_ss)
    first = process._first_tokens(trng, table_id)
    _fill(tokens, tables, table_id, first, lengths[gen], starts[gen], trng)
    dups = np.flatnonzero(is_dup)
    if dups.size:
        dl = lengths[dups]
        within = np.arange(int(dl.sum()), dtype=np.int64) - np.repeat(np.cumsum(dl) - dl, dl)
        dst = np.repeat(starts[dups], dl) + within
        src = np.repeat(starts[dup_of[dups]], dl) + within
        tokens[dst] = tokens[src]
    ids = np.concatenate([_ids(d.name, d.docs) for d in spec.domains])
    train = _build_corpus(names, v, ids, codes, lengths, np.concatenate([p["quality"] for p in parts]), tokens)
    truth = pd.DataFrame({"is_junk": is_junk, "is_duplicate": is_dup, "duplicate_of": dup_of.astype(np.int64)})

    # ---- validation documents (clean only, same chains, own streams)
    (vtok_ss,) = val_ss.spawn(1)
    v_len, v_q = [], []
    for d in spec.domains:  # loop over domains
        lrng_ss, qrng_ss = _named_child(val_ss, d.name).spawn(2)
        v_len.append(
            _truncated_lengths(
                np.random.default_rng(lrng_ss),
                d.validation_docs,
                d.length_median,
                d.length_sigma,
                d.min_length,
                d.max_length,
                d.length_mass(),
            )
        )
        v_q.append(np.random.default_rng(qrng_ss).beta(d.clean_quality.alpha, d.clean_quality.beta, d.validation_docs))
    vl = np.concatenate(v_len)
    vcodes = np.repeat(np.arange(k), [d.validation_docs for d in spec.domains])
    vstarts = np.concatenate([[0], np.cumsum(vl)[:-1]]).astype(np.int64)
    vtokens = np.empty(int(vl.sum()), dtype=np.int32)
    vrng = np.random.default_rng(vtok_ss)
    _fill(vtokens, tables, vcodes, process._first_tokens(vrng, vcodes), vl, vstarts, vrng)
    vids = np.concatenate([_ids(d.name, d.validation_docs, "val-") for d in spec.domains])
    validation = _build_corpus(names, v, vids, vcodes, vl, np.concatenate(v_q), vtokens)

    check_disjoint(train, validation)
    for arr in (tokens, vtokens):
        arr.setflags(write=False)  # shared by every view of the corpus: never edited in place
    return World(spec, seed, train, validation, truth, process, v)


# ====================================================================== hashing, disjointness
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer, elementwise on uint64 (wrapping arithmetic)."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def document_hashes(corpus: Corpus, *, chunk_tokens: int = 1 << 20) -> np.ndarray:
    """A 64-bit content hash of every document (equal token sequences give equal hashes).

    ``h(x) = mix(n_x XOR sum_p g(m_p * (token_p + c)))`` with wrapping uint64 arithmetic, where
    ``m_p = mix(p) | 1`` is a pseudo-random odd 64-bit multiplier for position ``p``,
    ``g(z) = z XOR (z >> 29)``, ``c`` a fixed odd constant and ``mix`` the splitmix64 finalizer.
    Computed in chunks of about ``chunk_tokens`` tokens with ``np.add.reduceat``; no loop over
    documents. Different documents collide with probability about 2**-64 per pair; callers that
    must be certain compare the tokens of equal hashes (as :func:`check_disjoint` does).

    Parameters
    ----------
    corpus : Corpus
    chunk_tokens : int
        Memory bound: tokens processed per chunk (>= 1).

    Returns
    -------
    numpy.ndarray
        uint64, one hash per row of ``corpus.docs``.

    Used in: 1.2 (dedup filter), 2.4 (validation disjointness).
    """
    chunk_tokens = check_int(chunk_tokens, "chunk_tokens", minimum=1)
    starts = corpus.docs["start"].to_numpy(dtype=np.int64)
    lens = corpus.docs["n_tokens"].to_numpy(dtype=np.int64)
    out = np.empty(len(lens), dtype=np.uint64)
    if len(lens) == 0:
        return out
    with np.errstate(over="ignore"):
        mult = _splitmix64(np.arange(int(lens.max()), dtype=np.uint64)) | np.uint64(1)
        cum = np.cumsum(lens)
        bounds = np.searchsorted(cum, np.arange(chunk_tokens, int(cum[-1]), chunk_tokens), side="left") + 1
        edges = np.unique(np.concatenate([[0], bounds, [len(lens)]]))
        for a, b in zip(edges[:-1], edges[1:], strict=True):  # loop over memory chunks, not documents
            ln = lens[a:b]
            off = np.cumsum(ln) - ln
            pos = np.arange(int(off[-1] + ln[-1]), dtype=np.int64) - np.repeat(off, ln)
            st = starts[a:b]
            if np.array_equal(st - st[0], off):  # contiguous documents: a slice, no gather
                tok = corpus.tokens[st[0] : st[0] + len(pos)].astype(np.uint64)
            else:
                tok = corpus.tokens[np.repeat(st, ln) + pos].astype(np.uint64)
            tok += _GOLDEN
            tok *= mult[pos]
            tok ^= tok >> np.uint64(29)
            sums = np.add.reduceat(tok, off)
            out[a:b] = _splitmix64(sums ^ ln.astype(np.uint64))
    return out


def _prefix_keys(corpus: Corpus, prefix: int) -> np.ndarray:
    """64-bit key of (length, first ``prefix`` tokens) per document; equal documents have equal keys."""
    starts = corpus.docs["start"].to_numpy(dtype=np.int64)
    lens = corpus.docs["n_tokens"].to_numpy(dtype=np.int64)
    key = _splitmix64(lens.astype(np.uint64))
    with np.errstate(over="ignore"):
        for p in range(prefix):  # loop over a fixed number of positions, vectorized over documents
            has = lens > p
            tok = np.where(has, corpus.tokens[np.minimum(starts + p, len(corpus.tokens) - 1)], -1)
            key = _splitmix64(key ^ tok.astype(np.int64).astype(np.uint64))
    return key


@dataclass(frozen=True)
class DisjointCheck:
    """What :func:`check_disjoint` compared when it found no overlap.

    Attributes
    ----------
    train_documents, validation_documents : int
        Documents (and doc_ids) on each side; every validation id was looked up among the
        training ids and every validation document's content key among the training keys.
    train_tokens, validation_tokens : int
        Tokens on each side.
    candidate_pairs : int
        (validation, training) pairs with the same length and the same first ``prefix``
        tokens, each confirmed different by comparing all tokens (normally 0).
    prefix : int
        Tokens in the cheap content key.

    Used in: 2.4 (validation sets must not overlap training).
    """

    train_documents: int
    validation_documents: int
    train_tokens: int
    validation_tokens: int
    candidate_pairs: int
    prefix: int

    @property
    def ids_compared(self) -> int:
        """doc_ids compared: the validation ids, each looked up among the training ids."""
        return self.validation_documents

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (stable, for printing)."""
        return {
            "train_documents": self.train_documents,
            "validation_documents": self.validation_documents,
            "train_tokens": self.train_tokens,
            "validation_tokens": self.validation_tokens,
            "candidate_pairs": self.candidate_pairs,
            "prefix": self.prefix,
        }

    def __str__(self) -> str:
        return (
            f"disjoint: {self.validation_documents:,} validation documents ({self.validation_tokens:,} tokens) vs "
            f"{self.train_documents:,} training documents ({self.train_tokens:,} tokens); no shared doc_id, "
            f"no identical token sequence ({self.candidate_pairs:,} candidate pairs compared token by token)"
        )


def check_disjoint(train: Corpus, validation: Corpus, *, prefix: int = 16) -> DisjointCheck:
    """Check that no validation document is also a training document, by id and by content.

    Candidates are documents with the same length and the same first tokens (a cheap 64-bit
    key over at most ``prefix`` tokens); each candidate pair is then confirmed by comparing all
    tokens, so the check is exact.

    Parameters
    ----------
    train, validation : Corpus
    prefix : int
        Tokens in the candidate key (>= 1).

    Returns
    -------
    DisjointCheck
        What was compared: documents and tokens on each side and the number of candidate pairs
        confirmed token by token (``print`` it for a one-line summary).

    Raises
    ------
    InvariantError
        Naming the overlapping ids (shared ids, or validation ids whose tokens equal a
        training document's, with that document's id).

    Used in: 2.4 (validation sets must not overlap training).
    """
    shared = sorted(set(train.docs["doc_id"]) & set(validation.docs["doc_id"]))
    if shared:
        raise InvariantError(
            f"validation and training share {len(shared)} doc_id(s): {', '.join(map(str, shared[:8]))}"
            + (" …" if len(shared) > 8 else "")
        )
    prefix = check_int(prefix, "prefix", minimum=1)
    ht = _prefix_keys(train, prefix)
    hv = _prefix_keys(validation, prefix)
    common = np.intersect1d(ht, hv)
    summary = {
        "train_documents": len(train),
        "validation_documents": len(validation),
        "train_tokens": int(train.docs["n_tokens"].sum()),
        "validation_tokens": int(validation.docs["n_tokens"].sum()),
        "prefix": prefix,
    }
    if common.size == 0:
        return DisjointCheck(candidate_pairs=0, **summary)
    pairs = []
    checked = 0
    ti = np.flatnonzero(np.isin(ht, common))
    vi = np.flatnonzero(np.isin(hv, common))
    by_hash: dict[int, list[int]] = {}
    for i in ti.tolist():  # only candidate collisions (normally none)
        by_hash.setdefault(int(ht[i]), []).append(i)
    for j in vi.tolist():
        vt = validation.document_tokens(j)
        for i in by_hash.get(int(hv[j]), []):
            checked += 1
            if np.array_equal(train.document_tokens(i), vt):
                pairs.append((validation.docs["doc_id"].iat[j], train.docs["doc_id"].iat[i]))
                break
    if pairs:
        shown = ", ".join(f"{a} == {b}" for a, b in pairs[:8])
        raise InvariantError(
            f"{len(pairs)} validation document(s) have the same tokens as a training document: {shown}"
            + (" …" if len(pairs) > 8 else "")
        )
    return DisjointCheck(candidate_pairs=checked, **summary)
