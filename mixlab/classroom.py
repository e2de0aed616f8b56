"""Classroom hand-outs: student copies of the notebooks and an offline HTML site of the course.

Two things a teacher prepares from the committed (executed) notebooks:

- :func:`write_student_copies` writes every notebook without its ``solution`` cells and with
  the outputs of ``exercise`` and ``check`` cells cleared; demonstrations keep their outputs,
  so a learner sees the lesson as the teacher ran it and the exercises as blank stubs.
  :func:`run_student_notebook` executes such a copy, letting only exercise stubs raise
  ``NotImplementedError``.
- :func:`build_site` renders the stored outputs (no re-execution) to static HTML pages with an
  index and previous/next links, readable offline: no script, style sheet or font is loaded
  from the network. MathJax is copied into the site from the ``jupyter-server-mathjax``
  package.

Both write into a staging folder next to the target and swap it in when complete, so the target
is never left half-written, and both refuse to write into (or over) the source notebooks.

nbformat and nbconvert are imported inside the functions so that ``import mixlab`` stays cheap.

Used in: ``mixlab course student`` and ``mixlab course site`` (teachers); 00 (course map).
"""

from __future__ import annotations

import copy
import html
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixlab.course import SECTIONS, NotebookRun, list_notebooks, run_notebook, section_of

__all__ = [
    "SOLUTION_TAG",
    "EXERCISE_TAG",
    "CHECK_TAG",
    "STUDENT_ERRORS",
    "StudentCopy",
    "SitePage",
    "cell_tags",
    "student_notebook",
    "misspelt_tags",
    "write_student_copies",
    "allow_exercise_stub",
    "run_student_notebook",
    "notebook_title",
    "build_site",
]

#: Cells removed from student copies.
SOLUTION_TAG = "solution"
#: Cells a learner edits: kept, outputs cleared; the only cells allowed to raise in a student run.
EXERCISE_TAG = "exercise"
#: "Check yourself" cells: kept, outputs cleared.
CHECK_TAG = "check"
#: Exceptions an unfinished exercise stub may raise when a student copy is executed.
STUDENT_ERRORS: frozenset[str] = frozenset({"NotImplementedError"})

#: Files that mark a folder as written by this module (so it may be replaced on the next run).
STUDENT_MARKER = ".mixlab-student"
SITE_MARKER = ".mixlab-site"

#: MathJax 2 configuration shipped by ``jupyter-server-mathjax``.
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
#: Folder of the copied MathJax inside the site.
MATHJAX_DIR = "_static/mathjax"


# ============================================================================ student copies
def cell_tags(cell: Mapping[str, Any]) -> list[str]:
    """Return the tags of a notebook cell (``metadata.tags``), or an empty list.

    Used in: student copies; the classroom tests.
    """
    metadata = cell.get("metadata", {})
    tags = metadata.get("tags", []) if isinstance(metadata, Mapping) else []
    return [str(t) for t in tags] if isinstance(tags, list) else []


@dataclass(frozen=True)
class StudentCopy:
    """One student notebook written: where from, where to, and what was removed or cleared.

    Used in: ``mixlab course student``.
    """

    source: Path
    target: Path
    removed: int
    cleared: int

    def __str__(self) -> str:
        return (
            f"{self.target.name}: {self.removed} solution cell(s) removed, "
            f"{self.cleared} exercise/check cell(s) cleared"
        )


