"""HTTP API: `create_app()` builds the FastAPI app; `chatocr serve` runs it under uvicorn."""

from .app import create_app
from .config import ApiConfig
from .fetch import FetchTimeout, UrlPolicy, UrlRefused, fetch_url_async, refusal_reason
from .work import Busy, JobTimeout, WorkPool

__all__ = [
    "ApiConfig",
    "Busy",
    "FetchTimeout",
    "JobTimeout",
    "UrlPolicy",
    "UrlRefused",
    "WorkPool",
    "create_app",
    "fetch_url_async",
    "refusal_reason",
]
