"""Thermal shop receipts: 购物小票 (Chinese supermarket), Malaysian (SDN BHD, GST, 5-sen rounding)
and US (Inc., sales tax) receipts."""

from __future__ import annotations

import random
from decimal import Decimal

from PIL import Image

from .. import values as V
from ..fields import spec
from ..render import Canvas, barcode, qr_block, texture, thermal_print
from .base import Doc, Fakers, register
from .data import my_receipt as L
from .data.receipt_words import (
    BRAND_KINDS,
    BUILDINGS,
    CN_GOODS,
    CN_ROMAN,
    CN_ROMAN2,
    LOGO_SYLLABLES,
    MY_GOODS,
    MY_SUFFIX,
    MY_TRADES,
    SG_SUFFIX,
    STORES,
    US_GOODS,
    US_STATES,
)
from .items import receipt_labels, receipt_rows, side_rng


class Tape:
    """Rows of a receipt laid out top-down on a narrow strip, cropped to length at the end.
    `lines` keeps the text of each printed row (a row's cells joined by two spaces), so a layout
    can record what its page prints without reading it back."""

    def __init__(
        self, rng: random.Random, width: int, family: str, size: float, bold_family: str | None = None
    ):
        self.rng = rng
        self.c = Canvas(width, 4000, rng, tuple(rng.randint(244, 255) for _ in range(3)))
        self.family, self.bold = family, bold_family or family
        self.size = size
        self.margin = rng.randint(18, 40)
        self.y = rng.randint(30, 60)
        self.gap = rng.uniform(1.25, 1.55)
        self.lines: list[str] = []

    def center(self, s: str, scale: float = 1.0, bold: bool = False):
        if s:
            self.lines.append(s)
            self.c.text(
                (self.c.w / 2, self.y),
                s,
                self.size * scale,
                self.bold if bold else self.family,
                anchor="ma",
                max_width=self.c.w - 2 * self.margin,
            )
        self.y += self.size * scale * self.gap

    def left(self, s: str, scale: float = 1.0, bold: bool = False):
        self.lines.append(s)
        self.c.text(
            (self.margin, self.y),
            s,
            self.size * scale,
            self.bold if bold else self.family,
            max_width=self.c.w - 2 * self.margin,
        )
        self.y += self.size * scale * self.gap

    def left_bold(self, s: str, scale: float = 1.0, bold: bool = True):
        self.left(s, scale, bold)

    def right(self, s: str, scale: float = 1.0, bold: bool = False):
        self.lines.append(s)
        self.c.text(
            (self.c.w - self.margin, self.y),
            s,
            self.size * scale,
            self.bold if bold else self.family,
            anchor="ra",
            max_width=self.c.w - 2 * self.margin,
        )
        self.y += self.size * scale * self.gap

    def pair(self, left: str, right: str, scale: float = 1.0, bold: bool = False):
        fam = self.bold if bold else self.family
        self.lines.append(f"{left}  {right}")
        self.c.text((self.margin, self.y), left, self.size * scale, fam)
        self.c.text((self.c.w - self.margin, self.y), right, self.size * scale, fam, anchor="ra")
        self.y += self.size * scale * self.gap

    def cols(self, cells: list[str], xs: list[float], aligns: str):
        self.lines.append("  ".join(cells))
        for s, x, a in zip(cells, xs, aligns, strict=True):
            px = self.margin + x * (self.c.w - 2 * self.margin)
            self.c.text((px, self.y), s, self.size, self.family, anchor="ra" if a == "r" else "la")
        self.y += self.size * self.gap

    def rule(self, char: str | None = None):
        y = self.y + self.size * 0.4
        if char:
            self.c.dashed(self.y, self.margin, self.c.w - self.margin, char=char, size=self.size)
        else:
            self.c.dashed(y, self.margin, self.c.w - self.margin)
        self.y += self.size * self.gap

    def space(self, k: float = 0.6):
        self.y += self.size * k

    def finish(self) -> Image.Image:
        img = self.c.img.crop((0, 0, self.c.w, int(self.y + self.rng.randint(30, 80))))
        return texture(img, self.rng, 3)


# ---------------------------------------------------------------- 购物小票

CN_RECEIPT = spec(
    "cn_supermarket_receipt",
    "zh",
    "购物小票",
    [
        ("商户名称", "seller_name"),
        ("门店地址", "address"),
        ("电话", "phone"),
        ("单号", "invoice_no"),
        ("收银员", "cashier"),
        ("日期", "date"),
        ("时间", "time"),
        ("商品件数", "item_count"),
        ("合计", "total"),
        ("实收", "cash"),
        ("找零", "change"),
        ("支付方式", "payment_method"),
        ("商品明细", "items"),
    ],
)


def gen_cn(rng: random.Random, fk: Fakers) -> Doc:
    region = rng.choice(list(V.REGIONS))
    city = V.REGIONS[region][1]
    store = f"{rng.choice(STORES)}（{city[:2]}{rng.choice(V.ROADS)[:2]}店）"
    d = V.rand_date(rng, 2018, 2025)
    t = V.rand_time(rng, 8, 22)
    items = []
    for _ in range(rng.randint(1, 7)):
        name, lo, hi = rng.choice(CN_GOODS)
        qty = rng.choice([1, 1, 1, 2, 3])
        price = V.money(Decimal(str(round(rng.uniform(lo, hi), 1))))
        items.append((name, str(qty), f"{price:.2f}", f"{price * qty:.2f}"))
    total = sum(Decimal(i[3]) for i in items)
    pay = rng.choice(["现金", "微信支付", "支付宝", "银联卡"])
    f: dict[str, object] = {
        "商户名称": store,
        "门店地址": V.cn_street_address(rng, city),
        "电话": V.landline(rng),
        "单号": V.digits(rng, rng.choice([12, 14, 16]), first_nonzero=True),
        "收银员": fk.zh.name() if rng.random() < 0.5 else f"{rng.randint(1, 99):03d}",
        "日期": d.strftime(rng.choice(["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"])),
        "时间": t.strftime("%H:%M:%S"),
        "商品件数": str(sum(int(i[1]) for i in items)),
        "合计": f"{total:.2f}",
        "支付方式": pay,
        "商品明细": items,
    }
    if pay == "现金":
        cash = Decimal(next(n for n in (10, 20, 50, 100, 200, 500, 1000) if n >= total))
        f["实收"] = f"{cash:.2f}"
        f["找零"] = f"{cash - total:.2f}"
    data = {"machine": f"{rng.randint(1, 12):02d}"}
    rows = receipt_rows(
        items,
        side_rng("items:", f),
        width=12,
        longer=lambda r, name: name + r.choice(CN_LONGER),
        extra=lambda r: _extra(r, CN_GOODS, 1),
        discount_labels=["优惠", "会员优惠", "折扣", "促销优惠"],
    )
    f["商品明细"], data["rows"] = receipt_labels(rows), rows
    return Doc("cn_supermarket_receipt", f, "thermal", data)


