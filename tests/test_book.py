"""The book's pieces that need no browser: outputs recorded by a test run are reused only for the
cells, code and data that made them, widgets give way to a note and their default output, and the
run-sheets and card pages say what the notebooks and cards hold. tests/browser/ opens the built book."""
import nbformat

from utils.course import book

INTERACT = {"output_type": "display_data", "metadata": {},
            "data": {book.WIDGET: {"model_id": "x"}, "text/plain": "interactive(children=(FloatSlider(…),))"}}
QUIZ = {"output_type": "display_data", "metadata": {}, "data": {book.WIDGET: {"model_id": "q"}, "text/plain": "Tab(…)"}}
PROGRESS = {"output_type": "display_data", "metadata": {},
            "data": {book.WIDGET: {"model_id": "p"}, "text/plain": " 40%|████      | 4/10"}}
VIDEO = {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<video src='data:…'></video>"}}
PRINTED = {"output_type": "stream", "name": "stdout", "text": "vgan: trained 10 minutes\n"}
# nbclient's record of an interact: a box of controls around an Output area that holds the video
WIDGETS = {book.WIDGET_STATE: {"state": {
    "x": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_s", "IPY_MODEL_o"]}},
    "s": {"model_name": "FloatSliderModel", "state": {"value": 2.0}},
    "o": {"model_name": "OutputModel", "state": {"outputs": [VIDEO]}}}}}


def _lesson(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Lesson 99 · Test — 测试"),
        nbformat.v4.new_code_cell("import utils"),
        nbformat.v4.new_markdown_cell("## 1. Motion\n\nWatch the digit move. " + "word " * 130),
        nbformat.v4.new_code_cell("@widgets.interact(speed=(1, 4))\ndef play(speed=2): ..."),
        nbformat.v4.new_markdown_cell("### Exercise 1 · frame differences"),
        nbformat.v4.new_code_cell("train()"),
        nbformat.v4.new_code_cell("quiz_widget('99')"),
        nbformat.v4.new_markdown_cell("## Glossary\n\n#### frame rate\nFrames a second."),
    ])
    path = tmp_path / "99_test.ipynb"
    nbformat.write(notebook, path)
    # as nbval records them: the interact's default video is one of the cell's own outputs
    runs = {0: ([], 0.5), 1: ([PRINTED, VIDEO, INTERACT], 1.0), 2: ([PROGRESS], 9.0), 3: ([QUIZ], 0.1)}
    return path, runs


