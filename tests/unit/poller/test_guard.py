from __future__ import annotations

import ipaddress

import pytest

from pipeline.poller.guard import AddressPolicy, BlockedAddress


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_internal_addresses_refused_by_default(ip: str):
    assert not AddressPolicy().allows("h", ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_allowed(ip: str):
    assert AddressPolicy().allows("h", ipaddress.ip_address(ip))


def test_allow_list_by_address_network_and_name():
    policy = AddressPolicy(["127.0.0.1", "10.0.0.0/8", "intranet.local"])
    assert policy.allows("x", ipaddress.ip_address("127.0.0.1"))
    assert not policy.allows("x", ipaddress.ip_address("127.0.0.2"))
    assert policy.allows("x", ipaddress.ip_address("10.9.9.9"))
    assert policy.allows("intranet.local", ipaddress.ip_address("192.168.0.5"))


def test_resolve_refuses_names_pointing_inside():
    with pytest.raises(BlockedAddress):
        AddressPolicy().resolve("localhost", 80)
    assert AddressPolicy(["127.0.0.1", "::1"]).resolve("localhost", 80)