CN_LONGER = ["（家庭装）", "特惠装500g×2袋", "（整箱24瓶）", "经典原味组合装", "（会员专享价）"]


def _extra(rng: random.Random, goods, digits: int) -> tuple[str, str]:
    """An item rung up and then voided: (description, price as printed)."""
    name, lo, hi = rng.choice(goods)
    return name, f"{V.money(Decimal(str(round(rng.uniform(lo, hi), digits)))):.2f}"


def render_cn(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    t = Tape(rng, rng.randint(560, 660), rng.choice(["cn_mono", "cn_sans"]), rng.uniform(20, 24))
    t.center(f["商户名称"], 1.2, bold=True)
    t.center(rng.choice(["欢迎光临", "谢谢惠顾", ""]))
    t.left(f"门店地址：{f['门店地址']}", 0.9)
    t.left(f"电话：{f['电话']}", 0.9)
    t.rule("-")
    t.left(f"单号：{f['单号']}")
    t.pair(f"收银员：{f['收银员']}", f"机号：{doc.data['machine']}")
    if rng.random() < 0.5:
        t.left(f"日期：{f['日期']} {f['时间']}")
    else:
        t.pair(f"日期：{f['日期']}", f"时间：{f['时间']}")
    t.rule("-")
    t.cols(["品名", "数量", "单价", "金额"], [0, 0.55, 0.78, 1.0], "lrrr")
    for row in doc.data["rows"]:
        for line in row["lines"]:
            t.left(line)
        if row["kind"] == "discount":
            t.cols([row["amount"]], [1.0], "r")
            continue
        t.cols([row["qty"], row["unit_price"], row["amount"]], [0.55, 0.78, 1.0], "rrr")
        if row["kind"] == "void":
            t.cols(["取消", f"-{row['amount']}"], [0, 1.0], "lr")
    t.rule("-")
    t.pair("商品件数：", f["商品件数"])
    t.pair("合计：", f["合计"], 1.15, bold=True)
    if "实收" in f:
        t.pair("实收：", f["实收"])
        t.pair("找零：", f["找零"])
    t.pair("支付方式：", f["支付方式"])
    t.rule("-")
    t.center("谢谢惠顾，欢迎再次光临！")
    if rng.random() < 0.5:
        t.space()
        barcode(t.c, int(t.c.w * 0.15), int(t.y), int(t.c.w * 0.7), 50)
        t.y += 60
    return t.finish()


# ---------------------------------------------------------------- Malaysian / Singaporean receipt

MY_RECEIPT = spec(
    "my_receipt",
    "en",
    "Malaysian/Singaporean shop receipt",
    [
        ("company", "seller_name"),
        ("registration_no", "registration_no"),
        ("tax_id", "gst_id"),
        ("address", "address"),
        ("phone", "phone"),
        ("receipt_no", "invoice_no"),
        ("date", "date"),
        ("time", "time"),
        ("cashier", "cashier"),
        ("subtotal", "subtotal"),
        ("tax", "tax_amount"),
        ("rounding", "rounding"),
        ("total", "total"),
        ("cash", "cash"),
        ("change", "change"),
        ("items", "items"),
    ],
)


def _my_company(fk: Fakers, rng: random.Random, sg: bool) -> str:
    r = rng.random()
    if r < 0.3:
        base = f"{rng.choice(CN_ROMAN)} {rng.choice(CN_ROMAN2)}" + (
            f" {rng.choice(CN_ROMAN2)}" if rng.random() < 0.4 else ""
        )
    elif r < 0.55:
        base = V.my_words(rng, rng.choice([1, 2]))
    elif r < 0.75:
        base = (fk.my.last_name() if rng.random() < 0.5 else fk.en.last_name()).upper()
    else:
        base = (
            rng.choice(
                [
                    "GOLDEN",
                    "NEW",
                    "GREEN",
                    "SUNRISE",
                    "ROYAL",
                    "STAR",
                    "LUCKY",
                    "PREMIER",
                    "CITY",
                    "GRAND",
                    "ONE",
                ]
            )
            + " "
            + (
                V.my_words(rng)
                if rng.random() < 0.5
                else rng.choice(["LEAF", "OCEAN", "HORIZON", "PALM", "VALLEY", "BRIDGE"])
            )
        )
    trade = rng.choice(MY_TRADES)
    if rng.random() < 0.12:
        name = f"{rng.choice(['SYARIKAT', 'PERNIAGAAN', 'KEDAI'])} {base}"
    else:
        name = f"{base} {trade}"
    if rng.random() < 0.12:
        name += f" ({rng.choice(['KL', 'JB', 'PJ', 'TAMAN ' + V.my_words(rng), V.my_words(rng)])})"
    pool = SG_SUFFIX if sg else MY_SUFFIX
    suf = rng.choices([s for s, _ in pool], weights=[w for _, w in pool])[0]
    if suf.endswith(trade) or (suf in ("TRADING", "ENTERPRISE") and trade in ("TRADING", "TRADING & SUPPLY")):
        suf = "SDN BHD"
    name = f"{name} {suf}".strip()
    return name.title() if suf == "Sdn Bhd" else name


def _my_reg(rng: random.Random, sg: bool, year: int) -> tuple[str, str]:
    """(registration number as the gold value, the printed line)."""
    if sg:
        uen = f"{rng.randint(1990, year)}{V.digits(rng, 5)}{rng.choice('KMNRWZEHD')}"
        return uen, rng.choice(["UEN: {}", "CO. REG NO: {}", "Co Reg No. {}", "({})"]).format(uen)
    old = f"{rng.randint(1000, 1299999)}-{rng.choice('ADHKMPTUVWX')}"
    if rng.random() < 0.25:
        new = f"{rng.randint(1990, year)}{rng.choice(['01', '03'])}{V.digits(rng, 6)}"
        return new, rng.choice(["CO. REG: {n} ({o})", "COMPANY NO: {n} ({o})", "Reg No: {n}"]).format(
            n=new, o=old
        )
    return old, rng.choice(
        [
            "({})",
            "({})",
            "(CO. REG NO: {})",
            "CO. REG. NO. {}",
            "Co-REG:{}",
            "(CO.NO. {})",
            "ROC NO: {}",
            "COMPANY NO : {}",
            "{}",
        ]
    ).format(old)


# Real receipts often print something above the legal name, so "company = first line" is wrong:
# a store/terminal code, a logo the OCR reads as garbage, a brand (trading name), a document
# heading, a greeting. (kind, weight); 1-2 of them on PRE_HEADER_P of the receipts.
PRE_HEADER_P = 0.4
PRE_HEADER_KINDS = [("code", 25), ("logo", 20), ("brand", 20), ("heading", 20), ("welcome", 15)]
MY_STATES = {state for _, state, _ in V.MY_CITIES}


def _my_brand(rng: random.Random, fk: Fakers, company: str) -> str:
    """A trading name that differs from the legal name (the legal name stays the `company`)."""
    for _ in range(5):
        r = rng.random()
        kind = rng.choice(BRAND_KINDS)
        if r < 0.3:
            who = rng.choice(CN_ROMAN) if rng.random() < 0.5 else fk.en.last_name().upper()
            brand = f"{who}'S {kind}"
        elif r < 0.55:
            brand = (
                f"{rng.choice(['GOLDEN', 'HAPPY', 'URBAN', 'FRESH', 'SUPER', 'MR.', 'UNCLE', 'PAPA'])} {kind}"
            )
        elif r < 0.8:
            brand = f"{V.my_words(rng)} {kind}"
        else:
            brand = f"{rng.choice(['88', '99', '123', '7 DAYS', '1-STOP', '365'])} {kind}"
        if rng.random() < 0.2:
            brand = brand.title().replace("'S ", "'s ")
        if brand.upper() not in company.upper() and company.upper() not in brand.upper():
            return brand
    return brand + " EXPRESS"


def _logo_garbage(rng: random.Random) -> str:
    """What the OCR reads off a logo: letter soup with stray punctuation ("Smanttich·&person.")."""
    words = []
    for _ in range(rng.choice([1, 1, 2])):
        w = "".join(rng.choice(LOGO_SYLLABLES) for _ in range(rng.randint(2, 4)))
        words.append(w.capitalize() if rng.random() < 0.6 else w.upper() if rng.random() < 0.3 else w)
    text = rng.choice(["·&", " ", "&", "·", "", " - "]).join(words)
    return text + rng.choice(["", "", ".", "'", ":", " .", "®", "™"])


def _pre_header(rng: random.Random, fk: Fakers, company: str, era: str) -> list[tuple[str, str]]:
    """The (kind, text) lines printed above the company, top first; empty for most receipts."""
    if rng.random() >= PRE_HEADER_P:
        return []
    kinds: list[str] = []
    for _ in range(1 if rng.random() < 0.7 else 2):
        pool = [(k, w) for k, w in PRE_HEADER_KINDS if k not in kinds]
        kinds.append(rng.choices([k for k, _ in pool], weights=[w for _, w in pool])[0])
    # a code or a logo sits at the very top; the rest keep the drawn order
    kinds.sort(key=lambda k: {"code": 0, "logo": 1}.get(k, 2))
    brand = _my_brand(rng, fk, company) if "brand" in kinds else None
    out = []
    for k in kinds:
        if k == "code":
            text = rng.choice(
                [
                    f"{rng.choice('ABCDEFGHJKMNPRSTW')}{V.digits(rng, 5)}",
                    f"{rng.choice('ABCDEFGHJKMNPRSTW')}{V.digits(rng, 5)}",
                    f"{rng.choice('ABCST')}{V.digits(rng, 4)}",
                    f"#{V.digits(rng, 4)}",
                    f"T{V.digits(rng, 2)}-{V.digits(rng, 4)}",
                ]
            )
        elif k == "logo":
            text = _logo_garbage(rng)
        elif k == "brand":
            text = brand
        elif k == "heading":
            text = rng.choice(
                ["TAX INVOICE", "SIMPLIFIED TAX INVOICE", "TAX INVOICE", "OFFICIAL RECEIPT", "CASH BILL"]
                if era != "none"
                else ["OFFICIAL RECEIPT", "CASH BILL", "RECEIPT", "CASH SALES"]
            )
        else:
            place = brand or (
                V.my_words(rng) + " " + rng.choice(["MALL", "BRANCH", "OUTLET", "PLAZA"])
                if rng.random() < 0.6
                else rng.choice(V.MY_CITIES)[0]
            )
            text = rng.choice(
                [
                    f"WELCOME TO {place.upper()}",
                    f"Welcome to {place}",
                    f"*** WELCOME TO {place.upper()} ***",
                    "SELAMAT DATANG",
                    "*** WELCOME ***",
                ]
            )
        out.append((k, text))
    return out


def _premises_line(rng: random.Random) -> str:
    """A building/level/mall line printed as the first line of the postal address."""
    floor = rng.choice(
        [
            f"LEVEL {rng.randint(1, 30)}",
            "GROUND FLOOR",
            "1ST FLOOR",
            "3RD FLR",
            f"LOT G-{rng.randint(1, 90):02d}",
        ]
    )
    place = rng.choice(
        [
            f"{rng.choice(BUILDINGS)} {V.my_words(rng)}",
            f"{rng.choice(BUILDINGS)} {rng.choice(['TH', 'UOA', 'KWSP', 'MBF', 'PKNS'])}",
            f"{V.my_words(rng)} MALL",
            f"{V.my_words(rng)} SHOPPING CENTRE",
            f"{V.my_words(rng)} {V.my_words(rng)} SC",
        ]
    )
    return rng.choice([f"{floor}, {place},", f"{place},", f"{floor} {place},"])


# How often a Malaysian receipt's values take each form (the share of receipts, drawn in this order).
P_SINGAPORE = 0.15  # a Singapore receipt (PTE LTD, GST 7%, S$, no 5-sen rounding)
P_NEAR_EXACT_CASH = 0.25  # the customer pays nearly the exact amount, not the next note
P_SG_UEN_TAX_ID = 0.5  # a Singapore GST number in the "M2-1234567-8" form, else 12 digits
P_ZERO_PADDED_GST_ID = 0.7  # a Malaysian GST id starting "000"
P_PHONE = 0.85
P_CASHIER = 0.65
P_CASHIER_NAME = 0.6  # the cashier is a name, else a till id ("CASHIER 1", "SV2")
P_ZERO_ROUNDING_LINE = 0.5  # a rounding line printed when the rounding is 0.00
P_FAX = 0.25
P_BRANCH = 0.2  # an outlet line ("SUNWAY MALL")
# what real receipts print around the values (`_my_real_world`)
P_OWNER_FOOTER_ONLY = 0.4  # with a brand on top: the legal name only in an "Owned by" footer
P_OWNER_FOOTER_OR_BOTH = 0.6  # ... else, below this, under the brand and in the footer too
P_BRAND_BRANCH = 0.1  # an outlet named after the brand and a city ("IKEA Cheras")
P_BRANCH_ABOVE = 0.5  # the outlet line above the address, else below it
P_STATE_ALONE = 0.3  # the state on its own last address line
P_SELANGOR_SUFFIX = 0.4  # "SELANGOR D.E." / "DARUL EHSAN"
P_STATE_DOT = 0.4
P_PREMISES = 0.2  # a building / floor line first in the address
P_COMMA_BEFORE_STATE = 0.7
P_GST_SUMMARY = 0.28  # a tax summary table with its own "Total"
P_ZERO_RATED = 0.3  # ... with a zero-rated row
P_PADDED_CHANGE = 0.1  # a change under 10 printed zero-padded ("02.80")


def gen_my(rng: random.Random, fk: Fakers) -> Doc:
    sg = rng.random() < P_SINGAPORE
    era = rng.choices(["gst", "sst", "none"], weights=[70, 20, 10])[0] if not sg else "gst"
    d = {
        "gst": V.rand_date(rng, 2015, 2018),
        "sst": V.rand_date(rng, 2019, 2024),
        "none": V.rand_date(rng, 2016, 2024),
    }[era]
    if era == "gst" and not sg and d.year == 2018 and d.month > 5:
        d = d.replace(month=rng.randint(1, 5), day=min(d.day, 28))
    rate = {"gst": Decimal("0.07") if sg else Decimal("0.06"), "sst": Decimal("0.06"), "none": Decimal("0")}[
        era
    ]
    company = _my_company(fk, rng, sg)
    reg, reg_line = _my_reg(rng, sg, d.year)
    parts = V.sg_address_parts(rng) if sg else V.my_address_parts(rng)
    width, max_lines = rng.randint(24, 44), rng.choice([2, 3, 4, 4])
    addr_lines = V.wrap_parts(parts, rng, width, max_lines=max_lines)
    t = V.rand_time(rng, 7, 23)
    items = []
    for _ in range(rng.choices([1, 2, 3, 4, 5, 6, 8], weights=[22, 22, 18, 12, 10, 8, 8])[0]):
        name, lo, hi = rng.choice(MY_GOODS)
        qty = rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 6])
        price = V.money(Decimal(str(round(rng.uniform(lo, hi) * 20) / 20)))
        items.append((name, str(qty), f"{price:.2f}", f"{price * qty:.2f}"))
    subtotal = sum(Decimal(i[3]) for i in items)
    tax = V.money(subtotal * rate)
    exact = subtotal + tax
    total = exact if sg else V.round_to_5_sen(exact)
    rounding = total - exact
    cash = Decimal(next(n for n in (5, 10, 20, 50, 100, 200, 500, 1000, 2000) if n >= total))
    if rng.random() < P_NEAR_EXACT_CASH and total < cash - 1:
        cash = total + Decimal(rng.choice(["0.00", "0.10", "1.00", "0.50"]))
    tax_id = None
    if era == "gst":
        tax_id = (
            f"M{rng.randint(1, 9)}-{V.digits(rng, 7)}-{rng.randint(0, 9)}"
            if sg and rng.random() < P_SG_UEN_TAX_ID
            else V.digits(rng, 12)
        )
        if not sg:
            tax_id = "000" + tax_id[3:] if rng.random() < P_ZERO_PADDED_GST_ID else tax_id
    elif era == "sst":
        tax_id = f"{rng.choice('BWJ')}{V.digits(rng, 2)}-{V.digits(rng, 4)}-{V.digits(rng, 8)}"
    phone = (
        f"6{V.digits(rng, 3, True)} {V.digits(rng, 4)}"
        if sg
        else rng.choice(["0{a}-{b}", "0{a}-{c} {d}", "0{a} {b}", "0{a}-{c}-{d}"]).format(
            a=rng.randint(3, 9),
            b=V.digits(rng, rng.choice([7, 8]), True),
            c=V.digits(rng, 4, True),
            d=V.digits(rng, 4),
        )
    )
    f: dict[str, object] = {
        "company": company,
        "registration_no": reg,
        "tax_id": tax_id,
        "address": " ".join(addr_lines),
        "phone": phone if rng.random() < P_PHONE else None,
        "receipt_no": rng.choice(["CS", "INV", "OR", "T", "", "", "CB", "A"])
        + V.digits(rng, rng.choice([5, 6, 8, 10]), True),
        "date": V.my_date(rng, d),
        "time": V.my_time(rng, t),
        "cashier": (
            fk.my.first_name().upper()
            if rng.random() < P_CASHIER_NAME
            else rng.choice(["ADMIN", "CASHIER 1", "SV2", "01"])
        )
        if rng.random() < P_CASHIER
        else None,
        "subtotal": f"{subtotal:.2f}",
        "tax": f"{tax:.2f}" if era != "none" else None,
        "rounding": f"{rounding:.2f}"
        if (rounding or rng.random() < P_ZERO_ROUNDING_LINE) and not sg
        else None,
        "total": f"{total:.2f}",
        "cash": f"{cash:.2f}",
        "change": f"{cash - total:.2f}",
        "items": items,
    }
    f = {k: v for k, v in f.items() if v is not None}
    data = {
        "addr_lines": addr_lines,
        "reg_line": reg_line,
        "sg": sg,
        "era": era,
        "rate": f"{rate * 100:.0f}%",
        "exact": f"{exact:.2f}",
        "fax": f"0{rng.randint(3, 9)}-{V.digits(rng, 8, True)}" if not sg and rng.random() < P_FAX else None,
        "layout": rng.choices(["center", "left"], weights=[75, 25])[0],
        "branch": (
            V.my_words(rng)
            + " "
            + rng.choice(["MALL", "BRANCH", "OUTLET", "(#" + str(rng.randint(1, 400)) + ")"])
        )
        if rng.random() < P_BRANCH
        else None,
    }
    _my_real_world(rng, fk, f, data, parts, width, max_lines, cash - total)
    irng = side_rng("items:", f)
    rows = receipt_rows(
        items,
        irng,
        width=22,
        longer=lambda r, name: name + " " + r.choice(MY_LONGER),
        extra=lambda r: _extra(r, MY_GOODS, 2),
        discount_labels=["DISCOUNT", "DISC", "MEMBER DISC", "PROMO DISCOUNT", "ITEM DISC"],
    )
    # the item table's style: 0 columns, 1 "QTY ITEM ... TOTAL" (no unit price), 2 barcode line
    # then "2 PC  *  price", 3 description then "2 X 3.50" (or "2 x 3.50", "2 @ 3.50")
    data["item_style"] = irng.randint(0, 3)
    data["times"] = irng.choice(["X", "x", "@"])
    f["items"] = receipt_labels(rows, lambda r: (True, data["item_style"] != 1))
    data["rows"] = rows
    return Doc("my_receipt", f, "thermal", data)


