"""Test-run wiring for `make test`: the network guard, one torch thread per process when pytest-xdist
runs tests in parallel, a table of notebook run times at the end, and each solution notebook that ran
whole saved with its outputs in build/executed/ for the book (`make book` reuses them).

At the repository root so that it applies to the notebooks in solutions/ and lessons/ as well.
"""
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import matplotlib
import pytest

GUARD_DIR = Path(__file__).parent / "tests" / "netguard"

# Kernels started by nbval inherit this environment, so they load the guard too. pytest-xdist's
# workers inherit it from the main process, so every process and kernel writes to one log.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
GUARD_LOG = os.environ.get("COURSE_NETGUARD_LOG") if WORKER else None
if not GUARD_LOG:
    _log_fd, GUARD_LOG = tempfile.mkstemp(prefix="course-netguard-", suffix=".log")
    os.close(_log_fd)
    os.environ["COURSE_NETGUARD_LOG"] = GUARD_LOG
if WORKER:
    # n workers on n cores: each worker, and each notebook kernel it starts, computes on one thread
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD_DIR), os.environ.get("PYTHONPATH")]))
# The tests draw off-screen. Not through MPLBACKEND: the notebook kernels would inherit it and draw
# nothing, so the recorded notebooks (and the book built from them) would lose every figure.
matplotlib.use("Agg")
sys.path.insert(0, str(GUARD_DIR))
import course_netguard  # noqa: E402

course_netguard.install()

from utils.course import book  # noqa: E402

_notebook_seconds = defaultdict(float)
_solution_runs = defaultdict(dict)   # solution notebook → {code cell number: (outputs, seconds)}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    path = Path(item.path).resolve()
    if call.when == "call" and path.parent == book.SOLUTIONS and path.suffix == ".ipynb":
        runs = _solution_runs[path]   # a notebook with a failed cell is listed too: its old record goes
        if report.passed:
            runs[item.cell_num] = (item.test_outputs, call.duration)   # nbval's record of what the cell printed
    return report


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if _notebook_seconds:
        terminalreporter.section("notebook run times")
        for path, seconds in sorted(_notebook_seconds.items()):
            terminalreporter.write_line(f"{seconds:7.1f} s  {path}")
        terminalreporter.write_line(f"{sum(_notebook_seconds.values()):7.1f} s  in all")
    blocked = Path(GUARD_LOG).read_text() if Path(GUARD_LOG).exists() else ""
    if blocked:
        terminalreporter.section("network access attempts (blocked)")
        terminalreporter.write_line(blocked)


def pytest_sessionfinish(session, exitstatus):
    for path, runs in _solution_runs.items():
        book.record_run(path, runs, how="in `make test` (one torch thread, two notebooks at a time)" if WORKER
                        else "in pytest (one notebook at a time)")
    if WORKER:
        return  # the main process reads the shared log once every worker is done
    log = Path(GUARD_LOG)
    if log.exists() and log.read_text().strip():
        session.exitstatus = 1  # fail the run even if the code that tried swallowed the error
    else:
        log.unlink(missing_ok=True)

