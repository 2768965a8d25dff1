"""One declaration per option (pipeline/option_table.py): the ``run`` CLI, Beam's ``PipelineOptions``, ``make_options``
and the flex template's metadata.json all carry the same options with the same defaults and choices, and a
non-default value of every setting survives each path unchanged."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from pipeline.beam.options import NewsPipelineOptions
from pipeline.beam.run import make_options
from pipeline.cli import build_parser
from pipeline.deploy.metadata import METADATA, render
from pipeline.option_table import OPTIONS, Option, field_type, settings_from_run_args
from pipeline.settings import PipelineSettings


def _run_parser() -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["run"]


def _beam_actions() -> dict[str, argparse.Action]:
    parser = argparse.ArgumentParser()
    NewsPipelineOptions._add_argparse_args(parser)
    return {a.option_strings[0]: a for a in parser._actions if a.option_strings and a.dest != "help"}


def _setting(s: PipelineSettings, opt: Option) -> Any:
    node: Any = s
    for part in opt.path.split("."):
        node = getattr(node, part)
    return node


def _other_value(opt: Option) -> Any:
    """A valid value of the option's field that differs from its default."""
    ft = field_type(opt.path)
    if ft.choices:
        return next(c for c in ft.choices if c != ft.default)
    if ft.base is bool:
        return not ft.default
    if ft.base is int:
        return (ft.default or 0) + 7
    if ft.base is float:
        return (ft.default or 0.0) + 2.5
    if opt.name == "schema_registry_url":
        return "http://registry.internal:8081"
    return f"{opt.name}-x"


def _non_default() -> PipelineSettings:
    tree: dict[str, Any] = {}
    for opt in OPTIONS:
        *parents, leaf = opt.path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _other_value(opt)
    return PipelineSettings.model_validate(tree)


def _cli_argv(s: PipelineSettings) -> list[str]:
    argv = []
    for opt in OPTIONS:
        value = _setting(s, opt)
        if opt.words and opt.flag.startswith("--no-"):
            argv += [opt.flag] if not value else []
        elif opt.words:
            argv += [opt.flag, opt.words[0] if value else opt.words[1]]
        else:
            argv += [opt.flag, str(value)]
    return argv


def test_metadata_json_is_the_generated_one():
    assert METADATA.read_text() == render(), "run: python -m pipeline.deploy.metadata"


def test_every_option_is_a_run_flag_and_a_beam_option_with_the_same_choices_and_default():
    run = {flag: a for a in _run_parser()._actions for flag in a.option_strings}
    beam = _beam_actions()
    params = {p["name"]: p for p in json.loads(METADATA.read_text())["parameters"]}
    assert NewsPipelineOptions([]).settings() == PipelineSettings()
    for opt in OPTIONS:
        cli, b = run[opt.flag], beam[f"--{opt.name}"]
        assert cli.dest == opt.dest, opt.name
        if not (opt.words and opt.flag.startswith("--no-")):
            assert (cli.choices and list(cli.choices)) == (b.choices and list(b.choices)), opt.name
        if opt.path != "kafka.bootstrap_servers":
            assert cli.default in (b.default, False), opt.name  # --no-ner: absent means on
        if opt.template:
            p = params[opt.name]
            if b.choices:
                assert p["regexes"] == ["^(" + "|".join(b.choices) + ")$"], opt.name
            if "defaultValue" in p and opt.template_default is Option.template_default:
                assert p["defaultValue"] == str(b.default), opt.name


def test_a_value_of_every_setting_survives_cli_beam_options_and_make_options():
    want = _non_default()
    assert all(_setting(want, o) != _setting(PipelineSettings(), o) for o in OPTIONS)
    args = _run_parser().parse_args(_cli_argv(want))
    from_cli = settings_from_run_args(args, want.kafka.bootstrap_servers)
    assert from_cli == want
    assert make_options(from_cli).view_as(NewsPipelineOptions).settings() == want


@pytest.mark.parametrize("flag", ["--ssl-check-hostname", "--max-poll-interval-ms", "--dedup-state"])
def test_options_that_had_drifted_are_on_the_cli(flag):
    assert any(flag in a.option_strings for a in _run_parser()._actions)


def test_max_poll_interval_reaches_every_consumer_config():
    from pipeline.bus.client import consumer_config

    s = make_options(PipelineSettings(max_poll_interval_ms=12_345)).view_as(NewsPipelineOptions).settings()
    assert consumer_config(s.kafka)["max_poll_interval_ms"] == 12_345
    assert (
        consumer_config(PipelineSettings().kafka)["max_poll_interval_ms"]
        == PipelineSettings().max_poll_interval_ms
    )