MY_LONGER = ["PROMO PACK", "2X500G TWIN PACK", "(BUY 1 FREE 1)", "FAMILY SIZE 1.5KG", "REFILL PACK 900G"]


def _my_real_world(rng, fk, f: dict, data: dict, parts: list[str], width: int, max_lines: int, change):
    """What real receipts print around the values (drawn after them, so a seed's other values
    stay as they were): lines above the company, a brand with the legal name only in a footer,
    a branch line between company and address, a building line first and the state alone last in
    the address, a GST summary block with its own "Total", a zero-padded change."""
    sg, company = data["sg"], f["company"]
    data["pre_header"] = _pre_header(rng, fk, company, data["era"])
    brand = next((s for k, s in data["pre_header"] if k == "brand"), None)
    # brand on top: the legal name under it, or only in an "Owned by ..." footer (or both)
    r = rng.random()
    data["owner"] = (
        None
        if not brand
        else "footer"
        if r < P_OWNER_FOOTER_ONLY
        else "both"
        if r < P_OWNER_FOOTER_OR_BOTH
        else None
    )
    if (
        data["branch"] is None and rng.random() < P_BRAND_BRANCH and not sg
    ):  # "IKEA Cheras" under "IKANO HANDEL SDN BHD"
        data["branch"] = f"{_my_brand(rng, fk, company).title()} {rng.choice(V.MY_CITIES)[0].title()}"
    data["branch_above"] = bool(data["branch"]) and rng.random() < P_BRANCH_ABOVE
    if not sg:
        body, state, premises = parts, None, None
        if parts[-1] in MY_STATES and rng.random() < P_STATE_ALONE:
            state = parts[-1]
            if state == "SELANGOR" and rng.random() < P_SELANGOR_SUFFIX:
                state += rng.choice([" D.E.", " DARUL EHSAN", " DE"])
            state += "." if rng.random() < P_STATE_DOT and not state.endswith(".") else ""
            body = parts[:-1]
        floors = ("LEVEL", "GROUND", "1ST", "3RD", "LOWER", "UNIT", *BUILDINGS)
        if rng.random() < P_PREMISES and not any(p.startswith(floors) for p in parts):
            premises = _premises_line(rng)
        if state or premises:
            n = max(1, max_lines - bool(state) - bool(premises))
            lines = V.wrap_parts(body, rng, width, max_lines=n)
            if state:
                lines[-1] = lines[-1].rstrip(".") + ("," if rng.random() < P_COMMA_BEFORE_STATE else "")
            data["addr_lines"] = ([premises] if premises else []) + lines + ([state] if state else [])
            f["address"] = " ".join(data["addr_lines"])
    data["gst_summary"] = (
        {"amount": f["subtotal"], "tax": f["tax"], "zero_rated": rng.random() < P_ZERO_RATED}
        if "tax" in f and rng.random() < P_GST_SUMMARY
        else None
    )
    if change < 10 and rng.random() < P_PADDED_CHANGE:  # "Change Due 02.80"
        f["change"] = f"{change:05.2f}"


