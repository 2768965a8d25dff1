"""Poller throughput against newsboat: N feeds on a loopback server, two rounds, one table.

    .venv/bin/python bench/bench_poller.py                 # 5,000 feeds (about two minutes)
    .venv/bin/python bench/bench_poller.py --feeds 500     # quick look

Round 1: every feed is new (200).  Between rounds 25 % of the feeds get new entries; 70 % stay unchanged (so
the second round answers 304 to anyone who sends validators); 5 % always fail: half answer 500, half are slow
(``--slow-s`` before the answer).  The same files, server and URL list serve ``newsboat -x reload`` (Debian package
``newsboat``; ``apt-get install newsboat``), run with as many reload threads as the poller has workers.
The poller publishes to the embedded tansu broker; newsboat only writes its SQLite cache.  The table also shows
what the server saw from each tool: requests, how many were conditional, how many it answered 304.

Measured per round: wall time -> feeds/s, CPU seconds (user+sys of the tool's own process; the HTTP server and the
broker run in other processes and are reported on their own lines), peak RSS.  Loopback only, bounded in size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ITEM = """  <item>
    <title>Dispatch {feed}-{n}: {words}</title>
    <link>http://news.example/{feed}/{n}</link>
    <guid isPermaLink="false">urn:bench:{feed}:{n}</guid>
    <pubDate>{date}</pubDate>
    <description>{body}</description>
  </item>
