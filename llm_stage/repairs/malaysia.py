"""Repairs for Malaysian shop receipts (the SROIE kind): whole legal names ending in SDN BHD, and
addresses grown over the rows they are printed on, up to the state.

Written from such receipts (street words such as jalan and taman, the states, 5-digit postcodes),
so under the `auto` preset they run only on a page that shows them (`looks_malaysian`).
"""

from __future__ import annotations

import re

import regex

from ..field_roles import field_spec
from .receipts import trim_value

__all__ = ["complete_addresses", "complete_organisations", "looks_malaysian"]

_WS = re.compile(r"\s+")

# ---------------------------------------------------------------------------- multi-row addresses
# A printed street address runs over 2-4 rows ("LOT P.T. 2811, JALAN ANGSA," / "TAMAN BERKELEY" /
# "41150 KLANG, SELANGOR"), and a small model tends to copy one of them, or stop mid-row, or take
# in the store name above. An address value is completed to the end of the row it stops in, loses
# leading rows that are no address and rows after the state that are none, and is grown into its
# neighbours while they read as address (a street word, a postcode, a state, or the row before
# ending in a comma), stopping before a row that reads as something else (a phone, a registration
# or tax number, a company line, a date). It ends at the
# row with the state, or at the postcode row when the next row is not a state. When the model's
# value does not read as an address at all (a GST number, an item line), the block around the
# document's first postcode row is taken instead. Latin-script addresses only; the result is a run
# of the document's rows joined by spaces, so it stays grounded.
MAX_ADDRESS_ROWS = 5
_ADDRESS_WORDS = regex.compile(
    r"(?i)\b(?:jalan|jln|lorong|lrg|taman|tmn|lot|level|lvl|floor|flr|fl|block|blk|unit|suite|apt|apartment|bangunan"
    r"|kawasan|perindustrian|bandar|dataran|kampung|kg|persiaran|lebuh|lebuhraya|seksyen|section|batu"
    r"|street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|highway|plaza|mall|centre|center"
    r"|square|tower|building|bldg|complex|industrial|estate|park|shop)\b|\bno\s*[.:]?\s*\d{1,4}(?!\d)|^\d+[A-Z]?\s*,"
)
_STATES = regex.compile(
    r"(?i)\b(?:selangor|kuala\s+lumpur|johor|penang|pulau\s+pinang|perak|kedah|kelantan|terengganu"
    r"|pahang|melaka|malacca|negeri\s+sembilan|sabah|sarawak|perlis|putrajaya|labuan|singapore"
    r"|wilayah\s+persekutuan|malaysia)\b"
)
_POSTCODE = regex.compile(
    r"(?<![\w.,:/-])\d{5}(?![\d.:/-]|,\d|\s*\d)|(?<=[\p{L}\d/],)\d{5}(?=\s*\p{L})|(?i:singapore)\s*\d{6}\b"
)  # 47400 PETALING JAYA, also glued to the street before it ("JALAN SS21/39,47400 PETALING JAYA")
_NOT_ADDRESS = regex.compile(
    r"(?i)\b(?:tel|tele|telephone|phone|fax|h/?p|mobile|whatsapps?|gst|sst|reg|regn|roc|co\.?\s*no|email"
    r"|e-mail|www|http|invoice|receipt|cashier|date|time|sdn|bhd|berhad|s/b|enterprise|trading|total"
    r"|amount|qty|thank)\b|@|\d{6,}|\(\d{4,}|\d{1,2}[/-]\d{1,2}[/-]\d{2,4}"
)
# a house number and street name right above the postcode row, in either order ("0018 Julie Run",
# "Hauptstraße 5")
_HOUSE_NUMBER = regex.compile(r"^\s*\d{1,5}[A-Z]?\s+\p{L}|^\s*\p{L}[\p{L}\s.'-]*\s\d{1,4}\s?[a-zA-Z]?\s*$")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
_ADDRESS_LABEL = regex.compile(r"(?i)^(?:[\p{L}.]+\s+){0,2}?(?:add|addr|address|alamat)\s*[:.]\s*")


def _reads_as_address(row: str) -> bool:
    return bool(_ADDRESS_WORDS.search(row) or _POSTCODE.search(row) or _STATES.search(row))


def _state_across(row: str, nxt: str) -> bool:
    """Does a state's name run from the end of `row` into `nxt` ("... UTARA KUALA" / "LUMPUR")?"""
    a = row.strip()
    return any(m.start() < len(a) < m.end() for m in _STATES.finditer(f"{a} {nxt.strip()}"))


