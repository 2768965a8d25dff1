"""The fault suite's instrument: a fresh broker, generated input, the real CLI in subprocesses, and the counts.

In: a scenario's input (distinct raw entries, poison records) and its process choreography.  Out: a
``Measurement`` read back from the broker's topics and the Avro files in the out dir, plus RSS and I/O figures
sampled from /proc.  The reading loop here is the instrument's own on purpose: a fault suite must not share the
read-until-done code of the pipeline it measures.  What each count means: tests/faults/run.py.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import hashlib
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fastavro
from kafka import KafkaConsumer, TopicPartition

from pipeline.avro.codec import decode_failure, encode_raw_entry
from pipeline.avro.wire import WireDecoder
from pipeline.bus.broker import EmbeddedBroker
from pipeline.bus.client import consumer_config, ensure_topics, make_producer
from pipeline.model import RawEntry
from pipeline.settings import KafkaSettings, TopicSettings
from tests.support import dump_stacks

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("FAULTS_BIN", Path(sys.executable).parent))
CLI = str(BIN / "news-pipeline")
TOPICS = TopicSettings(raw="news.raw", output="news.items", dead_letter="news.dlq", audit="news.audit")
GROUP = "faults"
PIPELINE_ARGS = "FAULTS_PIPELINE_ARGS"  # more `run` flags for every pipeline (run.py --pipeline-args)
_STORY = re.compile(r"<TITLE>(.*?)</TITLE>.*?<DATELINE>(.*?)</DATELINE><BODY>(.*?)</BODY>", re.S)


# -- input ---------------------------------------------------------------------------------------------------
def corpus_file() -> Path:
    for shared in (
        parent / "shared" for parent in REPO.parents
    ):  # ../shared beside the repository (or a worktree's)
        sgm = shared / "corpora" / "datelines" / "reuters21578" / "reut2-000.sgm"
        if sgm.exists():
            return sgm
    raise FileNotFoundError("reut2-000.sgm not found under ../shared/corpora beside the repository")


@functools.cache
def _stories() -> tuple[list[tuple[str, str]], list[str]]:
    text = corpus_file().read_text(encoding="latin-1")
    stories = []
    for title, dateline, _ in _STORY.findall(text):
        stories.append((title.strip().title(), dateline.strip()))
    sentences = [
        s.strip() + "."
        for _, _, body in _STORY.findall(text)
        for s in re.split(r"\.\s+", body.replace("\x03", ""))
        if len(s.split()) >= 6
    ]
    return stories, sentences


def generate(n: int, seed: int = 7, host: str = "faults.example.com") -> list[RawEntry]:
    """Distinct dispatches as bench/bench_drain.py makes them: a real title and dateline, a body of 12 sentences
    drawn at random from the whole Reuters corpus, a unique link; near-dup dedup keeps every one."""
    stories, sentences = _stories()
    rng = random.Random(seed)
    out = []
    for i in range(n):
        title, dateline = stories[i % len(stories)]
        paras = [" ".join(rng.sample(sentences, 3)) for _ in range(4)]
        paras[0] = f"{dateline} {paras[0]}"  # Reuters datelines end in " -"
        html = "".join(f"<p>{p}</p>" for p in paras)
        link = f"https://{host}/story/{seed}/{i}"
        out.append(
            RawEntry(
                feed_url=f"https://{host}/feed.xml",
                entry_key=f"g:{link}",
                content_hash=hashlib.sha256(html.encode()).hexdigest(),
                guid=link,
                link=link,
                title=title,
                content=html,
                content_type="text/html",
                published_raw="Thu, 26 Feb 1987 15:01:01 GMT",
                feed_title="Faults wire",
                feed_language="en",
                fetched_at_ms=int(time.time() * 1000),
            )
        )
    return out


@dataclasses.dataclass(frozen=True)
class Poison:
    label: str
    key: bytes
    value: bytes
    link: str | None  # the article's link when the record decodes


def poison_records(spare: list[RawEntry], seed: int = 13) -> list[Poison]:
    """Random bytes, truncated Avro, a valid entry with a ~4 MB summary, control characters in every text field.
    ``spare``: two generated entries that are not part of the good input (so dedup has nothing to match)."""
    rng = random.Random(seed)
    big, nasty = spare[0], spare[1]
    valid = encode_raw_entry(big)
    big = dataclasses.replace(
        big,
        content=None,
        content_type=None,
        summary="<p>" + " ".join(rng.choices(_stories()[1], k=20_000))[: 4 << 20] + "</p>",
    )
    ctl = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\u2028"
    text_fields = [f.name for f in dataclasses.fields(RawEntry) if f.type in ("str", "str | None")]
    nasty = dataclasses.replace(nasty, **{f: ctl + (getattr(nasty, f) or f) + ctl for f in text_fields})
    return [
        Poison("random bytes", b"poison-random", rng.randbytes(300), None),
        Poison("truncated avro", b"poison-truncated", valid[: len(valid) // 2], None),
        Poison("4 MB summary", b"poison-oversized", encode_raw_entry(big), big.link),
        Poison("control chars", b"poison-control", encode_raw_entry(nasty), spare[1].link),
    ]


def produce(kafka: KafkaSettings, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    ensure_topics(kafka, [topic])
    producer = make_producer(kafka, linger_ms=20, batch_size=256 * 1024, max_request_size=16 << 20)
    for key, value in records:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def entry_records(entries: list[RawEntry]) -> list[tuple[bytes, bytes]]:
    return [(e.entry_key.encode(), encode_raw_entry(e)) for e in entries]


# -- reading topics ------------------------------------------------------------------------------------------
class TopicReader:
    """An assigned consumer that keeps every record of one topic read so far; ``poll`` reads what is new."""

    def __init__(self, kafka: KafkaSettings, topic: str):
        self.consumer = KafkaConsumer(
            **consumer_config(
                kafka, group_id=None, fetch_max_bytes=64 << 20, max_partition_fetch_bytes=32 << 20
            )
        )
        deadline = time.monotonic() + 15
        while not (parts := self.consumer.partitions_for_topic(topic)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"topic {topic} has no partitions")
            self.consumer.poll(timeout_ms=200)
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        self.consumer.assign(tps)
        self.consumer.seek_to_beginning(*tps)
        self.records: list[Any] = []

    def poll(self, timeout_ms: int = 100) -> int:
        got = 0
        for batch in self.consumer.poll(timeout_ms=timeout_ms).values():
            self.records.extend(batch)
            got += len(batch)
        return got

    def read_to_idle(self, idle_s: float = 2.0, limit_s: float = 120.0) -> list[Any]:
        """Everything until nothing new arrived for ``idle_s`` (tansu's end offsets are not trusted)."""
        deadline = time.monotonic() + limit_s
        quiet_since = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < idle_s:
            if self.poll(300):
                quiet_since = time.monotonic()
        return self.records

    def close(self) -> None:
        self.consumer.close(autocommit=False)


class ItemWatch:
    """The output topic decoded as it grows: the URIs seen so far and every (id, uri)."""

    def __init__(self, kafka: KafkaSettings, topic: str = TOPICS.output):
        ensure_topics(kafka, [topic])
        self.reader = TopicReader(kafka, topic)
        self.decoder = WireDecoder()
        self.pairs: list[tuple[str, str]] = []
        self.clusters: dict[str, set[str]] = collections.defaultdict(
            set
        )  # record id, story id -> cluster ids
        self.undecodable = 0
        self._decoded = 0  # records of the reader decoded so far

    def poll(self, timeout_ms: int = 100) -> int:
        got = self.reader.poll(timeout_ms) if timeout_ms else 0
        fresh, self._decoded = self.reader.records[self._decoded :], len(self.reader.records)
        for msg in fresh:
            try:
                _, rec = self.decoder.decode(msg.value)
                self.pairs.append(_id_uri(rec))
                for key in (f"id:{rec['id']}", f"story:{rec.get('story_id')}"):
                    self.clusters[key].add(str(rec.get("cluster_id")))
            except Exception:  # counted, not fatal: the instrument reports what it found
                self.undecodable += 1
        return got

    def uris(self) -> set[str]:
        return {u for _, u in self.pairs}

    def wait(self, done: Callable[[ItemWatch], bool], timeout_s: float) -> float | None:
        """Poll until ``done(self)``; the seconds it took, or None at the deadline."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            if done(self):
                return time.monotonic() - t0
            self.poll(100)
        return time.monotonic() - t0 if done(self) else None

    def close(self) -> None:
        self.reader.close()


def wait_committed(kafka: KafkaSettings, topic: str, count: int, timeout_s: float) -> float | None:
    """Wait until the pipeline's group has committed ``count`` offsets of ``topic``; seconds taken or None."""
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=GROUP))
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < timeout_s:
            parts = consumer.partitions_for_topic(topic) or set()
            done = sum(consumer.committed(TopicPartition(topic, p)) or 0 for p in parts)
            if done >= count:
                return time.monotonic() - t0
            time.sleep(0.5)
        return None
    finally:
        consumer.close(autocommit=False)


