"""docker-compose.yml: Caddy (HTTPS) is the only public port, the forwarded headers are
believed from its address alone, the application runs as the runtime database role and
migrations as the owner, and a backup service writes encrypted dumps."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _public_ports(service: dict[str, Any]) -> list[str]:
    return [str(p) for p in service.get("ports", []) if not str(p).startswith("127.0.0.1:")]


def test_caddy_is_the_only_public_port() -> None:
    services = _compose()["services"]
    public = {name: _public_ports(s) for name, s in services.items() if _public_ports(s)}
    assert public == {"caddy": ["80:80", "443:443", "443:443/udp"]}
    assert services["caddy"]["image"].startswith("caddy:")
    assert "ports" not in services["web"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert "header_up X-Request-ID {http.request.uuid}" in caddyfile
    assert "trusted_proxies" not in caddyfile  # Caddy believes no client's X-Forwarded-For


def test_forwarded_headers_trusted_from_caddy_alone() -> None:
    compose = _compose()
    services = compose["services"]
    caddy_ip = services["caddy"]["networks"]["edge"]["ipv4_address"]
    subnet = compose["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(caddy_ip) in ipaddress.ip_network(subnet)
    for name in ("web", "worker", "beat", "migrate"):
        assert services[name]["environment"]["TRUSTED_PROXIES"] == caddy_ip, name


def test_application_runs_as_the_runtime_role_and_migrations_as_the_owner() -> None:
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_APP_USER"] == "passerelle_app", name
        assert "DATABASE_AS_OWNER" not in env, name
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_AS_OWNER"] == "1"
    assert "manage.py migrate" in migrate["command"][-1]
    assert "manage.py setup_db_roles" in migrate["command"][-1]


def test_backup_service_is_scheduled_encrypted_and_kept_for_a_retention_period() -> None:
    compose = _compose()
    backup = compose["services"]["backup"]
    env = backup["environment"]
    assert set(env) >= {"BACKUP_PASSPHRASE", "BACKUP_RETENTION_DAYS", "BACKUP_INTERVAL_SECONDS"}
    assert "backups:/backups" in backup["volumes"]
    assert "backups" in compose["volumes"]
    dockerfile = (ROOT / backup["build"]["dockerfile"]).read_text()
    assert "gnupg" in dockerfile and "passerelle-backup-loop" in dockerfile
    script = (ROOT / "deploy" / "backup.sh").read_text()
    assert "--symmetric --cipher-algo AES256" in script and "-mtime" in script
