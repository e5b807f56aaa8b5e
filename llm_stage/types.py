"""Field query and extraction result types: the contract of the LLM stage."""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel, Field, field_validator, model_validator

Point = tuple[float, float]
MAX_FIELDS = 64
MAX_FIELD_CHARS = 200
# A field list given as one string ("a, b, c") is refused unsplit past this length.
MAX_FIELD_LIST_CHARS = MAX_FIELDS * (MAX_FIELD_CHARS + 2)
MAX_QUESTION_BYTES = 2000  # UTF-8 bytes
MAX_HINT_BYTES = 500  # UTF-8 bytes per hint
MAX_HINTS_BYTES = 4000  # UTF-8 bytes of all hints together
# Invisible format characters that are part of ordinary text in some scripts (ZWNJ, ZWJ).
_ALLOWED_FORMAT = {"\u200c", "\u200d"}


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", str(name)).strip()
    return re.sub(r"\s+", " ", name)


# Letters of other scripts that look like Latin ones (Unicode confusables, the common part):
# Cyrillic and Greek lower case after case folding. Only for telling names apart, never for output.
_CONFUSABLE = str.maketrans(
    {
        **dict.fromkeys("аɑα", "a"),
        "с": "c",
        "ԁ": "d",
        "е": "e",
        "ɡ": "g",
        "һ": "h",
        **dict.fromkeys("іιӏ", "i"),
        "ј": "j",
        "κ": "k",
        "ο": "o",
        "о": "o",
        "р": "p",
        "ρ": "p",
        "ԛ": "q",
        "ѕ": "s",
        "τ": "t",
        "υ": "u",
        "ν": "v",
        "ԝ": "w",
        "х": "x",
        "χ": "x",
        "у": "y",
    }
)
# Invisible characters that are not format (Cf) characters: variation selectors, the combining
# grapheme joiner, Hangul fillers, the braille blank.
_INVISIBLE = {chr(c) for c in (*range(0xFE00, 0xFE10), 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800)}


