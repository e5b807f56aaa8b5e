"""Shop receipts from Germany, France, the Netherlands, Spain, Italy, the UK and Japan: one generator
and one layout driven by each locale's table (`data.world_receipt_words`).

What they teach beside the Malaysian/US/Chinese receipts: decimal commas and each locale's thousands
separator, dates as printed locally, the total beside the cash given and the change, a tax summary
(rate | net | tax | gross) whose numbers are not the total, item rows in local styles, the legal name
and a VAT id in an Impressum-like footer, and shop names printed as a logo (a drawing the OCR cannot
read): then the company is the footer's legal name, or null where no text names the shop.

Every labelled value is printed verbatim; `doc.data["printed"]` keeps the rows the page prints.
"""

from __future__ import annotations

import math
import random
import re
from decimal import ROUND_HALF_UP, Decimal

from PIL import Image

from ..fields import spec
from ..render import barcode, qr_block, thermal_print
from .base import Doc, Fakers, register
from .data.world_receipt_words import (
    COL_HEADS,
    JP_RATE_LINES,
    JP_TAX_LINES,
    LOCALES,
    NOTES,
    RATE_HEAD,
    WEEKDAYS_JP,
)
from .items import receipt_labels, receipt_rows, side_rng
from .receipts import Tape

FIELDS = [
    ("company", "seller_name"),
    ("address", "address"),
    ("phone", "phone"),
    ("vat_id", "seller_tax_id"),
    ("receipt_no", "invoice_no"),
    ("date", "date"),
    ("time", "time"),
    ("net", "subtotal"),
    ("tax", "tax_amount"),
    ("tax_rate", "tax_rate"),
    ("total", "total"),
    ("payment_method", "payment_method"),
    ("cash", "cash"),
    ("change", "change"),
    ("items", "items"),
]
TYPES = {f"{loc}_receipt": loc for loc in LOCALES}

# How often a receipt takes each form (the share of receipts).
P_LOGO = 0.2  # the shop's name is a drawn logo, not text
P_LOGO_LEGAL_FOOTER = 0.6  # ... and the footer prints the legal name (else no text names the shop)
P_LEGAL_FOOTER = 0.4  # a receipt with its name in text prints it again in the footer
P_PHONE = 0.75
P_VAT_ID = 0.8
P_RECEIPT_NO = 0.85
P_TIME = 0.9
P_CASH = 0.55  # paid in cash (cash and change printed), else by card
P_NEAR_EXACT_CASH = 0.2  # the customer hands over a note and coins, not the next note
P_BIG = 0.1  # an expensive item: totals in the thousands ("1.234,50")
P_PREMISES = 0.25  # a building / station / mall row in the address
P_TAX_TABLE = 0.75  # a tax summary table, else "incl. VAT 19% 0,46" rows
P_TAX_TABLE_TOTAL = 0.6  # the table's total row when it has several rates
P_TAX_TOTAL_LINE = 0.5  # "MwSt gesamt" below several "incl." rows
P_NET_LINE = 0.2  # the Japanese receipt's "税抜合計" row
P_THERMAL = 0.6
P_BARCODE = 0.3


