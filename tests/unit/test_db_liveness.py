"""A pooled connection the server closed is seen at checkout by its socket alone (app/db_liveness.py)."""

from __future__ import annotations

import socket

from app.db_liveness import socket_has_news


def test_an_idle_open_socket_has_no_news_and_a_closed_peer_does() -> None:
    ours, server = socket.socketpair()
    try:
        assert socket_has_news(ours.fileno()) is False
        server.sendall(b"E")  # the server's last word (a FATAL message) before it hangs up
        server.close()
        assert socket_has_news(ours.fileno()) is True
    finally:
        ours.close()


def test_a_peer_that_hangs_up_silently_is_news_too() -> None:
    ours, server = socket.socketpair()
    try:
        server.close()
        assert socket_has_news(ours.fileno()) is True
    finally:
        ours.close()
