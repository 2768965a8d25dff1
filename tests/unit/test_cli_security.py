"""Kafka security flags reach the client configuration of every Kafka command (poller, pipeline, consumer, DLQ).

tansu's own SASL does not work in this build, so SASL is checked here as configuration; TLS is exercised end to
end in tests/integration/test_tls.py.
"""

from __future__ import annotations

import pytest

from pipeline.bus.cli_kafka import resolve_kafka
from pipeline.bus.client import common_config
from pipeline.cli import build_parser

FLAGS = [
    "--bootstrap-servers", "kafka-1:9093",
    "--security-protocol", "SASL_SSL",
    "--sasl-mechanism", "SCRAM-SHA-512",
    "--sasl-username", "ingest",
    "--ssl-cafile", "/etc/ca.pem",
]  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [["poll"], ["run"], ["consume"], ["dlq", "list"], ["dlq", "replay"]],
    ids=lambda c: " ".join(c),
)
def test_security_flags_reach_the_client_config(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    args = build_parser().parse_args([*command, *FLAGS])
    kafka = resolve_kafka(args)
    cfg = common_config(kafka)
    assert cfg["bootstrap_servers"] == ["kafka-1:9093"]
    assert (cfg["security_protocol"], cfg["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (cfg["sasl_plain_username"], cfg["sasl_plain_password"]) == ("ingest", "s3cret")
    assert cfg["ssl_cafile"] == "/etc/ca.pem"
    assert "s3cret" not in repr(kafka)  # the secret never shows in reprs or logs
