"""12333 callers: verifying who is on the phone, and the short, scoped delegation that follows."""
