"""HTTP API: `create_app()` builds the FastAPI app; `chatocr serve` runs it under uvicorn."""

from .app import create_app
from .config import ApiConfig
from .fetch import UrlPolicy, UrlRefused, fetch_url, is_public
from .work import Busy, JobTimeout, ModelLocks, WorkPool

__all__ = [
    "ApiConfig",
    "Busy",
    "JobTimeout",
    "ModelLocks",
    "UrlPolicy",
    "UrlRefused",
    "WorkPool",
    "create_app",
    "fetch_url",
    "is_public",
]
