"""Run a command as a measured child: wall time, peak memory of its process tree, its output.

The child starts in a session of its own. A sampler reads ``/proc`` every ``interval`` seconds
and sums the resident memory of every process of that session (the command, dbt, DuckDB, the
Streamlit test runner: whatever it starts), so ``peak_rss_mb`` is the tree's peak at the
sampled moments; ``max_process_rss_mb`` is the kernel's own ``ru_maxrss`` of the child and its
waited-for descendants (``wait4``): the largest single process, exact but not summed. When the
command ends (or the harness is interrupted) whatever is left of its session is ended, so an
orphaned dbt never keeps a warehouse locked.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    cmd: list[str]
    returncode: int
    wall_s: float
    peak_rss_mb: float
    max_process_rss_mb: float
    cpu_s: float  # user + system time of the command and its waited-for descendants
    load_before: float  # 1-minute load average when it started (other work on the machine)
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = 30) -> str:
        text = (self.stdout + "\n" + self.stderr).strip().splitlines()
        return "\n".join(text[-lines:])


def _session_pids(sid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # state ppid pgrp session ...
            pids.append(int(entry.name))
    return pids


def _session_rss(sid: int) -> int:
    total = 0
    for pid in _session_pids(sid):
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def end_session(sid: int, grace: float = 5.0) -> None:
    """SIGTERM every process left in session ``sid``, then SIGKILL what is still there."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _session_pids(sid)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _session_pids(sid):
            time.sleep(0.1)


def run(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    interval: float = 0.1,
) -> Measured:
    """Run ``cmd`` to its end and measure it; its stdout and stderr go to ``log`` (or a
    temporary file) and are returned."""
    import subprocess
    import tempfile

    log_dir = Path(tempfile.mkdtemp(prefix="bench-proc-")) if log is None else log.parent
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path = log if log is not None else log_dir / "out.log"
    err_path = out_path.with_suffix(".err")
    peak = 0
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        child = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=err, start_new_session=True
        )
        sid = child.pid
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _session_rss(sid))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            end_session(sid)
            raise
        finally:
            wall = time.perf_counter() - started
            done.set()
            sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        end_session(sid)  # anything the command left behind
    stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    if log is None:
        for path in (out_path, err_path):
            path.unlink(missing_ok=True)
        log_dir.rmdir()
    return Measured(
        cmd=[str(c) for c in cmd],
        returncode=child.returncode,
        wall_s=wall,
        peak_rss_mb=peak / 1e6,
        max_process_rss_mb=usage.ru_maxrss * 1024 / 1e6,  # KiB on Linux
        cpu_s=usage.ru_utime + usage.ru_stime,
        load_before=load_before,
        stdout=stdout,
        stderr=stderr,
    )
