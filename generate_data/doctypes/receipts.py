"""Thermal shop receipts: 购物小票 (Chinese supermarket), Malaysian (SDN BHD, GST, 5-sen rounding)
and US (Inc., sales tax) receipts."""

from __future__ import annotations

import random
from decimal import Decimal

from PIL import Image

from .. import values as V
from ..fields import spec
from ..render import Canvas, barcode, qr_block, texture
from .base import Doc, Fakers, register


class Tape:
    """Rows of a receipt laid out top-down on a narrow strip, cropped to length at the end."""

    def __init__(self, rng: random.Random, width: int, family: str, size: float, bold_family: str | None = None):
        self.rng = rng
        self.c = Canvas(width, 4000, rng, tuple(rng.randint(244, 255) for _ in range(3)))
        self.family, self.bold = family, bold_family or family
        self.size = size
        self.margin = rng.randint(18, 40)
        self.y = rng.randint(30, 60)
        self.gap = rng.uniform(1.25, 1.55)

    def center(self, s: str, scale: float = 1.0, bold: bool = False):
        if s:
            self.c.text((self.c.w / 2, self.y), s, self.size * scale, self.bold if bold else self.family, anchor="ma",
                        max_width=self.c.w - 2 * self.margin)
        self.y += self.size * scale * self.gap

    def left(self, s: str, scale: float = 1.0):
        self.c.text((self.margin, self.y), s, self.size * scale, self.family, max_width=self.c.w - 2 * self.margin)
        self.y += self.size * scale * self.gap

    def pair(self, left: str, right: str, scale: float = 1.0, bold: bool = False):
        fam = self.bold if bold else self.family
        self.c.text((self.margin, self.y), left, self.size * scale, fam)
        self.c.text((self.c.w - self.margin, self.y), right, self.size * scale, fam, anchor="ra")
        self.y += self.size * scale * self.gap

    def cols(self, cells: list[str], xs: list[float], aligns: str):
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
CN_GOODS = [
    ("可口可乐330ml", 2.5, 3.5), ("农夫山泉550ml", 1.5, 2.5), ("康师傅红烧牛肉面", 3.5, 5.0), ("伊利纯牛奶250ml", 2.8, 3.8),
    ("蒙牛酸奶", 4.5, 8.9), ("金龙鱼大米5kg", 39.9, 69.9), ("鲁花花生油5L", 89.0, 159.0), ("海天酱油500ml", 8.9, 15.8),
    ("洽洽瓜子", 6.5, 12.9), ("奥利奥饼干", 7.9, 14.5), ("维达抽纸", 12.9, 29.9), ("蓝月亮洗衣液", 29.9, 59.9),
    ("高露洁牙膏", 9.9, 19.9), ("苹果（散装）", 6.0, 18.0), ("香蕉", 3.0, 8.0), ("鸡蛋30枚", 18.0, 32.0),
    ("五花肉", 15.0, 35.0), ("青岛啤酒500ml", 4.5, 7.5), ("旺旺雪饼", 9.9, 16.8), ("德芙巧克力", 9.9, 25.9),
    ("三只松鼠坚果", 29.9, 69.0), ("立白洗洁精", 9.9, 16.9), ("统一冰红茶", 2.5, 3.5), ("面包", 5.5, 12.8),
]
STORES = ["华润万家", "永辉超市", "物美超市", "联华超市", "大润发", "家乐福", "盒马鲜生", "沃尔玛", "世纪联华", "步步高超市"]

