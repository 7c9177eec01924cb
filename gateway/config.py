"""Configuration from ``SHEBAO_*`` environment variables, with safe defaults for the embedded mode."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from gateway.security.proxies import TrustedProxies, parse_trusted_proxies

SECRET_FILE = "secret.key"
#: Working days to answer a mailbox case, per kind (LD/T 01 5.5.3 "在规定的工作日内答复"; complaints: Regulation
#: Art. 51–52): the defaults of SHEBAO_CONSULT_DAYS_CONSULTATION, _SUGGESTION, _COMPLAINT and _REPORT.
CONSULT_DAYS = {"consultation": 5, "suggestion": 15, "complaint": 10, "report": 10}
CONSULT_DAYS_MAX = 60
#: More live chats at once than an agent can follow is no service (the setting is refused above this).
CHAT_CAPACITY_MAX = 10


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production with the development secret key)."""


def _local_secret(var_dir: Path) -> str:
    """The embedded mode's key: made once with 256 random bits and kept under ``var/`` (mode 0600)."""
    path = var_dir / SECRET_FILE
    if not path.exists():
        from gateway.security.at_rest import private_dir

        private_dir(var_dir)
        # Write aside, then link into place: several workers starting at once all read the same key.
        tmp = var_dir / f".{SECRET_FILE}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"SHEBAO_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"SHEBAO_{name} must be an integer, got {raw!r}") from exc


