"""The attacks: each scenario builds a fresh world, injects its fault for real, ends with one final drain, measures.

In: sizes.  Out: one ``Measurement`` per scenario (see tests/faults/run.py for the table and the definitions).
Every wait has a deadline; a trigger that never comes is reported in the notes, and the kill happens anyway.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from pipeline.avro.codec import decode_failure, decode_raw_entry, encode_raw_entry
from pipeline.devserver import Behaviour, DevServer
from pipeline.model import RawEntry
from tests.faults.harness import (
    CLI,
    TOPICS,
    ItemWatch,
    Measurement,
    Scene,
    TopicReader,
    entry_records,
    generate,
    measure,
    poison_records,
    process_tree,
    produce,
    read_files,
    roll_flags,
    run_help,
    scene,
    wait_committed,
)

FINAL_DRAIN_S = 900.0  # a drain of up to ~3,000 items; a soak drain gets soak_deadline(n)
POLLER_RECOVERY_S = 120.0  # the poller's lease on a claimed feed was 900 s on 2026-11-27


def _deadline(n: int) -> float:
    """Generous time for a stream to start and move ``n`` items on a shared 2-core machine."""
    return 90.0 + n / 15


def soak_deadline(n: int) -> float:
    """A 30k drain took 15-20 min on the shared 2-core machine (2026-11-27): allow ~15 items/s."""
    return max(FINAL_DRAIN_S, n / 15)


def final_drain(s: Scene, m: Measurement, limit_s: float = FINAL_DRAIN_S) -> None:
    m.exit_codes.append(s.pipeline("drain", "final-drain").wait(limit_s))


def _all_out(uris: set[str]) -> Callable[[ItemWatch], bool]:
    return lambda w: uris <= w.uris()


def crash_stream(trigger: str, n: int, keep: Path | None = None) -> Measurement:
    """SIGKILL ``run --mode stream`` at ``trigger`` (first | steady | roll), restart it, wait until every article is
    out, SIGTERM, final drain.  The last tenth of the articles is produced only after the kill: the restart must
    work them, so it is past its start-up when it gets SIGTERM.  A restart with nothing left to do (the killed run
    had finished and committed everything first, likelier on a loaded machine) was SIGTERMed 0.01 s after its spawn
    and died by the signal, -15; a run of the fault tests on two pytest workers failed the exit-code test once,
    probably so (its exit codes were not kept)."""
    names = {
        "first": "kill in first bundle",
        "steady": "kill in steady state",
        "roll": "kill during file roll",
    }
    m = Measurement(f"{names[trigger]} ({n})")
    with scene(trigger, keep) as s:
        good = generate(n, seed=len(trigger))
        uris = {e.link for e in good}
        later = max(1, n // 10)
        produce(s.kafka, TOPICS.raw, entry_records(good[:-later]))
        watch = ItemWatch(s.kafka)
        flags = roll_flags(run_help())
        if flags:
            m.notes.append("run " + " ".join(flags))
        proc = s.pipeline("stream", "stream", flags)
        limit = _deadline(n)
        if trigger == "first":
            hit = watch.wait(lambda w: len(w.pairs) >= 1, limit)
        elif trigger == "steady":
            hit = watch.wait(lambda w: len(w.uris()) >= n // 2, limit)
        else:  # the first new .tmp-/_open- file once records flow
            hit = watch.wait(lambda w: len(w.pairs) >= 1, limit)
            name = s.wait_for_file(proc, limit) if hit is not None else None
            hit = None if name is None else hit
            m.notes.append(f"killed at {name.split('-')[0]}- file" if name else "no new file seen")
        if hit is None:
            m.notes.append("trigger not reached before the deadline")
        m.exit_codes.append(proc.kill())
        watch.reader.read_to_idle(1.0)
        watch.poll(0)
        m.notes.append(f"{len(watch.uris())}/{n} out at kill")
        produce(s.kafka, TOPICS.raw, entry_records(good[-later:]))
        restart = s.pipeline("stream", "restart", flags)
        m.recovery_s = watch.wait(_all_out(uris), limit)
        if wait_committed(s.kafka, TOPICS.raw, n, limit) is None:  # the restart is up and caught up
            m.notes.append("restart never committed the raw topic's end")
        m.exit_codes.append(restart.terminate())
        watch.close()
        final_drain(s, m)
        return measure(s, m, uris)


def _maps(pid: int, library: str) -> bool:
    """Whether process ``pid`` has ``library`` mapped (False once it is gone)."""
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _kill(m: Measurement, pids: list[int]) -> None:
    """SIGKILL each of ``pids``; ``m.extra["killed"]``: how many were still there to kill."""
    m.extra["killed"] = 0
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            m.extra["killed"] += 1


def kill_worker(n: int, keep: Path | None = None, workers: int = 1) -> Measurement:
    """SIGKILL an enrich pool worker of the drain once articles flow: the pipeline process enriches the rest itself
    (pooled.py), the drain exits 0, and the final drain finds nothing left.  A worker is a child that loaded
    fastText (language ID): the file sink, the other spawned child, never does.  With ``workers=2`` (a worker per
    core, as with NER) one of the two is killed, and the other must not keep the pool waiting
    (pool.guard_result_pipe)."""
    m = Measurement(
        f"kill enrich worker ({n})" if workers == 1 else f"kill 1 of {workers} enrich workers ({n})"
    )
    with scene("worker", keep) as s:
        good = generate(n, seed=9)
        uris = {e.link for e in good}
        produce(s.kafka, TOPICS.raw, entry_records(good))
        watch = ItemWatch(s.kafka)
        proc = s.pipeline("drain", "drain", ["--enrich-processes", str(workers)])
        hit = watch.wait(lambda w: len(w.pairs) >= 1, _deadline(n))
        found = [p for p in process_tree(proc.pid)[1:] if _maps(p, "fasttext")]
        if hit is None or len(found) < workers:
            m.notes.append(
                f"no output or fewer than {workers} enrich workers seen ({len(found)}): nothing killed"
            )
            found = []
        _kill(m, found[:1])
        watch.poll(0)
        m.notes.append(f"{m.extra['killed']} worker(s) killed at {len(watch.uris())}/{n} out")
        m.exit_codes.append(proc.wait(FINAL_DRAIN_S))
        m.extra["log"] = proc.tail(400)
        watch.close()
        final_drain(s, m)
        return measure(s, m, uris)


def _spawned(pid: int) -> bool:
    """A ``multiprocessing`` spawn child (not its resource tracker)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"spawn_main" in cmdline and b"resource_tracker" not in cmdline


