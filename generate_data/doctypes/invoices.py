"""A Western-style domestic VAT invoice on A4 (`eu_invoice`), in UK/IE English, German (Rechnung),
French (Facture) and Dutch (Factuur): one generator driven by the per-language tables of
`data/invoice_words.py`.

The page has a sender block and a logo area, the parties (seller, and the buyer under "Bill to" /
"Rechnungsempfänger" / "Client"), a meta block (invoice number, invoice, delivery and due dates,
customer number, order reference), an items table, a totals block (net, VAT at the rate, gross:
three amounts side by side that must not be confused), payment terms with IBAN/BIC and a footer
with the company registration and the VAT ID. Amounts print in the locale's format (1,234.56 /
1.234,56 / 1 234,56), dates as printed locally; every label is the text as printed.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from PIL import Image

from .. import values as V
from ..fields import spec
from ..render import BLUE, Canvas, paper, texture
from .base import Doc, Fakers, register
from .data import invoice_words as IW
from .items import record

EU_INVOICE = spec(
    "eu_invoice",
    "en",
    "Western-style VAT invoice (UK/IE, DE, FR, NL)",
    [
        ("invoice_no", "invoice_no"),
        ("invoice_date", "date"),
        ("due_date", "due_date"),
        ("seller_name", "seller_name"),
        ("seller_address", "address"),
        ("seller_vat_id", "seller_tax_id"),
        ("buyer_name", "buyer_name"),
        ("buyer_address", "buyer_address"),
        ("net_amount", "subtotal"),
        ("vat_amount", "tax_amount"),
        ("vat_rate", "tax_rate"),
        ("total", "total"),
        ("iban", "iban"),
        ("currency", "currency"),
        ("items", "items"),
    ],
    # printed without a labelled field: the seller's phone and registration, the bank (the IBAN is
    # the payee's account; the seller the payee), the order reference, the buyer's VAT ID
    unlabelled=(
        "phone",
        "registration_no",
        "gst_id",
        "company_name",
        "issuer",
        "payee_name",
        "payee_account",
        "payee_bank",
        "payer_name",
        "seller_bank",
        "seller_addr_tel",
        "buyer_addr_tel",
        "buyer_tax_id",
        "po_no",
    ),
)


# ---------------------------------------------------------------- locale formats
def fmt_amount(x: Decimal, thousands: str, decimal: str) -> str:
    """`x` with two decimals in a locale's style: fmt_amount(1234.5, ".", ",") == "1.234,50"."""
    s = f"{abs(x):,.2f}".replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    return ("-" if x < 0 else "") + s


def parse_amount(s: str, decimal: str) -> Decimal:
    """The inverse of `fmt_amount` for a locale's decimal mark (any thousands separator)."""
    body = s.replace("\u202f", "").replace(" ", "")
    whole, _, frac = body.rpartition(decimal) if decimal in body else (body, "", "")
    return Decimal(whole.replace(",", "").replace(".", "") + ("." + frac if frac else ""))


def fmt_date(d: dt.date, lang: str, style: tuple[str, str]) -> str:
    """`d` as the locale prints it: 06.12.2026, 06/12/2026, 6 December 2026, 6 décembre 2026."""
    _, pattern = style
    month = IW.MONTHS[lang][d.month - 1]
    return pattern.format(d=d.day, m=d.month, y=d.year, month=month, mon=month[:3])


def fmt_qty(q: Decimal, decimal: str) -> str:
    """A quantity: whole numbers bare ("3"), fractions with the locale's mark ("7,5")."""
    if q == q.to_integral_value():
        return str(int(q))
    return f"{q.normalize()}".replace(".", decimal)


def _fill(rng: random.Random, pattern: str) -> str:
    """Postcode patterns: 9 a digit, A a capital letter."""
    return "".join(
        str(rng.randint(0, 9)) if ch == "9" else rng.choice("ABDEFGHJLNPRSTUWXY") if ch == "A" else ch
        for ch in pattern
    )


