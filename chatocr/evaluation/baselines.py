"""Baselines run by the same harness as the pipeline.

`regex`: find a field's printed label on the OCR rows (the field name itself or a known alias,
Chinese or English) and take the value to its right, or on the next row; a few field kinds
(dates, amounts, rates, numbers, company, address) get a shape check. The LLM has to beat it.

`naive`: the seed project's pipeline shape (OCR lines joined by spaces in engine order, free
generation without a constraint, no grounding, same model) lives in the runner, since it needs
the backend.
"""

from __future__ import annotations

import re
import unicodedata

from llm_stage.field_roles import field_spec
from ocr_stage import OcrResult

# Printed labels per field, most specific first. Matching is on the width/case-folded row text.
ALIASES: dict[str, list[str]] = {
    "total": [
        "rounded total",
        "round total",
        "grand total",
        "total amount",
        "nett total",
        "net total",
        "total (rm)",
        "total rm",
        "total incl",
        "amount due",
        "total",
        "合计",
        "总计",
    ],
    "date": ["date", "日期"],
    "发票号码": ["发票号码", "no"],
    "开票日期": ["开票日期", "日期", "date"],
    "购买方名称": ["re:^(?:购买方)?名称"],
    "购买方纳税人识别号": ["纳税人识别号", "识别号"],
    "购买方地址电话": ["地址、电话", "地址电话", "地址,电话", "地址"],
    "购买方开户行及账号": ["开户行及账号", "开户行"],
    "合计金额": ["合计金额", "re:(?<!税)合计", "re:^计"],
    "合计税额": ["合计税额", "re:(?<!税)合计", "re:^计"],
    "价税合计": ["(小写)", "小写", "价税合计"],
    "税率": ["税率"],
    "invoice number": [
        "invoice no",
        "invoice number",
        "receipt no",
        "bill no",
        "doc no",
        "document no",
        "no",
    ],
}

_DATE = re.compile(
    r"\d{4}\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*日?"
    r"|\b\d{1,2}([\-/.])\d{1,2}\1(?:\d{4}|\d{2})\b"
    r"|\b\d{1,2}[\s\-]*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[\s\-,]*\d{2,4}\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(r"[￥¥$]?\s*-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{2}\b")
_RATE = re.compile(r"\d{1,2}\s*%")
_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9\-]{5,}", re.IGNORECASE)
_SEP = re.compile(r"^[\s:：;；.,，)）(（\-]+")
_ADDRESS_STOP = re.compile(
    r"(?i)\b(tel|fax|gst|phone|date|invoice|receipt|cashier|document|doc no|bill|table|no\.?\s*:)\b|电话|发票"
)
_REG_NO = re.compile(r"(?:\s*\(?\b[0-9]{4,}[\s-]*[A-Z]?\b\)?(?:\s*\([A-Z0-9]+\))?)+\s*$")
_COMPANY_SKIP = re.compile(r"(?i)^(tax invoice|invoice|receipt|cash bill|official receipt|welcome)\b")


_BASELINE_KIND = {"cn_amount": "amount", "organisation": "company", "items": "text"}


def field_kind(name: str) -> str:
    """The shape the baseline looks for, from the field's role (`llm_stage.field_roles`): date,
    rate, amount, number, address, company or text."""
    role = field_spec(name).role
    kind = _BASELINE_KIND.get(role, role)
    if kind == "company" and re.search(r"[\u3400-\u9fff]", name):
        # 购买方名称 / 销售方名称 sit in a labelled box: read by the label like any text field,
        # not guessed from the top of the page like a receipt's shop name
        return "text"
    return kind


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold()


def ocr_rows(ocr: OcrResult) -> list[str]:
    """Reading-order rows of all pages (rows joined left to right by the OCR stage)."""
    return [r for r in str(ocr.to_text()).split("\n") if r.strip()]


def _shape(kind: str, text: str, pick: str = "last") -> str | None:
    """The part of `text` that has the field's shape, or None."""
    text = text.strip()
    if not text:
        return None
    if kind == "date":
        m = _DATE.search(text)
        return m.group(0).strip() if m else None
    if kind == "amount":
        found = _AMOUNT.findall(text)
        return (found[0] if pick == "first" else found[-1]).strip() if found else None
    if kind == "rate":
        m = _RATE.search(text)
        return m.group(0).replace(" ", "") if m else None
    if kind == "number":
        m = _NUMBER.search(text)
        return m.group(0) if m else None
    # Free text: the first wide-gap cell right of the label.
    cell = re.split(r"\s{2,}", text)[0].strip()
    return cell or None