def _auto(rng: random.Random, **known: str):
    """A mapping for `str.format_map` that draws what a template asks and the caller did not give:
    {d6} six digits, {h} a hex signature, {l} a letter, {n} a house number, {k} a till."""

    class Auto(dict):
        def __missing__(self, key: str) -> str:
            m = re.fullmatch(r"[a-z](\d+)[a-z]?", key)
            if key == "n2":  # the end of a range after {n} ("12-14"), else a unit / stand number
                v = str(int(self["n"]) + rng.choice([2, 4, 6])) if "n" in self else str(rng.randint(1, 40))
            elif key == "a1":
                v = str(rng.randint(1, 9))
            elif m:  # {d6}: six digits (the first of an area code or a phone block not 0)
                first = rng.choice("123456789" if key[0] in "acp" else "0123456789")
                v = first + "".join(rng.choice("0123456789") for _ in range(int(m.group(1)) - 1))
            elif key == "a":
                v = str(rng.randint(20, 999))
            elif key == "b":
                v = str(rng.randint(1, 9)) + "".join(
                    rng.choice("0123456789") for _ in range(rng.randint(5, 6))
                )
            elif key in ("c", "d"):
                v = str(rng.randint(1, 9)) + "".join(
                    rng.choice("0123456789") for _ in range(2 + (key == "d"))
                )
            elif key == "h":
                v = "".join(rng.choice("0123456789abcdef") for _ in range(16))
            elif key == "l":
                v = rng.choice("ABCDEFGHJ")
            elif key == "n":
                v = str(rng.randint(1, 120))
            elif key == "k":
                v = str(rng.randint(1, 12))
            elif key == "cap":
                v = rng.choice(["1 000", "7 500", "10 000", "50 000"])
            else:
                raise KeyError(key)
            self[key] = v
            return v

    return Auto(known)


def fill(tpl: str, rng: random.Random, **known: str) -> str:
    return tpl.format_map(_auto(rng, **known))


def amount(minor: int, W: dict) -> str:
    """An amount in the minor unit (cents, yen) as the locale prints it: 1.234,50 / 1 234,50 /
    1,234.50 / 1,280 (yen)."""
    sign, m = ("-" if minor < 0 else ""), abs(minor)
    if W["minor"] == 1:
        return sign + f"{m:,}".replace(",", W["thousands"])
    units, cents = divmod(m, 100)
    return sign + f"{units:,}".replace(",", W["thousands"]) + W["decimal"] + f"{cents:02d}"


def _units(s: str) -> int:
    """A row's dot-decimal amount (what `items.receipt_rows` computes with) in the minor unit."""
    return int(Decimal(s) * 100)


def _date(d, fmt: str) -> str:
    if "{" in fmt:  # a Japanese date without zero padding: 2026年12月6日
        return fmt.format(y=d.year, m=d.month, d=d.day)
    return d.strftime(fmt)


def _time(t, fmt: str) -> str:
    if "{" in fmt:
        return fmt.format(h=t.hour, mi=f"{t.minute:02d}")
    return t.strftime(fmt)


def _company(rng: random.Random, W: dict, loc: str, place: str) -> str:
    if loc == "jp":
        return rng.choice(W["shops"]).format(
            s=rng.choice(W["surnames"]), f=rng.choice(W["family"]), place=place
        )
    s, s2 = rng.sample(W["surnames"], 2)
    return rng.choice(W["shops"]).format(s=s, s2=s2)


def _address(rng: random.Random, W: dict, loc: str, place: str) -> tuple[list[str], str, str]:
    """The address rows as printed (2-4), the town and its province (for the footer)."""
    if loc == "jp":
        pc, street = rng.choice(W["towns"])
        street = street.format(a=rng.randint(1, 9), b=rng.randint(1, 30), c=rng.randint(1, 20))
        lines = [rng.choice(W["town_formats"]).format(pc=pc), street]
        if rng.random() < P_PREMISES:
            lines.append(rng.choice(W["premises"]).format(place=place, n=rng.randint(1, 9)))
        if rng.random() < 0.3:  # postcode and street on one row
            lines = [f"{lines[0]} {lines[1]}", *lines[2:]]
            if len(lines) == 1:
                lines.append(rng.choice(W["premises"]).format(place=place, n=rng.randint(1, 9)))
        return lines, street[:3], ""
    town = rng.choice(W["towns"])
    pc, name = town[0], town[1]
    street = fill(rng.choice(W["street_formats"]), rng, street=rng.choice(W["streets"]))
    if loc == "uk":  # outward code of the town, inward code drawn: "M1 4BT"
        pc = f"{pc} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    fmt = rng.choice(W["town_formats"])
    town_line = fmt.format(pc=pc, town=name, townu=name.upper(), prov=town[2] if len(town) > 2 else "")
    lines = [street, town_line]
    if loc == "uk" and "{pc}" not in fmt:
        lines.append(pc)
    if rng.random() < P_PREMISES:
        lines.insert(0, fill(rng.choice(W["premises"]), rng, s=rng.choice(W["surnames"])))
    return lines[:4], name, town[2] if len(town) > 2 else ""