def iban(rng: random.Random, country: str) -> str:
    """A well-formed IBAN (ISO 13616 check digits) of `country`, printed in groups of four."""
    cc, bank, n = IW.IBAN[country]
    bban = (rng.choice(IW.BANK_CODES[country]) if bank else "") + V.digits(rng, n)
    num = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
    check = 98 - int(num) % 97
    raw = f"{cc}{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


# ---------------------------------------------------------------- parties
def _company(rng: random.Random, lang: str, country: str) -> str:
    first, second = IW.COMPANY_PARTS[lang]
    head = rng.choice(first) if rng.random() < 0.7 else rng.choice(IW.LAST_NAMES[lang]).title()
    return f"{head} {rng.choice(second)} {rng.choice(IW.LEGAL_FORMS[country])}"


def _person(rng: random.Random, lang: str) -> str:
    return f"{rng.choice(IW.FIRST_NAMES[lang])} {rng.choice(IW.LAST_NAMES[lang])}"


def _address(rng: random.Random, country: str) -> list[str]:
    """An address as the lines it prints on: street, then "postcode town" (or town and postcode)."""
    street = rng.choice(IW.STREETS[country]).format(n=rng.randint(1, 180))
    town, pc = rng.choice(IW.TOWNS[country])
    pc = _fill(rng, pc)
    if country in IW.POSTCODE_FIRST:
        return [street, f"{pc} {town}"]
    return [street, town, pc] if rng.random() < 0.5 else [street, f"{town} {pc}"]


def _vat_id(rng: random.Random, country: str, siren: str) -> str:
    pat = rng.choice(IW.VAT_ID[country])
    return pat.format(
        n9=V.digits(rng, 9, True),
        n8=V.digits(rng, 8, True),
        n7=V.digits(rng, 7, True),
        n4=V.digits(rng, 4),
        n3=V.digits(rng, 3, True),
        n2=V.digits(rng, 2, True),
        L=rng.choice("ABCDEFHKTW"),
        siren=siren,
        siren_compact=siren.replace(" ", ""),
    )


def _registration(rng: random.Random, country: str, siren: str, addr: str) -> str:
    pat = rng.choice(IW.REGISTRATION[country])
    return pat.format(
        n10=V.digits(rng, 10),
        n8=V.digits(rng, 8, True),
        n6=V.digits(rng, 6, True),
        n5=V.digits(rng, 5, True),
        court=rng.choice(IW.COURTS[country]),
        siren=siren,
        addr=addr,
    )


def _invoice_no(rng: random.Random, d: dt.date) -> str:
    return rng.choice(
        [
            f"RE-{d.year}-{V.digits(rng, 4)}",
            f"{d.year}-{V.digits(rng, 5)}",
            f"INV-{V.digits(rng, 5, True)}",
            f"F{d.year}-{V.digits(rng, 3, True)}",
            f"FA{V.digits(rng, 6)}",
            f"{d.year}/{V.digits(rng, 4, True)}",
            f"{d.strftime('%y')}{V.digits(rng, 4)}",
        ]
    )


