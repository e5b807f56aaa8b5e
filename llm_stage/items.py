"""Line items: a field that asks for the rows of a receipt or invoice (`field_spec(name).role ==
"items"`) is answered as a list of records with the keys ITEM_KEYS. Here: a model's list brought
to that shape, each cell grounded like a field (page, box, OCR score), the row's box, and the checks
that use arithmetic. A failed check marks the record (or the field) for review and says why; it
never changes or invents a value.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

import regex

from .field_roles import field_spec, is_items_field
from .normalize import normalize_amount
from .types import ITEM_KEYS, FieldValue

# review reasons (on a record, on the items field)
ROW_PRODUCT = "quantity_times_unit_price_is_not_amount"
ROW_TAX = "amount_times_tax_rate_is_not_tax"
SUM_TOTAL = "item_amounts_do_not_sum_to_total"
LIST_CUT = "item_list_cut_short"  # the list stopped at the decoder's record or token cap

# what a model (or a user's labels) may call a cell; folded: case, spaces, "_" and "-" dropped
_CELL_NAMES = {
    **dict.fromkeys(("description", "desc", "name", "item", "itemname", "product", "article", "text"), "description"),
    **dict.fromkeys(("quantity", "qty", "count", "menge", "quantité", "数量"), "quantity"),
    **dict.fromkeys(("unit", "uom", "单位", "einheit"), "unit"),
    **dict.fromkeys(("unitprice", "price", "rate", "单价", "preis", "prix", "each"), "unit_price"),
    **dict.fromkeys(("amount", "total", "linetotal", "sum", "金额", "betrag", "montant"), "amount"),
    **dict.fromkeys(("taxrate", "vatrate", "税率", "mwst"), "tax_rate"),
    **dict.fromkeys(("tax", "vat", "taxamount", "税额"), "tax"),
}  # fmt: skip


# Where an item table ends: a row that prints a totals label (a sub-total, a total, an amount due, in
# the languages of the receipts and invoices read) and an amount. Receipts and invoices of every
# family print their rows above these; a header total with no amount ("Qty Item Total") is no end.
_TOTALS_LABEL = regex.compile(
    r"(?i)(?<!\p{L})(?:sub\s*-?\s*total|total|totaal|totale|summe|zwischensumme|gesamt\p{L}*|zu\s*zahlen"
    r"|endbetrag|jumlah|montant\s*(?:ttc|ht|total|dû)|importe\s*total|net\s*à\s*payer|à\s*payer"
    r"|amount\s*due|balance\s*due)(?!\p{L})"
    r"|合\s*计|小\s*计|总\s*计|合\s*計|小\s*計|総\s*計|お会計"
)
_ROW_AMOUNT = regex.compile(
    r"(?<![\d.,])\d{1,3}(?:[.,\s]\d{3})*[.,]\d{2}(?!\d)|\d+[.,]\d{2}(?!\d)"
    r"|[¥￥$€£]\s?\d|\d\s?(?:円|元|€)"
)


def totals_rows(text: str) -> list[int]:
    """The rows (lines of `text`) that print a totals label and an amount: an item table ends at
    the first of them below its first row (the decoder's `ordered` layout)."""
    return [
        i
        for i, row in enumerate(text.split("\n"))
        if _TOTALS_LABEL.search(row) and _ROW_AMOUNT.search(_TOTALS_LABEL.sub(" ", row))
    ]


# The field `--items` (CLI) and `options.items` (API) add to a query that names no line-items field.
ITEMS_FIELD = "line items"


def with_items_field(names: list[str]) -> list[str]:
    """`names` with ITEMS_FIELD appended, unless one of them already asks for line items: the way to
    ask for the rows without knowing which names mean them."""
    return list(names) if any(is_items_field(n) for n in names) else [*names, ITEMS_FIELD]


def _cell_key(name: object) -> str | None:
    folded = re.sub(r"[\s_\-]+", "", str(name).casefold())
    return _CELL_NAMES.get(folded)


def _cell_text(v: object) -> str | None:
    if v is None or isinstance(v, (dict, list, tuple)):
        return None
    if isinstance(v, bool):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    text = str(v).strip()
    return text or None


def coerce_items(value: object) -> list[dict[str, str | None]] | None:
    """A model's answer for a line-items field as records with exactly ITEM_KEYS (in order, strings
    or null). Cell names a model may use instead (qty, price, name, 金额...) are mapped; other keys are
    dropped; a bare string in the list is a description. A JSON list written as a string is read.
    Any other string, or null, is no list: None (the field is absent)."""
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("["):
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return None
    rows: list[dict[str, str | None]] = []
    for raw in value:
        row: dict[str, str | None] = dict.fromkeys(ITEM_KEYS)
        if isinstance(raw, dict):
            for k, v in raw.items():
                key = _cell_key(k)
                if key is not None and row[key] is None:
                    row[key] = _cell_text(v)
        else:
            row["description"] = _cell_text(raw)
        if any(v is not None for v in row.values()):
            rows.append(row)
    return rows


# ------------------------------------------------------------------------------ arithmetic checks


def _num(text: str | None) -> Decimal | None:
    if text is None:
        return None
    value = normalize_amount(re.sub(r"\s*[A-Za-z]{1,2}$", "", text.strip()))  # "3.50 A", "9.00 SR"
    return None if value is None else Decimal(value)


def rate_fraction(text: str | None) -> Decimal | None:
    """A tax rate as a fraction: "13%" -> 0.13, "0.06" -> 0.06, "免税" -> None."""
    if text is None:
        return None
    t = text.strip().replace("％", "%")
    pct = t.endswith("%")
    try:
        d = Decimal(t.rstrip("%").strip().replace(",", "."))
    except InvalidOperation:
        return None
    return d / 100 if pct or d > 1 else d


def _close(a: Decimal, b: Decimal, rows: int = 1) -> bool:
    """Equal up to the rounding of printed money: a cent per row, or half a percent."""
    return abs(a - b) <= max(Decimal("0.011") * rows, abs(b) * Decimal("0.005"))


def check_items(fields: dict[str, FieldValue]) -> None:
    """The arithmetic checks of every line-items field in an answer, in place: quantity × unit
    price = amount and amount × tax rate = tax on each record where the row prints them; the
    amounts (with their tax, for a gross total) sum to a total or subtotal the answer holds. A
    failed check adds its reason and marks the record and the field for review."""
    totals = [
        n
        for k, fv in fields.items()
        if field_spec(k).role == "amount" and isinstance(fv.value, str)
        for n in [_num(fv.value)]
        if n is not None
    ]
    for fv in fields.values():
        if fv.items is None:
            continue
        for rec in fv.items:
            v = rec.values()
            q, p, a = _num(v["quantity"]), _num(v["unit_price"]), _num(v["amount"])
            if q is not None and p is not None and a is not None and not _close(q * p, a):
                rec.review_reasons.append(ROW_PRODUCT)
            r, t = rate_fraction(v["tax_rate"]), _num(v["tax"])
            if a is not None and r is not None and t is not None and not _close(a * r, t):
                rec.review_reasons.append(ROW_TAX)
            rec.needs_review = rec.needs_review or bool(rec.review_reasons)
        amounts = [_num(r.values()["amount"]) for r in fv.items]
        if totals and fv.items and all(a is not None for a in amounts):
            net = sum(amounts, Decimal(0))
            taxes = [_num(r.values()["tax"]) for r in fv.items]
            gross = net + sum((t for t in taxes if t is not None), Decimal(0))
            n = len(amounts)
            if not any(_close(net, t, n) or _close(gross, t, n) for t in totals):
                fv.review_reasons.append(SUM_TOTAL)
        if fv.review_reasons or any(r.needs_review for r in fv.items):
            fv.needs_review = True


def item_check_rate(fields: dict[str, FieldValue]) -> tuple[int, int]:
    """(records that pass every arithmetic check, records) over the line-items fields of an answer."""
    recs = [r for fv in fields.values() if fv.items for r in fv.items]
    arith = {ROW_PRODUCT, ROW_TAX}
    return sum(not (set(r.review_reasons) & arith) for r in recs), len(recs)
