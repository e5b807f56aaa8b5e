"""增值税专用发票 / 增值税普通发票, in the paper layout (发票代码 + 8-digit number + 密码区) and the
electronic 全电 layout (20-digit number, buyer and seller side by side)."""

from __future__ import annotations

import random
from decimal import Decimal

from PIL import Image

from .. import values as V
from ..fields import spec
from ..render import BROWN, Canvas, paper, qr_block, seal, texture
from .base import Doc, Fakers, register
from .items import record, side_rng

# (category, name, unit, price range, model/spec choices)
GOODS = [
    ("办公用品", "打印纸", "箱", (80, 260), ["A4 70g", "A4 80g", "A3"]),
    ("计算机外部设备", "键盘", "个", (60, 480), ["K120", "MK275", ""]),
    ("计算机外部设备", "鼠标", "个", (30, 260), ["M185", "G102", ""]),
    ("计算机", "笔记本电脑", "台", (3000, 9800), ["ThinkPad E14", "MateBook 14", ""]),
    ("通信设备", "手机", "部", (900, 6500), ["Mate60", "iPhone15", "Redmi K70"]),
    ("纸制品", "复印纸", "包", (18, 40), ["A4", ""]),
    ("餐饮服务", "餐费", "次", (120, 2600), [""]),
    ("住宿服务", "住宿费", "天", (260, 980), ["标准间", "大床房", ""]),
    ("信息技术服务", "软件服务费", "项", (2000, 50000), [""]),
    ("现代服务", "咨询服务费", "项", (1000, 30000), [""]),
    ("运输服务", "国内运费", "次", (50, 3000), [""]),
    ("日用杂品", "清洁用品", "批", (50, 900), [""]),
    ("家用电器", "空调", "台", (2100, 6800), ["KFR-35GW", "KFR-50LW", ""]),
    ("电子元件", "电容", "个", (0.05, 2), ["0805 10uF", "0603 1uF"]),
    ("酒类", "葡萄酒", "瓶", (68, 680), ["750ml", ""]),
    ("文具", "签字笔", "支", (1.5, 12), ["0.5mm", ""]),
    ("汽油", "92号车用汽油", "升", (6.8, 8.5), ["VIB", ""]),
]
RATES = {r: Decimal(r[:-1]) / 100 for r in ("17%", "16%", "13%", "11%", "10%", "9%", "6%", "3%", "1%")}
P_SERVICE_BARE = 0.5  # a service row without unit, quantity and unit price
P_DISCOUNT = 0.08  # a 折扣 row (negative amount and tax) under a row, whose amount is raised by as much
SERVICE_RATE = {"餐饮服务": "6%", "住宿服务": "6%", "信息技术服务": "6%", "现代服务": "6%", "运输服务": "9%"}


def rate_table(d) -> tuple[str, str]:
    """(standard goods rate, transport rate) in force on date `d`: 17/11 before May 2018, 16/10 until
    April 2019, then 13/9."""
    if (d.year, d.month) < (2018, 5):
        return "17%", "11%"
    if (d.year, d.month) < (2019, 4):
        return "16%", "10%"
    return "13%", "9%"


VAT_FIELDS = [
    ("发票代码", "invoice_code"),
    ("发票号码", "invoice_no"),
    ("开票日期", "date"),
    ("校验码", "check_code"),
    ("机器编号", "machine_no"),
    ("购买方名称", "buyer_name"),
    ("购买方纳税人识别号", "buyer_tax_id"),
    ("购买方地址电话", "buyer_addr_tel"),
    ("购买方开户行及账号", "buyer_bank"),
    ("销售方名称", "seller_name"),
    ("销售方纳税人识别号", "seller_tax_id"),
    ("销售方地址电话", "seller_addr_tel"),
    ("销售方开户行及账号", "seller_bank"),
    ("合计金额", "subtotal"),
    ("合计税额", "tax_amount"),
    ("税率", "tax_rate"),
    ("价税合计", "total"),
    ("价税合计（大写）", "total_upper"),
    ("货物明细", "items"),
]


