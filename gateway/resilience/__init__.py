"""Working through the core system's outages (issue 19): writes it could not take are queued with a notice to the
person (:mod:`gateway.resilience.writes`), and forwarded in order when it answers again (the scheduler job)."""
