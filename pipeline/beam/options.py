"""The pipeline's one ``PipelineOptions`` subclass, and its conversion to typed ``PipelineSettings``.

In: command-line flags (also what Dataflow flex templates pass as parameters), declared once in
``pipeline.option_table``.  Out: validated settings for the graph builder.  Secrets are never read here: the settings carry
where the SASL password lives (environment variable name, Secret Manager name), and clients read it when built.
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from pipeline import option_table
from pipeline.settings import PipelineSettings


class NewsPipelineOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        option_table.add_beam_args(parser)

    def settings(self) -> PipelineSettings:
        return option_table.settings_from(self.get_all_options())