def _company(fk: Fakers, rng: random.Random) -> str:
    name = fk.zh.company()
    if rng.random() < 0.3:
        name = name.replace("有限公司", rng.choice(["股份有限公司", "有限责任公司", "有限公司"]))
    return name


def _party(fk: Fakers, rng: random.Random, region: str) -> dict:
    city = V.REGIONS[region][1]
    addr = V.cn_street_address(rng, city)
    phone = V.landline(rng) if rng.random() < 0.7 else V.chinese_mobile(rng)
    return {
        "name": _company(fk, rng),
        "tax_id": V.taxpayer_id(rng, region),
        # Printed with a gap that OCR does not keep; the value joins them as the real labels do.
        "addr": addr,
        "tel": phone,
        "addr_tel": f"{addr}{phone}",
        "bank_name": (bank := V.bank_branch(rng, V.REGIONS[region][1][:2])),
        "account": (acct := V.bank_account(rng)),
        "bank": f"{bank}{acct}",
    }


def _fmt_qty(q) -> str:
    return str(q) if isinstance(q, int) else f"{q:.2f}".rstrip("0").rstrip(".")


def make_items(rng: random.Random, n: int, rate_label: str | None, std: str = "13%") -> list[dict]:
    items = []
    for _ in range(n):
        cat, name, unit, (lo, hi), specs = rng.choice(GOODS)
        rl = rate_label or SERVICE_RATE.get(cat, std)
        qty = rng.choice([1, 1, 1, 2, 3, 5, 10, 20]) if hi > 5 else rng.choice([100, 200, 500, 1000])
        if unit == "升":
            qty = round(rng.uniform(20, 60), 2)
        price = Decimal(str(round(rng.uniform(lo, hi), rng.choice([2, 2, 2, 4]))))
        amount = V.money(price * Decimal(str(qty)))
        tax = V.money(amount * RATES[rl])
        items.append(
            {
                "名称": f"*{cat}*{name}",
                "规格型号": rng.choice(specs),
                "单位": unit,
                "数量": _fmt_qty(qty),
                "单价": f"{price:.2f}" if price == price.quantize(Decimal("0.01")) else f"{price}",
                "金额": f"{amount:.2f}",
                "税率": rl,
                "税额": f"{tax:.2f}",
            }
        )
    return items


