"""Forwarded headers are believed only from the configured trusted proxies: the client IP
(X-Forwarded-For, rightmost hop that is not a trusted proxy) feeds the rate limits and the
journal; a client's own X-Request-ID, X-Forwarded-For or X-Forwarded-Proto is ignored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import AuditEntry
from centre.request_context import client_ip, parse_networks
from outreach.participation.models import AnswerSheet
from tests.outreach.participation.factories import kinds_survey

PROXY = "172.30.0.10"
TRUSTED = parse_networks(["172.30.0.0/24", "10.8.0.1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", "", "203.0.113.9"),  # no proxy: the peer
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # untrusted peer: header ignored
        (PROXY, "198.51.100.1", "198.51.100.1"),  # through the proxy
        (PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # left hops are the client's own
        (PROXY, "198.51.100.1, 10.8.0.1", "198.51.100.1"),  # two trusted proxies in a row
        (PROXY, "10.8.0.1, 172.30.0.3", "10.8.0.1"),  # only proxies: the farthest one
        (PROXY, "pas-une-ip, 198.51.100.1", "198.51.100.1"),
        (PROXY, "198.51.100.1, pas-une-ip", PROXY),  # a malformed chain: the proxy itself
        (PROXY, "", PROXY),
        ("2001:db8::1", "198.51.100.1", "2001:db8::1"),
    ],
)
def test_client_ip(peer: str, forwarded: str, expected: str) -> None:
    meta = {"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_ip(meta, TRUSTED) == expected


def test_no_trusted_proxy_means_the_peer() -> None:
    assert client_ip({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, ()) == PROXY


@pytest.mark.django_db
def test_request_id_and_ip_in_the_journal(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["172.30.0.0/24"]
    login = {"login": "inconnu@example.org", "password": "pas-le-bon-2026"}
    # A client sending its own headers directly: none is believed.
    direct = Client(REMOTE_ADDR="203.0.113.9").post(
        reverse("account_login"),
        login,
        HTTP_X_REQUEST_ID="forged-id-1234",
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )
    assert direct["X-Request-ID"] != "forged-id-1234"
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert (entry.ip, entry.request_id) == ("203.0.113.9", direct["X-Request-ID"])
    # The same request through the trusted proxy: its request id and the client's IP.
    proxied = Client(REMOTE_ADDR=PROXY).post(
        reverse("account_login"),
        login,
        HTTP_X_REQUEST_ID="caddy-req-42",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.77",
    )
    assert proxied["X-Request-ID"] == "caddy-req-42"
    second = AuditEntry.objects.filter(action="auth.login_failed").exclude(pk=entry.pk).get()
    assert (second.ip, second.request_id) == ("198.51.100.77", "caddy-req-42")


@pytest.mark.django_db
def test_survey_rate_limit_counts_each_client_behind_the_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    settings.PARTICIPATION_PUBLIC_MAX_PER_HOUR = 1
    kinds = kinds_survey(public=True)
    url = reverse("participation:public_form", args=[kinds.survey.public_token])
    answers = {
        f"q{kinds.neighbourhood.pk}": str(kinds.choice(kinds.neighbourhood, "Autre").pk),
        f"q{kinds.satisfaction.pk}": "3",
    }
    proxy = Client(REMOTE_ADDR=PROXY)
    assert proxy.post(url, answers, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert proxy.post(url, answers, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # Another inhabitant through the same proxy is not limited by the first one.
    assert proxy.post(url, answers, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    # A client cannot escape its limit by writing X-Forwarded-For itself.
    direct = Client(REMOTE_ADDR="203.0.113.9")
    assert direct.post(url, answers, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 200
    assert direct.post(url, answers, HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 429
    assert AnswerSheet.objects.count() == 3


@pytest.mark.django_db
def test_login_rate_limit_counts_each_client_behind_the_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "2/m/ip"}
    login = {"login": "inconnu@example.org", "password": "pas-le-bon-2026"}
    proxy = Client(REMOTE_ADDR=PROXY)

    def attempt(ip: str) -> str:
        page = proxy.post(reverse("account_login"), login, HTTP_X_FORWARDED_FOR=ip)
        return "limited" if "Trop de tentatives" in page.content.decode() else "tried"

    assert [attempt("198.51.100.1") for _ in range(3)] == ["tried", "tried", "limited"]
    assert attempt("198.51.100.2") == "tried"
