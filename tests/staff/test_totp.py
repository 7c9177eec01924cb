"""TOTP rules (RFC 6238): one step of drift either way, each step good once, malformed codes refused."""

from gateway.staff import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_015.0  # inside step 60_000_000
STEP = int(NOW // totp.STEP_S)


def test_current_and_adjacent_steps_accepted():
    for drift in (-1, 0, 1):
        code = totp.code_at(SECRET, (STEP + drift) * totp.STEP_S)
        assert totp.accepted_step(SECRET, code, last_step=0, now=NOW) == STEP + drift


def test_codes_two_steps_away_refused():
    for drift in (-2, 2):
        code = totp.code_at(SECRET, (STEP + drift) * totp.STEP_S)
        assert totp.accepted_step(SECRET, code, last_step=0, now=NOW) is None


def test_a_code_is_good_once():
    code = totp.code_at(SECRET, NOW)
    used = totp.accepted_step(SECRET, code, last_step=0, now=NOW)
    assert used == STEP
    assert totp.accepted_step(SECRET, code, last_step=used, now=NOW) is None
    # An older step after a newer one was used is a replay too.
    older = totp.code_at(SECRET, (STEP - 1) * totp.STEP_S)
    assert totp.accepted_step(SECRET, older, last_step=used, now=NOW) is None


def test_malformed_codes_refused():
    for code in ("", "12345", "1234567", "12a456", "１２３４５６"):
        assert totp.accepted_step(SECRET, code, last_step=0, now=NOW) is None


def test_provisioning_uri_names_the_account():
    uri = totp.provisioning_uri(SECRET, "agent01")
    assert uri.startswith("otpauth://totp/")
    assert "agent01" in uri and f"secret={SECRET}" in uri