def generate(kind: str):
    special = kind == "special"

    def gen(rng: random.Random, fk: Fakers) -> Doc:
        layout = rng.choice(["paper", "paper", "electronic"])
        region = rng.choice(list(V.REGIONS))
        d = V.rand_date(rng, 2014 if layout == "paper" else 2021, 2025)
        buyer = _party(fk, rng, rng.choice(list(V.REGIONS)))
        seller = _party(fk, rng, region)
        std, transport = rate_table(d)
        single_rate = rng.choice([std, std, std, "6%", transport, "3%"])
        items = make_items(
            rng, rng.choices([1, 2, 3, 4, 5, 6], weights=[30, 25, 18, 12, 8, 7])[0], single_rate, std
        )
        amount = sum(Decimal(i["金额"]) for i in items)
        tax = sum(Decimal(i["税额"]) for i in items)
        total = amount + tax
        yen = "￥"  # as the real labels write it; PP-OCR reads it as ￥ in a serif face, ¥ in others
        f: dict[str, object] = {}
        if layout == "paper":
            f["发票代码"] = V.vat_invoice_code(rng, special, d.year, region)
            f["发票号码"] = V.digits(rng, 8)
            if not special or rng.random() < 0.3:
                f["机器编号"] = "49" + V.digits(rng, 10)
        else:
            f["发票号码"] = V.einvoice_number(rng, d.year, region)
        f["开票日期"] = V.cn_date(d)
        if layout == "paper" and not special:
            f["校验码"] = " ".join(V.digits(rng, 5) for _ in range(4))
        f["购买方名称"] = buyer["name"]
        f["购买方纳税人识别号"] = buyer["tax_id"] if (special or rng.random() < 0.8) else None
        if special and layout == "paper":
            f["购买方地址电话"] = buyer["addr_tel"]
            f["购买方开户行及账号"] = buyer["bank"]
        f["销售方名称"] = seller["name"]
        f["销售方纳税人识别号"] = seller["tax_id"]
        if layout == "paper":
            f["销售方地址电话"] = seller["addr_tel"]
            f["销售方开户行及账号"] = seller["bank"]
        f["合计金额"] = f"{yen}{amount:.2f}"
        f["合计税额"] = f"{yen}{tax:.2f}"
        f["税率"] = single_rate
        f["价税合计"] = f"{yen}{total:.2f}"
        f["价税合计（大写）"] = V.cn_upper_amount(total)
        f["货物明细"] = items
        f = {k: v for k, v in f.items() if v is not None}
        # the 货物或应税劳务 table as line items; a service row often prints no unit, quantity or
        # unit price (those cells stay empty on the page, null in the label)
        irng = side_rng("items:", f)
        bare = [
            irng.random() < P_SERVICE_BARE and i["名称"].strip("*").split("*")[0] in SERVICE_RATE
            for i in items
        ]
        f["货物明细"] = [
            record(
                description=i["名称"],
                unit=None if b else i["单位"],
                quantity=None if b else i["数量"],
                unit_price=None if b else i["单价"],
                amount=i["金额"],
                tax_rate=i["税率"],
                tax=i["税额"],
            )
            for i, b in zip(items, bare, strict=True)
        ]
        specs = [i["规格型号"] for i in items]  # 规格型号: printed, no line-items key
        _discount_row(f["货物明细"], specs, side_rng("vat-discount:", f))
        data = {
            "special": special,
            "province": V.REGIONS[region][0],
            "buyer": buyer,
            "seller": seller,
            "yen": yen,
            "payee": fk.zh.name(),
            "reviewer": fk.zh.name(),
            "drawer": fk.zh.name(),
            "remark": rng.choice(["", "", f"订单号：{V.digits(rng, 12)}", "项目：" + fk.zh.word() + "采购"]),
            "specs": specs,
        }
        return Doc("vat_special_invoice" if special else "vat_normal_invoice", f, layout, data)

    return gen


def _discount_row(rows: list[dict], specs: list[str], rng: random.Random) -> None:
    """With probability P_DISCOUNT, a 折扣 row as the real form prints it: under a row of one unit
    (or a service row without quantity), the same name with a negative amount and tax. That row's
    amount, unit price and tax are raised by as much, so 合计金额 and 合计税额 stay as they were.
    Drawn from `rng` (seeded by the document's values): the values of a seed are unchanged."""
    cands = [i for i, r in enumerate(rows) if r["quantity"] in (None, "1")]
    if not cands or rng.random() >= P_DISCOUNT:
        return
    i = rng.choice(cands)
    row = rows[i]
    amount, tax = Decimal(row["amount"]), Decimal(row["tax"])
    d = V.money(amount * Decimal(rng.choice(["0.02", "0.05", "0.1", "0.15"])))
    if d <= 0:
        return
    raised = amount + d
    raised_tax = V.money(raised * RATES[row["tax_rate"]])
    row["amount"] = f"{raised:.2f}"
    row["tax"] = f"{raised_tax:.2f}"
    if row["unit_price"] is not None:
        row["unit_price"] = f"{raised:.2f}"
    discount = record(
        description=row["description"],
        amount=f"-{d:.2f}",
        tax_rate=row["tax_rate"],
        tax=f"-{raised_tax - tax:.2f}",
    )
    rows.insert(i + 1, discount)
    specs.insert(i + 1, "")


def _printed(f: dict, party: dict, key: str) -> str:
    if key.endswith("地址电话"):
        return f"{party['addr']} {party['tel']}"
    if key.endswith("开户行及账号"):
        return f"{party['bank_name']} {party['account']}"
    return f[key]


def _cipher(rng: random.Random, n: int = 27) -> str:
    return "".join(rng.choice("0123456789+-*/<>") for _ in range(n))