# -- processes -----------------------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:  # the process has exited
        return out
    for task in tasks:  # a thread that ended since the listing is passed over: the others still count
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as fh:
            out += [int(c) for c in fh.read().split()]
    return out


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += _children(p)
    return tree


def proc_field(pid: int, file: str, field: str) -> int:
    """One number from /proc/<pid>/<file> (``status`` values are kB, ``io`` values bytes); 0 once it is gone."""
    with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/{file}") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Proc:
    """One CLI process with its output in a log file, its tree's RSS sampled every 0.2 s, and its write_bytes."""

    def __init__(self, name: str, argv: list[str], cwd: Path, log_dir: Path):
        self.name, self.argv = name, argv
        self.log = log_dir / f"{name}.log"
        env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.started = time.monotonic()
        self.rss_kb = 0  # latest sample
        self.peak_rss_kb = 0
        self.write_bytes: dict[
            int, int
        ] = {}  # the largest /proc/<pid>/io write_bytes seen, per pid of the tree
        self._reaped: set[int] = set()  # children seen, then gone
        self.timed_out = False  # the harness killed it at a deadline: the scenario's numbers are not valid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _sample(self) -> None:
        while not self._stop.is_set() and self.popen.poll() is None:
            tree = process_tree(self.pid)
            self.rss_kb = sum(proc_field(p, "status", "VmRSS") for p in tree)
            self.peak_rss_kb = max(self.peak_rss_kb, self.rss_kb, proc_field(self.pid, "status", "VmHWM"))
            for p in tree:
                self.write_bytes[p] = max(self.write_bytes.get(p, 0), proc_field(p, "io", "write_bytes"))
            self._reaped.update(p for p in self.write_bytes if p != self.pid and p not in tree)
            self._stop.wait(0.2)

    @property
    def tree_write_bytes(self) -> int:
        """Bytes the process tree wrote.  A reaped child's I/O is added to its parent's /proc/<pid>/io (the kernel
        folds it in at wait()), so the root's count less its reaped children's, plus every child's own."""
        children = {p: n for p, n in self.write_bytes.items() if p != self.pid}
        root = self.write_bytes.get(self.pid, 0) - sum(children[p] for p in self._reaped)
        return max(0, root) + sum(children.values())

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> int:
        self.popen.send_signal(signal.SIGKILL)
        return self.wait(30)

    def terminate(self, timeout_s: float = 60) -> int:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
        return self.wait(timeout_s)

    def wait(self, timeout_s: float) -> int:
        try:
            code = self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stacks = dump_stacks(self.pid)
            self.popen.kill()
            code = self.popen.wait()
            self.timed_out = True
            with open(self.log, "a") as fh:
                fh.write(
                    f"\n[faults] killed after {timeout_s}s without exiting; its stacks then:\n{stacks}\n"
                )
        self._stop.set()
        self._thread.join(2)
        return code

    def tail(self, lines: int = 5) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


