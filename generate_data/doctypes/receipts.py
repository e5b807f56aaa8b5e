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


class Tape:
    """Rows of a receipt laid out top-down on a narrow strip, cropped to length at the end."""

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

    def center(self, s: str, scale: float = 1.0, bold: bool = False):
        if s:
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
    ("可口可乐330ml", 2.5, 3.5),
    ("农夫山泉550ml", 1.5, 2.5),
    ("康师傅红烧牛肉面", 3.5, 5.0),
    ("伊利纯牛奶250ml", 2.8, 3.8),
    ("蒙牛酸奶", 4.5, 8.9),
    ("金龙鱼大米5kg", 39.9, 69.9),
    ("鲁花花生油5L", 89.0, 159.0),
    ("海天酱油500ml", 8.9, 15.8),
    ("洽洽瓜子", 6.5, 12.9),
    ("奥利奥饼干", 7.9, 14.5),
    ("维达抽纸", 12.9, 29.9),
    ("蓝月亮洗衣液", 29.9, 59.9),
    ("高露洁牙膏", 9.9, 19.9),
    ("苹果（散装）", 6.0, 18.0),
    ("香蕉", 3.0, 8.0),
    ("鸡蛋30枚", 18.0, 32.0),
    ("五花肉", 15.0, 35.0),
    ("青岛啤酒500ml", 4.5, 7.5),
    ("旺旺雪饼", 9.9, 16.8),
    ("德芙巧克力", 9.9, 25.9),
    ("三只松鼠坚果", 29.9, 69.0),
    ("立白洗洁精", 9.9, 16.9),
    ("统一冰红茶", 2.5, 3.5),
    ("面包", 5.5, 12.8),
]
STORES = [
    "华润万家",
    "永辉超市",
    "物美超市",
    "联华超市",
    "大润发",
    "家乐福",
    "盒马鲜生",
    "沃尔玛",
    "世纪联华",
    "步步高超市",
]

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


