"""Self-service kiosks as registered devices: enrolment, per-device signing keys, signed-request checks."""