CN_RECEIPT = spec("cn_supermarket_receipt", "zh", "购物小票", [
    ("商户名称", "seller_name"), ("门店地址", "address"), ("电话", "phone"), ("单号", "invoice_no"),
    ("收银员", "cashier"), ("日期", "date"), ("时间", "time"), ("商品件数", "item_count"), ("合计", "total"),
    ("实收", "cash"), ("找零", "change"), ("支付方式", "payment_method"), ("商品明细", "items"),
])


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
        items.append({"名称": name, "数量": str(qty), "单价": f"{price:.2f}", "金额": f"{price * qty:.2f}"})
    total = sum(Decimal(i["金额"]) for i in items)
    pay = rng.choice(["现金", "微信支付", "支付宝", "银联卡"])
    f: dict[str, object] = {
        "商户名称": store,
        "门店地址": V.cn_street_address(rng, city),
        "电话": V.landline(rng),
        "单号": V.digits(rng, rng.choice([12, 14, 16]), first_nonzero=True),
        "收银员": fk.zh.name() if rng.random() < 0.5 else f"{rng.randint(1, 99):03d}",
        "日期": d.strftime(rng.choice(["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"])),
        "时间": t.strftime("%H:%M:%S"),
        "商品件数": str(sum(int(i["数量"]) for i in items)),
        "合计": f"{total:.2f}",
        "支付方式": pay,
        "商品明细": items,
    }
    if pay == "现金":
        cash = Decimal(next(n for n in (10, 20, 50, 100, 200, 500, 1000) if n >= total))
        f["实收"] = f"{cash:.2f}"
        f["找零"] = f"{cash - total:.2f}"
    return Doc("cn_supermarket_receipt", f, "thermal", {"machine": f"{rng.randint(1, 12):02d}"})


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
    for it in f["商品明细"]:
        t.left(it["名称"])
        t.cols([it["数量"], it["单价"], it["金额"]], [0.55, 0.78, 1.0], "rrr")
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


# ---------------------------------------------------------------- Malaysian receipt
MY_GOODS = [
    ("MILO 3IN1 18X33G", 9.9, 16.5), ("NESCAFE ORIGINAL 3IN1", 12.0, 18.9), ("GARDENIA WHITE BREAD", 2.8, 4.5),
    ("DUTCH LADY UHT MILK 1L", 5.9, 7.5), ("MAGGI KARI 5X79G", 5.5, 7.9), ("JASMINE RICE 5KG", 18.0, 29.0),
    ("100PLUS 1.5L", 3.5, 5.2), ("F&N ORANGE 325ML", 1.6, 2.4), ("KLEENEX TISSUE 4S", 8.9, 14.9), ("PEN BLUE 0.5", 1.2, 3.5),
    ("A4 PAPER 70GSM", 9.9, 15.9), ("ROTI CANAI", 1.2, 2.0), ("TEH TARIK", 1.8, 3.2), ("NASI LEMAK", 3.5, 8.0),
    ("MEE GORENG", 5.0, 9.0), ("CHICKEN RICE", 6.0, 10.0), ("KOPI O", 1.4, 2.8), ("GLUE STICK 21G", 2.5, 4.9),
    ("BATTERY AA 4S", 6.9, 12.9), ("CLOROX 1L", 6.5, 9.9), ("SUNLIGHT DISHWASH 900ML", 4.9, 7.9),
]
MY_SUFFIX = ["SDN BHD", "SDN. BHD.", "ENTERPRISE", "TRADING", "(M) SDN BHD", "S/B"]

MY_RECEIPT = spec("my_receipt", "en", "Malaysian shop receipt", [
    ("company", "seller_name"), ("registration_no", "registration_no"), ("gst_id", "gst_id"), ("address", "address"),
    ("phone", "phone"), ("receipt_no", "invoice_no"), ("date", "date"), ("time", "time"), ("cashier", "cashier"),
    ("subtotal", "subtotal"), ("gst", "tax_amount"), ("rounding", "rounding"), ("total", "total"), ("cash", "cash"),
    ("change", "change"), ("items", "items"),
])


def _my_address(fk: Fakers, rng: random.Random) -> list[str]:
    parts = fk.my.address().upper().replace("\n", ", ").split(", ")
    if rng.random() < 0.5:
        parts[0] = f"NO.{rng.randint(1, 99)}, " + parts[0]
    lines, cur = [], ""
    for p in parts:
        if cur and len(cur) + len(p) > 34:
            lines.append(cur + ",")
            cur = p
        else:
            cur = f"{cur}, {p}" if cur else p
    lines.append(cur + ("." if rng.random() < 0.4 else ""))
    return lines


