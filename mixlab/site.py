"""The course site: an offline, book-style HTML rendering of the executed notebooks.

:func:`build_site` renders every notebook's *stored* outputs (nothing is executed) with Sphinx,
myst-nb and sphinx-book-theme into a folder that works from ``file://`` without a network: a
sidebar with the chapters, full-text search, the page's contents, previous/next links, figures,
and formulas typeset by a copy of MathJax 3 (with its TeX fonts) bundled into the site from the
``django-static-mathjax`` package. Widget outputs (sliders need a kernel) are replaced by a note
to open the notebook in JupyterLab; solution cells are folded.

Sphinx's own files (sources, doctrees, the raw build) live in a temporary folder, never in the
repository; the result is written to a staging folder beside the target and swapped in when
complete, with the same refusals as student copies (see :mod:`mixlab.classroom`).

Sphinx, myst-nb and nbformat are imported inside the functions so that ``import mixlab`` stays cheap.

Used in: ``mixlab course site`` (teachers project the site or share it as a folder); 00 (course map).
"""

from __future__ import annotations

import copy
import io
import os
import shutil
import tempfile
import warnings as warnings_module
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixlab.classroom import SOLUTION_TAG, _check_target, _course_notebooks, _write_staged, cell_tags
from mixlab.course import SECTIONS, section_of

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["SITE_MARKER", "WIDGET_NOTE", "CHAPTERS", "SitePage", "notebook_title", "site_notebook", "build_site"]

#: File that marks a folder as written by :func:`build_site` (so it may be replaced on the next run).
SITE_MARKER = ".mixlab-site"

#: What a page shows instead of a widget (widgets need a kernel; the saved state is not kept).
WIDGET_NOTE = (
    '<div class="mixlab-widget-note">Interactive widget: open this notebook in JupyterLab and run it '
    "to use the sliders.</div>"
)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: The label of a folded solution.
SOLUTION_PROMPT = "Show the solution"

#: Sidebar captions: chapter prefix of a section -> caption (sections outside the course go last).
CHAPTERS: dict[str, str] = {
    "00": "Start here",
    "1": "1 · Intuition: why the mixture matters",
    "2": "2 · Formal definitions: the objects and their checks",
    "3": "3 · Baseline mixtures",
    "A": "Appendix",
}
_OTHER = "Other notebooks"

#: The MathJax 3 files the site needs: one component with every TeX extension, and its TeX fonts.
MATHJAX_FILES = ("tex-chtml-full.js", "output/chtml/fonts/woff-v2")
#: Folder of the copied MathJax inside the site's ``_static``.
MATHJAX_DIR = "mathjax"

_CSS = """
details.mixlab-solution > summary { cursor: pointer; color: #555; }
.mixlab-widget-note { font-style: italic; color: #555; padding: 0.4em 0.6em; border: 1px dashed #bbb;
  border-radius: 4px; }
"""

_CONF = '''# Sphinx configuration written by mixlab.site for one build; not part of the repository.
project = {title!r}
author = "mixlab"
copyright = "mixlab authors"
extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = []
html_theme = "sphinx_book_theme"
html_title = {title!r}
html_theme_options = {{
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "navigation_with_keys": False,
}}
html_static_path = ["_static"]
html_css_files = ["mixlab.css"]
html_copy_source = False
html_show_sourcelink = False
html_show_search_summary = False  # the summary would fetch() each page, which file:// refuses
html_last_updated_fmt = None
nb_execution_mode = "off"  # stored outputs only
nb_merge_streams = False
nb_code_prompt_show = {solution!r}
nb_code_prompt_hide = "Hide the solution"
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb", "myst", "misc.highlighting_failure", "toc.not_included"]
{math}
'''

_MATHJAX_CONF = '''mathjax_path = "{path}"
mathjax3_config = {{"options": {{"enableMenu": False}}}}'''

# Without MathJax: a renderer that leaves the TeX source in the page and loads nothing.
_NO_MATHJAX_CONF = '''from docutils import nodes
import html as _html


def _inline(self, node):
    self.body.append('<span class="math notranslate">\\\\(' + _html.escape(node.astext()) + '\\\\)</span>')
    raise nodes.SkipNode


def _block(self, node):
    self.body.append('<div class="math notranslate">\\\\[' + _html.escape(node.astext()) + '\\\\]</div>')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("texsource", (_inline, None), (_block, None))


html_math_renderer = "texsource"'''


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

    @property
    def docname(self) -> str:
        """The page's name inside the Sphinx project (the notebook's file name without suffix)."""
        return self.source.stem


def notebook_title(path: Path, nb: NotebookNode) -> str:
    """Return the title of a notebook: its section's title, else its first heading, else its file name.

    Parameters
    ----------
    path : Path
        The notebook file (its name gives the section, :func:`mixlab.course.section_of`).
    nb : nbformat.NotebookNode
        The notebook, for its first Markdown heading.

    Returns
    -------
    str
        The title from :data:`mixlab.course.SECTIONS`, the first heading, or the file name without suffix.

    Used in: :func:`build_site`.
    """
    section = section_of(path)
    if section in SECTIONS:
        return SECTIONS[str(section)]
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown":
            continue
        src = cell.get("source", "")
        for line in ("".join(src) if isinstance(src, list) else str(src)).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return path.stem


