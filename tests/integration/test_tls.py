"""TLS end to end: Debian's stunnel terminates TLS in front of a real tansu broker that advertises the TLS port.

Every client kind goes through it with ``security_protocol=SSL`` and a CA file: admin (topic creation), producer
(what the poller uses), the Beam source and sink on the FnApiRunner, and the consumer command's reader.
tansu's own TLS did not work in this build (see docs/deploy.md), hence the terminator.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from pipeline.bus.broker import broker_binary, free_port, wait_for_port
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.consume import ConsumeOptions, read_topic
from pipeline.io.kafka.sink import WriteToKafkaPy
from pipeline.io.kafka.source import ReadFromKafkaPy
from pipeline.io.kafka.specs import ReadConfig
from pipeline.settings import KafkaSettings

pytestmark = pytest.mark.integration

STUNNEL = shutil.which("stunnel4") or shutil.which("stunnel")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_certs(d: Path) -> None:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=d)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", "server.key", "-out", "server.csr", cwd=d)  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "san.ext", "-out", "server.pem", cwd=d)  # fmt: skip


@pytest.fixture(scope="module")
def tls_kafka(tmp_path_factory) -> Iterator[KafkaSettings]:
    assert STUNNEL, "stunnel is required for the TLS test (.ci/run installs stunnel4)"
    d = tmp_path_factory.mktemp("tls")
    _make_certs(d)
    plain, tls = free_port(), free_port()
    with open(d / "tansu.log", "wb") as log:  # the child keeps its own copy of the descriptor
        broker = subprocess.Popen(
            [broker_binary(), "broker", "--listener-url", f"tcp://127.0.0.1:{plain}",
             "--advertised-listener-url", f"tcp://127.0.0.1:{tls}", "--storage-engine", "memory://tansu/"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    (d / "stunnel.conf").write_text(
        f"foreground = yes\npid =\noutput = {d / 'stunnel.log'}\n"
        f"[kafka]\naccept = 127.0.0.1:{tls}\nconnect = 127.0.0.1:{plain}\n"
        f"cert = {d / 'server.pem'}\nkey = {d / 'server.key'}\n"
    )
    tunnel = subprocess.Popen([STUNNEL, str(d / "stunnel.conf")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        wait_for_port("127.0.0.1", plain)
        wait_for_port("127.0.0.1", tls)
        yield KafkaSettings(
            bootstrap_servers=f"127.0.0.1:{tls}", security_protocol="SSL", ssl_cafile=str(d / "ca.pem")
        )
    finally:
        for proc in (tunnel, broker):
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_every_client_works_through_tls(tls_kafka, tmp_path):
    tag = uuid.uuid4().hex[:8]
    raw, out = f"raw-{tag}", f"out-{tag}"
    ensure_topics(tls_kafka, [raw, out])
    producer = make_producer(tls_kafka)
    for i in range(20):
        producer.send(raw, key=f"k{i}".encode(), value=f"v{i}".encode())
    producer.flush()
    producer.close()

    p = beam.Pipeline(runner=FnApiRunner())
    _ = (
        p
        | "Read" >> ReadFromKafkaPy(ReadConfig(tls_kafka, f"g-{tag}", mode="drain"), [raw])
        | "ToKV" >> beam.Map(lambda r: (r.key, r.value.upper()))
        | "Write" >> WriteToKafkaPy(tls_kafka, out)
    )
    assert str(p.run().wait_until_finish()).endswith("DONE")

    records = list(
        read_topic(tls_kafka, ConsumeOptions(topic=out, group=None, max_records=20, idle_timeout_s=10))
    )
    assert len(records) == 20


def test_plaintext_client_cannot_use_the_tls_port(tls_kafka):
    from kafka.errors import KafkaError

    plain = KafkaSettings(bootstrap_servers=tls_kafka.bootstrap_servers)
    with pytest.raises(KafkaError):
        ensure_topics(plain, ["never-created"], timeout_ms=5000)