def _vat_id(rng: random.Random, W: dict, loc: str) -> tuple[str, dict]:
    """The VAT id and the registration numbers printed beside it (SIREN/SIRET for France)."""
    known: dict[str, str] = {}
    if loc == "fr":
        siren = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(8))
        known = {"siren": siren, "siren_sp": f"{siren[:3]} {siren[3:6]} {siren[6:]}"}
        known["siret"] = known["siren_sp"] + " " + "".join(rng.choice("0123456789") for _ in range(5))
    return fill(W["vat_id"], rng, **known), known


def _goods(rng: random.Random, W: dict, loc: str) -> list[tuple[str, int, int, str]]:
    n = rng.choices([1, 2, 3, 4, 5, 6, 8], weights=[15, 20, 20, 15, 12, 10, 8])[0]
    out = []
    for _ in range(n):
        name, lo, hi, cls = rng.choice(W["goods"])
        qty = rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 6])
        out.append((name, qty, _price(rng, lo, hi, loc), cls))
    if rng.random() < P_BIG:
        name, lo, hi, cls = rng.choice(W["big_goods"])
        out.insert(rng.randint(0, len(out)), (name, 1, _price(rng, lo, hi, loc), cls))
    return out


def _price(rng: random.Random, lo: int, hi: int, loc: str) -> int:
    """A shelf price in the minor unit: ends in 9 or 5 (x,99 / x,49), yen in 8 or 0 (198, 280)."""
    p = rng.randint(lo, hi)
    if hi - lo < 20:
        return p
    if loc == "jp":
        v = p - p % 100 + rng.choice([98, 98, 80, 50, 28])
    else:
        v = p - p % 10 + rng.choice([9, 9, 5, 0])
    return v if lo <= v <= hi else p


def _tax_split(gross: int, rate: Decimal, loc: str) -> tuple[int, int]:
    """(net, tax) of a tax-inclusive gross in the minor unit; yen round the tax down."""
    tax = Decimal(gross) * rate / (100 + rate)
    t = math.floor(tax) if loc == "jp" else int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return gross - t, t


def _cash(rng: random.Random, total: int, cur: str, loc: str) -> int:
    notes = [n for n in NOTES[cur] if n > total] or [total - total % NOTES[cur][-1] + NOTES[cur][-1]]
    cash = notes[0]
    if rng.random() < P_NEAR_EXACT_CASH:
        step = 100 if loc == "jp" else 50
        near = total + step - total % step
        if near < cash:
            cash = near
    if cash - total == total or cash == total:  # the change would read as the total
        cash += NOTES[cur][0]
    return cash


