"""The pipeline's one ``PipelineOptions`` subclass, and its conversion to typed ``PipelineSettings``.

In: command-line flags (also what Dataflow flex templates pass as parameters).  Out: validated settings for the
graph builder; secrets (SASL password) come from an environment variable named by a flag, never from argv.
"""

from __future__ import annotations

import os

from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings


class NewsPipelineOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument(
            "--kafka_bootstrap_servers", default=None, help="Kafka bootstrap servers host:port[,...]"
        )
        parser.add_argument("--raw_topic", default=TopicSettings().raw, help="Topic the poller writes")
        parser.add_argument(
            "--output_topic", default=TopicSettings().output, help="Topic of news_item records"
        )
        parser.add_argument(
            "--dead_letter_topic", default=TopicSettings().dead_letter, help="Failure records"
        )
        parser.add_argument("--audit_topic", default=TopicSettings().audit, help="Duplicate notices")
        parser.add_argument(
            "--consumer_group", default="news-pipeline", help="Group whose offsets are committed"
        )
        parser.add_argument(
            "--read_mode",
            choices=["drain", "stream"],
            default="drain",
            help="drain: read to the end then stop; stream: keep reading",
        )
        parser.add_argument(
            "--out_dir", default="out", help="Directory or gs:// path for Avro files ('' = none)"
        )
        parser.add_argument(
            "--dedup_horizon_s", type=int, default=7 * 24 * 3600, help="How long dedup remembers"
        )
        parser.add_argument(
            "--idle_stop_s", type=float, default=None, help="stream mode: stop when idle this long"
        )
        parser.add_argument("--ner", choices=["on", "off"], default="on", help="Named-entity recognition")
        parser.add_argument(
            "--kafka_io",
            choices=["python", "xlang"],
            default="python",
            help="python: this project's kafka-python IO; xlang: Beam's Java ReadFromKafka",
        )
        parser.add_argument(
            "--security_protocol",
            default="PLAINTEXT",
            choices=["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"],
        )
        parser.add_argument(
            "--sasl_mechanism", default=None, choices=["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
        )
        parser.add_argument("--sasl_username", default=None)
        parser.add_argument(
            "--sasl_password_env",
            default="KAFKA_SASL_PASSWORD",
            help="Name of the environment variable holding the SASL password",
        )
        parser.add_argument(
            "--sasl_password_secret",
            default=None,
            help="Secret Manager name of the SASL password (projects/P/secrets/S[/versions/V]); read on workers",
        )
        parser.add_argument(
            "--schema_registry_url",
            default=None,
            help="Confluent-compatible schema registry (http(s)://); output then uses the Confluent wire format",
        )
        parser.add_argument(
            "--subject_strategy", default="topic", choices=["topic", "record", "topic-record"]
        )
        parser.add_argument("--ssl_cafile", default=None, help="CA bundle for the brokers' certificates")
        parser.add_argument("--ssl_certfile", default=None, help="client certificate (mutual TLS)")
        parser.add_argument("--ssl_keyfile", default=None, help="client private key (mutual TLS)")
        parser.add_argument(
            "--ssl_check_hostname",
            choices=["true", "false"],
            default="true",
            help="verify that the broker certificate matches its host name",
        )

    def settings(self) -> PipelineSettings:
        o = self.get_all_options()
        password = os.environ.get(o["sasl_password_env"]) if o["sasl_mechanism"] else None
        kafka = KafkaSettings(
            bootstrap_servers=o["kafka_bootstrap_servers"] or KafkaSettings().bootstrap_servers,
            security_protocol=o["security_protocol"],
            sasl_mechanism=o["sasl_mechanism"],
            sasl_username=o["sasl_username"],
            sasl_password=password,
            sasl_password_secret=o["sasl_password_secret"],
            ssl_cafile=o["ssl_cafile"],
            ssl_certfile=o["ssl_certfile"],
            ssl_keyfile=o["ssl_keyfile"],
            ssl_check_hostname=o["ssl_check_hostname"] == "true",
        )
        topics = TopicSettings(
            raw=o["raw_topic"],
            output=o["output_topic"],
            dead_letter=o["dead_letter_topic"],
            audit=o["audit_topic"],
        )
        return PipelineSettings(
            kafka=kafka,
            topics=topics,
            consumer_group=o["consumer_group"],
            mode=o["read_mode"],
            out_dir=o["out_dir"],
            dedup_horizon_s=o["dedup_horizon_s"],
            idle_stop_s=o["idle_stop_s"],
            ner=o["ner"] == "on",
            kafka_io=o["kafka_io"],
            schema_registry_url=o["schema_registry_url"],
            subject_strategy=o["subject_strategy"],
        )
