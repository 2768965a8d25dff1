"""Child processes of the embedded broker: started so they die with their parent, stopped TERM-then-KILL.

In: a command line.  Out: a running ``Popen`` with a kernel-side parent-death signal, so a SIGKILLed
``news-pipeline broker`` does not leave tansu or the S3 server running on their own (Linux ``prctl``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with(parent_pid: int, death_signal: signal.Signals):
    def preexec() -> None:
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(death_signal))
        except (OSError, AttributeError):  # not Linux: the caller's stop() is then the only clean-up
            return
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def spawn(
    cmd: list[str],
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    parent_death_signal: signal.Signals = signal.SIGTERM,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session (a terminal's Ctrl-C reaches only our CLI, which stops children in order);
    the kernel sends it ``parent_death_signal`` if we die first."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the child keeps its own descriptor
    try:
        return subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            # PR_SET_PDEATHSIG fires when the *thread* that forked exits, not the process: only tie the child
            # to a main thread (the CLI); a broker started from a worker thread (a test's HTTP hook, a service)
            # would otherwise die with that thread.
            preexec_fn=(
                _die_with(os.getpid(), parent_death_signal)
                if threading.current_thread() is threading.main_thread()
                else None
            ),
        )
    finally:
        if log:
            out.close()  # type: ignore[union-attr]


def stop(proc: subprocess.Popen[bytes] | None, timeout_s: float = 10.0) -> None:
    """SIGTERM, wait up to ``timeout_s``, then SIGKILL; always reaps the child."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_runs(pid: int, executable: str) -> bool:
    """Whether ``pid`` is alive and runs ``executable`` (guards against a recycled pid)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode()
    except OSError:
        return False
    return argv0 == executable


def kill_leftover(pid: int, executable: str, timeout_s: float = 10.0) -> bool:
    """Stop a child left by a broker that died without cleaning up; True if there was one."""
    if not pid_runs(pid, executable):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and pid_runs(pid, executable):
        time.sleep(0.05)
    if pid_runs(pid, executable):
        os.kill(pid, signal.SIGKILL)
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def wait_for_port(
    host: str, port: int, timeout_s: float = 20.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"{proc.args[0]} exited with code {proc.returncode} before opening {host}:{port}"
            )
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout_s}s")
