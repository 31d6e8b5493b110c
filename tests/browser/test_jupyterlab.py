"""A lesson in JupyterLab, as a student meets it: the server on loopback, lesson 01 opened with the
course's kernel and run whole from the Run menu; a video plays, moving a slider redraws the widget's
video, and an exercise checker's ✗ message shows for a wrong answer written into one exercise."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import json

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from utils.course.checker import FAILED
from utils.course.lessons import LESSONS

LESSON = "01_overview.ipynb"
TOKEN = "course-browser-test"
# Every cell in the page (the checks read the DOM), and no news prompt over the notebook
SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"}}
WRONG_ANSWER = "return video_in[1:] - video_in[:-1]   # signed, per pixel: not the mean absolute difference"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):   # the browser first: without one, no server is started
    folder = tmp_path_factory.mktemp("workspace")
    for name, settings in SETTINGS.items():
        path = folder / ".config" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    notebook = nbformat.read(LESSONS / LESSON, as_version=4)
    exercise = next(c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("def frame_differences"))
    exercise.source = exercise.source.replace("raise NotImplementedError()", WRONG_ANSWER)
    nbformat.write(notebook, folder / LESSON)
    port = _free_port()
    jupyter = Path(sys.executable).parent / "jupyter"
    server = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--allow-root", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={folder}", "--LabApp.news_url=None",
         "--LabServerApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "JUPYTER_CONFIG_DIR": str(folder / ".config")})
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {server.returncode} before it answered")
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not answer on loopback within a minute")
    yield url
    server.terminate()
    server.wait(timeout=30)


def test_a_lesson_runs_and_its_video_widget_and_checker_render(lab, page):
    page.goto(f"{lab}/lab/tree/{LESSON}?token={TOKEN}&reset")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()
    for _ in range(3):   # a Run All sent while the kernel's connection still settles can be lost: send it again
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            page.wait_for_function("/[*\\d]/.test(document.querySelector('.jp-CodeCell .jp-InputPrompt').textContent)",
                                   timeout=15_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        pytest.fail("Run All Cells never started the first cell")
    # done when no prompt shows [*] any more: the failing checker raises, which ends Run All there
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
        return !prompts.some(p => p.includes('*'));
    }""", timeout=240_000)
    page.wait_for_function("[...document.querySelectorAll('.jp-OutputArea video')].some(v => v.readyState >= 1 && v.duration > 0)")
    verdict = page.locator(".jp-OutputArea-output", has_text=f"{FAILED} frame_differences").first.text_content()
    assert "failed — a still video" in verdict and "expected shape (3,)" in verdict, verdict   # which case, and why

    widget = page.locator(".jp-OutputArea .widget-interact").first
    widget.scroll_into_view_if_needed()
    before = widget.locator("video").first.get_attribute("src")
    handle = widget.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press("ArrowRight")
    page.wait_for_function("""([before]) => {
        const v = document.querySelector('.jp-OutputArea .widget-interact video');
        return v && v.getAttribute('src') !== before;
    }""", arg=[before])
    outside = [problem for problem in page.problems if problem.startswith("outside request")]
    assert not outside, outside