# How often a Malaysian receipt prints each variant (the share of receipts, drawn in this order).
P_RECEIPT_FONT = 0.7  # a receipt (monospace) font, else a sans or serif one
P_SGD = 0.3  # a Singapore receipt writes "S$" before its amounts
P_INJECTION_TOP = 0.25  # a printed injection goes above the header, else below the totals
P_CODE_BOLD = 0.5  # a store code above the company is bold
P_LOGO_BADGE = 0.25  # a logo is a solid badge with the name knocked out ...
P_LOGO_FRAME = 0.55  # ... else, below this, a framed one; else plain
P_PRE_HEADER_BOLD = 0.5  # a heading or greeting above the company is bold
P_NAME_WITH_REG = 0.4  # company and "(registration)" on one line (when the registration is bracketed)
P_FORMER_NAME = 0.1  # a "(formerly known as ...)" / "Licensee of ..." line under the company
P_TAX_ID_FIRST = 0.25  # the tax id above the address, else below it
P_FAX_SAME_LINE = 0.6  # the fax number beside the phone number
P_HEADING_BOLD = 0.6
P_DATE_COLUMNS = 0.5  # date style 2: time, a terminal number and the date in three columns
P_ITEM_TWO_LINES = 0.5  # item style 0: a short description on its own line too
P_RULE_UNDER_ITEM_HEAD = 0.6
P_TOTAL_BIG = 0.7  # the total printed larger and bold
P_EXACT_TOTAL = 0.4  # the unrounded total printed above the rounding line
P_INCLUDED_ROUNDING = 0.5  # tax-included style: the unrounded total and the rounding above the total
P_TAX_NOTE = 0.3  # "GST @6% included in total" under the payment lines
P_SUMMARY_RULE = 0.5  # a rule above the GST summary table
P_OWNER_LEAD_ALONE = 0.5  # "Owned by" on its own line above the owner's name
P_BARCODE = 0.3
P_THERMAL = 0.6  # a receipt-font receipt printed on fading thermal paper


