"""Errors a person at the CLI can cause or meet -> one line saying what failed and what to do.

In: an exception raised anywhere below a command.  Out: a single line for stderr (``explain``), and an exit code.
``UserError`` is what modules raise for bad input or an unusable environment; the library exceptions we know
(missing files, HTTP failures, Kafka connection errors) are translated here so no command needs its own handler.
"""

from __future__ import annotations

import socket
import time


class UserError(Exception):
    """Bad input or an unusable environment: the message is the whole story (no traceback)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def explain(exc: BaseException) -> str:
    """One line for a person: what failed and, where we know it, what to do."""
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename} is a directory; give a file"
    if isinstance(exc, PermissionError):
        return f"cannot read {exc.filename}: permission denied"
    http = _explain_http(exc)
    if http:
        return http
    kafka = _explain_kafka(exc)
    if kafka:
        return kafka
    return f"{type(exc).__name__}: {exc} (run with -v for the traceback)"


def _explain_http(exc: BaseException) -> str | None:
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        return f"{exc.request.url} answered HTTP {exc.response.status_code} {exc.response.reason_phrase}"
    if isinstance(exc, httpx.TimeoutException):
        return f"{_url(exc)} did not answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.TransportError):
        return f"cannot fetch {_url(exc)}: {exc or type(exc).__name__}"
    return None


def _url(exc: object) -> str:
    try:
        return str(exc.request.url)  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):
        return "the URL"


def _explain_kafka(exc: BaseException) -> str | None:
    from kafka import errors

    # kafka-python 2.x raised NoBrokersAvailable; 3.x has no such class (it raises KafkaConnectionError/timeouts)
    no_brokers = tuple(
        c
        for c in (getattr(errors, "NoBrokersAvailable", None), errors.MetadataEmptyBrokerList)
        if c is not None
    )
    if isinstance(exc, no_brokers):
        return (
            "no Kafka broker answered: check --bootstrap-servers (or start one with `news-pipeline broker`)"
        )
    if isinstance(exc, errors.KafkaTimeoutError):
        return f"Kafka did not answer in time: {exc}; is the broker up?"
    if isinstance(exc, errors.KafkaConnectionError):
        return f"lost the connection to Kafka: {exc}"
    if isinstance(exc, errors.KafkaError):
        return f"Kafka error {type(exc).__name__}: {exc}"
    return None


def check_reachable(bootstrap_servers: str, timeout_s: float = 3.0) -> None:
    """Raise ``UserError`` unless at least one bootstrap server accepts a TCP connection within ``timeout_s``.

    Kafka clients retry an unreachable bootstrap for 30 s or more before failing with a traceback; a plain TCP
    connect answers in milliseconds for a closed port and within ``timeout_s`` for a silent host.
    """
    problems = []
    deadline = time.monotonic() + timeout_s
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        if not host or not port.isdigit():
            raise UserError(f"bad bootstrap server {server!r}: expected HOST:PORT", exit_code=2)
        try:
            with socket.create_connection(
                (host.strip("[]"), int(port)), max(0.1, deadline - time.monotonic())
            ):
                return
        except OSError as exc:
            problems.append(f"{server.strip()}: {_reason(exc)}")
    raise UserError(
        f"cannot reach Kafka at {'; '.join(problems)} (checked for {timeout_s:g} s): start the broker "
        "(`news-pipeline broker`) or pass the right --bootstrap-servers"
    )


def _reason(exc: OSError) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    return exc.strerror or type(exc).__name__