# ---------------------------------------------------------------- values
def gen_invoice(rng: random.Random, fk: Fakers) -> Doc:
    lang = rng.choice(IW.LANGS)
    country = rng.choice(IW.COUNTRIES_OF[lang])
    _, code, symbol, rates, rate_fmt = IW.COUNTRIES[country]
    thousands, decimal = rng.choice(IW.NUMBER_STYLES[lang])
    date_style = rng.choice(IW.DATE_STYLES[lang])
    d = V.rand_date(rng, 2019, 2026)
    days = rng.choice([7, 10, 14, 14, 30, 30, 60])
    due = d + dt.timedelta(days=days)
    delivery = d - dt.timedelta(days=rng.randint(0, 12))
    rate = rng.choice(rates)
    rate_num = Decimal(rate.replace(",", "."))
    rate_text = rate_fmt.format(r=rate)

    items, rows = [], []
    for desc, unit, lo, hi, kind in rng.sample(IW.ITEMS[lang], rng.randint(1, 6)):
        if kind == "hours":
            qty = Decimal(rng.choice([1, 2, 3, 4, 6, 8, 12, 16, 24])) + rng.choice([0, 0, Decimal("0.5")])
        elif kind == "int":
            qty = Decimal(rng.choice([1, 1, 2, 3, 5, 10, 20]))
        else:
            qty = Decimal(1)
        price = V.money(Decimal(str(round(rng.uniform(lo, hi), 2))))
        amount = V.money(qty * price)
        rows.append((desc, qty, unit, price, amount))
    net = sum(r[4] for r in rows)
    vat = V.money(net * rate_num / 100)
    gross = net + vat

    def amt(x: Decimal) -> str:
        return fmt_amount(x, thousands, decimal)

    seller = _company(rng, lang, country)
    seller_lines = _address(rng, country)
    b2c = rng.random() < 0.2
    buyer = _person(rng, lang) if b2c else _company(rng, lang, country)
    buyer_lines = _address(rng, country)
    siren = f"{V.digits(rng, 3, True)} {V.digits(rng, 3)} {V.digits(rng, 3)}"
    show_unit = rng.random() < 0.7
    show_vat_col = rng.random() < 0.6
    for desc, qty, unit, price, amount in rows:
        items.append(
            record(
                description=desc,
                quantity=fmt_qty(qty, decimal),
                unit=(unit or None) if show_unit else None,
                unit_price=amt(price),
                amount=amt(amount),
                tax_rate=rate_text if show_vat_col else None,
            )
        )
    f: dict[str, object] = {
        "invoice_no": _invoice_no(rng, d),
        "invoice_date": fmt_date(d, lang, date_style),
        "due_date": fmt_date(due, lang, date_style),
        "seller_name": seller,
        "seller_address": " ".join(seller_lines),
        "seller_vat_id": _vat_id(rng, country, siren),
        "buyer_name": buyer,
        "buyer_address": " ".join(buyer_lines),
        "net_amount": amt(net),
        "vat_amount": amt(vat),
        "vat_rate": rate_text,
        "total": amt(gross),
        "iban": iban(rng, country),
        "currency": code,
        "items": items,
    }
    words = {k: rng.choice(v) for k, v in IW.W[lang].items()}
    data = {
        "lang": lang,
        "locale": f"{lang}-invoice",  # the names a user asks it by (generate_data.fields.LOCAL_NAMES)
        "country": country,
        "symbol": symbol,
        "decimal": decimal,
        "thousands": thousands,
        "seller_lines": seller_lines,
        "buyer_lines": buyer_lines,
        "words": words,
        "days": days,
        "delivery_date": fmt_date(delivery, lang, date_style) if rng.random() < 0.7 else None,
        "customer_no": rng.choice(["K", "", "C", "D"]) + V.digits(rng, rng.choice([4, 5, 6]), True)
        if rng.random() < 0.7
        else None,
        "order_ref": rng.choice(["PO-", "B", "", "ORD-"]) + V.digits(rng, rng.choice([4, 6]), True)
        if rng.random() < 0.5
        else None,
        "show_unit": show_unit,
        "show_vat_col": show_vat_col,
        "tel": f"+{IW.PHONE_CODE[country]} {V.digits(rng, 2, True)} {V.digits(rng, 4)} {V.digits(rng, 3)}",
        "email": rng.choice(["info@", "rechnung@" if lang == "de" else "accounts@", "contact@"])
        + "".join(ch for ch in seller.split()[0].lower() if "a" <= ch <= "z")[:12]
        + rng.choice([".com", ".eu", "." + IW.TLD[country]]),
        "bic": rng.choice(IW.BICS[country]),
        "registration": _registration(rng, country, siren, ", ".join(seller_lines)),
        "manager": f"{IW.MANAGER[country]}: {_person(rng, lang)}" if rng.random() < 0.6 else "",
        "buyer_vat": _vat_id(rng, country, siren) if not b2c and rng.random() < 0.4 else None,
        # where the currency code is printed: a meta row, the gross line, or the amount column
        "code_at": rng.choice(["meta", "gross", "column"]),
        # the currency symbol beside printed totals: none, before or after the number
        "symbol_at": rng.choice(["none", "none", "before" if lang == "en" else "after"]),
        "due_in_meta": rng.random() < 0.7,
        "layout": rng.choice(["classic", "mirror", "band"]),
    }
    layout = f"{lang}-{data['layout']}"
    return Doc("eu_invoice", f, layout, data)