def _code(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_a_recorded_run_is_reused_only_for_the_same_cells_code_and_data(tmp_path, monkeypatch):
    path, runs = _lesson(tmp_path)
    book.record_run(path, runs, "in a test", folder=tmp_path / "executed")
    notebook = book.with_outputs(path, folder=tmp_path / "executed")   # reused: running it here would fail
    assert [cell.execution_count for cell in _code(notebook)] == [1, 2, 3, 4]
    assert _code(notebook)[2].metadata["course"]["seconds"] == 9.0 and len(_code(notebook)[1].outputs) == 3

    edited = nbformat.read(path, as_version=4)
    edited.cells[5].source = "train(steps=2)"
    assert book.run_digest(edited) != book.run_digest(notebook)
    digest = book.run_digest(notebook)
    monkeypatch.setattr(book, "course_digest", lambda: "utils changed")
    assert book.run_digest(notebook) != digest


def test_a_run_that_missed_a_cell_is_not_recorded_and_removes_the_older_record(tmp_path):
    path, runs = _lesson(tmp_path)
    saved = book.record_run(path, runs, "in a test", folder=tmp_path / "executed")
    del runs[2]
    assert book.record_run(path, runs, "in a test", folder=tmp_path / "executed") is None
    assert not saved.exists()


def test_widgets_give_way_to_a_note_and_their_default_output(tmp_path):
    path, runs = _lesson(tmp_path)
    web = book.for_the_web(nbformat.read(book.record_run(path, runs, "in a test", folder=tmp_path / "ex"), as_version=4))
    interact, progress, quiz = _code(web)[1:]
    assert [o.get("data", {}).get("text/html") for o in interact.outputs] == [book.STATIC_WIDGET_NOTE, None, VIDEO["data"]["text/html"]]
    assert progress.outputs == []                                     # a progress bar is left out
    assert [o["data"]["text/html"] for o in quiz.outputs] == [book.KERNEL_ONLY_NOTE]   # nothing to show without a kernel


def test_a_widgets_default_output_comes_from_nbclients_widget_state(tmp_path):
    path, runs = _lesson(tmp_path)
    runs[1] = ([PRINTED, INTERACT], 1.0)   # nbclient routes the Output area's video into the widget state
    notebook = nbformat.read(book.record_run(path, runs, "in a test", folder=tmp_path / "ex", widgets=WIDGETS), as_version=4)
    web = book.for_the_web(notebook)
    assert [o.get("data", {}).get("text/html") for o in _code(web)[1].outputs] == [book.STATIC_WIDGET_NOTE, None, VIDEO["data"]["text/html"]]
    assert "widgets" not in web.metadata and "widgets" in notebook.metadata   # myst-nb would load the widgets' JS from a CDN


def test_the_run_sheet_times_each_section_and_lists_widgets_and_exercises(tmp_path):
    path, runs = _lesson(tmp_path)
    notebook = nbformat.read(book.record_run(path, runs, "in a test", folder=tmp_path / "ex"), as_version=4)
    sheet = book.run_sheet(notebook, "99_test")
    assert sheet.startswith("# Run-sheet · Lesson 99 · Test — 测试")
    assert "| 1. Motion | 3 | 10.1 s | 1.1 min | [3] (9 s) |" in sheet
    assert "1. Motion: [2]" in sheet and "1. Motion: [4]" in sheet and "1. Motion: Exercise 1 · frame differences" in sheet
    assert "Glossary" not in sheet and "4 code cells ran in 11 s in a test" in sheet


def test_a_card_page_shows_its_recipe_metrics_and_notes():
    card = {"name": "vgan", "model": "VideoGAN", "parameters": 1234567, "wall_time_s": 600, "device": "cpu",
            "torch": "2.14.1", "created": "2026-11-20", "sha256": "ab" * 32, "recipe": {"steps": 100},
            "metrics": {"fvd_lite": 3.14159}, "notes": "trained twice", "seed": 0}
    page = book.card_page(card)
    assert "1,234,567 parameters, trained 10 minutes on the cpu" in page
    assert "| fvd_lite | 3.142 |" in page and "| steps | 100 |" in page and "| seed | 0 |" in page and "- trained twice" in page


def test_a_card_lists_runs_or_reports_as_a_table_of_their_own():
    card = {"name": "videogpt", "seed": 0, "scale_runs": [{"dim": 128, "identity_kept": 0.54}, {"dim": 192, "fvd_lite": 4.63}]}
    page = book.card_page(card)
    assert "## scale_runs\n\n| dim | identity_kept | fvd_lite |\n| --- | --- | --- |\n| 128 | 0.54 |  |\n| 192 |  | 4.63 |" in page
    assert "| seed | 0 |" in page and "| scale_runs |" not in page


def test_headings_are_anchored_as_jupyterlab_does():
    assert book.heading_slug("frame rate") == "frame-rate" and book.heading_slug("GAN") == "GAN"


def test_the_web_copy_drops_nbgraders_solution_markers():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Your answer:\n### BEGIN SOLUTION\nThe blur.\n### END SOLUTION"),
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION")])
    web = book.for_the_web(notebook)
    assert [cell.source for cell in web.cells] == ["Your answer:\nThe blur.", "def f(x):\n    return x"]


def test_a_notebook_without_a_record_is_executed_timed_and_recorded(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 6 * 7"), nbformat.v4.new_code_cell(""),
                                               nbformat.v4.new_code_cell("print(x)")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "98_tiny.ipynb"
    nbformat.write(notebook, path)
    ran = book.with_outputs(path, jobs=2, folder=tmp_path / "executed")   # jobs=2: the kernel gets one torch thread
    code = _code(ran)
    assert code[2].outputs[0]["text"] == "42\n" and code[1].metadata["course"]["seconds"] == 0.0   # nbclient skips empty cells
    assert ran.metadata["course"]["how"] == "in `make book` (2 notebooks at a time)"
    assert book.with_outputs(path, folder=tmp_path / "executed").metadata == ran.metadata   # now reused


def test_a_kernel_the_test_run_starts_draws_its_figures_for_the_record():
    """nbval's kernels inherit the test run's environment; a backend set there (MPLBACKEND=Agg)
    would leave every recorded notebook, and so the book, without figures."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=120)
    try:
        request = client.execute("import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()")
        shown = []
        while True:
            message = client.get_iopub_msg(timeout=60)
            if message["parent_header"].get("msg_id") != request:   # a late reply to the start-up's kernel_info
                continue
            if message["msg_type"] == "display_data":
                shown += list(message["content"]["data"])
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert "image/png" in shown, f"the kernel displayed {shown or 'nothing'} for a figure"
