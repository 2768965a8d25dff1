"""The command line's building blocks: one help style for every (sub)parser, and the flag sets commands share.

In: nothing.  Out: ``Parser`` (shows defaults, keeps epilog line breaks; subparsers inherit it, so modules that
register their own commands get the same help), ``verbose_flag()`` for every command and ``kafka_flags()`` (where
Kafka is and how to authenticate) for the commands that talk to Kafka, and only those.
"""

from __future__ import annotations

import argparse


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show ``(default: X)`` for options with a meaningful default (not None/False); keep epilog line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        if "%(default)" in help_text or action.default in (None, False, argparse.SUPPRESS, [], ()):
            return help_text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return f"{help_text} (default: %(default)s)".lstrip()
        return help_text


class Parser(argparse.ArgumentParser):
    """Every (sub)parser formats help the same way, including those other modules register."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def verbose_flag() -> argparse.ArgumentParser:
    """The one flag every command takes."""
    plain = Parser(add_help=False)
    plain.add_argument("-v", "--verbose", action="store_true", help="debug logging and full tracebacks")
    return plain


def kafka_flags() -> argparse.ArgumentParser:
    """Flags every Kafka command shares: where Kafka is and how to authenticate (the same for every client)."""
    common = Parser(add_help=False, parents=[verbose_flag()])
    common.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT[,...]",
        help="Kafka bootstrap servers (default: the embedded broker started by `news-pipeline broker`)",
    )
    sec = common.add_argument_group("Kafka security")
    sec.add_argument(
        "--security-protocol",
        default="PLAINTEXT",
        choices=["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"],
        help="how clients talk to the brokers",
    )
    sec.add_argument(
        "--sasl-mechanism",
        default=None,
        choices=["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
        help="SASL only",
    )
    sec.add_argument("--sasl-username", default=None, help="SASL user name")
    sec.add_argument(
        "--sasl-password-env",
        default="KAFKA_SASL_PASSWORD",
        help="environment variable holding the SASL password (never passed on the command line)",
    )
    sec.add_argument(
        "--sasl-password-secret",
        default=None,
        help="Secret Manager version name holding the SASL password (read where the client is built)",
    )
    sec.add_argument("--ssl-cafile", default=None, help="CA bundle for the brokers' certificates")
    sec.add_argument("--ssl-certfile", default=None, help="client certificate (mutual TLS)")
    sec.add_argument("--ssl-keyfile", default=None, help="client private key (mutual TLS)")
    common.add_argument(
        "--idempotence",
        default="auto",
        choices=["auto", "on", "off"],
        help="idempotent producers (auto: on, except on tansu, which can lose a retried batch after a crash)",
    )
    return common
