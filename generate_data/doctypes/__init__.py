"""Document types. Importing this package registers every type in `REGISTRY`."""

from . import forms, invoices, receipts, vat, world_receipts  # noqa: F401
from .base import REGISTRY, Doc, DocType, Fakers

__all__ = ["REGISTRY", "Doc", "DocType", "Fakers"]
