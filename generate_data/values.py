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


def fmt_money(x: Decimal, prefix: str = "", thousands: bool = False) -> str:
    s = f"{money(x):,.2f}" if thousands else f"{money(x):.2f}"
    return prefix + s


def org_code_check(body: str) -> str:
    total = sum(_val36(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _val36(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def uscc_check(body17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    org = code[8:17]
    return uscc_check(code[:17]) == code[17] and org_code_check(org[:8]) == org[8]


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


def amount_split(total_gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """Net and tax of a gross amount at `rate`, rounded to cents so that net + tax == gross."""
    net = money(total_gross / (1 + rate))
    return net, money(total_gross - net)


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
    "中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "招商银行", "中信银行",
    "兴业银行", "上海浦东发展银行", "中国民生银行", "平安银行", "北京银行",
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
    "人民路", "中山路", "解放路", "建设路", "和平路", "长江路", "黄河路", "科技园南路", "高新大道", "滨江大道",
    "南京西路", "淮海中路", "深南大道", "天河路", "文一西路", "金鸡湖大道", "天府大道", "珞喻路", "香港中路",
    "长安街", "中关村大街", "世纪大道", "民治大道", "学府路", "东风路", "新华路", "工业园路",
]


def cn_street_address(rng: random.Random, city: str) -> str:
    addr = f"{city}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
    r = rng.random()
    if r < 0.3:
        addr += f"{rng.randint(1, 30)}层{rng.randint(1, 20):02d}室"
    elif r < 0.5:
        addr += f"{rng.choice('ABCDE')}座{rng.randint(101, 2408)}"
    return addr
