"""Environment check for the course: Python, required packages, Jupyter kernel, widgets extension.

``mixlab doctor`` answers "will the notebooks run here?" before a lesson starts. Each check
returns a :class:`Check` (name, ok, detail); the report fails when any required check fails,
and its message names what is missing and how to fix it.

Used in: 00 (course map: environment check); the README's first steps.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = [
    "Check",
    "DoctorReport",
    "installed_version",
    "required_packages",
    "check_python",
    "check_packages",
    "check_kernel",
    "check_widgets_extension",
    "run_doctor",
]

#: Oldest Python the course supports (pyproject's requires-python).
MIN_PYTHON = (3, 11)

#: Where jupyterlab_widgets puts its prebuilt JupyterLab extension inside the Jupyter data paths.
WIDGETS_EXTENSION = Path("labextensions") / "@jupyter-widgets" / "jupyterlab-manager" / "package.json"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report.

    Parameters
    ----------
    name : str
        What was checked (``"numpy"``, ``"jupyter kernel"``).
    ok : bool
        Whether it passed.
    detail : str
        Version found, or what is wrong and how to fix it.
    required : bool
        Whether a failure makes the whole report fail (optional tools only warn).

    Used in: ``mixlab doctor``.
    """

    name: str
    ok: bool
    detail: str
    required: bool = True

    def __str__(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.required else "warn")
        return f"[{mark}] {self.name}: {self.detail}"