@functools.cache
def run_help() -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([CLI, "run", "--help"], capture_output=True, text=True, env=env).stdout


def roll_flags(help_text: str) -> list[str]:
    """Make file rolls and commits frequent when ``run`` accepts such flags (it did not on 2026-11-27)."""
    flags = []
    for flag in sorted(set(re.findall(r"(--(?:roll|commit)[-\w]*)\s+[A-Z_]+", help_text))):
        if "byte" in flag:
            flags += [flag, str(64 * 1024)]
        elif "record" in flag or "count" in flag or "items" in flag:
            flags += [flag, "100"]
        elif "sec" in flag or "interval" in flag or flag.endswith("-s"):
            flags += [flag, "1"]
    return flags


@dataclasses.dataclass
class Scene:
    """One scenario's fresh world: broker, work dir (cwd = state dir), out dir, logs, processes run."""

    name: str
    root: Path
    broker: EmbeddedBroker
    procs: list[Proc] = dataclasses.field(default_factory=list)

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=self.broker.bootstrap_servers)

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    def pipeline(self, mode: str, tag: str, extra: list[str] = ()) -> Proc:
        extra = [*extra, *shlex.split(os.environ.get(PIPELINE_ARGS, ""))]  # run.py --pipeline-args
        argv = [
            CLI, "run", "--mode", mode, "--bootstrap-servers", self.broker.bootstrap_servers,
            "--raw-topic", TOPICS.raw, "--output-topic", TOPICS.output,
            "--dead-letter-topic", TOPICS.dead_letter, "--audit-topic", TOPICS.audit,
            "--group", GROUP, "--out-dir", str(self.out_dir), "--no-ner", *extra,
        ]  # fmt: skip
        return self.start(tag, argv)

    def start(self, tag: str, argv: list[str]) -> Proc:
        proc = Proc(f"{len(self.procs):02d}-{tag}", argv, self.root, self.root)
        self.procs.append(proc)
        return proc

    def wait_for_file(self, proc: Proc, timeout_s: float) -> str | None:
        """Poll the out dir fast for a new ``.tmp-``/``_open-`` file; its name, or None."""
        seen = set(os.listdir(self.out_dir)) if self.out_dir.exists() else set()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and proc.alive():
            with contextlib.suppress(FileNotFoundError):
                for name in os.listdir(self.out_dir):
                    if name not in seen and name.startswith((".tmp-", "_open-")):
                        return name
                    seen.add(name)
            time.sleep(0.002)
        return None


