"""`make run`'s launcher stops web and worker on Ctrl-C without signalling make."""

from __future__ import annotations

import os
import pty
import select
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Stands in for make: waits for the launcher and reports whether Ctrl-C reached it too.
MAKE_LIKE = textwrap.dedent(
    """
    import os, signal, subprocess, sys
    seen = []
    signal.signal(signal.SIGINT, lambda *args: seen.append("INT"))
    child = (
        "import os, sys; from core.devrun import run_together; "
        "sys.exit(run_together([[sys.executable, '-c', os.environ['SERVE']]] * 2))"
    )
    launcher = subprocess.Popen([sys.executable, "-c", child], cwd={root!r})
    status = launcher.wait()
    print(f"launcher={{status}} make_signalled={{bool(seen)}}", flush=True)
    """
)
SERVE = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    seen = b""
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_ctrl_c_stops_both_processes_and_leaves_make_unsignalled():
    script = MAKE_LIKE.format(root=str(ROOT))
    pid, fd = pty.fork()
    if pid == 0:  # the child: a new session whose terminal is the pty
        os.execve(sys.executable, [sys.executable, "-c", script], {**os.environ, "SERVE": SERVE})
    try:
        deadline = time.monotonic() + 30
        started = read_until(fd, b"ready", deadline)
        started += read_until(fd, b"ready", deadline) if started.count(b"ready") < 2 else b""
        assert started.count(b"ready") == 2, started
        os.write(fd, b"\x03")  # Ctrl-C, as typed
        output = read_until(fd, b"make_signalled", deadline)
        assert b"launcher=0 make_signalled=False" in output, output
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0


def test_sigterm_stops_both_processes_and_ends_with_0():
    import signal
    import subprocess

    child = (
        "import os, sys; from core.devrun import run_together; "
        "sys.exit(run_together([[sys.executable, '-c', os.environ['SERVE']]] * 2))"
    )
    launcher = subprocess.Popen(
        [sys.executable, "-c", child],
        cwd=ROOT,
        env={**os.environ, "SERVE": SERVE},
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no terminal: the launcher keeps its group as it is
    )
    started = b""
    while started.count(b"ready") < 2:  # the two processes may print at the same moment
        line = launcher.stdout.readline()
        assert line, started
        started += line
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=20) == 0
    leftover = subprocess.run(
        ["pgrep", "-g", str(launcher.pid)], capture_output=True, text=True
    ).stdout
    assert leftover == ""