def gen_my(rng: random.Random, fk: Fakers) -> Doc:
    base = fk.my.last_name().upper() if rng.random() < 0.5 else fk.en.last_name().upper()
    company = f"{base} {rng.choice(['MART', 'STATIONERY', 'HARDWARE', 'RESTAURANT', 'TRADING', 'FOOD', 'BOOK'])} {rng.choice(MY_SUFFIX)}"
    addr_lines = _my_address(fk, rng)
    d = V.rand_date(rng, 2015, 2018)
    t = V.rand_time(rng)
    items = []
    for _ in range(rng.randint(1, 6)):
        name, lo, hi = rng.choice(MY_GOODS)
        qty = rng.choice([1, 1, 1, 2, 3, 4])
        price = V.money(Decimal(str(round(rng.uniform(lo, hi), 2))))
        items.append({"description": name, "qty": str(qty), "unit_price": f"{price:.2f}", "amount": f"{price * qty:.2f}"})
    subtotal = sum(Decimal(i["amount"]) for i in items)
    gst = V.money(subtotal * Decimal("0.06"))
    exact = subtotal + gst
    total = V.round_to_5_sen(exact)
    rounding = total - exact
    cash = Decimal(next(n for n in (5, 10, 20, 50, 100, 200, 500) if n >= total))
    date_fmt = rng.choice(["%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%d-%m-%y", "%d %b %Y"])
    f: dict[str, object] = {
        "company": company,
        "registration_no": f"{rng.randint(100000, 1299999)}-{rng.choice('ADHKMPTUVWX')}",
        "gst_id": V.digits(rng, 12, first_nonzero=False),
        "address": " ".join(addr_lines),
        "phone": f"0{rng.randint(3, 9)}-{V.digits(rng, rng.choice([7, 8]), True)}",
        "receipt_no": rng.choice(["CS", "INV", "OR", "T"]) + V.digits(rng, rng.choice([6, 8, 10])),
        "date": d.strftime(date_fmt).upper(),
        "time": t.strftime(rng.choice(["%H:%M:%S", "%H:%M", "%I:%M %p"])),
        "cashier": fk.my.first_name().upper() if rng.random() < 0.6 else None,
        "subtotal": f"{subtotal:.2f}",
        "gst": f"{gst:.2f}",
        "rounding": f"{rounding:.2f}" if rounding or rng.random() < 0.5 else None,
        "total": f"{total:.2f}",
        "cash": f"{cash:.2f}",
        "change": f"{cash - total:.2f}",
        "items": items,
    }
    f = {k: v for k, v in f.items() if v is not None}
    return Doc("my_receipt", f, "thermal", {"addr_lines": addr_lines})


