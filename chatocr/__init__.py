"""chatocr: key-information extraction from document images (PP-OCR + an LLM, grounded JSON)."""

from .pipeline import Pipeline
from .settings import Settings

__all__ = ["Pipeline", "Settings"]
__version__ = "0.7.0"