def _tax_id_line(doc: Doc, rng: random.Random) -> str | None:
    f, era = doc.fields, doc.data["era"]
    if "tax_id" not in f:
        return None
    lab = "SST" if era == "sst" else "GST"
    return rng.choice(L.TAX_ID_LINES).format(lab=lab, value=f["tax_id"])


def _money(v: str, style: str) -> str:
    return L.MONEY_FORMATS[style].format(v=v)


def render_my(doc: Doc, rng: random.Random) -> Image.Image:
    """A Malaysian / Singaporean receipt, top to bottom; each section draws from `rng` in turn."""
    data = doc.data
    mono = rng.random() < P_RECEIPT_FONT
    fam, bold = ("en_receipt", "en_receipt_bold") if mono else rng.choice(L.SERIF_OR_SANS)
    t = Tape(rng, rng.randint(520, 720), fam, rng.uniform(18, 24), bold_family=bold)
    rule = rng.choice(L.RULE_CHARS)
    money_style = (
        "sgd"
        if data["sg"] and rng.random() < P_SGD
        else rng.choices(L.MONEY_STYLES, weights=L.MONEY_STYLE_WEIGHTS)[0]
    )
    inj = data.get("injection")
    inj_top = bool(inj) and rng.random() < P_INJECTION_TOP
    if inj_top:
        _my_injection(t, data)
        t.space()
    _my_pre_header(t, data, rng)
    _my_header(t, doc, rng)
    _my_number_and_date(t, doc, rng, rule)
    code = _my_items(t, doc, rng, rule)
    _my_totals(t, doc, rng, lambda v: _money(v, money_style), code, rule)
    if inj and not inj_top:
        t.space()
        _my_injection(t, data)
    _my_footer(t, doc, rng)
    img = t.finish()
    return thermal_print(img, rng, rng.uniform(0.3, 1.0)) if mono and rng.random() < P_THERMAL else img


def _my_head(t: Tape, data: dict):
    """How the header prints a line: centred or left, as the layout says."""
    return t.center if data["layout"] == "center" else t.left


def _my_injection(t: Tape, data: dict) -> None:
    for line in data["injection"]["print_lines"]:
        _my_head(t, data)(line, 0.85)
    data["injection_drawn"] = True