def render(doc: Doc, rng: random.Random) -> Image.Image:
    return _render_paper(doc, rng) if doc.layout == "paper" else _render_electronic(doc, rng)


def _items_table(c: Canvas, rng, doc, x0, x1, y, form, val, size, header_labels, cols_frac):
    """Header + item rows + 合计 row inside [x0, x1]; returns bottom y."""
    xs = [x0]
    acc = x0
    for fr in cols_frac:
        acc += (x1 - x0) * fr
        xs.append(acc)
    xs[-1] = x1
    for i, lab in enumerate(header_labels):
        c.text(
            ((xs[i] + xs[i + 1]) / 2, y + 6),
            lab,
            size * 0.9,
            "cn_serif",
            form,
            anchor="ma",
            max_width=xs[i + 1] - xs[i] - 4,
        )
    y += size * 1.6
    keys = ["description", "规格型号", "unit", "quantity", "unit_price", "amount", "tax_rate", "tax"]
    for it, spec_model in zip(doc.fields["货物明细"], doc.data["specs"], strict=True):
        for i, k in enumerate(keys):
            v = spec_model if k == "规格型号" else it[k] or ""
            if i in (3, 4, 5, 7):
                c.text((xs[i + 1] - 6, y), v, size, val, anchor="ra", max_width=xs[i + 1] - xs[i] - 8)
            elif i == 0:
                c.text((xs[i] + 6, y), v, size, val, max_width=xs[i + 1] - xs[i] - 8)
            else:
                c.text(
                    ((xs[i] + xs[i + 1]) / 2, y), v, size, val, anchor="ma", max_width=xs[i + 1] - xs[i] - 4
                )
        y += size * 1.45
    return xs, y


_PARTY_ROWS = [
    ("名        称：", "名称"),
    ("纳税人识别号：", "纳税人识别号"),
    ("地 址、电 话：", "地址电话"),
    ("开户行及账号：", "开户行及账号"),
]


def _party_rows(c, f, party, role, x0, y0, pw_x, size, form, val, dx, dy):
    """The four label/value rows of the paper layout's buyer (购买方) or seller (销售方) block."""
    for i, (lab, suffix) in enumerate(_PARTY_ROWS):
        yy = y0 + i * 28
        c.text((x0 + 48, yy), lab, size * 0.9, "cn_serif", form)
        key = role + suffix
        if key in f:
            c.text((x0 + 185 + dx, yy + dy), _printed(f, party, key), size, val, max_width=pw_x - x0 - 195)


