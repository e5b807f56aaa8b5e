"""Repairs that read no language: an invoice's or a receipt's amounts must add up.

They look only at the roles of the fields asked (gross total, net amount, tax; see
`field_roles`) and at the numbers printed on the page, so they apply to any document.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import regex

from ..field_roles import field_spec
from ..normalize import canonical_value
from ..shapes import AMOUNT, CURRENCY, ValueRule

__all__ = [
    "ROUNDING_SLACK",
    "amount_companions",
    "amount_roles",
    "decimal_of",
    "order_amounts",
    "reconcile_amounts",
]

# ------------------------------------------------------------------------------ amounts that add up
# An invoice's gross total is its net amount plus its tax (价税合计 = 合计金额 + 合计税额; total =
# subtotal + tax). When a query asks for all three and the model's total breaks that identity by more
# than rounding, while the document prints the sum, the printed sum is the total: the model took a
# neighbouring amount (the tax, the net) for it. When instead the tax (or the net) repeats the
# gross, or the tax repeats the net, that one is wrong, and it becomes the printed gross less the
# other. One value is replaced,
# and only by a span of the document, so the answer stays grounded.
ROUNDING_SLACK = Decimal("0.10")


# ------------------------------------------------------------------------------ companions
# The arithmetic below needs all three amounts. A query that asks the gross alone would then be
# answered without it, and with it when it also asks the net and the tax: the same field, two
# values. So an extraction that decodes fields one by one also decodes the roles a query lacks
# (its "companions", by these names in the script of the query's amount field), runs the repairs
# over them, and answers only the fields asked. A field's value then no longer depends on the
# company it keeps.
COMPANION_NAMES = {
    "zh": {"gross": "价税合计", "net": "合计金额", "tax": "合计税额"},
    "en": {"gross": "total", "net": "subtotal", "tax": "tax"},
}


def amount_roles(keys) -> dict[str, list[str]]:
    """The keys of each amount role (gross, net, tax, …) among `keys`, in their order."""
    roles: dict[str, list[str]] = {}
    for k in keys:
        r = field_spec(k).amount_role
        if r:
            roles.setdefault(r, []).append(k)
    return roles


def amount_companions(keys) -> list[str]:
    """The names of the amount roles (gross, net, tax) that `keys` do not ask while asking another
    of them, in the script of their first amount field (Chinese names after a Chinese one); [] when
    no key has an amount role or all three are asked."""
    from ..types import name_identity

    roles = {k: field_spec(k).amount_role for k in keys}
    first = next((k for k, r in roles.items() if r), None)
    if first is None:
        return []
    names = COMPANION_NAMES["zh" if regex.search(r"\p{Han}", first) else "en"]
    taken = {name_identity(k) for k in keys}
    asked = set(roles.values())
    return [n for r, n in names.items() if r not in asked and name_identity(n) not in taken]


def decimal_of(field: str, value) -> Decimal | None:
    c = canonical_value(field, value) if isinstance(value, str) else None
    try:
        return Decimal(c) if c is not None else None
    except InvalidOperation:
        return None


def _swapped(values: dict, a: str, b: str) -> dict:
    return {**values, a: values[b], b: values[a]}


def order_amounts(values: dict, roles: dict[str, list[str]]) -> dict:
    """`values` with two amounts the model put in each other's slots swapped back: a tax above the net
    (no VAT or GST rate reaches 100%), or, when all three are asked and do not add up, the gross and
    the net or the tax exchanged when that makes net + tax = gross. A discount can put a receipt's
    subtotal above its total, so net above gross alone proves nothing."""
    one = {r: ks[0] for r, ks in roles.items() if len(ks) == 1}
    if "net" in one and "tax" in one:
        a, t = decimal_of(one["net"], values[one["net"]]), decimal_of(one["tax"], values[one["tax"]])
        g = decimal_of(one["gross"], values[one["gross"]]) if "gross" in one else None
        # a tax that repeats the gross is a copy, not a swap: reconcile_amounts replaces it
        if a is not None and t is not None and t > a > 0 and t != g:
            values = _swapped(values, one["net"], one["tax"])
    if all(r in one for r in ("gross", "net", "tax")):

        def adds_up(v: dict) -> bool:
            g, a, t = (decimal_of(one[r], v[one[r]]) for r in ("gross", "net", "tax"))
            return None not in (g, a, t) and abs(g - (a + t)) <= ROUNDING_SLACK

        if not adds_up(values):
            for other in ("net", "tax"):
                cand = _swapped(values, one["gross"], one[other])
                if adds_up(cand):
                    return cand
    return values


def reconcile_amounts(values: dict, text: str) -> dict:
    """`values` with swapped amounts put back (order_amounts), then the gross total replaced by the
    document's printed net + tax when the model's total does not add up (see above)."""
    roles = amount_roles(values)
    values = order_amounts(values, roles)
    if any(len(roles.get(r, ())) != 1 for r in ("gross", "net", "tax")):
        return values
    gross, net, tax = roles["gross"][0], roles["net"][0], roles["tax"][0]
    g, a, t = (decimal_of(k, values[k]) for k in (gross, net, tax))
    if a is None or t is None or (g is not None and abs(g - (a + t)) <= ROUNDING_SLACK):
        return values
    # the one amount that copied another's value is the wrong one: a tax or a net equal to the
    # gross, tried first when printed; otherwise the gross is replaced by the printed sum
    fixes = []
    if g is not None and t == g and a < g:
        fixes.append((tax, g - a))
    if g is not None and a == g and 0 < t < g:
        fixes.append((net, g - t))
    if g is not None and a == t and 0 < a < g:
        # the net and the tax hold one number: one slot copied the other, and the missing amount is
        # the gross less it, the smaller of the two (no tax rate reaches 100%) being the tax
        fixes.append((tax, g - a) if g - a < a else (net, g - a))
    if a != 0 and t != 0:
        # the printed sum is the evidence against the model's gross; a sum equal to one of its
        # parts (a zero tax: 0% VAT on food) is printed wherever that part is, so it proves nothing
        fixes.append((gross, a + t))
    cands = ValueRule("amount", AMOUNT).candidates(text)
    for wrong, want in fixes:
        # as printed with its currency mark ("￥507.82"), not running into the next amount's mark
        found = {regex.sub(rf"\s{CURRENCY}$", "", c) for c in cands if decimal_of(wrong, c) == want}
        if found:  # and a tax left above the net by that fix was the net: order them again
            return order_amounts({**values, wrong: max(found, key=lambda c: (len(c), c))}, roles)
    return values