"""
WORDS = [
    "ministers",
    "met",
    "on",
    "tuesday",
    "to",
    "discuss",
    "the",
    "budget",
    "while",
    "markets",
    "waited",
    "for",
    "the",
    "central",
    "bank",
    "decision",
    "and",
    "analysts",
    "said",
    "the",
    "outcome",
    "would",
    "shape",
    "the",
    "year",
]


def feed_xml(feed: int, first: int, items: int) -> str:
    out = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>\n<title>Bench feed {feed}</title>\n'
        f"<link>http://news.example/{feed}/</link>\n<description>generated</description>\n"
    ]
    for n in range(first + items - 1, first - 1, -1):
        words = " ".join(WORDS[(feed + n + i) % len(WORDS)] for i in range(8))
        body = " ".join(WORDS[(feed * 7 + n * 3 + i) % len(WORDS)] for i in range(60))
        out.append(
            ITEM.format(feed=feed, n=n, words=words, body=body, date=formatdate(1_700_000_000 + n * 600))
        )
    out.append("</channel></rss>\n")
    return "".join(out)


def kind_of(i: int) -> str:
    """70 % unchanged, 25 % new entries in round 2, 2.5 % HTTP 500, 2.5 % slow."""
    r = (i * 7919) % 1000
    return "unchanged" if r < 700 else "changing" if r < 950 else "error" if r < 975 else "slow"


def write_round(root: Path, n_feeds: int, items: int, round_no: int) -> None:
    for i in range(n_feeds):
        if round_no == 1 or kind_of(i) == "changing":
            first = 0 if round_no == 1 else 3  # round 2: three new entries on top, three old ones drop off
            (root / f"f{i}.xml").write_text(feed_xml(i, first, items), encoding="utf-8")


# -- the HTTP server, in its own process --------------------------------------------------------------------
def serve(root: str, n_feeds: int, slow_s: float, conn: mp.connection.Connection) -> None:
    from pipeline.devserver import Behaviour, DevServer

    with DevServer(root) as srv:
        for i in range(n_feeds):
            if kind_of(i) == "error":
                srv.script(f"f{i}.xml", Behaviour(status=500))
            elif kind_of(i) == "slow":
                srv.script(f"f{i}.xml", Behaviour(delay_s=slow_s))
        conn.send(srv.port)
        while conn.recv() == "stats":  # what the server saw since the last question; anything else stops it
            with srv._lock:
                hits, srv.hits = srv.hits, []
            conditional = sum(
                1 for h in hits if "if-none-match" in h.headers or "if-modified-since" in h.headers
            )
            conn.send(
                {"requests": len(hits), "conditional": conditional, "304": sum(h.status == 304 for h in hits)}
            )


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the poller, in its own process (one process for both rounds, as a long-running poller) ---------------------
def poller_child(args: argparse.Namespace) -> None:
    from pipeline.poller.runner import Poller
    from pipeline.poller.settings import PollerSettings
    from pipeline.settings import KafkaSettings, TopicSettings

    settings = PollerSettings(
        state_path=Path(args.state),
        allow_private_hosts=("127.0.0.1",),
        workers=args.workers,
        per_host_concurrency=args.workers,
        per_host_rate=1e9,
        per_host_burst=10**9,
        max_feeds_per_tick=10**6,
        read_timeout_s=30,
        total_timeout_s=60,
    )
    urls = Path(args.urls).read_text().split()
    with Poller(settings, KafkaSettings(bootstrap_servers=args.bootstrap), TopicSettings()) as poller:
        poller.sync(urls)
        for line in sys.stdin:
            if line.strip() != "go":
                break
            ru0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
            report = poller.run_once(force=True)
            wall = time.monotonic() - t0
            ru1 = resource.getrusage(resource.RUSAGE_SELF)
            rss_now = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            print(
                json.dumps(
                    {
                        "wall": wall,
                        "cpu": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime),
                        "peak_rss": ru1.ru_maxrss * 1024,
                        "rss": rss_now,
                        "report": str(report),
                        "not_modified": report.not_modified,
                        "ok": report.ok,
                        "errors": report.errors,
                        "sent": report.entries_sent + report.updates,
                    }
                ),
                flush=True,
            )


def run_newsboat(work: Path, urls: Path, threads: int) -> dict[str, float]:
    conf = work / "newsboat.conf"
    conf.write_text(f"reload-threads {threads}\nshow-read-feeds yes\nmax-items 0\n")
    cmd = [
        "newsboat",
        "-x",
        "reload",
        "-u",
        str(urls),
        "-c",
        str(work / "newsboat.cache.db"),
        "-C",
        str(conf),
    ]
    env = {**os.environ, "HOME": str(work), "XDG_DATA_HOME": str(work), "XDG_CONFIG_HOME": str(work)}
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=work)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    if status != 0:
        raise RuntimeError(
            f"newsboat exited with {status}: {proc.stderr.read().decode()[:500] if proc.stderr else ''}"
        )
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak_rss": ru.ru_maxrss * 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=5000)
    ap.add_argument("--items", type=int, default=15, help="entries per feed")
    ap.add_argument("--workers", type=int, default=16, help="poller workers = newsboat reload-threads")
    ap.add_argument("--slow-s", type=float, default=0.5)
    ap.add_argument("--skip-newsboat", action="store_true")
    ap.add_argument("--child-poller", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--state", help=argparse.SUPPRESS)
    ap.add_argument("--urls", help=argparse.SUPPRESS)
    ap.add_argument("--bootstrap", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_poller:
        poller_child(args)
        return 0

    from pipeline.bus.broker import EmbeddedBroker

    newsboat = shutil.which("newsboat")
    if not newsboat and not args.skip_newsboat:
        print(
            "newsboat not found: `apt-get update && apt-get install -y newsboat`, or pass --skip-newsboat",
            file=sys.stderr,
        )
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-poller-"))
    root = work / "feeds"
    root.mkdir()
    write_round(root, args.feeds, args.items, 1)
    parent_conn, child_conn = mp.Pipe()
    server = mp.get_context("spawn").Process(
        target=serve, args=(str(root), args.feeds, args.slow_s, child_conn)
    )
    server.start()
    port = parent_conn.recv()
    urls = work / "urls.txt"
    urls.write_text("".join(f"http://127.0.0.1:{port}/f{i}.xml\n" for i in range(args.feeds)))
    rows: list[tuple[str, int, dict]] = []
    extra: list[str] = []
    try:
        with EmbeddedBroker(storage="memory", state_dir=work / "broker") as broker:
            child = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--child-poller",
                    "--state",
                    str(work / "poller.sqlite3"),
                    "--urls",
                    str(urls),
                    "--bootstrap",
                    broker.bootstrap_servers,
                    "--workers",
                    str(args.workers),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=REPO,
            )
            for round_no in (1, 2):
                if round_no == 2:
                    write_round(root, args.feeds, args.items, 2)
                srv0, brk0 = proc_cpu_s(server.pid), proc_cpu_s(broker.proc.pid)
                child.stdin.write("go\n")
                child.stdin.flush()
                res = json.loads(child.stdout.readline())
                res["server_cpu"], res["broker_cpu"] = (
                    proc_cpu_s(server.pid) - srv0,
                    proc_cpu_s(broker.proc.pid) - brk0,
                )
                parent_conn.send("stats")
                res.update(parent_conn.recv())
                rows.append(("news-pipeline poller", round_no, res))
                extra.append(f"poller round {round_no}: {res['report']}")
                if newsboat and not args.skip_newsboat:
                    srv0 = proc_cpu_s(server.pid)
                    nb = run_newsboat(work, urls, args.workers)
                    nb["server_cpu"] = proc_cpu_s(server.pid) - srv0
                    parent_conn.send("stats")
                    nb.update(parent_conn.recv())
                    rows.append(("newsboat -x reload", round_no, nb))
            child.stdin.close()
            _, _, ru = os.wait4(child.pid, 0)
            extra.append(
                f"poller process total incl. start-up: {ru.ru_utime + ru.ru_stime:.1f} CPU s, "
                f"peak RSS {ru.ru_maxrss / 1024:.0f} MB"
            )
    finally:
        parent_conn.send("stop")
        server.join(10)
        shutil.rmtree(work, ignore_errors=True)
    print_table(rows, args, extra)
    return 0


def print_table(rows: list[tuple[str, int, dict]], args: argparse.Namespace, extra: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{args.feeds} feeds x 2 rounds, {args.workers} workers/threads, loopback "
        f"({os.cpu_count()} cores shared)"
    )
    for col in (
        "tool",
        "round",
        "wall s",
        "feeds/s",
        "CPU s",
        "peak RSS MB",
        "requests",
        "conditional",
        "304",
        "server CPU s",
        "broker CPU s",
    ):
        table.add_column(col, justify="left" if col == "tool" else "right")
    for tool, round_no, r in rows:
        table.add_row(
            tool,
            str(round_no),
            f"{r['wall']:.1f}",
            f"{args.feeds / r['wall']:.0f}",
            f"{r['cpu']:.1f}",
            f"{r['peak_rss'] / 2**20:.0f}",
            str(r["requests"]),
            str(r["conditional"]),
            str(r["304"]),
            f"{r.get('server_cpu', 0):.1f}",
            f"{r['broker_cpu']:.1f}" if "broker_cpu" in r else "-",
        )
    console = Console(width=160)
    console.print(table)
    for line in extra:
        console.print(line)


if __name__ == "__main__":
    sys.exit(main())
