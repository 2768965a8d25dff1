"""Kafka secrets, read where a client is built: ``KafkaSettings`` in, the SASL password out.

The settings carry only where the password lives (an environment variable's name or a Secret Manager resource
name), so pickled DoFns, job graphs and reprs never hold it; the process that builds the client (a CLI command, or
a Dataflow worker in ``DoFn.setup``) reads it here.  A leaf module: clients and stages import it without cycles.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from pipeline.settings import KafkaSettings


class MissingSecret(RuntimeError):
    """The settings name a password source that has nothing in it (one clear line for the person or the log)."""


def _secret_manager_client() -> Any:
    from google.cloud import secretmanager  # apache-beam[gcp] brings it

    return secretmanager.SecretManagerServiceClient()


@functools.lru_cache(maxsize=16)
def read_secret(name: str, client_factory: Callable[[], Any] = _secret_manager_client) -> str:
    """``projects/P/secrets/S/versions/V`` (``versions/latest`` if no version is given) -> the secret's text."""
    if "/versions/" not in name:
        name = f"{name}/versions/latest"
    response = client_factory().access_secret_version(request={"name": name})
    return response.payload.data.decode("utf-8")


def sasl_password(settings: KafkaSettings) -> str | None:
    """The SASL password: given directly, else Secret Manager, else the named environment variable; None if the
    settings use no SASL."""
    if not settings.sasl_mechanism:
        return None
    if settings.sasl_password is not None:
        return settings.sasl_password.get_secret_value()
    if settings.sasl_password_secret:
        return read_secret(settings.sasl_password_secret)
    if settings.sasl_password_env:
        value = os.environ.get(settings.sasl_password_env)
        if value is None:
            raise MissingSecret(
                f"SASL password: environment variable {settings.sasl_password_env} is not set in this process"
            )
        return value
    return None
