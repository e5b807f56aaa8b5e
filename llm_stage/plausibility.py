"""Language-free plausibility checks of an answer: they flag a value for review with a reason and
never change it.

- a date decades away from today, or years away from every other date printed on the page;
- a tax rate that is none of the rates the page prints;
- an amount above the answer's own gross total (what the customer paid or got back aside), or a
  net, tax and gross that do not add up.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from .field_roles import field_spec, name_words
from .normalize import find_dates, normalize_date
from .repairs.general import ROUNDING_SLACK, decimal_of

__all__ = ["MAX_YEARS_FROM_TODAY", "MAX_YEARS_FROM_PAGE", "check_answer"]

MAX_YEARS_FROM_TODAY = 30  # a receipt or invoice from before that, or dated ahead, is unusual
MAX_YEARS_FROM_PAGE = 2  # a document's dates (issued, due, printed) sit close together
_RATE = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*[%％]")
_NOT_BELOW_TOTAL = {"cash", "paid", "tendered", "change", "balance", "payment", "received"}


def _years(a: str, b: str) -> float:
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days) / 365.25


def check_answer(values: dict, text: str, today: date | None = None) -> dict[str, list[str]]:
    """{field: reasons} for the values of an answer that fail a check (see above); `text` is the page."""
    today = today or date.today()
    out: dict[str, list[str]] = {}
    specs = {k: field_spec(k) for k in values}
    page_dates = find_dates(text)
    printed_rates = {Decimal(m.replace(",", ".")) for m in _RATE.findall(text)}
    gross = [decimal_of(k, v) for k, v in values.items() if specs[k].amount_role == "gross"]
    gross = [g for g in gross if g is not None]
    for k, v in values.items():
        if not isinstance(v, str):
            continue
        role = specs[k].role
        if role == "date" and (iso := normalize_date(v)):
            if _years(iso, today.isoformat()) > MAX_YEARS_FROM_TODAY or iso > f"{today.year + 1}":
                out.setdefault(k, []).append("date_far_from_today")
            others = [d for d in page_dates if d != iso]
            if others and min(_years(iso, d) for d in others) > MAX_YEARS_FROM_PAGE:
                out.setdefault(k, []).append("date_far_from_page")
        elif role == "rate" and (m := _RATE.search(v)) and printed_rates:
            if Decimal(m.group(1).replace(",", ".")) not in printed_rates:
                out.setdefault(k, []).append("rate_not_printed")
        elif role == "amount" and specs[k].amount_role != "gross" and gross:
            a = decimal_of(k, v)
            if a is not None and a > max(gross) and not set(name_words(k)) & _NOT_BELOW_TOTAL:
                out.setdefault(k, []).append("amount_above_total")
    one = {}
    for k, s in specs.items():
        if s.amount_role:
            one.setdefault(s.amount_role, []).append(k)
    if all(len(one.get(r, ())) == 1 for r in ("gross", "net", "tax")):
        g, n, t = (decimal_of(one[r][0], values[one[r][0]]) for r in ("gross", "net", "tax"))
        if None not in (g, n, t) and abs(g - (n + t)) > ROUNDING_SLACK:
            for r in ("gross", "net", "tax"):
                out.setdefault(one[r][0], []).append("amounts_do_not_add_up")
    return out