@contextlib.contextmanager
def scene(name: str, keep: Path | None = None) -> Iterator[Scene]:
    root = Path(tempfile.mkdtemp(prefix=f"faults-{name}-", dir=keep))
    # memory storage: these scenarios kill the pipeline and the poller, not the broker (tests/faults/test_broker_*
    # and test_stream_broker_restart.py kill the durable one); a durable broker would only add load here
    broker = EmbeddedBroker(storage="memory", state_dir=root / "broker", log=root / "tansu.log")
    broker.start()
    s = Scene(name, root, broker)
    try:
        ensure_topics(s.kafka, [TOPICS.raw, TOPICS.output, TOPICS.dead_letter, TOPICS.audit])
        yield s
    finally:
        for p in s.procs:
            if p.alive():
                p.kill()
        broker.stop()


# -- measurement ---------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Measurement:
    scenario: str
    items_in: int = 0
    articles_out: int = 0
    lost: int = 0
    shared_ids: int = 0
    split_clusters: int = 0  # record ids (copies) or stories (versions) on the topic under two cluster ids
    files_diff: int = 0
    dead_letters: int = 0
    exit_codes: list[int] = dataclasses.field(default_factory=list)
    recovery_s: float | None = None
    peak_rss_mb: float = 0.0
    notes: list[str] = dataclasses.field(default_factory=list)
    poison_outcomes: dict[str, str] = dataclasses.field(default_factory=dict)
    poison_letters: dict[str, int] = dataclasses.field(default_factory=dict)
    poison_out: dict[str, bool] = dataclasses.field(default_factory=dict)  # the (cleaned) article came out
    dlq_repeats: int = 0
    leftovers: int = 0
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.scenario}: in {self.items_in}, out {self.articles_out}, lost {self.lost}, shared ids "
            f"{self.shared_ids}, files vs topic {self.files_diff}, dead letters {self.dead_letters}, exit codes "
            f"{self.exit_codes}; {'; '.join(self.notes)}"
        )


def _id_uri(record: dict[str, Any]) -> tuple[str, str]:
    """An article is known by its URI; one without a URI by its headline (so it still counts, once)."""
    return str(record["id"]), record.get("uri") or f"(no uri) {record.get('headline')}"


