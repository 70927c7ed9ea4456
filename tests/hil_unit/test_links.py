"""Opening links: the one entry point, its errors, and the faulty:// handler's options."""
from __future__ import annotations

import os

import pytest

from hil.errors import LinkError
from hil.links import open_link
from hil.links.protocol_faulty import parse_faulty_url


def test_port_that_does_not_exist_says_so():
    with pytest.raises(LinkError, match=r"cannot open link '/dev/ttyNOPE0'.*no such port"):
        open_link("/dev/ttyNOPE0")


def test_busy_port_is_refused_with_the_reason():
    controller, device = os.openpty()
    path = os.ttyname(device)
    first = open_link(path)
    try:
        with pytest.raises(LinkError, match="another program holds the port"):
            open_link(path)
    finally:
        first.close()
        os.close(controller)
        os.close(device)


def test_faulty_link_shares_of_bytes_hit_match_its_options():
    link = open_link("faulty://?drop=0.02&corrupt=0.01&burst=16&seed=5&inner=loop://")
    for _ in range(40):
        link.write(bytes(2500))
        link.read(5000)
    hit = {k: v / link.faults["bytes"] for k, v in link.faults.items() if k != "bytes"}
    assert 0.015 < hit["dropped"] < 0.025 and 0.006 < hit["corrupted"] < 0.014 and hit["duplicated"] == 0


@pytest.mark.parametrize("url, message", [
    ("faulty://?drop=0.1", "end the URL with inner=URL"),
    ("faulty://?drop=2&inner=loop://", "must be a probability"),
    ("faulty://?burst=0.5&inner=loop://", "must be >= 1"),
    ("faulty://?dorp=0.1&inner=loop://", "unknown option 'dorp'"),
    ("faulty://?drop=x&inner=loop://", "is not a number"),
])
def test_faulty_url_errors_name_the_option(url, message):
    with pytest.raises(ValueError, match=message):
        parse_faulty_url(url)


def test_faulty_url_keeps_the_inner_urls_own_query():
    settings, inner = parse_faulty_url("faulty://?seed=3&reset_at=5,1&inner=socket://127.0.0.1:9?logging=debug")
    assert inner == "socket://127.0.0.1:9?logging=debug" and settings["reset_at"] == (1, 5)
