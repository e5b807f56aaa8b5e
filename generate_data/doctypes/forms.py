"""Form-like documents drawn by one label/value layout engine with per-type touches:
火车票, 出租车发票, 获奖证书, 居民身份证 (fictitious values), 营业执照, 银行回单, 医疗门诊收费票据,
快递面单, and an English commercial invoice with line items."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from PIL import Image

from .. import values as V
from ..fields import spec
from ..render import BLUE, RED, Canvas, barcode, paper, qr_block, seal, texture
from .base import Doc, Fakers, register
from .items import record


def form(
    doc: Doc,
    rng: random.Random,
    *,
    title: str,
    rows: list,
    width=(1100, 1300),
    lang="zh",
    tint=None,
    border=True,
    two_col=False,
    title_color=None,
    table=None,
    footer: list[str] = (),
    seal_text: str = "",
    qr: bool = False,
    bar: bool = False,
    size=(19, 23),
) -> Image.Image:
    """Title, then label/value rows (one or two columns), an optional table, footer lines, a seal."""
    W = rng.randint(*width)
    c = Canvas(W, 2400, rng, paper(W, 2400, rng, tint))
    fam = rng.choice(["cn_sans", "cn_serif"]) if lang == "zh" else rng.choice(["en_sans", "en_serif"])
    sz = rng.uniform(*size)
    label_color = c.ink if rng.random() < 0.6 else rng.choice([BLUE, (90, 60, 40), (60, 60, 60)])
    y = rng.randint(30, 60)
    if qr:
        qr_block(c, W - 150, y, 110)
    c.text((W / 2, y), title, sz * 1.7, fam, title_color, anchor="ma", max_width=W - 300)
    y += sz * 3
    x0, x1 = rng.randint(40, 80), W - rng.randint(40, 80)
    top = y
    colw = (x1 - x0) / (2 if two_col else 1)
    sep = rng.choice(["：", "：", ": ", " "]) if lang == "zh" else rng.choice([": ", ": ", " "])
    i = 0
    for label, value in rows:
        if value is None:
            continue
        col = i % 2 if two_col else 0
        if col == 0 and i:
            y += sz * rng.uniform(1.6, 1.9)
        x = x0 + 10 + col * colw
        bb = c.text((x, y), label + sep, sz, fam, label_color)
        c.text((bb[2] + 6, y), value, sz, fam, max_width=x0 + (col + 1) * colw - bb[2] - 16)
        i += 1
    y += sz * 2
    if table:
        header, trs, fracs = table
        xs = [x0]
        for fr in fracs:
            xs.append(xs[-1] + (x1 - x0) * fr)
        c.line((x0, y - 6, x1, y - 6))
        for j, h in enumerate(header):
            c.text((xs[j] + 6, y), h, sz * 0.95, fam, label_color, max_width=xs[j + 1] - xs[j] - 10)
        y += sz * 1.6
        c.line((x0, y - 6, x1, y - 6))
        for tr in trs:
            for j, v in enumerate(tr):
                c.text((xs[j] + 6, y), v, sz * 0.95, fam, max_width=xs[j + 1] - xs[j] - 10)
            y += sz * 1.5
        c.line((x0, y, x1, y))
        y += sz
    for line in footer:
        if line:
            c.text((x0 + 10, y), line, sz, fam, label_color, max_width=x1 - x0 - 20)
            y += sz * 1.7
    if bar:
        barcode(c, x0 + 10, int(y), min(420, int(x1 - x0) // 2), 60)
        y += 80
    bottom = y + 30
    if border:
        c.rect((x0 - 10, top - 16, x1 + 10, bottom), width=2, outline=label_color)
    c.crop_height(bottom + rng.randint(40, 90))
    if seal_text:
        seal(c.img, (x1 - 150 + rng.randint(-40, 30), bottom - 90 + rng.randint(-30, 20)), 80, seal_text, rng)
    return texture(c.img, rng, 4)


def _money(x) -> str:
    return f"{V.money(x):.2f}"


# ---------------------------------------------------------------- 火车票 (电子发票（铁路电子客票）)
TRAIN = spec(
    "train_ticket",
    "zh",
    "火车票",
    [
        ("车次", "train_no"),
        ("出发站", "from_station"),
        ("到达站", "to_station"),
        ("发车时间", "departure_time"),
        ("座位号", "seat"),
        ("席别", "seat_class"),
        ("票价", "fare"),
        ("乘客姓名", "passenger_name"),
        ("证件号码", "id_masked"),
        ("电子客票号", "ticket_no"),
    ],
)
STATIONS = [
    "北京南",
    "上海虹桥",
    "广州南",
    "深圳北",
    "杭州东",
    "南京南",
    "武汉",
    "成都东",
    "西安北",
    "重庆北",
    "长沙南",
    "郑州东",
    "青岛",
    "天津西",
    "苏州",
]


def gen_train(rng: random.Random, fk: Fakers) -> Doc:
    a, b = rng.sample(STATIONS, 2)
    d = V.rand_date(rng, 2019, 2025)
    t = V.rand_time(rng, 6, 21)
    kind = rng.choice(["G", "D", "G", "K", "Z"])
    birth = V.rand_date(rng, 1960, 2004)
    idn = V.fake_id_number(rng, rng.choice(list(V.REGIONS)), birth)
    cls = rng.choice(["二等座", "一等座", "商务座"]) if kind in "GD" else rng.choice(["硬座", "硬卧", "软卧"])
    seat = (
        f"{rng.randint(1, 16):02d}车{rng.randint(1, 18):02d}{rng.choice('ABCDF')}号"
        if kind in "GD"
        else f"{rng.randint(1, 18):02d}车{rng.randint(1, 120):03d}号"
    )
    f = {
        "车次": f"{kind}{rng.randint(1, 9999 if kind in 'KZ' else 2999)}",
        "出发站": a,
        "到达站": b,
        "发车时间": f"{d.year}年{d.month:02d}月{d.day:02d}日 {t.hour:02d}:{t.minute:02d}开",
        "座位号": seat,
        "席别": cls,
        "票价": f"¥{rng.randint(30, 1800)}.{rng.choice(['0', '5'])}",
        "乘客姓名": fk.zh.name(),
        "证件号码": idn[:10] + "****" + idn[14:],
        "电子客票号": V.digits(rng, 5, True) + V.digits(rng, 15)[:16]
        if rng.random() < 0.5
        else rng.choice("EF") + V.digits(rng, 6) + V.digits(rng, 6),
    }
    return Doc(
        "train_ticket",
        f,
        "default",
        {"station_en": (rng.choice(["Beijingnan", "Shanghaihongqiao", "Guangzhounan", ""]))},
    )


def render_train(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    W, H = rng.randint(900, 1000), rng.randint(560, 620)
    c = Canvas(W, H, rng, rng.choice([(200, 225, 240), (235, 240, 250), (250, 250, 250)]))
    fam = rng.choice(["cn_sans", "cn_serif"])
    c.text((50, 30), f["电子客票号"], 22, "en_mono", RED if rng.random() < 0.5 else None)
    c.text(
        (W - 280, 30),
        rng.choice(["检票：", "候车："]) + f"{rng.randint(1, 30)}{rng.choice(['', 'A', 'B'])}",
        22,
        fam,
    )
    c.text((120, 90), f["出发站"] + "站", 40, fam)
    c.text((W / 2, 105), f["车次"], 34, "en_sans_bold", anchor="ma")
    c.line((W / 2 - 90, 150, W / 2 + 90, 150), width=2)
    c.text((W - 120, 90), f["到达站"] + "站", 40, fam, anchor="ra")
    c.text((70, 190), f["发车时间"], 27, fam)
    c.text((W - 110, 190), f["座位号"], 27, fam, anchor="ra")
    c.text((70, 245), f["票价"] + "元", 27, fam)
    c.text((W - 110, 245), f["席别"], 27, fam, anchor="ra")
    c.text((70, 300), rng.choice(["限乘当日当次车", "仅供报销使用"]), 20, fam)
    c.text((70, 350), f"{f['证件号码']} {f['乘客姓名']}", 27, fam)
    c.rect((60, 400, W - 300, 470), width=1)
    c.text((80, 420), "买票请到12306 发货请到95306", 20, fam)
    qr_block(c, W - 220, 330, 150)
    c.text((70, H - 60), f"{V.digits(rng, 20)} {rng.choice(['北京南', '上海', '广州'])}售", 18, "en_mono")
    return texture(c.img, rng, 3)


# ---------------------------------------------------------------- 出租车发票
TAXI = spec(
    "taxi_invoice",
    "zh",
    "出租车发票",
    [
        ("发票代码", "invoice_code"),
        ("发票号码", "invoice_no"),
        ("车号", "plate_no"),
        ("日期", "date"),
        ("上车时间", "board_time"),
        ("下车时间", "alight_time"),
        ("单价", "unit_price"),
        ("里程", "distance"),
        ("等候时间", "waiting_time"),
        ("金额", "total"),
        ("电话", "phone"),
    ],
)
PLATES = {
    "北京": "京B",
    "上海": "沪",
    "深圳": "粤B",
    "广东": "粤A",
    "浙江": "浙A",
    "江苏": "苏E",
    "四川": "川A",
    "湖北": "鄂A",
    "山东": "鲁B",
    "陕西": "陕A",
    "重庆": "渝",
}


def gen_taxi(rng: random.Random, fk: Fakers) -> Doc:
    region = rng.choice(list(V.REGIONS))
    prov = V.REGIONS[region][0]
    d = V.rand_date(rng, 2016, 2024)
    t0 = V.rand_time(rng, 0, 22)
    km = round(rng.uniform(1.5, 45), 1)
    minutes = int(km * rng.uniform(1.8, 3.5)) + 2
    t1 = (dt.datetime.combine(d, t0) + dt.timedelta(minutes=minutes)).time()
    price = rng.choice([Decimal("2.30"), Decimal("2.50"), Decimal("2.60"), Decimal("2.70")])
    wait = f"00:{rng.randint(0, 15):02d}:{rng.randint(0, 59):02d}"
    total = max(Decimal(rng.choice([10, 13, 14])), V.money(Decimal(str(km)) * price + rng.randint(0, 6)))
    plate = PLATES.get(prov, "京B")
    plate = (
        plate
        + ("" if len(plate) == 3 else rng.choice("ABCDF"))
        + "".join(rng.choice("0123456789ABCDEFGHJKL") for _ in range(4))
    )
    f = {
        "发票代码": "1" + region[:4] + V.digits(rng, 7),
        "发票号码": V.digits(rng, 8),
        "车号": plate[:7] if len(plate) >= 7 else plate,
        "日期": d.strftime(rng.choice(["%Y-%m-%d", "%Y.%m.%d"])),
        "上车时间": t0.strftime("%H:%M"),
        "下车时间": t1.strftime("%H:%M"),
        "单价": f"{price:.2f}元" if rng.random() < 0.5 else f"{price:.2f}",
        "里程": f"{km:.1f}km",
        "等候时间": wait,
        "金额": f"¥{total:.2f}" if rng.random() < 0.4 else f"{total:.2f}元",
        "电话": V.landline(rng),
    }
    return Doc("taxi_invoice", f, "default", {"city": prov})


def render_taxi(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    rows = [
        (k, f[k])
        for k in [
            "发票代码",
            "发票号码",
            "电话",
            "车号",
            "日期",
            "上车时间",
            "下车时间",
            "单价",
            "里程",
            "等候时间",
            "金额",
        ]
    ]
    return form(
        doc,
        rng,
        title=f"{doc.data['city']}市出租汽车专用发票",
        rows=rows,
        width=(520, 640),
        border=rng.random() < 0.5,
        footer=["发票联", rng.choice(["手写无效", "欢迎乘坐", ""])],
        seal_text="",
        qr=False,
        bar=rng.random() < 0.3,
        size=(20, 24),
    )


# ---------------------------------------------------------------- 获奖证书
AWARD = spec(
    "award_certificate",
    "zh",
    "获奖证书",
    [
        ("获奖者", "recipient"),
        ("奖项", "award_name"),
        ("比赛名称", "competition"),
        ("颁发单位", "issuer"),
        ("日期", "date"),
        ("证书编号", "certificate_no"),
    ],
)
COMPETITIONS = [
    "全国大学生数学建模竞赛",
    "中国大学生计算机设计大赛",
    "“挑战杯”全国大学生课外学术科技作品竞赛",
    "全国青少年科技创新大赛",
    "蓝桥杯全国软件和信息技术专业人才大赛",
    "全国大学生电子设计竞赛",
    "市中小学生书法比赛",
    "省青年歌手大奖赛",
    "全国大学生英语竞赛",
]


def gen_award(rng: random.Random, fk: Fakers) -> Doc:
    d = V.rand_date(rng, 2015, 2025)
    comp = rng.choice(COMPETITIONS)
    f = {
        "获奖者": fk.zh.name(),
        "奖项": rng.choice(["一等奖", "二等奖", "三等奖", "特等奖", "优秀奖", "金奖", "银奖"]),
        "比赛名称": f"{d.year}年{comp}" if rng.random() < 0.6 else comp,
        "颁发单位": rng.choice(
            [
                f"{comp[:2]}组织委员会",
                "中国教育学会",
                fk.zh.company(),
                fk.zh.city_name() + "教育局",
                "全国大学生竞赛组委会",
            ]
        ),
        "日期": V.cn_date_nopad(d) if rng.random() < 0.6 else V.cn_date(d),
        "证书编号": rng.choice(["", "NO.", "No："]) + V.digits(rng, rng.choice([8, 10, 12]), True),
    }
    return Doc(
        "award_certificate",
        f,
        "default",
        {"school": fk.zh.city_name() + rng.choice(["大学", "理工学院", "第一中学"])},
    )


def render_award(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    W, H = rng.randint(1200, 1350), rng.randint(840, 920)
    c = Canvas(W, H, rng, rng.choice([(252, 246, 228), (255, 250, 240), (248, 242, 220)]))
    gold = rng.choice([(180, 140, 50), (160, 30, 30), (40, 60, 130)])
    c.rect((25, 25, W - 25, H - 25), outline=gold, width=8)
    c.rect((45, 45, W - 45, H - 45), outline=gold, width=2)
    fam = rng.choice(["cn_kai", "cn_serif", "cn_sans"])
    c.spaced((W / 2 - 190, 90), "荣誉证书", 80, fam, 26, gold)
    c.text(
        (W - 120, 200),
        f"证书编号：{f['证书编号']}" if not f["证书编号"].startswith("N") else f["证书编号"],
        20,
        "cn_sans",
        anchor="ra",
    )
    y = 280
    c.text((140, y), f"{f['获奖者']}{rng.choice(['同学', '同志', ''])}：", 40, fam)
    body = f"在{f['比赛名称']}中，荣获{f['奖项']}。特发此证，以资鼓励。"
    y = c.wrap((200, y + 80), body, 34, fam, W - 360, 1.6)
    c.text((W - 200, H - 220), f["颁发单位"], 30, fam, anchor="ra")
    c.text((W - 200, H - 160), f["日期"], 30, fam, anchor="ra")
    img = c.img
    seal(img, (W - 300 + rng.randint(-40, 40), H - 200 + rng.randint(-20, 20)), 95, f["颁发单位"][:14], rng)
    return texture(img, rng, 4)


# ---------------------------------------------------------------- 居民身份证 (正面 + 反面 on one page)
IDCARD = spec(
    "id_card",
    "zh",
    "居民身份证（样本）",
    [
        ("姓名", "name"),
        ("性别", "sex"),
        ("民族", "ethnicity"),
        ("出生", "birth_date"),
        ("住址", "domicile"),
        ("公民身份号码", "id_number"),
        ("签发机关", "issuer"),
        ("有效期限", "business_term"),
    ],
)


def gen_id(rng: random.Random, fk: Fakers) -> Doc:
    region = rng.choice(list(V.REGIONS))
    birth = V.rand_date(rng, 1955, 2005)
    sex = rng.choice(["男", "女"])
    idn = V.fake_id_number(rng, region, birth)
    issue = V.rand_date(rng, 2010, 2024)
    years = rng.choice([10, 20])
    f = {
        "姓名": fk.zh.name_male() if sex == "男" else fk.zh.name_female(),
        "性别": sex,
        "民族": rng.choice(["汉", "汉", "汉", "回", "满", "壮", "苗", "蒙古"]),
        "出生": f"{birth.year}年{birth.month}月{birth.day}日",
        "住址": V.cn_street_address(rng, V.REGIONS[region][1]),
        "公民身份号码": idn,
        "签发机关": V.REGIONS[region][1] + "公安分局",
        "有效期限": f"{issue:%Y.%m.%d}-{issue.replace(year=issue.year + years) if not (issue.month == 2 and issue.day == 29) else issue:%Y.%m.%d}",
    }
    return Doc("id_card", f, "default", {})


def render_id(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    W, H = 1000, 1300
    c = Canvas(W, H, rng, rng.choice([(230, 230, 230), (245, 245, 245), (210, 205, 200)]))
    fam = rng.choice(["cn_sans", "cn_serif"])
    grey = (90, 110, 130)
    card = (rng.randint(225, 240), rng.randint(232, 245), rng.randint(238, 250))
    for top in (60, 700):
        c.draw.rounded_rectangle((90, top, 910, top + 520), 30, fill=card, outline=(160, 170, 180))
    c.text((W / 2, 75), "样本 SPECIMEN（虚构数据，仅供测试）", 22, "cn_sans", RED, anchor="ma")
    y = 120
    c.text((140, y), "姓名", 24, fam, grey)
    c.text((230, y - 4), f["姓名"], 32, fam)
    y += 70
    c.text((140, y), "性别", 24, fam, grey)
    c.text((230, y - 2), f["性别"], 28, fam)
    c.text((360, y), "民族", 24, fam, grey)
    c.text((450, y - 2), f["民族"], 28, fam)
    y += 70
    c.text((140, y), "出生", 24, fam, grey)
    c.text((230, y - 2), f["出生"], 28, fam)
    y += 70
    c.text((140, y), "住址", 24, fam, grey)
    c.wrap((230, y - 2), f["住址"], 28, fam, 380, 1.4)
    c.text((140, 500), "公民身份号码", 24, fam, grey)
    c.text((330, 496), f["公民身份号码"], 34, "en_sans_bold")
    c.draw.rectangle((640, 130, 860, 400), fill=(200, 205, 215))
    c.text((750, 260), "照片", 30, fam, (150, 150, 160), anchor="mm")
    c.text((W / 2, 780), "中华人民共和国", 40, fam, anchor="ma")
    c.spaced((W / 2 - 230, 860), "居民身份证", 60, fam, 20)
    c.text((230, 1060), "签发机关", 24, fam, grey)
    c.text((360, 1056), f["签发机关"], 28, fam)
    c.text((230, 1120), "有效期限", 24, fam, grey)
    c.text((360, 1116), f["有效期限"], 28, fam)
    return c.img


# ---------------------------------------------------------------- 营业执照
LICENSE = spec(
    "business_license",
    "zh",
    "营业执照",
    [
        ("统一社会信用代码", "uscc"),
        ("名称", "company_name"),
        ("类型", "company_type"),
        ("法定代表人", "legal_rep"),
        ("注册资本", "capital"),
        ("成立日期", "established"),
        ("营业期限", "business_term"),
        ("住所", "business_address"),
        ("登记机关", "registration_authority"),
    ],
)


def gen_license(rng: random.Random, fk: Fakers) -> Doc:
    region = rng.choice(list(V.REGIONS))
    d = V.rand_date(rng, 1998, 2024)
    cap = rng.choice([10, 50, 100, 200, 500, 1000, 3000, 5000])
    f = {
        "统一社会信用代码": V.uscc(rng, region),
        "名称": fk.zh.company(),
        "类型": rng.choice(
            [
                "有限责任公司（自然人投资或控股）",
                "有限责任公司（自然人独资）",
                "股份有限公司（非上市）",
                "其他有限责任公司",
            ]
        ),
        "法定代表人": fk.zh.name(),
        "注册资本": f"{cap}万元人民币" if rng.random() < 0.5 else f"人民币{cap}万元",
        "成立日期": V.cn_date(d),
        "营业期限": f"{V.cn_date(d)}至{rng.choice(['长期', V.cn_date(d.replace(year=d.year + 20, day=min(d.day, 28)))])}",
        "住所": V.cn_street_address(rng, V.REGIONS[region][1]),
        "登记机关": V.REGIONS[region][1] + "市场监督管理局",
    }
    return Doc(
        "business_license",
        f,
        "default",
        {
            "scope": "技术开发、技术咨询、技术服务；销售"
            + fk.zh.word()
            + "、电子产品、日用百货。（依法须经批准的项目，经相关部门批准后方可开展经营活动）"
        },
    )


def render_license(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    rows = [(k, f[k]) for k in ["名称", "类型", "法定代表人", "注册资本", "成立日期", "营业期限", "住所"]]
    img = form(
        doc,
        rng,
        title="营 业 执 照",
        rows=[("统一社会信用代码", f["统一社会信用代码"])] + rows,
        width=(1150, 1300),
        tint=(rng.randint(248, 255), rng.randint(244, 252), rng.randint(230, 240)),
        border=True,
        title_color=RED,
        footer=["经营范围：" + doc.data["scope"][:60], f"登记机关：{f['登记机关']}"],
        seal_text=f["登记机关"][:12],
        qr=True,
        size=(21, 25),
    )
    return img


# ---------------------------------------------------------------- 银行回单
BANKRECEIPT = spec(
    "bank_receipt",
    "zh",
    "银行回单",
    [
        ("回单编号", "serial_no"),
        ("日期", "date"),
        ("付款人户名", "payer_name"),
        ("付款人账号", "payer_account"),
        ("付款人开户行", "payer_bank"),
        ("收款人户名", "payee_name"),
        ("收款人账号", "payee_account"),
        ("收款人开户行", "payee_bank"),
        ("金额（小写）", "transfer_amount"),
        ("金额（大写）", "amount_upper"),
        ("用途", "purpose"),
    ],
)


def gen_bank(rng: random.Random, fk: Fakers) -> Doc:
    d = V.rand_date(rng, 2017, 2025)
    amt = V.money(Decimal(str(round(rng.uniform(100, 500000), rng.choice([0, 2])))))
    city1, city2 = (V.REGIONS[rng.choice(list(V.REGIONS))][1][:2] for _ in range(2))
    bank_name = rng.choice(V.BANKS)
    f = {
        "回单编号": V.digits(rng, rng.choice([12, 16, 20]), True),
        "日期": d.strftime(rng.choice(["%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d"])),
        "付款人户名": fk.zh.company(),
        "付款人账号": V.bank_account(rng),
        "付款人开户行": V.bank_branch(rng, city1),
        "收款人户名": fk.zh.company() if rng.random() < 0.8 else fk.zh.name(),
        "收款人账号": V.bank_account(rng),
        "收款人开户行": V.bank_branch(rng, city2),
        "金额（小写）": f"¥{amt:,.2f}" if rng.random() < 0.5 else f"{amt:.2f}",
        "金额（大写）": V.cn_upper_amount(amt),
        "用途": rng.choice(["货款", "服务费", "工资", "往来款", "租金", "报销款", "采购款"]),
    }
    return Doc("bank_receipt", f, "default", {"bank": bank_name})


def render_bank(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    rows = [
        (k, f[k])
        for k in [
            "回单编号",
            "日期",
            "付款人户名",
            "收款人户名",
            "付款人账号",
            "收款人账号",
            "付款人开户行",
            "收款人开户行",
            "金额（小写）",
            "金额（大写）",
            "用途",
        ]
    ]
    return form(
        doc,
        rng,
        title=f"{doc.data['bank']}{rng.choice(['电子回单', '业务回单', '转账回单'])}",
        rows=rows,
        two_col=True,
        width=(1250, 1400),
        footer=[f"交易流水：{V.digits(rng, 10)}", "打印次数：1"],
        seal_text=doc.data["bank"] + "电子回单专用章",
        size=(18, 21),
    )


# ---------------------------------------------------------------- 医疗门诊收费票据
MEDICAL = spec(
    "medical_receipt",
    "zh",
    "医疗门诊收费票据",
    [
        ("票据号码", "invoice_no"),
        ("患者姓名", "patient_name"),
        ("医院名称", "hospital"),
        ("科室", "department"),
        ("门诊号", "visit_no"),
        ("开票日期", "date"),
        ("医保类型", "medical_insurance_type"),
        ("合计", "total"),
        ("医保统筹支付", "insurance_paid"),
        ("个人自付", "self_paid"),
        ("金额大写", "total_upper"),
        ("收费明细", "items"),
    ],
)
MED_ITEMS = ["西药费", "中成药费", "检查费", "化验费", "治疗费", "挂号费", "诊察费", "材料费", "放射费"]


def gen_medical(rng: random.Random, fk: Fakers) -> Doc:
    d = V.rand_date(rng, 2018, 2025)
    items = []
    for name in rng.sample(MED_ITEMS, rng.randint(1, 5)):
        amt = V.money(Decimal(str(round(rng.uniform(5, 800), 2))))
        items.append(record(description=name, amount=f"{amt:.2f}"))
    total = sum(Decimal(i["amount"]) for i in items)
    ins = V.money(total * Decimal(str(rng.choice([0, 0.5, 0.6, 0.7]))))
    f = {
        "票据号码": V.digits(rng, 10, True),
        "患者姓名": fk.zh.name(),
        "医院名称": fk.zh.city_name()
        + rng.choice(["市第一人民医院", "中医院", "妇幼保健院", "人民医院", "大学附属医院"]),
        "科室": rng.choice(["内科", "外科", "儿科", "口腔科", "眼科", "皮肤科", "急诊科", "骨科"]),
        "门诊号": V.digits(rng, rng.choice([8, 10]), True),
        "开票日期": d.strftime(rng.choice(["%Y-%m-%d", "%Y年%m月%d日"])),
        "医保类型": rng.choice(["职工基本医疗保险", "城乡居民医疗保险", "自费"]),
        "合计": f"{total:.2f}",
        "医保统筹支付": f"{ins:.2f}",
        "个人自付": f"{total - ins:.2f}",
        "金额大写": V.cn_upper_amount(total),
        "收费明细": items,
    }
    return Doc("medical_receipt", f, "default", {})


def render_medical(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    rows = [(k, f[k]) for k in ["票据号码", "开票日期", "患者姓名", "门诊号", "科室", "医保类型"]]
    table = (["项目", "金额"], [[i["description"], i["amount"]] for i in f["收费明细"]], [0.6, 0.4])
    foot = [
        f"合计（大写）{f['金额大写']}  （小写）{f['合计']}",
        f"医保统筹支付：{f['医保统筹支付']}  个人自付：{f['个人自付']}",
        f"收款单位：{f['医院名称']}",
    ]
    return form(
        doc,
        rng,
        title=rng.choice(["医疗门诊收费票据（电子）", "门诊收费票据"]),
        rows=rows,
        two_col=rng.random() < 0.6,
        width=(1050, 1250),
        table=table,
        footer=foot,
        seal_text=f["医院名称"] + "财务专用章"[: max(0, 16 - len(f["医院名称"]))],
        qr=rng.random() < 0.6,
    )


# ---------------------------------------------------------------- 快递面单
WAYBILL = spec(
    "express_waybill",
    "zh",
    "快递面单",
    [
        ("运单号", "tracking_no"),
        ("快递公司", "carrier"),
        ("寄件人", "sender_name"),
        ("寄件人电话", "sender_phone"),
        ("寄件人地址", "sender_address"),
        ("收件人", "receiver_name"),
        ("收件人电话", "receiver_phone"),
        ("收件人地址", "receiver_address"),
        ("重量", "weight"),
        ("分拣码", "sort_code"),
    ],
)
CARRIERS = {
    "顺丰速运": "SF",
    "中通快递": "7",
    "圆通速递": "YT",
    "申通快递": "77",
    "韵达快递": "43",
    "京东物流": "JD",
    "EMS": "EJ",
}


def gen_waybill(rng: random.Random, fk: Fakers) -> Doc:
    carrier = rng.choice(list(CARRIERS))
    pre = CARRIERS[carrier]
    mask = rng.random() < 0.5
    rphone = V.chinese_mobile(rng)
    f = {
        "运单号": pre + V.digits(rng, 15 - len(pre) if pre.isdigit() else 13),
        "快递公司": carrier,
        "寄件人": fk.zh.name(),
        "寄件人电话": V.chinese_mobile(rng),
        "寄件人地址": V.cn_street_address(rng, V.REGIONS[rng.choice(list(V.REGIONS))][1]),
        "收件人": fk.zh.name(),
        "收件人电话": rphone[:3] + "****" + rphone[7:] if mask else rphone,
        "收件人地址": V.cn_street_address(rng, V.REGIONS[rng.choice(list(V.REGIONS))][1]),
        "重量": f"{rng.uniform(0.1, 25):.1f}kg" if rng.random() < 0.7 else f"{rng.uniform(0.1, 25):.2f}公斤",
        "分拣码": f"{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        if rng.random() < 0.6
        else f"{rng.choice(['华东', '华南', '华北'])} {rng.randint(10, 99)}",
    }
    return Doc("express_waybill", f, "default", {})


def render_waybill(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    W = rng.randint(760, 860)
    c = Canvas(W, 1200, rng, (255, 255, 255))
    fam = rng.choice(["cn_sans", "cn_mono"])
    c.text((30, 25), f["快递公司"], 36, "cn_sans")
    c.text((W - 30, 30), rng.choice(["标准快递", "特快", "电商件"]), 26, fam, anchor="ra")
    c.line((20, 80, W - 20, 80), width=3)
    c.text(
        (W / 2, 95), f["分拣码"], 50, "en_sans_bold" if f["分拣码"][0].isdigit() else "cn_sans", anchor="ma"
    )
    c.line((20, 170, W - 20, 170), width=2)
    barcode(c, 60, 185, W - 120, 90)
    c.text((W / 2, 285), f["运单号"], 28, "en_mono", anchor="ma")
    c.line((20, 330, W - 20, 330), width=2)
    y = 345
    c.text((30, y), "收", 40, "cn_sans")
    c.text((100, y), f"{f['收件人']} {f['收件人电话']}", 28, fam)
    c.wrap((100, y + 45), f["收件人地址"], 26, fam, W - 140, 1.35)
    y = 500
    c.line((20, y - 10, W - 20, y - 10))
    c.text((30, y), "寄", 34, "cn_sans")
    c.text((100, y), f"{f['寄件人']} {f['寄件人电话']}", 22, fam)
    c.wrap((100, y + 35), f["寄件人地址"], 22, fam, W - 140, 1.35)
    y = 620
    c.line((20, y - 10, W - 20, y - 10))
    c.text((30, y), f"重量：{f['重量']}", 22, fam)
    c.text((W / 2, y), "签收人：", 22, fam)
    qr_block(c, W - 170, y + 40, 130)
    c.text((30, y + 60), rng.choice(["已验视", "请当面验货签收"]), 22, fam)
    c.crop_height(y + 200)
    return c.img


# ---------------------------------------------------------------- English commercial invoice
COMMERCIAL = spec(
    "commercial_invoice",
    "en",
    "Commercial invoice",
    [
        ("invoice_no", "invoice_no"),
        ("date", "date"),
        ("shipper", "shipper"),
        ("consignee", "buyer_name"),
        ("consignee_address", "consignee_addr"),
        ("po_number", "po_no"),
        ("incoterms", "incoterms"),
        ("currency", "currency"),
        ("country_of_origin", "country_of_origin"),
        ("subtotal", "subtotal"),
        ("freight", "freight"),
        ("total", "total"),
        ("items", "items"),
    ],
)
PRODUCTS = [
    ("LED Desk Lamp", 8.5, 25),
    ("Stainless Steel Bottle 500ml", 2.1, 6.5),
    ("Bluetooth Speaker", 9.0, 32),
    ("Cotton T-Shirt", 1.8, 6.0),
    ("USB-C Charger 20W", 3.2, 9.5),
    ("Ceramic Mug", 0.9, 3.2),
    ("Yoga Mat", 4.5, 12),
    ("Phone Case", 0.6, 2.5),
    ("Wireless Mouse", 2.8, 8.0),
]


def gen_commercial(rng: random.Random, fk: Fakers) -> Doc:
    d = V.rand_date(rng, 2018, 2025)
    items, hs_codes = [], []
    for p, lo, hi in rng.sample(PRODUCTS, rng.randint(1, 5)):
        qty = rng.choice([50, 100, 200, 500, 1000, 2400])
        price = V.money(Decimal(str(round(rng.uniform(lo, hi), 2))))
        hs_code = f"{rng.randint(3900, 9999)}.{rng.randint(10, 99)}"  # printed, no line-items key
        hs_codes.append(hs_code)
        items.append(
            record(description=p, quantity=str(qty), unit_price=f"{price:.2f}", amount=f"{price * qty:,.2f}")
        )
    sub = sum(Decimal(i["amount"].replace(",", "")) for i in items)
    freight = V.money(Decimal(str(rng.choice([0, 120, 350, 800, 1250.5]))))
    cur = rng.choice(["USD", "USD", "EUR"])
    f = {
        "invoice_no": rng.choice(["CI-", "INV", "EXP-"]) + f"{d.year}" + V.digits(rng, 4),
        "date": d.strftime(rng.choice(["%b %d, %Y", "%d %B %Y", "%Y-%m-%d", "%m/%d/%Y"])),
        "shipper": fk.en.company() + rng.choice([" Co., Ltd.", " Inc.", " Limited"]),
        "consignee": fk.en.company() + rng.choice([" LLC", " Inc.", " GmbH"]),
        "consignee_address": fk.en.address().replace("\n", ", "),
        "po_number": "PO" + V.digits(rng, 6),
        "incoterms": rng.choice(["FOB Shenzhen", "CIF Los Angeles", "EXW", "DAP Hamburg", "FOB Ningbo"]),
        "currency": cur,
        "country_of_origin": "China",
        "subtotal": f"{sub:,.2f}",
        "freight": f"{freight:,.2f}" if freight else None,
        "total": f"{sub + freight:,.2f}",
        "items": items,
    }
    return Doc(
        "commercial_invoice",
        {k: v for k, v in f.items() if v is not None},
        "default",
        {"shipper_addr": fk.en.address().replace("\n", ", "), "hs_codes": hs_codes},
    )


def render_commercial(doc: Doc, rng: random.Random) -> Image.Image:
    f = doc.fields
    rows = [
        ("Invoice No.", f["invoice_no"]),
        ("Date", f["date"]),
        ("Shipper/Exporter", f["shipper"]),
        ("Address", doc.data["shipper_addr"]),
        ("Consignee", f["consignee"]),
        ("Consignee Address", f["consignee_address"]),
        ("PO No.", f["po_number"]),
        ("Terms of Delivery", f["incoterms"]),
        ("Currency", f["currency"]),
        ("Country of Origin", f["country_of_origin"]),
    ]
    table = (
        ["Description", "HS Code", "Qty", "Unit Price", "Amount"],
        [
            [i["description"], hs, i["quantity"], i["unit_price"], i["amount"]]
            for i, hs in zip(f["items"], doc.data["hs_codes"], strict=True)
        ],
        [0.36, 0.16, 0.12, 0.16, 0.2],
    )
    foot = (
        [f"Subtotal: {f['subtotal']}"]
        + ([f"Freight: {f['freight']}"] if "freight" in f else [])
        + [f"TOTAL ({f['currency']}): {f['total']}", "We hereby certify this invoice is true and correct."]
    )
    return form(
        doc,
        rng,
        title="COMMERCIAL INVOICE",
        rows=rows,
        lang="en",
        width=(1150, 1300),
        table=table,
        footer=foot,
        size=(18, 21),
    )


register(TRAIN, gen_train, render_train)
register(TAXI, gen_taxi, render_taxi, thermal=True)
register(AWARD, gen_award, render_award)
register(IDCARD, gen_id, render_id)
register(LICENSE, gen_license, render_license)
register(BANKRECEIPT, gen_bank, render_bank)
register(MEDICAL, gen_medical, render_medical)
register(WAYBILL, gen_waybill, render_waybill, thermal=True)
register(COMMERCIAL, gen_commercial, render_commercial)