def _address_rows(rows: list[str], i: int, j: int) -> tuple[int, int]:
    """Rows i..j grown into the address block they belong to (see above)."""

    def finished(a: int, b: int) -> bool:
        return any(_STATES.search(rows[k]) for k in range(a, b + 1))

    def has_postcode(a: int, b: int) -> bool:
        return any(_POSTCODE.search(rows[k]) for k in range(a, b + 1))

    while i > 0 and j - i + 1 < MAX_ADDRESS_ROWS:
        r = rows[i - 1].strip()
        if not r or _NOT_ADDRESS.search(r) or not (_ADDRESS_WORDS.search(r) or r.endswith(",")):
            break
        i -= 1
    while j + 1 < len(rows) and j - i + 1 < MAX_ADDRESS_ROWS and not finished(i, j):
        r = rows[j + 1].strip()
        if not r or _NOT_ADDRESS.search(r):
            break
        if has_postcode(i, j):
            if not _STATES.search(r) or len(r.split()) > 4:
                break
        elif not (
            _reads_as_address(r)
            or r.endswith(",")
            or rows[j].rstrip().endswith(",")
            or _state_across(rows[j], r)
        ):
            break
        j += 1
    return i, j


def _locate_rows(rows: list[str], value: str, guard=_NOT_ADDRESS) -> tuple[int, int, bool, str] | None:
    """Where `value` sits in the rows (case and spacing aside): its first and last row, whether it
    begins inside the first one (after a label, say), and the rest of the last row after it (a copy
    cut short, "... 81100 JOHOR BAHRU, JOHO"), or None. A value ending inside a row that also holds
    a phone or a tax number (`guard`; None: no such check) is left alone."""
    flat = [_WS.sub(" ", r).strip() for r in rows]
    norm = [r.casefold() for r in flat]
    want = _WS.sub(" ", value).strip().casefold()
    starts, at = [], 0
    for r in norm:
        starts.append(at)
        at += len(r) + 1
    pos = " ".join(norm).find(want) if want else -1
    if pos < 0:
        return None
    end = pos + len(want)
    i = max(n for n, st in enumerate(starts) if st <= pos)
    j = max(n for n, st in enumerate(starts) if st < end)
    rest = flat[j][end - starts[j] :] if len(flat[j]) == len(norm[j]) else ""
    if rest and guard is not None and guard.search(rows[j]):
        return None
    return i, j, pos > starts[i], rest


def complete_addresses(values: dict, text: str) -> dict:
    """`values` with each address field's value grown to its whole printed address (see above)."""
    out = dict(values)
    rows = text.split("\n")
    for k, v in values.items():
        if field_spec(k).role != "address" or not isinstance(v, str) or _CJK.search(v):
            continue
        if _reads_as_address(v) and _HAS_WORD.search(v):
            found = _locate_rows(rows, v)
        else:
            first = next(
                (
                    n
                    for n, r in enumerate(rows)
                    if _POSTCODE.search(r)
                    and not _NOT_ADDRESS.search(r)
                    and len(regex.findall(r"\p{L}", r)) >= 3
                ),
                None,
            )
            found = (first, first, False, "") if first is not None else None
            v = rows[first] if first is not None else v
            if found is None and not _HAS_WORD.search(v):
                out[k] = None  # a number ("NO: 22497", a barcode) and no address block to give way to
        if found is None:
            continue
        i, j, mid_start, rest = found
        # rows the model took in that are not address: a store name above it (a legal name even when
        # a comma ends its row), a branch code below
        while (
            i < j
            and not mid_start
            and (
                _legal_row(rows[i].strip().rstrip(","), "company") is not None
                or (
                    not _reads_as_address(rows[i])
                    and not rows[i].rstrip().endswith(",")
                    and not (_HOUSE_NUMBER.match(rows[i]) and _POSTCODE.search(rows[i + 1]))
                )
            )
        ):
            i += 1
        state = next((n for n in range(i, j + 1) if _STATES.search(rows[n])), j)
        while j > state and not _reads_as_address(rows[j]):
            j, rest = j - 1, ""
        gi, gj = _address_rows(rows, i, j)
        if mid_start:  # after a label on its row: keep the model's start, grow forwards only
            head = _WS.sub(" ", v).strip() + rest if j == found[1] else None
            if head is None:
                continue
            grown = " ".join([head, *(r.strip() for r in rows[j + 1 : gj + 1])])
        else:
            grown = " ".join(r.strip() for r in rows[gi : gj + 1])
        grown = _ADDRESS_LABEL.sub("", grown, count=1)  # "HQ ADD: LOT 11995, ..." printed on the row
        if not _CJK.search(grown) and grown:
            out[k] = grown
    return out