def make_generate(loc: str):
    """The generator of `loc`'s receipts: values first, then the layout's choices in `data`."""

    def generate(rng: random.Random, fk: Fakers) -> Doc:
        W = LOCALES[loc]
        place = rng.choice(W["places"]) if loc == "jp" else ""
        company = _company(rng, W, loc, place)
        addr_lines, town, prov = _address(rng, W, loc, place)
        phone = fill(rng.choice(W["phone_formats"]), rng)
        vat_id, reg_known = _vat_id(rng, W, loc)
        d = _rand_date(rng, *W["years"])
        t = _rand_time(rng)
        date = _date(d, rng.choice(W["date_formats"]))
        time = _time(t, rng.choice(W["time_formats"]))
        receipt_no = fill(rng.choice(W["receipt_no"]), rng, y=str(d.year))
        goods = _goods(rng, W, loc)
        cls_of = {name: cls for name, _, _, cls in W["goods"] + W["big_goods"]}
        # the rows as `receipt_rows` computes them (dot decimals of a hundredth of the minor unit
        # for yen), then the printed amounts
        items = [
            (n, str(q), f"{Decimal(p) / 100:.2f}", f"{Decimal(p * q) / 100:.2f}") for n, q, p, _ in goods
        ]
        f: dict[str, object] = {"company": company, "address": " ".join(addr_lines)}
        f["phone"] = phone if rng.random() < P_PHONE else None
        f["vat_id"] = vat_id if rng.random() < P_VAT_ID else None
        f["receipt_no"] = receipt_no if rng.random() < P_RECEIPT_NO else None
        f["date"] = date
        f["time"] = time if rng.random() < P_TIME else None
        gross: dict[str, int] = {}
        for _, q, p, cls in goods:
            gross[cls] = gross.get(cls, 0) + p * q
        total = sum(gross.values())
        cur = "jpy" if loc == "jp" else "gbp" if loc == "uk" else "eur"
        cash_paid = rng.random() < P_CASH
        method = rng.choice(W["cash_methods"] if cash_paid else W["card_methods"])
        data: dict = {"locale": loc, "addr_lines": addr_lines, "town": town, "prov": prov, "place": place}
        data["reg"] = reg_known
        f["total"] = amount(total, W)
        f["payment_method"] = method
        if cash_paid:
            cash = _cash(rng, total, cur, loc)
            f["cash"], f["change"] = amount(cash, W), amount(cash - total, W)
        # the tax block: a summary table or "incl." rows; which of its sums are printed
        rates = [c for c in W["rates"] if gross.get(c)]
        split = {c: _tax_split(gross[c], W["rates"][c][2], loc) for c in rates}
        net_sum, tax_sum = sum(s[0] for s in split.values()), sum(s[1] for s in split.values())
        table = loc != "jp" and rng.random() < P_TAX_TABLE
        several = len(rates) > 1
        sums = (
            (rng.random() < P_TAX_TABLE_TOTAL)
            if table and several
            else (rng.random() < P_TAX_TOTAL_LINE)
            if several
            else False
        )
        net_line = loc == "jp" and rng.random() < P_NET_LINE
        data["tax"] = {
            "table": table,
            "sums": sums,
            "net_line": net_line,
            "rows": [(c, W["rates"][c][0], W["rates"][c][1], *split[c], gross[c]) for c in rates],
            "net": amount(net_sum, W),
            "tax": amount(tax_sum, W),
        }
        if not several:
            f["tax"] = amount(tax_sum, W)
            f["tax_rate"] = W["rates"][rates[0]][1]
            if table or net_line:
                f["net"] = amount(net_sum, W)
        elif sums:
            f["tax"] = amount(tax_sum, W)
            if table:
                f["net"] = amount(net_sum, W)
        if net_line:
            f["net"] = amount(net_sum, W)
        f = {k: v for k, v in f.items() if v is not None}
        # the name as a logo (drawn after the values, so a seed's values stay as they were)
        data["logo"] = rng.random() < P_LOGO
        data["legal_footer"] = rng.random() < (P_LOGO_LEGAL_FOOTER if data["logo"] else P_LEGAL_FOOTER)
        data["legal"] = company
        if data["logo"] and not data["legal_footer"]:
            del f["company"]  # no text names the shop: the answer is null
        irng = side_rng("items:", f)
        rows = receipt_rows(
            items,
            irng,
            width=22 if loc != "jp" else 14,
            longer=lambda r, name: name + " " + r.choice(W["longer"]),
            extra=lambda r: _extra(r, W, loc),
            discount_labels=W["discount_labels"],
        )
        last_cls = "s"
        for row in rows:  # amounts as printed; each row's tax class
            if row["kind"] == "discount":
                row["cls"] = last_cls
            else:
                desc = " ".join(row["lines"])
                row["cls"] = last_cls = next((c for n, c in cls_of.items() if desc.startswith(n)), "s")
                row["unit_price"] = amount(_units(row["unit_price"]), W)
            row["amount"] = amount(_units(row["amount"]), W)
        data["istyle"] = irng.choice([0, 0, 1, 2]) if loc != "jp" else irng.choice([0, 0, 2])
        data["item_code"] = irng.random() < W["item_code"]
        data["item_rate"] = irng.random() < W.get("item_rate", 0.0)
        data["qty_format"] = irng.choice(W["qty_formats"])
        data["rows"] = rows
        f["items"] = receipt_labels(rows, lambda r: _shows(r, data))
        if data["item_rate"]:  # the row's VAT rate printed beside it ("22%")
            sold = [r for r in rows if r["kind"] != "void"]
            for rec, row in zip(f["items"], sold, strict=True):
                if row["kind"] == "item":
                    rec["tax_rate"] = W["rates"][row["cls"]][1]
        return Doc(f"{loc}_receipt", f, "thermal", data)

    return generate