def read_files(out_dir: Path) -> tuple[list[tuple[str, str]], int, list[str], int]:
    """(id, uri) of every record in finished files, their total bytes, leftover ``_open-``/``.tmp-`` names,
    and the number of finished files fastavro could not read."""
    pairs, size, leftovers, bad = [], 0, [], 0
    for path in sorted(out_dir.iterdir()) if out_dir.exists() else []:
        if path.name.startswith(("_open-", ".tmp-")):
            leftovers.append(path.name)
        if path.name.startswith((".", "_")) or not path.is_file():
            continue
        size += path.stat().st_size
        try:
            with open(path, "rb") as fh:
                pairs += [_id_uri(r) for r in fastavro.reader(fh)]
        except Exception:  # a torn file is a finding, not a crash of the instrument
            bad += 1
    return pairs, size, leftovers, bad


def measure(s: Scene, m: Measurement, good_uris: set[str], poison: list[Poison] = ()) -> Measurement:
    """Fill ``m`` from the output topic, the dead-letter topic and the out dir (after the final drain)."""
    watch = ItemWatch(s.kafka)
    watch.reader.read_to_idle()
    watch.poll(0)
    watch.close()
    topic_pairs = watch.pairs
    file_pairs, file_bytes, leftovers, bad_files = read_files(s.out_dir)
    topic_ids = collections.Counter(i for i, _ in topic_pairs)
    file_ids = collections.Counter(i for i, _ in file_pairs)
    uris_of: dict[str, set[str]] = collections.defaultdict(set)
    for i, u in topic_pairs + file_pairs:
        uris_of[i].add(u)
    out_uris = {u for _, u in topic_pairs}
    m.items_in = len(good_uris) + len(poison)
    m.articles_out = len(out_uris)
    m.lost = len(good_uris - out_uris)
    m.shared_ids = sum(1 for us in uris_of.values() if len(us) > 1)
    m.split_clusters = sum(1 for cs in watch.clusters.values() if len(cs) > 1)
    m.files_diff = len(set(topic_ids) ^ set(file_ids)) + sum(
        n > topic_ids[i] for i, n in file_ids.items() if i in topic_ids
    )
    m.leftovers = len(leftovers)
    m.extra.update(file_bytes=file_bytes, topic_records=len(topic_pairs), file_records=len(file_pairs))
    if watch.undecodable:
        m.notes.append(f"{watch.undecodable} undecodable output records")
    if bad_files:
        m.notes.append(f"{bad_files} unreadable finished files")
    if leftovers:
        m.notes.append(
            f"leftover {', '.join(sorted({n.split('-')[0] + '-' for n in leftovers}))} x{len(leftovers)}"
        )
    dups = sum(n - 1 for n in topic_ids.values() if n > 1)
    if dups:
        m.notes.append(f"{dups} repeated ids on topic")
    reader = TopicReader(s.kafka, TOPICS.dead_letter)
    letters = []
    for msg in reader.read_to_idle():
        try:
            letters.append(decode_failure(msg.value))
        except Exception:
            m.notes.append("undecodable dead letter")
    reader.close()
    m.dead_letters = len(letters)
    coords = collections.Counter(
        (f.reason, f.source_topic, f.source_partition, f.source_offset) for f in letters
    )
    m.dlq_repeats = sum(n - 1 for n in coords.values() if n > 1)
    if m.dlq_repeats:
        m.notes.append(f"{m.dlq_repeats} dead letters written twice")
    for p in poison:
        hits = [f for f in letters if f.source_key == p.key]
        m.poison_letters[p.label] = len(hits)
        seen = [u for u in out_uris if p.link and (p.link.split("//", 1)[-1] in u or "(no uri)" in u)]
        m.poison_out[p.label] = bool(seen)
        m.poison_outcomes[p.label] = ", ".join(
            [
                f"{len(hits)} dead letter(s) {hits[0].stage}: {hits[0].reason[:70]}"
                if hits
                else "no dead letter"
            ]
            + (["article out"] if seen else [])
        )
    m.notes += [f"HARNESS KILLED {p.name} AT ITS DEADLINE" for p in s.procs if p.timed_out]
    m.peak_rss_mb = max((p.peak_rss_kb for p in s.procs), default=0) / 1024
    return m