def _render_paper(doc: Doc, rng: random.Random) -> Image.Image:
    f, data = doc.fields, doc.data
    W, H = rng.randint(1240, 1360), 1000
    c = Canvas(W, H, rng, paper(W, H, rng))
    teal = (40, 120, 110)
    form = (
        rng.choice([BROWN, teal, teal, (150, 60, 50), (70, 90, 60), (40, 40, 110)])
        if data["special"]
        else rng.choice([BROWN, teal, (40, 40, 110), (60, 60, 60)])
    )
    val = rng.choice(["cn_serif", "cn_sans", "cn_mono"])
    size = rng.uniform(17, 21)
    # Printer misregistration: the values block is shifted against the pre-printed form.
    dx, dy = rng.randint(-8, 8), rng.randint(-5, 5)
    title = f"{data['province']}增值税{'专用' if data['special'] else '普通'}发票"
    c.text((W / 2, 28), title, 34, "cn_kai" if rng.random() < 0.4 else "cn_serif", form, anchor="ma")
    c.line((W / 2 - 190, 78, W / 2 + 190, 78), form, 2)
    c.line((W / 2 - 190, 83, W / 2 + 190, 83), form, 1)
    copy = rng.choice(["发票联", "抵扣联", "记账联"]) if data["special"] else rng.choice(["发票联", "记账联"])
    c.spaced((W / 2 - 40, 92), copy, 20, "cn_kai", 8, form)
    if rng.random() < 0.8:
        qr_block(c, 40, 30, 96)
    lx = 150 if rng.random() < 0.5 else 40
    if "机器编号" in f:
        c.text((lx, 132), "机器编号：", size, "cn_serif", form)
        c.text((lx + 100 + dx, 132 + dy), f["机器编号"], size, val)
    rx = W - 400
    number_ink = rng.choice([(30, 50, 150), (20, 20, 20), (40, 40, 120)])
    if "发票代码" in f and rng.random() < 0.65:
        # The 2016-era form: code printed large beside the QR block, "№ 12345678" in the corner, both
        # repeated small by the printer under it; no 发票代码/发票号码 labels.
        c.text((150, 48), f["发票代码"], size * 1.5, "en_mono", c.ink)
        c.text((rx - 20, 30), "№", 30, "cn_serif", form)
        c.text((rx + 28, 26), f["发票号码"], 34, "en_sans_bold", number_ink)
        c.text((W - 160 + dx, 34 + dy), f["发票代码"], size * 0.8, val)
        c.text((W - 160 + dx, 56 + dy), f["发票号码"], size * 0.8, val)
        y = 92
        for lab, v in [("开票日期", f["开票日期"]), ("校验码", f.get("校验码"))]:
            if v is not None:
                c.text((rx + 20, y), lab + "：", size, "cn_serif", form)
                c.text((rx + 120 + dx, y + dy), v, size, val, max_width=W - rx - 130)
                y += size * 1.6
    else:
        top = [
            ("发票代码", f.get("发票代码")),
            ("发票号码", f["发票号码"]),
            ("开票日期", f["开票日期"]),
            ("校验码", f.get("校验码")),
        ]
        y = 36
        for lab, v in top:
            if v is None:
                continue
            c.text((rx, y), lab + "：", size, "cn_serif", form)
            c.text(
                (rx + 100 + dx, y + dy),
                v,
                size * (1.15 if lab == "发票号码" else 1),
                val,
                max_width=W - rx - 110,
            )
            y += size * 1.7
    # Main frame
    x0, x1 = 30, W - 30
    top_y = max(170, y + 8)
    buyer_h = 125
    c.line((x0, top_y + buyer_h, x1, top_y + buyer_h), form, 1)
    c.line((x0 + 40, top_y, x0 + 40, top_y + buyer_h), form)
    for i, ch in enumerate("购买方"):
        c.text((x0 + 20, top_y + 18 + i * 32), ch, 18, "cn_serif", form, anchor="ma")
    pw_x = x0 + (x1 - x0) * 0.6
    c.line((pw_x, top_y, pw_x, top_y + buyer_h), form)
    for i, ch in enumerate("密码区"):
        c.text((pw_x + 16, top_y + 18 + i * 32), ch, 18, "cn_serif", form, anchor="ma")
    for i in range(4):
        c.text((pw_x + 40, top_y + 10 + i * 28), _cipher(rng), 19, "en_mono", c.ink, max_width=x1 - pw_x - 50)
    _party_rows(c, f, data["buyer"], "购买方", x0, top_y + 10, pw_x, size, form, val, dx, dy)
    # Items
    header = ["货物或应税劳务、服务名称", "规格型号", "单位", "数量", "单价", "金额", "税率", "税额"]
    fr = [0.27, 0.11, 0.06, 0.08, 0.12, 0.15, 0.07, 0.14]
    xs, yb = _items_table(c, rng, doc, x0, x1, top_y + buyer_h + 2, form, val, size, header, fr)
    sum_y = max(yb + 10, top_y + buyer_h + 230)
    full = rng.random() < 0.7  # the real form rules every column down to the 合计 row
    for xv in xs[1:-1]:
        c.line((xv, top_y + buyer_h, xv, (sum_y + 30) if full else top_y + buyer_h + 30), form)
    c.text(((xs[0] + xs[1]) / 2, sum_y), "合        计", size, "cn_serif", form, anchor="ma")
    c.text((xs[6] - 6 + dx, sum_y + dy), f["合计金额"], size, val, anchor="ra")
    c.text((xs[8] - 6 + dx, sum_y + dy), f["合计税额"], size, val, anchor="ra")
    ty = sum_y + 40
    c.line((x0, ty - 6, x1, ty - 6), form)
    c.text((x0 + 10, ty + 6), "价税合计（大写）", size, "cn_serif", form)
    c.text((x0 + 240 + dx, ty + 6 + dy), "ⓧ" + f["价税合计（大写）"], size, val)
    c.text((x0 + (x1 - x0) * 0.66, ty + 6), "（小写）", size, "cn_serif", form)
    c.text((x0 + (x1 - x0) * 0.66 + 90 + dx, ty + 6 + dy), f["价税合计"], size, val)
    sy = ty + 44
    c.line((x0, sy - 6, x1, sy - 6), form)
    for i, ch in enumerate("销售方"):
        c.text((x0 + 20, sy + 12 + i * 32), ch, 18, "cn_serif", form, anchor="ma")
    c.line((x0 + 40, sy - 6, x0 + 40, sy + 4 * 28 + 10), form)
    _party_rows(c, f, data["seller"], "销售方", x0, sy + 4, pw_x, size, form, val, dx, dy)
    bottom = sy + 4 * 28 + 10
    H = int(bottom + 80)
    c.rect((x0, top_y, x1, bottom), form, 2)
    c.line((pw_x, sy - 6, pw_x, bottom), form)
    c.text((pw_x + 10, sy + 4), "备注", size, "cn_serif", form)
    inj = data.get("injection")
    if inj and len(inj["text"]) <= 60 and rng.random() < 0.6:  # printed in 备注, where free text goes
        for i, line in enumerate(inj["text"].split("\n")):
            c.text((pw_x + 60, sy + 4 + i * size * 1.4), line, size * 0.9, val, max_width=x1 - pw_x - 70)
        data["injection_drawn"] = True
    elif doc.data["remark"]:
        c.text((pw_x + 60, sy + 4), doc.data["remark"], size * 0.9, val, max_width=x1 - pw_x - 70)
    by = H - 60
    c.crop_height(H)
    c.text((x0 + 10, by), f"收款人：{data['payee']}", size * 0.9, "cn_serif", form)
    c.text((x0 + 260, by), f"复核：{data['reviewer']}", size * 0.9, "cn_serif", form)
    c.text((x0 + 500, by), f"开票人：{data['drawer']}", size * 0.9, "cn_serif", form)
    c.text((x0 + 760, by), "销售方：（章）", size * 0.9, "cn_serif", form)
    img = c.img
    # 全国统一发票监制章 over the title, and the seller's 发票专用章 over the seller block.
    if rng.random() < 0.8:
        seal(
            img,
            (W / 2 + rng.randint(-30, 30), 62 + rng.randint(-6, 6)),
            62,
            "全国统一发票监制章",
            rng,
            inner=data["province"] + "税务局",
            oval=True,
        )
    if rng.random() < 0.9:
        seal(
            img,
            (x0 + rng.randint(820, 1060), by - rng.randint(10, 70)),
            rng.randint(74, 92),
            data["seller"]["name"],
            rng,
            inner="发票专用章",
            oval=True,
            middle=data["seller"]["tax_id"],
        )
    return texture(img, rng, 4)


