"""Staff of the agency (hotline agents, hall staff, reviewers, administrators): accounts with password + TOTP,
roles, and the append-only audit trail of what staff did and for whom (DESIGN "Identity"; LD/T 01 6.3.2)."""
