"""``CachedViewOptions`` (pipeline/beam/options.py): one view per options class, behaving as Beam's fresh views do.

The pipeline's options are asked for views hundreds of times while Beam builds and runs a pipeline; a cached view must
stay indistinguishable from a fresh one: same values, changes seen both ways, copies (Beam's ``Pipeline`` deep-copies
its options) and pickles independent of the original.
"""

from __future__ import annotations

import copy
import pickle

from apache_beam.options.pipeline_options import (
    GoogleCloudOptions,
    PipelineOptions,
    StandardOptions,
    TypeOptions,
)
from apache_beam.options.pipeline_options import (
    TestOptions as BeamTestOptions,
)

from pipeline.beam.options import CachedViewOptions, NewsPipelineOptions
from pipeline.beam.run import make_options
from pipeline.settings import PipelineSettings, TopicSettings

ARGV = [
    "--runner=DataflowRunner",
    "--project=p",
    "--region=europe-west1",
    "--output_topic=news.out",
    "--streaming",
]


def _values(options: PipelineOptions) -> dict:
    return options.get_all_options(drop_default=False)


def test_views_read_what_fresh_views_read():
    cached, plain = CachedViewOptions(ARGV), PipelineOptions(ARGV)
    for cls in (StandardOptions, GoogleCloudOptions, TypeOptions, BeamTestOptions, NewsPipelineOptions):
        for _ in range(2):  # the second view comes from the cache
            assert _values(cached.view_as(cls)) == _values(plain.view_as(cls))
    assert cached.view_as(NewsPipelineOptions).settings() == plain.view_as(NewsPipelineOptions).settings()
    assert cached.view_as(StandardOptions).streaming is True


def test_changes_are_seen_through_every_view_and_the_options():
    options = CachedViewOptions(ARGV)
    before = options.view_as(BeamTestOptions)
    options.view_as(BeamTestOptions).dry_run = True  # as deploy/dataflow.py sets it
    assert before.dry_run is True
    assert options.get_all_options()["dry_run"] is True
    options.view_as(GoogleCloudOptions).project = "q"
    assert options.view_as(GoogleCloudOptions).project == "q"
    assert options.get_all_options()["project"] == "q"


def test_copies_and_pickles_are_independent_of_the_original():
    options = CachedViewOptions(ARGV)
    options.view_as(GoogleCloudOptions)  # a cached view before the copy
    for other in (copy.deepcopy(options), pickle.loads(pickle.dumps(options))):
        assert isinstance(other, CachedViewOptions)
        assert _values(other) == _values(options)
        other.view_as(GoogleCloudOptions).project = "changed"
        assert options.view_as(GoogleCloudOptions).project == "p"
        assert other.get_all_options()["project"] == "changed"


def test_make_options_parses_the_flags_once_per_view_class(monkeypatch):
    options = make_options(PipelineSettings(topics=TopicSettings(raw="r", output="o")))
    parses = []
    real = PipelineOptions.__init__

    def counting(self, flags=None, **kwargs):
        parses.append(type(self).__name__)
        real(self, flags, **kwargs)

    monkeypatch.setattr(PipelineOptions, "__init__", counting)
    for _ in range(50):
        options.view_as(TypeOptions)
        options.view_as(StandardOptions)
    assert sorted(parses) == ["StandardOptions", "TypeOptions"]
