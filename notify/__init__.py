"""The one push platform (LD/T 01 5.4.4): templates, outbox, providers. Arrives with its own issue."""