# ---------------------------------------------------------------- page
A4 = (1240, 1754)  # 150 dpi


def _logo(c: Canvas, x: float, y: float, name: str, rng: random.Random) -> float:
    """A logo: a coloured mark with the company's initials, sometimes a brand word beside it (the
    brand is no label: the seller's name is the legal name printed in the sender block and footer).
    Returns the bottom y."""
    color = rng.choice([BLUE, (160, 30, 40), (20, 110, 80), (200, 110, 0), (60, 60, 60)])
    initials = "".join(w[0] for w in name.split()[:2] if w[:1].isalpha()).upper()
    s = rng.randint(60, 90)
    if rng.random() < 0.5:
        c.draw.ellipse((x, y, x + s, y + s), fill=color)
    else:
        c.rect((x, y, x + s, y + s), outline=color, fill=color)
    c.text((x + s / 2, y + s / 2), initials, s * 0.45, "en_sans_bold", (255, 255, 255), anchor="mm")
    if rng.random() < 0.5:
        c.text((x + s + 14, y + s * 0.2), name.split()[0].upper(), s * 0.42, "en_sans_bold", color)
    return y + s


def _lines(c: Canvas, x: float, y: float, lines: list[str], sz: float, fam: str, bold_first=False, gap=1.35):
    for i, line in enumerate(lines):
        if line:
            c.text(
                (x, y),
                line,
                sz * (1.1 if bold_first and i == 0 else 1),
                fam + ("_bold" if bold_first and i == 0 else ""),
            )
        y += sz * gap
    return y


def _money_text(v: str, data: dict) -> str:
    sym = data["symbol"]
    if data["symbol_at"] == "before":
        return f"{sym}{v}"
    if data["symbol_at"] == "after":
        return f"{v} {sym}"
    return v