def site_notebook(nb: NotebookNode) -> tuple[NotebookNode, int, int]:
    """Return the copy of a notebook the site renders, with how many widgets and solutions it changed.

    Every widget output becomes :data:`WIDGET_NOTE` (an HTML note, with a plain-text twin); every
    code cell tagged ``solution`` gets myst-nb's ``hide-cell`` tag, so its code and outputs are
    folded behind "Show the solution", and a Markdown solution is wrapped in a ``<details>``
    element with the same label. Saved widget state is dropped. The input is not modified.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed course notebook (nbformat 4), as read from disk.

    Returns
    -------
    tuple
        ``(copy, widgets, solutions)``: the notebook to render, how many widget outputs became
        the note, how many solution cells were folded.

    Used in: :func:`build_site`.
    """
    out = copy.deepcopy(nb)
    out.metadata.pop("widgets", None)
    widgets = solutions = 0
    for cell in out.cells:
        if SOLUTION_TAG in cell_tags(cell) and cell.get("cell_type") == "code":
            cell.setdefault("metadata", {})["tags"] = [*cell_tags(cell), "hide-cell"]
            solutions += 1
        elif SOLUTION_TAG in cell_tags(cell) and cell.get("cell_type") == "markdown":
            text = "".join(cell.source) if isinstance(cell.source, list) else str(cell.source)
            summary = f'<details class="mixlab-solution">\n<summary>{SOLUTION_PROMPT}</summary>'
            cell.source = f"{summary}\n\n{text}\n\n</details>"
            solutions += 1
        for output in cell.get("outputs", []):
            if WIDGET_MIME in output.get("data", {}):
                output["data"] = {"text/html": WIDGET_NOTE, "text/plain": "Interactive widget: open in JupyterLab"}
                widgets += 1
    return out, widgets, solutions


def _chapter(section: str | None) -> str:
    if section is None or section not in SECTIONS:
        return _OTHER
    return CHAPTERS.get(section if section == "00" else section.split(".")[0], _OTHER)


def _index_md(pages: Sequence[SitePage], title: str) -> str:
    """The home page: a short introduction and one toctree per chapter (the sidebar)."""
    chapters: dict[str, list[SitePage]] = {}
    for page in pages:
        chapters.setdefault(_chapter(page.section), []).append(page)
    order = [*CHAPTERS.values(), _OTHER]
    parts = [
        f"# {title}\n",
        "The course notebooks with their stored outputs, one page per notebook, in course order. "
        "Use the sidebar for the chapters, the search box for any word, and the links at the bottom "
        "of each page for the previous and the next lesson. Nothing on these pages is loaded from the "
        "network. Sliders and other widgets need a running kernel: open the notebook in JupyterLab "
        "to use them. Solutions are folded: open them after trying the exercise.\n",
    ]
    for caption in sorted(chapters, key=order.index):
        entries = "\n".join(page.docname for page in chapters[caption])
        parts.append(f"```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n\n{entries}\n```\n")
    return "\n".join(parts)


def _mathjax_source() -> Path:
    """The ``es5`` folder of MathJax 3 in the installed ``django-static-mathjax`` package."""
    import importlib.util

    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "mixlab course site needs the django-static-mathjax package for offline formulas "
            "(pip install django-static-mathjax), or pass --no-mathjax"
        )
    es5 = Path(next(iter(spec.submodule_search_locations))).resolve() / "static" / "mathjax" / "es5"
    missing = [name for name in MATHJAX_FILES if not (es5 / name).exists()]
    if missing:
        raise FileNotFoundError(f"MathJax files missing from the django-static-mathjax package: {missing} in {es5}")
    return es5


def _write_sources(src: Path, pages: Sequence[SitePage], nbs: Sequence[Any], *, mathjax: bool, title: str) -> None:
    """Write the Sphinx project: conf.py, index.md, the site's notebook copies and the style sheet."""
    import nbformat

    math = _MATHJAX_CONF.format(path=f"{MATHJAX_DIR}/{MATHJAX_FILES[0]}") if mathjax else _NO_MATHJAX_CONF
    (src / "conf.py").write_text(_CONF.format(title=title, math=math, solution=SOLUTION_PROMPT), encoding="utf-8")
    (src / "index.md").write_text(_index_md(pages, title), encoding="utf-8")
    (src / "_static").mkdir()
    (src / "_static" / "mixlab.css").write_text(_CSS, encoding="utf-8")
    for page, nb in zip(pages, nbs, strict=True):
        nbformat.write(site_notebook(nb)[0], str(src / f"{page.docname}.ipynb"))