# ---------------------------------------------------------------- Malaysian / Singaporean receipt
MY_GOODS = [
    ("MILO 3IN1 18X33G", 9.9, 16.5),
    ("NESCAFE ORIGINAL 3IN1", 12.0, 18.9),
    ("WHITE BREAD 400G", 2.8, 4.5),
    ("UHT MILK 1L", 5.9, 7.5),
    ("MAGGI KARI 5X79G", 5.5, 7.9),
    ("JASMINE RICE 5KG", 18.0, 29.0),
    ("100PLUS 1.5L", 3.5, 5.2),
    ("ORANGE DRINK 325ML", 1.6, 2.4),
    ("TISSUE 4S", 8.9, 14.9),
    ("PEN BLUE 0.5", 1.2, 3.5),
    ("A4 PAPER 70GSM", 9.9, 15.9),
    ("ROTI CANAI", 1.2, 2.0),
    ("TEH TARIK", 1.8, 3.2),
    ("NASI LEMAK", 3.5, 8.0),
    ("MEE GORENG", 5.0, 9.0),
    ("CHICKEN RICE", 6.0, 10.0),
    ("KOPI O", 1.4, 2.8),
    ("GLUE STICK 21G", 2.5, 4.9),
    ("BATTERY AA 4S", 6.9, 12.9),
    ("BLEACH 1L", 6.5, 9.9),
    ("DISHWASH 900ML", 4.9, 7.9),
    ("NASI GORENG KAMPUNG", 6.0, 12.0),
    ("ICE LEMON TEA", 2.0, 4.5),
    ("CURRY PUFF", 1.0, 2.5),
    ("CHAR KUEY TEOW", 6.0, 11.0),
    ("WAN TAN MEE", 5.5, 9.0),
    ("PLASTIC CONTAINER 3PCS", 3.9, 9.9),
    ("HANGER 10PCS", 3.5, 7.9),
    ("EXTENSION CORD 3M", 9.9, 25.9),
    ("BISCUIT CRACKER 300G", 3.9, 7.5),
    ("SOY SAUCE 640ML", 3.5, 6.9),
    ("COOKING OIL 5KG", 24.0, 32.0),
    ("EGG GRADE A 30S", 11.0, 15.5),
    ("FRIED CHICKEN 2PC", 8.5, 13.9),
    ("PARKING FEE", 2.0, 12.0),
    ("DURIAN CAKE", 12.0, 28.0),
    ("MINERAL WATER 1.5L", 1.5, 3.0),
    ("SCREWDRIVER SET", 8.9, 19.9),
    ("NOTEBOOK A5", 2.5, 6.5),
    ("CORRECTION TAPE", 3.0, 6.9),
]
MY_TRADES = [
    "RESTAURANT",
    "RESTORAN",
    "HARDWARE",
    "TRADING",
    "STATIONERY",
    "BAKERY",
    "MINI MARKET",
    "SUPERMARKET",
    "PHARMACY",
    "FOOD INDUSTRIES",
    "BOOKSTORE",
    "CAFE",
    "MARKETING",
    "RETAIL",
    "HOLDINGS",
    "SEAFOOD RESTAURANT",
    "TRADING & SUPPLY",
    "AUTO PARTS",
    "ELECTRICAL",
    "FRESH MART",
    "CONFECTIONERY",
    "KOPITIAM",
    "F&B",
    "HYPERMARKET",
    "GIFT SHOP",
    "PARKING",
]
CN_ROMAN = [
    "TAN",
    "LIM",
    "WONG",
    "CHONG",
    "LEE",
    "NG",
    "ONG",
    "GOH",
    "YAP",
    "TEH",
    "KHOO",
    "LAU",
    "CHAN",
    "LOH",
    "SIM",
]
CN_ROMAN2 = [
    "HENG",
    "HUAT",
    "SENG",
    "KEE",
    "HING",
    "LEONG",
    "FATT",
    "SOON",
    "CHUAN",
    "HOCK",
    "WAH",
    "LOONG",
    "MENG",
]
MY_SUFFIX = [
    ("SDN BHD", 30),
    ("SDN. BHD.", 10),
    ("S/B", 8),
    ("SB", 2),
    ("(M) SDN BHD", 6),
    ("(M) BHD", 3),
    ("BHD", 2),
    ("ENTERPRISE", 8),
    ("TRADING", 4),
    ("", 8),
    ("Sdn Bhd", 4),
]
SG_SUFFIX = [("PTE LTD", 6), ("PTE. LTD.", 3), ("PTE LTD.", 1)]

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
BRAND_KINDS = [
    "PIZZA",
    "BURGER",
    "MART",
    "SPEED MART",
    "BAKERY",
    "KOPITIAM",
    "CAFE",
    "PHARMACY",
    "BOOKSTORE",
    "HOME",
    "FURNITURE",
    "FRIED CHICKEN",
    "NOODLE HOUSE",
    "SUSHI",
    "TEA HOUSE",
    "DIY",
    "HARDWARE",
    "FRESH MARKET",
    "MINI MARKET",
    "STATIONERY",
    "ELECTRONICS",
    "STEAMBOAT",
]
LOGO_SYLLABLES = ["sm", "an", "tt", "ich", "jo", "ga", "ya", "per", "son", "ko", "mi", "ra", "lu", "xe"]
LOGO_SYLLABLES += ["tro", "ni", "zz", "el", "ba", "rn", "ii", "ol", "vv", "qu", "ce", "rh", "il", "ua"]
BUILDINGS = ["BANGUNAN", "WISMA", "MENARA", "PLAZA", "KOMPLEKS", "PUSAT PERNIAGAAN"]
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