def render_invoice(doc: Doc, rng: random.Random) -> Image.Image:
    f, data = doc.fields, doc.data
    w = data["words"]
    W, H = A4
    c = Canvas(W, H, rng, paper(W, H, rng))
    fam = rng.choice(["en_sans", "en_serif"])
    sz = rng.uniform(17, 20)
    accent = rng.choice([c.ink, BLUE, (90, 40, 40), (40, 90, 70)])
    mx = rng.randint(70, 100)
    x1 = W - mx
    y = rng.randint(60, 90)
    layout = data["layout"]
    seller_block = [f["seller_name"], *data["seller_lines"], f"{w['tel']} {data['tel']}", data["email"]]

    # header: logo on one side, sender block on the other (or sender under the logo)
    if layout == "classic":
        bottom_logo = _logo(c, mx, y, f["seller_name"], rng)
        bx = x1 - 360
        bottom_sender = _lines(c, bx, y, seller_block, sz * 0.9, fam, bold_first=True)
        y = max(bottom_logo, bottom_sender) + sz * 2
    elif layout == "mirror":
        bottom_sender = _lines(c, mx, y, seller_block, sz * 0.9, fam, bold_first=True)
        bottom_logo = _logo(c, x1 - 240, y, f["seller_name"], rng)
        y = max(bottom_logo, bottom_sender) + sz * 2
    else:  # band: logo, title top right, the sender's lines under the logo
        bottom_logo = _logo(c, mx, y, f["seller_name"], rng)
        c.text((x1, y + 10), w["title"], sz * 2.2, fam + "_bold", accent, anchor="ra")
        y = _lines(c, mx, bottom_logo + sz, seller_block, sz * 0.9, fam, bold_first=True) + sz

    # the buyer's block: DIN-style return-address line above it, a label, name, address
    top = y
    bx = mx
    if data["lang"] == "de" and rng.random() < 0.6:
        ret = " · ".join([f["seller_name"], *data["seller_lines"][:2]])
        c.text((bx, y), ret, sz * 0.62, fam, max_width=440)
        c.line((bx, y + sz * 0.8, bx + 440, y + sz * 0.8))
        y += sz * 1.4
    if w["buyer"]:
        c.text((bx, y), w["buyer"], sz * 0.85, fam + "_bold", accent)
        y += sz * 1.4
    buyer_lines = [f["buyer_name"], *data["buyer_lines"]]
    if data["buyer_vat"]:
        buyer_lines.append(f"{w['buyer_vat']}: {data['buyer_vat']}")
    y = _lines(c, bx, y, buyer_lines, sz, fam)

    # the meta block: label/value rows at the right, or a band of labels over values
    meta: list[tuple[str, str]] = [(w["invoice_no"], f["invoice_no"]), (w["invoice_date"], f["invoice_date"])]
    if data["delivery_date"]:
        meta.append((w["delivery_date"], data["delivery_date"]))
    if data["due_in_meta"]:
        meta.append((w["due_date"], f["due_date"]))
    if data["customer_no"]:
        meta.append((w["customer_no"], data["customer_no"]))
    if data["order_ref"]:
        meta.append((w["order_ref"], data["order_ref"]))
    if data["code_at"] == "meta":
        meta.append((w["currency"], f["currency"]))
    if layout == "band":
        y += sz
        colw = (x1 - mx) / len(meta)
        for j, (label, value) in enumerate(meta):
            c.text((mx + j * colw, y), label, sz * 0.75, fam, accent, max_width=colw - 8)
            c.text((mx + j * colw, y + sz * 1.2), value, sz * 0.95, fam, max_width=colw - 8)
        y += sz * 3.2
    else:
        my = top
        lx = x1 - 430
        for label, value in meta:
            c.text((lx, my), label + rng.choice([":", ":", ""]), sz * 0.9, fam)
            c.text((x1, my), value, sz * 0.9, fam, anchor="ra")
            my += sz * 1.45
        y = max(y, my) + sz
        c.text((mx, y), w["title"], sz * 1.9, fam + "_bold", accent)
        y += sz * 3

    # the items table
    # (key, header, x as a fraction of the table: the left edge of desc and unit, else the right)
    cols = [("desc", w["col_desc"], 0.0)]
    cols.append(("qty", w["col_qty"], 0.5))
    if data["show_unit"]:
        cols.append(("unit", w["col_unit"], 0.52))
    cols.append(("price", w["col_price"], 0.7))
    if data["show_vat_col"]:
        cols.append(("vat", w["col_vat"], 0.82))
    amount_head = w["col_amount"] + (f" ({f['currency']})" if data["code_at"] == "column" else "")
    cols.append(("amount", amount_head, 1.0))
    tw = x1 - mx
    shade = rng.random() < 0.5
    if shade:
        c.rect((mx - 6, y - 6, x1 + 6, y + sz * 1.3), outline=(225, 225, 225), fill=(228, 228, 228))
    else:
        c.line((mx, y - 8, x1, y - 8), width=2)
    for j, (key, head, fr) in enumerate(cols):
        x = mx + tw * fr
        if key in ("desc", "unit"):
            c.text((x, y), head, sz * 0.85, fam + "_bold", max_width=tw * (0.4 if key == "desc" else 0.07))
        else:
            room = tw * (fr - cols[j - 1][2]) - (12 if cols[j - 1][0] != "unit" else tw * 0.08)
            c.text((x, y), head, sz * 0.85, fam + "_bold", anchor="ra", max_width=room)
    y += sz * 1.6
    c.line((mx, y - 6, x1, y - 6))
    for it in f["items"]:
        cells = {
            "desc": it["description"],
            "qty": it["quantity"],
            "unit": it["unit"] or "",
            "price": it["unit_price"],
            "vat": it["tax_rate"] or "",
            "amount": it["amount"],
        }
        for key, _, fr in cols:
            x = mx + tw * fr
            if key == "desc":
                c.text((x, y), cells[key], sz * 0.9, fam, max_width=tw * 0.43)
            elif key == "unit":
                c.text((x, y), cells[key], sz * 0.9, fam, max_width=tw * 0.08)
            else:
                c.text((x, y), cells[key], sz * 0.9, fam, anchor="ra")
        y += sz * 1.55
    c.line((mx, y, x1, y))
    y += sz

    # the totals block: net, VAT at the rate, gross
    lx = x1 - 480
    net_label = w["net"]
    vat_label = w["vat_line"].format(rate=f["vat_rate"])
    gross_label = w["gross"] + (f" {f['currency']}" if data["code_at"] == "gross" else "")
    for label, value, bold in (
        (net_label, f["net_amount"], False),
        (vat_label, f["vat_amount"], False),
        (gross_label, f["total"], True),
    ):
        if bold:
            c.line((lx, y - 6, x1, y - 6))
        face = fam + ("_bold" if bold else "")
        c.text((lx, y), label, sz * (1.05 if bold else 0.95), face)
        c.text((x1, y), _money_text(value, data), sz * (1.05 if bold else 0.95), face, anchor="ra")
        y += sz * 1.6
    y += sz

    # payment terms, due date, bank details
    c.text((mx, y), w["terms"].format(days=data["days"]), sz * 0.9, fam, max_width=tw)
    y += sz * 1.5
    if not data["due_in_meta"]:
        c.text((mx, y), w["pay_by"].format(due=f["due_date"]), sz * 0.9, fam, max_width=tw)
        y += sz * 1.5
    y += sz * 0.5
    bank = [w["bank"], f"{w['iban']}: {f['iban']}", f"{w['bic']}: {data['bic']}"]
    if rng.random() < 0.5:
        y = _lines(c, mx, y, bank, sz * 0.9, fam)
    else:
        c.text((mx, y), "   ".join(bank), sz * 0.85, fam, max_width=tw)
        y += sz * 1.5
    if w["thanks"]:
        y += sz * 0.6
        c.text((mx, y), w["thanks"], sz * 0.85, fam, max_width=tw)

    # the footer: company, registration and VAT ID; bank
    fy = H - rng.randint(150, 190)
    fz = sz * 0.68
    c.line((mx, fy - 12, x1, fy - 12), fill=(150, 150, 150))
    col1 = [f["seller_name"], *data["seller_lines"]]
    col2 = [data["registration"], data["manager"], f"{w['vat_id']}: {f['seller_vat_id']}"]
    col3 = [w["bank"], f"IBAN {f['iban']}", f"BIC {data['bic']}"]
    colw = (x1 - mx) / 3
    for j, col in enumerate((col1, col2, col3)):
        yy = fy
        for line in col:
            if line:
                c.text((mx + j * colw, yy), line, fz, fam, (90, 90, 90), max_width=colw - 12)
                yy += fz * 1.35
    if w["page"]:
        c.text((x1, H - 40), w["page"], fz, fam, (90, 90, 90), anchor="ra")
    return texture(c.img, rng, 3)


register(EU_INVOICE, gen_invoice, render_invoice)