def threads_per_worker() -> int:
    """SHEBAO_THREADS: threads per gunicorn worker (gateway.gunicorn_conf reads it too, before any app exists)."""
    return max(1, _env_int("THREADS", Settings.threads))


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    """Everything the gateway reads from its environment, in one place."""

    env: str = "development"
    secret_key: str = ""
    secret_from_env: bool = False
    # Secrets SHEBAO_SECRET_KEY replaced (SHEBAO_SECRET_KEY_FALLBACKS, comma-separated): still read, never written.
    secret_key_fallbacks: tuple[str, ...] = ()
    var_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str = ""
    backoffice: str = "local"
    # The http back office (gateway/backoffice/http.py): set the URL to use a remote core system.
    backoffice_url: str = ""
    backoffice_api_key: str = ""
    backoffice_timeout: int = 5
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    # Threads per gunicorn worker; each may hold a pooled database connection at once. Three, measured: fewer
    # threads contend less for the worker's GIL, and the opening-morning rush kept every page's p99 under
    # 300 ms on PostgreSQL with 3, not with 4 or 8; with 2, logins held every thread (docs/performance.md).
    threads: int = 3
    page_size: int = 12
    agency_name: str = "示例市社会保险事业管理中心"
    demo_seed: int = 20201201
    demo_people: int = 2000
    demo_units: int = 60
    log_level: str = "INFO"
    # Base URL of the local sandboxes (sandboxes/); each external service's URL defaults to a path under it.
    sandbox_url: str = "http://127.0.0.1:8001"
    sandbox_port: int = 8001
    run_sandboxes: bool = True
    # Off only for load tests on one machine, where every simulated person shares 127.0.0.1.
    rate_limits: bool = True
    # 计发基数 for the pension estimate (LD/T 01 5.4.3 d): the province's published monthly figure, yuan.
    pension_base: int = 7000
    # Certificates (esign/): seal from PKCS#12 or PEM files, else the local agency CA under var/seal;
    # empty TSA URL means the sandbox TSA under sandbox_url. Paths are comma-separated where plural.
    seal_pkcs12: str = ""
    seal_password: str = ""
    seal_key: str = ""
    seal_cert: str = ""
    seal_trust_roots: str = ""
    tsa_url: str = ""
    tsa_roots: str = ""
    cjk_font: str = ""
    certificate_valid_days: int = 90
    public_url: str = ""
    # Expiring certificate download links (esign.links), seconds; PAdES level of the seal: "b-t" or "b-lt".
    download_link_ttl_s: int = 24 * 3600
    seal_level: str = "b-t"
    # e-SSC platform (identity issue): empty URL means the sandbox under sandbox_url.
    essc_url: str = ""
    essc_client_id: str = "shebao-gateway"
    essc_client_secret: str = "sandbox-essc-secret"
    # Push platform (notify/): SMS gateway and WeChat API default to the sandboxes under sandbox_url.
    sms_url: str = ""
    sms_api_key: str = "sandbox"
    wechat_api_url: str = ""
    wechat_appid: str = "wxsandbox0000001"
    wechat_secret: str = "sandbox-wechat-secret"
    # WeChat website login (open.weixin.qq.com; its own appid) and Alipay login: empty URLs mean the sandboxes;
    # empty Alipay keys mean the sandbox app's key pair (a PEM text or a PEM file path otherwise).
    wechat_open_url: str = ""
    wechat_web_appid: str = "wxsandboxweb00001"
    wechat_web_secret: str = "sandbox-wechat-web-secret"
    alipay_gateway_url: str = ""
    alipay_auth_url: str = ""
    alipay_app_id: str = "2021000000000001"
    alipay_app_private_key: str = ""
    alipay_public_key: str = ""
    notify_quiet_hours: str = "21:00-08:00"
    notify_max_attempts: int = 5
    notify_backoff_seconds: int = 30
    notify_poll_seconds: int = 2
    notify_concurrency: int = 4
    run_worker: bool = True
    # Interim staff check for the message view until staff login arrives (empty: the view is closed).
    staff_token: str = ""
    # The kiosk card-reader bridge the kiosk pages talk to (a loopback service); empty means the sandbox.
    kiosk_bridge_url: str = ""
    # Unit certificate login (gateway/units/certificates.py): trusted CA PEM files and CRL URLs/files,
    # comma-separated; both empty outside production = the demo CA under var/unit-ca. The USB-key middleware's
    # local URL as the browser reaches it (empty: the ukey sandbox under sandbox_url). The revocation mode for
    # the OCSP responders / CRL distribution points certificates declare: soft-fail (an unreachable one does not
    # refuse a login) or hard-fail; the configured CRLs are required either way.
    cert_ca_roots: str = ""
    cert_crl: str = ""
    cert_revocation_mode: str = "soft-fail"
    ukey_url: str = ""
    # Face check before 待遇资格认证 (LD/T 01 5.4.3 a): the provider's API; empty URL means the sandbox.
    face_check_url: str = ""
    face_check_app_key: str = "shebao-gateway"
    face_check_app_secret: str = "sandbox-face-secret"
    # Bearer token Prometheus sends to /metrics from other hosts (loopback needs none); empty: loopback only.
    metrics_token: str = ""
    # The reverse proxies in front (gateway/security/proxies.py): a hop count ("1") or a comma list of
    # addresses / CIDR networks whose X-Forwarded-For is believed. Empty: none, the socket's address counts.
    trusted_proxies: str = ""
    # Live chat service hours (gateway/chat/hours.py): "workdays 08:30-17:30" or "daily 00:00-24:00", Beijing time.
    chat_hours: str = "workdays 08:30-17:30"
    # How many live chats one agent serves at once at most (gateway/chat/service.py ``take``).
    chat_agent_capacity: int = 3
    # The mailbox's time limits in working days, per kind (gateway/consult/mailbox.py), shown on the form.
    consult_days: dict[str, int] = field(default_factory=lambda: dict(CONSULT_DAYS))

    @property
    def trusted(self) -> TrustedProxies:
        """The parsed ``trusted_proxies``."""
        return parse_trusted_proxies(self.trusted_proxies)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls) -> Settings:
        var_dir = Path(_env("VAR_DIR", "var")).resolve()
        settings = cls(
            env=_env("ENV", "development"),
            secret_key=_env("SECRET_KEY") or _local_secret(var_dir),
            secret_from_env=bool(_env("SECRET_KEY")),
            secret_key_fallbacks=tuple(k.strip() for k in _env("SECRET_KEY_FALLBACKS").split(",") if k.strip()),
            var_dir=var_dir,
            database_url=_env("DATABASE_URL") or f"sqlite:///{var_dir / 'shebao.db'}",
            redis_url=_env("REDIS_URL"),
            backoffice=_env("BACKOFFICE", "http" if _env("BACKOFFICE_URL") else "local"),
            backoffice_url=_env("BACKOFFICE_URL"),
            backoffice_api_key=_env("BACKOFFICE_API_KEY"),
            backoffice_timeout=_env_int("BACKOFFICE_TIMEOUT", cls.backoffice_timeout),
            host=_env("HOST", "127.0.0.1"),
            port=_env_int("PORT", 8000),
            workers=_env_int("WORKERS", 2),
            threads=threads_per_worker(),
            page_size=_env_int("PAGE_SIZE", 12),
            agency_name=_env("AGENCY_NAME", cls.agency_name),
            demo_seed=_env_int("DEMO_SEED", cls.demo_seed),
            demo_people=_env_int("DEMO_PEOPLE", cls.demo_people),
            demo_units=_env_int("DEMO_UNITS", cls.demo_units),
            log_level=_env("LOG_LEVEL", "INFO").upper(),
            sandbox_url=_env("SANDBOX_URL") or f"http://127.0.0.1:{_env_int('SANDBOX_PORT', 8001)}",
            sandbox_port=_env_int("SANDBOX_PORT", 8001),
            # Production talks to the real services, never to the sandboxes.
            rate_limits=_env_bool("RATE_LIMITS", True),
            run_sandboxes=_env_bool("SANDBOXES", _env("ENV", "development") != "production"),
            pension_base=_env_int("PENSION_BASE", cls.pension_base),
            seal_pkcs12=_env("SEAL_PKCS12"),
            seal_password=_env("SEAL_PASSWORD"),
            seal_key=_env("SEAL_KEY"),
            seal_cert=_env("SEAL_CERT"),
            seal_trust_roots=_env("SEAL_TRUST_ROOTS"),
            tsa_url=_env("TSA_URL"),
            tsa_roots=_env("TSA_ROOTS"),
            cjk_font=_env("CJK_FONT"),
            certificate_valid_days=_env_int("CERTIFICATE_VALID_DAYS", cls.certificate_valid_days),
            public_url=_env("PUBLIC_URL"),
            download_link_ttl_s=_env_int("DOWNLOAD_LINK_TTL_S", cls.download_link_ttl_s),
            seal_level=_env("SEAL_LEVEL", cls.seal_level).strip().lower(),
            essc_url=_env("ESSC_URL"),
            essc_client_id=_env("ESSC_CLIENT_ID", cls.essc_client_id),
            essc_client_secret=_env("ESSC_CLIENT_SECRET", cls.essc_client_secret),
            sms_url=_env("SMS_URL"),
            sms_api_key=_env("SMS_API_KEY", cls.sms_api_key),
            wechat_api_url=_env("WECHAT_API_URL"),
            wechat_appid=_env("WECHAT_APPID", cls.wechat_appid),
            wechat_secret=_env("WECHAT_SECRET", cls.wechat_secret),
            wechat_open_url=_env("WECHAT_OPEN_URL"),
            wechat_web_appid=_env("WECHAT_WEB_APPID", cls.wechat_web_appid),
            wechat_web_secret=_env("WECHAT_WEB_SECRET", cls.wechat_web_secret),
            alipay_gateway_url=_env("ALIPAY_GATEWAY_URL"),
            alipay_auth_url=_env("ALIPAY_AUTH_URL"),
            alipay_app_id=_env("ALIPAY_APP_ID", cls.alipay_app_id),
            alipay_app_private_key=_env("ALIPAY_APP_PRIVATE_KEY"),
            alipay_public_key=_env("ALIPAY_PUBLIC_KEY"),
            notify_quiet_hours=_env("NOTIFY_QUIET_HOURS", cls.notify_quiet_hours),
            notify_max_attempts=_env_int("NOTIFY_MAX_ATTEMPTS", cls.notify_max_attempts),
            notify_backoff_seconds=_env_int("NOTIFY_BACKOFF_SECONDS", cls.notify_backoff_seconds),
            notify_poll_seconds=_env_int("NOTIFY_POLL_SECONDS", cls.notify_poll_seconds),
            notify_concurrency=_env_int("NOTIFY_CONCURRENCY", cls.notify_concurrency),
            run_worker=_env_bool("WORKER", True),
            staff_token=_env("STAFF_TOKEN"),
            kiosk_bridge_url=_env("KIOSK_BRIDGE_URL"),
            cert_ca_roots=_env("CERT_CA_ROOTS"),
            cert_crl=_env("CERT_CRL"),
            cert_revocation_mode=_env("CERT_REVOCATION_MODE", cls.cert_revocation_mode).strip().lower(),
            ukey_url=_env("UKEY_URL"),
            face_check_url=_env("FACE_CHECK_URL"),
            face_check_app_key=_env("FACE_CHECK_APP_KEY", cls.face_check_app_key),
            face_check_app_secret=_env("FACE_CHECK_APP_SECRET", cls.face_check_app_secret),
            metrics_token=_env("METRICS_TOKEN"),
            trusted_proxies=_env("TRUSTED_PROXIES"),
            chat_hours=_env("CHAT_HOURS", cls.chat_hours),
            chat_agent_capacity=_env_int("CHAT_AGENT_CAPACITY", cls.chat_agent_capacity),
            consult_days={kind: _env_int(f"CONSULT_DAYS_{kind.upper()}", days) for kind, days in CONSULT_DAYS.items()},
        )
        settings.check()
        return settings

    def _check_no_sandbox_credentials(self) -> None:
        """Production talks to the real e-SSC platform, SMS gateway and WeChat: never with the sandboxes' secrets."""
        defaults = Settings()
        left = [
            f"SHEBAO_{name.upper()}"
            for name in (
                "essc_client_secret",
                "sms_api_key",
                "wechat_secret",
                "wechat_web_secret",
                "alipay_app_private_key",
                "alipay_public_key",
                "face_check_app_secret",
            )
            if getattr(self, name) == getattr(defaults, name)
        ]
        if left:
            raise ConfigError(
                f"SHEBAO_ENV=production still uses the sandboxes' built-in credentials: set {', '.join(left)}."
            )

    def _check_consult_days(self) -> None:
        """Every mailbox kind has a time limit of 1 to ``CONSULT_DAYS_MAX`` working days."""
        if set(self.consult_days) != set(CONSULT_DAYS):
            raise ConfigError(f"consult_days must name exactly the kinds {', '.join(CONSULT_DAYS)}.")
        for kind, days in self.consult_days.items():
            if not (isinstance(days, int) and 1 <= days <= CONSULT_DAYS_MAX):
                raise ConfigError(
                    f"SHEBAO_CONSULT_DAYS_{kind.upper()}={days!r} is not a usable time limit: give a whole number of "
                    f"working days from 1 to {CONSULT_DAYS_MAX} (default {CONSULT_DAYS[kind]})."
                )

    def check(self) -> None:
        """Refuse settings that are unsafe for the chosen mode."""
        if self.production and not self.secret_from_env:
            raise ConfigError(
                "SHEBAO_ENV=production needs its own SHEBAO_SECRET_KEY; "
                "refusing to start with the development key kept under var/."
            )
        if len(self.secret_key) < 32 and (self.production or self.secret_from_env):
            raise ConfigError("SHEBAO_SECRET_KEY must be at least 32 characters in production.")
        if self.production:
            self._check_no_sandbox_credentials()
        try:
            parse_trusted_proxies(self.trusted_proxies)
        except ValueError as exc:
            raise ConfigError(
                f"SHEBAO_TRUSTED_PROXIES={self.trusted_proxies!r} is neither a hop count nor addresses/CIDRs: {exc}"
            ) from exc
        self._check_consult_days()
        if not 1 <= self.chat_agent_capacity <= CHAT_CAPACITY_MAX:
            raise ConfigError(
                f"SHEBAO_CHAT_AGENT_CAPACITY={self.chat_agent_capacity!r}: give how many live chats one agent serves "
                f"at once, from 1 to {CHAT_CAPACITY_MAX} (default 3)."
            )
        if self.backoffice not in ("local", "http"):
            raise ConfigError(f"SHEBAO_BACKOFFICE={self.backoffice!r} is not available; use 'local' or 'http'.")
        if self.backoffice == "http" and not (self.backoffice_url and self.backoffice_api_key):
            raise ConfigError("SHEBAO_BACKOFFICE=http needs SHEBAO_BACKOFFICE_URL and SHEBAO_BACKOFFICE_API_KEY.")
