"""The course site (``mixlab course site``): a book-style offline rendering of the stored outputs.

The site is built once per module from every notebook in ``notebooks/`` plus
``tests/fixtures/exercises.ipynb`` (a small lesson with math, exercises and solutions), with
every network connection refused during the build. The checks read the HTML the way a browser
would load it: every script, style sheet, image and font must be a local file. The real browser
(search, MathJax's fonts, zero failed requests) is exercised in test_browser.py.

Used in: CI.
"""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from mixlab import cli
from mixlab.classroom import cell_tags
from mixlab.course import SECTIONS, list_notebooks, section_of
from mixlab.site import MATHJAX_DIR, SITE_MARKER, SitePage, build_site, site_notebook

# Building the whole site with Sphinx takes most of a minute: CI's extra step runs these (README,
# "Tests").
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "exercises.ipynb"
FIXTURE_NAME = "exercises-fixture.ipynb"
COURSE = [p.name for p in list_notebooks(NOTEBOOKS)] if NOTEBOOKS.is_dir() else []


class _Page(HTMLParser):
    """Every URL a page references (by tag and attribute), its links by class, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attr, url)
        self.by_class: dict[str, list[str]] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for attr in ("href", "src"):
            if a.get(attr) is not None:
                self.refs.append((tag, attr, str(a[attr])))
        if tag == "a" and a.get("href"):
            for cls in (a.get("class") or "").split():
                self.by_class.setdefault(cls, []).append(str(a["href"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _course_copy(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in COURSE:
        shutil.copyfile(NOTEBOOKS / name, folder / name)
    shutil.copyfile(FIXTURE, folder / FIXTURE_NAME)
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[SitePage], Path]]:
    """The site of a copy of the course (and the fixture), built with every network connection refused."""

    def no_network(self: socket.socket, address: Any) -> None:
        raise OSError(f"network access during the site build (to {address!r})")

    base = tmp_path_factory.mktemp("course")
    src = _course_copy(base / "notebooks")
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    out = base / "site"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(socket.socket, "connect_ex", no_network)
        pages = build_site(out, src)
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before  # nothing written next to the notebooks
    assert sorted(p.name for p in base.iterdir()) == ["notebooks", "site"]  # no staging or Sphinx files left
    yield out, pages, src


def test_a_page_per_notebook_and_a_home_page_with_every_chapter(site: tuple[Path, list[SitePage], Path]) -> None:
    out, pages, src = site
    names = [p.name for p in list_notebooks(src)]
    assert [p.filename for p in pages] == [Path(n).stem + ".html" for n in names]
    for page in pages:
        assert (out / page.filename).is_file()
    assert (out / "index.html").is_file() and (out / SITE_MARKER).is_file()
    index = _parse(out / "index.html")
    linked = [url for tag, _, url in index.refs if tag == "a"]
    for page in pages:
        assert page.filename in linked
    text = " ".join(index.text)
    for caption in ("Start here", "Intuition: why the mixture matters", "Baseline mixtures", "Appendix",
                    "Other notebooks"):
        assert caption in text
    for name in names:
        section = section_of(name)
        if section is not None:
            assert SECTIONS[section] in text
    assert "Exercises fixture" in text  # a notebook without a section: its first heading


def test_every_page_has_the_sidebar_contents_and_prev_next(site: tuple[Path, list[SitePage], Path]) -> None:
    out, pages, _ = site
    files = ["index.html", *(p.filename for p in pages)]
    for i, page in enumerate(pages):
        parsed = _parse(out / page.filename)
        sidebar = set(parsed.by_class.get("reference", []))
        assert {p.filename for p in pages} - {page.filename} <= sidebar | {"#"}, page.filename  # the chapters
        assert parsed.by_class.get("left-prev") == [files[i]], page.filename
        expected_next = [files[i + 2]] if i + 2 < len(files) else None
        assert parsed.by_class.get("right-next") == expected_next, page.filename
    lesson = (out / "3.5-temperature-smoothing.html").read_text(encoding="utf-8")
    assert 'id="pst-page-navigation-heading' in lesson or "bd-toc" in lesson  # the page's own contents
    assert lesson.count('class="reference internal nav-link" href="#') >= 5  # its sections, linked


def test_search_index_works_from_file_urls(site: tuple[Path, list[SitePage], Path]) -> None:
    out, _, _ = site
    search = (out / "search.html").read_text(encoding="utf-8")
    assert re.search(r'<script src="searchindex.js"', search)  # a script tag, which file:// allows
    index = (out / "searchindex.js").read_text(encoding="utf-8")
    assert "unimax" in index.lower()
    options = (out / "_static" / "documentation_options.js").read_text(encoding="utf-8")
    assert "SHOW_SEARCH_SUMMARY: false" in options  # the summary would fetch() pages, which file:// refuses


def test_nothing_is_loaded_from_the_network_and_local_links_resolve(site: tuple[Path, list[SitePage], Path]) -> None:
    out, _, _ = site
    html_files = sorted(out.glob("*.html"))
    checked = 0
    for page in html_files:
        raw = page.read_text(encoding="utf-8")
        for host in ("cdnjs.cloudflare.com", "unpkg.com", "cdn.jsdelivr.net", "fonts.googleapis.com"):
            assert host not in raw, f"{page.name} mentions {host}"
        for tag, attr, url in _parse(page).refs:
            parts = urlsplit(url)
            if tag != "a":  # anything the browser loads by itself must be local
                assert not parts.scheme.startswith("http") and not url.startswith("//"), f"{page.name}: {tag} {url}"
            if parts.scheme or url.startswith(("#", "//")) or not parts.path:
                continue  # links to read (papers), data: URIs, in-page anchors
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.name}: {tag}[{attr}]={url!r} does not resolve"
            checked += 1
    assert checked >= 10 * len(html_files)
    for css in (out / "_static").rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text(encoding="utf-8", errors="replace")), css


def test_math_figures_and_stored_outputs(site: tuple[Path, list[SitePage], Path]) -> None:
    out, _, _ = site
    page = (out / "exercises-fixture.html").read_text(encoding="utf-8")
    assert f'src="_static/{MATHJAX_DIR}/tex-chtml-full.js"' in page
    assert (out / "_static" / MATHJAX_DIR / "tex-chtml-full.js").is_file()
    fonts = sorted(p.name for p in (out / "_static" / MATHJAX_DIR / "output/chtml/fonts/woff-v2").iterdir())
    assert "MathJax_Math-Italic.woff" in fonts and "MathJax_Main-Regular.woff" in fonts
    assert "\\sum_i w_i = 1" in page  # the TeX stays in the page for MathJax to typeset
    assert "shown failing on purpose" in page  # stored outputs, not re-executed
    lesson = _parse(out / "1.1-mixture-weights-skill-profile.html")
    images = [url for tag, _, url in lesson.refs if tag == "img" and url.startswith("_images/")]
    assert len(images) >= 3  # the lesson's figures, as files


def test_solutions_are_folded_and_widgets_become_a_note(site: tuple[Path, list[SitePage], Path]) -> None:
    out, _, src = site
    nb = nbformat.read(str(src / FIXTURE_NAME), as_version=4)
    code = sum(1 for c in nb.cells if "solution" in cell_tags(c) and c.cell_type == "code")
    markdown = sum(1 for c in nb.cells if "solution" in cell_tags(c) and c.cell_type == "markdown")
    page = (out / "exercises-fixture.html").read_text(encoding="utf-8")
    assert code >= 2 and markdown >= 1
    assert len(re.findall(r'<details class="[^"]*\bhide\b', page)) == code
    assert page.count('<details class="mixlab-solution">') == markdown
    assert page.count("Show the solution") == code + markdown
    for name in COURSE:
        raw = (out / (Path(name).stem + ".html")).read_text(encoding="utf-8")
        assert "HBox(children=" not in raw and "VBox(children=" not in raw, name
        assert "application/vnd.jupyter.widget" not in raw, name
    widget_pages = [n for n in COURSE if "widget-view+json" in (src / n).read_text(encoding="utf-8")]
    for name in widget_pages:
        assert "Interactive widget: open this notebook in JupyterLab" in (
            out / (Path(name).stem + ".html")).read_text(encoding="utf-8")


def test_site_notebook_counts_and_leaves_its_input_alone() -> None:
    nb = nbformat.read(str(FIXTURE), as_version=4)
    demo = next(c for c in nb.cells if "demonstration weights" in c.source)
    demo.outputs.append(nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/plain": "HBox(children=(FloatSlider(value=1.0),))",
    }))
    before = nbformat.writes(nb)
    copy, widgets, solutions = site_notebook(nb)
    assert widgets == 1 and solutions == sum("solution" in cell_tags(c) for c in nb.cells)
    assert nbformat.writes(nb) == before
    assert "HBox(children=" not in nbformat.writes(copy)


def test_without_mathjax_nothing_is_loaded_and_tex_stays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copyfile(FIXTURE, src / FIXTURE_NAME)
    out = tmp_path / "site"
    assert cli.main(["course", "site", str(out), "--notebooks", str(src), "--no-mathjax"]) == 0
    assert "1 page(s) and index.html written" in capsys.readouterr().out
    assert not (out / "_static" / MATHJAX_DIR).exists()
    page = (out / "exercises-fixture.html").read_text(encoding="utf-8")
    assert "mathjax" not in " ".join(url.lower() for _, _, url in _parse(out / "exercises-fixture.html").refs)
    assert "\\sum_i w_i = 1" in page


def test_refusals_keep_the_notebooks_and_foreign_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copyfile(FIXTURE, src / FIXTURE_NAME)
    with pytest.raises(ValueError, match="outside the source notebooks folder"):
        build_site(src, src)
    with pytest.raises(ValueError, match="outside the source notebooks folder"):
        build_site(src / "site", src)
    with pytest.raises(ValueError, match="must not contain the source notebooks folder"):
        build_site(tmp_path, src)
    foreign = tmp_path / "handouts"
    foreign.mkdir()
    (foreign / "letter.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError, match="no .mixlab-site marker"):
        build_site(foreign, src)
    assert (foreign / "letter.txt").read_text(encoding="utf-8") == "keep me"
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="must be a folder"):
        build_site(tmp_path / "afile", src)
    assert cli.main(["course", "site", str(src), "--notebooks", str(src)]) == 2
    assert "OUT must be outside the source notebooks folder" in capsys.readouterr().err
    assert sorted(p.name for p in src.iterdir()) == [FIXTURE_NAME]
    assert (src / FIXTURE_NAME).read_bytes() == FIXTURE.read_bytes()


def test_rebuild_replaces_the_whole_folder(tmp_path: Path) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copyfile(FIXTURE, src / FIXTURE_NAME)
    out = tmp_path / "site"
    build_site(out, src, mathjax=False)
    (out / "stale.html").write_text("old", encoding="utf-8")
    build_site(out, src, mathjax=False)  # an earlier run's folder (marker present) is replaced as a whole
    assert not (out / "stale.html").exists() and (out / SITE_MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "site"]


def test_a_corrupt_notebook_is_named(tmp_path: Path) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    (src / "1.1-broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(ValueError, match="1.1-broken.ipynb is not a readable Jupyter notebook"):
        build_site(tmp_path / "site", src)
    assert not (tmp_path / "site").exists()
