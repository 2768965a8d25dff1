"""Secrets for Kafka clients: a Secret Manager resource name in, the secret's text out (cached per process).

Used by ``pipeline.bus.client`` when a client is built (on a worker, in ``DoFn.setup``), so the password never
travels in the job graph and is never logged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


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
