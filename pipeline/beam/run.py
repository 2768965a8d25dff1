"""Run the pipeline: options -> runner -> result, with clean stop on SIGINT/SIGTERM.

Local runs name the runner explicitly (Beam's portable FnApiRunner): ``DirectRunner`` would try to download the
Prism runner and behave differently on a machine with internet.  Dataflow runs go through ``DataflowRunner``.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipeline import option_table
from pipeline.beam import gc_tuning, graph
from pipeline.beam.options import CachedViewOptions, NewsPipelineOptions
from pipeline.bus.client import ensure_topics
from pipeline.bus.read import log_ends
from pipeline.files.background import FileSinkProcess
from pipeline.io.kafka import sink as kafka_sink
from pipeline.io.kafka import source as kafka_source
from pipeline.io.kafka import specs as kafka_specs
from pipeline.settings import PipelineSettings

log = logging.getLogger(__name__)


def local_runner() -> Any:
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from pipeline.beam import dofn_specs, runner_metrics

    runner_metrics.apply()  # its metrics would otherwise keep every bundle's response (runner_metrics.py)
    dofn_specs.apply()  # each DoFn's state specs worked out once, not ~8 times (dofn_specs.py)
    return FnApiRunner()


def make_options(settings: PipelineSettings, extra: Sequence[str] = ()) -> PipelineOptions:
    """Beam options carrying every setting (``pipeline.option_table`` declares them), then ``extra`` Beam arguments."""
    argv = [*option_table.beam_argv(settings), *extra]
    if settings.mode == "stream":
        argv.append("--streaming")
    return CachedViewOptions(argv)


def run(
    settings: PipelineSettings,
    extra_args: Sequence[str] = (),
    clock: Callable[[], float] = time.time,
    own_process: bool = False,
) -> str:
    """Run on the local runner until drained (drain) or stopped (stream). Returns the final state.
    ``own_process``: this process exists for this run (the CLI): its garbage collector is tuned for it
    (gc_tuning.py)."""
    options = make_options(settings, extra_args)
    ensure_topics(
        settings.kafka,
        [settings.topics.raw, settings.topics.output, settings.topics.dead_letter, settings.topics.audit],
        settings.topics.partitions,
    )
    kafka_specs.STOP.clear()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def request_stop(signum: int, _frame: Any) -> None:
        log.warning("signal %s: stopping after the current bundle is flushed and committed", signum)
        kafka_specs.STOP.set()

    for sig in previous:
        signal.signal(sig, request_stop)
    runner = options.view_as(StandardOptions).runner
    # the file sink runs in its own process (another core, not this process's GIL): files/background.py
    files = FileSinkProcess(settings) if settings.out_dir and not runner else None
    try:
        p = beam.Pipeline(runner=runner or local_runner(), options=options)
        graph.build(p, settings, clock)
        if own_process and not runner:
            gc_tuning.for_pipeline_process()
        result = p.run()
        state = result.wait_until_finish()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if not runner:  # the local run's steps are done with their clients (io/kafka/sink.py, source.py)
            kafka_sink.close_shared_producers()
            kafka_source.close_sizers()
        if files is not None:
            files.finish(_written_ends(settings))  # catch up to them, then finish the open files
    return str(state)


def _written_ends(settings: PipelineSettings) -> dict[int, int] | None:
    """The output topic's ends once the pipeline's writes are acknowledged: the records the files must hold.  None
    (the sink's own end rule) when the broker cannot tell now."""
    try:
        return log_ends(settings.kafka, settings.topics.output, timeout_s=10.0)
    except Exception as exc:  # broker away at shutdown: the sink still catches up to the end it sees
        log.warning("output topic's end unknown (%s); the file sink catches up to the end it sees", exc)
        return None


def settings_from_argv(argv: Sequence[str]) -> tuple[PipelineSettings, PipelineOptions]:
    options = CachedViewOptions(list(argv))
    return options.view_as(NewsPipelineOptions).settings(), options