def _my_pre_header(t: Tape, data: dict, rng: random.Random) -> None:
    """Above the company: a store code, a logo, a brand, a heading, a greeting."""
    for kind, line in data.get("pre_header", []):
        if kind == "code":
            rng.choice([t.right, t.right, t.center, t.left])(
                line, rng.uniform(1.0, 1.5), bold=rng.random() < P_CODE_BOLD
            )
        elif kind == "logo":
            top, scale, look = t.y, rng.uniform(1.3, 1.9), rng.random()
            t.space(0.3)
            if look < P_LOGO_BADGE:
                t.c.rect((t.margin, top, t.c.w - t.margin, top + t.size * scale * 1.7), fill=t.c.ink)
                t.c.text((t.c.w / 2, t.y), line, t.size * scale, t.bold, fill=(250, 250, 250), anchor="ma")
                t.y += t.size * scale * t.gap
            else:
                t.center(line, scale, bold=True)
            if P_LOGO_BADGE <= look < P_LOGO_FRAME:
                x0, x1 = (
                    t.margin + t.c.w * rng.uniform(0.05, 0.2),
                    t.c.w - t.margin - t.c.w * rng.uniform(0.05, 0.2),
                )
                t.c.rect((x0, top, x1, t.y), width=rng.randint(1, 3))
            t.space(0.3)
        elif kind == "brand":
            (t.center if data["layout"] == "center" else t.left_bold)(line, rng.uniform(1.1, 1.5), bold=True)
        else:
            t.center(line, rng.uniform(0.95, 1.15), bold=rng.random() < P_PRE_HEADER_BOLD)


def _my_header(t: Tape, doc: Doc, rng: random.Random) -> None:
    """Company, registration, address, tax id, phone and fax, then the document heading."""
    f, data = doc.fields, doc.data
    head = _my_head(t, data)
    footer_owner = data.get("owner") == "footer"  # the legal name is printed only at the bottom
    together = rng.random() < P_NAME_WITH_REG and data["reg_line"].startswith("(")
    if footer_owner:
        pass
    elif together:
        head(f"{f['company']} {data['reg_line']}", 1.0, bold=True)
    else:
        (t.center if data["layout"] == "center" else t.left_bold)(
            f["company"], rng.uniform(1.0, 1.25), bold=True
        )
        if rng.random() < P_FORMER_NAME:
            lines = [tpl.format(name=V.my_words(rng).title()) for tpl in L.FORMER_NAMES]  # both drawn
            head(rng.choice(lines), 0.85)
        head(data["reg_line"], 0.9)
    tax_line = _tax_id_line(doc, rng)
    tax_first = rng.random() < P_TAX_ID_FIRST
    if tax_line and tax_first:
        head(tax_line, 0.9)
    if data["branch"] and data.get("branch_above"):  # an outlet name, not part of the postal address
        head(data["branch"], 0.9)
    for line in data["addr_lines"]:
        head(line, 0.9)
    if tax_line and not tax_first:
        head(tax_line, 0.9)
    if data["branch"] and not data.get("branch_above"):
        head(data["branch"], 0.9)
    if "phone" in f:
        tel = rng.choice(L.PHONE_LINES).format(f["phone"])
        if data["fax"] and rng.random() < P_FAX_SAME_LINE:
            head(f"{tel}  FAX : {data['fax']}", 0.9)
        else:
            head(tel, 0.9)
            if data["fax"]:
                head(f"FAX: {data['fax']}", 0.9)
    t.space(rng.uniform(0.2, 1.0))
    heading = rng.choice(L.HEADINGS_TAXED if data["era"] != "none" else L.HEADINGS_UNTAXED)
    if heading and not any(k == "heading" for k, _ in data.get("pre_header", [])):
        t.center(heading, rng.uniform(1.0, 1.2), bold=rng.random() < P_HEADING_BOLD)


def _my_number_and_date(t: Tape, doc: Doc, rng: random.Random, rule: str | None) -> None:
    """Document number, date, time and cashier in one of six arrangements, then a rule."""
    f = doc.fields
    no_lab = rng.choice(L.NUMBER_LABELS)
    no_line = f"{no_lab}{'' if no_lab.endswith('#') else rng.choice(L.SEPARATORS)}{f['receipt_no']}"
    date_style = rng.randint(0, 5)
    dl = rng.choice(L.DATE_LABELS)
    cashier = (
        f"{rng.choice(L.CASHIER_LABELS)}{rng.choice(L.SEPARATORS)}{f['cashier']}" if "cashier" in f else None
    )
    if date_style == 0:
        t.left(no_line)
        t.pair(f"{dl}: {f['date']}", f"Time: {f['time']}")
    elif date_style == 1:
        t.left(no_line)
        t.left(f"{dl}{rng.choice(L.DATE_SEPARATORS)}{f['date']} {f['time']}")
    elif date_style == 2:
        t.center(no_line)
        if rng.random() < P_DATE_COLUMNS:
            t.cols([f["time"], V.digits(rng, 6, True), f["date"]], [0, 0.5, 1.0], "lrr")
        else:
            t.pair(f["date"], f["time"])
    elif date_style == 3:
        t.left(no_line)
        t.left(f"{dl}: {f['date']}")
        t.left(f"Time: {f['time']}")
    elif date_style == 4:
        t.left(f"ORD #{rng.randint(1, 99)} -REG #{rng.randint(1, 30)}- {f['date']} {f['time']}")
        t.left(no_line)
    else:
        t.left(no_line)
        t.pair(f"{f['date']}", f"[{cashier.upper()}]" if cashier else f["time"])
        if cashier:
            t.pair("", f["time"])
            cashier = None
    if cashier:
        t.left(cashier)
    t.rule(rule)


def _my_items(t: Tape, doc: Doc, rng: random.Random, rule: str | None) -> str:
    """The item table in the style the document drew; returns the tax code printed after each
    amount. A multi-line description prints its lines one under the other, before the numbers."""
    data = doc.data
    istyle = data["item_style"]
    code = rng.choice(L.ITEM_TAX_CODES) if data["era"] != "none" else ""
    t.cols(*L.ITEM_HEADERS[istyle])
    if rng.random() < P_RULE_UNDER_ITEM_HEAD:
        t.rule(rule)
    void_label = rng.choice(["VOID", "** VOID **", "CANCEL", "VOID ITEM"])
    for row in data["rows"]:
        lines = row["lines"]
        if row["kind"] == "discount":
            t.cols([lines[0], row["amount"]], [0, 1.0], "lr")
            continue
        amt = row["amount"] + (f" {code}" if code else "")
        qty, price = row["qty"], row["unit_price"]
        if istyle == 0:
            if len(lines) > 1 or len(lines[0]) > 16 or rng.random() < P_ITEM_TWO_LINES:
                for line in lines:
                    t.left(line)
                t.cols([qty, price, amt], [0.55, 0.76, 1.0], "rrr")
            else:
                t.cols([lines[0], qty, price, amt], [0, 0.55, 0.76, 1.0], "lrrr")
        elif istyle == 1:
            if len(lines) > 1:
                t.left(f"{qty} {lines[0]}")
            t.cols([f"{qty} {lines[0]}" if len(lines) == 1 else lines[1], amt], [0, 1.0], "lr")
        elif istyle == 2:
            t.left(f"{V.digits(rng, 13, True)} {lines[0]}", 0.95)
            for line in lines[1:]:
                t.left(line, 0.95)
            t.cols([f"{qty} PC  *", price, "0.00", amt], [0.1, 0.55, 0.72, 1.0], "lrrr")
        else:
            for line in lines:
                t.left(line)
            t.cols([f"{qty} {data['times']} {price}", amt], [0.3, 1.0], "lr")
        if row["kind"] == "void":
            t.cols([void_label, f"-{row['amount']}"], [0, 1.0], "lr")
    t.rule(rule)
    return code


