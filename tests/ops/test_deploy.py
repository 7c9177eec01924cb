"""The deployment in deploy/: nginx accepts its configuration, systemd its units, and the compose file, the
systemd settings and nginx agree with what the gateway reads (gateway/config.py, gateway/security/proxies.py)."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gateway import create_app
from gateway.backup import PASSPHRASE_ENV
from gateway.config import Settings
from gateway.retention import ENV_NAMES as RETENTION_ENV
from gateway.security.proxies import parse_trusted_proxies

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "systemd" / "shebao.env.example"


def _known_settings() -> set[str]:
    """Every SHEBAO_* name the gateway reads: Settings.from_env, the retention periods, the backup passphrase."""
    source = (ROOT / "gateway" / "config.py").read_text()
    names = {f"SHEBAO_{n}" for n in re.findall(r'_env(?:_int|_bool)?\("([A-Z0-9_]+)"', source)}
    return names | set(RETENTION_ENV) | {PASSPHRASE_ENV}


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return {k: v for k, v in pairs}


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_has_every_part_of_the_deployment():
    services = _compose()["services"]
    assert {"nginx", "gateway1", "gateway2", "postgres", "redis", "worker", "scheduler", "migrate"} <= set(services)
    assert services["worker"]["command"] == ["shebao", "worker"]
    assert services["scheduler"]["command"] == ["shebao", "scheduler"]
    assert services["migrate"]["command"] == ["shebao", "db", "upgrade"]
    for node in ("gateway1", "gateway2"):
        assert services[node]["command"] == ["shebao", "serve"]
        # Each node's metric files on its own tmpfs, never in the shared var/ volume.
        metrics_dir = services[node]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert any(mount.startswith(f"{metrics_dir}:") for mount in services[node]["tmpfs"])
        assert not metrics_dir.startswith(services[node]["environment"]["SHEBAO_VAR_DIR"])
        assert services[node]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_settings_are_ones_the_gateway_reads_and_trust_only_nginx():
    services = _compose()["services"]
    known = _known_settings()
    for name in ("gateway1", "gateway2", "worker", "scheduler", "migrate"):
        env = services[name]["environment"]
        assert {k for k in env if k.startswith("SHEBAO_")} <= known, set(env) - known
        # Every node shares the database, Redis and the secret; the workers stay out of `shebao serve`.
        assert env["SHEBAO_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["SHEBAO_REDIS_URL"].startswith("redis://redis:")
        assert env["SHEBAO_WORKER"] == "0" and env["SHEBAO_SANDBOXES"] == "0"
        assert env["SHEBAO_ENV"] == "production"
        nginx_ip = services["nginx"]["networks"]["edge"]["ipv4_address"]
        assert parse_trusted_proxies(env["SHEBAO_TRUSTED_PROXIES"]).trusts(nginx_ip)
    upstream = (DEPLOY / "compose" / "nginx.conf").read_text()
    assert re.findall(r"server (gateway\d):8000", upstream) == ["gateway1", "gateway2"]


def test_every_setting_the_deployment_uses_is_documented():
    """An operator meets each setting of the compose file and the settings example in README or operations.md."""
    documented = (ROOT / "README.md").read_text() + (ROOT / "docs" / "operations.md").read_text()
    used = set(_env_file(ENV_EXAMPLE))
    for service in _compose()["services"].values():
        used |= set(service.get("environment") or {})
    missing = sorted(n for n in used if n.startswith("SHEBAO_") and n not in documented)
    assert not missing, missing


def test_the_systemd_settings_are_ones_the_gateway_reads():
    env = _env_file(ENV_EXAMPLE)
    known = _known_settings()
    assert set(env) <= known, set(env) - known
    assert parse_trusted_proxies(env["SHEBAO_TRUSTED_PROXIES"]).enabled
    assert env["SHEBAO_WORKER"] == "0" and env["SHEBAO_SANDBOXES"] == "0"
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").glob("shebao-*.service")}
    commands = {name: re.search(r"^ExecStart=(.*)$", text, re.M).group(1) for name, text in units.items()}
    assert commands["shebao-gateway.service"].endswith("shebao serve")
    assert commands["shebao-worker.service"].endswith("shebao worker")
    assert commands["shebao-scheduler.service"].endswith("shebao scheduler")
    assert "shebao backup" in commands["shebao-backup.service"]
    assert all("EnvironmentFile=/etc/shebao/shebao.env" in text for text in units.values())


def test_nginx_sets_the_headers_the_gateway_trusts_and_its_upload_limit(settings):
    common = (DEPLOY / "nginx" / "shebao-common.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in common  # replaced at the edge, never appended
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in common
    size = re.search(r"client_max_body_size (\d+)m;", common).group(1)
    assert int(size) * 1024 * 1024 == create_app(settings).config["MAX_CONTENT_LENGTH"]
    for page in ("503.html", "413.html"):
        assert "12333" in (DEPLOY / "nginx" / "errors" / page).read_text()


def _self_signed(folder: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shebao.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder.mkdir()
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@pytest.mark.parametrize("site", ["nginx/shebao-site.conf", "compose/nginx.conf"])
def test_nginx_accepts_the_configuration(site: str, tmp_path: Path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed here")
    _self_signed(tmp_path / "tls")
    (tmp_path / "snippets").mkdir()
    shutil.copy(DEPLOY / "nginx" / "shebao-common.conf", tmp_path / "snippets")
    text = (DEPLOY / site).read_text().replace("/etc/shebao/tls", str(tmp_path / "tls"))
    text = text.replace("/etc/nginx/snippets", str(tmp_path / "snippets"))
    text = re.sub(r"server gateway\d:", "server 127.0.0.1:", text)  # compose's names resolve only in compose
    (tmp_path / "site.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_systemd_accepts_the_units(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    shebao = Path(sys.executable).with_name("shebao")
    units = sorted((DEPLOY / "systemd").glob("shebao-*.*"))
    for unit in units:
        # Point ExecStart at this checkout's `shebao` (verify checks that the program exists).
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/shebao/venv/bin/shebao", str(shebao)))
    result = subprocess.run(
        [analyze, "verify", *[str(tmp_path / u.name) for u in units]], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_settings_example_passes_the_gateways_own_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name, value in _env_file(ENV_EXAMPLE).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    settings = Settings.from_env()  # production checks: own secret key, no sandbox credentials, proxies parse
    assert settings.production and settings.trusted.enabled