# ----------------------------------------------------------------------- whole organisation names
# A company prints its legal name on one row or two ("LIAN CHI PU TIAN VEGETARIAN" / "RESTAURANT SDN
# BHD"), ending in its legal form. A small model copies part of it ("CO. (M) SDN BHD" of "POPULAR
# BOOK CO. (M) SDN BHD"), stops a row early, copies the brand or branch line above the legal name,
# or copies a code printed near it ("A03115"). A value that is part of a row ending in a legal form
# becomes that row; a value ending a row, followed by a short row ending in a legal form, takes in
# that row when it is a bare legal form and gives way to it when it is a name of its own; a value
# with no word in it (a code), a greeting or web address, or that reads as a street address gives
# way to the first row near the top that ends in a legal form, and a code or a greeting, failing
# that, to the first row near the top that reads as a name (not a greeting, a web address, a street
# address or a tax line); a bare legal form ("CO. (M) SDN BHD") takes in the name on the row above
# it; a former name ("formerly known as", FKA) gives way to the current one (_current_name). Latin
# script (Chinese names: see cn_vat.drop_title_pieces); the registration number rules above still apply,
# and the result is the document's own rows.
_LEGAL_WORDS = r"sdn\.?\s*bhd|s/b|sb|bhd|berhad|ltd|limited|inc|corp|corporation|pte|llc|plc|gmbh|enterprises?|trading|restaurant"
# "S/B" needs no word boundary: the OCR often glues it to the word before ("FRESH MARKETS/B.")
_LEGAL_FORM = regex.compile(rf"(?i)(?:\b(?:{_LEGAL_WORDS})|s/b)\.?\s*$")
# a row that names another party (the owner, a licensor, a former name) or is a tax line
_NOT_NAME_ROW = regex.compile(
    r"(?i)\b(?:tel|fax|gst|sst|reg|regn|invoice|receipt|owned|operated|managed|licensee|licensed|formerly"
    r"|known|member|by)\b"
)
_HAS_WORD = regex.compile(r"\p{L}{3,}")
# A former name is printed after its marker, under or beside the current one ("perbang Alaf
# Restaurants Sdn Bhd / formerly known as / Golden Arches Restaurants Sdn Bhd", "MYNEWS RETAIL
# SB(306295-X) FKA BISON STORES SB"); a value read from it gives way to the current legal name.
_FORMER = regex.compile(r"(?i)(?:\b(?:formerly|previously)(?:\s+known\s+as)?|\bf\.?k\.?a\b\.?)[\s:.]*")
# the legal form and the words that go with it ("CO. (M) SDN BHD") at the end of a name
_LEGAL_TAIL = regex.compile(rf"(?i)(?:\s*(?:\b(?:{_LEGAL_WORDS}|co)\b|\(m\))\.?)+\s*$")
ORG_SEARCH_ROWS = 8


_NOT_NAME_TEXT = regex.compile(
    r"(?i)\b(?:welcome|thank|thanks|tq|terima|kasih|selamat|www|http|com|my|net|shopping|careline)\b|@|\d{4,}"
)


# a greeting or a web address printed at the top of a receipt ("TQ FOR SHOPPING WITH myNEWS.com")
_GREETING_OR_WEB = regex.compile(
    r"(?i)\b(?:welcome|thank|thanks|tq|terima\s+kasih|selamat|www|https?)\b|\.com\b|@|shopping\s+with"
)


def _reads_as_name(row: str) -> bool:
    """Could the row be a business name: words, and no greeting, web address, street or tax line?"""
    r = row.strip()
    return bool(
        _HAS_WORD.search(r)
        and not _NOT_NAME_ROW.search(r)
        and not _NOT_NAME_TEXT.search(r)
        and not _reads_as_address(r)
        and not _NOT_ADDRESS.search(_LEGAL_TAIL.sub("", r))
    )


def _legal_row(row: str, name: str) -> str | None:
    """The row as an organisation name (registration number and a former name after its marker
    cut) when it ends in a legal form."""
    row = _WS.sub(" ", row).strip()
    if (m := _FORMER.search(row)) and m.start() > 0:
        row = row[: m.start()].strip(" (,")
    r = trim_value(name, row)
    return r if isinstance(r, str) and _LEGAL_FORM.search(r) and _HAS_WORD.search(r) else None