def _shows(row: dict, data: dict) -> tuple[bool, bool]:
    """Whether an item row prints its (quantity, unit price): a one-off item in the plain style
    prints neither; "2 x Brezel" prints no unit price; the columns print both (the rate column
    takes the unit price's place where rows print their VAT rate)."""
    if data["istyle"] == 0:
        return (row["qty"] != "1",) * 2
    if data["istyle"] == 1:
        return True, False
    return True, not data["item_rate"]


def _rand_date(rng: random.Random, lo: int, hi: int):
    import datetime as dt

    start, end = dt.date(lo, 1, 1).toordinal(), dt.date(hi, 12, 28).toordinal()
    return dt.date.fromordinal(rng.randint(start, end))


def _rand_time(rng: random.Random):
    import datetime as dt

    return dt.time(rng.randint(7, 21), rng.randint(0, 59), rng.randint(0, 59))


def _extra(rng: random.Random, W: dict, loc: str) -> tuple[str, str]:
    """An item rung up and voided: (description, dot-decimal price as `receipt_rows` computes)."""
    name, lo, hi, _ = rng.choice(W["goods"])
    return name, f"{Decimal(_price(rng, lo, hi, loc)) / 100:.2f}"


# ---------------------------------------------------------------- the page


def make_render(loc: str):
    def render(doc: Doc, rng: random.Random) -> Image.Image:
        W = LOCALES[loc]
        mono = rng.random() < 0.7
        if loc == "jp":
            fam, bold = rng.choice([("cn_mono", "cn_sans"), ("cn_sans", "cn_sans")])
        else:
            fam, bold = ("en_receipt", "en_receipt_bold") if mono else ("en_sans", "en_sans_bold")
        t = Tape(rng, rng.randint(520, 680), fam, rng.uniform(19, 23), bold_family=bold)
        style = {
            "money": rng.choice(W["money_styles"]),
            "total": rng.choice(W["total_styles"]),
            "rule": rng.choice(["-", "=", "*", None]),
        }
        _header(t, doc, rng, W, style)
        _items(t, doc, rng, W, style)
        tax_first = rng.random() < 0.4
        _totals(t, doc, rng, W, style, tax_first)
        _footer(t, doc, rng, W)
        doc.data["printed"] = t.lines
        img = t.finish()
        return thermal_print(img, rng, rng.uniform(0.3, 1.0)) if mono and rng.random() < P_THERMAL else img

    return render


def _m(v: str, style: dict) -> str:
    return style["money"].format(v=v)


def _rule(t: Tape, style: dict) -> None:
    t.rule(style["rule"])


