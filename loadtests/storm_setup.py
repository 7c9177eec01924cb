"""Prepare the opening-morning storm: one hall with a contended slot and N people who can log in.

Writes the hall, slot and ID numbers to var/storm.json for loadtests/appointments_storm.py. Uses the same
SHEBAO_* settings as the gateway it will be run against.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import date, time, timedelta

from sqlalchemy.orm import sessionmaker

from gateway.appointments.models import Hall, HallItem, Slot
from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.clock import local_now
from gateway.config import Settings
from gateway.db import make_engine
from gateway.identity.models import Credential, CredentialKind
from gateway.identity.passwords import hash_password
from gateway.identity.service import ensure_person
from gateway.security.pii import PiiVault
from gateway.validation import make_id_number

ITEM = "person-registration"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=400)
    parser.add_argument("--capacity", type=int, default=5)
    parser.add_argument("--out", default="var/storm.json")
    args = parser.parse_args()
    settings = Settings.from_env()
    sessions = sessionmaker(bind=make_engine(settings.database_url), expire_on_commit=False)
    vault = PiiVault(settings.secret_key)
    stored = hash_password(DEMO_PASSWORD)
    tag = os.urandom(2).hex().upper()
    day = local_now().date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    with sessions() as s:
        hall = Hall(code=f"L{tag}", name="压力测试大厅", address="-", phone="-", hours="-", map_url="")
        s.add(hall)
        s.flush()
        s.add(HallItem(hall_id=hall.id, item_id=ITEM))
        slot = Slot(hall_id=hall.id, day=day, start=time(9), end=time(9, 30), capacity=args.capacity, booked=0)
        s.add(slot)
        people = []
        for n in range(args.people):
            id_number = make_id_number(
                "610302", date(1965, 1, 1) + timedelta(days=int(tag, 16) % 3000 + n), 100 + n % 800
            )
            person = ensure_person(s, vault, id_number, f"压测{n}")
            if not person.credentials:
                s.add(
                    Credential(
                        person_id=person.id,
                        kind=CredentialKind.PASSWORD,
                        identifier=person.id_digest,
                        secret_hash=stored,
                    )
                )
            people.append(id_number)
        s.commit()
        setup = {
            "hall": hall.id,
            "slot": slot.id,
            "item": ITEM,
            "capacity": args.capacity,
            "people": people,
            "password": DEMO_PASSWORD,
        }
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(setup, fh)
    print(
        f"hall {setup['hall']}, slot {setup['slot']} on {day} (capacity {args.capacity}), "
        f"{len(people)} people → {args.out}"
    )


if __name__ == "__main__":
    main()