def _current_name(rows: list[str], value: str, name: str) -> str | None:
    """The current legal name when `value` is printed as a former name, else None."""
    flat = [_WS.sub(" ", r).strip() for r in rows]
    want = _WS.sub(" ", value).strip().casefold()
    for i, row in enumerate(flat):
        at = row.casefold().find(want)
        if at < 0:
            continue
        marks = [m for m in _FORMER.finditer(row[:at]) if not row[m.end() : at].strip(" (")]
        if marks:  # "CURRENT SB FKA FORMER SB"
            before = row[: marks[-1].start()].strip(" (,")
        elif (
            i > 0
            and not row[:at].strip(" (")
            and (m := _FORMER.search(flat[i - 1]))
            and not flat[i - 1][m.end() :].strip(" ():")
        ):
            before = flat[i - 1][: m.start()].strip(" (,")  # the marker ends the row above
            i -= 1
        else:
            continue
        for cand in [before, *reversed(flat[max(0, i - 3) : i])]:
            n = _legal_row(cand, name) if cand and not _FORMER.search(cand) else None
            if n and _HAS_WORD.search(_LEGAL_TAIL.sub("", n)):
                return n
        return None
    return None


def complete_organisations(values: dict, text: str) -> dict:
    """`values` with each organisation field's value grown to its whole printed name (see above)."""
    out = dict(values)
    rows = text.split("\n")
    for k, v in values.items():
        if field_spec(k).role != "organisation" or not isinstance(v, str):
            continue
        if _CJK.search(v):
            continue  # Latin-script names only; a Chinese one is the invoice repairs' business
        current = _current_name(rows, v, k)
        if current is not None:
            out[k] = current
            continue
        is_code = not _HAS_WORD.search(v) or bool(_GREETING_OR_WEB.search(v))
        street = _reads_as_address(v) and ("," in v or _POSTCODE.search(v)) and not _LEGAL_FORM.search(v)
        if is_code or street:  # a code, a greeting, a web address or a street address, not a name
            top = [r for r in rows[:ORG_SEARCH_ROWS] if not _NOT_NAME_ROW.search(r)]
            legal = next(
                (
                    n
                    for n in (_legal_row(r, k) for r in top)
                    if n and _HAS_WORD.search(_LEGAL_TAIL.sub("", n))
                ),
                None,
            )
            named = next((r.strip() for r in top if _reads_as_name(r)), None) if is_code else None
            out[k] = legal or named or v
            continue
        found = _locate_rows(rows, v, guard=None)
        if found is None:
            continue
        i, j, mid_start, rest = found
        if (
            not _HAS_WORD.search(_LEGAL_TAIL.sub("", v))
            and i > 0
            and not mid_start
            and _reads_as_name(rows[i - 1])
        ):
            out[k] = _legal_row(" ".join(rows[i - 1 : j + 1]), k) or out[k]  # a bare legal form
            continue
        whole = _legal_row(" ".join(rows[i : j + 1]), k)
        vn = _WS.sub(" ", v).strip()
        head = whole[: max(0, whole.casefold().find(vn.casefold()))] if whole is not None else ""
        if whole is not None and (rest or (mid_start and _HAS_WORD.search(head))):
            out[k] = whole
        elif not rest and not _LEGAL_FORM.search(v) and j + 1 < len(rows) and len(rows[j + 1].split()) <= 6:
            nxt = _legal_row(rows[j + 1], k)
            if nxt is not None and not _NOT_NAME_ROW.search(rows[j + 1]):
                # a name of its own below a brand or branch line is the company; a bare legal form
                # ("RESTAURANT SDN BHD") finishes the row above
                out[k] = (
                    nxt if _HAS_WORD.search(_LEGAL_TAIL.sub("", nxt)) else f"{_WS.sub(' ', v).strip()} {nxt}"
                )
    return out


_MY_STATE = regex.compile(
    r"(?i)\b(?:selangor|kuala\s+lumpur|johor|penang|pulau\s+pinang|perak|kedah|kelantan|terengganu|pahang"
    r"|melaka|malacca|negeri\s+sembilan|sabah|sarawak|perlis|putrajaya|labuan|wilayah\s+persekutuan|malaysia)\b"
)
_MY_POSTCODE = regex.compile(r"(?<![\d.:/])\d{5}(?![\d.:/])")
# the country's name, SDN BHD, BERHAD, S/B, or a company number with its check letter ("(306295-X)")
_MY_LEGAL = regex.compile(
    r"(?i)\bmalaysia\b|\bsdn\.?\s*bhd\b|\bberhad\b|s/b\b|\(m\)\s*(?:sdn|bhd)|(?<![\w-])\d{4,7}-[A-Z]\b"
)


def looks_malaysian(text: str) -> bool:
    """The word Malaysia, a Malaysian legal form or company number (SDN BHD, BERHAD, S/B, 306295-X), or a 5-digit
    postcode and a Malaysian state."""
    return bool(_MY_LEGAL.search(text) or (_MY_POSTCODE.search(text) and _MY_STATE.search(text)))
