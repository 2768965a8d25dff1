"""Which stream chunk rule the raw-topic reader gets: the single-process local runner ends a chunk at the head of the
log after ``LOCAL_LIVE_CHUNK_S`` (measured there: bench/bench_stream.py), other runners after ReadConfig's default."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pipeline import PipelineVisitor

from pipeline.beam.graph import ReadRawEntries
from pipeline.beam.run import local_runner
from pipeline.io.kafka.source import ReadFromKafkaPy
from pipeline.io.kafka.specs import LOCAL_LIVE_CHUNK_S, ReadConfig
from pipeline.settings import KafkaSettings, PipelineSettings


def reader_configs(p: beam.Pipeline) -> list[ReadConfig]:
    """The ReadConfig of every raw-topic reader in ``p``, as the graph built it (nothing runs)."""
    settings = PipelineSettings(kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"), mode="stream")
    _ = p | "Read" >> ReadRawEntries(settings)
    found: list[ReadConfig] = []

    class Readers(PipelineVisitor):
        def enter_composite_transform(self, node) -> None:
            if isinstance(node.transform, ReadFromKafkaPy):
                found.append(node.transform.cfg)

    p.visit(Readers())
    return found


def test_the_local_runner_ends_live_chunks_sooner_than_other_runners() -> None:
    assert ReadConfig.live_chunk_s > LOCAL_LIVE_CHUNK_S
    (local,) = reader_configs(beam.Pipeline(runner=local_runner(), options=PipelineOptions([])))
    assert local.live_chunk_s == LOCAL_LIVE_CHUNK_S and local.mode == "stream"
    # a runner whose stages run in other processes (Dataflow's harnesses; here the local runner with two workers)
    options = PipelineOptions(["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    (other,) = reader_configs(beam.Pipeline(runner=local_runner(), options=options))
    assert other.live_chunk_s == ReadConfig.live_chunk_s