def _label_positions(row: str, label: str) -> list[int]:
    """Offsets in `row` just after each occurrence of `label`.

    Labels are matched on the folded row with spaces removed (OCR prints 名  称), as plain text or,
    when written `re:...`, as a regex; short ASCII labels must stand as words.
    """
    keep = [i for i, ch in enumerate(row) if not ch.isspace()]
    compact = "".join(_fold(row[i]) if len(_fold(row[i])) == 1 else row[i].casefold() for i in keep)
    if label.startswith("re:"):
        pat = re.compile(label[3:])
        short = False
    else:
        lab = re.sub(r"\s+", "", _fold(label))
        pat = re.compile(re.escape(lab))
        short = lab.isascii() and len(lab) <= 3
    out = []
    for m in pat.finditer(compact):
        if m.end() == m.start():
            continue
        if short:
            before = compact[m.start() - 1] if m.start() else " "
            after = compact[m.end()] if m.end() < len(compact) else " "
            # word boundaries on the spaced row: the label must not be glued to letters
            raw_before = row[keep[m.start()] - 1] if keep[m.start()] else " "
            if (before.isalpha() and not raw_before.isspace()) or after.isalpha():
                continue
        out.append(keep[m.end() - 1] + 1)
    return out


def _by_label(rows: list[str], labels: list[str], kind: str, pick: str = "last") -> str | None:
    for label in labels:
        for i, row in enumerate(rows):
            for end in _label_positions(row, label):
                right = _SEP.sub("", row[end:])
                v = _shape(kind, right, pick)
                if v is None and i + 1 < len(rows):
                    v = _shape(kind, rows[i + 1], pick)
                if v is not None:
                    return v
    return None


def _company(rows: list[str]) -> str | None:
    for row in rows[:6]:
        cell = re.split(r"\s{2,}", row.strip())[0]
        letters = sum(ch.isalpha() for ch in cell)
        if letters >= 4 and not _COMPANY_SKIP.match(cell) and not _DATE.search(cell):
            if re.search(
                r"(?i)\b(sdn|bhd|s/b|enterprise|trading|restaurant|mart|store|company|co\.)\b|公司", cell
            ):
                # drop a trailing registration number: "AEON CO. (M) BHD (126926-H)"
                return _REG_NO.sub("", cell).strip() or cell
    for row in rows[:3]:  # no company-looking row: the first line with letters
        cell = re.split(r"\s{2,}", row.strip())[0]
        if sum(ch.isalpha() for ch in cell) >= 4:
            return cell
    return None


def _address(rows: list[str], company: str | None) -> str | None:
    start = 0
    if company:
        for i, row in enumerate(rows):
            if company in row:
                start = i + 1
                break
    parts: list[str] = []
    for row in rows[start : start + 8]:
        if _ADDRESS_STOP.search(row):
            if parts:
                break
            continue
        if re.fullmatch(r"[\s\dA-Z\-()]{4,14}", row.strip()) and not parts:
            continue  # a registration number such as 789417-W under the company name
        parts.append(row.strip())
        if len(parts) >= 4:
            break
    return " ".join(parts) or None


def regex_extract(ocr: OcrResult, fields: list[str]) -> dict[str, str | None]:
    """The rule baseline: {field: value or None} for the requested fields."""
    rows = ocr_rows(ocr)
    out: dict[str, str | None] = {}
    company = _company(rows)
    for name in fields:
        kind = field_kind(name)
        labels = [name, *ALIASES.get(name, ALIASES.get(name.casefold(), []))]
        if kind == "company":
            out[name] = company
            continue
        if kind == "address" and name.isascii():
            out[name] = _address(rows, company)
            continue
        # On a totals row the amount comes first and the tax last (合计 ￥2987.18 ￥507.82).
        pick = "first" if "金额" in name or "subtotal" in name.casefold() else "last"
        v = _by_label(rows, labels, kind, pick)
        if v is None and kind == "date":  # receipts often print the date without a label
            m = next((m for r in rows if (m := _DATE.search(r))), None)
            v = m.group(0).strip() if m else None
        out[name] = v
    return out
