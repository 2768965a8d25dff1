"""Every pipeline option, declared once: a table of ``PipelineSettings`` fields with their flag names and help.

In: the pydantic settings (types, defaults, choices come from there) and this table (names, help, where each option
applies).  Out: the ``news-pipeline run`` flags, the Beam ``PipelineOptions`` arguments, ``make_options``' argv
and the flex template's parameters (``python -m pipeline.deploy.metadata`` writes deploy/dataflow/metadata.json).
No Beam import here: the CLI builds its parser without loading Beam.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from pipeline.settings import PipelineSettings

_UNSET: Any = object()


@dataclass(frozen=True)
class Option:
    path: str  # dotted field of PipelineSettings: "topics.raw", "kafka.ssl_cafile"
    name: str  # Beam option and flex-template parameter (snake_case)
    help: str
    cli: str | None = None  # flag on `news-pipeline run`; default: --<name with dashes>
    common: bool = False  # the CLI flag comes from the Kafka flags every command shares (cli._common)
    template: bool = True  # a flex-template parameter (False: only meaningful beside a local run)
    words: tuple[str, str] | None = None  # a bool spelled (true word, false word) in Beam and the template
    template_default: Any = _UNSET  # the Dataflow job's own default where it differs (it streams)
    param_type: str = "TEXT"
    regex: str | None = None  # template validation beyond what the type implies
    label: str | None = None
    cli_help: str | None = None  # the CLI's wording where the flag reads differently (--no-ner)

    @property
    def flag(self) -> str:
        return self.cli or "--" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS: tuple[Option, ...] = (
    Option("kafka.bootstrap_servers", "kafka_bootstrap_servers", "Kafka bootstrap servers host:port[,...]",
           cli="--bootstrap-servers", common=True, label="Kafka bootstrap servers"),
    Option("topics.raw", "raw_topic", "Topic the poller writes"),
    Option("topics.output", "output_topic", "Topic of news_item records"),
    Option("topics.dead_letter", "dead_letter_topic", "Failure records"),
    Option("topics.audit", "audit_topic", "Duplicate notices"),
    Option("topics.partitions", "topic_partitions", "Partitions of topics the run creates"),
    Option("consumer_group", "consumer_group", "Group whose offsets are committed", cli="--group"),
    Option("mode", "read_mode", "drain: committed offsets to the end, then exit; stream: until stopped",
           cli="--mode", template_default="stream"),
    Option("out_dir", "out_dir", "Directory or gs:// path for Avro files ('' to disable)",
           template_default="", param_type="GCS_WRITE_FOLDER"),
    Option("files.roll_s", "file_roll_s", "An Avro file is finished this long after its first record",
           cli="--roll-seconds", template=False),
    Option("files.roll_records", "file_roll_records", "An Avro file is finished at this many records",
           cli="--roll-records", template=False),
    Option("files.roll_bytes", "file_roll_bytes", "An Avro file is finished at this many payload bytes",
           cli="--roll-bytes", template=False),
    Option("files.codec", "file_codec", "Avro file compression", template=False),
    Option("commit_interval_s", "commit_interval_s", "Seconds between offset commits, one bundle per read chunk "
           "(unset: 1 in stream mode, 5 in drain mode)", cli="--commit-interval"),
    Option("max_record_bytes", "max_record_bytes", "Largest encoded news_item sent; larger ones are dead letters"),
    Option("dedup_horizon_s", "dedup_horizon_s", "How long dedup remembers (seconds)", cli="--dedup-horizon"),
    Option("dedup_state", "dedup_state", "Where dedup keeps state: keyed Beam state, or one in-process index"),
    Option("dedup_max_items", "dedup_max_items", "Stories an in-process dedup index tracks at most"),
    Option("max_poll_interval_ms", "max_poll_interval_ms", "Kafka consumer max.poll.interval.ms (group joins)"),
    Option("idle_stop_s", "idle_stop_s", "stream mode: stop after this many idle seconds", cli="--idle-stop"),
    Option("ner", "ner", "Named-entity recognition", cli="--no-ner", words=("on", "off"),
           cli_help="skip named-entity recognition (faster)"),
    Option("enrich_processes", "enrich_processes", "Enrich worker processes beside a local run (unset: automatic, "
           "by NER, cores and load; 0: none); never on Dataflow", cli="--enrich-processes", template=False),
    Option("kafka_io", "kafka_io", "python: this project's kafka-python IO; xlang: Beam's Java ReadFromKafka "
           "(needs Java and the expansion service; for Dataflow)"),
    Option("schema_registry_url", "schema_registry_url",
           "Write the Confluent wire format, registering schemas in this Confluent-compatible registry (http(s)://; "
           "default: Avro single-object encoding)", regex="^https?://.+$", label="Schema registry URL"),
    Option("subject_strategy", "subject_strategy", "Registry subject naming (with a schema registry URL)"),
    Option("kafka.security_protocol", "security_protocol", "Kafka security protocol", common=True),
    Option("kafka.sasl_mechanism", "sasl_mechanism", "SASL mechanism", common=True),
    Option("kafka.sasl_username", "sasl_username", "SASL user name", common=True),
    Option("kafka.sasl_password_env", "sasl_password_env",
           "Name of the environment variable holding the SASL password, read where clients are built "
           "(not on Dataflow: use sasl_password_secret)", common=True),
    Option("kafka.sasl_password_secret", "sasl_password_secret",
           "Secret Manager name of the SASL password (projects/P/secrets/S[/versions/V]); read on workers",
           common=True),
    Option("kafka.ssl_cafile", "ssl_cafile", "CA bundle for the brokers' certificates", common=True),
    Option("kafka.ssl_certfile", "ssl_certfile", "Client certificate (mutual TLS)", common=True),
    Option("kafka.ssl_keyfile", "ssl_keyfile", "Client private key (mutual TLS)", common=True),
    Option("kafka.idempotence", "producer_idempotence",
           "Idempotent producers (auto: on, except on tansu, which can lose a retried batch after a crash)",
           cli="--idempotence", common=True),
    Option("kafka.ssl_check_hostname", "ssl_check_hostname",
           "Verify that the broker certificate matches its host name", words=("true", "false")),
)  # fmt: skip


@dataclass(frozen=True)
class FieldType:
    base: type  # str, int, float or bool
    choices: tuple[str, ...] | None
    optional: bool
    default: Any


def field_type(path: str) -> FieldType:
    """Type, choices and default of a dotted PipelineSettings field, read from the pydantic model."""
    model: type[BaseModel] = PipelineSettings
    *parents, leaf = path.split(".")
    for part in parents:
        model = model.model_fields[part].annotation  # type: ignore[assignment]
    info = model.model_fields[leaf]
    ann, optional = info.annotation, False
    if isinstance(ann, types.UnionType) or typing.get_origin(ann) is typing.Union:
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        ann, optional = args[0], True
    choices = None
    if typing.get_origin(ann) is Literal:
        choices, ann = tuple(typing.get_args(ann)), str
    return FieldType(ann, choices, optional, info.default)  # type: ignore[arg-type]


def _to_text(opt: Option, value: Any) -> str | None:
    if value is None:
        return None
    if opt.words:
        return opt.words[0] if value else opt.words[1]
    return str(value)


def _parser_kwargs(opt: Option) -> dict[str, Any]:
    ft = field_type(opt.path)
    if opt.words:
        return {"choices": list(opt.words), "default": _to_text(opt, ft.default)}
    kw: dict[str, Any] = {"default": ft.default}
    if ft.choices:
        kw["choices"] = list(ft.choices)
    elif ft.base in (int, float):
        kw["type"] = ft.base
    return kw


def add_beam_args(parser: Any) -> None:
    """The pipeline's arguments on Beam's ``PipelineOptions`` parser (``--<name>``)."""
    for opt in OPTIONS:
        kw = _parser_kwargs(opt)
        if opt.path == "kafka.bootstrap_servers":
            kw["default"] = None  # flex templates require it; a local run falls back to the settings default
        parser.add_argument(f"--{opt.name}", help=opt.help, **kw)


def add_run_args(parser: argparse.ArgumentParser) -> None:
    """``news-pipeline run`` flags for every option the shared Kafka flags do not already declare."""
    for opt in OPTIONS:
        if opt.common:
            continue
        text = opt.cli_help or opt.help[:1].lower() + opt.help[1:]
        if opt.words and opt.flag.startswith("--no-"):
            parser.add_argument(opt.flag, dest=opt.dest, action="store_true", help=text)
            continue
        parser.add_argument(
            opt.flag, dest=opt.dest, help=text, **_parser_kwargs(opt)
        )  # the Parser shows defaults


def _value(opt: Option, raw: Any) -> Any:
    if opt.words and isinstance(raw, str):
        return raw == opt.words[0]
    return raw


def settings_from(values: Mapping[str, Any]) -> PipelineSettings:
    """PipelineSettings from option values keyed by option name (absent or None: the settings default)."""
    tree: dict[str, Any] = {}
    for opt in OPTIONS:
        raw = values.get(opt.name)
        if raw is None:
            continue
        *parents, leaf = opt.path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _value(opt, raw)
    return PipelineSettings.model_validate(tree)


def settings_from_run_args(args: argparse.Namespace, bootstrap_servers: str) -> PipelineSettings:
    """The ``run`` command's settings: every option's flag (``--no-ner`` inverts), servers resolved by the CLI."""
    values: dict[str, Any] = {}
    for opt in OPTIONS:
        raw = getattr(args, opt.dest, None)
        if opt.words and opt.flag.startswith("--no-"):
            raw = opt.words[1] if raw else opt.words[0]
        values[opt.name] = raw
    values["kafka_bootstrap_servers"] = bootstrap_servers
    return settings_from(values)


def beam_argv(settings: PipelineSettings) -> list[str]:
    """``--name=value`` for every option that has a value: what a Beam ``PipelineOptions`` parses back."""
    argv = []
    for opt in OPTIONS:
        node: Any = settings
        for part in opt.path.split("."):
            node = getattr(node, part)
        text = _to_text(opt, node)
        if text is not None:
            argv.append(f"--{opt.name}={text}")
    return argv


def _regexes(opt: Option, ft: FieldType) -> list[str] | None:
    if opt.regex:
        return [opt.regex]
    if opt.words:
        return ["^(" + "|".join(opt.words) + ")$"]
    if ft.choices:
        return ["^(" + "|".join(ft.choices) + ")$"]
    if ft.base is int:
        return ["^[0-9]+$"]
    if ft.base is float:
        return ["^[0-9]+(\\.[0-9]+)?$"]
    return None


def template_parameters(options: Iterable[Option] = OPTIONS) -> list[dict[str, Any]]:
    """The flex template's ``parameters``: every option that applies on Dataflow, typed and described."""
    params = []
    for opt in options:
        if not opt.template:
            continue
        ft = field_type(opt.path)
        required = opt.path == "kafka.bootstrap_servers"
        p: dict[str, Any] = {
            "name": opt.name,
            "label": opt.label or opt.name.replace("_", " ").capitalize(),
            "helpText": opt.help.rstrip(".") + ".",
            "isOptional": not required,
            "paramType": opt.param_type,
        }
        regexes = _regexes(opt, ft)
        if regexes:
            p["regexes"] = regexes
        default = ft.default if opt.template_default is _UNSET else opt.template_default
        if not required and default is not None:
            p["defaultValue"] = _to_text(opt, default)
        params.append(p)
    return params
