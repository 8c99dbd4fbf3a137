import socket

import pytest

from core.outbound import OutboundBlocked, UnresolvableHost, check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1/",
        "http://2130706433/",
        "http://[::1]:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "https://172.16.3.4/",
        "https://192.168.1.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://100.64.0.1/",
        "http://localhost:5000/",
    ],
)
def test_non_public_addresses_are_refused(url):
    with pytest.raises(OutboundBlocked, match="non-public"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hook", "http://[::1]:8080/", "http://10.0.0.5/", "http://localhost/"],
)
def test_private_addresses_are_allowed_when_the_operator_allows_them(url):
    check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/",
        "gopher://example.com/",
        "javascript:alert(1)",
        "example.com/no-scheme",
    ],
)
def test_non_http_schemes_are_refused_even_when_private_is_allowed(url):
    with pytest.raises(OutboundBlocked, match="only http and https"):
        check_url(url, allow_private=True)


def test_url_without_host_is_refused():
    with pytest.raises(OutboundBlocked, match="no host"):
        check_url("http:///path")


def test_public_literal_addresses_pass():
    check_url("https://8.8.8.8/")
    check_url("https://[2606:4700:4700::1111]/")
    check_url("https://[::ffff:8.8.8.8]/")


def fake_resolver(*addresses):
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return getaddrinfo


def test_host_name_is_refused_when_any_of_its_addresses_is_private(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("93.184.215.14", "10.1.1.1"))
    with pytest.raises(OutboundBlocked, match="10.1.1.1"):
        check_url("https://blog.example.com/")


def test_host_name_resolving_to_public_addresses_passes(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("93.184.215.14", "2606:2800:21f::1"))
    check_url("https://blog.example.com/wp-json/")


def test_unresolvable_host_is_reported_as_such(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(UnresolvableHost, match="could not be resolved"):
        check_url("https://no-such-host.example/")
