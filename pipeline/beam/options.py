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


class CachedViewOptions(PipelineOptions):
    """``PipelineOptions`` whose views are made once per class.

    Beam asks the pipeline's options for a view (``TypeOptions``, ``StandardOptions``, ...) hundreds of times while it
    builds and runs a pipeline (every ``typehints.is_consistent_with`` does), and each ``view_as`` parses every flag
    again with argparse: 354 views, 0.41 s of a 1.6 s local drain of 50 items (cProfile).  A view holds nothing of its
    own but the parsed defaults of its class's flags, which never change; its values live in the ``_all_options`` it
    shares with this object, so one view per class sees every later change as a fresh one would."""

    def view_as(self, cls):  # type: ignore[override]
        views = self.__dict__.get("_views")
        if views is None:
            views = {}
            object.__setattr__(self, "_views", views)  # PipelineOptions.__setattr__ only takes option names
        view = views.get(cls)
        if view is None:
            view = views[cls] = super().view_as(cls)
        return view

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_views", None)  # (pickled or deep-copied: the copy makes its own views)
        return state
