"""Item rows as printed, and their line-items labels (`llm_stage.types.ITEM_KEYS`).

A document that prints item rows keeps in `doc.data["rows"]` what its page prints row by row, and
in its ground truth the line-items value: one object per row with the keys ITEM_KEYS, each cell the
text as printed (so a decoder can copy it from the OCR text), null where the row prints no such cell.
The variants real receipts print (a description over two lines, a discount row, a voided row) are
drawn from `side_rng`, seeded by the document's values, so a seed's values, and the random stream
that draws them, stay as they were.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from decimal import Decimal

from llm_stage.types import ITEM_KEYS

# how often a receipt prints each variant (per document)
P_DISCOUNT = 0.3  # a discount row under an item (the item's price raised by as much: same totals)
P_VOID = 0.15  # an item rung up and voided (two rows that cancel: same totals)
P_LONG = 0.25  # per item: a longer description, printed over two lines when it does not fit


def side_rng(tag: str, fields: dict) -> random.Random:
    """A random stream for choices made after a document's values, seeded by those values: the
    document's own stream, and so every value, is unchanged by what is drawn from it."""
    return random.Random(tag + json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str))


def record(**cells: str | None) -> dict[str, str | None]:
    """A line-items object: exactly ITEM_KEYS in order, null for the cells not given."""
    unknown = set(cells) - set(ITEM_KEYS)
    if unknown:
        raise KeyError(f"not item keys: {sorted(unknown)}")
    return {k: cells.get(k) for k in ITEM_KEYS}


def wrap2(s: str, width: int) -> list[str]:
    """`s` as the one or two lines a narrow column prints it on: split at the last space that leaves
    a first line of at most `width` characters (at `width` in text without spaces)."""
    if len(s) <= width:
        return [s]
    cut = s.rfind(" ", 0, width + 1)
    if cut > 0:
        return [s[:cut], s[cut + 1 :]]
    return [s[:width], s[width:]]


def joined(lines: list[str]) -> str:
    """A multi-line description's label: its printed lines joined by one space."""
    return " ".join(lines)


def receipt_rows(
    items: list[tuple[str, str, str, str]],
    rng: random.Random,
    *,
    width: int,
    longer: Callable[[random.Random, str], str],
    extra: Callable[[random.Random], tuple[str, str]],
    discount_labels: list[str],
) -> list[dict]:
    """The rows a receipt prints for `items` ((description, qty, unit price, amount) as printed),
    with the variants drawn from `rng`: descriptions made longer by `longer` and wrapped at `width`
    characters; a discount row under a one-off item whose price is raised by the discount; an item
    from `extra` (description, unit price) rung up and voided. Each row is a dict with "kind"
    ("item", "discount" or "void"), "lines" (the description as printed) and the numbers as text.
    The totals the rows add up to are those of `items`."""
    rows = []
    for desc, qty, price, amount in items:
        if rng.random() < P_LONG:
            desc = longer(rng, desc)
        rows.append(
            {"kind": "item", "lines": wrap2(desc, width), "qty": qty, "unit_price": price, "amount": amount}
        )
    singles = [r for r in rows if r["qty"] == "1"]
    if singles and rng.random() < P_DISCOUNT:
        row = rng.choice(singles)
        d = Decimal(rng.choice(["0.50", "1.00", "1.50", "2.00", "0.30"]))
        row["unit_price"] = row["amount"] = f"{Decimal(row['amount']) + d:.2f}"
        at = rows.index(row) + 1
        rows.insert(at, {"kind": "discount", "lines": [rng.choice(discount_labels)], "amount": f"-{d:.2f}"})
    if rng.random() < P_VOID:
        desc, price = extra(rng)
        at = rng.randint(0, len(rows))
        rows.insert(
            at,
            {"kind": "void", "lines": wrap2(desc, width), "qty": "1", "unit_price": price, "amount": price},
        )
    return rows


def receipt_labels(rows: list[dict], shows: Callable[[dict], tuple[bool, bool]] = lambda r: (True, True)):
    """The line-items value of a receipt's rows. A voided row is no item: the row rung up and the
    line cancelling it are both left out (they add up to nothing). A discount row is a record of its
    own: its label as description, its amount as printed ("-1.00"). `shows(row)`: whether the layout
    prints that item row's (quantity, unit price)."""
    out = []
    for r in rows:
        if r["kind"] == "void":
            continue
        if r["kind"] == "discount":
            out.append(record(description=joined(r["lines"]), amount=r["amount"]))
            continue
        quantity, unit_price = shows(r)
        out.append(
            record(
                description=joined(r["lines"]),
                quantity=r["qty"] if quantity else None,
                unit_price=r["unit_price"] if unit_price else None,
                amount=r["amount"],
            )
        )
    return out
