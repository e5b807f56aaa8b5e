"""The HTTP API (FastAPI). The pipeline is built once at start-up; requests share no mutable state:
every request's document, OCR result and answer live only in that request's own objects.

The parts live apart: request bodies and answers in `schemas`, reading a request in `parsing`, the
error answers in `errors`, what is built once in `state`, the endpoints in `routes`."""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from .. import __version__
from ..settings import Settings
from .config import ApiConfig
from .docs import mount_docs
from .errors import LimitBody, add_error_handlers
from .routes import openapi_schema, router
from .state import ServerState


def create_app(
    settings: Settings | None = None,
    config: ApiConfig | None = None,
    *,
    pipeline=None,
    load_llm: bool = True,
    load_in_background: bool = True,
) -> FastAPI:
    """The API app. Models load once at start-up (in the background by default, so /healthz answers
    at once and /readyz turns 200 when they are in); `pipeline` passes in a ready one."""
    config = config or ApiConfig()
    state = ServerState(settings or Settings(), config, load_llm, pipeline)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if load_in_background:
            threading.Thread(target=state.load, name="chatocr-load", daemon=True).start()
        else:
            await asyncio.to_thread(state.load)
        yield
        state.pool.shutdown()

    app = FastAPI(
        title="chatocr",
        version=__version__,
        description="Key-information extraction from document images: PP-OCR text + an LLM → grounded JSON.",
        lifespan=lifespan,
        docs_url=None,  # served by mount_docs from local assets (works offline)
        redoc_url=None,
        # Starlette's trailing-slash redirect builds an absolute URL from the Host header
        # (`/v1/stats/` -> `http://<Host>/v1/stats`); off, such paths are a plain 404.
        redirect_slashes=False,
    )
    app.state.chatocr = state
    mount_docs(app)
    add_error_handlers(app)
    app.include_router(router)
    app.openapi = partial(openapi_schema, app)
    app.add_middleware(LimitBody, limit=config.max_body_bytes)
    return app