@dataclass(frozen=True)
class DoctorReport:
    """All checks of one doctor run; ``ok`` is False when any required check failed.

    Used in: ``mixlab doctor``.
    """

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when every required check passed."""
        return all(c.ok for c in self.checks if c.required)

    @property
    def missing(self) -> list[str]:
        """Names of the required checks that failed."""
        return [c.name for c in self.checks if c.required and not c.ok]

    def render(self) -> str:
        """Return the report as text: one line per check, then a verdict naming what is missing."""
        lines = [str(c) for c in self.checks]
        if self.ok:
            lines.append("All required checks passed: the course notebooks can run here.")
        else:
            lines.append(
                "Missing or broken: "
                + ", ".join(self.missing)
                + '. Fix: reinstall the course with `pip install -e ".[dev]"` in this environment '
                "(see README.md)."
            )
        return "\n".join(lines)


def installed_version(distribution: str) -> str | None:
    """Return the installed version of ``distribution``, or None if it is not installed.

    Used in: :func:`check_packages`.
    """
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def required_packages(include_extras: Sequence[str] = ()) -> list[tuple[str, str, bool]]:
    """Read mixlab's requirements from its installed metadata.

    Parameters
    ----------
    include_extras : sequence of str
        Extras whose requirements are also listed (e.g. ``("dev",)``); these are reported
        as optional.

    Returns
    -------
    list of (name, specifier, required)
        ``required`` is False for requirements that belong to an extra.

    Raises
    ------
    RuntimeError
        If mixlab's distribution metadata cannot be found (not installed with pip).

    Used in: :func:`check_packages`.
    """
    from packaging.requirements import Requirement

    reqs = metadata.requires("mixlab")
    if reqs is None:
        raise RuntimeError("mixlab's package metadata was not found: install it with `pip install -e .`")
    out: list[tuple[str, str, bool]] = []
    for text in reqs:
        req = Requirement(text)
        if req.marker is None:
            out.append((req.name, str(req.specifier), True))
            continue
        for extra in include_extras:
            if req.marker.evaluate({"extra": extra}):
                out.append((req.name, str(req.specifier), False))
                break
    return out


def check_python(version: tuple[int, ...] | None = None) -> Check:
    """Check that the running Python is at least :data:`MIN_PYTHON`.

    Used in: ``mixlab doctor``.
    """
    v = tuple(sys.version_info[:3]) if version is None else tuple(version)
    text = ".".join(str(x) for x in v)
    where = f"{text} ({sys.executable}, {platform.platform()})"
    if v[:2] < MIN_PYTHON:
        need = ".".join(str(x) for x in MIN_PYTHON)
        return Check("python", False, f"Python >= {need} is required (got {where})")
    return Check("python", True, where)


def check_packages(
    version_of: Callable[[str], str | None] | None = None,
    include_extras: Sequence[str] = ("dev",),
) -> list[Check]:
    """Check every requirement of mixlab: installed, and at least the stated lower bound.

    Parameters
    ----------
    version_of : callable, optional
        Maps a distribution name to its installed version or None (injectable for tests);
        default :func:`installed_version`, looked up at call time.
    include_extras : sequence of str
        Extras to report too; their failures only warn.

    Returns
    -------
    list of Check
        One per requirement.

    Used in: ``mixlab doctor``.
    """
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    lookup = installed_version if version_of is None else version_of
    checks = []
    for name, spec, required in required_packages(include_extras):
        found = lookup(name)
        label = name if required else f"{name} (dev)"
        if found is None:
            checks.append(Check(label, False, f"not installed (need {name}{spec})", required))
            continue
        try:
            ok = Version(found) in SpecifierSet(spec) if spec else True
        except InvalidVersion:
            ok = True
        detail = found if ok else f"{found} is installed but {name}{spec} is required"
        checks.append(Check(label, ok, detail, required))
    return checks


def check_kernel(timeout: float = 60.0) -> Check:
    """Start a Jupyter kernel with this Python, evaluate ``1+1``, shut it down.

    Parameters
    ----------
    timeout : float
        Seconds allowed for the kernel to start and answer.

    Returns
    -------
    Check
        ok when the kernel answered ``2`` in time.

    Used in: ``mixlab doctor``.
    """
    from mixlab.course import KERNEL_NAME, kernel_manager_class
    from mixlab.validation import check_positive

    timeout = check_positive(timeout, "timeout")
    km = kernel_manager_class(asynchronous=False)(kernel_name=KERNEL_NAME)
    try:
        km.start_kernel()
    except Exception as exc:  # noqa: BLE001 - report any start failure
        return Check("jupyter kernel", False, f"could not start with {sys.executable}: {type(exc).__name__}: {exc}")
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=timeout)
        reply = kc.execute_interactive("1+1", timeout=timeout, output_hook=lambda msg: None, store_history=False)
        status = reply["content"]["status"]
        if status != "ok":
            return Check("jupyter kernel", False, f"the kernel could not evaluate 1+1 (status {status!r})")
        return Check("jupyter kernel", True, f"started with {sys.executable} and evaluated 1+1")
    except Exception as exc:  # noqa: BLE001 - report any runtime failure (timeout, dead kernel)
        why = f"{type(exc).__name__}: {exc}"
        return Check("jupyter kernel", False, f"no answer within {timeout:g} s from {sys.executable}: {why}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def check_widgets_extension(data_paths: Sequence[str | Path] | None = None) -> Check:
    """Check that the ipywidgets JupyterLab extension (from jupyterlab_widgets) is installed.

    Parameters
    ----------
    data_paths : sequence of path, optional
        Jupyter data directories to search; default ``jupyter_core.paths.jupyter_path()``.

    Used in: ``mixlab doctor``.
    """
    if data_paths is None:
        from jupyter_core.paths import jupyter_path

        data_paths = jupyter_path()
    for base in data_paths:
        candidate = Path(base) / WIDGETS_EXTENSION
        if candidate.is_file():
            return Check("ipywidgets JupyterLab extension", True, str(candidate.parent))
    return Check(
        "ipywidgets JupyterLab extension",
        False,
        "@jupyter-widgets/jupyterlab-manager not found in the Jupyter data paths "
        f"({', '.join(str(p) for p in data_paths)}); sliders will not display. Install jupyterlab_widgets.",
    )


def run_doctor(
    *,
    version_of: Callable[[str], str | None] | None = None,
    kernel: bool = True,
    kernel_timeout: float = 60.0,
    data_paths: Sequence[str | Path] | None = None,
) -> DoctorReport:
    """Run every check and return the report.

    Parameters
    ----------
    version_of : callable, optional
        Maps a distribution name to its installed version or None (tests inject a fake);
        default :func:`installed_version`.
    kernel : bool
        Whether to start a kernel (the slowest check, about a second).
    kernel_timeout : float
        Seconds allowed for the kernel check.
    data_paths : sequence of path, optional
        Jupyter data directories searched for the widgets extension.

    Used in: ``mixlab doctor``.
    """
    checks: list[Check] = [check_python()]
    from mixlab import __version__

    checks.append(Check("mixlab", True, __version__))
    checks.extend(check_packages(version_of))
    if kernel:
        checks.append(check_kernel(kernel_timeout))
    checks.append(check_widgets_extension(data_paths))
    return DoctorReport(tuple(checks))
