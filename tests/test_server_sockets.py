"""Nagle's algorithm is turned off on the app server's sockets (tracker/ui/server_sockets.py).

A listening socket made the way Streamlit 1.67 makes it (protocol 0, so asyncio never sets
TCP_NODELAY on what it accepts), on loopback, with real connections.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tracker.ui.server_sockets import disable_nagle_on_server


def nodelay(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(family=socket.AF_INET)  # as Streamlit binds it: proto 0
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock
    sock.close()


def connect(listener: socket.socket) -> tuple[socket.socket, socket.socket]:
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    return client, accepted


def test_listener_and_open_connections_get_nodelay(listener):
    client, accepted = connect(listener)
    unrelated = socket.socket()  # a listener elsewhere would be changed; a client is not
    try:
        assert not nodelay(listener) and not nodelay(accepted) and accepted.proto == 0
        changed = disable_nagle_on_server()
        assert changed >= 2
        assert nodelay(listener) and nodelay(accepted)
        # Connections accepted later inherit it from the listener.
        later_client, later = connect(listener)
        assert nodelay(later)
        # The process's own outgoing connections are not ours to change.
        assert not nodelay(client) and not nodelay(later_client)
        assert not nodelay(unrelated)
        assert disable_nagle_on_server() == 0  # nothing left to do
        later_client.close()
        later.close()
    finally:
        for sock in (client, accepted, unrelated):
            sock.close()
