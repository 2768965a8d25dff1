"""The file sink in its own process (files/background.py) on the real broker: finish() returns once the files hold
every record of the topic, and the sink process leaves when the pipeline process is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.bus.client import ensure_topics
from pipeline.files.background import FileSinkProcess
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from tests.integration.test_file_sink import ids_in_files, produce_items, wait_for

pytestmark = pytest.mark.integration


def _settings(kafka: KafkaSettings, topics: TopicSettings, out: Path) -> PipelineSettings:
    return PipelineSettings(kafka=kafka, topics=topics, out_dir=str(out), consumer_group=f"g-{topics.output}")


def test_finish_returns_once_files_hold_every_record(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    ensure_topics(kafka, [topics.output])
    sink = FileSinkProcess(_settings(kafka, topics, tmp_path))
    ids = produce_items(kafka, topics.output, 0, 25)
    summary = sink.finish()
    assert sink.process.exitcode == 0
    assert summary.records == 25
    assert sorted(ids_in_files(tmp_path, topics.output)) == sorted(ids)


def _state(pid: int) -> str | None:
    """The process state letter, None once it is gone (a zombie nobody reaps counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None
    return None if state in ("Z", "X") else state


PARENT = """
import sys, time
from pipeline.files.background import FileSinkProcess
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings

if __name__ == "__main__":
    s = PipelineSettings(
        kafka=KafkaSettings(bootstrap_servers=sys.argv[1]),
        topics=TopicSettings(output=sys.argv[2]),
        out_dir=sys.argv[3],
        consumer_group="g-" + sys.argv[2],
    )
    sink = FileSinkProcess(s)
    print(sink.process.pid, flush=True)
    time.sleep(600)
"""


def test_sink_process_leaves_when_the_pipeline_process_is_killed(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    ensure_topics(kafka, [topics.output])
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(PARENT))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    parent = subprocess.Popen(
        [sys.executable, str(script), kafka.bootstrap_servers, topics.output, str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        child = int(parent.stdout.readline())
        assert _state(child) is not None
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        wait_for(lambda: _state(child) is None, 20.0, "the orphaned file sink to exit")
    finally:
        parent.kill()
        parent.wait()


def test_a_sink_process_killed_during_the_run_is_started_again_and_the_files_miss_nothing(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    """SIGKILL of the sink process (as the out-of-memory killer would): a new one resumes after the last finished
    file, so ``finish()`` returns with every record in the files exactly once, and the run does not fail."""
    ensure_topics(kafka, [topics.output])
    s = _settings(kafka, topics, tmp_path)
    s = s.model_copy(update={"files": s.files.model_copy(update={"roll_records": 10})})  # files finish early
    sink = FileSinkProcess(s)
    ids = produce_items(kafka, topics.output, 0, 25)
    wait_for(lambda: len(ids_in_files(tmp_path, topics.output)) >= 10, 60.0, "the first finished files")
    first = sink.process
    os.kill(first.pid, signal.SIGKILL)
    wait_for(lambda: sink.process is not first and sink.process.is_alive(), 30.0, "a new sink process")
    assert sink.restarts == 1
    ids += produce_items(kafka, topics.output, 25, 25)
    sink.finish()
    assert sink.process.exitcode == 0
    assert sorted(ids_in_files(tmp_path, topics.output)) == sorted(ids)  # each once


def test_a_sink_that_keeps_dying_is_reported_when_the_run_finishes(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path, monkeypatch, caplog
) -> None:
    """Out of restarts: logged at once (a stream runs on), raised by ``finish()``."""
    from pipeline.files import background

    monkeypatch.setattr(background, "MAX_RESTARTS", 0)
    ensure_topics(kafka, [topics.output])
    sink = FileSinkProcess(_settings(kafka, topics, tmp_path))
    os.kill(sink.process.pid, signal.SIGKILL)
    wait_for(
        lambda: any("file sink stopped: exit code -9" in r.getMessage() for r in caplog.records),
        20.0,
        "the sink's end logged",
    )
    with pytest.raises(RuntimeError, match="file sink failed: exit code -9"):
        sink.finish()
    assert sink.restarts == 0