def _files_vs_topic(s: Scene) -> int:
    """Ids in the finished files but not on the output topic, or the other way round, or twice in the files."""
    watch = ItemWatch(s.kafka)
    watch.reader.read_to_idle()
    watch.poll(0)
    watch.close()
    topic = {i for i, _ in watch.pairs}
    files = collections.Counter(i for i, _ in read_files(s.out_dir)[0])
    return len(topic ^ set(files)) + sum(n > 1 for n in files.values())


def kill_file_sink(n: int, keep: Path | None = None) -> Measurement:
    """SIGKILL the drain's file sink process once files are being finished: the pipeline process starts a new
    one (files/background.py), the drain exits 0, and its files already equal the topic before the final drain.
    No enrich pool (``--enrich-processes 0``), so the sink is the run's only spawned child."""
    m = Measurement(f"kill file sink ({n})")
    with scene("sink", keep) as s:
        good = generate(n, seed=8)
        uris = {e.link for e in good}
        produce(s.kafka, TOPICS.raw, entry_records(good))
        flags = roll_flags(run_help())
        proc = s.pipeline("drain", "drain", [*flags, "--enrich-processes", "0"])
        name = s.wait_for_file(proc, _deadline(n))
        sinks = [p for p in process_tree(proc.pid)[1:] if _spawned(p)]
        if name is None or not sinks:
            m.notes.append("no file started or no sink process seen: nothing killed")
        _kill(m, sinks)
        m.notes.append(f"{m.extra['killed']} sink process(es) killed at {name}")
        m.exit_codes.append(proc.wait(FINAL_DRAIN_S))
        m.extra["log"] = proc.tail(400)
        m.extra["files_diff_before_final"] = _files_vs_topic(s)
        m.notes.append(f"files vs topic before the final drain: {m.extra['files_diff_before_final']}")
        final_drain(s, m)
        return measure(s, m, uris)


