"""HTTP API: `create_app()` builds the FastAPI app; `chatocr serve` runs it under uvicorn."""

from ..pipeline import ModelLocks
from .app import create_app
from .config import ApiConfig
from .fetch import FetchTimeout, UrlPolicy, UrlRefused, fetch_url, fetch_url_async, is_public, refusal_reason
from .work import Busy, JobTimeout, WorkPool

__all__ = [
    "ApiConfig",
    "Busy",
    "FetchTimeout",
    "JobTimeout",
    "ModelLocks",
    "UrlPolicy",
    "UrlRefused",
    "WorkPool",
    "create_app",
    "fetch_url",
    "fetch_url_async",
    "is_public",
    "refusal_reason",
]
