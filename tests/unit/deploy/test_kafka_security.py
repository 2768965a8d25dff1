"""SASL and TLS settings reach every client's configuration; secrets never show in reprs or logs.

tansu's SCRAM did not work in this build (see docs/deploy.md), so SASL is checked at the configuration every client
is built from: producer (poller, Beam sink), consumer (Beam source, consume command), admin (topic creation).
"""

from __future__ import annotations

import logging
import pickle
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from pipeline.beam.options import NewsPipelineOptions
from pipeline.bus.client import common_config, consumer_config, producer_config
from pipeline.bus.secrets import MissingSecret, read_secret
from pipeline.settings import KafkaSettings

SECRET = "pa55-sentinel-93b1"


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
@pytest.mark.parametrize("build", [common_config, producer_config, consumer_config], ids=lambda f: f.__name__)
def test_sasl_ssl_settings_reach_every_client_config(mechanism, build):
    s = KafkaSettings(
        bootstrap_servers="k1:9093,k2:9093",
        security_protocol="SASL_SSL",
        sasl_mechanism=mechanism,
        sasl_username="news",
        sasl_password=SecretStr(SECRET),
        ssl_cafile="/etc/news-pipeline/kafka-ca.pem",
    )
    cfg = build(s)
    assert cfg["security_protocol"] == "SASL_SSL"
    assert cfg["sasl_mechanism"] == mechanism
    assert (cfg["sasl_plain_username"], cfg["sasl_plain_password"]) == ("news", SECRET)
    assert cfg["ssl_cafile"] == "/etc/news-pipeline/kafka-ca.pem" and cfg["ssl_check_hostname"] is True


def test_secret_never_in_repr_or_logs(caplog):
    s = KafkaSettings(sasl_mechanism="PLAIN", sasl_username="u", sasl_password=SecretStr(SECRET))
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("settings: %s %r", s, s)
    assert SECRET not in repr(s) and SECRET not in str(s) and SECRET not in caplog.text
    assert SECRET not in s.model_dump_json()


def test_pipeline_options_name_the_variable_and_the_client_reads_it_when_built(monkeypatch):
    monkeypatch.setenv("NEWS_KAFKA_PW", SECRET)
    argv = ["--security_protocol=SASL_SSL", "--sasl_mechanism=SCRAM-SHA-256", "--sasl_username=news",
            "--sasl_password_env=NEWS_KAFKA_PW", "--ssl_certfile=/c.pem", "--ssl_keyfile=/k.pem",
            "--ssl_check_hostname=false"]  # fmt: skip
    s = NewsPipelineOptions(argv).settings().kafka
    assert s.sasl_password is None and s.sasl_password_env == "NEWS_KAFKA_PW"
    assert SECRET not in str(pickle.dumps(s))  # the settings that get pickled into DoFns hold no secret
    assert common_config(s)["sasl_plain_password"] == SECRET
    assert (s.ssl_certfile, s.ssl_keyfile, s.ssl_check_hostname) == ("/c.pem", "/k.pem", False)
    assert common_config(s)["ssl_certfile"] == "/c.pem"
    monkeypatch.delenv("NEWS_KAFKA_PW")
    with pytest.raises(MissingSecret, match="NEWS_KAFKA_PW is not set"):
        common_config(s)


def test_secret_manager_password_is_read_when_the_client_config_is_built():
    calls = []

    class FakeSecretManager:  # stands in for google.cloud.secretmanager's client (no network here)
        def access_secret_version(self, request):
            calls.append(request["name"])
            return SimpleNamespace(payload=SimpleNamespace(data=SECRET.encode()))

    read_secret.cache_clear()
    assert read_secret("projects/p/secrets/kafka", FakeSecretManager) == SECRET
    assert calls == ["projects/p/secrets/kafka/versions/latest"]
    read_secret.cache_clear()


def test_secret_manager_name_is_used_when_no_password_is_given(monkeypatch):
    import pipeline.bus.secrets as secrets

    monkeypatch.setattr(
        secrets, "read_secret", lambda name: SECRET if name == "projects/p/secrets/k" else None
    )
    s = KafkaSettings(
        sasl_mechanism="SCRAM-SHA-512", sasl_username="u", sasl_password_secret="projects/p/secrets/k"
    )
    assert consumer_config(s)["sasl_plain_password"] == SECRET
