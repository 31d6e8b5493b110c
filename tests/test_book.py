"""The book's pieces that need no browser: outputs recorded by a test run are reused only for the
cells that made them and only if they kept what the widgets showed, widgets give way to their
default output, and the run-sheets and card pages say what the notebooks and cards hold.
tests/browser/ opens the built book."""
import json

import nbformat

from utils.course import book

WIDGET_OUTPUT = {"output_type": "display_data", "metadata": {},
                 "data": {book.WIDGET: {"model_id": "x"}, "text/plain": "interactive(children=(FloatSlider(…),))"}}
PROGRESS_OUTPUT = {"output_type": "display_data", "metadata": {},
                   "data": {book.WIDGET: {"model_id": "y"}, "text/plain": " 40%|████      | 4/10"}}
VIDEO_OUTPUT = {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<video src='data:…'></video>"}}
WIDGETS = {book.WIDGET_STATE: {"state": {   # an interact: a box of controls around an Output area
    "x": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_s", "IPY_MODEL_o"]}},
    "s": {"model_name": "FloatSliderModel", "state": {"value": 2.0}},
    "o": {"model_name": "OutputModel", "state": {"outputs": [VIDEO_OUTPUT]}}}}}


def _lesson(tmp_path, slow_seconds=9.0):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Lesson 99 · Test — 测试"),
        nbformat.v4.new_code_cell("import utils"),
        nbformat.v4.new_markdown_cell("## 1. Motion\n\nWatch the digit move. " + "word " * 130),
        nbformat.v4.new_code_cell("@widgets.interact(speed=(1, 4))\ndef play(speed=2): ..."),
        nbformat.v4.new_markdown_cell("### Exercise 1 · frame differences"),
        nbformat.v4.new_code_cell("train()"),
        nbformat.v4.new_markdown_cell("## Glossary\n\n#### frame rate\nFrames a second."),
    ])
    path = tmp_path / "99_test.ipynb"
    nbformat.write(notebook, path)
    runs = {0: ([], 0.5), 1: ([WIDGET_OUTPUT], 1.0), 2: ([PROGRESS_OUTPUT], slow_seconds)}
    return path, runs


def test_a_recorded_run_is_reused_only_for_the_same_cells(tmp_path):
    path, runs = _lesson(tmp_path)
    saved = book.record_run(path, runs, folder=tmp_path / "executed", widgets=WIDGETS)
    notebook = book.executed(path, folder=tmp_path / "executed")   # reused: running it here would fail
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == [1, 2, 3]
    assert code[2].metadata["course"]["seconds"] == 9.0 and len(code[1].outputs) == 1
    assert notebook.metadata["course"]["cells_sha256"] == json.loads(saved.read_text())["metadata"]["course"]["cells_sha256"]

    edited = nbformat.read(path, as_version=4)
    edited.cells[5].source = "train(steps=2)"
    assert book.cells_digest(edited) != book.cells_digest(notebook)


def test_a_run_that_missed_a_cell_is_not_recorded(tmp_path):
    path, runs = _lesson(tmp_path)
    del runs[2]
    assert book.record_run(path, runs, folder=tmp_path / "executed") is None
    assert not (tmp_path / "executed").exists()


def test_a_run_without_widget_state_does_not_know_what_the_widgets_showed(tmp_path):
    path, runs = _lesson(tmp_path)
    notebook = nbformat.read(book.record_run(path, runs, folder=tmp_path / "ex"), as_version=4)
    assert book.controls(notebook) == ["x"]   # the progress bar is not a control
    assert book.widget_outputs(notebook, "x") is None


def test_widgets_give_way_to_their_default_output_with_a_note(tmp_path):
    path, runs = _lesson(tmp_path)
    notebook = nbformat.read(book.record_run(path, runs, folder=tmp_path / "ex", widgets=WIDGETS), as_version=4)
    web = book.for_the_web(notebook)
    code = [cell for cell in web.cells if cell.cell_type == "code"]
    assert [o["data"]["text/html"] for o in code[1].outputs] == [book.STATIC_WIDGET_NOTE, VIDEO_OUTPUT["data"]["text/html"]]
    assert code[2].outputs == []   # a progress bar is left out
    assert "widgets" not in web.metadata and "widgets" in notebook.metadata


def test_the_run_sheet_times_each_section_and_lists_widgets_and_exercises(tmp_path):
    path, runs = _lesson(tmp_path)
    notebook = nbformat.read(book.record_run(path, runs, folder=tmp_path / "ex"), as_version=4)
    sheet = book.run_sheet(notebook, "99_test")
    assert sheet.startswith("# Run-sheet · Lesson 99 · Test — 测试")
    assert "| 1. Motion | 2 | 10.0 s | 1.1 min | [3] (9 s) |" in sheet
    assert "1. Motion: [2]" in sheet and "1. Motion: Exercise 1 · frame differences" in sheet
    assert "Glossary" not in sheet and "ran in 10 s" in sheet


def test_a_card_page_shows_its_recipe_metrics_and_the_lessons_that_use_it():
    card = {"name": "vgan", "model": "VideoGAN", "parameters": 1234567, "wall_time_s": 600, "device": "cpu",
            "torch": "2.14.1", "created": "2026-11-20", "sha256": "ab" * 32, "recipe": {"steps": 100},
            "metrics": {"fvd_lite": 3.14159}, "notes": "trained twice"}
    page = book.card_page(card, ["03_image_to_video"])
    assert "1,234,567 parameters, trained 10 minutes on the cpu" in page
    assert "| fvd_lite | 3.142 |" in page and "| steps | 100 |" in page and "- trained twice" in page
    assert "[lesson 03](../lessons/03_image_to_video.ipynb)" in page


def test_headings_are_anchored_as_jupyterlab_does():
    assert book.heading_slug("frame rate") == "frame-rate" and book.heading_slug("GAN") == "GAN"
