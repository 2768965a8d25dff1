"""The SeaweedFS command line and port choice behind the durable embedded broker."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from pipeline.bus.s3server import PORT_NAMES, choose_ports, weed_binary, weed_command


def test_every_listener_is_loopback_and_every_port_is_ours(tmp_path: Path):
    ports = {name: 40000 + i for i, name in enumerate(PORT_NAMES)}
    cmd = weed_command("/bin/weed", tmp_path, ports)
    flags = dict(arg.lstrip("-").split("=", 1) for arg in cmd[2:] if "=" in arg)
    assert flags["ip"] == "127.0.0.1" and flags["ip.bind"] == "127.0.0.1"
    for name, port in ports.items():
        assert flags[name] == str(port)
    # listeners weed would otherwise open on fixed default ports, shared by every instance on the machine
    assert flags["s3.port.iceberg"] == "0" and flags["s3.port.lance"] == "0"
    assert flags["dir"] == str(tmp_path) and flags["master.dir"] == str(tmp_path / "master")


def test_ports_are_reused_while_free_and_replaced_when_taken(tmp_path: Path):
    first = choose_ports(tmp_path)
    assert set(first) == set(PORT_NAMES) and len(set(first.values())) == len(PORT_NAMES)
    assert json.loads((tmp_path / "ports.json").read_text()) == first
    assert choose_ports(tmp_path) == first
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", first["s3.port"]))
        busy.listen()
        second = choose_ports(tmp_path)
    assert second["s3.port"] != first["s3.port"]
    assert json.loads((tmp_path / "ports.json").read_text()) == second


def test_weed_binary_is_the_installed_executable():
    path = Path(weed_binary())
    assert path.name == "weed" and path.is_file()