def gen_my(rng: random.Random, fk: Fakers) -> Doc:
    sg = rng.random() < 0.15
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
        items.append(
            {
                "description": name,
                "qty": str(qty),
                "unit_price": f"{price:.2f}",
                "amount": f"{price * qty:.2f}",
            }
        )
    subtotal = sum(Decimal(i["amount"]) for i in items)
    tax = V.money(subtotal * rate)
    exact = subtotal + tax
    total = exact if sg else V.round_to_5_sen(exact)
    rounding = total - exact
    cash = Decimal(next(n for n in (5, 10, 20, 50, 100, 200, 500, 1000, 2000) if n >= total))
    if rng.random() < 0.25 and total < cash - 1:
        cash = total + Decimal(rng.choice(["0.00", "0.10", "1.00", "0.50"]))
    tax_id = None
    if era == "gst":
        tax_id = (
            f"M{rng.randint(1, 9)}-{V.digits(rng, 7)}-{rng.randint(0, 9)}"
            if sg and rng.random() < 0.5
            else V.digits(rng, 12)
        )
        if not sg:
            tax_id = "000" + tax_id[3:] if rng.random() < 0.7 else tax_id
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
        "phone": phone if rng.random() < 0.85 else None,
        "receipt_no": rng.choice(["CS", "INV", "OR", "T", "", "", "CB", "A"])
        + V.digits(rng, rng.choice([5, 6, 8, 10]), True),
        "date": V.my_date(rng, d),
        "time": V.my_time(rng, t),
        "cashier": (
            fk.my.first_name().upper()
            if rng.random() < 0.6
            else rng.choice(["ADMIN", "CASHIER 1", "SV2", "01"])
        )
        if rng.random() < 0.65
        else None,
        "subtotal": f"{subtotal:.2f}",
        "tax": f"{tax:.2f}" if era != "none" else None,
        "rounding": f"{rounding:.2f}" if (rounding or rng.random() < 0.5) and not sg else None,
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
        "fax": f"0{rng.randint(3, 9)}-{V.digits(rng, 8, True)}" if not sg and rng.random() < 0.25 else None,
        "layout": rng.choices(["center", "left"], weights=[75, 25])[0],
        "branch": (
            V.my_words(rng)
            + " "
            + rng.choice(["MALL", "BRANCH", "OUTLET", "(#" + str(rng.randint(1, 400)) + ")"])
        )
        if rng.random() < 0.2
        else None,
    }
    _my_real_world(rng, fk, f, data, parts, width, max_lines, cash - total)
    return Doc("my_receipt", f, "thermal", data)


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
    data["owner"] = None if not brand else "footer" if r < 0.4 else "both" if r < 0.6 else None
    if data["branch"] is None and rng.random() < 0.1 and not sg:  # "IKEA Cheras" under "IKANO HANDEL SDN BHD"
        data["branch"] = f"{_my_brand(rng, fk, company).title()} {rng.choice(V.MY_CITIES)[0].title()}"
    data["branch_above"] = bool(data["branch"]) and rng.random() < 0.5
    if not sg:
        body, state, premises = parts, None, None
        if parts[-1] in MY_STATES and rng.random() < 0.3:
            state = parts[-1]
            if state == "SELANGOR" and rng.random() < 0.4:
                state += rng.choice([" D.E.", " DARUL EHSAN", " DE"])
            state += "." if rng.random() < 0.4 and not state.endswith(".") else ""
            body = parts[:-1]
        floors = ("LEVEL", "GROUND", "1ST", "3RD", "LOWER", "UNIT", *BUILDINGS)
        if rng.random() < 0.2 and not any(p.startswith(floors) for p in parts):
            premises = _premises_line(rng)
        if state or premises:
            n = max(1, max_lines - bool(state) - bool(premises))
            lines = V.wrap_parts(body, rng, width, max_lines=n)
            if state:
                lines[-1] = lines[-1].rstrip(".") + ("," if rng.random() < 0.7 else "")
            data["addr_lines"] = ([premises] if premises else []) + lines + ([state] if state else [])
            f["address"] = " ".join(data["addr_lines"])
    data["gst_summary"] = (
        {"amount": f["subtotal"], "tax": f["tax"], "zero_rated": rng.random() < 0.3}
        if "tax" in f and rng.random() < 0.28
        else None
    )
    if change < 10 and rng.random() < 0.1:  # "Change Due 02.80"
        f["change"] = f"{change:05.2f}"


def _tax_id_line(doc: Doc, rng: random.Random) -> str | None:
    f, era = doc.fields, doc.data["era"]
    if "tax_id" not in f:
        return None
    lab = "SST" if era == "sst" else "GST"
    tpl = rng.choice(
        [
            f"{lab} ID: {{}}",
            f"{lab} REG NO: {{}}",
            f"({lab} ID No: {{}})",
            f"{lab} ID. NO : {{}}",
            f"{lab} ID No :{{}}",
            f"{lab} Reg No. {{}}",
        ]
    )
    return tpl.format(f["tax_id"])


def _money(v: str, style: str) -> str:
    return {"plain": v, "rm": f"RM{v}", "rm_sp": f"RM {v}", "sgd": f"S${v}"}[style]