def _my_totals(t: Tape, doc: Doc, rng: random.Random, m, code: str, rule: str | None) -> None:
    """The true total beside its distractors (quantities, subtotal, tax, rounding, cash, change),
    then the GST summary table when the receipt has one. `m` formats an amount."""
    f, data = doc.fields, doc.data
    sold = [r for r in data["rows"] if r["kind"] == "item"]
    n_qty = sum(int(r["qty"]) for r in sold)
    qstyle = rng.randint(0, 3)
    if qstyle == 0:
        t.pair(f"Item(s) : {len(sold)}", f"Qty(s) : {n_qty}")
    elif qstyle == 1:
        t.pair(rng.choice(L.TOTAL_QTY_LABELS) + ":", str(n_qty))
    elif qstyle == 2:
        t.left(f"VOLUME : {n_qty} Items")
    rate = data["rate"]
    tl = "SST" if data["era"] == "sst" else "GST"
    total_lab = rng.choice(L.TOTAL_LABELS).format(tl=tl)
    if "tax" not in f and tl in total_lab:  # no tax on this receipt: no tax words beside the total
        total_lab = "TOTAL"
    rounded_lab = "ROUND" in total_lab.upper()
    tstyle = rng.randint(0, 2) if data["era"] != "none" else 0
    big = rng.random() < P_TOTAL_BIG

    def pair_total(lab: str, v: str) -> None:  # its size is drawn when it is printed
        if big:
            t.pair(lab, m(v), rng.uniform(1.05, 1.3), bold=True)
        else:
            t.pair(lab, m(v))

    sep = rng.choice(L.TOTAL_SEPARATORS)
    if tstyle in (0, 1):
        sub_lab = rng.choice(L.SUBTOTAL_LABELS).format(tl=tl)
        if "tax" not in f:
            sub_lab = rng.choice(L.SUBTOTAL_LABELS_UNTAXED)
        t.pair(sub_lab + sep, m(f["subtotal"]))
        if "tax" in f:
            last = L.SST_TAX_LABEL if tl == "SST" else L.TAX_LABELS[0]
            tax_lab = rng.choice([*L.TAX_LABELS, last]).format(tl=tl, rate=rate)
            t.pair(tax_lab + sep, m(f["tax"]))
        if rounded_lab or (rng.random() < P_EXACT_TOTAL and "rounding" in f):
            labels = [*L.EXACT_TOTAL_LABELS, *(L.EXACT_TOTAL_LABELS_TAXED if "tax" in f else [])]
            t.pair(rng.choice(labels).format(tl=tl) + sep, m(data["exact"]))
        if "rounding" in f:
            t.pair(rng.choice(L.ROUNDING_LABELS) + sep, m(f["rounding"]))
        pair_total(total_lab if total_lab.endswith(":") else total_lab + sep, f["total"])
    else:  # tax included in the total, stated below it
        if "rounding" in f and rng.random() < P_INCLUDED_ROUNDING:
            t.pair(L.INCLUDED_EXACT_LABEL.format(tl=tl) + sep, m(data["exact"]))
            t.pair(L.INCLUDED_ROUNDING_LABEL + sep, m(f["rounding"]))
        pair_total(rng.choice(L.INCLUDED_TOTAL_LABELS).format(tl=tl, rate=rate) + sep, f["total"])
    t.pair(rng.choice(L.CASH_LABELS) + sep, m(f["cash"]))
    t.pair(rng.choice(L.CHANGE_LABELS) + sep, m(f["change"]))
    if "tax" in f and (tstyle == 2 or rng.random() < P_TAX_NOTE):
        t.space(0.4)
        t.pair(rng.choice(L.TAX_INCLUDED_NOTES).format(tl=tl, rate=rate), m(f["tax"]))
    summary = data.get("gst_summary")
    if summary:
        _my_gst_summary(t, summary, rng, tl, rate, code, rule)


def _my_gst_summary(t: Tape, summary: dict, rng: random.Random, tl: str, rate, code: str, rule) -> None:
    """The tax summary table; its "Total" is the amount before tax, not the receipt total."""
    if rng.random() < P_SUMMARY_RULE:
        t.rule(rule)
    xs = [0, rng.uniform(0.55, 0.72), 1.0]
    title = rng.choice(L.SUMMARY_TITLES).format(tl=tl)
    amount_head = rng.choice(L.SUMMARY_AMOUNT_HEADS)
    tax_head = rng.choice(L.SUMMARY_TAX_HEADS).format(tl=tl)
    t.cols([title, amount_head, tax_head], xs, "lrr")
    row = rng.choice(L.SUMMARY_ROWS)
    c = code if code in ("SR", "S") else "SR" if tl == "GST" else "S"
    t.cols([row.format(c=c, r=rate), summary["amount"], summary["tax"]], xs, "lrr")
    if summary["zero_rated"]:
        t.cols([row.format(c="ZR", r="0%"), "0.00", "0.00"], xs, "lrr")
    t.cols([rng.choice(L.SUMMARY_TOTALS), summary["amount"], summary["tax"]], xs, "lrr")


def _my_footer(t: Tape, doc: Doc, rng: random.Random) -> None:
    """Thank-you lines, the owner when the legal name is printed at the bottom, a barcode."""
    f, data = doc.fields, doc.data
    t.space(rng.uniform(0.4, 1.2))
    for line in rng.sample(L.FOOTER_LINES, rng.randint(1, 3)):
        t.center(line, 0.9)
    if data.get("owner") in ("footer", "both"):  # "Owned by / Dommal Food Services Sdn Bhd / Co. No. ..."
        t.space(rng.uniform(0.3, 1.0))
        lead = rng.choice(L.OWNER_LEADS)
        if rng.random() < P_OWNER_LEAD_ALONE:
            t.center(lead, 0.9)
            t.center(f["company"], 0.9)
        else:
            t.center(f"{lead} {f['company']}", 0.9)
        if data["owner"] == "footer":
            t.center(data["reg_line"], 0.9)
    if rng.random() < P_BARCODE:
        t.space()
        barcode(t.c, int(t.c.w * 0.15), int(t.y), int(t.c.w * 0.7), 45)
        t.y += 55


