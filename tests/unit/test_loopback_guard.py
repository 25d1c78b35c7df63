"""The suite's guard: a connection to anything but loopback fails before a packet leaves."""

from __future__ import annotations

import socket

import pytest
from conftest import LeftLoopback


@pytest.mark.parametrize("host", ["192.0.2.1", "2001:db8::1", "10.1.2.3"])
def test_a_connection_off_loopback_is_refused_before_it_is_made(host: str) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(LeftLoopback):
        sock.connect((host, 443))


def test_loopback_connections_go_through() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
