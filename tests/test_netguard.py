"""The test run refuses network access beyond loopback, here and in subprocesses (kernels)."""
import os
from pathlib import Path
import socket
import subprocess
import sys
import textwrap

import pytest

from conftest import GUARD_DIR


def test_loopback_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=2)
    client.close()
    server.close()


def test_a_kernel_like_subprocess_is_guarded(tmp_path):
    log = tmp_path / "blocked.log"
    code = textwrap.dedent("""
        import socket
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for attempt in (lambda: socket.create_connection(("192.0.2.1", 80), timeout=1),
                        lambda: socket.getaddrinfo("example.org", 443),
                        lambda: udp.sendmsg([b"x"], [], 0, ("198.51.100.9", 53))):
            try:
                attempt()
            except ConnectionError as error:
                print("blocked:", error)
    """)
    env = {**os.environ, "COURSE_NETGUARD_LOG": str(log)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.count("blocked: network access blocked") == 3, result.stdout + result.stderr
    assert all(target in log.read_text() for target in ("192.0.2.1", "example.org", "198.51.100.9"))
    assert str(GUARD_DIR) in env["PYTHONPATH"]


def test_a_jupyter_kernel_is_guarded(tmp_path, monkeypatch):
    """The kernels nbval starts inherit the guard: run a real one and try to leave loopback."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("COURSE_NETGUARD_LOG", str(tmp_path / "kernel.log"))  # keep the run's log clean
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "import socket\ntry:\n    socket.create_connection(('203.0.113.5', 80), timeout=1)\n"
        "except ConnectionError as error:\n    print(error)")]
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    assert "only loopback is allowed" in notebook.cells[0].outputs[0]["text"]
    assert "203.0.113.5" in (tmp_path / "kernel.log").read_text()


def test_this_process_is_guarded(monkeypatch, tmp_path):
    import course_netguard

    monkeypatch.setattr(course_netguard, "_LOG", str(tmp_path / "own.log"))  # keep the run's log clean
    with pytest.raises(ConnectionError, match="only loopback"):
        socket.create_connection(("198.51.100.7", 443), timeout=1)


LOOPBACK_ONLY = [name for _, name in socket.if_nameindex()] == ["lo"]


@pytest.mark.skipif(not LOOPBACK_ONLY, reason="runs inside CI's loopback-only network namespace (.ci/run), "
                                              "where no packet can leave the machine")
def test_ffmpeg_cannot_leave_the_loopback_only_namespace():
    """The Python guard cannot see FFmpeg's own sockets; in CI the kernel refuses them."""
    import av

    with pytest.raises(av.error.FFmpegError, match="(?i)unreachable|refused|resolve|not known"):
        av.open("http://192.0.2.1:9/clip.mp4", timeout=5)


def test_ci_runs_the_tests_in_a_loopback_only_namespace():
    run = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "unshare --net" in run and "ip link set lo up" in run and "make setup" in run