def render_my(doc: Doc, rng: random.Random) -> Image.Image:
    f, data = doc.fields, doc.data
    mono = rng.random() < 0.7
    fam, bold = (
        ("en_receipt", "en_receipt_bold")
        if mono
        else rng.choice([("en_sans", "en_sans_bold"), ("en_serif", "en_serif_bold")])
    )
    t = Tape(rng, rng.randint(520, 720), fam, rng.uniform(18, 24), bold_family=bold)
    head = t.center if data["layout"] == "center" else t.left
    rule_char = rng.choice(["-", "-", "=", ".", "*", None])
    money_style = (
        "sgd"
        if data["sg"] and rng.random() < 0.3
        else rng.choices(["plain", "rm", "rm_sp"], weights=[70, 15, 15])[0]
    )
    inj = data.get("injection")
    inj_top = bool(inj) and rng.random() < 0.25

    def inj_lines():
        for line in inj["print_lines"]:
            t.center(line, 0.85) if data["layout"] == "center" else t.left(line, 0.85)
        data["injection_drawn"] = True

    if inj_top:
        inj_lines()
        t.space()
    # -- above the company: a store code, a logo, a brand, a heading, a greeting
    for kind, line in data.get("pre_header", []):
        if kind == "code":
            rng.choice([t.right, t.right, t.center, t.left])(
                line, rng.uniform(1.0, 1.5), bold=rng.random() < 0.5
            )
        elif kind == "logo":
            top, scale, look = t.y, rng.uniform(1.3, 1.9), rng.random()
            t.space(0.3)
            if look < 0.25:  # a solid badge with the name knocked out of it
                t.c.rect((t.margin, top, t.c.w - t.margin, top + t.size * scale * 1.7), fill=t.c.ink)
                t.c.text((t.c.w / 2, t.y), line, t.size * scale, t.bold, fill=(250, 250, 250), anchor="ma")
                t.y += t.size * scale * t.gap
            else:
                t.center(line, scale, bold=True)
            if 0.25 <= look < 0.55:  # a frame around the logo
                x0, x1 = (
                    t.margin + t.c.w * rng.uniform(0.05, 0.2),
                    t.c.w - t.margin - t.c.w * rng.uniform(0.05, 0.2),
                )
                t.c.rect((x0, top, x1, t.y), width=rng.randint(1, 3))
            t.space(0.3)
        elif kind == "brand":
            (t.center if data["layout"] == "center" else t.left_bold)(line, rng.uniform(1.1, 1.5), bold=True)
        else:
            t.center(line, rng.uniform(0.95, 1.15), bold=rng.random() < 0.5)
    # -- header: company, registration, address, tax id, phone
    footer_owner = data.get("owner") == "footer"  # the legal name is printed only at the bottom
    together = rng.random() < 0.4 and data["reg_line"].startswith("(")
    if footer_owner:
        pass
    elif together:
        head(f"{f['company']} {data['reg_line']}", 1.0, bold=True)
    else:
        (t.center if data["layout"] == "center" else t.left_bold)(
            f["company"], rng.uniform(1.0, 1.25), bold=True
        )
        if rng.random() < 0.1:
            head(
                rng.choice(
                    [
                        "(formerly known as " + V.my_words(rng).title() + " Sdn Bhd)",
                        "Licensee of " + V.my_words(rng).title(),
                    ]
                ),
                0.85,
            )
        head(data["reg_line"], 0.9)
    tax_line = _tax_id_line(doc, rng)
    tax_first = rng.random() < 0.25
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
        tel = rng.choice(["TEL: {}", "Tel No. {}", "TEL : {}", "Tel: {}", "PHONE: {}", "T: {}"]).format(
            f["phone"]
        )
        if data["fax"] and rng.random() < 0.6:
            head(f"{tel}  FAX : {data['fax']}", 0.9)
        else:
            head(tel, 0.9)
            if data["fax"]:
                head(f"FAX: {data['fax']}", 0.9)
    t.space(rng.uniform(0.2, 1.0))
    heading = rng.choice(
        [
            "TAX INVOICE",
            "-TAX INVOICE-",
            "SIMPLIFIED TAX INVOICE",
            "RECEIPT",
            "CASH BILL",
            "OFFICIAL RECEIPT",
            "CASH SALES",
            "INVOICE",
            "CASH RECEIPT",
            "",
        ]
        if data["era"] != "none"
        else ["RECEIPT", "CASH BILL", "OFFICIAL RECEIPT", "CASH SALES", "INVOICE", ""]
    )
    if heading and not any(k == "heading" for k, _ in data.get("pre_header", [])):
        t.center(heading, rng.uniform(1.0, 1.2), bold=rng.random() < 0.6)
    # -- document number, date, time, cashier
    no_lab = rng.choice(
        [
            "Invoice No",
            "Receipt No",
            "Bill No",
            "Doc No",
            "INVOICE NO",
            "Receipt NO",
            "Document No",
            "INV#",
            "No",
        ]
    )
    no_line = f"{no_lab}{'' if no_lab.endswith('#') else rng.choice([': ', ' : ', ':'])}{f['receipt_no']}"
    date_style = rng.randint(0, 5)
    dl = rng.choice(["Date", "DATE", "Date ", "Tarikh"])
    cashier = (
        f"{rng.choice(['Cashier', 'CASHIER', 'Operator', 'Salesperson', 'Served by'])}{rng.choice([': ', ' : ', ':'])}{f['cashier']}"
        if "cashier" in f
        else None
    )
    if date_style == 0:
        t.left(no_line)
        t.pair(f"{dl}: {f['date']}", f"Time: {f['time']}")
    elif date_style == 1:
        t.left(no_line)
        t.left(f"{dl}{rng.choice([': ', ' : '])}{f['date']} {f['time']}")
    elif date_style == 2:
        t.center(no_line)
        t.cols(
            [f["time"], V.digits(rng, 6, True), f["date"]], [0, 0.5, 1.0], "lrr"
        ) if rng.random() < 0.5 else t.pair(f["date"], f["time"])
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
    t.rule(rule_char)
    # -- items
    istyle = rng.randint(0, 3)
    code = rng.choice(["SR", "S", "*S", "", "", "Z"]) if data["era"] != "none" else ""
    if istyle == 0:
        t.cols(["Item", "Qty", "Price", "Amount"], [0, 0.55, 0.76, 1.0], "lrrr")
    elif istyle == 1:
        t.cols(["QTY ITEM", "TOTAL"], [0, 1.0], "lr")
    elif istyle == 2:
        t.cols(["CODE/DESC", "PRICE", "DISC", "AMOUNT"], [0, 0.55, 0.72, 1.0], "lrrr")
    else:
        t.cols(["Description", "Amt(RM)"], [0, 1.0], "lr")
    if rng.random() < 0.6:
        t.rule(rule_char)
    for it in f["items"]:
        amt = it["amount"] + (f" {code}" if code else "")
        if istyle == 0:
            if len(it["description"]) > 16 or rng.random() < 0.5:
                t.left(it["description"])
                t.cols([it["qty"], it["unit_price"], amt], [0.55, 0.76, 1.0], "rrr")
            else:
                t.cols([it["description"], it["qty"], it["unit_price"], amt], [0, 0.55, 0.76, 1.0], "lrrr")
        elif istyle == 1:
            t.cols([f"{it['qty']} {it['description']}", amt], [0, 1.0], "lr")
        elif istyle == 2:
            t.left(f"{V.digits(rng, 13, True)} {it['description']}", 0.95)
            t.cols([f"{it['qty']} PC  *", it["unit_price"], "0.00", amt], [0.1, 0.55, 0.72, 1.0], "lrrr")
        else:
            t.left(it["description"])
            t.cols([f"{it['qty']} X {it['unit_price']}", amt], [0.3, 1.0], "lr")
    t.rule(rule_char)
    # -- totals: the true total beside distractors (subtotal, tax, rounding, cash, change, quantities)
    n_qty = sum(int(i["qty"]) for i in f["items"])
    qstyle = rng.randint(0, 3)
    if qstyle == 0:
        t.pair(f"Item(s) : {len(f['items'])}", f"Qty(s) : {n_qty}")
    elif qstyle == 1:
        t.pair(rng.choice(["TOTAL QTY", "Total Qty", "TOTAL QUANTITY"]) + ":", str(n_qty))
    elif qstyle == 2:
        t.left(f"VOLUME : {n_qty} Items")
    m = lambda v: _money(v, money_style)  # noqa: E731
    rate = data["rate"]
    tl = "SST" if data["era"] == "sst" else "GST"
    total_lab = rng.choice(
        [
            "TOTAL",
            "ROUNDED TOTAL",
            "Rounded Total (RM)",
            "NETT TOTAL",
            "TOTAL (RM)",
            "AMOUNT DUE",
            "GRAND TOTAL",
            f"TOTAL INCL. {tl}",
            f"Total Sales (Inclusive {tl})",
            "TOTAL AMOUNT",
            "Total Rounded",
            "NET TOTAL",
            "Total Amount Payable",
            "TOTAL:",
            f"Total After Adj Incl {tl}",
            "Grand Total",
        ]
    )
    if "tax" not in f and tl in total_lab:  # no tax on this receipt: no tax words beside the total
        total_lab = "TOTAL"
    rounded_lab = "ROUND" in total_lab.upper()
    tstyle = rng.randint(0, 2) if data["era"] != "none" else 0
    pair_total = (
        (lambda lab, v: t.pair(lab, m(v), rng.uniform(1.05, 1.3), bold=True))
        if rng.random() < 0.7
        else (lambda lab, v: t.pair(lab, m(v)))
    )
    sep = rng.choice([":", "", " :"])
    if tstyle in (0, 1):
        sub_lab = rng.choice(
            ["SUBTOTAL", "Sub Total", f"Total Sales (Excluding {tl})", f"TOTAL (EXCL {tl})", "Sub-Total"]
        )
        if "tax" not in f:
            sub_lab = rng.choice(["SUBTOTAL", "Sub Total", "Sub-Total"])
        t.pair(sub_lab + sep, m(f["subtotal"]))
        if "tax" in f:
            t.pair(
                rng.choice(
                    [
                        f"{tl} {rate}",
                        f"{tl} @{rate}",
                        f"Total {tl} @{rate}",
                        f"{tl} @ {rate}",
                        "Service Tax (6%)" if tl == "SST" else f"{tl} {rate}",
                    ]
                )
                + sep,
                m(f["tax"]),
            )
        if rounded_lab or (rng.random() < 0.4 and "rounding" in f):
            t.pair(
                rng.choice(
                    [
                        "Total",
                        "TOTAL SALES",
                        *([f"Total (Incl {tl})", f"Total Sales Incl {tl}"] if "tax" in f else []),
                    ]
                )
                + sep,
                m(data["exact"]),
            )
        if "rounding" in f:
            t.pair(
                rng.choice(["ROUNDING ADJ", "Rounding Adjustment", "Rounding", "Rounding Adj.", "ROUNDING"])
                + sep,
                m(f["rounding"]),
            )
        pair_total(total_lab if total_lab.endswith(":") else total_lab + sep, f["total"])
    else:  # tax included in the total, stated below it
        if "rounding" in f and rng.random() < 0.5:
            t.pair(f"Total (incl {tl})" + sep, m(data["exact"]))
            t.pair("Rounding Adj" + sep, m(f["rounding"]))
        pair_total(
            rng.choice([f"TOTAL INCL. {tl}@{rate}", "TOTAL", "Total Rounded", "TOTAL (RM)", "NETT TOTAL"])
            + sep,
            f["total"],
        )
    t.pair(
        rng.choice(["CASH", "Cash", "Cash Tendered", "Received Cash", "TENDERED", "Paid", "Payment"]) + sep,
        m(f["cash"]),
    )
    t.pair(
        rng.choice(["CHANGE", "Change", "Change Due", "BALANCE", "Change Amt", "CHANGE DUE"]) + sep,
        m(f["change"]),
    )
    summary = data.get("gst_summary")
    if "tax" in f and (tstyle == 2 or rng.random() < 0.3):
        t.space(0.4)
        t.pair(rng.choice([f"{tl} @{rate} included in total", f"TOTAL INCLUDES {rate} {tl}"]), m(f["tax"]))
    if summary:  # its "Total" is the amount before tax, not the receipt total
        if rng.random() < 0.5:
            t.rule(rule_char)
        xs = [0, rng.uniform(0.55, 0.72), 1.0]
        t.cols(
            [
                rng.choice([f"{tl} Summary", f"{tl} SUMMARY", "Tax Summary", f"{tl} Analysis"]),
                rng.choice(["Amount", "Amount(RM)", "Amt", "AMOUNT"]),
                rng.choice(["Tax", "Tax(RM)", tl, "TAX"]),
            ],
            xs,
            "lrr",
        )
        row = rng.choice(["{c} @ {r}", "{c} = {r}", "{c} {r}", "{c}@{r}"])
        t.cols(
            [
                row.format(c=code if code in ("SR", "S") else "SR" if tl == "GST" else "S", r=rate),
                summary["amount"],
                summary["tax"],
            ],
            xs,
            "lrr",
        )
        if summary["zero_rated"]:
            t.cols([row.format(c="ZR", r="0%"), "0.00", "0.00"], xs, "lrr")
        t.cols(
            [rng.choice(["Total", "TOTAL", "Total :", "Total:"]), summary["amount"], summary["tax"]],
            xs,
            "lrr",
        )
    if inj and not inj_top:
        t.space()
        inj_lines()
    t.space(rng.uniform(0.4, 1.2))
    for line in rng.sample(
        [
            "THANK YOU. PLEASE COME AGAIN.",
            "GOODS SOLD ARE NOT RETURNABLE",
            "Thank You ! Pls Come Again.",
            "EXCHANGE ALLOWED WITHIN 3 DAYS",
            "WITH RECEIPT.",
            "STRICTLY NO CASH REFUND.",
            "THANK YOU!",
            "Keep the invoice for applicable returns",
            "Please come again",
        ],
        rng.randint(1, 3),
    ):
        t.center(line, 0.9)
    if data.get("owner") in ("footer", "both"):  # "Owned by / Dommal Food Services Sdn Bhd / Co. No. ..."
        t.space(rng.uniform(0.3, 1.0))
        lead = rng.choice(["Owned by", "Operated by", "OWNED BY", "Managed by", "OPERATED BY"])
        if rng.random() < 0.5:
            t.center(lead, 0.9)
            t.center(f["company"], 0.9)
        else:
            t.center(f"{lead} {f['company']}", 0.9)
        if data["owner"] == "footer":
            t.center(data["reg_line"], 0.9)
    if rng.random() < 0.3:
        t.space()
        barcode(t.c, int(t.c.w * 0.15), int(t.y), int(t.c.w * 0.7), 45)
        t.y += 55
    img = t.finish()
    return thermal_print(img, rng, rng.uniform(0.3, 1.0)) if mono and rng.random() < 0.6 else img


