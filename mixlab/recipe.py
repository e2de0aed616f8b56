"""Build recipes: the TOML file that names everything a data build depends on, validated on load.

A **recipe** (TOML or JSON file, or a dict)::

    schema_version = 1
    name = "tiny-demo"
    seed = 7                          # sampling and audit seed

    [world]
    preset = "tiny"                   # a preset name or a spec file (relative to the recipe's folder)
    seed = 0                          # or: spec = { ... }  (an inline world spec)
    scale = 1.0                       # optional: WorldSpec.scaled(scale)

    [[filters]]                       # run in order; `stage` defaults to the filter name
    name = "quality"
    threshold = 0.3
    [[filters]]
    name = "dedup"

    [mixture]                         # explicit weights ...
    weights = { web = 0.4, books = 0.1, code = 0.15, math = 0.1, wiki = 0.15, forum = 0.1 }
    # ... or a named mixer:  mixer = "temperature"  params = { T = 2.0 }

    [budget]
    tokens = 40000
    max_epochs = 4.0

    [shards]
    max_records = 64                  # and/or max_tokens = 8192

    [audit]
    n_per_side = 4

Every field is checked when the recipe loads, with the shared kit of :mod:`mixlab.config`:
errors name the file, the dotted field, the rule and the value. Names that become file names
(filter stages: ``audit/<stage>.parquet``) must match :data:`mixlab.manifest.SAFE_NAME`.
Sizes are limited *before* anything is allocated (:data:`LIMITS`, sized for a 24 GiB, 2-core
machine). The normalized recipe (every default filled in) is hashed; the hash is one
ingredient of a build's key.

Used in: A.1 (the recipe, its hash, errors before any work).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixlab.config import ConfigError, Fields, read_toml
from mixlab.manifest import SAFE_NAME, canonical_json, json_sha256, os_error

__all__ = [
    "RECIPE_SCHEMA_VERSION",
    "SUPPORTED_RECIPE_VERSIONS",
    "FILTERS",
    "MIXERS",
    "LIMITS",
    "Recipe",
    "load_recipe",
    "recipes_dir",
]

#: The recipe format this module writes and reads.
RECIPE_SCHEMA_VERSION = 1
SUPPORTED_RECIPE_VERSIONS: tuple[int, ...] = (1,)

#: Filter names a recipe may use, with the parameter that is the audit threshold.
FILTERS: dict[str, str | None] = {"quality": "threshold", "length": "min_tokens", "junk": "max_repetition",
                                  "dedup": None}
#: Named mixers a recipe may use (see :mod:`mixlab.mixers`).
MIXERS: tuple[str, ...] = ("uniform_by_document", "uniform_by_token", "proportional", "temperature", "unimax")

#: Size limits, checked when a recipe loads (before any allocation). Sized for a 24 GiB, 2-core
#: machine: a budget of 1e9 tokens writes about 4 GB of token ids (int32) and its plan arrays stay
#: a few GB; past about 16 epochs repeated data is nearly worthless (Muennighoff et al. 2023,
#: arXiv 2305.16264), so 100 leaves room for demonstrations; one shard is built in memory by one
#: worker, and 2**27 tokens (512 MB of int32) keeps two workers well inside memory.
LIMITS: dict[str, int | float] = {
    "budget.tokens": 1_000_000_000,
    "budget.max_epochs": 100.0,
    "shards.max_records": 10_000_000,
    "shards.max_tokens": 1 << 27,
    "audit.n_per_side": 10_000,
    "seed": 2**63 - 1,
}
_LIMIT_NOTE = ", the documented limit for a 24 GiB, 2-core machine (mixlab.recipe.LIMITS)"

_TOP = ("schema_version", "name", "seed", "world", "filters", "mixture", "budget", "shards", "audit")
_FILTER_PARAMS: dict[str, tuple[str, ...]] = {
    "quality": ("threshold",), "length": ("min_tokens", "max_tokens"), "junk": ("max_repetition", "method", "window"),
    "dedup": (),
}
_MIXER_PARAMS: dict[str, tuple[str, ...]] = {
    "uniform_by_document": (), "uniform_by_token": (), "proportional": ("by",), "temperature": ("T", "alpha", "by"),
    "unimax": ("budget", "max_epochs", "by"),
}


def _limited_int(f: Fields, value: Any, path: str, minimum: int, limit_key: str | None = None) -> int:
    maximum = int(LIMITS[limit_key or path])
    return f.integer(value, path, minimum=minimum, maximum=maximum, limit_note=_LIMIT_NOTE)


def _seed(f: Fields, value: Any, path: str) -> int:
    return _limited_int(f, value, path, 0, "seed")


def _json_able(f: Fields, value: Any, path: str) -> Any:
    try:
        canonical_json(value)
    except (ValueError, TypeError) as exc:
        raise f.fail(path, f"hold only JSON values: strings, finite numbers, booleans, lists, tables ({exc})",
                     value) from None
    return value


def _world(f: Fields, raw: Any) -> dict[str, Any]:
    world = f.table(raw, "world")
    f.keys(world, "world", optional=("preset", "spec", "seed", "scale"))
    if ("preset" in world) == ("spec" in world):
        raise ConfigError(f"{f.document} world must give exactly one of 'preset' (a name or a spec file) or 'spec' "
                          "(an inline world spec)")
    out: dict[str, Any] = {"seed": _seed(f, world.get("seed", 0), "world.seed"),
                           "scale": f.positive(world.get("scale", 1.0), "world.scale")}
    if "preset" in world:
        preset = f.string(world["preset"], "world.preset")
        if not preset.isprintable():
            raise f.fail("world.preset", "be a preset name or a file path without control characters", preset)
        out["preset"] = preset
    else:
        from mixlab.world import WorldSpec

        spec = f.table(world["spec"], "world.spec")
        try:
            WorldSpec.from_dict(spec, source=f"{f.document} world.spec")
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{f.document} world.spec: {exc}") from None
        out["spec"] = _json_able(f, spec, "world.spec")
    return out


def _filter_params(f: Fields, name: str, params: dict[str, Any], path: str) -> dict[str, Any]:
    f.keys(params, path, required=("threshold",) if name == "quality" else (), optional=_FILTER_PARAMS[name])
    out: dict[str, Any] = {}
    for key, value in params.items():
        where = f"{path}.{key}"
        if key in ("threshold", "max_repetition"):
            out[key] = f.in_range(value, where, 0.0, 1.0)
        elif key in ("min_tokens", "max_tokens"):
            out[key] = f.integer(value, where, minimum=1)
        elif key == "window":
            out[key] = f.integer(value, where, minimum=2)
        else:  # method
            out[key] = f.string(value, where, choices=("bigram", "top_token"))
    if name == "length":
        if not out:
            raise ConfigError(f"{f.document} {path} must give min_tokens, max_tokens or both (got neither)")
        if out.get("min_tokens", 1) > out.get("max_tokens", out.get("min_tokens", 1)):
            raise f.fail(path, "have min_tokens <= max_tokens", out)
    return out


def _filters(f: Fields, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise TypeError(f"{f.document} filters must be a list of tables (got {raw!r} of type {type(raw).__name__})")
    out = []
    for i, item in enumerate(raw):
        path = f"filters[{i}]"
        ft = f.table(item, path)
        if "name" not in ft:
            raise ConfigError(f"missing key(s) in {f.document} {path}: name")
        name = f.string(ft.pop("name"), f"{path}.name", choices=FILTERS)
        stage = f.string(ft.pop("stage", name), f"{path}.stage")
        if not SAFE_NAME.fullmatch(stage):
            raise f.fail(f"{path}.stage", "be a safe name (it becomes the file audit/<stage>.parquet): a letter or "
                         "digit, then up to 63 letters, digits, '_' or '-'; no '/', '.', '\\' or spaces", stage)
        params = f.table(ft.pop("params", {}), f"{path}.params")
        clash = sorted(set(params) & set(ft))
        if clash:
            raise f.fail(path, "give each parameter once (inline or in params)", clash)
        params.update(ft)
        out.append({"name": name, "stage": stage, "params": _filter_params(f, name, params, path)})
    stages = [x["stage"] for x in out]
    if len(set(stages)) != len(stages):
        raise f.fail("filters", "have unique stage names; set `stage` to tell repeats apart", stages)
    return out


def _mixer_params(f: Fields, mixer: str, raw: Any) -> dict[str, Any]:
    params = f.table(raw, "mixture.params")
    f.keys(params, "mixture.params", optional=_MIXER_PARAMS[mixer])
    out: dict[str, Any] = {}
    for key, value in params.items():
        where = f"mixture.params.{key}"
        if key == "by":
            out[key] = f.string(value, where, choices=("tokens", "docs"))
        elif key == "T":
            out[key] = f.positive(value, where)
        elif key == "alpha":
            out[key] = f.real(value, where)
            if out[key] < 0:
                raise f.fail(where, "be >= 0", value)
        elif key == "budget":
            out[key] = _limited_int(f, value, where, 1, "budget.tokens")
        else:  # max_epochs
            out[key] = f.positive(value, where, maximum=LIMITS["budget.max_epochs"], limit_note=_LIMIT_NOTE)
    if mixer == "temperature" and ("T" in out) == ("alpha" in out):
        raise ConfigError(f"{f.document} mixture.params for the temperature mixer must give exactly one of T or alpha")
    return out


def _mixture(f: Fields, raw: Any) -> dict[str, Any]:
    mix = f.table(raw, "mixture")
    f.keys(mix, "mixture", optional=("weights", "kind", "provenance", "rationale", "mixer", "params"))
    if ("weights" in mix) == ("mixer" in mix):
        raise ConfigError(f"{f.document} mixture must give exactly one of 'weights' or 'mixer'")
    if "mixer" in mix:
        extra = sorted(set(mix) - {"mixer", "params"})
        if extra:
            raise ConfigError(f"{f.document} mixture with a mixer takes only 'mixer' and 'params' (also got {extra})")
        mixer = f.string(mix["mixer"], "mixture.mixer", choices=MIXERS)
        return {"mixer": mixer, "params": _mixer_params(f, mixer, mix.get("params", {}))}
    weights = f.table(mix["weights"], "mixture.weights")
    if not weights:
        raise f.fail("mixture.weights", "name at least one domain", weights)
    out: dict[str, Any] = {"weights": {}, "kind": f.string(mix.get("kind", "token"), "mixture.kind",
                                                           choices=("token", "document")),
                           "provenance": _json_able(f, f.table(mix.get("provenance", {}), "mixture.provenance"),
                                                    "mixture.provenance")}
    for k, v in weights.items():
        w = f.real(v, f"mixture.weights.{k}")
        if w < 0:
            raise f.fail(f"mixture.weights.{k}", "be >= 0", v)
        out["weights"][str(k)] = w
    if "rationale" in mix:
        out["rationale"] = f.string(mix["rationale"], "mixture.rationale")
    return out


def _budget(f: Fields, raw: Any) -> dict[str, Any]:
    bud = f.table(raw, "budget")
    f.keys(bud, "budget", required=("tokens",), optional=("max_epochs", "allow_empty"))
    allow_empty = bud.get("allow_empty", False)
    if not isinstance(allow_empty, bool):
        raise f.fail("budget.allow_empty", "be true or false", allow_empty)
    return {"tokens": _limited_int(f, bud["tokens"], "budget.tokens", 1),
            "max_epochs": f.positive(bud.get("max_epochs", 4.0), "budget.max_epochs",
                                     maximum=LIMITS["budget.max_epochs"], limit_note=_LIMIT_NOTE),
            "allow_empty": allow_empty}


def _normalize(data: Any, f: Fields) -> dict[str, Any]:
    """Validate a raw recipe and return it with every default filled in (the hashed form)."""
    tab = f.table(data, "")
    version = tab.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in SUPPORTED_RECIPE_VERSIONS:
        raise ConfigError(
            f"recipe schema_version {version!r} is not supported by this mixlab "
            f"(supported: {', '.join(map(str, SUPPORTED_RECIPE_VERSIONS))})"
        )
    required = ("schema_version", "world", "mixture", "budget")
    f.keys(tab, "", required=required, optional=[k for k in _TOP if k not in required])
    name = f.string(tab.get("name", "recipe"), "name")
    if not name.strip() or not name.isprintable() or len(name) > 200:
        raise f.fail("name", "be printable text of 1 to 200 characters, not only spaces", name)
    sh = f.table(tab.get("shards", {}), "shards")
    f.keys(sh, "shards", optional=("max_records", "max_tokens"))
    au = f.table(tab.get("audit", {}), "audit")
    f.keys(au, "audit", optional=("n_per_side",))
    out = {
        "schema_version": version,
        "name": name,
        "seed": _seed(f, tab.get("seed", 0), "seed"),
        "world": _world(f, tab["world"]),
        "filters": _filters(f, tab.get("filters", [])),
        "mixture": _mixture(f, tab["mixture"]),
        "budget": _budget(f, tab["budget"]),
        "shards": {"max_records": _limited_int(f, sh.get("max_records", 10_000), "shards.max_records", 1),
                   "max_tokens": None if sh.get("max_tokens") is None
                   else _limited_int(f, sh["max_tokens"], "shards.max_tokens", 1)},
        "audit": {"n_per_side": _limited_int(f, au.get("n_per_side", 5), "audit.n_per_side", 0)},
    }
    canonical_json(out)  # every part was checked to be JSON-able; this only guards the invariant
    return out


@dataclass(frozen=True)
class Recipe:
    """A validated build recipe (every default filled in) and its hash.

    Attributes
    ----------
    data : dict
        The normalized recipe (what is hashed and stored in the manifest).
    sha256 : str
        sha256 of the canonical JSON of ``data``.
    source : str
        Where it came from (a file path or ``"<dict>"``), for messages; a relative
        ``world.preset`` path is read relative to the folder of a source file.

    Used in: :func:`load_recipe` (its return value), :func:`mixlab.plan.plan_build`.
    """

    data: dict[str, Any]
    sha256: str
    source: str = "<dict>"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Recipe:
        """Validate a raw recipe (as parsed from TOML or JSON).

        Parameters
        ----------
        data : mapping
            The recipe document.
        source : str
            Where it came from (a file path or ``"<dict>"``).

        Returns
        -------
        Recipe

        Raises
        ------
        ValueError, TypeError
            Unsupported ``schema_version`` (names the supported versions), unknown or missing
            keys, bad values or sizes over :data:`LIMITS` (naming the file, the key path, the rule
            and the value).

        Used in: A.1.
        """
        document = "recipe" if source == "<dict>" else f"recipe {source}"
        norm = _normalize(data, Fields(document))
        return cls(norm, json_sha256(norm), source)

    @property
    def name(self) -> str:
        """The recipe's name."""
        return str(self.data["name"])

    @property
    def base_dir(self) -> Path | None:
        """The folder of the recipe file (None for a recipe given as a dict)."""
        return None if self.source == "<dict>" else Path(self.source).parent


