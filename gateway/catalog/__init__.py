"""The online service catalog (网上服务事项清单, LD/T 01 3.2), pure Python with no Flask dependency."""

from gateway.catalog.forms import EligibilityCheck, FieldKind, FormField, Forms, FormsError, ItemForm
from gateway.catalog.loader import DEFAULT_PATH, CatalogError, clear_cache, load_catalog, load_forms, parse_catalog
from gateway.catalog.model import (
    AGENCY_COMMITMENT,
    AssuranceLevel,
    Audience,
    Catalog,
    Channel,
    Consult,
    HandlingKind,
    Material,
    Scheme,
    Section,
    ServiceItem,
    UnknownItem,
)

__all__ = [
    "AGENCY_COMMITMENT",
    "DEFAULT_PATH",
    "AssuranceLevel",
    "Audience",
    "Catalog",
    "CatalogError",
    "Channel",
    "Consult",
    "EligibilityCheck",
    "FieldKind",
    "FormField",
    "Forms",
    "FormsError",
    "HandlingKind",
    "ItemForm",
    "Material",
    "Scheme",
    "Section",
    "ServiceItem",
    "UnknownItem",
    "clear_cache",
    "load_catalog",
    "load_forms",
    "parse_catalog",
]
