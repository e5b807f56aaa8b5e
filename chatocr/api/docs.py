"""/docs (Swagger UI) and /redoc from local files, so they work with no network.

FastAPI's own pages load their JavaScript from a CDN, which leaves /docs blank offline. The assets
come from the `fastapi-offline` package (MIT; Swagger UI and ReDoc bundles in its `static/`
folder); only its files are used, not its FastAPI subclass.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def assets_dir() -> Path | None:
    """The folder holding the Swagger UI and ReDoc bundles, or None when the package is missing."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if all((folder / f).is_file() for f in ASSET_FILES) else None


def mount_docs(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> bool:
    """Serve Swagger UI at `docs_url` and ReDoc at `redoc_url` from local assets. Returns False
    (and serves FastAPI's CDN-based pages instead) when the assets are not installed."""
    folder = assets_dir()
    title = f"{app.title} API"
    if folder is None:
        swagger_js = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
        swagger_css = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
        redoc_js = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
        favicon = "https://fastapi.tiangolo.com/img/favicon.png"
    else:
        app.mount(ASSETS_URL, StaticFiles(directory=folder), name="docs-assets")
        swagger_js = f"{ASSETS_URL}/swagger-ui-bundle.js"
        swagger_css = f"{ASSETS_URL}/swagger-ui.css"
        redoc_js = f"{ASSETS_URL}/redoc.standalone.js"
        favicon = f"{ASSETS_URL}/favicon.png"

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=title,
            swagger_js_url=swagger_js,
            swagger_css_url=swagger_css,
            swagger_favicon_url=favicon,
        )

    @app.get(redoc_url, include_in_schema=False)
    async def redoc():
        # No Google Fonts either: ReDoc falls back to the system fonts.
        return get_redoc_html(
            openapi_url=app.openapi_url,
            title=title,
            redoc_js_url=redoc_js,
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )

    return folder is not None