def poison(n: int, keep: Path | None = None) -> Measurement:
    """Good entries with four poison records among them; a drain, then the final drain."""
    m = Measurement(f"poison input ({n} + 4)")
    with scene("poison", keep) as s:
        entries = generate(n + 2, seed=5)
        good, bad = entries[:n], poison_records(entries[n:])
        records = entry_records(good)
        for i, p in enumerate(bad):  # spread through the topic
            records.insert((i + 1) * len(records) // (len(bad) + 1), (p.key, p.value))
        produce(s.kafka, TOPICS.raw, records)
        m.exit_codes.append(s.pipeline("drain", "drain").wait(FINAL_DRAIN_S))
        final_drain(s, m)
        return measure(s, m, {e.link for e in good}, bad)


CRASH_MARKER = "ZZCRASHES"  # tests/faults/crash_site: a record with it SIGKILLs the process that enriches it
CRASH_SITE = Path(__file__).resolve().parent / "crash_site"


@contextlib.contextmanager
def crashing_on(marker: str):
    """Processes started inside (the CLI and what it spawns) enrich a dispatch holding ``marker`` by dying."""
    saved = {k: os.environ.get(k) for k in ("NEWS_TEST_CRASH_ON", "PYTHONPATH")}
    os.environ["NEWS_TEST_CRASH_ON"] = marker
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(CRASH_SITE), saved["PYTHONPATH"]) if p)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def poison_crash(n: int, keep: Path | None = None, here: bool = False) -> Measurement:
    """A valid entry whose enrichment SIGKILLs whichever process works it (as a crash in a model's native code
    would), among ``n`` good ones.

    Default: a drain whose stage workers own every core (the pipeline process enriches nothing while the pool
    stands): the entry kills its worker, then two workers that work it alone (enrich/isolate.py), and is
    dead-lettered; the drain exits 0.  Before, the pipeline process enriched the dead worker's batches itself and
    died on it (exit -9, and again on every run after).

    ``here``: no pool (``--enrich-processes 0``): the pipeline process enriches the entry itself and dies (-9); the
    next drain finds the batch it was working in its journal (beam/journal.py), works that batch in isolated
    workers, and dead-letters the entry; it exits 0.  Before, every drain died on it.

    Either way every other article comes out once, in the files too."""
    m = Measurement(f"poison crash {'in the pipeline process' if here else 'in a worker'} ({n} + 1)")
    with scene("crash", keep) as s, crashing_on(CRASH_MARKER):
        entries = generate(n + 1, seed=6)
        good, victim = entries[:n], entries[n]
        victim = dataclasses.replace(victim, title=f"{victim.title} {CRASH_MARKER}")
        records = entry_records(good)
        records.insert(len(records) // 2, (b"poison-crash", encode_raw_entry(victim)))
        produce(s.kafka, TOPICS.raw, records)
        workers = 0 if here else max(2, len(os.sched_getaffinity(0)))  # 0, or a worker per core
        logs = []
        for attempt in range(2 if here else 1):  # ``here``: the drain that dies, then the one that recovers
            proc = s.pipeline("drain", f"drain{attempt}", ["--enrich-processes", str(workers)])
            m.exit_codes.append(proc.wait(FINAL_DRAIN_S))
            logs.append(proc.tail(400))
        m.extra["log"] = "\n".join(logs)
        final_drain(s, m)
        m = measure(s, m, {e.link for e in good})
        m.items_in += 1
        # an enrich-stage dead letter keeps the dispatch (as JSON) and its raw record's coordinates, not its key
        hits = [f for f in dead_letters(s) if f.original and CRASH_MARKER.encode() in f.original]
        label = "crashes whatever enriches it"
        m.poison_letters[label] = len(hits)
        m.poison_outcomes[label] = (
            f"{len(hits)} dead letter(s) {hits[0].stage} {hits[0].error_type}: {hits[0].reason[:70]}"
            if hits
            else "no dead letter"
        )
        m.extra["letters"] = [(f.stage, f.error_type, f.source_topic) for f in hits]
        return m


def dead_letters(s: Scene) -> list:
    reader = TopicReader(s.kafka, TOPICS.dead_letter)
    try:
        return [decode_failure(msg.value) for msg in reader.read_to_idle()]
    finally:
        reader.close()


def soak(n: int, keep: Path | None = None, marks: tuple[int, ...] = (), mode: str = "drain") -> Measurement:
    """``n`` distinct items through ``run --mode drain`` (or ``stream``, stopped by its idle timeout): RSS when
    10k/20k/30k articles are out, bytes written vs output file bytes."""
    marks = marks or tuple(k for k in (10_000, 20_000, 30_000) if k <= n) or (n,)
    m = Measurement(f"soak {mode} ({n})")
    m.extra["mode"] = mode
    with scene("soak", keep) as s:
        good = generate(n, seed=11)
        uris = {e.link for e in good}
        produce(s.kafka, TOPICS.raw, entry_records(good))
        watch = ItemWatch(s.kafka)
        t0 = time.monotonic()
        proc = s.pipeline(mode, "soak", ["--idle-stop", "30"] if mode == "stream" else [])
        rss_at: dict[int, float] = {}
        while proc.alive() and time.monotonic() - t0 < soak_deadline(n):
            watch.poll(200)
            for k in marks:
                if k not in rss_at and len(watch.uris()) >= k:
                    rss_at[k] = proc.rss_kb / 1024
        m.exit_codes.append(proc.wait(30))
        m.extra["seconds"] = time.monotonic() - t0
        watch.reader.read_to_idle(2.0)
        watch.poll(0)
        for k in marks:  # passed while the watcher lagged behind the exiting drain: its last sample
            if k not in rss_at and len(watch.uris()) >= k:
                rss_at[k] = proc.rss_kb / 1024
                m.notes.append(f"RSS at {k:,} = last sample before exit")
        watch.close()
        m.extra["rss_at"] = rss_at
        m.extra["write_bytes"] = proc.tree_write_bytes
        m.extra["soak_peak_rss_mb"] = proc.peak_rss_kb / 1024
        # its speed depends on the stage pool it chose at start (the machine's load then): the line it printed
        pool = [line for line in proc.log.read_text(errors="replace").splitlines() if "stage pool:" in line]
        m.extra["pool"] = pool[0].split("stage pool:", 1)[1].strip() if pool else "not reported"
        final_drain(s, m, soak_deadline(n))
        return measure(s, m, uris)


# -- the poller ----------------------------------------------------------------------------------------------
def rss_document(entries: list[RawEntry]) -> bytes:
    items = "".join(
        f"<item><title>{e.title}</title><link>{e.link}</link><guid>{e.guid}</guid>"
        f"<pubDate>{e.published_raw}</pubDate><description><![CDATA[{e.content}]]></description></item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Faults wire</title>'
        f"<link>http://127.0.0.1/</link><description>generated</description><language>en</language>{items}"
        "</channel></rss>"
    ).encode()


def kill_poller(feeds: int, per_feed: int, keep: Path | None = None) -> Measurement:
    """``poll --loop`` over ``feeds`` loopback feeds (each answers after 0.3 s), SIGKILL when about half the entries
    are on the raw topic, restart, wait until every entry is on the raw topic, SIGTERM, final drain."""
    n = feeds * per_feed
    m = Measurement(f"kill poller mid-round ({feeds}x{per_feed})")
    with scene("poller", keep) as s, DevServer() as web:
        good = generate(n, seed=3, host="poller.example.com")
        uris = {e.link for e in good}
        urls = []
        for f in range(feeds):
            path = f"feeds/{f}.xml"
            web.put(path, rss_document(good[f * per_feed : (f + 1) * per_feed]))
            web.script(path, Behaviour(delay_s=0.3, times=2))
            urls.append(web.url_for(path))
        feeds_yaml = s.root / "feeds.yaml"
        feeds_yaml.write_text(yaml.safe_dump({"feeds": urls}))
        argv = [
            CLI, "poll", "--loop", "--bootstrap-servers", s.broker.bootstrap_servers,
            "--state", str(s.root / "poller.sqlite3"), "--feeds", str(feeds_yaml),
            "--raw-topic", TOPICS.raw, "--dead-letter-topic", TOPICS.dead_letter,
            "--allow-private-hosts", "127.0.0.1", "--per-host-rate", "20", "--per-host-concurrency", "4",
            "--workers", "4",
        ]  # fmt: skip
        raw = TopicReader(s.kafka, TOPICS.raw)
        links: list[str] = []

        def read_raw(limit_s: float, done: Callable[[], bool]) -> float | None:
            t0 = time.monotonic()
            while time.monotonic() - t0 < limit_s:
                start = len(raw.records)
                raw.poll(20)
                links.extend(decode_raw_entry(r.value).link or "" for r in raw.records[start:])
                if done():
                    return time.monotonic() - t0
            return None

        proc = s.start("poll", argv)
        if read_raw(120, lambda: len(set(links)) >= n // 2) is None:
            m.notes.append("trigger not reached before the deadline")
        m.notes.append(f"{len(set(links))}/{n} on raw at kill")
        m.exit_codes.append(proc.kill())
        restart = s.start("poll-restart", argv)
        m.recovery_s = read_raw(POLLER_RECOVERY_S, lambda: uris <= set(links))
        m.notes.append("recovery = restart -> every entry on news.raw")
        m.exit_codes.append(restart.terminate())
        read_raw(2, lambda: False)
        raw.close()
        m.notes.append(f"raw repeats {len(links) - len(set(links))}, {len(uris - set(links))} never polled")
        final_drain(s, m)
        return measure(s, m, uris)


SCENARIOS = (
    "first", "steady", "roll", "worker", "worker2", "sink", "poller", "poison", "crash", "crash-here", "soak",
    "soak-stream",
)  # fmt: skip