def _logo(t: Tape, rng: random.Random) -> None:
    """The shop's name as a picture: shapes and stroke art, no glyphs the OCR could read as the name."""
    c, cx, top = t.c, t.c.w / 2, t.y
    h = t.size * rng.uniform(2.6, 3.6)
    ink = c.ink
    kind = rng.randint(0, 3)
    if kind == 0:  # a disc with a wave cut through it
        r = h / 2
        c.draw.ellipse((cx - r, top, cx + r, top + h), fill=ink)
        pts = [(cx - r + i * (2 * r) / 20, top + h / 2 + math.sin(i / 3) * r / 4) for i in range(21)]
        c.draw.line(pts, fill=(250, 250, 250), width=max(3, int(r / 5)))
    elif kind == 1:  # a row of triangles (a roof line / mountains)
        w = h * rng.uniform(1.8, 3.0)
        n = rng.randint(2, 4)
        for i in range(n):
            x0 = cx - w / 2 + i * w / n
            c.draw.polygon(
                [(x0, top + h), (x0 + w / n / 2, top + h * rng.uniform(0.1, 0.4)), (x0 + w / n, top + h)],
                fill=ink,
            )
    elif kind == 2:  # a badge of bars of several lengths
        w = h * rng.uniform(2.0, 3.2)
        c.rect((cx - w / 2, top, cx + w / 2, top + h), width=max(2, int(h / 14)))
        for i in range(4):
            y = top + h * (0.2 + 0.17 * i)
            ln = w * rng.uniform(0.3, 0.8)
            c.draw.rectangle((cx - ln / 2, y, cx + ln / 2, y + h * 0.09), fill=ink)
    else:  # interlocking rings
        r = h / 2.4
        for i in range(3):
            x = cx + (i - 1) * r * 1.2
            c.draw.ellipse(
                (x - r, top + h / 2 - r, x + r, top + h / 2 + r), outline=ink, width=max(3, int(r / 5))
            )
    t.y += h + t.size * 0.6


def _header(t: Tape, doc: Doc, rng: random.Random, W: dict, style: dict) -> None:
    f, data = doc.fields, doc.data
    heading = rng.choice(W["headings"])
    heading_top = heading and rng.random() < 0.4
    if heading_top:
        t.center(heading, 1.0, bold=True)
    if data["logo"]:
        _logo(t, rng)
    else:
        t.center(data["legal"], rng.uniform(1.1, 1.4), bold=True)
    greet = rng.choice(W["greetings"])
    if greet:
        t.center(greet, 0.9)
    for line in data["addr_lines"]:
        t.center(line, 0.95)
    if "phone" in f:
        t.center(rng.choice(W["phone_lines"]).format(v=f["phone"]), 0.9)
    data["vat_in_footer"] = rng.random() < 0.5
    if "vat_id" in f and not data["vat_in_footer"]:
        t.center(rng.choice(W["vat_lines"]).format(v=f["vat_id"]), 0.9)
    if heading and not heading_top:
        t.space(0.3)
        t.center(heading, 1.0, bold=rng.random() < 0.5)
    _rule(t, style)
    date_line = rng.choice(W["date_lines"]) if "time" in f else "{date}"
    wd = WEEKDAYS_JP[_weekday(f["date"], data)] if "{wd}" in date_line else ""
    when = date_line.format(date=f["date"], time=f.get("time", ""), wd=wd)
    till = fill(
        rng.choice(W["till_lines"]),
        rng,
        b=rng.choice(W["surnames"]) if rng.random() < 0.5 else str(rng.randint(1, 40)),
    )
    no = rng.choice(W["receipt_labels"]).format(v=f["receipt_no"]) if "receipt_no" in f else None
    order = rng.randint(0, 2)
    if order == 0:
        t.left(when)
        if no:
            t.left(no)
        t.left(till)
    elif order == 1:
        if no:
            t.pair(no, till)
        else:
            t.left(till)
        t.left(when)
    else:
        t.left(till)
        if no:
            t.left(no)
        t.left(when)
    _rule(t, style)


