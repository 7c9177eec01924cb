"""Imports every module that defines tables, so Alembic sees the whole schema."""

from gateway.backoffice import models as backoffice_models  # noqa: F401
from gateway.identity import models as identity_models  # noqa: F401
