"""The one gate (DESIGN "Use cases and the Actor"): routes declare what they need (:mod:`.needs`); the request
edge builds the Actor and enforces the declaration (:mod:`.edge`)."""