def _weekday(date: str, data: dict) -> int:
    nums = [int(x) for x in re.findall(r"\d+", date)]
    import datetime as dt

    try:
        return dt.date(
            nums[0] if nums[0] > 31 else 2000 + nums[2], nums[1], nums[2] if nums[0] > 31 else nums[0]
        ).weekday()
    except (ValueError, IndexError):
        return 0


def _items(t: Tape, doc: Doc, rng: random.Random, W: dict, style: dict) -> None:
    data, loc = doc.data, doc.data["locale"]
    istyle = data["istyle"]
    m = lambda v: _m(v, style)  # noqa: E731
    if istyle == 2:
        q, d, p, a = rng.choice(COL_HEADS[loc])
        if data["item_rate"]:
            t.cols([q, d, RATE_HEAD[loc], a], [0, 0.12, 0.7, 1.0], "llrr")
        else:
            t.cols([q, d, p, a], [0, 0.12, 0.76, 1.0], "llrr")
        _rule(t, style)
    void = rng.choice(W["void_labels"])
    for row in data["rows"]:
        lines = row["lines"]
        code = W["rates"][row["cls"]][0] if data["item_code"] else ""
        rate = W["rates"][row["cls"]][1] if data["item_rate"] else ""
        amt = m(row["amount"]) + (f" {code}" if code else "")
        if row["kind"] == "discount":
            t.pair(lines[0], m(row["amount"]))
            continue
        qty, price = row["qty"], row["unit_price"]
        if istyle == 2:  # a description over two rows prints them first, then the numbers
            mid = rate if data["item_rate"] else price
            if len(lines) > 1:
                for line in lines:
                    t.left(line)
                t.cols([qty, mid, amt], [0, 0.76, 1.0], "lrr")
            else:
                t.cols([qty, lines[0], mid, amt], [0, 0.12, 0.76, 1.0], "llrr")
        elif istyle == 1:  # "2 x Brezel  1,80"; a second row of the description under the first
            first = f"{qty} x {lines[0]}"
            if len(lines) > 1:
                t.left(first)
                for line in lines[1:-1]:
                    t.left(line)
                first = lines[-1]
            t.pair(first + (f" {rate}" if rate else ""), amt)
        else:
            for line in lines[:-1]:
                t.left(line)
            if qty == "1":
                t.pair(lines[-1] + (f"  {rate}" if rate else ""), amt)
            else:
                t.left(lines[-1] + (f"  {rate}" if rate else ""))
                t.pair("  " + data["qty_format"].format(q=qty, p=price), amt)
        if row["kind"] == "void":
            t.pair(f"{void} {lines[0]}", m("-" + row["amount"]))
    _rule(t, style)


def _totals(t: Tape, doc: Doc, rng: random.Random, W: dict, style: dict, tax_first: bool) -> None:
    f = doc.fields
    loc = doc.data["locale"]
    if loc == "jp" or rng.random() < 0.3:  # 小計 / Zwischensumme: the same amount, above the total
        t.pair(rng.choice(W["subtotal_labels"]), _m(f["total"], style))
    t.pair(
        rng.choice(W["total_labels"]), style["total"].format(v=f["total"]), rng.uniform(1.1, 1.35), bold=True
    )
    if tax_first or loc == "jp":
        _tax_block(t, doc, rng, W, style)
    if "cash" in f:
        lead = rng.choice(W["cash_leads"])
        t.pair(f"{lead}{f['payment_method']}", _m(f["cash"], style))
        t.pair(rng.choice(W["change_labels"]), _m(f["change"], style))
    else:
        t.pair(f["payment_method"], _m(f["total"], style))
        for line in rng.sample(W["card_lines"], rng.randint(1, 2)):
            t.left(fill(line, rng), 0.9)
    if not (tax_first or loc == "jp"):
        t.space(0.4)
        _tax_block(t, doc, rng, W, style)


