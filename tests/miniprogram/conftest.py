"""Mini-program fixtures: settings with a seal of this folder's own, back-office people to bind a WeChat
identity to, and the HTTP steps of a WeChat login + real-name binding as the mini-program does them."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from esign import pki
from gateway.config import Settings
from gateway.identity.service import AGREEMENT_VERSION
from tests.support import resident_id

MINIPROGRAM = {"X-Shebao-Channel": "miniprogram"}


@pytest.fixture(scope="session")
def settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shared settings with a var/ of our own holding the embedded agency CA and seal, and live-chat agents
    on duty all day (``gateway/chat/hours.py``), so the Node suite's chat test passes at any hour."""
    ours = dataclasses.replace(
        settings, var_dir=tmp_path_factory.mktemp("miniprogram-var"), chat_hours="daily 00:00-24:00"
    )
    pki.init_local(Path(ours.var_dir) / "seal", ours.agency_name)
    return ours


@pytest.fixture
def db(app) -> Iterator[Session]:
    session = sessionmaker(bind=app.extensions["shebao_engine"], expire_on_commit=False)()
    yield session
    session.close()


@dataclass(frozen=True)
class Insured:
    id_number: str
    name: str
    phone: str


@pytest.fixture(scope="session")
def _workers(database_url: str) -> list[Insured]:
    """Employed back-office people with a phone of their own (the SMS limit is per phone), from the middle
    of the table so the identity and applications pools (its two ends) are left alone."""
    from gateway.backoffice.demo import DEMO_PEOPLE

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id_number, name, phone FROM bo_person WHERE status = 'working' AND unit_id IS NOT NULL "
                "ORDER BY id"
            )
        ).all()
        phones = [r.phone for r in conn.execute(sa.text("SELECT phone FROM bo_person"))]
    engine.dispose()
    demo = {d.id_number for d in DEMO_PEOPLE}
    fit = [
        Insured(*r)
        for r in rows
        if r.id_number not in demo and r.phone and phones.count(r.phone) == 1 and resident_id(r.id_number)
    ]
    return fit[len(fit) // 3 :]


def unused_worker(app, pool: list[Insured]) -> Insured:
    """Take from ``pool`` a person with no gateway identity yet (other test folders may have made one)."""
    from tests.support import take_untouched

    return take_untouched(app, pool, "back-office workers")


@pytest.fixture
def worker(_workers: list[Insured], app) -> Insured:
    """An employed person with contributions who has never used the online services."""
    return unused_worker(app, _workers)


def sms_code(sandbox_url: str, phone: str) -> str:
    """The code in the newest text the SMS sandbox sent to ``phone``."""
    texts = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": phone}, timeout=5).json()
    match = re.search(r"验证码是(\d{6})", texts["messages"][-1]["text"])
    assert match, texts["messages"][-1]["text"]
    return match.group(1)


def wechat_bind(gateway_url: str, sandbox_url: str, who: Insured, openid: str, unionid: str | None = None) -> dict:
    """What the mini-program does on a first login: wx.login code → unbound → ID + name → SMS code and the
    service agreement accepted (LD/T 01 6.2.4) → tokens."""
    code = requests.post(
        f"{sandbox_url}/wechat/sandbox/codes", json={"openid": openid, "unionid": unionid}, timeout=5
    ).json()["code"]
    first = requests.post(f"{gateway_url}/api/v1/auth/wechat/login", json={"code": code}, timeout=10).json()
    assert first["status"] == "unbound", first
    ticket = first["binding_ticket"]
    sent = requests.post(
        f"{gateway_url}/api/v1/auth/wechat/bind/sms",
        json={"binding_ticket": ticket, "id_number": who.id_number, "name": who.name},
        timeout=10,
    )
    assert sent.status_code == 202, sent.text
    done = requests.post(
        f"{gateway_url}/api/v1/auth/wechat/bind/confirm",
        json={
            "binding_ticket": ticket,
            "code": sms_code(sandbox_url, who.phone),
            "agreement_version": AGREEMENT_VERSION,
        },
        timeout=10,
    )
    assert done.status_code == 200, done.text
    return done.json()


@pytest.fixture
def bearer(db, app) -> Callable[..., dict]:
    """Headers of a mini-program API session for an ID number (``level`` 2 = a bound WeChat login)."""
    from gateway.identity.service import ensure_person
    from gateway.identity.tokens import issue_tokens

    def make(id_number: str, name: str = "测试", level: int = 2) -> dict:
        person = ensure_person(db, app.extensions["shebao_vault"], id_number, name)
        pair = issue_tokens(db, app.config["SECRET_KEY"], person.id, level, "miniprogram")
        db.commit()
        return {**MINIPROGRAM, "Authorization": f"Bearer {pair.access_token}"}

    return make