def render_my(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    fam = rng.choice(["en_mono", "en_sans", "en_mono"])
    t = Tape(rng, rng.randint(560, 680), fam, rng.uniform(19, 23), bold_family=fam + "_bold" if fam != "en_sans" else "en_sans_bold")
    t.center(f["company"], 1.1, bold=True)
    t.center(rng.choice(["(Co. Reg. No: {})", "CO. REG. NO. {}", "({})"]).format(f["registration_no"]), 0.9)
    t.center(rng.choice(["GST ID: {}", "GST REG NO: {}", "GST ID NO : {}"]).format(f["gst_id"]), 0.9)
    for line in doc.data["addr_lines"]:
        t.center(line, 0.9)
    t.center(f"TEL: {f['phone']}", 0.9)
    t.space()
    t.center("TAX INVOICE", 1.05, bold=True)
    t.pair(f"{rng.choice(['Invoice No', 'Receipt No', 'Bill No', 'Doc No'])}: {f['receipt_no']}", "")
    t.pair(f"Date: {f['date']}", f"Time: {f['time']}")
    if "cashier" in f:
        t.left(f"Cashier: {f['cashier']}")
    t.rule("-")
    t.cols(["Item", "Qty", "Price", "Amount"], [0, 0.55, 0.76, 1.0], "lrrr")
    t.rule("-")
    for it in f["items"]:
        if len(it["description"]) > 18 or rng.random() < 0.5:
            t.left(it["description"])
            t.cols([it["qty"], it["unit_price"], it["amount"] + " SR"], [0.55, 0.76, 1.0], "rrr")
        else:
            t.cols([it["description"], it["qty"], it["unit_price"], it["amount"] + " SR"], [0, 0.55, 0.76, 1.0], "lrrr")
    t.rule("-")
    t.pair(rng.choice(["Total Sales (Excluding GST)", "SUBTOTAL", "Sub Total"]) + ":", f["subtotal"])
    t.pair(rng.choice(["GST @6%", "Total GST @6%", "GST 6%"]) + ":", f["gst"])
    if "rounding" in f:
        t.pair(rng.choice(["Rounding", "ROUNDING ADJ", "Rounding Adjustment"]) + ":", f["rounding"])
    t.pair(rng.choice(["TOTAL", "Total (Inclusive GST)", "TOTAL AMOUNT", "NETT TOTAL"]) + ":", f["total"], 1.15, bold=True)
    t.pair("CASH", f["cash"])
    t.pair("CHANGE", f["change"])
    t.rule("-")
    t.cols(["GST Summary", "Amount(RM)", "Tax(RM)"], [0, 0.7, 1.0], "lrr")
    t.cols(["SR @ 6%", f["subtotal"], f["gst"]], [0, 0.7, 1.0], "lrr")
    t.space()
    t.center(rng.choice(["THANK YOU. PLEASE COME AGAIN.", "GOODS SOLD ARE NOT RETURNABLE", "THANK YOU!"]))
    return t.finish()


# ---------------------------------------------------------------- US receipt
US_GOODS = [
    ("GV 2% MILK GAL", 2.9, 4.2), ("BANANAS", 0.5, 1.8), ("EGGS LRG 12CT", 2.1, 5.5), ("BREAD WHEAT", 1.9, 4.5),
    ("COFFEE GROUND", 6.9, 12.9), ("PAPER TOWELS 6PK", 7.9, 15.9), ("DETERGENT 92OZ", 9.9, 17.9), ("CHICKEN BREAST", 6.5, 14.0),
    ("OJ 52OZ", 3.2, 5.9), ("USB-C CABLE", 7.9, 19.9), ("AA BATTERIES 8PK", 6.9, 12.9), ("SHAMPOO 12OZ", 3.9, 8.9),
    ("NOTEBOOK 3PK", 2.5, 6.9), ("LATTE GRANDE", 4.2, 6.1), ("BAGEL W/CC", 2.9, 4.5), ("GREEK YOGURT", 0.9, 1.9),
]
US_STATES = [("CA", 0.0725), ("TX", 0.0625), ("NY", 0.08875), ("IL", 0.1025), ("WA", 0.101), ("FL", 0.07), ("NJ", 0.06625), ("MA", 0.0625)]

US_RECEIPT = spec("us_receipt", "en", "US shop receipt", [
    ("company", "seller_name"), ("address", "address"), ("phone", "phone"), ("receipt_no", "invoice_no"),
    ("date", "date"), ("time", "time"), ("cashier", "cashier"), ("subtotal", "subtotal"), ("tax", "tax_amount"),
    ("tax_rate", "tax_rate"), ("total", "total"), ("payment_method", "payment_method"), ("cash", "cash"),
    ("change", "change"), ("items", "items"),
])


def gen_us(rng: random.Random, fk: Fakers) -> Doc:
    company = fk.en.last_name() + rng.choice([" Market", " Foods", " Grocery", " Pharmacy", " Coffee", " Supply"]) + rng.choice([" Inc.", ", Inc.", " Inc", " LLC"])
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
        items.append({"description": name, "qty": str(qty), "unit_price": f"{price:.2f}", "amount": f"{price * qty:.2f}"})
    subtotal = sum(Decimal(i["amount"]) for i in items)
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
    return Doc("us_receipt", f, "thermal", {"street": street, "cityline": cityline, "dollar": rng.random() < 0.5})


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
    t.pair(f"{rng.choice(['TRANS #', 'RECEIPT #', 'ORDER #'])} {f['receipt_no']}", f"CASHIER: {f['cashier']}" if "cashier" in f else "")
    t.rule("-")
    for it in f["items"]:
        label = it["description"] if it["qty"] == "1" else f"{it['description']} {it['qty']} @ {it['unit_price']}"
        t.pair(label, dol + it["amount"])
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