def _tax_block(t: Tape, doc: Doc, rng: random.Random, W: dict, style: dict) -> None:
    """The tax summary: a table (rate | net | tax | gross) with an optional total row, or one
    "incl. tax" row per rate; Japanese receipts print "8%対象 ¥1,080 / 内消費税 ¥80"."""
    tax, loc = doc.data["tax"], doc.data["locale"]
    m = lambda v: _m(v, style)  # noqa: E731
    a = lambda v: amount(v, W)  # noqa: E731
    rn = rng.choice(W["rate_names"])
    if loc == "jp":
        rline, tline = rng.choice(JP_RATE_LINES), rng.choice(JP_TAX_LINES)
        for _, _code, rate, _net, tx, gross in tax["rows"]:
            t.left(rline.format(rate=rate, gross=m(a(gross)), tax=m(a(tx))), 0.95)
            if "{tax}" not in rline:
                t.left(tline.format(tax=m(a(tx))), 0.95)
        if tax["sums"] or len(tax["rows"]) == 1:
            t.pair(rng.choice(W["tax_total_lines"]), m(tax["tax"]))
        if tax["net_line"]:
            t.pair(rng.choice(W["net_total_lines"]), m(tax["net"]))
        return
    if tax["table"]:
        xs = [0, 0.45, 0.72, 1.0]
        t.cols(list(W["tax_table"]), xs, "lrrr")
        for _, code, rate, net, tx, gross in tax["rows"]:
            t.cols([f"{code} {rate}".strip(), a(net), a(tx), a(gross)], xs, "lrrr")
        if tax["sums"]:
            t.cols(
                [rng.choice(W["tax_table_total"]), tax["net"], tax["tax"], doc.fields["total"]], xs, "lrrr"
            )
        return
    for _, _code, rate, _net, tx, _gross in tax["rows"]:
        t.pair(rng.choice(W["tax_included"]).format(rn=rn, rate=rate), m(a(tx)))
    if tax["sums"]:
        t.pair(rng.choice(W["tax_total_lines"]).format(rn=rn), m(tax["tax"]))


def _footer(t: Tape, doc: Doc, rng: random.Random, W: dict) -> None:
    f, data = doc.fields, doc.data
    t.space(rng.uniform(0.4, 1.0))
    for line in rng.sample(W["footer_thanks"], rng.randint(1, 2)):
        t.center(line, 0.9)
    if W["tse"] and rng.random() < 0.5:
        t.left(fill(rng.choice(W["tse"]), rng, date=f["date"]), 0.8)
    if data["legal_footer"]:
        t.space(0.3)
        t.center(
            rng.choice(W["legal_lines"]).format(
                legal=data["legal"], town=data["town"], place=data["place"], cap="10 000"
            ),
            0.85,
        )
        if W["reg_lines"] and rng.random() < 0.6:
            t.center(
                fill(rng.choice(W["reg_lines"]), rng, town=data["town"], prov=data["prov"], **data["reg"]),
                0.85,
            )
    if "vat_id" in f and data["vat_in_footer"]:
        t.center(rng.choice(W["vat_lines"]).format(v=f["vat_id"]), 0.85)
    if rng.random() < P_BARCODE:
        t.space()
        barcode(t.c, int(t.c.w * 0.15), int(t.y), int(t.c.w * 0.7), 45)
        t.y += 55
    elif data["locale"] in ("fr", "it", "es") and rng.random() < 0.3:
        qr_block(t.c, int(t.c.w / 2 - 45), int(t.y), 90)
        t.y += 100


for _name, _loc in TYPES.items():
    register(
        spec(_name, "zh" if _loc == "jp" else "en", LOCALES[_loc]["title"], FIELDS, locale=_loc),
        make_generate(_loc),
        make_render(_loc),
        thermal=True,
    )
