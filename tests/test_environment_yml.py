"""environment.yml (conda) and pyproject.toml must list the same packages with the same lower bounds.

The conda file mirrors ``[project] dependencies`` plus the ``dev`` extra (the optional ``bench``
extra is left out on purpose). Both files are parsed; any added, removed or re-pinned package on
one side only fails the test, naming it.

Used in: CI (keeps the two install routes of the README in step).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
MIRRORED_EXTRAS = ("dev",)
CONDA_ONLY = {"python", "pip"}


def _lower_bound(specifier: str) -> str | None:
    found = re.findall(r">=\s*([0-9][0-9A-Za-z.\-]*)", specifier)
    return found[0] if found else None


def pyproject_requirements(path: Path = ROOT / "pyproject.toml") -> dict[str, str | None]:
    """Map normalized package name -> lower bound from pyproject's dependencies and mirrored extras."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    project = data["project"]
    texts = list(project["dependencies"])
    for extra in MIRRORED_EXTRAS:
        texts += project["optional-dependencies"][extra]
    out: dict[str, str | None] = {}
    for text in texts:
        req = Requirement(text)
        out[req.name.lower().replace("_", "-")] = _lower_bound(str(req.specifier))
    return out


def conda_requirements(path: Path = ROOT / "environment.yml") -> dict[str, str | None]:
    """Map package name -> lower bound from environment.yml's conda dependencies (not its pip list).

    A small line parser for the flat format the file uses: ``  - name>=version`` entries under
    ``dependencies:``; the nested ``- pip:`` block is skipped.
    """
    out: dict[str, str | None] = {}
    in_deps = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw.startswith(" "):
            in_deps = line.startswith("dependencies:")
            continue
        if not in_deps:
            continue
        m = re.match(r"^  - ([A-Za-z0-9_.\-]+)\s*(.*)$", line)
        if m is None:
            continue  # nested entries (the pip: block) are indented deeper
        name, spec = m.group(1).lower().replace("_", "-"), m.group(2).strip()
        if spec == ":" or name.endswith(":"):
            continue
        out[name] = _lower_bound(spec)
    return out


def test_parsers_read_something() -> None:
    py = pyproject_requirements()
    conda = conda_requirements()
    assert "numpy" in py and "pytest" in py
    assert "numpy" in conda and "python" in conda
    assert "pip" in conda


def drift(py: dict[str, str | None], conda: dict[str, str | None]) -> list[str]:
    """Describe every difference between the two requirement maps (empty list: in step)."""
    conda = {k: v for k, v in conda.items() if k not in CONDA_ONLY}
    problems = []
    only_py = sorted(set(py) - set(conda))
    only_conda = sorted(set(conda) - set(py))
    if only_py:
        problems.append(f"missing from environment.yml: {', '.join(only_py)}")
    if only_conda:
        problems.append(f"missing from pyproject.toml: {', '.join(only_conda)}")
    for k in sorted(set(py) & set(conda)):
        if py[k] != conda[k]:
            problems.append(f"lower bound of {k} differs: pyproject >={py[k]} vs environment.yml >={conda[k]}")
    return problems


def test_environment_yml_matches_pyproject() -> None:
    problems = drift(pyproject_requirements(), conda_requirements())
    assert not problems, "environment.yml and pyproject.toml drifted apart: " + " | ".join(problems)


def test_python_floor_matches() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert _lower_bound(data["project"]["requires-python"]) == conda_requirements()["python"]


def test_drift_is_detected(tmp_path: Path) -> None:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    text = text.replace("  - numpy>=1.26\n", "  - numpy>=1.20\n").replace("  - tqdm>=4.66\n", "")
    text = text.replace("  - pip:\n", "  - polars>=1.0\n  - pip:\n")
    bad = tmp_path / "environment.yml"
    bad.write_text(text, encoding="utf-8")
    problems = drift(pyproject_requirements(), conda_requirements(bad))
    assert problems == [
        "missing from environment.yml: tqdm",
        "missing from pyproject.toml: polars",
        "lower bound of numpy differs: pyproject >=1.26 vs environment.yml >=1.20",
    ]
