"""Checks before Beam sees a Dataflow launch: launch arguments in, nothing or one clear ``DeployError`` line out.

Beam reacts to a malformed bucket by falling back to a default bucket it creates over the network, and to missing
credentials by retrying the metadata server; both turn a typo into minutes of waiting and a traceback.  So names
are validated offline here, a real launch looks for credentials with a deadline first, and a SASL password that
would have to travel inside the job (an environment variable of this machine) is refused.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from pipeline.settings import KafkaSettings

# Google Cloud naming rules (project ids: 6-30 chars, optionally domain-scoped; regions like europe-west1;
# buckets: 3-63 chars per dot-separated part, lowercase, digits, - _ .; job names: Beam's own pattern).
PROJECT_ID = re.compile(r"(?:[a-z][-a-z0-9.]*[a-z0-9]:)?[a-z][-a-z0-9]{4,28}[a-z0-9]")
REGION = re.compile(r"[a-z]+(?:-[a-z]+)+[0-9]{1,2}")
BUCKET = re.compile(r"[a-z0-9][-_a-z0-9.]{1,220}[a-z0-9]")
JOB_NAME = re.compile(r"[a-z]([-a-z0-9]{0,1022}[a-z0-9])?")
CREDENTIALS_TIMEOUT_S = 5.0


class DeployError(Exception):
    """A launch that cannot work, explained in one line."""


def bucket_error(path: str) -> str | None:
    """Why ``path`` is not a usable ``gs://bucket/folder`` location (None if it is)."""
    m = re.fullmatch(r"gs://([^/]+)/(.*)", path)
    if m is None:
        return "expected gs://BUCKET/FOLDER"
    bucket = m.group(1)
    parts = bucket.split(".")
    if not BUCKET.fullmatch(bucket) or any(not p or len(p) > 63 for p in parts) or len(bucket) > 222:
        return f"{bucket!r} is not a valid bucket name (3-63 lowercase letters, digits, - _ .)"
    if "." not in bucket and len(bucket) > 63:
        return f"{bucket!r} is longer than 63 characters"
    if bucket.startswith("goog"):
        return f"{bucket!r}: bucket names cannot start with 'goog'"
    return None


def check_names(
    project: str | None, region: str | None, job_name: str | None, **locations: str | None
) -> None:
    """Project, region, job name and every given gs:// location, validated offline."""
    if not project or not PROJECT_ID.fullmatch(project):
        raise DeployError(f"invalid --project {project!r}: 6-30 lowercase letters, digits and hyphens")
    if not region or not REGION.fullmatch(region):
        raise DeployError(f"invalid --region {region!r}: a Dataflow region such as europe-west1")
    if job_name is not None and not JOB_NAME.fullmatch(job_name):
        raise DeployError(f"invalid --job-name {job_name!r}: lowercase letters, digits and hyphens")
    for flag, value in locations.items():
        if value is not None and (why := bucket_error(value)):
            raise DeployError(f"invalid --{flag.replace('_', '-')} {value!r}: {why}")


def check_kafka_secret(kafka: KafkaSettings) -> None:
    """On Dataflow the SASL password must come from Secret Manager: this machine's environment is not the workers'."""
    if kafka.sasl_mechanism and kafka.sasl_password is None and not kafka.sasl_password_secret:
        raise DeployError(
            "SASL on Dataflow needs --sasl_password_secret=projects/P/secrets/S: workers read it from Secret "
            f"Manager; --sasl_password_env ({kafka.sasl_password_env}) names a variable of this machine only"
        )
    if kafka.sasl_password is not None:
        raise DeployError("a SASL password value cannot be shipped in the job: use --sasl_password_secret")


def check_credentials(timeout_s: float = CREDENTIALS_TIMEOUT_S) -> None:
    """Application default credentials, found within ``timeout_s`` (metadata-server probes bounded to 1 s each)."""
    import google.auth
    from google.auth.transport.requests import Request

    class ShortRequest(Request):
        def __call__(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
            return super().__call__(*args, timeout=min(timeout or 1.0, 1.0), **kwargs)

    outcome: dict[str, Any] = {}

    def probe() -> None:
        try:
            outcome["found"] = google.auth.default(request=ShortRequest())
        except Exception as exc:  # DefaultCredentialsError, TransportError: reported as one line below
            outcome["error"] = exc

    thread = threading.Thread(target=probe, name="credentials", daemon=True)
    thread.start()
    thread.join(timeout_s)
    hint = "set GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default login`"
    if thread.is_alive():
        raise DeployError(f"no Google Cloud credentials found within {timeout_s:.0f} s: {hint}")
    if "error" in outcome:
        raise DeployError(f"no Google Cloud credentials found ({type(outcome['error']).__name__}): {hint}")
