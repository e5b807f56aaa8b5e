"""Runtime settings: defaults, overridable by environment variables (CHATOCR_*) and CLI flags."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from pydantic import BaseModel, Field, field_validator

from ocr_stage.inputs import InputLimits

# The page limit of the pipeline, the CLI and the API (README, /readyz and error messages report it),
# taken from the OCR stage's own default so the library and the service cannot disagree.
MAX_PAGES = InputLimits.max_pages


def env(name: str, default):
    """The environment variable `CHATOCR_<name>` (the one env reader of chatocr), typed like
    `default`; unset or empty gives `default`. A value that does not parse is a SettingsError
    naming the variable, not a traceback."""
    key = f"CHATOCR_{name}"
    v = os.environ.get(key)
    if v is None or v == "":
        return default
    try:
        if isinstance(default, bool):
            return _parse_bool(v)
        if isinstance(default, int):
            return int(v)
        if isinstance(default, float):
            return float(v)
    except ValueError:
        kind = "true or false" if isinstance(default, bool) else f"a number ({type(default).__name__})"
        raise SettingsError(f"{key}={v[:40]!r} is not {kind}") from None
    return v


def _parse_bool(v: str) -> bool:
    s = v.strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(v)


class SettingsError(ValueError):
    """A CHATOCR_* variable or a setting has a value that cannot be used; the message names it."""


_env = env


def _repairs_preset(value: str, where: str) -> str:
    """A repairs preset checked (llm_stage.repairs.check_preset); SettingsError naming `where`."""
    from llm_stage.repairs import check_preset

    try:
        return check_preset(value)
    except ValueError as e:
        raise SettingsError(f"{where}: {e}") from None


class Settings(BaseModel):
    ocr_engine: str = Field(default_factory=lambda: _env("OCR_ENGINE", "rapid"))
    ocr_threads: int = Field(default_factory=lambda: _env("OCR_THREADS", 0))
    # the text recogniser, by name (ocr_stage.engines.rec_models) or .onnx path; "" = the engine's default
    ocr_rec_model: str = Field(default_factory=lambda: _env("OCR_REC_MODEL", ""))
    # rapid engine: lines whose least confident character is below this are read a second time
    # (docs/ocr.md); 0 = never, None = the engine's default
    ocr_reread: float | None = Field(
        default_factory=lambda: _env("OCR_REREAD", 0.0) if os.environ.get("CHATOCR_OCR_REREAD") else None
    )
    backend: str = Field(default_factory=lambda: _env("BACKEND", "transformers"))
    # None means: the backend's default (the shipped fine-tuned embedded model for transformers).
    model: str | None = Field(default_factory=lambda: _env("MODEL", None))
    llm_threads: int = Field(default_factory=lambda: _env("LLM_THREADS", 0))
    # transformers weights' dtype: auto (bf16 where the hardware has it natively), float32, bfloat16
    llm_dtype: str = Field(default_factory=lambda: _env("LLM_DTYPE", "auto"))
    # transformers: the LoRA adapter line-items fields are read with (a dir, or "none"); None: the
    # model adapter's own `items/` adapter when it has one
    items_adapter: str | None = Field(default_factory=lambda: _env("ITEMS_ADAPTER", None))
    base_url: str | None = Field(default_factory=lambda: _env("LLM_BASE_URL", None))
    api_key: str | None = Field(default_factory=lambda: _env("LLM_API_KEY", None))
    pdf_dpi: int = Field(default_factory=lambda: _env("PDF_DPI", 200))
    max_pixels: int = Field(default_factory=lambda: _env("MAX_PIXELS", 40_000_000))
    max_pages: int = Field(default_factory=lambda: _env("MAX_PAGES", MAX_PAGES))
    # values below this confidence get needs_review; None: the model's calibrated threshold
    review_below: float | None = Field(default_factory=lambda: _env("REVIEW_BELOW", None))
    # which post-decoding repairs run (llm_stage.repairs): auto, general, none, all or a family's name
    repairs: str = Field(default_factory=lambda: _repairs_preset(_env("REPAIRS", "auto"), "CHATOCR_REPAIRS"))

    @field_validator("repairs")
    @classmethod
    def _check_repairs(cls, v: str) -> str:
        return _repairs_preset(v, "repairs")

    # ask each field on its own over the one document pass (answers independent of the other
    # fields asked); None: where the backend shares the document's cache (transformers)
    per_field: bool | None = Field(
        default_factory=lambda: _env("PER_FIELD", False) if os.environ.get("CHATOCR_PER_FIELD") else None
    )

    def with_options(self, **options) -> Settings:
        """A copy with the given values; None means "not given" and keeps the current one (so CLI
        flags that were not passed leave environment variables and defaults in place)."""
        given = {k: v for k, v in options.items() if v is not None}
        unknown = set(given) - set(type(self).model_fields)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return self.model_copy(update=given)

    def limits(self, max_bytes: int | None = None, max_total_pixels: int | None = None) -> InputLimits:
        """The document limits these settings give (pixels, pages, PDF resolution); `max_bytes` and
        `max_total_pixels` for a front end with its own upload and memory limits (the API)."""
        extra = {
            k: v
            for k, v in (("max_bytes", max_bytes), ("max_total_pixels", max_total_pixels))
            if v is not None
        }
        return InputLimits(
            max_pixels=self.max_pixels, max_pages=self.max_pages, pdf_dpi=self.pdf_dpi, **extra
        )

    def engine_options(self) -> dict:
        """Options for `ocr_stage.get_engine`: the same for every engine (each takes `threads` and
        `rec_model`; `reread_below` where it is set, which only the rapid engine acts on)."""
        opts: dict = {"threads": self.ocr_threads} if self.ocr_threads else {}
        if self.ocr_rec_model:
            opts["rec_model"] = self.ocr_rec_model
        if self.ocr_reread is not None:
            opts["reread_below"] = self.ocr_reread
        return opts


# ---------------------------------------------------------------- page ranges (CLI and API)

# The most characters a page range may have. A range names at most `max_pages` distinct pages, so a
# legitimate one is short; anything longer is refused before it is split.
MAX_PAGE_SPEC_CHARS = 1000
_PAGE_PART = re.compile(r"(\d+)\s*(?:-\s*(\d+))?", re.ASCII)


class PageRangeError(ValueError):
    """A page range is malformed."""


class TooManyPages(PageRangeError):
    """A page range names more pages than allowed."""


def parse_pages(spec: str | Sequence[int] | None, max_pages: int = MAX_PAGES) -> list[int] | None:
    """'1-3,5' or [1, 2] (1-based, inclusive) -> 0-based indices, de-duplicated, in first-seen order.

    The number of distinct pages is counted from the ranges themselves (merged intervals), and checked
    against `max_pages` before a single index is listed, so the work and memory are bounded by
    MAX_PAGE_SPEC_CHARS and `max_pages`, never by the numbers in the range. None for no range.
    Whether the pages exist is for the document decoder to say (it knows the page count).
    """
    if spec is None or (isinstance(spec, (str, list, tuple)) and len(spec) == 0):
        return None
    shown = repr(str(spec)[:60]) + ("…" if len(str(spec)) > 60 else "") if isinstance(spec, str) else "list"
    if isinstance(spec, str):
        if len(spec) > MAX_PAGE_SPEC_CHARS:
            raise PageRangeError(
                f"page range is {len(spec):,} characters long, over the limit of {MAX_PAGE_SPEC_CHARS:,}; "
                "give ranges like '1-3,5'"
            )
        intervals: list[tuple[int, int]] = []
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            m = _PAGE_PART.fullmatch(part)
            if m is None:
                raise PageRangeError(f"page range {shown} is not like '1-3,5'")
            lo = int(m[1])
            hi = int(m[2]) if m[2] else lo
            if lo < 1 or hi < 1:
                raise PageRangeError(f"page range {shown}: pages start at 1")
            if hi < lo:
                raise PageRangeError(f"page range {shown}: {lo}-{hi} ends before it starts")
            intervals.append((lo - 1, hi))  # 0-based, half-open
    elif isinstance(spec, (list, tuple)):
        if len(spec) > MAX_PAGE_SPEC_CHARS:
            raise PageRangeError(
                f"page list has {len(spec):,} entries, over the limit of {MAX_PAGE_SPEC_CHARS:,}"
            )
        intervals = []
        for p in spec:
            if isinstance(p, bool) or not isinstance(p, int):
                raise PageRangeError(f"page list entries must be page numbers, not {str(p)[:20]!r}")
            if p < 1:
                raise PageRangeError("page list: pages start at 1")
            intervals.append((p - 1, p))
    else:
        raise PageRangeError(
            f"a page range is a string like '1-3,5' or a list of page numbers, not {type(spec).__name__}"
        )
    if not intervals:
        raise PageRangeError(f"page range {shown} names no page")
    # Count distinct pages by merging intervals: arithmetic on the bounds, no listing.
    count, end = 0, -1
    for lo, hi in sorted(intervals):
        if hi > end:
            count += hi - max(lo, end)
            end = hi
    if count > max_pages:
        raise TooManyPages(f"{count:,} pages requested, over the limit of {max_pages}")
    seen: dict[int, None] = {}
    for lo, hi in intervals:
        for i in range(lo, hi):
            seen.setdefault(i, None)
    return list(seen)
