"""No test may reach beyond 127.0.0.1: the guard in tests/conftest.py must fail loudly."""

import socket

import httpx
import pytest

from tests.conftest import NetworkAccessDenied


def test_connecting_to_a_public_address_fails_loudly():
    with socket.socket() as sock, pytest.raises(NetworkAccessDenied, match="only reach 127.0.0.1"):
        sock.connect(("203.0.113.7", 443))


def test_resolving_a_public_name_fails_loudly():
    with pytest.raises(NetworkAccessDenied):
        socket.getaddrinfo("api.openai.com", 443)


def test_an_http_client_cannot_reach_a_real_provider():
    with pytest.raises(NetworkAccessDenied):
        httpx.get("https://api.openai.com/v1/models", timeout=2)


def test_loopback_stays_open():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
