"""Launch the streaming job: pipeline options in, a submitted Dataflow job id out.

This is also the flex template's entry point (``FLEX_TEMPLATE_PYTHON_PY_FILE``): the launcher container runs
``python -m pipeline.deploy.launch <template parameters as --flags>``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence


def launch(argv: Sequence[str]) -> str:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.beam import graph
    from pipeline.beam.options import NewsPipelineOptions

    options = PipelineOptions(list(argv))
    settings = options.view_as(NewsPipelineOptions).settings()
    p = beam.Pipeline(options=options)
    graph.build(p, settings)
    result = p.run()  # streaming: returns once the job is submitted
    return str(getattr(result, "job_id", lambda: "?")())


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(launch(sys.argv[1:]))
