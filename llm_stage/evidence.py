"""Absent means null: a value is kept only when the page shows evidence for its field.

Some fields are always printed with a label or in a shape of their own: an email has an `@`, a
phone number stands beside "Tel"/"电话", an invoice number beside "Invoice"/"发票". When the page
holds no such label (or the value lacks the shape), the document does not print the field and a
span the model picked elsewhere (a date as the phone, the address as the email) is not an answer.
Fields of other kinds (company, address, total, free-text names) are left to the model: they are
often printed without a label.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

_GENERIC_EN = {"number", "no", "nr", "num", "id", "code", "the", "of", "reference", "ref", "nummer", "numéro"}
_GENERIC_CJK = ("识别号", "号码", "编号", "代码", "账号", "帐号", "号", "码")

# words a label may use for a field's core word (any of them on the page is evidence)
SYNONYMS = {
    "invoice": ("invoice", "inv", "rechnung", "facture", "factura", "fattura", "发票", "請求書"),
    "receipt": ("receipt", "rcpt", "quittung", "beleg", "reçu", "收据", "小票", "レシート"),
    "order": ("order", "po", "bestell", "commande", "pedido", "订单", "注文"),
    "customer": ("customer", "cust", "client", "kunde", "buyer", "bill to", "客户", "购买方", "顾客"),
    "account": ("account", "acct", "a/c", "konto", "compte", "账号", "帐号", "账户"),
    "tax": ("tax", "gst", "vat", "tin", "ust", "mwst", "tva", "税号", "纳税人识别号"),
    "gst": ("gst", "sst", "tax", "vat"),
    "vat": ("vat", "ust", "mwst", "tva", "iva", "gst", "tax"),
    "due": ("due", "payable by", "fällig", "échéance", "vencimiento", "到期", "截止"),
    "member": ("member", "membership", "loyalty", "会员"),
    "table": ("table", "tbl", "tisch", "桌"),
    "cashier": ("cashier", "kasse", "caissier", "收银"),
    "transaction": ("transaction", "trans", "txn", "交易"),
    "registration": ("registration", "reg", "co.", "company no", "注册"),
}


@dataclass(frozen=True)
class Evidence:
    """A kind of field that needs evidence: which names ask for it, the labels one of which the page
    prints when it holds such a field (None: the shape alone decides), the shape a value has."""

    kind: str
    names: regex.Pattern
    labels: regex.Pattern | None
    shape: regex.Pattern | None = None
    not_shape: regex.Pattern | None = None


_I = regex.IGNORECASE
KINDS = (
    Evidence(
        "email",
        regex.compile(r"e-?mail|邮箱|邮件|courriel|メール", _I),
        None,
        regex.compile(r"[\w.+-]+\s?@\s?[\w-]+(?:\.[\w-]+)+"),
    ),
    Evidence(
        "website",
        regex.compile(r"web\s?site|\burl\b|homepage|网址|网站|ウェブ", _I),
        None,
        regex.compile(
            r"(?i)(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|de|fr|uk|my|sg|cn|jp|in|io|co)\b"
        ),
    ),
    Evidence(
        "iban",
        regex.compile(r"\biban\b", _I),
        None,
        regex.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}"),
    ),
    Evidence(  # a fax number needs a fax label: a page with only a phone label prints no fax number
        "fax",
        regex.compile(r"\bfax\b|telefax|传真|télécopie|ファクス|ＦＡＸ", _I),
        regex.compile(r"(?i)fax|telefax|传真|télécopie|ファクス"),
        regex.compile(r"^[^\d]{0,12}\+?[\d\s()./-]{6,24}$"),
        regex.compile(r"^\s*\d{1,4}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{2,4}\s*$"),  # a date
    ),
    Evidence(
        "phone",
        regex.compile(r"phone|\btel\b|telephone|mobile|电话|手机|telefon|téléphone|電話", _I),
        regex.compile(
            r"(?i)phone|\btel\b|\btel[.:]|\bt\s?[.:]|\bh/?p\b|\bph\b|fax|mobile|telefon|tel[eé]fono|téléphone|tél"
            r"|\btlf\b|\btelf\b|\btfno\b|\btfn\b|m[oó]vil|cellulare|\bcell\b|\bhandy\b|\bgsm\b"
            r"|电话|手机|传真|電話|☎|📞"
        ),
        regex.compile(r"^[^\d]{0,12}\+?[\d\s()./-]{6,24}$"),
        regex.compile(r"^\s*\d{1,4}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{2,4}\s*$"),  # a date
    ),
    Evidence(
        "due_date",
        regex.compile(r"\bdue\b|到期|fällig|échéance|vencimiento", _I),
        regex.compile(r"(?i)\bdue\b|payable by|fällig|échéance|vencimiento|到期|截止"),
    ),
    Evidence(
        "number",
        regex.compile(
            r"(?i)\b(?:number|no|nr|num|id|code|nummer|numéro|reference|ref)\b|#|号码|编号|代码|识别号|税号|单号|账号|帐号|番号"
        ),
        None,  # the label is the field name's own core word(s), see `label_on_page`
        regex.compile(r"\d"),
    ),
)


# a field that asks for an address (地址电话: address and phone in one box) is the model's to answer
_ADDRESS_NAME = regex.compile(r"(?i)address|\baddr\b|地址|adresse|dirección|indirizzo|住所")


def evidence_for(field: str) -> Evidence | None:
    """The kind of evidence `field` needs, or None when the model alone decides."""
    from .field_roles import field_spec

    role = field_spec(field).role
    # amounts ("amount due", "total due") are the model's to answer, like totals
    if _ADDRESS_NAME.search(field) or role == "amount":
        return None
    for ev in KINDS:
        if ev.names.search(field) and not (ev.kind == "due_date" and role not in ("date", "text")):
            return ev
    return None


def _core_words(field: str) -> list[str]:
    words = [w for w in regex.findall(r"[\p{Latin}]+", field.lower()) if w not in _GENERIC_EN and len(w) > 1]
    return words


def _cjk_cores(field: str) -> list[str]:
    """What a CJK name's label must show: the name less a generic suffix (发票号码 -> 发票), or the
    name's last three characters (购买方纳税人识别号 -> 识别号)."""
    han = "".join(regex.findall(r"[\p{Han}\p{Hiragana}\p{Katakana}]+", field))
    if not han:
        return []
    out = []
    for suf in _GENERIC_CJK:
        if han.endswith(suf) and len(han) - len(suf) >= 2:
            out.append(han[: -len(suf)])
            break
    if len(han) >= 3:
        out.append(han[-3:])
    return out or [han]


