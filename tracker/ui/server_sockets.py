"""Turn off Nagle's algorithm on the Streamlit server's sockets.

Streamlit 1.67 binds its listening socket itself (``socket.socket(family)``, protocol 0) and
hands it to uvicorn. asyncio only sets ``TCP_NODELAY`` on connections whose protocol is
``IPPROTO_TCP``, so every connection the server accepts keeps Nagle's algorithm on. uvicorn
writes a response's headers and its body separately; on a kept-alive connection the body then
waits for the client's delayed ACK, about 40 ms per request (100 of Streamlit's scripts over
one kept-alive connection: 4.3 s before, 0.2 s after). Browsers spread a page over six
connections, so a page load gained 0.1-0.25 s (bench/RESULTS.md, "Timeline").

Linux copies ``TCP_NODELAY`` from a listening socket to the connections it accepts, so setting it
on the listener fixes every later connection; connections already open are set too. Only the
process's own listening sockets and connections on their ports are touched: the app's database
and HTTP client connections are left as their libraries made them.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

_FD_DIRS = (Path("/proc/self/fd"), Path("/dev/fd"))
# TRACKER_TCP_NODELAY=0 leaves Streamlit's sockets as they are (bench/timeline.py compares).
SWITCH = "TRACKER_TCP_NODELAY"
_done = False


def _open_sockets() -> list[socket.socket]:
    """A duplicate of each TCP socket this process has open (closing one leaves the original)."""
    fd_dir = next((d for d in _FD_DIRS if d.is_dir()), None)
    if fd_dir is None:
        return []
    found: list[socket.socket] = []
    for name in os.listdir(fd_dir):
        if not name.isdigit():
            continue
        try:
            duplicate = os.dup(int(name))
        except OSError:  # closed since the listing
            continue
        try:
            sock = socket.socket(fileno=duplicate)
        except OSError:  # not a socket
            os.close(duplicate)
            continue
        if sock.type == socket.SOCK_STREAM and sock.family in (socket.AF_INET, socket.AF_INET6):
            found.append(sock)
        else:
            sock.close()
    return found


def _port(sock: socket.socket) -> int | None:
    try:
        address = sock.getsockname()
    except OSError:
        return None
    return int(address[1]) if isinstance(address, tuple) else None


def disable_nagle_on_server() -> int:
    """Set ``TCP_NODELAY`` on this process's listening TCP sockets and the connections accepted
    on their ports; the number of sockets changed. Safe to call repeatedly and off Linux (where
    it may find nothing to do)."""
    sockets = _open_sockets()
    changed = 0
    try:
        listening = [s for s in sockets if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)]
        ports = {_port(s) for s in listening} - {None}
        for sock in sockets:
            if _port(sock) not in ports:
                continue
            with contextlib.suppress(OSError):
                if not sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    changed += 1
    finally:
        for sock in sockets:
            sock.close()
    return changed


def disable_nagle_once() -> None:
    """:func:`disable_nagle_on_server`, once per process: after that the listening socket hands
    the setting to every new connection."""
    global _done
    if os.environ.get(SWITCH, "").strip() == "0":
        return
    if not _done:
        disable_nagle_on_server()
        _done = True
