"""Baselines run by the same harness as the pipeline.

`regex`: find a field's printed label on the OCR rows (the field name itself or a known alias,
Chinese, English, German, French, Dutch, Spanish, Italian or Japanese) and take the value to its
right, or on the next row; a few field kinds (dates, amounts, rates, numbers, company, address) get
a shape check. Amounts are read with a decimal point or comma and each locale's thousands
separators (1,234.56 / 1.234,56 / 1 234,56), dates in the local formats (14.03.2024, 6 décembre
2026). A field asked by another name is read by the aliases of what it asks (`field_spec`'s role:
a gross total, a net amount, the tax, an invoice number). The LLM has to beat it.

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
        "total due",
        "balance due",
        "total to pay",
        # German, French, Dutch, Spanish, Italian, Japanese receipts' and invoices' totals
        "zu zahlen",
        "gesamtbetrag",
        "rechnungsbetrag",
        "endbetrag",
        "bruttobetrag",
        "gesamtsumme",
        "re:(?<!zwischen)summe(?!netto|mwst|ust)",
        "total ttc",
        "montant ttc",
        "net à payer",
        "total à payer",
        "te betalen",
        "re:(?<!sub)totaal(?!excl)",
        "re:(?<!sub)totale(?!imponibile|iva)",
        "re:(?<!base)importe(?!base)",
        "re:(?<!sub)total(?!ht|excl|hors|netto)",
        "total",
        "合计",
        "合計",
        "総合計",
        "总计",
    ],
    "subtotal": [
        "subtotal",
        "sub total",
        "total excl",
        "net total",
        "net amount",
        "nettobetrag",
        "summe netto",
        "gesamt netto",
        "zwischensumme",
        "netto",
        "total ht",
        "montant ht",
        "sous-total",
        "total hors taxes",
        "subtotaal",
        "totaal excl",
        "netto bedrag",
        "base imponible",
        "imponibile",
        "小計",
    ],
    "tax": [
        "mwst",
        "ust",
        "umsatzsteuer",
        "mehrwertsteuer",
        "tva",
        "btw",
        "cuota iva",
        "iva",
        "vat",
        "gst",
        "tax",
        "消費税",
        "税额",
    ],
    "date": ["date", "datum", "fecha", "日期", "日付"],
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
        "invoice #",
        "rechnungsnummer",
        "rechnungs-nr",
        "rechnungsnr",
        "rechnung nr",
        "numéro de facture",
        "n° de facture",
        "n° facture",
        "facture n°",
        "factuurnummer",
        "factuurnr",
        "factuur nr",
        "número de factura",
        "fattura n",
        "no",
    ],
}
# A field asked by another name reads the aliases of what it asks, by its role
_ROLE_ALIASES = {"gross": "total", "net": "subtotal", "tax": "tax"}
_INVOICE_NO = re.compile(r"(?i)invoice|receipt|bill|rechnung|factu|fattura|^no\b|^nr\b|^n°")

# month names of German, French, Dutch, Spanish and Italian dates ("6. Dezember 2026")
_MONTHS = (
    "januar|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember|janvier|février|fevrier|mars|avril|juin|"
    "juillet|août|aout|septembre|octobre|novembre|décembre|decembre|januari|februari|maart|mei|augustus|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|gennaio|"
    "febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
)
_DATE = re.compile(
    r"\d{4}\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*日?"
    r"|\b\d{1,2}([\-/.])\d{1,2}\1(?:\d{4}|\d{2})\b"
    r"|\b\d{1,2}[\s\-]*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[\s\-,]*\d{2,4}\b"
    rf"|\b\d{{1,2}}\.?\s*(?:de\s+)?(?:{_MONTHS})\s*(?:de\s+)?\d{{4}}\b",
    re.IGNORECASE,
)
# An amount: a decimal point with comma thousands (1,234.56), a decimal comma with point or space
# thousands (1.234,56 / 1 234,56), or bare (12.50 / 12,50); not a part of a date or a longer number;
# or yen without decimals
_AMOUNT = re.compile(
    r"[￥¥$₹]?\s*-?(?<![\d.,])(?<!\d[.,])"
    r"(?:\d{1,3}(?:,\d{3})+\.\d{2}|\d{1,3}(?:\.\d{3})+,\d{2}|\d{1,3}(?:[ \u00a0\u202f]\d{3})+,\d{2}|\d+[.,]\d{2})"
    r"(?![.,]?\d)"
    r"|[￥¥]\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?![.,]?\d)"  # yen print no decimals: ¥288, ¥1,280
)
_RATE = re.compile(r"\d{1,2}(?:[.,]\d{1,2})?\s*%")
# an identifier: six or more characters with a digit among them (not the next label's word)
_NUMBER = re.compile(r"(?=[A-Z\-/.]*\d)[A-Z0-9][A-Z0-9\-/.]{4,}[A-Z0-9]", re.IGNORECASE)
_SEP = re.compile(r"^[\s:：;；.,，)）(（\-]+")
_ADDRESS_STOP = re.compile(
    r"(?i)\b(tel|fax|gst|phone|date|invoice|receipt|cashier|document|doc no|bill|table|no\.?\s*:)\b|电话|发票"
)
_REG_NO = re.compile(r"(?:\s*\(?\b[0-9]{4,}[\s-]*[A-Z]?\b\)?(?:\s*\([A-Z0-9]+\))?)+\s*$")
# European companies' legal forms ("Bäckerei Schmidt GmbH", "Durand SARL", "Jansen B.V.")
_LEGAL_FORMS = r"\b(gmbh|ag|ohg|e\.k\.|sarl|sas|sasu|eurl|s\.a\.|b\.v\.|bv|n\.v\.|v\.o\.f\.|srl|s\.r\.l\.|s\.p\.a\.|s\.l\.|ltd|limited|plc)(?=\W|$)"
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


# a label right after these is part of another row's name ("Total excl. VAT", "Subtotaal": compact
# text, spaces removed)
_QUALIFIERS = (
    "excl.",
    "excl",
    "incl.",
    "incl",
    "inkl.",
    "inkl",
    "exkl.",
    "exkl",
    "hors",
    "ohne",
    "zonder",
    "sub",
    "sub-",
    "zwischen",
)

# ... or before these ("Totaal excl. BTW", "Total HT")
_AFTER = ("excl", "exkl", "ohne", "hors", "zonder", "ht", "netto")


def _label_positions(row: str, label: str, not_net: bool = False) -> list[int]:
    """Offsets in `row` just after each occurrence of `label`.

    Labels are matched on the folded row with spaces removed (OCR prints 名  称), as plain text or,
    when written `re:...`, as a regex; short ASCII labels must stand as words. A label inside a
    longer name is skipped ("Subtotal", "Total excl. VAT"; with `not_net`, for a gross total or the
    tax, also "Totaal excl. BTW", "Total HT").
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
        if compact[: m.start()].endswith(_QUALIFIERS) or (not_net and compact[m.end() :].startswith(_AFTER)):
            continue  # "Total excl. VAT", "Subtotaal", "Totaal excl. BTW": not the tax, not the total
        if short:
            before = compact[m.start() - 1] if m.start() else " "
            after = compact[m.end()] if m.end() < len(compact) else " "
            # word boundaries on the spaced row: the label must not be glued to letters
            raw_before = row[keep[m.start()] - 1] if keep[m.start()] else " "
            if (before.isalpha() and not raw_before.isspace()) or after.isalpha():
                continue
        out.append(keep[m.end() - 1] + 1)
    return out


