"""Launch the streaming job: pipeline options in, a submitted Dataflow job id out.

This is also the flex template's entry point (``FLEX_TEMPLATE_PYTHON_PY_FILE``): the launcher container runs
``python -m pipeline.deploy.launch <template parameters as --flags>``.  Names and the Kafka secret are checked
offline and credentials are looked up with a deadline before Beam is given the job, so a launch that cannot work
fails within seconds with one line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from pipeline.deploy.checks import DeployError, check_credentials


def launch(argv: Sequence[str]) -> str:
    import apache_beam as beam

    from pipeline.beam import graph
    from pipeline.deploy.dataflow import package_build_lock, preflight

    options, settings = preflight(argv)
    check_credentials()
    p = beam.Pipeline(options=options)
    graph.build(p, settings)
    with package_build_lock(options):
        result = p.run()  # streaming: returns once the job is submitted
    return str(getattr(result, "job_id", lambda: "?")())


def main(argv: Sequence[str]) -> int:
    logging.basicConfig(level=logging.INFO)
    try:
        print(launch(argv))
    except DeployError as exc:
        print(f"launch: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
