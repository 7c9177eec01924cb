"""Configuration from ``SHEBAO_*`` environment variables, with safe defaults for the embedded mode."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

SECRET_FILE = "secret.key"


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production with the development secret key)."""


def _local_secret(var_dir: Path) -> str:
    """The embedded mode's key: made once with 256 random bits and kept under ``var/`` (mode 0600)."""
    path = var_dir / SECRET_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
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
    var_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str = ""
    backoffice: str = "local"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
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
            var_dir=var_dir,
            database_url=_env("DATABASE_URL") or f"sqlite:///{var_dir / 'shebao.db'}",
            redis_url=_env("REDIS_URL"),
            backoffice=_env("BACKOFFICE", "local"),
            host=_env("HOST", "127.0.0.1"),
            port=_env_int("PORT", 8000),
            workers=_env_int("WORKERS", 2),
            page_size=_env_int("PAGE_SIZE", 12),
            agency_name=_env("AGENCY_NAME", cls.agency_name),
            demo_seed=_env_int("DEMO_SEED", cls.demo_seed),
            demo_people=_env_int("DEMO_PEOPLE", cls.demo_people),
            demo_units=_env_int("DEMO_UNITS", cls.demo_units),
            log_level=_env("LOG_LEVEL", "INFO").upper(),
            sandbox_url=_env("SANDBOX_URL") or f"http://127.0.0.1:{_env_int('SANDBOX_PORT', 8001)}",
            sandbox_port=_env_int("SANDBOX_PORT", 8001),
            # Production talks to the real services, never to the sandboxes.
            run_sandboxes=_env_bool("SANDBOXES", _env("ENV", "development") != "production"),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that are unsafe for the chosen mode."""
        if self.production and not self.secret_from_env:
            raise ConfigError(
                "SHEBAO_ENV=production needs its own SHEBAO_SECRET_KEY; "
                "refusing to start with the development key kept under var/."
            )
        if len(self.secret_key) < 32 and (self.production or self.secret_from_env):
            raise ConfigError("SHEBAO_SECRET_KEY must be at least 32 characters in production.")
        # Only the embedded reference back office exists so far; the HTTP client is a later issue.
        if self.backoffice != "local":
            raise ConfigError(f"SHEBAO_BACKOFFICE={self.backoffice!r} is not available; use 'local'.")
