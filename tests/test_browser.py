"""A learner's session in a real browser: JupyterLab, Run All Cells, move a slider, see the plot change.

JupyterLab is started from this environment on a temporary copy of ``notebooks/`` (loopback
port, no token, no browser of its own) and Debian's Chromium (``/usr/bin/chromium``) is driven
headless with Playwright. In a notebook that displays a mixture widget with a plot, the test
runs all cells from the Run menu, waits for the widget, moves a slider with the keyboard and
asserts that the mixture text and the plot image both changed. Requests to anything other than
the local server are blocked and must not be attempted.

Two notebooks are exercised: one written by the test (``SkillProfileExplorer`` on the tiny
world, always present) and the course notebook with a mixture widget (1.1, else 3.4) when it
exists. A third test opens the static site of ``mixlab course site`` from ``file://`` and checks
that the bundled MathJax typesets a formula offline.

Screenshots go to ``test-output/browser/`` (git-ignored). Skipped, with the reason, when
Chromium or the ``playwright`` package is missing (``apt-get install chromium`` and
``pip install -e ".[dev,browser]"``) or with ``MIXLAB_SKIP_JUPYTERLAB=1``; with
``MIXLAB_REQUIRE_BROWSER=1`` (set by CI) a missing piece fails instead of skipping.

Used in: CI (README "Browser test"); 1.1 and 3.4 (their widgets, as a learner uses them).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from lab_server import jupyterlab
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "exercises.ipynb"
SCREENSHOTS = ROOT / "test-output" / "browser"
CHROMIUM = Path(os.environ.get("MIXLAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
#: Host names resolve to nothing except the loopback address: the browser cannot reach the network.
OFFLINE_RULES = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
#: Course notebooks with a mixture widget, in order of preference.
WIDGET_SECTIONS = ("1.1", "3.4")
WIDGET_NOTEBOOK = "browser-widget-check.ipynb"
SERVER_START_S = 90
RUN_ALL_S = 180  # a whole course notebook plus the widget's first proxy run
CHANGE_S = 60


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


def _course_widget_notebook() -> Path | None:
    from mixlab.course import list_notebooks, section_of

    if not NOTEBOOKS.is_dir():
        return None
    found = {section_of(p): p for p in list_notebooks(NOTEBOOKS)}
    return next((found[s] for s in WIDGET_SECTIONS if s in found), None)


@dataclass
class Lab:
    """A running JupyterLab server and a Chromium context pointed at it."""

    base: str
    root: Path
    context: Any
    external: list[str]
    log: Path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if _REASON is not None:  # only reached under MIXLAB_REQUIRE_BROWSER=1 (CI): fail loudly, do not skip
        pytest.fail(f"MIXLAB_REQUIRE_BROWSER=1 but the browser test cannot run: {_REASON}")
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "notebooks"
    root.mkdir()
    if NOTEBOOKS.is_dir():
        for p in NOTEBOOKS.glob("*.ipynb"):
            shutil.copyfile(p, root / p.name)
    nbformat.write(_widget_notebook(), str(root / WIDGET_NOTEBOOK))
    # User settings of this throwaway JupyterLab: no news prompt; every cell in the DOM (no windowing),
    # so that a widget far down a long notebook can be found and scrolled to.
    for plugin, value in (
        ("apputils-extension/notification", '{"fetchNews": "false"}'),
        ("notebook-extension/tracker", '{"windowingMode": "none"}'),
    ):
        path = tmp / "lab-settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value, encoding="utf-8")

    env = {
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
    }
    lab_args = ["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    log_path = tmp / "jupyterlab.log"
    with jupyterlab(root, tmp, env=env, extra_args=lab_args, start_timeout=SERVER_START_S) as base:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(tmp / "chromium-profile"),  # a fresh user-data-dir
                executable_path=str(CHROMIUM),
                headless=True,
                args=[*CHROMIUM_ARGS, OFFLINE_RULES],
                viewport={"width": 1400, "height": 1000},
                timeout=60_000,
            )
            try:
                context.set_default_timeout(30_000)
                external: list[str] = []
                context.on(
                    "request",
                    lambda r: None if r.url.startswith((base, "data:", "blob:", "file:")) else external.append(r.url),
                )
                yield Lab(base, root, context, external, log_path)
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


def _drive_widget(lab: Lab, notebook: str, shot: str) -> dict[str, float]:
    """Open ``notebook``, run all cells, move the first slider of the first widget with a plot."""
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = lab.context.new_page()
    try:
        # a workspace of its own, so tabs opened by an earlier test are not restored
        workspace = re.sub(r"[^a-z0-9]+", "-", shot.lower())  # JupyterLab's router rejects dots here
        page.goto(f"{lab.base}/lab/workspaces/{workspace}/tree/{notebook}", timeout=60_000)
        panel = page.locator(".jp-NotebookPanel:visible").first
        panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
        status = page.locator("#jp-main-statusbar")
        _poll(page, lambda: "| Idle" in status.inner_text(), SERVER_START_S, "the kernel is idle")
        timings["open"] = time.monotonic() - t0
        prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
        for attempt in range(3):  # a menu clicked while JupyterLab still settles can be a no-op: retry
            panel.locator(".jp-Cell").first.click()
            # stored outputs (and execution counts) first go, so that what renders is this run's
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

        # the first output holding both a slider and an image: the mixture widget with its plot
        area = panel.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider")).filter(
            has=page.locator(".widget-output img")
        ).first
        area.wait_for(state="attached", timeout=RUN_ALL_S * 1000)
        _poll(page, lambda: "normalized" in _widget_text(area) and bool(_img_srcs(area)), CHANGE_S,
              "the widget rendered")
        # later cells may drive the widget from code: wait until the whole run is over
        settled = {"since": None}

        def finished() -> bool:
            busy = "| Idle" not in status.inner_text() or any("*" in t for t in prompts.all_inner_texts())
            settled["since"] = None if busy else (settled["since"] or time.monotonic())
            return settled["since"] is not None and time.monotonic() - settled["since"] > 1.0

        _poll(page, finished, RUN_ALL_S, "every cell ran and the kernel is idle")
        timings["run all + render"] = time.monotonic() - t0 - timings["open"]
        area.scroll_into_view_if_needed()
        before_text, before_imgs = _widget_text(area), _img_srcs(area)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}-before.png"))

        # move the first slider that is below its maximum to the maximum (one change event);
        # if every slider is at its maximum, move the first one to 0 (the others keep the mixture valid)
        handles = area.locator(".widget-slider .noUi-handle").all()
        values = [(float(h.get_attribute("aria-valuenow") or 0), float(h.get_attribute("aria-valuemax") or 0))
                  for h in handles]
        below = [i for i, (now, top) in enumerate(values) if now < top]
        index, key = (below[0], "End") if below else (0, "Home")
        handles[index].focus()
        page.keyboard.press(key)
        t1 = time.monotonic()
        _poll(page, lambda: _widget_text(area) != before_text, CHANGE_S, "the mixture text changed")
        _poll(page, lambda: _img_srcs(area) != before_imgs, CHANGE_S, "the plot image changed")
        timings["slider → new plot"] = time.monotonic() - t1
        after_text, after_imgs = _widget_text(area), _img_srcs(area)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}-after.png"))
        area.screenshot(path=str(SCREENSHOTS / f"{shot}-widget-after.png"))
    except BaseException:
        page.screenshot(path=str(SCREENSHOTS / f"{shot}-failure.png"))
        raise
    finally:
        page.close()
    assert after_text != before_text and "normalized" in after_text
    assert after_imgs != before_imgs and all(src.startswith("data:image/png") for src in after_imgs)
    assert not lab.external, f"the page tried to reach the network: {lab.external[:5]}"
    return timings


def test_widget_in_jupyterlab_redraws_on_slider(lab: Lab) -> None:
    timings = _drive_widget(lab, WIDGET_NOTEBOOK, "widget-check")
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()})


def test_course_widget_notebook_in_jupyterlab(lab: Lab) -> None:
    course = _course_widget_notebook()
    if course is None:
        pytest.skip(f"no course notebook with a mixture widget yet (sections {', '.join(WIDGET_SECTIONS)})")
    timings = _drive_widget(lab, course.name, f"course-{course.stem}")
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()})


def test_static_site_typesets_math_offline(lab: Lab, tmp_path: Path) -> None:
    from mixlab.classroom import build_site

    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copyfile(FIXTURE, src / "exercises-fixture.ipynb")
    site = tmp_path / "site"
    build_site(site, src)
    page = lab.context.new_page()
    try:
        page.goto((site / "exercises-fixture.html").as_uri(), timeout=30_000)
        page.locator(".MathJax_Display, .MathJax, .MathJax_CHTML, mjx-container").first.wait_for(timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / "site-math.png"), full_page=False)
        page.locator('a[rel="next"]').first.click()
        page.wait_for_url("**/index.html", timeout=10_000)
        assert "exercises-fixture.html" in page.content()
    finally:
        page.close()
    assert not lab.external, f"the site tried to reach the network: {lab.external[:5]}"
