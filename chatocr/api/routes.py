"""The endpoints: health and readiness, pool stats, /v1/ocr and /v1/extract. Shared things come in
as dependencies: the ServerState (`get_state`) and, where a key is set, the bearer check
(`require_api_key`)."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from llm_stage.types import MAX_FIELD_CHARS, MAX_HINT_BYTES, MAX_HINTS_BYTES, MAX_QUESTION_BYTES

from ..settings import MAX_PAGE_SPEC_CHARS, parse_pages
from .errors import ERROR_RESPONSES, ApiError
from .parsing import build_query, document_bytes, read_request, until_client_leaves
from .schemas import (
    PAGE_SPEC_PATTERN,
    REQUEST_SCHEMAS,
    ErrorResponse,
    ExtractRequest,
    ExtractResponse,
    OcrRequest,
    OcrResponse,
    PagesResponse,
)
from .state import ServerState, job_view

# ---------------------------------------------------------------- dependencies


def get_state(request: Request) -> ServerState:
    """The app's ServerState (create_app puts it on app.state)."""
    return request.app.state.chatocr


State = Annotated[ServerState, Depends(get_state)]


def require_api_key(request: Request, state: State) -> None:
    """401 unless the request carries 'Authorization: Bearer <key>' (no check when no key is set)."""
    key = state.config.api_key
    if not key:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), key.encode()):
        raise ApiError(
            401,
            "unauthorized",
            "missing or wrong API key: send 'Authorization: Bearer <key>'",
            {"WWW-Authenticate": "Bearer"},
        )


Authorized = Depends(require_api_key)

# ---------------------------------------------------------------- OpenAPI


def _errors(*codes: int) -> dict:
    return {
        str(code): {
            "description": ERROR_RESPONSES[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
        }
        for code in codes
    }


def body_doc(model: type[BaseModel]) -> dict:
    """openapi_extra of a POST route: its JSON and multipart bodies, and the error answers. The routes
    read their bodies themselves (read_request), so FastAPI cannot derive these. The form takes only
    the fields listed (any other is a 422)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    form_props = {
        "file": {"type": "string", "format": "binary", "description": "the image or PDF"},
        "url": {"type": "string", "description": "instead of file, when the server runs with --allow-url"},
        "name": {"type": "string", "maxLength": 300, "description": "file name, used in messages"},
        "options": {
            "type": "string",
            "description": 'the JSON body\'s `options` as a JSON object, e.g. {"pages": "3"}; an '
            "option may be given here or as its own form field, not both",
            "example": '{"pages": "1-2"}',
        },
        "strict": {"type": "boolean"},
        "include_ocr": {"type": "boolean"},
        "copy": {"type": "boolean"},
        "engine": {"type": "string", "maxLength": 40},
        "pages": {
            "type": "string",
            "pattern": PAGE_SPEC_PATTERN,
            "maxLength": MAX_PAGE_SPEC_CHARS,
            "example": "1-2",
        },
    }
    if model is ExtractRequest:
        form_props["repairs"] = {"type": "string", "example": "auto"}
    if model is ExtractRequest:
        form_props.update(
            {
                "fields": {
                    "type": "array",
                    "items": {"type": "string"},
                    "example": ["发票号码, 开票日期, 价税合计"],
                    "description": "field names: repeat the form field, or give a comma-separated "
                    "list or a JSON list in one value; every value counts",
                },
                "question": {"type": "string"},
                "hints": {"type": "string", "description": "JSON object: field -> hint (flat)"},
            }
        )
    codes = (400, 413, 415, 422) + ((502,) if model is ExtractRequest else ()) + (503, 504)
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": ref},
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": form_props, "additionalProperties": False}
                },
            },
        },
        "responses": _errors(*codes),
    }


def openapi_schema(app: FastAPI) -> dict:
    """FastAPI's schema plus the request and error bodies that body_doc refers to, and the bearer
    scheme when the server has a key. Built once per app."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    for m in (*REQUEST_SCHEMAS, ErrorResponse):
        s = m.model_json_schema(ref_template="#/components/schemas/{model}")
        comps.update(s.pop("$defs", {}))
        comps[m.__name__] = s
    if app.state.chatocr.config.api_key:
        # Only the routes that check the key say so (health probes stay open), each with its 401.
        schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        for route in router.routes:  # this module's routes (app.routes holds the included router)
            deps = getattr(getattr(route, "dependant", None), "dependencies", [])
            if not any(d.call is require_api_key for d in deps):
                continue
            for method in route.methods:
                op = schema["paths"].get(route.path_format, {}).get(method.lower())
                if op is not None:
                    op["security"] = [{"bearer": []}]
                    op.setdefault("responses", {}).update(_errors(401))
    app.openapi_schema = schema
    return schema


# ---------------------------------------------------------------- routes

router = APIRouter()
_READYZ_503 = {503: {"description": "models still loading (Retry-After) or failed to load"}}


@router.get("/healthz", tags=["health"])
async def healthz():
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    tags=["health"],
    responses=_READYZ_503,
)
async def readyz(state: State):
    """200 when the models are loaded, 503 before (or when loading failed)."""
    if not state.ready.is_set():
        return JSONResponse(
            {"ready": False, "error": state.load_error},
            status_code=503,
            headers=None if state.load_error else {"Retry-After": "5"},
        )
    config = state.config
    main = state.pipelines[state.default_engine]
    return {
        "ready": True,
        "engines": list(state.pipelines),
        "default_engine": state.default_engine,
        "backend": state.backend_name,
        "load_s": round(state.load_s or 0.0, 2),
        "limits": {
            "max_upload_bytes": config.max_upload_bytes,
            "max_body_bytes": config.max_body_bytes,
            "max_fields": state.max_fields,
            "max_field_chars": MAX_FIELD_CHARS,
            "max_question_bytes": MAX_QUESTION_BYTES,
            "max_hint_bytes": MAX_HINT_BYTES,
            "max_hints_bytes": MAX_HINTS_BYTES,
            "max_pages": main.limits.max_pages,
            "max_pixels": main.limits.max_pixels,
            "max_total_pixels": main.limits.max_total_pixels,
            "timeout_s": config.timeout_s,
            "workers": config.workers,
            "max_queue": config.max_queue,
            "allow_url": config.allow_url,
        },
    }


