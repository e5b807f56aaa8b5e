"""The demo's preset field lists, the chat message that asks for them, and which preset a document
starts with (a Chinese invoice gets the invoice fields, anything else the receipt fields)."""

from __future__ import annotations

PRESETS: dict[str, list[str]] = {
    "增值税发票 VAT invoice": ["发票号码", "开票日期", "价税合计"],
    "增值税发票 (full)": ["发票代码", "发票号码", "开票日期", "购买方名称", "销售方名称", "价税合计"],
    "Receipt": ["company", "date", "address", "total"],
}


def preset_message(fields: list[str]) -> str:
    if all(f.isascii() for f in fields):
        return "extract " + (", ".join(fields[:-1]) + " and " + fields[-1] if len(fields) > 1 else fields[0])
    return "提取" + ("、".join(fields[:-1]) + "和" + fields[-1] if len(fields) > 1 else fields[0])


def default_preset(ocr_text: str) -> str:
    """The preset a document starts with: the VAT invoice's fields when its text says 发票 (invoice),
    else the receipt's."""
    return "增值税发票 VAT invoice" if "发票" in ocr_text else "Receipt"
