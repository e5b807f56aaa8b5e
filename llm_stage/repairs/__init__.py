"""Post-decoding repairs: checks of a parsed answer against the page that may rewrite a value, each
with a name, the field roles it touches and the document family it was written for.

A repair only ever writes a span of the page (or null), so the answer stays grounded, and every
change it makes is recorded (`RepairRecord`: rule, field, before, after) on the Extraction. Which
repairs run is a preset (`--repairs`, `CHATOCR_REPAIRS`, the API's `repairs` field):

- `auto` (default): the language-free ones, and a family's own only on a page that shows that
  family's evidence (a Malaysian postcode and state or SDN BHD; a 购买方/销售方 form; a total or
  payment row);
- `general`: the language-free ones only; `none`: nothing;
- a family's name (`receipt`, `malaysia`, `cn_vat`): the language-free ones and that family's,
  whatever the page shows; `all`: every repair on every page. Comma lists combine presets.

`python -m bench.rule_audit` measures how often each family would change a right answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..field_roles import field_spec
from ..types import RepairRecord
from . import cn_vat, general, malaysia, receipts

__all__ = [
    "DEFAULT_PRESET",
    "FAMILIES",
    "PRESETS",
    "REPAIRS",
    "Family",
    "Repair",
    "RepairRecord",
    "active_families",
    "amounts_together",
    "apply_repairs",
    "check_preset",
]


@dataclass(frozen=True)
class Family:
    """A kind of document some repairs were written for, and how a page shows it is one."""

    name: str
    description: str
    evidence: Callable[[str], bool] | None  # None: every page (the language-free repairs)
    # its documents print the net, the tax and the gross in labelled places, so that an amount
    # asked alone is decoded beside the other two and checked against them (llm_stage.extract);
    # on a receipt the model's guesses at a net and a tax that are not printed would only mislead
    amounts_together: bool = False


@dataclass(frozen=True)
class Repair:
    """One repair: `fn(values, text)` returns the values with its changes; it runs only when some
    asked field has one of `roles` (None: any field)."""

    name: str
    family: str
    roles: tuple[str, ...] | None
    fn: Callable[[dict, str], dict]


def _trim_organisations(values: dict, text: str) -> dict:
    return {k: receipts.trim_value(k, v) for k, v in values.items()}


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("general", "arithmetic between amounts (net + tax = gross); any language", None),
        Family("receipt", "shop receipts: total settled by the payment rows, names without reg. numbers",
               receipts.looks_like_receipt),
        Family("malaysia", "Malaysian receipts: whole SDN BHD names, multi-row addresses", malaysia.looks_malaysian),
        Family("cn_vat", "Chinese VAT invoices: 购买方/销售方 boxes, title pieces", cn_vat.looks_vat_invoice,
               amounts_together=True),
    )
}  # fmt: skip

# in the order they run: names before the boxes and totals, amounts before addresses
REPAIRS: tuple[Repair, ...] = (
    Repair("organisation_trim", "general", ("organisation",), _trim_organisations),
    Repair("whole_legal_name", "malaysia", ("organisation",), malaysia.complete_organisations),
    Repair("title_piece", "cn_vat", ("organisation",), cn_vat.drop_title_pieces),
    Repair("party_box", "cn_vat", None, cn_vat.complete_party_fields),
    Repair("total_paid", "receipt", ("amount",), receipts.settle_total),
    Repair("amounts_add_up", "general", ("amount",), general.reconcile_amounts),
    Repair("whole_address", "malaysia", ("address",), malaysia.complete_addresses),
)

DEFAULT_PRESET = "auto"
PRESETS = ("auto", "general", "none", "all", *(f for f in FAMILIES if f != "general"))


def check_preset(preset: str | None) -> str:
    """`preset` (None: the default) checked: a preset name or a comma list of them; ValueError
    naming the choices otherwise."""
    preset = (preset or DEFAULT_PRESET).strip().lower()
    parts = [p.strip() for p in preset.split(",") if p.strip()]
    bad = [p for p in parts if p not in PRESETS]
    if bad or not parts:
        raise ValueError(
            f"unknown repairs preset {', '.join(bad) or repr(preset)}; choose {', '.join(PRESETS)}"
        )
    return ",".join(parts)


def active_families(preset: str | None, text: str) -> list[str]:
    """The families whose repairs `preset` runs on a page with `text`."""
    out: set[str] = set()
    for p in check_preset(preset).split(","):
        if p == "none":
            continue
        if p == "all":
            out |= set(FAMILIES)
        elif p == "auto":
            out |= {n for n, f in FAMILIES.items() if f.evidence is None or f.evidence(text)}
        else:
            out |= {"general", p}
    return [n for n in FAMILIES if n in out]


def amounts_together(preset: str | None, text: str) -> bool:
    """Does `preset` run, on a page with `text`, a family whose documents print the net, the tax and
    the gross together (so an amount field is decoded beside the other two)?"""
    return any(FAMILIES[f].amounts_together for f in active_families(preset, text))


def apply_repairs(
    values: dict, text: str, preset: str | None = DEFAULT_PRESET
) -> tuple[dict, list[RepairRecord]]:
    """`values` (a parsed answer) after the repairs `preset` selects, with the record of every
    change. Blank strings become null first (no record: that is parsing, not repair). `text` is
    the evidence the values were copied from."""
    values = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()}
    families = set(active_families(preset, text))
    records: list[RepairRecord] = []
    roles = {field_spec(k).role for k in values}
    for r in REPAIRS:
        if r.family not in families or (r.roles is not None and not roles & set(r.roles)):
            continue
        after = r.fn(values, text)
        for k, v in values.items():
            if after.get(k) != v:
                records.append(RepairRecord(rule=r.name, field=k, before=v, after=after.get(k)))
        values = {k: after.get(k) for k in values}
    return values, records