def label_on_page(field: str, text: str, ev: Evidence | None = None) -> bool:
    """Whether the page prints a label for `field` (its kind's labels, else its name's core word or a
    synonym of it); True when the field needs no label."""
    ev = ev if ev is not None else evidence_for(field)
    if ev is None:
        return True
    if ev.labels is not None:
        return bool(ev.labels.search(text))
    if ev.kind != "number":
        return True
    low = text.lower()
    cores = _core_words(field)
    cjk = _cjk_cores(field)
    if not cores and not cjk:
        return True  # "number", "No." alone: nothing to look for
    for w in cores:
        for s in SYNONYMS.get(w, (w,)):
            if regex.search(rf"(?<![\p{{L}}]){regex.escape(s)}", low):
                return True
    return any(c in text for c in cjk)


def unsupported(field: str, value, text: str) -> str | None:
    """Why `value` cannot be `field`'s answer on a page with `text` ("no_label": the page prints no
    label for the field; "shape": the value does not look like one), or None when it can."""
    if not isinstance(value, str) or not value.strip():
        return None
    ev = evidence_for(field)
    if ev is None:
        return None
    if ev.shape is not None and not ev.shape.search(value):
        return "shape"
    if ev.not_shape is not None and ev.not_shape.search(value):
        return "shape"
    if not label_on_page(field, text, ev):
        return "no_label"
    return None


def drop_unsupported(values: dict, text: str) -> tuple[dict, dict[str, str]]:
    """`values` with every unsupported value made null, and {field: reason} of those."""
    out, why = dict(values), {}
    for k, v in values.items():
        r = unsupported(k, v, text)
        if r is not None:
            out[k], why[k] = None, r
    return out, why
