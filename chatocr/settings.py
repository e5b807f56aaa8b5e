"""Runtime settings: defaults, overridable by environment variables (CHATOCR_*) and CLI flags."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(os.environ.get("CHATOCR_MODELS_DIR", REPO_ROOT / "models"))


def _env(name: str, default):
    v = os.environ.get(f"CHATOCR_{name}")
    if v is None or v == "":
        return default
    if isinstance(default, bool):
        return v.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(v)
    if isinstance(default, float):
        return float(v)
    return v


class Settings(BaseModel):
    ocr_engine: str = Field(default_factory=lambda: _env("OCR_ENGINE", "rapid"))
    ocr_threads: int = Field(default_factory=lambda: _env("OCR_THREADS", 0))
    backend: str = Field(default_factory=lambda: _env("BACKEND", "transformers"))
    # None means: the backend's default (the shipped fine-tuned embedded model for transformers).
    model: str | None = Field(default_factory=lambda: _env("MODEL", None))
    llm_threads: int = Field(default_factory=lambda: _env("LLM_THREADS", 0))
    base_url: str | None = Field(default_factory=lambda: _env("LLM_BASE_URL", None))
    api_key: str | None = Field(default_factory=lambda: _env("LLM_API_KEY", None))
    strict: bool = Field(default_factory=lambda: _env("STRICT", False))
    pdf_dpi: int = Field(default_factory=lambda: _env("PDF_DPI", 200))
    max_pixels: int = Field(default_factory=lambda: _env("MAX_PIXELS", 40_000_000))
    max_pages: int = Field(default_factory=lambda: _env("MAX_PAGES", 20))
