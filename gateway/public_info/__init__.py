"""Public information and service evaluation (LD/T 01 5.6, clause 7): the Regulation's text, policy documents,
the halls, and 好差评 with its published figures."""
