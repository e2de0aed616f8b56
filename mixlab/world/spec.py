"""World specs: the TOML files under ``data_synth/worlds/`` and the validated dataclasses they become.

A spec fixes everything about a synthetic world except the seed: the vocabulary, the token
process (:class:`ProcessSpec`), the domains (:class:`DomainSpec`) and the course's quality
threshold. :func:`load_spec` reads a preset name or a TOML path; every field is checked with the
shared config kit (:mod:`mixlab.config`), so an error names the file, the dotted field path, the
violated condition and the value, e.g.
``world spec tiny.toml domains.web.docs must be >= 1 (got 0)``.

Size limits
-----------
Fields that multiply memory are capped *before anything is allocated*, with limits sized for a
24 GiB, 2-core machine (the course's reference machine):

* ``vocab_size <= MAX_VOCAB_SIZE`` (4,096): building the process holds a few dense
  ``vocab_size x vocab_size`` float64 matrices per domain (128 MiB each at the limit);
* at most ``MAX_DOMAINS`` (32) domains;
* ``2 x domains x vocab_size x (shared_support + domain_support + 1) <= MAX_TABLE_ENTRIES``
  (2**26): the sampler's alias tables (about 60 bytes per entry, 3.75 GiB at the limit);
* ``docs`` and ``validation_docs`` per domain, and their total over the world, at most
  ``MAX_DOCS`` (20,000,000): about 300 bytes per document in tables (6 GiB at the limit);
* ``max_length <= MAX_LENGTH`` (1,000,000 tokens);
* expected tokens (training plus validation, :meth:`WorldSpec.expected_tokens`) at most
  ``MAX_TOKENS`` (1,000,000,000): about 10 bytes per token at the peak of generation
  (10 GiB at the limit); :func:`mixlab.world.generate_world` checks the drawn total again before
  it allocates the token array.

Used in: 00 (the world at a glance), 2.1 (domains), every notebook that builds a world.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mixlab.config import ConfigError, Fields, read_toml

__all__ = [
    "SCHEMA_VERSION",
    "MAX_VOCAB_SIZE",
    "MAX_DOMAINS",
    "MAX_TABLE_ENTRIES",
    "MAX_DOCS",
    "MAX_LENGTH",
    "MAX_TOKENS",
    "BetaParams",
    "DomainSpec",
    "ProcessSpec",
    "WorldSpec",
    "available_presets",
    "load_spec",
    "worlds_dir",
]

#: The spec format this module reads.
SCHEMA_VERSION = 1
#: Largest vocabulary (dense V x V float64 matrices: 128 MiB each at the limit).
MAX_VOCAB_SIZE = 4096
#: Most domains in one world.
MAX_DOMAINS = 32
#: Largest alias-table size, ``2 x domains x vocab_size x (shared_support + domain_support + 1)``.
MAX_TABLE_ENTRIES = 2**26
#: Most documents per domain (``docs``, ``validation_docs``) and in the whole world.
MAX_DOCS = 20_000_000
#: Longest document, in tokens (``max_length``).
MAX_LENGTH = 1_000_000
#: Most tokens (training plus validation) a world may hold.
MAX_TOKENS = 1_000_000_000
_LIMIT_NOTE = " (the limit for a 24 GiB, 2-core machine)"


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _fields(source: str) -> Fields:
    return Fields(f"world spec {source}" if source else "world spec")


@dataclass(frozen=True)
class BetaParams:
    """Parameters of a Beta distribution (the quality score of clean or junk documents).

    Used in: no lesson calls it by name.
    """

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        """Mean ``alpha / (alpha + beta)``."""
        return self.alpha / (self.alpha + self.beta)

    @classmethod
    def parse(cls, value: object, path: str, fields: Fields | None = None) -> BetaParams:
        """Parse ``{alpha = ..., beta = ...}``.

        Parameters
        ----------
        value : mapping
            The TOML table.
        path : str
            Its dotted path, for messages.
        fields : mixlab.config.Fields, optional
            The checks of the enclosing document (names the file in messages).

        Returns
        -------
        BetaParams

        Raises
        ------
        TypeError, ValueError
            Naming ``path`` and the violated condition.
        """
        f = fields or _fields("")
        tab = f.table(value, path)
        f.keys(tab, path, ["alpha", "beta"])
        return cls(f.positive(tab["alpha"], f"{path}.alpha"), f.positive(tab["beta"], f"{path}.beta"))

    def to_dict(self) -> dict[str, float]:
        """As a TOML-ready table."""
        return {"alpha": self.alpha, "beta": self.beta}


@dataclass(frozen=True)
class DomainSpec:
    """One domain of the world: how many documents, how long, how clean, how specific.

    Attributes
    ----------
    name : str
        Domain name (``web``, ``books``, ...).
    docs : int
        Training documents, duplicates included (``1 <= docs <= MAX_DOCS``).
    validation_docs : int
        Clean held-out documents (``1 <= validation_docs <= MAX_DOCS``).
    length_median, length_sigma : float
        Clean document length ~ round(lognormal(log(median), sigma)), truncated to
        ``[min_length, max_length]`` (resampled, not clipped).
    min_length, max_length : int
        Length bounds in tokens, ``1 <= min_length <= max_length <= MAX_LENGTH``.
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

    Used in: no lesson calls it by name.
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
    def parse(cls, name: str, value: object, path: str, fields: Fields | None = None) -> DomainSpec:
        """Parse and validate one ``[domains.<name>]`` table.

        Parameters
        ----------
        name : str
            The domain's name.
        value : mapping
            The TOML table.
        path : str
            Its dotted path (``domains.<name>``), for messages.
        fields : mixlab.config.Fields, optional
            The checks of the enclosing document (names the file in messages).

        Returns
        -------
        DomainSpec

        Raises
        ------
        TypeError, ValueError
            Naming the field path, the violated condition (or limit) and the value.
        """
        f = fields or _fields("")
        tab = f.table(value, path)
        f.keys(tab, path, [fd.name for fd in dataclasses.fields(cls) if fd.name != "name"])
        lim = {"maximum": MAX_DOCS, "limit_note": _LIMIT_NOTE}
        min_len = f.integer(tab["min_length"], f"{path}.min_length", minimum=1, maximum=MAX_LENGTH,
                            limit_note=_LIMIT_NOTE)
        max_len = f.integer(tab["max_length"], f"{path}.max_length", minimum=1, maximum=MAX_LENGTH,
                            limit_note=_LIMIT_NOTE)
        if max_len < min_len:
            raise f.fail(f"{path}.max_length", f"be >= min_length = {min_len}", max_len)
        spec = cls(
            name=name,
            docs=f.integer(tab["docs"], f"{path}.docs", minimum=1, **lim),  # type: ignore[arg-type]
            validation_docs=f.integer(tab["validation_docs"], f"{path}.validation_docs", minimum=1,
                                      **lim),  # type: ignore[arg-type]
            length_median=f.positive(tab["length_median"], f"{path}.length_median"),
            length_sigma=f.in_range(tab["length_sigma"], f"{path}.length_sigma", 0.0, 5.0),
            min_length=min_len,
            max_length=max_len,
            clean_quality=BetaParams.parse(tab["clean_quality"], f"{path}.clean_quality", f),
            junk_quality=BetaParams.parse(tab["junk_quality"], f"{path}.junk_quality", f),
            junk_share=f.in_range(tab["junk_share"], f"{path}.junk_share", 0.0, 1.0, hi_open=True),
            junk_length_multiplier=f.positive(tab["junk_length_multiplier"], f"{path}.junk_length_multiplier"),
            duplicate_share=f.in_range(tab["duplicate_share"], f"{path}.duplicate_share", 0.0, 1.0, hi_open=True),
            specificity=f.in_range(tab["specificity"], f"{path}.specificity", 0.0, 1.0),
            word_length_bias=f.in_range(tab["word_length_bias"], f"{path}.word_length_bias", -5.0, 5.0),
        )
        for label, mult in (("clean", 1.0), ("junk", spec.junk_length_multiplier)):
            mass = spec.length_mass(mult)
            if mass < 0.01:
                raise ConfigError(
                    f"{f.document} {path}: the {label} length distribution (median "
                    f"{spec.length_median * mult:g}, sigma {spec.length_sigma:g}) must put >= 1% of its mass in "
                    f"[min_length, max_length] = [{min_len}, {max_len}] (got {mass:.2e})"
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

    def mean_length(self) -> float:
        """Expected length of a clean or junk training document (untruncated lognormal means, capped).

        Returns
        -------
        float
            Tokens per document, averaged over clean and junk documents in their expected shares
            and capped at ``max_length``.
        """
        mean = self.length_median * math.exp(self.length_sigma**2 / 2)
        n_dup = round(self.duplicate_share * self.docs)
        n = self.docs - n_dup
        junk = round(self.junk_share * n)
        per_doc = ((n - junk) * mean + junk * mean * self.junk_length_multiplier) / n
        return min(per_doc, self.max_length)

    def to_dict(self) -> dict[str, object]:
        """As a TOML-ready table (without the name)."""
        out: dict[str, object] = {}
        for fd in dataclasses.fields(self):
            if fd.name == "name":
                continue
            v = getattr(self, fd.name)
            out[fd.name] = v.to_dict() if isinstance(v, BetaParams) else v
        return out


@dataclass(frozen=True)
class ProcessSpec:
    """Parameters of the token process (see :mod:`mixlab.world`).

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

    Used in: no lesson calls it by name.
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
    def parse(cls, value: object, path: str, vocab_size: int, fields: Fields | None = None) -> ProcessSpec:
        """Parse and validate the ``[process]`` table.

        Parameters
        ----------
        value : mapping
            The ``[process]`` table as parsed from TOML.
        path : str
            Where it sits in the document (``process``).
        vocab_size : int
            The world's vocabulary size (supports and the junk cycle must fit in it).
        fields : mixlab.config.Fields, optional
            Field checks bound to the enclosing file's name.

        Returns
        -------
        ProcessSpec

        Raises
        ------
        TypeError, ValueError
            Naming the field path, the violated condition and the value.
        """
        f = fields or _fields("")
        tab = f.table(value, path)
        f.keys(tab, path, [fd.name for fd in dataclasses.fields(cls)])
        open_unit = {"lo_open": True, "hi_open": True}
        spec = cls(
            shared_support=f.integer(tab["shared_support"], f"{path}.shared_support", minimum=2),
            shared_alpha=f.positive(tab["shared_alpha"], f"{path}.shared_alpha"),
            domain_support=f.integer(tab["domain_support"], f"{path}.domain_support", minimum=2),
            domain_alpha=f.positive(tab["domain_alpha"], f"{path}.domain_alpha"),
            floor=f.in_range(tab["floor"], f"{path}.floor", 0.0, 1.0, lo_open=True),
            topic_sigma=f.in_range(tab["topic_sigma"], f"{path}.topic_sigma", 0.0, 10.0),
            junk_cycle=f.integer(tab["junk_cycle"], f"{path}.junk_cycle", minimum=2),
            junk_noise=f.in_range(tab["junk_noise"], f"{path}.junk_noise", 0.0, 1.0, **open_unit),
            uniform_mix=f.in_range(tab["uniform_mix"], f"{path}.uniform_mix", 0.0, 1.0, **open_unit),
            domain_overlap=f.in_range(tab["domain_overlap"], f"{path}.domain_overlap", 0.0, 1.0),
        )
        for key in ("shared_support", "domain_support", "junk_cycle"):
            if getattr(spec, key) > vocab_size:
                raise f.fail(f"{path}.{key}", f"be <= vocab_size = {vocab_size}", getattr(spec, key))
        return spec

    def to_dict(self) -> dict[str, object]:
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

    Used in: no lesson calls it by name.
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
    def from_dict(cls, data: Mapping[str, object], *, source: str = "") -> WorldSpec:
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
            Naming the source, the field path and the violated condition, e.g.
            ``world spec tiny.toml domains.web.docs must be >= 1 (got -3)``; also for unknown keys,
            an unsupported ``schema_version`` and sizes above the limits (see the module docstring).
        """
        f = _fields(source)
        tab = f.table(data, "")
        version = tab.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version != SCHEMA_VERSION:
            raise f.fail("schema_version", f"be {SCHEMA_VERSION} (this mixlab reads only v{SCHEMA_VERSION})", version)
        f.keys(tab, "", ["schema_version", "name", "vocab_size", "process", "filters", "domains"], ["description"])
        name = f.string(tab["name"], "name")
        if not name.strip():
            raise f.fail("name", "be a non-empty string", name)
        description = tab.get("description", "")
        if not isinstance(description, str):
            raise f.fail("description", "be a string", description)
        vocab_size = f.integer(tab["vocab_size"], "vocab_size", minimum=8, maximum=MAX_VOCAB_SIZE,
                               limit_note=_LIMIT_NOTE)
        process = ProcessSpec.parse(tab["process"], "process", vocab_size, f)
        filters = f.table(tab["filters"], "filters")
        f.keys(filters, "filters", ["quality_threshold"])
        threshold = f.in_range(filters["quality_threshold"], "filters.quality_threshold", 0.0, 1.0)
        doms = f.table(tab["domains"], "domains")
        if not doms:
            raise f.fail("domains", "contain at least one domain table", "none")
        if len(doms) > MAX_DOMAINS:
            raise f.fail("domains", f"hold at most {MAX_DOMAINS} domains{_LIMIT_NOTE}", len(doms))
        domains = []
        for dname, dtab in doms.items():
            if not isinstance(dname, str) or not dname.strip() or "." in dname:
                raise f.fail("domains", "have non-empty names without dots", dname)
            domains.append(DomainSpec.parse(dname, dtab, f"domains.{dname}", f))
        _check_size(f, vocab_size, process, domains)
        return cls(
            name=name,
            description=description,
            vocab_size=vocab_size,
            process=process,
            domains=tuple(domains),
            quality_threshold=threshold,
            _source=source,
        )

    def to_dict(self) -> dict[str, object]:
        """The spec as a nested dict in TOML layout (``from_dict(to_dict())`` round-trips).

        Used in: no lesson calls it by name (the build records the spec with it).
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

        Used in: no lesson calls it by name.
        """
        rows = []
        for d in self.domains:
            row = d.to_dict()
            for key in ("clean_quality", "junk_quality"):
                q = getattr(d, key)
                del row[key]
                row[f"{key}_mean"] = q.mean
            rows.append(row)
        return pd.DataFrame(rows, index=pd.Index(self.domain_names, name="domain"))

    # ---------------------------------------------------------------- variants
    def with_overrides(self, changes: Mapping[str, object] | None = None, /, **kwargs: object) -> WorldSpec:
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

        Used in: 1.2 (a spam wave: the web domain with twice the junk).
        """
        data = self.to_dict()
        flat: dict[str, object] = {}
        for source in (changes or {}, kwargs):
            for key, value in source.items():
                if not isinstance(key, str):
                    raise TypeError(f"override keys must be strings (got {key!r})")
                _flatten(key, value, flat)
        for path, value in flat.items():
            parts = path.split(".")
            if parts[0] == "domains" and len(parts) >= 2 and parts[1] not in self.domain_names:
                raise KeyError(
                    f"unknown domain {parts[1]!r} in override {path!r} (known: {', '.join(self.domain_names)})"
                )
            node: object = data
            for i, part in enumerate(parts[:-1]):
                nxt = node.get(part) if isinstance(node, dict) else None
                if not isinstance(nxt, dict):
                    raise ValueError(f"unknown override path {path!r}: {'.'.join(parts[: i + 1])} is not a table")
                node = nxt
            assert isinstance(node, dict)
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

        Used in: 1.2 (a web-only world), 1.3, 1.5, 2.4 (three-domain simplices).
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
        TypeError
            If ``factor`` is not a real number.
        ValueError
            If ``factor`` is not a positive finite number, or the scaled world would exceed the size
            limits (documents per domain, documents or tokens in the world), checked before
            anything is generated.

        Used in: 1.2, 1.3, 1.5 (smaller worlds that run faster).
        """
        fac = Fields("scaled()").positive(factor, "factor")
        doms = []
        for d in self.domains:
            docs, val = round(d.docs * fac), round(d.validation_docs * fac)
            for key, n in (("docs", docs), ("validation_docs", val)):
                if n > MAX_DOCS:
                    raise ValueError(
                        f"factor={factor:g} would make domains.{d.name}.{key} = {n:,}, above the limit of "
                        f"{MAX_DOCS:,} documents per domain{_LIMIT_NOTE}"
                    )
            doms.append(dataclasses.replace(d, docs=max(1, docs), validation_docs=max(1, val)))
        _check_size(Fields(f"world spec {self.name} scaled by {factor:g}"), self.vocab_size, self.process, doms)
        return dataclasses.replace(self, domains=tuple(doms))

    def expected_tokens(self) -> pd.Series:
        """Rough expected training tokens per domain from the spec (untruncated lognormal means).

        Used in: no lesson calls it by name.
        """
        out = {d.name: d.mean_length() * d.docs for d in self.domains}
        return pd.Series(out, name="expected_tokens").rename_axis("domain")

    def __repr__(self) -> str:
        return (
            f"WorldSpec({self.name!r}: vocab {self.vocab_size}, {len(self.domains)} domains "
            f"[{', '.join(self.domain_names)}], {sum(d.docs for d in self.domains):,} train docs)"
        )




def _check_size(f: Fields, vocab_size: int, process: ProcessSpec, domains: Sequence[DomainSpec]) -> None:
    """Refuse a world whose tables or token arrays would exceed the documented limits."""
    width = process.shared_support + process.domain_support + 1
    entries = 2 * len(domains) * vocab_size * width
    if entries > MAX_TABLE_ENTRIES:
        raise f.fail(
            "process",
            f"keep 2 x domains ({len(domains)}) x vocab_size ({vocab_size}) x (shared_support + domain_support + 1) "
            f"({width}) <= {MAX_TABLE_ENTRIES:,} alias-table entries{_LIMIT_NOTE}",
            entries,
        )
    docs = sum(d.docs + d.validation_docs for d in domains)
    if docs > MAX_DOCS:
        raise f.fail("domains", f"hold at most {MAX_DOCS:,} documents in total (docs + validation_docs){_LIMIT_NOTE}",
                     docs)
    tokens = sum(d.mean_length() * d.docs + min(d.length_median * math.exp(d.length_sigma**2 / 2), d.max_length)
                 * d.validation_docs for d in domains)
    if tokens > MAX_TOKENS:
        raise f.fail("domains", f"expect at most {MAX_TOKENS:,} tokens in total (docs x mean length){_LIMIT_NOTE}",
                     round(tokens))


def _flatten(prefix: str, value: object, out: dict[str, object]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = value


def worlds_dir() -> Path:
    """The directory of the preset specs, ``<repo>/data_synth/worlds`` (next to the mixlab package).

    Returns
    -------
    pathlib.Path

    Used in: A.1 (a preset copied to be edited).
    """
    return Path(__file__).resolve().parents[2] / "data_synth" / "worlds"


def available_presets() -> tuple[str, ...]:
    """Names of the preset specs (sorted), e.g. ``('default', 'large', 'tiny')``.

    Returns
    -------
    tuple of str

    Used in: no lesson calls it by name.
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
    IsADirectoryError, PermissionError
        If the path is a folder or cannot be read (the message names it).
    ValueError, TypeError
        If the file is not valid TOML or fails validation (the message names the file and field).

    Used in: 1.3, 1.4, 1.5, 2.4.
    """
    if isinstance(name_or_path, WorldSpec):
        return name_or_path
    if not isinstance(name_or_path, str | Path):
        raise TypeError(f"name_or_path must be a preset name or a path (got {type(name_or_path).__name__})")
    text = str(name_or_path)
    is_name = isinstance(name_or_path, str) and "/" not in text and "\\" not in text and not text.endswith(".toml")
    path = worlds_dir() / f"{text}.toml" if is_name else Path(name_or_path)
    if is_name and not path.is_file():
        raise FileNotFoundError(f"no preset world named {text!r} (available: {', '.join(available_presets())})")
    data = read_toml(path, "world spec")
    return WorldSpec.from_dict(copy.deepcopy(data), source=str(path))