def name_identity(name: str) -> str:
    """What two field names are compared by: NFKC (full-width letters, ligatures, compatibility
    forms folded), case-folded, look-alike Cyrillic/Greek letters folded to Latin, whitespace
    collapsed. `total`, `TOTAL`, `ｔｏｔａｌ` and `tоtal` (Cyrillic о) are one field."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_CONFUSABLE)
    return re.sub(r"\s+", " ", folded).strip()


def _bad_char(text: str, keep_whitespace: bool = False) -> str | None:
    """The first control, bidi/format, surrogate or private-use character in `text`, or None."""
    for ch in text:
        cat = unicodedata.category(ch)
        if keep_whitespace and ch in "\t\n\r":
            continue
        if cat in ("Cc", "Cs", "Co") or (cat == "Cf" and ch not in _ALLOWED_FORMAT) or ch in _INVISIBLE:
            return ch
    return None


def _refuse_chars(what: str, text: str, keep_whitespace: bool = False) -> None:
    ch = _bad_char(text, keep_whitespace)
    if ch is not None:
        label = unicodedata.name(ch, "") or "a control character"
        raise QueryError(
            f"{what} {text[:80]!r} contains U+{ord(ch):04X} ({label}), which is not allowed; remove it"
        )


class QueryError(ValueError):
    """The field query is empty or malformed; the message says how."""


class FieldQuery(BaseModel):
    """The requested field names (free text, any script), or a natural-language question.

    Names are NFC-normalised, stripped, whitespace-collapsed and kept in the user's order; exact
    repeats collapse to the first. Names that differ only by case or Unicode compatibility form
    (`total, TOTAL`) are refused: they would be one key to the model. Control characters (NUL, ESC,
    bidi overrides, other invisible format characters) are refused in names, hints and questions.
    A question without fields is answered as the single field `answer`. Sizes are bounded:
    MAX_FIELDS names of MAX_FIELD_CHARS, a question of MAX_QUESTION_BYTES, hints of MAX_HINT_BYTES
    each and MAX_HINTS_BYTES together, one per requested field.
    """

    fields: list[str] = Field(default_factory=list)
    question: str | None = None
    hints: dict[str, str] = Field(default_factory=dict)

    @field_validator("fields", mode="before")
    @classmethod
    def _dedupe(cls, v):
        if isinstance(v, str):
            if len(v) > MAX_FIELD_LIST_CHARS:
                raise QueryError(
                    f"the field list is {len(v):,} characters long; the limit is {MAX_FIELD_LIST_CHARS:,}"
                )
            v = split_field_list(v)
        if v is None:
            return []
        if not isinstance(v, (list, tuple)):
            return v  # pydantic reports the type error
        if len(v) > MAX_FIELDS:
            raise QueryError(f"{len(v)} fields requested; the limit is {MAX_FIELDS}")
        seen: dict[str, str] = {}  # identity -> the name as first given
        for name in v:
            if isinstance(name, (dict, list, tuple, set)):
                raise QueryError(f"field names are strings, not {type(name).__name__}")
            n = _clean_name(name)
            if not n:
                continue
            if len(n) > MAX_FIELD_CHARS:
                raise QueryError(f"field name is {len(n)} characters long; the limit is {MAX_FIELD_CHARS}")
            _refuse_chars("field name", n)
            ident = name_identity(n)
            first = seen.get(ident)
            if first is None:
                seen[ident] = n
            elif first != n:
                raise QueryError(
                    f"fields {first!r} and {n!r} are the same name up to case, character width or "
                    "look-alike letters; "
                    "ask for each field once"
                )
        return list(seen.values())

    @field_validator("question", mode="before")
    @classmethod
    def _strip_q(cls, v):
        if v is None:
            return None
        v = str(v).strip()
        size = len(v.encode("utf-8", "surrogatepass"))
        if size > MAX_QUESTION_BYTES:
            raise QueryError(f"the question is {size:,} bytes (UTF-8); the limit is {MAX_QUESTION_BYTES:,}")
        _refuse_chars("the question", v, keep_whitespace=True)
        return v or None

    @field_validator("hints", mode="before")
    @classmethod
    def _check_hints(cls, v):
        if v is None:
            return {}
        if not isinstance(v, dict):
            return v  # pydantic reports the type error
        if len(v) > MAX_FIELDS:
            raise QueryError(f"{len(v)} hints given; the limit is {MAX_FIELDS}")
        out: dict[str, str] = {}
        total = 0
        for k, hint in v.items():
            if not isinstance(k, str) or not isinstance(hint, str):
                raise QueryError("hints map a field name to a string")
            key = _clean_name(k)
            if len(key) > MAX_FIELD_CHARS:
                raise QueryError(f"hint key is {len(key)} characters long; the limit is {MAX_FIELD_CHARS}")
            _refuse_chars("hint key", key)
            text = hint.strip()
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > MAX_HINT_BYTES:
                raise QueryError(
                    f"the hint for {key!r} is {size:,} bytes (UTF-8); the limit is {MAX_HINT_BYTES:,}"
                )
            total += size
            if total > MAX_HINTS_BYTES:
                raise QueryError(f"the hints are over {MAX_HINTS_BYTES:,} bytes (UTF-8) together")
            _refuse_chars(f"the hint for {key!r}:", text, keep_whitespace=True)
            out[key] = text
        return out

    @model_validator(mode="after")
    def _non_empty(self):
        if not self.fields and not self.question:
            raise QueryError("the query is empty: give at least one field name or a question")
        if len(self.fields) > MAX_FIELDS:
            raise QueryError(f"{len(self.fields)} fields requested; the limit is {MAX_FIELDS}")
        if self.hints:
            keys = {name_identity(k): k for k in self.keys}
            hints: dict[str, str] = {}
            for k, hint in self.hints.items():
                key = keys.get(name_identity(k))
                if key is None:
                    raise QueryError(
                        f"hint for {k!r}, which is not a requested field ({', '.join(self.keys)[:200]})"
                    )
                if key in hints:
                    raise QueryError(f"two hints for field {key!r}")
                hints[key] = hint
            self.hints = hints
        return self

    @property
    def keys(self) -> list[str]:
        """The keys of the answer object, in order."""
        return list(self.fields) if self.fields else ["answer"]


def split_field_list(text: str) -> list[str]:
    """Split "发票号码, 开票日期、价税合计" or "a;b" into names (ASCII and CJK separators)."""
    return [p for p in (s.strip() for s in re.split(r"[,，、;；\n]+", text)) if p]


# A field's value: a string as printed, null when absent, or for line-item fields a list of
# objects whose cells are strings or null.
Value = str | list[dict[str, str | None]] | dict[str, str | None] | None


class FieldValue(BaseModel):
    value: Value = None
    page: int | None = None
    box: list[Point] | None = None
    ocr_score: float | None = None
    # the recogniser's confidence of the value's least sure character (ocr_stage.TextLine.least_sure):
    # a confidence signal, not part of the answer
    char_score: float | None = Field(default=None, exclude=True)
    match_score: float | None = None
    grounded: bool = False
    normalized: str | None = None
    # how likely the value is right (calibrated, see llm_stage.confidence); None when the backend
    # gives no token probabilities
    confidence: float | None = None
    needs_review: bool = False  # confidence below the review threshold, or not grounded
    # why a reviewer should look, beside the confidence: a plausibility check that failed
    # ("date_far_from_page", "rate_not_printed", "amount_above_total", ...; llm_stage.plausibility;
    # "ocr_unsure_character": llm_stage.signals.UNSURE_CHARACTER)
    review_reasons: list[str] = Field(default_factory=list)
    # a line-items field (`field_spec(name).role == "items"`): one record per row, in page order;
    # `value` then holds the same rows as plain objects with the keys ITEM_KEYS
    items: list[ItemRecord] | None = Field(default=None, exclude_if=lambda v: v is None)


# The cells of one line item, in the order the model writes them; a cell the row does not print is
# null. Values are copied as printed (numbers in the document's own format: "1.234,50", "3.50 A").
ITEM_KEYS = ("description", "quantity", "unit", "unit_price", "amount", "tax_rate", "tax")


class ItemRecord(BaseModel):
    """One row of a line-items field: each cell grounded like a field (page, box, confidence), the
    row's box (the union of its cells' boxes on the page), and the row's own review state (an
    arithmetic check that failed: quantity × unit price ≠ amount, ...)."""

    cells: dict[str, FieldValue]
    page: int | None = None
    box: list[Point] | None = None
    needs_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)

    def values(self) -> dict[str, str | None]:
        return {k: (c.value if isinstance(c.value, str) else None) for k, c in self.cells.items()}


class RepairRecord(BaseModel):
    """One change a repair made to the model's answer (llm_stage.repairs): which rule, which field,
    the value before and after."""

    rule: str
    field: str
    before: Value = None
    after: Value = None


class Extraction(BaseModel):
    """The answer: exactly the requested fields, in the requested order."""

    fields: dict[str, FieldValue]
    raw_output: str = ""
    backend: str = ""
    model: str = ""
    error: str | None = None
    attempts: int = 1
    timings: dict[str, float] = Field(default_factory=dict)
    # record-level warnings: "all_null" (nothing found), "identical_values" (every field the same),
    # "printed_instructions" (boxes written to a model were left out of the evidence)
    flags: list[str] = Field(default_factory=list)
    # every value the repairs changed after decoding, in the order they ran (`--repairs` chooses them)
    repairs: list[RepairRecord] = Field(default_factory=list)
    # per field, the confidence features (llm_stage.confidence.FEATURES); for calibration only
    features: dict[str, list[float] | None] = Field(default_factory=dict, exclude=True)
    # the model's values of the amount roles decoded beside the fields asked, for the arithmetic
    # repairs only (llm_stage.extract: an amount field answers the same alone or with the others)
    companions: dict[str, Value] = Field(default_factory=dict, exclude=True)
    # the model's values from a second decoding of the query (the whole query as one object beside
    # the per-field answers), when the backend made one: the agreement signal of confidence
    alternative: dict[str, Value] | None = Field(default=None, exclude=True)

    def values(self) -> dict[str, Value]:
        return {k: v.value for k, v in self.fields.items()}


FieldValue.model_rebuild()