def _by_label(
    rows: list[str], labels: list[str], kind: str, pick: str = "last", not_net: bool = False
) -> str | None:
    """The value right of the first label found (labels in order, rows top down), or on the row
    under it. An amount's label is first looked for with its value on its own row, since an items
    table's header (Amount, MwSt., Total HT) stands over a row of amounts that are not the total."""
    passes = (False, True) if kind == "amount" else (True,)
    for below in passes:
        for label in labels:
            for i, row in enumerate(rows):
                for end in _label_positions(row, label, not_net):
                    right = _SEP.sub("", row[end:])
                    v = _shape(kind, right, pick)
                    if v is None and below and i + 1 < len(rows):
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
                r"(?i)\b(sdn|bhd|s/b|enterprise|trading|restaurant|mart|store|company|co\.)\b|公司|"
                + _LEGAL_FORMS,
                cell,
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


def _aliases(name: str, kind: str) -> list[str]:
    """The printed labels a field is looked for by, beside its own name: its aliases, or those of
    what its role says it asks (a gross total, a net amount, the tax, an invoice number)."""
    own = ALIASES.get(name, ALIASES.get(name.casefold()))
    if own is not None:
        return own
    role = field_spec(name).amount_role
    if kind == "amount" and role in _ROLE_ALIASES:
        return ALIASES[_ROLE_ALIASES[role]]
    if kind == "number" and _INVOICE_NO.search(name.strip()):
        return ALIASES["invoice number"]
    if kind == "date":
        return ALIASES["date"]
    return []


def regex_extract(ocr: OcrResult, fields: list[str]) -> dict[str, str | None]:
    """The rule baseline: {field: value or None} for the requested fields."""
    rows = ocr_rows(ocr)
    out: dict[str, str | None] = {}
    company = _company(rows)
    for name in fields:
        kind = field_kind(name)
        aliases = _aliases(name, kind)
        # a name among its own aliases is tried in its place there ("total" after "grand total")
        labels = aliases if name.casefold() in aliases else [name, *aliases]
        if kind == "company":
            out[name] = company
            continue
        if kind == "address" and name.isascii():
            out[name] = _address(rows, company)
            continue
        # On a totals row the amount comes first and the tax last (合计 ￥2987.18 ￥507.82).
        pick = "first" if "金额" in name or field_spec(name).amount_role == "net" else "last"
        not_net = field_spec(name).amount_role in ("gross", "tax")  # skip "Totaal excl. BTW" rows
        v = _by_label(rows, labels, kind, pick, not_net)
        if v is None and kind == "date":  # receipts often print the date without a label
            m = next((m for r in rows if (m := _DATE.search(r))), None)
            v = m.group(0).strip() if m else None
        out[name] = v
    return out
