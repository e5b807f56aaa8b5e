"""The API's request bodies (JSON form) and typed answers, so /openapi.json documents both."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from llm_stage.types import (
    MAX_FIELD_CHARS,
    MAX_FIELD_LIST_CHARS,
    MAX_FIELDS,
    MAX_HINT_BYTES,
    MAX_HINTS_BYTES,
    MAX_QUESTION_BYTES,
    Extraction,
)
from ocr_stage import OcrResult

from ..settings import MAX_PAGE_SPEC_CHARS

# A page range as text: '1-3,5' (1-based, inclusive; spaces allowed, empty parts skipped). The model
# enforces the same pattern that /openapi.json shows; parse_pages then checks order and the count.
_WS = r"[ \t\n\r\f\v]*"
_NUM = r"0*[1-9][0-9]*"
_PART = rf"{_WS}{_NUM}{_WS}(?:-{_WS}{_NUM}{_WS})?"
PAGE_SPEC_PATTERN = rf"^(?:(?:{_WS},)*{_PART}(?:,(?:{_PART}|{_WS}))*)?$"
PageNumber = Annotated[StrictInt, Field(ge=1)]
PageSpec = Annotated[str, Field(max_length=MAX_PAGE_SPEC_CHARS, pattern=PAGE_SPEC_PATTERN)]
PageList = Annotated[list[PageNumber], Field(max_length=MAX_PAGE_SPEC_CHARS)]


def _limits(**by_type):
    """json_schema_extra that adds constraints to the branches of a union schema, by JSON type."""

    def apply(schema: dict) -> None:
        for branch in schema.get("anyOf", [schema]):
            branch.update(by_type.get(branch.get("type"), {}))

    return apply


# ---------------------------------------------------------------- request bodies (JSON form)


class DocumentIn(BaseModel):
    """The document: base64 bytes of an image or PDF, or (when the server allows it) a URL."""

    model_config = ConfigDict(extra="forbid")
    base64: str | None = Field(default=None, description="base64 of the file bytes (image or PDF)")
    url: str | None = Field(
        default=None, description="http(s) URL; only when the server runs with --allow-url"
    )
    name: str | None = Field(default=None, max_length=300, description="file name, used in messages")


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    strict: bool | None = Field(
        default=None,
        description="null out values that cannot be found in the OCR text (default: on for fields when the "
        "backend cannot copy values while decoding)",
    )
    engine: str | None = Field(default=None, max_length=40, description="OCR engine (see GET /readyz)")
    pages: PageSpec | PageNumber | PageList | None = Field(
        default=None,
        description="1-based pages: a range string '1-3,5', a page number, or a list [1, 2] "
        "(integers only; true/false are not page numbers); the pages counted at most the server's "
        "max_pages (GET /readyz)",
    )
    include_ocr: bool = Field(default=False, description="also return the OcrResult under 'ocr'")
    per_page: bool = Field(
        default=False,
        description="one answer per page, under 'pages' (a PDF that holds several documents)",
    )

    @field_validator("pages", mode="before")
    @classmethod
    def _page_numbers(cls, v):
        # one message instead of the three of the union (and true/false are not page 1 and 0)
        if isinstance(v, str):
            if len(v) > MAX_PAGE_SPEC_CHARS:
                raise ValueError(
                    f"page range is {len(v):,} characters long, over the limit of {MAX_PAGE_SPEC_CHARS:,}"
                )
            if not re.fullmatch(PAGE_SPEC_PATTERN, v):
                raise ValueError(f"page range {v[:60]!r} is not like '1-3,5' (pages start at 1)")
            return v
        items = v if isinstance(v, list) else [v]
        if v is not None and not isinstance(v, str) and any(type(p) is not int for p in items):
            raise ValueError(
                "pages must be a range string like '1-3,5', a page number, or a list of page numbers"
            )
        return v

    # `copy` in JSON and forms; the attribute is renamed because BaseModel has a `copy` method.
    copy_values: bool | None = Field(
        default=None,
        alias="copy",
        description="values copied from the document text while decoding (default: on for fields, "
        "off for a question); false lets the model write free text",
    )


class ExtractOptions(Options):
    items: bool = Field(
        default=False,
        description="also extract the line items: adds the field 'line items' unless a requested field "
        "already asks for them ('商品明细', 'items', …); its value is a list of rows with the keys "
        "description, quantity, unit, unit_price, amount, tax_rate, tax, and `items` holds one record "
        "per row (cells with page, box, confidence; the row's box; needs_review, review_reasons)",
    )
    repairs: str | None = Field(
        default=None,
        max_length=80,
        description="post-decoding repairs: auto (the server's default unless set), general, none, all, "
        "or a document family (receipt, malaysia, cn_vat); every change is listed under 'repairs'",
    )

    @field_validator("repairs")
    @classmethod
    def _preset(cls, v):
        from llm_stage.repairs import check_preset

        return None if v is None else check_preset(v)


class OcrRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: DocumentIn
    options: Options = Field(default_factory=Options)


class ExtractRequest(OcrRequest):
    # The limits are in the schema (json_schema_extra) and checked by the query's own validation
    # (llm_stage.FieldQuery, build_query), whose 422s name the field and the limit.
    fields: list[str] | str | None = Field(
        default=None,
        description="field names, a list or one string like '发票号码, 开票日期' (at most the server's "
        "max_fields, GET /readyz; names that differ only in case, width or look-alike letters are "
        "one name and refused as a repeat; control and invisible characters are refused)",
        json_schema_extra=_limits(
            array={"maxItems": MAX_FIELDS, "items": {"type": "string", "maxLength": MAX_FIELD_CHARS}},
            string={"maxLength": MAX_FIELD_LIST_CHARS},
        ),
    )
    question: str | None = Field(
        default=None,
        description=f"a question, answered as field 'answer' (at most {MAX_QUESTION_BYTES:,} UTF-8 bytes)",
        json_schema_extra=_limits(string={"maxLength": MAX_QUESTION_BYTES}),
    )
    options: ExtractOptions = Field(default_factory=ExtractOptions)
    hints: dict[str, str] = Field(
        default_factory=dict,
        description=f"per-field hints, one per requested field: {MAX_HINT_BYTES} UTF-8 bytes each, "
        f"{MAX_HINTS_BYTES:,} together",
        json_schema_extra={
            "maxProperties": MAX_FIELDS,
            "propertyNames": {"maxLength": MAX_FIELD_CHARS},
            "additionalProperties": {"type": "string", "maxLength": MAX_HINT_BYTES},
        },
    )


# Added to /openapi.json's components by the app (the routes read their bodies themselves).
REQUEST_SCHEMAS = (DocumentIn, Options, ExtractOptions, OcrRequest, ExtractRequest)

# ---------------------------------------------------------------- answers


class OcrResponse(OcrResult):
    """The OcrResult: pages (1-based `page` of the source document), lines with boxes and scores."""


class ExtractResponse(Extraction):
    """The Extraction: exactly the requested fields in order, each with its value and the OCR evidence
    (`page` is the 1-based page of the source document, `box` four points in that page's pixels)."""

    ocr: OcrResult | None = Field(default=None, description="with options.include_ocr: the OcrResult")


class PageExtraction(Extraction):
    """The answer of one page (options.per_page)."""

    page: int = Field(description="1-based page of the source document")


class PagesResponse(BaseModel):
    """With options.per_page: one Extraction per page, in page order."""

    pages: list[PageExtraction]
    timings: dict[str, float] = Field(default_factory=dict)
    ocr: OcrResult | None = Field(default=None, description="with options.include_ocr: the OcrResult")


class ErrorResponse(BaseModel):
    error: str = Field(description="machine-readable code, e.g. bad_document, too_many_pages, busy")
    message: str = Field(description="what was wrong, in one line")