def _run_sphinx(src: Path, html: Path, doctrees: Path) -> None:
    """Build ``src`` into ``html`` with Sphinx in this process; raise RuntimeError naming what failed."""
    from sphinx.application import Sphinx
    from sphinx.errors import SphinxError
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    status, warnings = io.StringIO(), io.StringIO()
    jobs = 2 if (os.cpu_count() or 1) >= 2 else 1
    try:
        with patch_docutils(src), docutils_namespace(), warnings_module.catch_warnings():
            # the theme's own deprecation notices are no concern of a course build
            warnings_module.simplefilter("ignore", DeprecationWarning)
            warnings_module.simplefilter("ignore", PendingDeprecationWarning)
            app = Sphinx(str(src), str(src), str(html), str(doctrees), "html", status=status, warning=warnings,
                         freshenv=True, parallel=jobs, keep_going=True)
            app.build(force_all=True)
    except SphinxError as exc:
        detail = warnings.getvalue().strip().splitlines()[-3:]
        raise RuntimeError(f"the Sphinx build of the site failed: {exc} ({' | '.join(detail)})") from exc
    if app.statuscode:
        detail = warnings.getvalue().strip().splitlines()[-3:]
        raise RuntimeError(f"the Sphinx build of the site failed ({' | '.join(detail)})")


def _read_notebooks(paths: Sequence[Path]) -> list[Any]:
    import nbformat

    nbs = []
    for p in paths:
        try:
            nbs.append(nbformat.read(str(p), as_version=4))
        except (ValueError, KeyError, AttributeError, TypeError) as exc:
            raise ValueError(f"{p} is not a readable Jupyter notebook ({type(exc).__name__}: {exc})") from None
    return nbs


def build_site(
    out: str | os.PathLike[str],
    notebooks: str | os.PathLike[str] = "notebooks",
    *,
    mathjax: bool = True,
    title: str = "Data Mixture Optimization, Part 1",
) -> list[SitePage]:
    """Render every notebook's stored outputs to an offline book-style site in ``out``.

    Sphinx with myst-nb (``nb_execution_mode = "off"``: nothing is executed) and
    sphinx-book-theme: ``index.html`` introduces the course and the sidebar lists the notebooks
    by chapter; every page has its contents, previous/next links and a search box whose index
    works from ``file://``. MathJax 3 (``tex-chtml-full.js`` and its TeX fonts, about 1.7 MB) is
    copied into ``_static/mathjax``, so formulas are typeset without a network. Widget outputs
    are replaced by a note saying to open the notebook in JupyterLab; solution cells are folded
    (:func:`site_notebook`). Sphinx's sources and doctrees stay in a temporary folder.

    Parameters
    ----------
    out : str or path-like
        Where the site goes: a new or empty folder, or one an earlier build wrote (marked by
        :data:`SITE_MARKER`), which is replaced as a whole.
    notebooks : str or path-like
        The executed course notebooks to render (default ``notebooks``).
    mathjax : bool
        Copy MathJax into the site (default). False leaves formulas as TeX source and loads no script.
    title : str
        The site's title (home page, browser tab, sidebar).

    Returns
    -------
    list of SitePage
        The notebook pages, in course order (``index.html`` comes in addition).

    Raises
    ------
    NotADirectoryError
        If ``notebooks`` is not a folder, or ``out`` is a file.
    ValueError
        If ``notebooks`` holds no notebook or an unreadable one, or ``out`` is, contains or sits
        inside the notebooks folder.
    FileExistsError
        If ``out`` holds files that an earlier call did not write.
    ModuleNotFoundError
        If ``mathjax`` is True and the django-static-mathjax package is not installed.
    RuntimeError
        If Sphinx fails.

    Used in: ``mixlab course site`` (teachers project it or share it as a folder).
    """
    source, paths = _course_notebooks(notebooks)
    target = Path(out).resolve()
    _check_target(target, source, SITE_MARKER, "course site")
    es5 = _mathjax_source() if mathjax else None
    nbs = _read_notebooks(paths)
    pages = [
        SitePage(p, p.stem + ".html", section_of(p), notebook_title(p, nb)) for p, nb in zip(paths, nbs, strict=True)
    ]
    with tempfile.TemporaryDirectory(prefix="mixlab-site-") as tmp:
        src, html = Path(tmp) / "src", Path(tmp) / "html"
        src.mkdir()
        _write_sources(src, pages, nbs, mathjax=mathjax, title=title)
        _run_sphinx(src, html, Path(tmp) / "doctrees")
        (html / ".buildinfo").unlink(missing_ok=True)

        def fill(staging: Path) -> None:
            shutil.copytree(html, staging, dirs_exist_ok=True)
            if es5 is not None:
                for name in MATHJAX_FILES:
                    dest = staging / "_static" / MATHJAX_DIR / name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    if (es5 / name).is_dir():
                        shutil.copytree(es5 / name, dest)
                    else:
                        shutil.copyfile(es5 / name, dest)

        _write_staged(target, SITE_MARKER, fill)
    return pages
