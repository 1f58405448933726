"""SSRF protection in the production configuration (VORORT_ENV=production, no allowed networks): a URL
whose host is, or resolves to, a loopback, private, link-local, multicast or metadata address is refused
at registration, with the reason on the `url` field; delivery-time checks are in the integration tests."""
from __future__ import annotations

import dataclasses

import pytest

from services.webhooks.app import MIGRATIONS, create_app
from services.webhooks.egress import EgressPolicy, EgressRefused, why_refused
from services.webhooks.settings import WebhooksSettings
from shared.config import ServiceSettings
from shared.db import migrate

DNS = {"intranet.partner.example": ["10.1.2.3"], "mixed.partner.example": ["93.184.215.14", "192.168.0.7"],
       "hooks.partner.example": ["93.184.215.14"], "v6.partner.example": ["fd00:ec2::254"]}


def fake_dns(host, port):
    if host not in DNS:
        raise EgressRefused(f"The host {host!r} does not resolve.")
    return DNS[host]


@pytest.fixture
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("VORORT_ENV", "production")
    monkeypatch.setenv("VORORT_JWT_SECRET", "production-test-key-" + "x" * 40)
    monkeypatch.delenv("WEBHOOKS_ALLOWED_NETWORKS", raising=False)
    monkeypatch.delenv("WEBHOOKS_REQUIRE_HTTPS", raising=False)
    options = WebhooksSettings.from_env()
    assert options.egress.allowed_networks == () and options.egress.require_https
    url = f"sqlite:///{tmp_path / 'webhooks.db'}"
    migrate(url, MIGRATIONS)
    return options, url


def _client(production, resolver=None):
    options, url = production
    if resolver:
        options = dataclasses.replace(options, egress=dataclasses.replace(options.egress, resolver=resolver))
    return create_app(ServiceSettings("webhooks", url, "127.0.0.1:1", "production"), options=options).test_client()


def _register(client, url):
    from support import bearer

    return client.post("/v1/endpoints", headers=bearer("partner", "stadtwerke-siegen"), json={
        "url": url, "event_types": ["CallOpened"], "contact_email": "it@example.org"})


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/hooks", "loopback"),
    ("https://127.0.0.1:8443/hooks", "loopback"),
    ("http://169.254.169.254/", "metadata"),
    ("http://169.254.169.254/latest/meta-data/iam", "metadata"),
    ("http://[::1]/", "loopback"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),
    ("https://10.0.0.8/", "private"),
    ("https://224.0.0.1/", "multicast"),
    ("https://0.0.0.0/", "unspecified"),
    ("https://intranet.partner.example/hooks", "private"),
    ("https://mixed.partner.example/hooks", "private"),
    ("https://v6.partner.example/hooks", "metadata"),
])
def test_registering_a_non_public_address_is_refused_in_production(production, url, reason):
    response = _register(_client(production, fake_dns), url)
    assert response.status_code == 422, response.json
    [message] = response.json["errors"]["json"]["url"]
    assert reason in message


def test_a_name_that_resolves_to_loopback_in_real_dns_is_refused_in_production(production):
    response = _register(_client(production), "https://localhost/hooks")
    assert response.status_code == 422
    assert "loopback" in response.json["errors"]["json"]["url"][0]


def test_a_public_https_endpoint_is_accepted_and_plain_http_is_not_in_production(production):
    client = _client(production, fake_dns)
    assert _register(client, "https://hooks.partner.example/hooks").status_code == 201
    refused = _register(client, "http://hooks.partner.example/hooks")
    assert refused.status_code == 422 and "https" in refused.json["errors"]["json"]["url"][0]


def test_an_allowed_network_is_the_only_way_to_loopback():
    policy = EgressPolicy(allowed_networks=EgressPolicy.parse_networks("127.0.0.1/32"), require_https=False)
    assert policy.check_url("http://127.0.0.1:8099/hooks") == []
    assert policy.check_url("http://127.0.0.2:8099/hooks") != []
    assert policy.check_url("http://[::1]:8099/hooks") != []


@pytest.mark.parametrize("address, public", [("93.184.215.14", True), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
                                             ("100.64.0.1", False), ("100.100.100.200", False), ("fe80::1", False),
                                             ("ff02::1", False), ("192.0.2.1", False), ("::", False)])
def test_only_global_unicast_addresses_count_as_public(address, public):
    assert (why_refused(address) is None) == public