def student_notebook(nb: Any) -> tuple[Any, int, int]:
    """Return a student copy of a notebook object, plus how many cells were removed and cleared.

    Cells tagged ``solution`` (of any type) are removed; code cells tagged ``exercise`` or
    ``check`` lose their outputs and execution counts; every other cell is kept as it is,
    stored outputs included. Saved widget state (``metadata.widgets``) is dropped: it may hold
    values a solution computed, and JupyterLab rebuilds it when the learner runs the notebook.
    The input is not modified.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A version-4 notebook.

    Returns
    -------
    (nbformat.NotebookNode, int, int)
        The copy, the number of solution cells removed and the number of cells cleared.

    Used in: :func:`write_student_copies`.
    """
    out = copy.deepcopy(nb)
    kept = []
    removed = cleared = 0
    for cell in out.cells:
        tags = set(cell_tags(cell))
        if SOLUTION_TAG in tags:
            removed += 1
            continue
        if cell.get("cell_type") == "code" and tags & {EXERCISE_TAG, CHECK_TAG}:
            cell["outputs"] = []
            cell["execution_count"] = None
            cleared += 1
        kept.append(cell)
    out.cells = kept
    out.metadata.pop("widgets", None)
    return out, removed, cleared


def misspelt_tags(nb: Any) -> list[tuple[int, str]]:
    """Find tags that look like ``solution``, ``exercise`` or ``check`` but are not spelt exactly so.

    A solution cell tagged ``Solution`` or ``solutions`` would not be removed from the student
    copy, so such tags are reported (and :func:`write_student_copies` refuses to write).

    Returns
    -------
    list of (int, str)
        Cell index and offending tag, in cell order.

    Used in: :func:`write_student_copies`.
    """
    exact = {SOLUTION_TAG, EXERCISE_TAG, CHECK_TAG}
    found = []
    for index, cell in enumerate(nb.cells):
        for tag in cell_tags(cell):
            letters = "".join(ch for ch in tag.lower() if ch.isalpha())
            if tag not in exact and (letters in exact or letters.rstrip("s") in exact):
                found.append((index, tag))
    return found


def _check_target(target: Path, source: Path, marker: str, command: str) -> None:
    """Refuse targets that are, contain or sit inside the source folder, or hold foreign files."""
    if target == source or source in target.parents:
        raise ValueError(
            f"OUT must be outside the source notebooks folder (got OUT={str(target)!r}, "
            f"notebooks={str(source)!r}); student copies and pages must never land next to the originals"
        )
    if target in source.parents:
        raise ValueError(
            f"OUT must not contain the source notebooks folder (got OUT={str(target)!r}, "
            f"notebooks={str(source)!r}); it is replaced as a whole"
        )
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"OUT must be a folder (got the file {str(target)!r})")
    if target.is_dir() and any(target.iterdir()) and not (target / marker).is_file():
        raise FileExistsError(
            f"OUT must be new, empty or written by an earlier `mixlab {command}` "
            f"(got {str(target)!r}, which holds other files and no {marker} marker)"
        )


