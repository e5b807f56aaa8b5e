"""What a field is for, decided once from its name (any language): the one declaration that
normalisation, decode-time shapes, repairs, parsing and the regex baseline all read.

`field_spec("价税合计")` is `FieldSpec(role="amount", amount_role="gross")`; `field_spec("company")`
is an organisation, `field_spec("line items")` a list of items. Every word list lives here, so two
parts of the pipeline can no longer disagree about what a field asks for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["ROLES", "FieldSpec", "field_role", "field_spec", "name_words"]

# date; amount (cn_amount: written in Chinese uppercase numerals); rate (a percentage); number (an
# identifier: invoice no., tax id, phone); address (postal); organisation (a company's name); items
# (a list of line items); text (anything else)
ROLES = ("date", "amount", "cn_amount", "rate", "number", "address", "organisation", "items", "text")


@dataclass(frozen=True)
class FieldSpec:
    """A field's name with its role, and for an amount which part of the bill it is (gross total,
    net amount before tax, the tax) when the name says so."""

    name: str
    role: str
    amount_role: str | None = None

    @property
    def kind(self) -> str:
        """The normaliser its values get: "date", "cn_amount", "amount" or "text"."""
        return self.role if self.role in ("date", "amount", "cn_amount") else "text"


def name_words(name: str) -> list[str]:
    """The Latin words of a field name, casefolded, camelCase split ("totalAmount" -> total, amount)."""
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return re.findall(r"[a-z]+", name.casefold())


# ------------------------------------------------------------------------------- word lists
_ITEMS = re.compile(r"line[\s_-]*items?|^items$|明细|清单|货物或应税劳务|商品列表", re.IGNORECASE)
# "Positionen", "Artikel" (German), "articles", "lignes", "produits" (French), "artículos" (Spanish)
_ITEM_WORDS = {"items", "lines", "products", "goods", "positionen", "posten", "artikel", "articles", "articulos",
               "lignes", "produits", "produkte"}  # fmt: skip
# a name with these words counts or sums the items ("number of items", "items total", "Anzahl Artikel")
_NOT_ITEMS = {"count", "number", "no", "tax", "total", "sum", "qty", "quantity", "amount", "anzahl", "nombre",
              "numero"}  # fmt: skip
_CN_AMOUNT = ("大写",)
_DATE_CJK = ("日期", "时间", "日付", "購入日", "買上日")  # Japanese 日付 beside Chinese 日期
_DATE_WORDS = {"date", "dated", "issued"}
# what makes a name no amount; of these, 率/rate/percent name a rate and 号/码/id/no a number
_NOT_AMOUNT_CJK = ("号", "码", "率", "名称", "数量")
_NOT_AMOUNT = {
    "id",
    "no",
    "number",
    "num",
    "code",
    "rate",
    "percent",
    "name",
    "qty",
    "quantity",
    "count",
    "date",
}
_RATE_CJK = ("率",)
_RATE_WORDS = {"rate", "percent", "percentage"}
_NUMBER_CJK = ("号码", "识别号", "编号", "代码", "税号", "单号", "工号", "号")
_NUMBER_WORDS = {"id", "no", "number", "num", "code", "tin", "iban"}
_NUMBER_CJK_EXCEPT = ("账号",)  # 开户行及账号: a bank's name and an account, read as text
_AMOUNT_CJK = ("价税合计", "金额", "合计", "税额", "总计", "小计", "总额", "总价", "单价", "价格", "价款", "费用",
               "应付", "实付", "找零")  # fmt: skip
_AMOUNT_WORDS = {"total", "subtotal", "amount", "amt", "tax", "gst", "vat", "price", "cost", "sum", "balance",
                 "due", "paid", "cash", "change", "rounding", "discount", "fee", "charge", "net", "gross"}  # fmt: skip
_AMOUNT_JA = ("合計", "金額", "消費税", "お支払", "お預", "お釣")
_ADDRESS_WORDS = {"address", "addr", "location"}
_ADDRESS_CJK = ("地址",)
_NOT_ADDRESS = {"email", "mail", "web", "ip", "url", "mac", "wallet"}
_ORG_WORDS = {"company", "vendor", "store", "shop", "merchant", "seller", "buyer", "supplier", "business",
              "retailer", "restaurant", "issuer", "payee", "organisation", "organization", "firm", "brand"}  # fmt: skip
_ORG_CJK = ("公司", "商户", "商家", "商店", "店名", "门店", "企业", "单位名称", "收款单位", "付款单位", "开票单位",
            "销售方", "购买方", "收款方", "付款方")  # fmt: skip
_NOT_ORG_CJK = ("号", "码", "地址", "电话", "账", "行", "日期", "金额", "税", "货物", "商品", "项目", "服务")
_NOT_ORG = {"address", "phone", "tel", "number", "no", "id", "date", "total", "amount", "tax", "gst", "code",
            "bank", "account", "email", "website", "url", "vat", "tin", "registration", "reg", "license",
            "licence", "iban", "term", "period", "scope", "type", "hours", "time", "status", "category",
            "capital"}  # fmt: skip
# which part of a bill an amount is
_GROSS_CJK = ("价税合计", "总计", "应付", "实付", "合計", "お支払", "お買上金額")  # 合計: Japanese 合计
_NET_FIRST_CJK = ("税抜",)  # Japanese "before tax": net, even in 税抜合計
_TAX_JA = ("消費税",)
_NET_CJK = ("合计金额", "金额合计", "不含税金额", "小计")
_TAX_CJK = ("合计税额", "税额合计", "税额")
_NOT_GROSS = {"sub", "subtotal", "net", "tax", "gst", "vat", "before", "excl", "change", "cash", "paid",
              "tendered", "rounding", "discount"}  # fmt: skip


# the words of German, French, Dutch, Spanish and Italian names (accents removed: "Fälligkeitsdatum"
# -> falligkeitsdatum); compounds are matched by their ending ("Rechnungsdatum", "Kundennummer")
_DATE_LOCAL = {"echeance", "fecha", "scadenza", "fallig", "falligkeit"}
_DATE_IT = {"acquisto", "emissione", "scontrino", "documento", "fattura"}  # "Data", "Data acquisto"
_DATE_SUFFIX = ("datum",)
_RATE_LOCAL = {"taux", "tarief", "tasa", "aliquota", "porcentaje", "percentuale"}
_RATE_SUFFIX = ("satz",)
_NUMBER_LOCAL = {"nr", "nummer", "numero", "idnr", "siren", "siret", "kvk", "n"}
_NUMBER_SUFFIX = ("nummer", "nr")
_TAX_LOCAL = {"mwst", "ust", "umsatzsteuer", "mehrwertsteuer", "steuer", "steuerbetrag", "tva", "btw", "iva",
              "imposta"}  # fmt: skip
_NET_LOCAL = {"nettobetrag", "netto", "ht", "subtotaal", "zwischensumme", "imponible", "imponibile"}
_GROSS_LOCAL = {"gesamtbetrag", "bruttobetrag", "brutto", "rechnungsbetrag", "endbetrag", "gesamtsumme",
                "summe", "ttc", "totaal", "totaalbedrag", "importe", "totale"}  # fmt: skip
_PAY_LOCAL = {"zahlen", "payer", "betalen", "pagar", "pagare"}  # "Zu zahlen", "Net à payer", "Te betalen"
_AMOUNT_LOCAL = (
    _TAX_LOCAL | _NET_LOCAL | _GROSS_LOCAL | _PAY_LOCAL | {"betrag", "montant", "bedrag", "prix", "importo"}
)
_ADDRESS_LOCAL = {"anschrift", "direccion", "indirizzo"}
_ADDRESS_SUFFIX = ("adresse", "adres")
_ORG_LOCAL = {"verkaufer", "lieferant", "kunde", "kaufer", "rechnungsempfanger", "rechnungssteller", "vendeur",
              "fournisseur", "client", "emetteur", "acheteur", "leverancier", "klant", "koper", "verkoper", "firma",
              "customer", "proveedor", "fornitore", "cliente"}  # fmt: skip
_INCL = {"incl", "inkl", "including", "ttc"}
_EXCL = {"excl", "exkl", "excluding", "hors", "ohne", "zonder", "sin"}  # "Total excl. VAT": the net


def _ends(words: set[str], suffixes: tuple[str, ...]) -> bool:
    return any(w.endswith(s) for w in words for s in suffixes)


def _role(n: str, words: set[str]) -> str:
    if _ITEMS.search(n) or (words & _ITEM_WORDS and not words & _NOT_ITEMS):
        return "items"
    if any(w in n for w in _CN_AMOUNT) or "uppercase" in words:
        return "cn_amount"
    italian_date = "data" in words and (words == {"data"} or words & _DATE_IT)
    if (
        any(w in n for w in _DATE_CJK)
        or words & (_DATE_WORDS | _DATE_LOCAL)
        or _ends(words, _DATE_SUFFIX)
        or italian_date
    ):
        return "date"
    tax_kind = "tipo" in words and words & _TAX_LOCAL  # "Tipo de IVA": the rate
    if (
        any(w in n for w in _RATE_CJK)
        or words & (_RATE_WORDS | _RATE_LOCAL)
        or _ends(words, _RATE_SUFFIX)
        or tax_kind
    ):
        return "rate"
    local_number = bool(words & _NUMBER_LOCAL) or _ends(words, _NUMBER_SUFFIX)
    not_amount = any(w in n for w in _NOT_AMOUNT_CJK) or words & _NOT_AMOUNT or local_number
    amount_cjk = any(w in n for w in _AMOUNT_CJK + _AMOUNT_JA)
    if not not_amount and (amount_cjk or words & (_AMOUNT_WORDS | _AMOUNT_LOCAL)):
        return "amount"
    address = words & (_ADDRESS_WORDS | _ADDRESS_LOCAL) or _ends(words, _ADDRESS_SUFFIX)
    if (address and not words & _NOT_ADDRESS) or any(w in n for w in _ADDRESS_CJK):
        return "address"
    if (words & (_ORG_WORDS | _ORG_LOCAL) and not words & _NOT_ORG and not local_number) or (
        any(w in n for w in _ORG_CJK) and not any(w in n for w in _NOT_ORG_CJK)
    ):
        return "organisation"
    counted = words & {"count", "qty", "quantity"} or {"number", "of"} <= words  # a count, not an ID
    cjk_id = any(w in n for w in _NUMBER_CJK) and not any(w in n for w in _NUMBER_CJK_EXCEPT)
    if not counted and (cjk_id or words & _NUMBER_WORDS or local_number or "#" in n):
        return "number"
    return "text"


def _amount_role(n: str, words: set[str]) -> str | None:
    if any(w in n for w in _NET_FIRST_CJK):
        return "net"
    if any(w in n for w in _TAX_JA):
        return "tax"
    gross_words = {"total", "due", "gross"} | _GROSS_LOCAL
    if any(w in n for w in _GROSS_CJK) or (
        words & gross_words and not words & (_NOT_GROSS | _NET_LOCAL | _TAX_LOCAL)
    ):
        return "gross"
    # "Total incl. VAT", "Totaal incl. BTW", "Zu zahlen", "Net à payer": the gross, whatever else they say
    if words & _PAY_LOCAL or (words & _INCL and words & (gross_words | {"amount", "bedrag", "betrag"})):
        return "gross"
    if words & _EXCL:
        return "net"
    if (
        any(w in n for w in _NET_CJK)
        or words & ({"subtotal", "net"} | _NET_LOCAL)
        or {"before", "tax"} <= words
    ):
        return "net"
    if any(w in n for w in _TAX_CJK) or words & ({"tax", "gst", "vat"} | _TAX_LOCAL):
        return "tax"
    return None


@lru_cache(maxsize=4096)
def field_spec(name: str) -> FieldSpec:
    """The role of the field `name` (see `ROLES`), from its words in any language."""
    n = unicodedata.normalize("NFKC", str(name))
    # the words without their accents ("artículos" -> articulos), the name as written for the rest
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", n) if not unicodedata.combining(ch))
    words = set(name_words(bare))
    if {"mw", "st"} <= words:  # "MwSt" split as camelCase
        words.add("mwst")
    role = _role(n, words)
    return FieldSpec(str(name), role, _amount_role(n, words) if role == "amount" else None)


def field_role(name: str) -> str:
    """`field_spec(name).role`."""
    return field_spec(name).role


def is_items_field(name: str) -> bool:
    """Does the field name ask for a list of line items ("line items", "items", 商品明细)?"""
    return field_spec(name).role == "items"
