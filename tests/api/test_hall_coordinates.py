"""Halls carry their place in GCJ-02 (the datum of China's maps and of ``wx.openLocation``), so the mini-program
navigates to a hall instead of copying its address: the public hall list and the booking's halls alike."""

from __future__ import annotations

from flask.testing import FlaskClient

from gateway.appointments.demo import HALLS


def _in_china(latitude: float, longitude: float) -> bool:
    return 3 < latitude < 54 and 73 < longitude < 136


def test_the_public_hall_list_places_every_demo_hall(client: FlaskClient) -> None:
    halls = {h["code"]: h for h in client.get("/api/v1/info/halls").get_json()["halls"]}
    for code, _name, _address, _phone, (latitude, longitude) in HALLS:
        hall = halls[code]
        assert (hall["latitude"], hall["longitude"]) == (latitude, longitude), code
        assert _in_china(hall["latitude"], hall["longitude"])


def test_the_halls_for_a_booking_are_placed_too(client: FlaskClient) -> None:
    answer = client.get("/api/v1/appointments/halls?item=person-registration")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    halls = answer.get_json()["halls"]
    assert halls and all(_in_china(h["latitude"], h["longitude"]) for h in halls if h["latitude"] is not None)
    assert any(h["latitude"] is not None for h in halls)
