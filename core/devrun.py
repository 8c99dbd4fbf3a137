"""`make run`'s launcher: the web server and the worker side by side, stopped together.

Ctrl-C in a terminal signals every process of the terminal's foreground group, `make` included,
and make then dies of the signal whatever its recipe does. So when it runs in a terminal the
launcher makes its own process group the foreground one: Ctrl-C reaches the launcher and its two
processes only, they stop cleanly, the terminal goes back to make's group, and make ends with 0.
SIGTERM (to the launcher or its group) stops them the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

STOP_GRACE_SECONDS = 10.0


class _Stop(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signum)


@contextlib.contextmanager
def _foreground() -> object:
    """Make this process's own group the terminal's foreground group, and give it back after."""
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        yield  # no terminal: signals come from whoever started us
        return
    previous = None
    old_ttou = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not ask
    try:
        previous = os.tcgetpgrp(tty)
        os.setpgid(0, 0)
        os.tcsetpgrp(tty, os.getpgrp())
    except OSError:
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            with contextlib.suppress(OSError):
                os.tcsetpgrp(tty, previous)
        signal.signal(signal.SIGTTOU, old_ttou)
        os.close(tty)


def run_together(commands: Sequence[Sequence[str]]) -> int:
    """Run the commands side by side until one ends or a stop signal comes; stop the others.
    Returns 0 for a stop asked by a signal, else the exit status of the command that ended."""
    old = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes: list[subprocess.Popen[bytes]] = []
    status = 0
    told = False
    with _foreground():
        try:
            processes = [subprocess.Popen(list(command)) for command in commands]
            _pid, wait_status = os.wait()
            status = os.waitstatus_to_exitcode(wait_status)
        except _Stop as stop:
            status = 0
            # Ctrl-C reached the whole group: the processes are stopping already, and a second
            # signal in the middle of their shutdown would only interrupt it.
            told = stop.signum == signal.SIGINT
        finally:
            # Further signals must not interrupt the shutdown half-way.
            for sig in old:
                signal.signal(sig, signal.SIG_IGN)
            _stop_all(processes, told=told)
            for sig, handler in old.items():
                signal.signal(sig, handler)
    return max(status, 0)


def _stop_all(processes: Sequence[subprocess.Popen[bytes]], *, told: bool) -> None:
    """SIGTERM to each process still running (after a grace period when they were told already),
    SIGKILL to any that outlives the next one."""
    for signum in (None, signal.SIGTERM) if told else (signal.SIGTERM,):
        for process in processes:
            if signum is not None and process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signum)
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE_SECONDS)
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run PageOne's web server and worker together.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="5000")
    args = parser.parse_args(argv)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    return run_together(
        [
            [*flask, "planner", "worker"],
            [*flask, "run", "--host", args.host, "--port", str(args.port)],
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
