"""A downstream service reading the output topic with kafka-python + fastavro, no project code needed.

Run: ``python examples/consumer.py --bootstrap-servers 127.0.0.1:9092 --topic news.items --schemas schemas/``
Records are Avro single-object encoded (``C3 01`` + 8-byte CRC-64-AVRO fingerprint + body): look the fingerprint
up among the schema versions you know (``schemas/*.avsc`` and ``schemas/history/``) and read with schema
resolution into the version you code against.  Commit after processing: delivery is at-least-once, so key your
writes by ``id`` (one id per story version) and a repeat is harmless.

Group settings: a group join waits for the members' rebalance timeout (``max_poll_interval_ms``), and on tansu the
whole of it, so the kafka-python defaults (300 s, session 45 s) make a first join take ~23 s and a restart after a
killed run wait for the dead member.  Short intervals (as the project's own clients use) join in a few seconds and
take over a killed run's partitions in ~16 s (its 8 s session, then one rebalance); keep your processing of one
poll under ``max_poll_interval_ms``.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

from fastavro import schemaless_reader
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form
from kafka import KafkaConsumer


def load_writers(folder: Path) -> dict[bytes, dict]:
    """Fingerprint -> parsed schema, for every .avsc you have (current and history)."""
    writers = {}
    for path in [*folder.glob("*.avsc"), *folder.glob("history/*.avsc")]:
        parsed = parse_schema(json.loads(path.read_text()))
        writers[bytes.fromhex(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))] = parsed
    return writers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    ap.add_argument("--topic", default="news.items")
    ap.add_argument("--group", default="my-service")
    ap.add_argument("--schemas", type=Path, default=Path("schemas"))
    ap.add_argument(
        "--max-messages", type=int, default=None, help="stop after this many records (default: run on)"
    )
    args = ap.parse_args()
    writers = load_writers(args.schemas)
    reader = parse_schema(json.loads((args.schemas / "news_item.avsc").read_text()))
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap_servers,
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=8000,  # tansu waits this long for every member when a group (re)joins
        session_timeout_ms=8000,  # a killed consumer's partitions are handed over after this
        heartbeat_interval_ms=2000,
    )
    seen = 0
    try:
        for msg in consumer:
            data = msg.value
            if data[:2] != b"\xc3\x01" or data[2:10] not in writers:
                print(f"skipping {msg.offset}: not a known single-object record")
                continue
            item = schemaless_reader(io.BytesIO(data[10:]), writers[data[2:10]], reader)
            # your processing here
            print(item["versioncreated"], item["language"], item["headline"], flush=True)
            consumer.commit()
            seen += 1
            if args.max_messages is not None and seen >= args.max_messages:
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
