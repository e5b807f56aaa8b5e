"""The API's request bodies (JSON form) and typed answers, so /openapi.json documents both."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from llm_stage.types import MAX_HINT_BYTES, MAX_HINTS_BYTES, MAX_QUESTION_BYTES, Extraction
from ocr_stage import OcrResult

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
    pages: str | list[int] | None = Field(default=None, description="1-based page range: '1-3,5' or [1, 2]")
    include_ocr: bool = Field(default=False, description="also return the OcrResult under 'ocr'")
    per_page: bool = Field(
        default=False,
        description="one answer per page, under 'pages' (a PDF that holds several documents)",
    )
    # `copy` in JSON and forms; the attribute is renamed because BaseModel has a `copy` method.
    copy_values: bool | None = Field(
        default=None,
        alias="copy",
        description="values copied from the document text while decoding (default: on for fields, "
        "off for a question); false lets the model write free text",
    )


class OcrRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: DocumentIn
    options: Options = Field(default_factory=Options)


class ExtractRequest(OcrRequest):
    fields: list[str] | str | None = Field(
        default=None, description="field names, a list or one string like '发票号码, 开票日期'"
    )
    question: str | None = Field(
        default=None,
        description=f"a question, answered as field 'answer' (at most {MAX_QUESTION_BYTES:,} UTF-8 bytes)",
    )
    hints: dict[str, str] = Field(
        default_factory=dict,
        description=f"per-field hints, one per requested field: {MAX_HINT_BYTES} UTF-8 bytes each, "
        f"{MAX_HINTS_BYTES:,} together",
    )


# Added to /openapi.json's components by the app (the routes read their bodies themselves).
REQUEST_SCHEMAS = (DocumentIn, Options, OcrRequest, ExtractRequest)

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