# ---------------------------------------------------------------- US receipt

US_RECEIPT = spec(
    "us_receipt",
    "en",
    "US shop receipt",
    [
        ("company", "seller_name"),
        ("address", "address"),
        ("phone", "phone"),
        ("receipt_no", "invoice_no"),
        ("date", "date"),
        ("time", "time"),
        ("cashier", "cashier"),
        ("subtotal", "subtotal"),
        ("tax", "tax_amount"),
        ("tax_rate", "tax_rate"),
        ("total", "total"),
        ("payment_method", "payment_method"),
        ("cash", "cash"),
        ("change", "change"),
        ("items", "items"),
    ],
)


def gen_us(rng: random.Random, fk: Fakers) -> Doc:
    company = (
        fk.en.last_name()
        + rng.choice([" Market", " Foods", " Grocery", " Pharmacy", " Coffee", " Supply"])
        + rng.choice([" Inc.", ", Inc.", " Inc", " LLC"])
    )
    st, rate = rng.choice(US_STATES)
    street = fk.en.street_address()
    cityline = f"{fk.en.city()}, {st} {fk.en.zipcode()}"
    d = V.rand_date(rng, 2017, 2025)
    t = V.rand_time(rng)
    items = []
    for _ in range(rng.randint(1, 7)):
        name, lo, hi = rng.choice(US_GOODS)
        qty = rng.choice([1, 1, 1, 2])
        price = V.money(Decimal(str(round(rng.uniform(lo, hi), 2))))
        items.append((name, str(qty), f"{price:.2f}", f"{price * qty:.2f}"))
    subtotal = sum(Decimal(i[3]) for i in items)
    tax = V.money(subtotal * Decimal(str(rate)))
    total = subtotal + tax
    pay = rng.choice(["CASH", "VISA", "MASTERCARD", "DEBIT"])
    f: dict[str, object] = {
        "company": company,
        "address": f"{street} {cityline}",
        "phone": f"({rng.randint(201, 989)}) {V.digits(rng, 3, True)}-{V.digits(rng, 4)}",
        "receipt_no": V.digits(rng, rng.choice([4, 6, 8]), True),
        "date": d.strftime(rng.choice(["%m/%d/%Y", "%m/%d/%y", "%b %d, %Y"])),
        "time": t.strftime(rng.choice(["%I:%M %p", "%H:%M:%S", "%I:%M:%S %p"])),
        "cashier": fk.en.first_name() if rng.random() < 0.6 else None,
        "subtotal": f"{subtotal:.2f}",
        "tax": f"{tax:.2f}",
        "tax_rate": f"{rate * 100:.3f}".rstrip("0").rstrip(".") + "%",
        "total": f"{total:.2f}",
        "payment_method": pay,
        "items": items,
    }
    if pay == "CASH":
        cash = Decimal(next(n for n in (5, 10, 20, 50, 100, 200) if n >= total))
        f["cash"] = f"{cash:.2f}"
        f["change"] = f"{cash - total:.2f}"
    f = {k: v for k, v in f.items() if v is not None}
    data = {"street": street, "cityline": cityline, "dollar": rng.random() < 0.5}
    irng = side_rng("items:", f)
    rows = receipt_rows(
        items,
        irng,
        width=20,
        longer=lambda r, name: name + " " + r.choice(US_LONGER),
        extra=lambda r: _extra(r, US_GOODS, 2),
        discount_labels=["COUPON", "MFR COUPON", "STORE COUPON", "SAVINGS", "INSTANT SAVINGS"],
    )
    # a tax-class letter after each amount ("3.49 T": taxable, "F": food), or none
    data["tax_flag"] = irng.choice(["", "", "T", "F", "N"])
    data["times"] = irng.choice(["@", "@", "x", "X"])
    # a one-off item prints its description and amount only: no quantity, no unit price
    f["items"] = receipt_labels(rows, lambda r: (r["qty"] != "1",) * 2)
    data["rows"] = rows
    return Doc("us_receipt", f, "thermal", data)


US_LONGER = ["FAMILY SIZE", "VALUE PACK 24CT", "ORGANIC 32 OZ", "2 LB BAG", "BONUS SIZE"]


def render_us(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    fam = rng.choice(["en_mono", "en_sans"])
    t = Tape(rng, rng.randint(540, 640), fam, rng.uniform(19, 23), bold_family=fam + "_bold")
    dol = "$" if doc.data["dollar"] else ""
    t.center(f["company"], 1.2, bold=True)
    t.center(doc.data["street"], 0.9)
    t.center(doc.data["cityline"], 0.9)
    t.center(f["phone"], 0.9)
    t.space()
    t.pair(f["date"], f["time"])
    t.pair(
        f"{rng.choice(['TRANS #', 'RECEIPT #', 'ORDER #'])} {f['receipt_no']}",
        f"CASHIER: {f['cashier']}" if "cashier" in f else "",
    )
    t.rule("-")
    flag = f" {doc.data['tax_flag']}" if doc.data["tax_flag"] else ""
    for row in doc.data["rows"]:
        lines = row["lines"]
        for line in lines[:-1]:
            t.left(line)
        if row["kind"] == "discount":
            t.pair(lines[-1], row["amount"])
            continue
        qty = "" if row["qty"] == "1" else f" {row['qty']} {doc.data['times']} {row['unit_price']}"
        t.pair(lines[-1] + qty, dol + row["amount"] + flag)
        if row["kind"] == "void":
            t.pair("VOID " + lines[0], f"-{dol}{row['amount']}")
    t.rule("-")
    t.pair("SUBTOTAL", dol + f["subtotal"])
    t.pair(f"TAX {f['tax_rate']}", dol + f["tax"])
    t.pair("TOTAL", dol + f["total"], 1.15, bold=True)
    if "cash" in f:
        t.pair("CASH", dol + f["cash"])
        t.pair("CHANGE", dol + f["change"])
    else:
        t.pair(f["payment_method"], dol + f["total"])
        t.left(f"{f['payment_method']} ************{V.digits(rng, 4)}", 0.9)
    t.rule("=")
    t.center(rng.choice(["THANK YOU FOR SHOPPING WITH US", "HAVE A NICE DAY", "SAVE YOUR RECEIPT"]), 0.9)
    if rng.random() < 0.4:
        qr_block(t.c, int(t.c.w / 2 - 50), int(t.y), 100)
        t.y += 110
    return t.finish()


register(CN_RECEIPT, gen_cn, render_cn, thermal=True)
register(MY_RECEIPT, gen_my, render_my, thermal=True)
register(US_RECEIPT, gen_us, render_us, thermal=True)
