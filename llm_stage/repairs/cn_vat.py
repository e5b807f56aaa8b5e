"""Repairs for Chinese VAT invoices (增值税发票): an invoice party's fields read from its labelled
boxes, and a piece of the invoice's title that is no organisation's name.

Under the `auto` preset they run only on a page that prints the 购买方/销售方 form (`looks_vat_invoice`).
"""

from __future__ import annotations

import re
import unicodedata

import regex

from ..field_roles import field_spec

__all__ = ["complete_party_fields", "drop_title_pieces", "looks_vat_invoice", "party_box_value"]

_WS = re.compile(r"\s+")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")

# ------------------------------------------------------------------- a party's labelled boxes
# A Chinese VAT invoice prints two parties in the same four labelled boxes: 购买方 (buyer) above the
# goods table and 销售方 (seller) below it, each with 名称 / 纳税人识别号 / 地址、电话 / 开户行及账号.
# A small model asked for 购买方地址电话 copies the seller's row, or a piece of the title for
# 购买方名称. For a field that names a party and one of those boxes, the answer is what that party's
# section prints after the label (up to the next gap between boxes): a value that is not found
# there gives way to it and a null is filled from it; a value found after the label stays. A
# label with nothing after it (the next box is another label), or only the cipher block beside it
# (密码区: "<+*/" runs), settles nothing, and neither does a layout with both parties on one row.
_BUYER = regex.compile(r"购买方|购货单位|购方|买方")
_SELLER = regex.compile(r"销售方|销货单位|销方|卖方")
_PARTY_BOXES = {
    "名称": regex.compile(r"名\s*称\s*[:：]"),
    "纳税人识别号": regex.compile(r"(?:纳税人)?识\s*别\s*号\s*[:：]"),
    "地址电话": regex.compile(r"地\s*址\s*[、,，]?\s*电\s*话\s*[:：]"),
    "开户行及账号": regex.compile(r"开\s*户\s*行\s*及\s*账\s*号\s*[:：]"),
}
_BOX_NAMES = {
    "名称": "名称",
    "纳税人识别号": "纳税人识别号",
    "识别号": "纳税人识别号",
    "税号": "纳税人识别号",
    "地址电话": "地址电话",
    "地址、电话": "地址电话",
    "开户行及账号": "开户行及账号",
}
_CIPHER = regex.compile(r"[<>*]")
_CIPHER_LABEL = regex.compile(r"\s+(?:密码?区?|码|区)$")  # the 密码区 label printed beside the box
_TABLE_HEAD = regex.compile(r"货物或应税劳务|服务名称|规格型号|价税合计")


def _party_box(name: str) -> tuple[str, str] | None:
    """("buyer"|"seller", box) for a field such as 购买方地址电话 or 销售方名称, else None."""
    n = _WS.sub("", unicodedata.normalize("NFKC", str(name)))
    party = "buyer" if _BUYER.search(n) else "seller" if _SELLER.search(n) else None
    if party is None:
        return None
    rest = _BUYER.sub("", _SELLER.sub("", n))
    box = _BOX_NAMES.get(rest)
    return (party, box) if box else None


def _party_sections(rows: list[str]) -> dict[str, tuple[int, int]]:
    """Row ranges [start, end) of the buyer and seller sections of an invoice, where printed."""
    out: dict[str, tuple[int, int]] = {}
    if any(_BUYER.search(r) and _SELLER.search(r) for r in rows):
        return out  # the parties side by side (全电发票): rows mix both, no section is one party's
    buyer = next((i for i, r in enumerate(rows) if _BUYER.search(r)), None)
    if buyer is not None:
        seller = next((i for i in range(buyer + 1, len(rows)) if _SELLER.search(rows[i])), None)
        table = next((i for i in range(buyer + 1, len(rows)) if _TABLE_HEAD.search(rows[i])), None)
        ends = [e for e in (seller, table) if e is not None]
        out["buyer"] = (buyer, min(ends) if ends else len(rows))
        if seller is not None:
            out["seller"] = (seller, len(rows))
    return out


def party_box_value(rows: list[str], party: str, box: str) -> tuple[str, str] | None:
    """(the box's value, the rest of its row after the label) in that party's section, or None."""
    span = _party_sections(rows).get(party)
    if span is None:
        return None
    label = _PARTY_BOXES[box]
    for i in range(*span):
        m = label.search(rows[i])
        if not m:
            continue
        after = rows[i][m.end() :].strip()
        value = regex.split(r"\s{2,}", after, maxsplit=1)[0].strip() if after else ""
        value = _CIPHER_LABEL.sub("", value)
        if len(value) < 2 or _CIPHER.search(value) or value.startswith(("密", "码", "区")) or "：" in value:
            return None
        return value, after
    return None


def complete_party_fields(values: dict, text: str) -> dict:
    """`values` with each party-box field taken from that party's labelled box (see above)."""
    wanted = {k: _party_box(k) for k in values}
    if not any(wanted.values()):
        return values
    rows = text.split("\n")
    out = dict(values)
    for k, where in wanted.items():
        if where is None or (values[k] is not None and not isinstance(values[k], str)):
            continue
        found = party_box_value(rows, *where)
        if found is None:
            continue
        box, after = found
        v = _WS.sub("", values[k] or "")
        if not v or v not in _WS.sub("", after):
            out[k] = box
    return out


# A Chinese organisation name ends in its kind (…公司, …厂, …银行); a value copied from the row that
# carries the document's title (北京增值税普通发票) without such an ending is a piece of the title, not
# a name: no answer is better than that one.
_CJK_ORG_END = regex.compile(
    r"(?:公司|厂|店|行|部|中心|院|局|所|社|会|馆|处|站|队|集团|室|场|园|校|庄|坊|城|楼)\s*$"
)


def _is_title_piece(rows: list[str], value: str) -> bool:
    v = _WS.sub("", value)
    if _CJK_ORG_END.search(v):
        return False
    return any(v in _WS.sub("", r) and "发票" in r for r in rows) or "发票" in v


def drop_title_pieces(values: dict, text: str) -> dict:
    """`values` with a Chinese organisation name that is only a piece of the title made null."""
    rows = text.split("\n")
    out = dict(values)
    for k, v in values.items():
        if (
            field_spec(k).role == "organisation"
            and isinstance(v, str)
            and _CJK.search(v)
            and _is_title_piece(rows, v)
        ):
            out[k] = None
    return out


def looks_vat_invoice(text: str) -> bool:
    """Does the page print a Chinese invoice's party form (购买方 and 销售方, or a 发票 with its
    code, date or a taxpayer ID)?"""
    return bool(
        (_BUYER.search(text) and _SELLER.search(text))
        or ("发票" in text and regex.search(r"纳税人识别号|发票代码|开票日期", text))
    )