# HEAD for probes that ask for the status only (the same answer without its body).
router.add_api_route("/healthz", healthz, methods=["HEAD"], tags=["health"], operation_id="healthz_head")
router.add_api_route(
    "/readyz", readyz, methods=["HEAD"], tags=["health"], operation_id="readyz_head", responses=_READYZ_503
)


@router.get("/v1/stats", tags=["health"], dependencies=[Authorized])
async def stats(state: State):
    """Worker pool counters (running, queued, peak admitted, rejected with 503 so far) and, under
    `connections`, the server's open connections and those it refused or cut."""
    out = state.pool.stats()
    if state.connections is not None:
        out["connections"] = state.connections.stats()
    return out


def page_indices(pages, max_pages: int):
    """The 0-based page indices of options.pages (a range string, one page number, or a list)."""
    return parse_pages([pages] if isinstance(pages, int) else pages, max_pages)


@router.post(
    "/v1/ocr",
    tags=["extraction"],
    dependencies=[Authorized],
    openapi_extra=body_doc(OcrRequest),
    response_model=OcrResponse,
)
async def ocr(request: Request, state: State):
    """OCR a document → the OcrResult (pages, lines with boxes and scores, timings)."""
    t0 = time.perf_counter()
    deadline = time.monotonic() + state.config.timeout_s
    req, data = await read_request(request, OcrRequest)
    pipe = state.pipeline(req.options.engine)
    pages = page_indices(req.options.pages, pipe.limits.max_pages)
    doc, name = await document_bytes(request, state, req, data, deadline)

    cancel = threading.Event()

    def work():
        return job_view(pipe, cancel).ocr(doc, name=name, page_range=pages)

    result = await until_client_leaves(request, state.run_job(work, deadline, cancel))
    out = result.model_dump(mode="json")
    out["timings"]["total_s"] = time.perf_counter() - t0
    return out


@router.post(
    "/v1/extract",
    tags=["extraction"],
    dependencies=[Authorized],
    openapi_extra=body_doc(ExtractRequest),
    response_model=ExtractResponse | PagesResponse,
)
async def extract(request: Request, state: State):
    """A document plus fields or a question → the Extraction (values, boxes, scores, timings)."""
    t0 = time.perf_counter()
    deadline = time.monotonic() + state.config.timeout_s
    req, data = await read_request(request, ExtractRequest)
    query = build_query(req, state.max_fields)
    pipe = state.pipeline(req.options.engine)
    if not pipe.has_llm:
        raise ApiError(503, "no_llm", "this server runs without an LLM backend; only /v1/ocr is available")
    pages = page_indices(req.options.pages, pipe.limits.max_pages)
    doc, name = await document_bytes(request, state, req, data, deadline)
    opts = req.options

    cancel = threading.Event()

    def work():
        view = job_view(pipe, cancel)
        run = view.run_pages if opts.per_page else view.run
        return run(
            doc,
            query,
            name=name,
            page_range=pages,
            strict=opts.strict,
            copy=opts.copy_values,
            repairs=opts.repairs,
        )

    res = await until_client_leaves(request, state.run_job(work, deadline, cancel))
    if opts.per_page:
        return _pages_answer(res, opts, t0)
    out = res.extraction.model_dump(mode="json")
    out["timings"]["total_s"] = time.perf_counter() - t0
    out["timings"]["queue_s"] = max(0.0, out["timings"]["total_s"] - res.extraction.timings["work_s"])
    if opts.include_ocr:
        out["ocr"] = res.ocr.model_dump(mode="json")
    return out


def _pages_answer(results, opts, t0: float) -> dict:
    """options.per_page: one answer per page under `pages`; timings of the whole request."""
    from ocr_stage import OcrResult

    pages = [{"page": r.ocr.pages[0].page, **r.extraction.model_dump(mode="json")} for r in results]
    work = sum(r.extraction.timings.get("work_s", 0.0) for r in results)
    total = time.perf_counter() - t0
    out: dict = {
        "pages": pages,
        "timings": {"work_s": work, "total_s": total, "queue_s": max(0.0, total - work)},
    }
    if opts.include_ocr and results:
        out["ocr"] = OcrResult(
            pages=[r.ocr.pages[0] for r in results], engine=results[0].ocr.engine
        ).model_dump(mode="json")
    return out
