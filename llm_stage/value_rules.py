"""The former home of the decode-time shapes and the post-decoding rules, kept so that older
imports keep working: shapes are in `llm_stage.shapes`, field roles in `llm_stage.field_roles`,
repairs in `llm_stage.repairs`."""

from __future__ import annotations

from .field_roles import field_spec
from .repairs import apply_repairs
from .repairs.cn_vat import complete_party_fields, party_box_value
from .repairs.general import order_amounts, reconcile_amounts
from .repairs.malaysia import complete_addresses, complete_organisations
from .repairs.receipts import final_total, paid_amount, settle_total, trim_value
from .shapes import (
    AMOUNT,
    DATE,
    CopySource,
    ValueRule,
    copy_forms,
    cuts_number,
    rule_for_field,
    rules_for_fields,
)

__all__ = [
    "AMOUNT",
    "DATE",
    "CopySource",
    "ValueRule",
    "apply_value_rules",
    "complete_addresses",
    "complete_organisations",
    "complete_party_fields",
    "copy_forms",
    "cuts_number",
    "final_total",
    "is_address_field",
    "is_organisation_field",
    "order_amounts",
    "paid_amount",
    "party_box_value",
    "reconcile_amounts",
    "rule_for_field",
    "rules_for_fields",
    "settle_total",
    "trim_value",
]


def is_organisation_field(name: str) -> bool:
    """Does the field name ask for an organisation's name? (`field_spec(name).role`)"""
    return field_spec(name).role == "organisation"


def is_address_field(name: str) -> bool:
    """Does the field name ask for a postal address? (`field_spec(name).role`)"""
    return field_spec(name).role == "address"


def apply_value_rules(values: dict, text: str, preset: str = "all") -> dict:
    """`values` after the repairs of `preset` (default: every repair, on any page), without the record."""
    return apply_repairs(values, text, preset)[0]
