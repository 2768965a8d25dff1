"""The Kafka flags every command shares (parsed ``argparse`` namespace) -> ``KafkaSettings``, or one clear error.

A leaf module: command modules (``run``, ``consume``, ``poll``, ``dlq``) import it without importing ``pipeline.cli``,
which imports them.  The SASL password is not read here: the settings name its environment variable (or Secret
Manager secret) and the client reads it when it is built (``pipeline.bus.secrets``).
"""

from __future__ import annotations

import argparse
import sys

from pipeline.settings import KafkaSettings, TopicSettings


class CliError(SystemExit):
    """One line on stderr and exit status 2 (a person at the CLI gets no traceback)."""

    def __init__(self, message: str):
        print(f"news-pipeline: error: {message}", file=sys.stderr)
        super().__init__(2)


def resolve_kafka(args: argparse.Namespace) -> KafkaSettings:
    """``--bootstrap-servers`` if given, else the running embedded broker, else a clear error."""
    from pipeline.bus.broker import recorded_bootstrap

    servers = getattr(args, "bootstrap_servers", None) or recorded_bootstrap()
    if not servers:
        raise CliError(
            "no Kafka to talk to: pass --bootstrap-servers HOST:PORT, or start the embedded broker "
            "with `news-pipeline broker` (or run `news-pipeline demo`)"
        )
    defaults = KafkaSettings()
    check = getattr(args, "ssl_check_hostname", None)
    return KafkaSettings(
        bootstrap_servers=servers,
        security_protocol=getattr(args, "security_protocol", None) or defaults.security_protocol,
        sasl_mechanism=getattr(args, "sasl_mechanism", None),
        sasl_username=getattr(args, "sasl_username", None),
        sasl_password_env=getattr(args, "sasl_password_env", None) or defaults.sasl_password_env,
        sasl_password_secret=getattr(args, "sasl_password_secret", None),
        ssl_cafile=getattr(args, "ssl_cafile", None),
        ssl_certfile=getattr(args, "ssl_certfile", None),
        ssl_keyfile=getattr(args, "ssl_keyfile", None),
        ssl_check_hostname=defaults.ssl_check_hostname if check is None else check in (True, "true"),
        idempotence=getattr(args, "idempotence", None) or defaults.idempotence,
    )


def topic_settings(args: argparse.Namespace) -> TopicSettings:
    """The topic flags (``--raw-topic`` ...) -> ``TopicSettings``."""
    return TopicSettings(
        raw=args.raw_topic,
        output=args.output_topic,
        dead_letter=args.dead_letter_topic,
        audit=args.audit_topic,
    )
