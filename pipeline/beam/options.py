"""The pipeline's one ``PipelineOptions`` subclass, and its conversion to typed ``PipelineSettings``.

In: command-line flags (also what Dataflow flex templates pass as parameters), declared once in
``pipeline.flags``.  Out: validated settings for the graph builder.  Secrets are never read here: the settings carry
where the SASL password lives (environment variable name, Secret Manager name), and clients read it when built.
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from pipeline import flags
from pipeline.settings import PipelineSettings


class NewsPipelineOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        flags.add_beam_args(parser)

    def settings(self) -> PipelineSettings:
        return flags.settings_from(self.get_all_options())
