"""A learner's session in a real browser: JupyterLab with the course's widgets, and the course site.

JupyterLab is started from this environment on a temporary copy of ``notebooks/`` (loopback
port, no token, no browser of its own, a fresh user-settings folder so that only what the install
provides counts) and Debian's Chromium (``/usr/bin/chromium``) is driven headless with Playwright
in a 1280 x 800 window. Requests to anything but the local server (or ``file://``) are blocked and
must not be attempted.

- A notebook written by the test (``SkillProfileExplorer`` on the tiny world) and course notebook
  1.1: Run All from the menu; the explorer then shows the state its prose describes (1.1: the
  proportional baseline weights, not the zeroed twin the code drives), its plot is drawn at
  >= 90 % of its natural width and nothing in it is clipped; moving a slider changes the mixture
  text and the plot. JupyterLab shows no "fetch news?" prompt.
- Course notebook 3.4 opened without running it: the widget cell shows its readable line
  ("Run this cell to use the mixture editor ..."), not ``VBox(children=...``.
- The course site (``mixlab course site``) opened from ``file://``: the search box finds "UniMax"
  and its first hit is 3.5; a formula is typeset in MathJax's TeX fonts; zero failed requests and
  zero requests other than ``file://``/``data:``.

Screenshots go to ``test-output/browser/`` (git-ignored): the widget before and after a slider
move, the unexecuted widget cell, and the site's index, a lesson with math and the search results.
Skipped, with the reason, when Chromium or the ``playwright`` package is missing
(``apt-get install chromium`` and ``pip install -e ".[dev,browser]"``) or with
``MIXLAB_SKIP_JUPYTERLAB=1``; with ``MIXLAB_REQUIRE_BROWSER=1`` (set by CI) a missing piece fails
instead of skipping.

Used in: CI (README "Browser test"); 1.1, 3.4 and 3.5 (their widgets, as a learner uses them); the site.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from lab_server import jupyterlab
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SCREENSHOTS = ROOT / "test-output" / "browser"
CHROMIUM = Path(os.environ.get("MIXLAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
#: Host names resolve to nothing except the loopback address: the browser cannot reach the network.
OFFLINE_RULES = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
WINDOW = {"width": 1280, "height": 800}
EXPLORER_NOTEBOOK = "1.1-mixture-weights-skill-profile.ipynb"
EDITOR_NOTEBOOK = "3.4-hand-tuned-weights.ipynb"
WIDGET_NOTEBOOK = "browser-widget-check.ipynb"
SERVER_START_S = 90
RUN_ALL_S = 180  # a whole course notebook plus the widget's first proxy run
CHANGE_S = 60
NEWS_PROMPT = "official Jupyter news"


def _missing() -> str | None:
    if os.environ.get("MIXLAB_SKIP_JUPYTERLAB") == "1":
        return "MIXLAB_SKIP_JUPYTERLAB=1"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not found: install Debian's Chromium with `apt-get install chromium`"
    if importlib.util.find_spec("playwright") is None:
        return 'the playwright package is not installed: pip install -e ".[dev,browser]"'
    return None


_REASON = _missing()
_REQUIRED = os.environ.get("MIXLAB_REQUIRE_BROWSER") == "1" and os.environ.get("MIXLAB_SKIP_JUPYTERLAB") != "1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.jupyterlab,
    pytest.mark.skipif(_REASON is not None and not _REQUIRED, reason=_REASON or ""),
]


def _widget_notebook() -> nbformat.NotebookNode:
    """A notebook that shows a SkillProfileExplorer (sliders, mixture table and a plot)."""
    code = (
        "%matplotlib inline\n"
        "from mixlab.proxy import PROXY\n"
        "from mixlab.widgets import SkillProfileExplorer\n"
        "from mixlab.world import generate_world\n\n"
        'world = generate_world("tiny", seed=0)\n'
        "explorer = SkillProfileExplorer(world, PROXY.with_(budget=20_000), seed=0)\n"
        "explorer.widget"
    )
    nb = new_notebook(cells=[new_markdown_cell("# Browser check: a mixture widget with a plot"), new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return nb


@dataclass
class Browser:
    """Chromium, with every request and failed request of its pages recorded."""

    browser: Any
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def context(self) -> Any:
        ctx = self.browser.new_context(viewport=WINDOW)
        ctx.set_default_timeout(30_000)
        ctx.on("request", lambda r: self.requests.append(r.url))
        ctx.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        return ctx


@dataclass
class Lab:
    """A running JupyterLab server and a Chromium context pointed at it."""

    base: str
    root: Path
    context: Any
    browser: Browser

    def external(self) -> list[str]:
        return [u for u in self.browser.requests if not u.startswith((self.base, "data:", "blob:", "file:"))]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if _REASON is not None:  # only reached under MIXLAB_REQUIRE_BROWSER=1 (CI): fail loudly, do not skip
        pytest.fail(f"MIXLAB_REQUIRE_BROWSER=1 but the browser test cannot run: {_REASON}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=[*CHROMIUM_ARGS, OFFLINE_RULES], timeout=60_000)
        try:
            yield Browser(browser)
        finally:
            browser.close()


@pytest.fixture(scope="module")
def lab(chromium: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "notebooks"
    root.mkdir()
    if NOTEBOOKS.is_dir():
        for p in NOTEBOOKS.glob("*.ipynb"):
            shutil.copyfile(p, root / p.name)
    nbformat.write(_widget_notebook(), str(root / WIDGET_NOTEBOOK))
    # A fresh user-settings folder (the install's overrides apply; no news setting here), with every
    # cell kept in the DOM (no windowing) so that a widget far down a long notebook can be found.
    path = tmp / "lab-settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"windowingMode": "none"}', encoding="utf-8")
    env = {
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
    }
    with jupyterlab(root, tmp, env=env, start_timeout=SERVER_START_S) as base:
        context = chromium.context()
        try:
            yield Lab(base, root, context, chromium)
        finally:
            context.close()


def _widget_text(area: Any) -> str:
    return "\n".join(area.locator(".widget-html-content").all_inner_texts())


def _img_srcs(area: Any) -> list[str]:
    return [str(img.get_attribute("src")) for img in area.locator("img").all()]


def _poll(page: Any, condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        page.wait_for_timeout(200)  # not time.sleep: Playwright dispatches events only inside its calls
    raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")


def _menu(page: Any, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def _open(lab: Lab, notebook: str, workspace: str) -> tuple[Any, Any]:
    """Open ``notebook`` in a workspace of its own; return the page and the notebook panel."""
    page = lab.context.new_page()
    # a workspace of its own, so tabs opened by an earlier test are not restored
    page.goto(f"{lab.base}/lab/workspaces/{re.sub(r'[^a-z0-9]+', '-', workspace.lower())}/tree/{notebook}",
              timeout=60_000)
    panel = page.locator(".jp-NotebookPanel:visible").first
    panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
    status = page.locator("#jp-main-statusbar")
    _poll(page, lambda: "| Idle" in status.inner_text(), SERVER_START_S, "the kernel is idle")
    return page, panel


def _run_all(page: Any, panel: Any) -> None:
    """Clear the stored outputs and run every cell from the menu; return once the kernel is idle again."""
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
    status = page.locator("#jp-main-statusbar")
    for attempt in range(3):  # a menu clicked while JupyterLab still settles can be a no-op: retry
        panel.locator(".jp-Cell").first.click()
        _menu(page, "Edit", "Clear Outputs of All Cells")
        _menu(page, "Run", "Run All Cells")
        try:
            _poll(page, lambda: any(t.strip() not in ("[ ]:", "") for t in prompts.all_inner_texts()), 10,
                  "a cell started")
            break
        except AssertionError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    settled: dict[str, float | None] = {"since": None}

    def finished() -> bool:
        busy = "| Idle" not in status.inner_text() or any("*" in t for t in prompts.all_inner_texts())
        settled["since"] = None if busy else (settled["since"] or time.monotonic())
        return settled["since"] is not None and time.monotonic() - settled["since"] > 1.0

    _poll(page, finished, RUN_ALL_S, "every cell ran and the kernel is idle")


def _explorer_area(page: Any, panel: Any) -> Any:
    """The first output holding both a slider and an image: the mixture widget with its plot."""
    area = panel.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider")).filter(
        has=page.locator(".widget-output img")
    ).first
    area.wait_for(state="attached", timeout=RUN_ALL_S * 1000)
    _poll(page, lambda: "normalized" in _widget_text(area) and bool(_img_srcs(area)), CHANGE_S, "the widget rendered")
    return area


_LAYOUT_JS = """(area) => {
  const box = area.getBoundingClientRect();
  const img = area.querySelector('.widget-output img');
  const clipped = [];
  for (const el of area.querySelectorAll('.widget-slider, .widget-readout, .widget-text, input, table, img, button')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > box.right + 1) {
      clipped.push(`${el.className || el.tagName}: ${r.right} > ${box.right}`);
    }
  }
  for (const el of [area, ...area.querySelectorAll('.widget-box, .widget-output, .jp-OutputArea-output')]) {
    if (el.scrollWidth > el.clientWidth + 1) {
      clipped.push(`${el.className}: scrolls ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return {rendered: img.getBoundingClientRect().width, natural: img.naturalWidth, clipped};
}"""


def _check_layout(area: Any) -> dict[str, Any]:
    layout = area.evaluate(_LAYOUT_JS)
    assert layout["natural"] > 0
    drawn = f"plot drawn at {layout['rendered']} of {layout['natural']} px"
    assert layout["rendered"] >= 0.9 * layout["natural"], drawn
    assert layout["clipped"] == [], layout["clipped"]
    return layout


def _table(area: Any) -> dict[str, list[str]]:
    """The editor's raw → normalized table: domain -> the row's other cells."""
    rows = area.evaluate("""(area) => Array.from(area.querySelectorAll('.widget-html-content table tr'))
        .map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim())).filter(r => r.length)""")
    return {row[0]: row[1:] for row in rows}


def _move_first_slider(page: Any, area: Any) -> None:
    """Move the first slider below its maximum to the maximum (if all are at it, the first one to 0)."""
    handles = area.locator(".widget-slider .noUi-handle").all()
    values = [(float(h.get_attribute("aria-valuenow") or 0), float(h.get_attribute("aria-valuemax") or 0))
              for h in handles]
    below = [i for i, (now, top) in enumerate(values) if now < top]
    index, key = (below[0], "End") if below else (0, "Home")
    handles[index].focus()
    page.keyboard.press(key)


def _drive(lab: Lab, notebook: str, shot: str) -> dict[str, Any]:
    """Open ``notebook``, run all, check the explorer's layout, move a slider; return what was seen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, panel = _open(lab, notebook, shot)
    try:
        _run_all(page, panel)
        area = _explorer_area(page, panel)
        area.scroll_into_view_if_needed()
        seen = {"text": _widget_text(area), "table": _table(area), "layout": _check_layout(area),
                "news": NEWS_PROMPT in page.locator("body").inner_text()}
        page.screenshot(path=str(SCREENSHOTS / f"{shot}-after-run-all.png"))
        area.screenshot(path=str(SCREENSHOTS / f"{shot}-widget.png"))
        area.locator(".widget-output img").first.screenshot(path=str(SCREENSHOTS / f"{shot}-plot.png"))
        before_imgs = _img_srcs(area)
        _move_first_slider(page, area)
        _poll(page, lambda: _widget_text(area) != seen["text"], CHANGE_S, "the mixture text changed")
        _poll(page, lambda: _img_srcs(area) != before_imgs, CHANGE_S, "the plot image changed")
        _check_layout(area)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}-after-slider.png"))
        assert "normalized" in _widget_text(area)
        assert all(src.startswith("data:image/png") for src in _img_srcs(area))
    except BaseException:
        page.screenshot(path=str(SCREENSHOTS / f"{shot}-failure.png"))
        raise
    finally:
        page.close()
    assert not lab.external(), f"the page tried to reach the network: {lab.external()[:5]}"
    return seen


def test_widget_in_jupyterlab_fits_and_redraws_on_slider(lab: Lab) -> None:
    seen = _drive(lab, WIDGET_NOTEBOOK, "widget-check")
    assert not seen["news"], "JupyterLab asked whether to fetch news"
    print("layout:", seen["layout"])


def test_course_explorer_after_run_all_shows_the_baseline_the_text_names(lab: Lab) -> None:
    if not (lab.root / EXPLORER_NOTEBOOK).is_file():
        pytest.skip(f"{EXPLORER_NOTEBOOK} is not in notebooks/")
    from mixlab.domains import domain_stats
    from mixlab.mixers import proportional
    from mixlab.world import generate_world

    nb = nbformat.read(str(lab.root / EXPLORER_NOTEBOOK), as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "The sliders start at the baseline weights" in prose  # what the test holds the widget to
    # the explorer starts from section 4's proportional run (a ProxyRun of mixtures["proportional"])
    assert 'baseline=runs["proportional"]' in "\n".join(c.source for c in nb.cells)
    baseline = proportional(domain_stats(generate_world("default", seed=0).train))
    seen = _drive(lab, EXPLORER_NOTEBOOK, "course-1.1")
    assert "At least one weight must be positive" not in seen["text"]
    normalized = {domain: float(cells[1]) for domain, cells in seen["table"].items()}
    assert normalized == {d: round(w, 3) for d, w in baseline.items()}, "the explorer is not at the baseline"
    assert not seen["news"], "JupyterLab asked whether to fetch news"


def test_unexecuted_widget_cell_shows_a_readable_line(lab: Lab) -> None:
    if not (lab.root / EDITOR_NOTEBOOK).is_file():
        pytest.skip(f"{EDITOR_NOTEBOOK} is not in notebooks/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, panel = _open(lab, EDITOR_NOTEBOOK, "unexecuted-3.4")
    try:
        cell = panel.locator(".jp-CodeCell").filter(has_text="editor.widget").first
        cell.scroll_into_view_if_needed()
        _poll(page, lambda: "Run this cell to use the mixture editor" in cell.inner_text(), 30,
              "the widget cell shows its readable line")
        text = cell.locator(".jp-OutputArea").inner_text()
        cell.screenshot(path=str(SCREENSHOTS / "unexecuted-widget-cell.png"))
    finally:
        page.close()
    assert "children=" not in text


# ============================================================================ the course site
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mixlab.site import build_site

    out = tmp_path_factory.mktemp("site") / "site"
    build_site(out, NOTEBOOKS)
    return out


def test_site_search_math_and_no_network(chromium: Browser, site: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    start = len(chromium.requests), len(chromium.failed)
    context = chromium.context()
    page = context.new_page()
    try:
        page.goto((site / "index.html").as_uri())
        page.screenshot(path=str(SCREENSHOTS / "site-index.png"))

        page.goto((site / "3.5-temperature-smoothing.html").as_uri())
        formula = page.locator("article mjx-container:visible").first
        formula.wait_for(timeout=30_000)
        page.evaluate("document.fonts.ready")
        fonts = page.evaluate("""() => {
            const glyph = document.querySelector('mjx-container mjx-c');
            const loaded = Array.from(document.fonts).filter(f => f.status === 'loaded').map(f => f.family);
            return {glyph: getComputedStyle(glyph).fontFamily, loaded};
        }""")
        assert "MJXTEX" in fonts["glyph"], fonts
        assert any(f.startswith("MJXTEX") for f in fonts["loaded"]), fonts  # the TeX font files themselves
        page.screenshot(path=str(SCREENSHOTS / "site-lesson-math.png"))

        page.goto((site / "index.html").as_uri())
        page.keyboard.press("Control+k")  # the theme's search dialog (the same as clicking "Search")
        box = page.locator("input[name='q']:visible").first
        box.fill("UniMax")
        box.press("Enter")
        page.wait_for_url("**/search.html?q=UniMax*")
        hits = page.locator("#search-results a")
        hits.first.wait_for(timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / "site-search.png"))
        assert "3.5" in hits.first.inner_text()
        hits.first.click()
        page.wait_for_url("**/3.5-temperature-smoothing.html*")
    finally:
        context.close()
    requests, failed = chromium.requests[start[0]:], chromium.failed[start[1]:]
    assert failed == [], failed
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert len(requests) > 20  # pages, scripts, styles, fonts: all counted