# ---------------------------------------------------------------- US receipt
US_GOODS = [
    ("GV 2% MILK GAL", 2.9, 4.2),
    ("BANANAS", 0.5, 1.8),
    ("EGGS LRG 12CT", 2.1, 5.5),
    ("BREAD WHEAT", 1.9, 4.5),
    ("COFFEE GROUND", 6.9, 12.9),
    ("PAPER TOWELS 6PK", 7.9, 15.9),
    ("DETERGENT 92OZ", 9.9, 17.9),
    ("CHICKEN BREAST", 6.5, 14.0),
    ("OJ 52OZ", 3.2, 5.9),
    ("USB-C CABLE", 7.9, 19.9),
    ("AA BATTERIES 8PK", 6.9, 12.9),
    ("SHAMPOO 12OZ", 3.9, 8.9),
    ("NOTEBOOK 3PK", 2.5, 6.9),
    ("LATTE GRANDE", 4.2, 6.1),
    ("BAGEL W/CC", 2.9, 4.5),
    ("GREEK YOGURT", 0.9, 1.9),
]
US_STATES = [
    ("CA", 0.0725),
    ("TX", 0.0625),
    ("NY", 0.08875),
    ("IL", 0.1025),
    ("WA", 0.101),
    ("FL", 0.07),
    ("NJ", 0.06625),
    ("MA", 0.0625),
]

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
        items.append(
            {
                "description": name,
                "qty": str(qty),
                "unit_price": f"{price:.2f}",
                "amount": f"{price * qty:.2f}",
            }
        )
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
    return Doc(
        "us_receipt", f, "thermal", {"street": street, "cityline": cityline, "dollar": rng.random() < 0.5}
    )


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
    for it in f["items"]:
        label = (
            it["description"] if it["qty"] == "1" else f"{it['description']} {it['qty']} @ {it['unit_price']}"
        )
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