def _staging_dir(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    staging.chmod(0o755)
    return staging


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` (if any) by the complete ``staging`` folder."""
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_staged(target: Path, marker: str, fill: Callable[[Path], None]) -> None:
    staging = _staging_dir(target)
    try:
        fill(staging)
        (staging / marker).write_text("written by mixlab; replaced as a whole on the next run\n", encoding="utf-8")
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _course_notebooks(notebooks: str | os.PathLike[str]) -> tuple[Path, list[Path]]:
    source = Path(notebooks).resolve()
    paths = list_notebooks(source)
    if not paths:
        raise ValueError(f"notebooks folder must contain at least one .ipynb file (got none in {str(source)!r})")
    return source, paths


def write_student_copies(
    out: str | os.PathLike[str], notebooks: str | os.PathLike[str] = "notebooks"
) -> list[StudentCopy]:
    """Write a student copy of every notebook of ``notebooks`` into the folder ``out``.

    See :func:`student_notebook` for what changes. Every copy is built and validated before
    anything is written; the files go to a staging folder beside ``out`` that then replaces
    ``out`` as a whole, so ``out`` never holds a mix of old and new or half-written copies.

    Parameters
    ----------
    out : str or path-like
        Target folder: new, empty, or written by an earlier call (it carries a marker file).
    notebooks : str or path-like
        Folder of the course notebooks (default ``notebooks``).

    Returns
    -------
    list of StudentCopy
        One per notebook, in course order.

    Raises
    ------
    NotADirectoryError
        If ``notebooks`` is not a folder, or ``out`` is a file.
    ValueError
        If ``notebooks`` holds no notebook, or ``out`` is, contains or sits inside it, or a
        notebook carries a misspelt tag (:func:`misspelt_tags`); nothing is written then.
    FileExistsError
        If ``out`` holds files that an earlier call did not write.

    Used in: ``mixlab course student`` (teachers hand the copies out).
    """
    import nbformat

    source, paths = _course_notebooks(notebooks)
    target = Path(out).resolve()
    _check_target(target, source, STUDENT_MARKER, "course student")
    built = []
    for p in paths:
        nb = nbformat.read(str(p), as_version=4)
        bad = misspelt_tags(nb)
        if bad:
            cells = ", ".join(f"cell {i} tagged {tag!r}" for i, tag in bad)
            raise ValueError(
                f"tags must be exactly {SOLUTION_TAG!r}, {EXERCISE_TAG!r} or {CHECK_TAG!r} (got {cells} in {p.name}); "
                "a misspelt solution tag would leak the solution into the student copy"
            )
        student, removed, cleared = student_notebook(nb)
        nbformat.validate(student)
        built.append((p, nbformat.writes(student) + "\n", removed, cleared))

    def fill(staging: Path) -> None:
        for p, text, _, _ in built:
            (staging / p.name).write_text(text, encoding="utf-8", newline="\n")

    _write_staged(target, STUDENT_MARKER, fill)
    return [StudentCopy(p, target / p.name, removed, cleared) for p, _, removed, cleared in built]


def allow_exercise_stub(cell: Mapping[str, Any], ename: str) -> bool:
    """Tell whether an error may stand in a student run: only :data:`STUDENT_ERRORS` in ``exercise`` cells.

    Used in: :func:`run_student_notebook`.
    """
    return EXERCISE_TAG in cell_tags(cell) and ename in STUDENT_ERRORS


def run_student_notebook(path: str | os.PathLike[str], *, timeout: float = 600.0) -> NotebookRun:
    """Execute a student copy headless, as a learner who has not started the exercises would.

    Like :func:`mixlab.course.run_notebook` (fresh kernel of this Python, file untouched), except
    that a cell tagged ``exercise`` may raise ``NotImplementedError``; cells tagged
    ``raises-exception`` may raise as always; any other error is a failure.

    Used in: the classroom tests; teachers checking copies before a class.
    """
    return run_notebook(path, timeout=timeout, allow_error=allow_exercise_stub)


# ============================================================================ static site
@dataclass(frozen=True)
class SitePage:
    """One page of the site: the notebook it shows, its file and its section and title.

    Used in: ``mixlab course site``.
    """

    source: Path
    filename: str
    section: str | None
    title: str

    @property
    def label(self) -> str:
        """``"1.3 Mixture as constrained optimization"`` (section and title)."""
        return f"{self.section} {self.title}" if self.section else self.title


def notebook_title(path: Path, nb: Any) -> str:
    """The title of a notebook: its section's title from :data:`mixlab.course.SECTIONS`, else its first heading.

    Falls back to the file name without suffix when the notebook has neither.

    Used in: :func:`build_site`.
    """
    section = section_of(path)
    if section in SECTIONS:
        return SECTIONS[section]
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown":
            continue
        src = cell.get("source", "")
        for line in ("".join(src) if isinstance(src, list) else str(src)).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return path.stem


_SITE_CSS = """
nav.mixlab-nav { display: flex; gap: 1.5em; flex-wrap: wrap; align-items: baseline;
  font-family: var(--jp-ui-font-family, sans-serif); font-size: 14px; padding: 0.6em 1em;
  border-bottom: 1px solid #ddd; background: #f7f7f7; }
nav.mixlab-nav.bottom { border-top: 1px solid #ddd; border-bottom: none; margin-top: 2em; }
nav.mixlab-nav .here { font-weight: bold; flex: 1; }
.mixlab-widget-note { font-style: italic; color: #555; padding: 0.4em; border: 1px dashed #bbb; }
details.mixlab-hidden-input > summary { cursor: pointer; color: #555; padding: 0.2em 0 0.2em 1em; }
"""

_PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
{%- if resources.mixlab.mathjax -%}{{ super() }}{%- endif -%}
{%- endblock html_head_js_mathjax -%}
{% block extra_css %}<style type="text/css">{{ resources.mixlab.css }}</style>{% endblock extra_css %}
{%- block body_header -%}{{ super() }}{{ resources.mixlab.nav_top }}{%- endblock body_header -%}
{% block body_footer %}{{ resources.mixlab.nav_bottom }}{{ super() }}{% endblock body_footer %}
{% block input_group -%}
{%- if cell.metadata.get('jupyter', {}).get('source_hidden') -%}
<details class="mixlab-hidden-input"><summary>Show hidden code</summary>{{ super() }}</details>
{%- else -%}{{ super() }}{%- endif -%}
{%- endblock input_group %}
"""


#: What a page shows instead of a widget (widgets need a kernel; the saved state is not kept).
WIDGET_NOTE = (
    '<div class="mixlab-widget-note">Interactive widget: open this notebook in JupyterLab and run it '
    "to use the sliders.</div>"
)


def _replace_widget_outputs(nb: Any) -> int:
    """Replace every widget output of ``nb`` (in place) by :data:`WIDGET_NOTE`; return how many."""
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                output["data"] = {"text/html": WIDGET_NOTE, "text/plain": "Interactive widget"}
                count += 1
    return count


def _nav(pages: Sequence[SitePage], i: int, where: str) -> str:
    def link(target: SitePage | None, rel: str, arrow_left: bool) -> str:
        if target is None:
            label, href = "Contents", "index.html"
        else:
            label, href = target.label, target.filename
        text = f"← {html.escape(label)}" if arrow_left else f"{html.escape(label)} →"
        return f'<a rel="{rel}" href="{html.escape(href)}">{text}</a>'

    prev = pages[i - 1] if i > 0 else None
    nxt = pages[i + 1] if i + 1 < len(pages) else None
    return (
        f'<nav class="mixlab-nav {where}"><a href="index.html">Contents</a>'
        f'<span class="here">{html.escape(pages[i].label)}</span>'
        f"{link(prev, 'prev', True)}{link(nxt, 'next', False)}</nav>"
    )


def _index_html(pages: Sequence[SitePage], mathjax: bool) -> str:
    items = []
    for page in pages:
        section = html.escape(page.section or "")
        items.append(
            f'<li><span class="section">{section}</span> '
            f'<a href="{html.escape(page.filename)}">{html.escape(page.title)}</a></li>'
        )
    math_note = (
        "Formulas are typeset by a copy of MathJax inside this folder."
        if mathjax
        else "Formulas are shown as LaTeX source (built without MathJax)."
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Data Mixture Optimization, Part 1: course notebooks</title>
<style type="text/css">
body {{ font-family: sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
ol.pages {{ list-style: none; padding: 0; }}
ol.pages li {{ padding: 0.25em 0; }}
.section {{ display: inline-block; min-width: 3em; font-weight: bold; }}
footer {{ color: #666; font-size: 90%; margin-top: 2em; }}
</style>
</head>
<body>
<h1>Data Mixture Optimization, Part 1</h1>
<p>The course notebooks with their stored outputs, one page per notebook, in course order.
Each page links to the previous and the next one.</p>
<ol class="pages">
{chr(10).join(items)}
</ol>
<footer>Built by <code>mixlab course site</code> from the executed notebooks; nothing on these
pages is loaded from the network. Sliders and other widgets need a running kernel: open the
notebook in JupyterLab to use them. {math_note}</footer>
</body>
</html>
"""


def _mathjax_source() -> Path:
    """The ``static`` folder of the installed ``jupyter-server-mathjax`` package (MathJax 2)."""
    import importlib.util

    spec = importlib.util.find_spec("jupyter_server_mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "mixlab course site needs the jupyter-server-mathjax package for offline formulas "
            "(pip install jupyter-server-mathjax), or pass --no-mathjax"
        )
    static = Path(next(iter(spec.submodule_search_locations))).resolve() / "static"
    if not (static / "MathJax.js").is_file():
        raise FileNotFoundError(f"MathJax.js missing from the jupyter-server-mathjax package (looked in {static})")
    return static


def build_site(
    out: str | os.PathLike[str], notebooks: str | os.PathLike[str] = "notebooks", *, mathjax: bool = True
) -> list[SitePage]:
    """Render every notebook's stored outputs to an offline static HTML site in ``out``.

    Uses nbconvert's ``lab`` HTML template without executing anything. Each page gets a
    navigation bar (contents, previous, next) at the top and the bottom; ``index.html`` lists
    every notebook with its section and title. The pages load nothing from the network:
    require.js, the widget renderer and mermaid (none needed by the course) are left out; the
    JupyterLab style sheets are inlined and figures are embedded as data URIs; MathJax 2 is
    copied from the ``jupyter-server-mathjax`` package into ``_static/mathjax`` (about 8 MB;
    its accessibility extension is left out). Widget outputs are replaced by a note saying to
    open the notebook in JupyterLab; solution code (cells with hidden source) is folded.

    Parameters
    ----------
    out : str or path-like
        Target folder: new, empty, or written by an earlier call (it carries a marker file).
    notebooks : str or path-like
        Folder of the course notebooks (default ``notebooks``).
    mathjax : bool
        Copy MathJax into the site (default). False leaves formulas as LaTeX source.

    Returns
    -------
    list of SitePage
        The notebook pages, in course order (``index.html`` comes in addition).

    Raises
    ------
    NotADirectoryError, ValueError, FileExistsError
        As :func:`write_student_copies` (bad folders, or ``out`` not ours to replace).

    Used in: ``mixlab course site`` (teachers project it or share it as a folder).
    """
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    source, paths = _course_notebooks(notebooks)
    target = Path(out).resolve()
    _check_target(target, source, SITE_MARKER, "course site")
    static = _mathjax_source() if mathjax else None

    nbs = [nbformat.read(str(p), as_version=4) for p in paths]
    for nb in nbs:
        _replace_widget_outputs(nb)
    pages = [
        SitePage(p, p.stem + ".html", section_of(p), notebook_title(p, nb)) for p, nb in zip(paths, nbs, strict=True)
    ]
    exporter = HTMLExporter(
        template_name="lab",
        template_file="mixlab_page.html.j2",
        extra_loaders=[jinja2.DictLoader({"mixlab_page.html.j2": _PAGE_TEMPLATE})],
        mathjax_url=f"{MATHJAX_DIR}/MathJax.js?config={MATHJAX_CONFIG}",
        require_js_url="",
        embed_images=True,
    )
    rendered = []
    for i, (page, nb) in enumerate(zip(pages, nbs, strict=True)):
        resources = {
            "metadata": {"name": page.label, "path": str(page.source.parent)},
            "mixlab": {
                "mathjax": mathjax,
                "css": _SITE_CSS,
                "nav_top": _nav(pages, i, "top"),
                "nav_bottom": _nav(pages, i, "bottom"),
            },
        }
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        rendered.append((page.filename, body))

    def fill(staging: Path) -> None:
        for filename, body in rendered:
            (staging / filename).write_text(body, encoding="utf-8")
        (staging / "index.html").write_text(_index_html(pages, mathjax), encoding="utf-8")
        if static is not None:
            shutil.copytree(static, staging / MATHJAX_DIR, ignore=shutil.ignore_patterns("a11y"))

    _write_staged(target, SITE_MARKER, fill)
    return pages