def _render_electronic(doc: Doc, rng: random.Random) -> Image.Image:
    f, data = doc.fields, doc.data
    W, H = rng.randint(1240, 1340), rng.randint(760, 820)
    c = Canvas(W, H, rng, (255, 255, 255))
    form = rng.choice([BROWN, (150, 60, 50), (120, 70, 40)])
    val = rng.choice(["cn_serif", "cn_sans"])
    size = rng.uniform(17, 20)
    kind = "增值税专用发票" if data["special"] else "普通发票"
    c.text((W / 2, 34), f"电子发票（{kind}）", 34, "cn_serif", form, anchor="ma")
    c.line((W / 2 - 210, 84, W / 2 + 210, 84), form, 2)
    c.line((W / 2 - 210, 89, W / 2 + 210, 89), form, 1)
    qr_block(c, 40, 20, 100)
    rx = W - 420
    c.text((rx, 40), "发票号码：", size, "cn_serif", form)
    c.text((rx + 100, 40), f["发票号码"], size, val)
    c.text((rx, 75), "开票日期：", size, "cn_serif", form)
    c.text((rx + 100, 75), f["开票日期"], size, val)
    x0, x1 = 30, W - 30
    ty = 140
    box_h = 120
    c.rect((x0, ty, x1, H - 60), form, 2)
    mid = (x0 + x1) / 2
    c.line((mid, ty, mid, ty + box_h), form)
    c.line((x0, ty + box_h, x1, ty + box_h), form)
    for side, (bx, who) in enumerate([(x0, "购买方"), (mid, "销售方")]):
        c.line((bx + 40, ty, bx + 40, ty + box_h), form)
        for i, ch in enumerate(who + "信息"):
            c.text((bx + 20, ty + 8 + i * 21), ch, 16, "cn_serif", form, anchor="ma")
        name_key, id_key = (
            ("购买方名称", "购买方纳税人识别号") if side == 0 else ("销售方名称", "销售方纳税人识别号")
        )
        c.text((bx + 50, ty + 24), "名称：", size, "cn_serif", form)
        c.text((bx + 110, ty + 24), f[name_key], size, val, max_width=mid - x0 - 130)
        c.text((bx + 50, ty + 70), "统一社会信用代码/纳税人识别号：", size * 0.85, "cn_serif", form)
        if id_key in f:
            c.text(
                (
                    bx + 50 + c.text_width("统一社会信用代码/纳税人识别号：", "cn_serif", size * 0.85) + 4,
                    ty + 70,
                ),
                f[id_key],
                size,
                val,
            )
    header = ["项目名称", "规格型号", "单位", "数量", "单价", "金额", "税率/征收率", "税额"]
    fr = [0.27, 0.11, 0.06, 0.08, 0.12, 0.15, 0.08, 0.13]
    xs, yb = _items_table(c, rng, doc, x0, x1, ty + box_h + 4, form, val, size, header, fr)
    sum_y = max(yb + 10, ty + box_h + 220)
    c.text(((xs[0] + xs[1]) / 2, sum_y), "合        计", size, "cn_serif", form, anchor="ma")
    c.text((xs[6] - 6, sum_y), f["合计金额"], size, val, anchor="ra")
    c.text((xs[8] - 6, sum_y), f["合计税额"], size, val, anchor="ra")
    yy = sum_y + 40
    c.line((x0, yy - 8, x1, yy - 8), form)
    c.text((x0 + 10, yy + 4), "价税合计（大写）", size, "cn_serif", form)
    c.text((x0 + 240, yy + 4), "ⓧ" + f["价税合计（大写）"], size, val)
    c.text((x0 + (x1 - x0) * 0.66, yy + 4), "（小写）", size, "cn_serif", form)
    c.text((x0 + (x1 - x0) * 0.66 + 90, yy + 4), f["价税合计"], size, val)
    c.line((x0, yy + 40, x1, yy + 40), form)
    c.text((x0 + 10, yy + 56), "备注", size, "cn_serif", form)
    if data["remark"]:
        c.text((x0 + 80, yy + 56), data["remark"], size * 0.9, val)
    c.text((x0 + 10, H - 45), f"开票人：{data['drawer']}", size * 0.9, "cn_serif", form)
    return c.img


# The form's "合 计" row prints the net (合计金额) and the tax (合计税额): the total concept's short
# alias "合计" would ask for the gross by that row's label.
NOT_ASKED_BY = ("合计",)
register(
    spec("vat_special_invoice", "zh", "增值税专用发票", VAT_FIELDS, not_asked_by=NOT_ASKED_BY),
    generate("special"),
    render,
    photo=True,
)
register(
    spec("vat_normal_invoice", "zh", "增值税普通发票", VAT_FIELDS, not_asked_by=NOT_ASKED_BY),
    generate("normal"),
    render,
    photo=True,
)