def load_recipe(recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str]) -> Recipe:
    """A :class:`Recipe` from a Recipe, a dict, or the path of a TOML (or ``.json``) file.

    Parameters
    ----------
    recipe : Recipe, mapping or path-like
        The recipe, or where to read it.

    Returns
    -------
    Recipe

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        If the path does not exist, is a folder ("must be a file, not a folder") or cannot be read;
        the message names it.
    ValueError, TypeError
        If the file does not parse or the recipe is invalid (see :meth:`Recipe.from_dict`).

    Used in: A.1.
    """
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, Mapping):
        return Recipe.from_dict(recipe)
    if not isinstance(recipe, str | os.PathLike):
        raise TypeError(f"recipe must be a dict, a Recipe or a path (got {type(recipe).__name__})")
    path = Path(recipe)
    if path.suffix != ".json":
        return Recipe.from_dict(read_toml(path, "recipe"), source=str(path))
    if path.is_dir():
        raise IsADirectoryError(f"recipe must be a file, not a folder: {path}")
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"recipe file not found: {path}") from None
    except OSError as exc:
        raise os_error(exc, f"cannot read recipe file {path}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"recipe file {path} is not UTF-8 text: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"recipe file {path} is not valid JSON: {exc}") from None
    return Recipe.from_dict(data, source=str(path))


def recipes_dir() -> Path:
    """The directory of the shipped build recipes, ``<repo>/data_synth/recipes``.

    It sits next to :func:`mixlab.world.worlds_dir` (``data_synth/worlds``).

    Returns
    -------
    pathlib.Path
        The folder (e.g. ``recipes_dir() / "tiny-demo.toml"``), whether or not it exists.

    Used in: A.1 (the recipe shipped with the course).
    """
    from mixlab.world import worlds_dir

    return worlds_dir().parent / "recipes"
