"""Domain value generators: registration codes with valid check characters, invoice numbers,
amounts that add up, uppercase Chinese money, and dates in the formats documents print."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

# GB 32100-2015 统一社会信用代码: 31 symbols (no I, O, S, V, Z); weight of position i is 3^i mod 31.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
# GB 11714 组织机构代码: 8 body characters and a mod-11 check character.
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
ORG_BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Administrative division codes (province/city/district) used for region-dependent numbers.
REGIONS = {
    "110105": ("北京", "北京市朝阳区"),
    "110108": ("北京", "北京市海淀区"),
    "310115": ("上海", "上海市浦东新区"),
    "310104": ("上海", "上海市徐汇区"),
    "440305": ("深圳", "深圳市南山区"),
    "440309": ("深圳", "深圳市龙华区"),
    "440106": ("广东", "广州市天河区"),
    "330106": ("浙江", "杭州市西湖区"),
    "320508": ("江苏", "苏州市姑苏区"),
    "510107": ("四川", "成都市武侯区"),
    "420106": ("湖北", "武汉市武昌区"),
    "370202": ("山东", "青岛市市南区"),
    "610113": ("陕西", "西安市雁塔区"),
    "500103": ("重庆", "重庆市渝中区"),
}


def money(x) -> Decimal:
    return Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def org_code_check(body: str) -> str:
    total = sum(_val36(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _val36(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def uscc_check(body17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def org_code(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(2)) + "".join(
        rng.choice(ORG_BODY_CHARS) for _ in range(6)
    )
    return body + org_code_check(body)


def uscc(rng: random.Random, region: str | None = None) -> str:
    """统一社会信用代码 with valid organisation-code and overall check characters."""
    kind = rng.choices(["91", "92", "93", "12", "52"], weights=[80, 6, 3, 6, 5])[0]
    region = region or rng.choice(list(REGIONS))
    body = kind + region + org_code(rng)
    return body + uscc_check(body)


def taxpayer_id(rng: random.Random, region: str | None = None) -> str:
    """纳税人识别号: the 18-character USCC, or the older 15-digit form (region + org code)."""
    if rng.random() < 0.8:
        return uscc(rng, region)
    region = region or rng.choice(list(REGIONS))
    return region + org_code(rng)


def digits(rng: random.Random, n: int, first_nonzero: bool = False) -> str:
    s = "".join(rng.choice("0123456789") for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = str(rng.randint(1, 9)) + s[1:]
    return s


def vat_invoice_code(rng: random.Random, special: bool, year: int, region: str) -> str:
    """Paper VAT invoice code: 10 digits (专票) or 12 digits (普票), region and year embedded."""
    yy = f"{year % 100:02d}"
    if special:
        return region[:4] + yy + rng.choice("123") + digits(rng, 2) + "0"
    return "0" + region[:4] + yy + digits(rng, 3) + rng.choice(["04", "11", "12", "13"])


def einvoice_number(rng: random.Random, year: int, region: str) -> str:
    """全电发票号码: 20 digits, year and province in front."""
    return f"{year % 100:02d}" + region[:2] + digits(rng, 16)


DIGITS_UPPER = "零壹贰叁肆伍陆柒捌玖"


def cn_upper_amount(amount) -> str:
    """Money in uppercase Chinese as printed on invoices: 3495.00 -> 叁仟肆佰玖拾伍圆整."""
    cents = int((money(amount) * 100).to_integral_value())
    if cents < 0:
        raise ValueError("negative amount")
    yuan, jiao, fen = cents // 100, (cents // 10) % 10, cents % 10
    out = ""
    if yuan:
        s = str(yuan)
        s = "0" * (-len(s) % 4) + s
        groups = [s[i : i + 4] for i in range(0, len(s), 4)]
        bigs = ["", "万", "亿", "万亿"]
        pending = False
        for gi, g in enumerate(groups):
            big = bigs[len(groups) - 1 - gi]
            if g == "0000":
                pending = pending or bool(out)
                continue
            for di, ch in enumerate(g):
                d = int(ch)
                if d == 0:
                    pending = pending or bool(out)
                    continue
                if pending:
                    out += "零"
                    pending = False
                out += DIGITS_UPPER[d] + ["仟", "佰", "拾", ""][di]
            out += big
        out += "圆"
    if jiao == 0 and fen == 0:
        return (out or "零圆") + "整"
    if jiao:
        out += DIGITS_UPPER[jiao] + "角"
    elif yuan:
        out += "零"
    out += DIGITS_UPPER[fen] + "分" if fen else "整"
    return out


def rand_date(rng: random.Random, start_year: int = 2016, end_year: int = 2025) -> dt.date:
    start = dt.date(start_year, 1, 1).toordinal()
    end = dt.date(end_year, 12, 28).toordinal()
    return dt.date.fromordinal(rng.randint(start, end))


def rand_time(rng: random.Random, lo: int = 7, hi: int = 22) -> dt.time:
    return dt.time(rng.randint(lo, hi), rng.randint(0, 59), rng.randint(0, 59))


def cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month:02d}月{d.day:02d}日"


def cn_date_nopad(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def round_to_5_sen(x: Decimal) -> Decimal:
    """Malaysian cash rounding to the nearest 0.05."""
    return (money(x) * 20).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 20


def chinese_mobile(rng: random.Random) -> str:
    return rng.choice(["13", "15", "18", "17", "19"]) + digits(rng, 9)


def landline(rng: random.Random, area: str | None = None) -> str:
    area = area or rng.choice(["010", "021", "0755", "020", "0571", "0512", "028", "027", "0532"])
    return f"{area}-{digits(rng, 8, first_nonzero=True)}"


def bank_account(rng: random.Random) -> str:
    return digits(rng, rng.choice([16, 17, 19]), first_nonzero=True)


BANKS = [
    "中国工商银行",
    "中国建设银行",
    "中国农业银行",
    "中国银行",
    "交通银行",
    "招商银行",
    "中信银行",
    "兴业银行",
    "上海浦东发展银行",
    "中国民生银行",
    "平安银行",
    "北京银行",
]


def bank_branch(rng: random.Random, city: str) -> str:
    bank = rng.choice(BANKS)
    suffix = rng.choice(["支行", "分行营业部", "支行营业室"])
    return f"{bank}{'股份有限公司' if rng.random() < 0.3 else ''}{city}{rng.choice(['科技园', '中山路', '高新区', '人民路', '滨江', '东湖', '南京西路'])}{suffix}"


def fake_id_number(rng: random.Random, region: str, birth: dt.date) -> str:
    """A 居民身份证 number with a valid ISO 7064 check digit (values are fictitious)."""
    body = region + birth.strftime("%Y%m%d") + digits(rng, 3)
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * k for c, k in zip(body, w, strict=True))
    return body + "10X98765432"[s % 11]


ROADS = [
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "和平路",
    "长江路",
    "黄河路",
    "科技园南路",
    "高新大道",
    "滨江大道",
    "南京西路",
    "淮海中路",
    "深南大道",
    "天河路",
    "文一西路",
    "金鸡湖大道",
    "天府大道",
    "珞喻路",
    "香港中路",
    "长安街",
    "中关村大街",
    "世纪大道",
    "民治大道",
    "学府路",
    "东风路",
    "新华路",
    "工业园路",
]


def cn_street_address(rng: random.Random, city: str) -> str:
    addr = f"{city}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
    r = rng.random()
    if r < 0.3:
        addr += f"{rng.randint(1, 30)}层{rng.randint(1, 20):02d}室"
    elif r < 0.5:
        addr += f"{rng.choice('ABCDE')}座{rng.randint(101, 2408)}"
    return addr


# ---------------------------------------------------------------- Malaysia / Singapore receipts
# Generic place words and real postcode ranges, recombined at random (no address is copied).
MY_WORDS = [
    "MUTIARA",
    "INDAH",
    "JAYA",
    "PERMAI",
    "SETIA",
    "MEWAH",
    "MAJU",
    "SENTOSA",
    "BAHAGIA",
    "DAMAI",
    "MELATI",
    "CEMPAKA",
    "KENANGA",
    "ANGGERIK",
    "RIA",
    "BUKIT",
    "SUNGAI",
    "PUTRA",
    "PERDANA",
    "INTAN",
    "BERLIAN",
    "DESA",
    "SERI",
    "MEGAH",
    "MURNI",
    "SEJAHTERA",
    "BUNGA RAYA",
    "MAWAR",
    "TEMBUSU",
    "MERANTI",
    "CENDANA",
    "DELIMA",
    "NILAM",
    "PELANGI",
    "SURIA",
    "BAYU",
    "IMPIAN",
    "TASIK",
    "KOTA",
    "UTAMA",
    "BARU",
    "LAMA",
    "TENGAH",
    "BESAR",
    "KECIL",
    "RAJA",
    "SULTAN ISMAIL",
    "TUN RAZAK",
    "IPOH",
    "KLANG LAMA",
    "GASING",
    "TEBRAU",
    "KUCHAI",
    "METRO",
    "WAWASAN",
    "HARMONI",
    "SAUJANA",
]
MY_CITIES = [  # (city, state, postcode range)
    ("KUALA LUMPUR", "WILAYAH PERSEKUTUAN", (50000, 60000)),
    ("PETALING JAYA", "SELANGOR", (46000, 47830)),
    ("SHAH ALAM", "SELANGOR", (40000, 40470)),
    ("KLANG", "SELANGOR", (41000, 41300)),
    ("SUBANG JAYA", "SELANGOR", (47500, 47650)),
    ("PUCHONG", "SELANGOR", (47100, 47190)),
    ("KAJANG", "SELANGOR", (43000, 43009)),
    ("SERI KEMBANGAN", "SELANGOR", (43300, 43300)),
    ("RAWANG", "SELANGOR", (48000, 48050)),
    ("AMPANG", "SELANGOR", (68000, 68000)),
    ("CHERAS", "SELANGOR", (43200, 43200)),
    ("BANGI", "SELANGOR", (43650, 43650)),
    ("SEMENYIH", "SELANGOR", (43500, 43500)),
    ("JOHOR BAHRU", "JOHOR", (80000, 81300)),
    ("SKUDAI", "JOHOR", (81300, 81310)),
    ("MASAI", "JOHOR", (81750, 81750)),
    ("BATU PAHAT", "JOHOR", (83000, 83010)),
    ("KLUANG", "JOHOR", (86000, 86009)),
    ("MUAR", "JOHOR", (84000, 84010)),
    ("IPOH", "PERAK", (30000, 31650)),
    ("TAIPING", "PERAK", (34000, 34010)),
    ("GEORGE TOWN", "PULAU PINANG", (10000, 10470)),
    ("BUTTERWORTH", "PULAU PINANG", (12000, 12300)),
    ("BAYAN LEPAS", "PULAU PINANG", (11900, 11960)),
    ("MELAKA", "MELAKA", (75000, 75460)),
    ("SEREMBAN", "NEGERI SEMBILAN", (70000, 70450)),
    ("NILAI", "NEGERI SEMBILAN", (71800, 71800)),
    ("KUANTAN", "PAHANG", (25000, 25350)),
    ("ALOR SETAR", "KEDAH", (5000, 5460)),
    ("KOTA BHARU", "KELANTAN", (15000, 15300)),
    ("KUALA TERENGGANU", "TERENGGANU", (20000, 21300)),
    ("KOTA KINABALU", "SABAH", (88000, 88450)),
    ("KUCHING", "SARAWAK", (93000, 93350)),
    ("MIRI", "SARAWAK", (98000, 98200)),
    ("PUTRAJAYA", "WILAYAH PERSEKUTUAN", (62000, 62300)),
]


def my_words(rng: random.Random, n: int = 1) -> str:
    return " ".join(rng.sample(MY_WORDS, n))


def my_address_parts(rng: random.Random) -> list[str]:
    """Comma-separated parts of a Malaysian address, unit first, state last (as receipts print them)."""
    parts = []
    r = rng.random()
    n = rng.randint(1, 300)
    if r < 0.3:
        parts.append(
            rng.choice(["NO. {}", "NO.{}", "NO {}", "{}"]).format(n)
            + rng.choice(["", "", "-A", "-1", "G", "A"])
        )
    elif r < 0.45:
        parts.append(f"LOT {rng.choice(['', 'P.T. ', 'PT '])}{rng.randint(100, 9999)}")
    elif r < 0.6:
        parts.append(f"{rng.choice('ABCDEGJ')}-{rng.randint(0, 30):02d}-{rng.randint(1, 20):02d}")
    elif r < 0.72:
        a = rng.randint(1, 90)
        parts.append(f"NO. {a} & {a + 2}" if rng.random() < 0.5 else f"NO. {a}G & {a + 2}G")
    else:
        parts.append(
            rng.choice(["GROUND FLOOR", "1ST FLOOR", "LEVEL 2", "LOWER GROUND FLOOR", "UNIT G-12", "3RD FLR"])
        )
        parts.append(rng.choice(["NO. {}", "NO.{}", "LOT {}"]).format(n))
    if rng.random() < 0.25:
        parts.append(
            f"{rng.choice(['WISMA', 'MENARA', 'PLAZA', 'BANGUNAN', 'KOMPLEKS', 'PUSAT PERNIAGAAN'])} {my_words(rng)}"
        )
    street = rng.choice(
        [
            "JALAN {w} {a}",
            "JALAN {w} {a}/{b}",
            "JALAN {w}",
            "JLN {w} {a}",
            "JALAN SS{a}/{b}",
            "JALAN PJU {a}/{b}",
            "JALAN {ab}/{a}",
            "LORONG {w} {a}",
            "PERSIARAN {w}",
            "JALAN USJ {a}/{b}",
            "JALAN {w} {a}{c}",
        ]
    )
    parts.append(
        street.format(
            w=my_words(rng),
            a=rng.randint(1, 40),
            b=rng.randint(1, 12),
            ab=rng.randint(1, 40),
            c=rng.choice("ABCD"),
        )
    )
    if rng.random() < 0.75:
        parts.append(
            rng.choice(
                [
                    "TAMAN {w}",
                    "TAMAN {w} {w2}",
                    "BANDAR {w}",
                    "SEKSYEN {n}",
                    "KAWASAN PERINDUSTRIAN {w}",
                    "TAMAN PERINDUSTRIAN {w}",
                    "BANDAR BARU {w}",
                    "DESA {w}",
                ]
            ).format(w=my_words(rng), w2=my_words(rng), n=rng.randint(1, 30))
        )
    city, state, (lo, hi) = rng.choice(MY_CITIES)
    pc = f"{rng.randint(lo, hi):05d}"
    if rng.random() < 0.8:
        parts.append(f"{pc} {city}")
        if state != "WILAYAH PERSEKUTUAN" or rng.random() < 0.3:
            parts.append(state + (" D.E." if state == "SELANGOR" and rng.random() < 0.1 else ""))
    else:
        parts += [pc, f"{city}"] if rng.random() < 0.5 else [f"{pc} {city} {state}"]
    return parts


def sg_address_parts(rng: random.Random) -> list[str]:
    blk = f"BLK {rng.randint(1, 999)}" if rng.random() < 0.5 else f"{rng.randint(1, 400)}"
    road = f"{my_words(rng)} {rng.choice(['ROAD', 'STREET', 'AVENUE', 'DRIVE', 'CRESCENT'])}" + (
        f" {rng.randint(1, 9)}" if rng.random() < 0.4 else ""
    )
    unit = f"#{rng.randint(1, 20):02d}-{rng.randint(1, 120):02d}"
    parts = [blk + " " + road, unit]
    if rng.random() < 0.4:
        parts.insert(1, f"{my_words(rng)} {rng.choice(['MALL', 'PLAZA', 'CENTRE', 'POINT'])}")
    parts.append(f"SINGAPORE {rng.randint(10, 82):02d}{digits(rng, 4)}")
    return parts


def wrap_parts(parts: list[str], rng: random.Random, width: int, max_lines: int = 4) -> list[str]:
    """Group address parts into printed lines; a comma ends a part, the last line may end in '.'."""
    lines, cur = [], ""
    sep = rng.choice([", ", ", ", ","])
    for p in parts:
        if cur and (len(cur) + len(p) + 2 > width) and len(lines) < max_lines - 1:
            lines.append(cur + ",")
            cur = p
        else:
            cur = f"{cur}{sep}{p}" if cur else p
    lines.append(cur + ("." if rng.random() < 0.3 and not cur.endswith(".") else ""))
    return lines


MY_DATE_FORMATS = [
    ("%d/%m/%Y", 30),
    ("%d-%m-%y", 8),
    ("%d/%m/%y", 10),
    ("%d-%m-%Y", 10),
    ("%Y-%m-%d", 5),
    ("%d %b %Y", 6),
    ("%d.%m.%Y", 4),
    ("%b {d}, %Y", 3),
    ("%d-%b-%Y", 4),
    ("%d %B %Y", 2),
    ("%Y/%m/%d", 3),
    ("%d-%b-%y", 2),
]


def fmt_date(d: dt.date, fmt: str, upper: bool = False) -> str:
    s = d.strftime(fmt.replace("{d}", str(d.day)))
    return s.upper() if upper else s


def my_date(rng: random.Random, d: dt.date) -> str:
    fmt = rng.choices([f for f, _ in MY_DATE_FORMATS], weights=[w for _, w in MY_DATE_FORMATS])[0]
    return fmt_date(d, fmt, upper="%b" in fmt and rng.random() < 0.6)


def my_time(rng: random.Random, t: dt.time) -> str:
    s = t.strftime(rng.choice(["%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p"]))
    return s.lower() if rng.random() < 0.1 else s


# ---------------------------------------------------------------- weighted document-type mix
def parse_weights(spec: str | None) -> dict[str, int]:
    """'my_receipt=3,vat_special_invoice=2' -> {'my_receipt': 3, ...}; unnamed types weigh 1."""
    out: dict[str, int] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, _, w = part.partition("=")
        try:
            val = int(w)
        except ValueError:
            raise ValueError(
                f"weight for {name.strip()!r} must be a whole number >= 0, got {w.strip()!r}"
            ) from None
        if val < 0:
            raise ValueError(f"weight for {name.strip()!r} must be >= 0")
        out[name.strip()] = val
    return out


def weighted_types(types, weights: dict[str, int] | None) -> tuple[str, ...]:
    """Each type repeated by its weight (divided by the common factor): the round-robin of
    `build.doc_type_for` over this tuple gives a deterministic, exactly proportional mix."""
    import math

    types = list(types)
    w = {t: (weights or {}).get(t, 1) for t in types}
    kept = [t for t in types if w[t] > 0]
    if not kept:
        raise ValueError("every selected document type has weight 0")
    g = 0
    for t in kept:
        g = math.gcd(g, w[t])
    return tuple(t for t in kept for _ in range(w[t] // g))


def doc_type_for_weighted(index: int, seed: int, types, weights: dict[str, int] | None = None) -> str:
    """`build.doc_type_for` over the weighted expansion: per-seed shuffled round-robin."""
    order = list(weighted_types(types, weights))
    random.Random(f"types:{seed}").shuffle(order)
    return order[index % len(order)]
