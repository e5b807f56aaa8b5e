"""The HTTP API (FastAPI). The pipeline is built once at start-up; requests share no mutable state:
every request's document, OCR result and answer live only in that request's own objects."""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import json
import logging
import secrets
import threading
import time
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from llm_stage.types import (
    MAX_FIELD_CHARS,
    MAX_FIELD_LIST_CHARS,
    MAX_FIELDS,
    MAX_HINT_BYTES,
    MAX_HINTS_BYTES,
    MAX_QUESTION_BYTES,
    Extraction,
)
from ocr_stage import OcrResult

from ..errors import ERRORS, ErrorKind, kind_of, register_error
from ..settings import Settings
from ..settings import parse_pages as shared_parse_pages
from .config import ApiConfig
from .docs import mount_docs
from .fetch import FetchTimeout, UrlPolicy, UrlRefused, fetch_url_async
from .work import Busy, JobTimeout, WorkPool

log = logging.getLogger("chatocr.api")

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


# ---------------------------------------------------------------- answers (typed, so /openapi.json documents them)


class Timings(BaseModel):
    """Seconds per stage (and token counts); more keys may appear, all numbers."""

    model_config = ConfigDict(extra="allow")
    ocr_s: float | None = Field(default=None, description="decoding + OCR")
    llm_s: float | None = Field(default=None, description="the LLM stage, retries included")
    total_s: float | None = Field(default=None, description="the whole request on the server")
    queue_s: float | None = Field(default=None, description="waiting for a worker")


class OcrResponse(OcrResult):
    """The OcrResult: pages (1-based `page` of the source document), lines with boxes and scores."""


class ExtractResponse(Extraction):
    """The Extraction: exactly the requested fields in order, each with its value and the OCR evidence
    (`page` is the 1-based page of the source document, `box` four points in that page's pixels)."""

    ocr: OcrResult | None = Field(default=None, description="with options.include_ocr: the OcrResult")


class ErrorResponse(BaseModel):
    error: str = Field(description="machine-readable code, e.g. bad_document, too_many_pages, busy")
    message: str = Field(description="what was wrong, in one line")


# ---------------------------------------------------------------- errors

ERROR_RESPONSES = {
    400: "malformed request",
    401: "API key missing or wrong",
    413: "request body, document or page range over a limit",
    422: "the document or query cannot be used (including too many fields, over-long hints or "
    "question, repeated or control-character field names); the message says why",
    502: "the LLM backend failed",
    503: "queue full (see Retry-After) or models still loading",
    504: "processing (or the URL download) took longer than the per-request limit",
}

# The API's own exceptions join the one error table (chatocr.errors) that the CLI and eval use.
register_error(UrlRefused, ErrorKind(400, "refused"))
register_error(FetchTimeout, ErrorKind(504, "fetch_timeout"))


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class BodyTooLarge(Exception):
    pass


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _validation_message(errors) -> str:
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body",))
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc or 'body'}: {msg}" if loc else msg)
    return "; ".join(parts)


class LimitBody:
    """ASGI middleware: stop reading a request body past `limit` bytes (413), whatever its framing."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > self.limit:
                resp = _error(
                    413,
                    "payload_too_large",
                    f"request body is {int(v):,} bytes, over the limit of {self.limit:,}",
                )
                return await resp(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return msg

        return await self.app(scope, limited, send)


# ---------------------------------------------------------------- parsing


def parse_pages(spec: str | list[int] | None, max_pages: int) -> list[int] | None:
    """'1-3,5' or [1, 2] (1-based) -> 0-based indices (chatocr.settings.parse_pages, the CLI's parser
    too): PageRangeError (422) when malformed, TooManyPages (413) past `max_pages`, via the error table."""
    return shared_parse_pages(spec, max_pages)


def _bool(v: Any, name: str) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off", ""):
        return False
    raise ApiError(422, "bad_option", f"option {name!r} must be true or false, not {s[:40]!r}")


_B64_WHITESPACE = b" \t\r\n\v\f"


def _decode_b64(s: str, max_bytes: int) -> bytes:
    """Standard base64, optionally as a data URL; line breaks and other whitespace are ignored
    (`base64` wraps at 76 columns). Sized before decoding: 413 past `max_bytes`."""
    s = s.strip()
    if s.startswith("data:") and "," in s[:200]:  # data URL from a browser
        s = s.split(",", 1)[1]
    try:
        raw = s.encode("ascii")
    except UnicodeEncodeError:
        raise ApiError(
            400, "bad_base64", "document.base64 is not valid base64 (non-ASCII characters)"
        ) from None
    raw = raw.translate(None, _B64_WHITESPACE)
    if len(raw) * 3 // 4 > max_bytes + 3:
        raise ApiError(413, "payload_too_large", f"document is over the limit of {max_bytes:,} bytes")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "bad_base64", "document.base64 is not valid base64") from None


def _form_fields(values: list[str]) -> str | list | None:
    """The `fields` form values as one request value: None for none, the value itself for one, and
    for several a list of the names of each (split like the JSON body's string form)."""
    from llm_stage.types import split_field_list

    parsed: list = []
    for raw in values:
        if raw.lstrip().startswith("["):
            try:
                v = json.loads(raw)
            except json.JSONDecodeError:
                raise ApiError(
                    422, "bad_fields", "form field 'fields' starts with '[' but is not a JSON list"
                ) from None
        else:
            v = raw
        parsed.append(v)
    if not parsed:
        return None
    if len(parsed) == 1:
        return parsed[0]
    if sum(len(v) for v in parsed if isinstance(v, str)) > MAX_FIELD_LIST_CHARS:
        raise ApiError(
            422, "too_many_fields", f"the field lists are over {MAX_FIELD_LIST_CHARS:,} characters together"
        )
    names: list = []
    for v in parsed:
        names.extend(split_field_list(v) if isinstance(v, str) else v if isinstance(v, list) else [v])
    return names


# The largest text field of a multipart form (fields, question, hints, pages); the file part is apart.
_MAX_FORM_PART_BYTES = 64 * 1024
# JSON bodies above this size are parsed on a thread, so a large upload does not stall the event loop.
_INLINE_JSON_BYTES = 64 * 1024


class ClientGone(Exception):
    """The client closed the connection while the server was still working for it."""


async def until_client_leaves(request: Request, work):
    """Await the coroutine `work`, cancelling it (and raising ClientGone) if the client disconnects."""
    task = asyncio.ensure_future(work)

    async def watch():
        while not await request.is_disconnected():
            await asyncio.sleep(0.2)

    watcher = asyncio.ensure_future(watch())
    try:
        done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (task, watcher):
            if not t.done():
                t.cancel()
    if task in done:
        return task.result()
    await asyncio.gather(task, return_exceptions=True)  # let the download close its connection
    raise ClientGone()


# ---------------------------------------------------------------- the app


class ServerState:
    """What is built once per process: pipelines per OCR engine (sharing one LLM backend), the pool."""

    def __init__(self, settings: Settings, config: ApiConfig, load_llm: bool, pipeline=None):
        self.settings, self.config, self.load_llm = settings, config, load_llm
        self.pool = WorkPool(config.workers, config.max_queue)
        self.pipelines: dict[str, Any] = {}
        self.ready = threading.Event()
        self.load_error: str | None = None
        self.load_s: float | None = None
        self.backend_name: str | None = None
        self._given = pipeline

    def load(self) -> None:
        from ocr_stage import get_engine

        from ..pipeline import Pipeline

        t0 = time.perf_counter()
        try:
            main = self._given or Pipeline.from_settings(self.settings, load_llm=self.load_llm)
            limits = dataclasses.replace(main.limits, max_bytes=self.config.max_upload_bytes)
            main.limits = limits
            pipes = {main.ocr_engine.name: main}
            for name in self.config.extra_engines:
                if name not in pipes:
                    eng = get_engine(name)
                    pipes[eng.name] = Pipeline(eng, main.backend, limits)
            self.pipelines = pipes
            self.default_engine = main.ocr_engine.name
            # named once here, off the event loop (under Ray Serve the name comes from a deployment)
            backend = main.backend
            self.backend_name = (
                getattr(backend, "name", type(backend).__name__) if backend is not None else None
            )
            self.load_s = time.perf_counter() - t0
            self.ready.set()
            log.info("chatocr models loaded in %.1f s: engines=%s", self.load_s, list(pipes))
        except Exception as e:  # surfaced by /readyz; the process keeps answering /healthz
            self.load_error = f"{type(e).__name__}: {e}"
            log.exception("chatocr: loading models failed")

    def pipeline(self, engine: str | None):
        if not self.ready.is_set():
            if self.load_error:
                raise ApiError(503, "not_ready", f"models failed to load: {self.load_error}")
            raise ApiError(503, "not_ready", "models are still loading; retry shortly", {"Retry-After": "5"})
        name = engine or self.default_engine
        p = self.pipelines.get(name)
        if p is None:
            raise ApiError(
                422,
                "unknown_engine",
                f"OCR engine {name!r} is not loaded on this server; available: {', '.join(self.pipelines)}",
            )
        return p


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
    settings = settings or Settings()
    config = config or ApiConfig()
    state = ServerState(settings, config, load_llm, pipeline)
    url_policy = UrlPolicy(allow=config.allowed_networks(), timeout_s=config.timeout_s)

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
        version="0.1.0",
        description="Key-information extraction from document images: PP-OCR text + an LLM → grounded JSON.",
        lifespan=lifespan,
        docs_url=None,  # served by mount_docs from local assets (works offline)
        redoc_url=None,
    )
    app.state.chatocr = state
    mount_docs(app)

    # ------------------------------------------------------------ error handlers
    @app.exception_handler(ApiError)
    async def _api_error(request, e: ApiError):
        return _error(e.status, e.code, e.message, e.headers)

    @app.exception_handler(ClientGone)
    async def _client_gone(request, e):
        log.info("client left during %s; its work was cancelled", request.url.path)
        return _error(499, "client_closed_request", "the client closed the connection")

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request, e):
        return _error(
            413, "payload_too_large", f"request body is over the limit of {config.max_body_bytes:,} bytes"
        )

    @app.exception_handler(RequestValidationError)
    async def _req_validation(request, e: RequestValidationError):
        return _error(422, "invalid_request", _validation_message(e.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_exc(request, e: StarletteHTTPException):
        code = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(
            e.status_code, "error"
        )
        return _error(e.status_code, code, str(e.detail), getattr(e, "headers", None))

    async def _by_table(request, e: Exception):
        kind = kind_of(e)  # the one error table: document, query, pages, engine, backend errors
        if kind is None:
            return await _unexpected(request, e)
        if kind.scope == "service":
            log.warning("%s on %s: %s", type(e).__name__, request.url.path, e)
        return _error(kind.status, kind.code, kind.message(e))

    for exc_type in ERRORS:  # every type of the table, so each is answered, not re-raised as a 500
        app.add_exception_handler(exc_type, _by_table)

    @app.exception_handler(Exception)
    async def _unexpected(request, e: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return _error(500, "internal", "internal error; the server log has the details")

    # ------------------------------------------------------------ auth
    def check_auth(request: Request) -> None:
        if not config.api_key:
            return
        got = request.headers.get("authorization", "")
        scheme, _, token = got.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            token.strip().encode(), config.api_key.encode()
        ):
            raise ApiError(
                401,
                "unauthorized",
                "missing or wrong API key: send 'Authorization: Bearer <key>'",
                {"WWW-Authenticate": "Bearer"},
            )

    # ------------------------------------------------------------ reading a request
    async def read_request(request: Request, model: type[OcrRequest]) -> tuple[OcrRequest, bytes | None]:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            try:
                form = await request.form(max_files=1, max_fields=16, max_part_size=_MAX_FORM_PART_BYTES)
            except StarletteHTTPException as e:
                if "maximum size" in str(e.detail):
                    raise ApiError(
                        413,
                        "payload_too_large",
                        f"a form field is over the limit of {_MAX_FORM_PART_BYTES:,} bytes",
                    ) from None
                raise
            except BodyTooLarge:
                raise
            except Exception as e:
                raise ApiError(400, "bad_multipart", f"the multipart body cannot be parsed ({e})") from None
            upload = form.get("file")
            data = None
            doc: dict[str, Any] = {}
            if upload is not None and not isinstance(upload, str):
                data = await upload.read()
                doc["name"] = (upload.filename or "upload")[:300]
            elif isinstance(upload, str):
                raise ApiError(400, "bad_multipart", "form field 'file' must be a file upload")
            if form.get("url"):
                doc["url"] = str(form.get("url"))
            if data is None and "url" not in doc:
                raise ApiError(
                    400, "no_document", "no document: upload it as form field 'file' (or give 'url')"
                )
            opts: dict[str, Any] = {}
            for k in ("strict", "include_ocr", "copy"):
                if form.get(k) is not None:
                    opts[k] = _bool(form.get(k), k)
            for k in ("engine", "pages"):
                if form.get(k):
                    opts[k] = str(form.get(k))
            body: dict[str, Any] = {"document": doc, "options": opts}
            if model is ExtractRequest:
                # Every `fields` value counts (-F fields=a -F fields=b), each a name, a comma list or
                # a JSON list; they are joined in order.
                names = _form_fields([str(v) for v in form.getlist("fields") if str(v).strip()])
                if names is not None:
                    body["fields"] = names
                if form.get("question"):
                    body["question"] = str(form.get("question"))
                if form.get("hints"):
                    try:
                        body["hints"] = json.loads(str(form.get("hints")))
                    except json.JSONDecodeError:
                        raise ApiError(422, "bad_hints", "form field 'hints' must be a JSON object") from None
            try:
                req = model.model_validate(body)
            except ValidationError as e:
                raise ApiError(422, "invalid_request", _validation_message(e.errors())) from None
            return req, data
        if ctype in ("application/json", ""):
            raw = await request.body()
            if not raw:
                raise ApiError(
                    400, "no_body", "empty request: send JSON or multipart/form-data with a document"
                )
            try:
                if len(raw) > _INLINE_JSON_BYTES:  # off the event loop: /healthz keeps answering
                    req = await asyncio.to_thread(model.model_validate_json, raw)
                else:
                    req = model.model_validate_json(raw)
            except ValidationError as e:
                errs = e.errors()
                if errs and errs[0].get("type") == "json_invalid":
                    raise ApiError(
                        400, "bad_json", f"the body is not valid JSON ({errs[0].get('msg')})"
                    ) from None
                raise ApiError(422, "invalid_request", _validation_message(errs)) from None
            finally:
                del raw
            if req.document.base64 is None and not req.document.url:
                raise ApiError(422, "no_document", "document needs 'base64' (or 'url')")
            return req, None  # base64 is decoded by document_bytes, after the cheap checks
        raise ApiError(
            415,
            "unsupported_media_type",
            f"content type {ctype[:80]!r} is not supported; send application/json or multipart/form-data",
        )

    fetching = {"now": 0}
    fetch_capacity = config.workers + config.max_queue

    async def document_bytes(
        request: Request, req: OcrRequest, data: bytes | None, deadline: float
    ) -> tuple[bytes, str]:
        if data is None and req.document.base64 is not None:
            b64 = req.document.base64
            if len(b64) > _INLINE_JSON_BYTES:
                data = await asyncio.to_thread(_decode_b64, b64, config.max_upload_bytes)
            else:
                data = _decode_b64(b64, config.max_upload_bytes)
        if data is not None:
            if len(data) > config.max_upload_bytes:
                raise ApiError(
                    413,
                    "payload_too_large",
                    f"document is {len(data):,} bytes, over the limit of {config.max_upload_bytes:,}",
                )
            return data, req.document.name or "document"
        url = req.document.url or ""
        if not config.allow_url:
            raise ApiError(
                400,
                "url_disabled",
                "fetching documents from URLs is disabled on this server; upload the file",
            )
        if fetching["now"] >= fetch_capacity:
            raise ApiError(
                503,
                "busy",
                f"{fetch_capacity} URL downloads are already running; retry shortly",
                {"Retry-After": "5"},
            )
        fetching["now"] += 1
        try:
            data = await until_client_leaves(
                request, fetch_url_async(url, url_policy, config.max_upload_bytes, deadline=deadline)
            )
        finally:
            fetching["now"] -= 1
        return data, req.document.name or url[:300]

    max_fields = min(config.max_fields, MAX_FIELDS)

    def build_query(req: ExtractRequest):
        """The FieldQuery of a request; every query limit is one 422, checked before any work."""
        from llm_stage import FieldQuery
        from llm_stage.types import split_field_list

        names = req.fields or []
        if isinstance(names, str):
            if len(names) > MAX_FIELD_LIST_CHARS:
                raise ApiError(
                    422,
                    "too_many_fields",
                    f"the field list is {len(names):,} characters long; the limit is {MAX_FIELD_LIST_CHARS:,}",
                )
            names = split_field_list(names)
        if len(names) > max_fields:  # counted before any name is normalised (repeats count too)
            raise ApiError(
                422, "too_many_fields", f"{len(names)} fields requested; this server's limit is {max_fields}"
            )
        return FieldQuery(fields=names, question=req.question, hints=req.hints)

    async def run_job(fn, deadline: float):
        """`fn` on a worker; its own errors reach the error table through the app's handler."""
        try:
            return await state.pool.run(fn, timeout=max(0.001, deadline - time.monotonic()))
        except Busy as e:
            raise ApiError(503, "busy", str(e), {"Retry-After": str(e.retry_after)}) from None
        except JobTimeout as e:
            raise ApiError(504, "timeout", f"{e}; try a smaller document or fewer pages") from None

    # ------------------------------------------------------------ routes
    def body_doc(model: type[BaseModel]) -> dict:
        ref = {"$ref": f"#/components/schemas/{model.__name__}"}
        form_props = {
            "file": {"type": "string", "format": "binary", "description": "the image or PDF"},
            "url": {"type": "string"},
            "strict": {"type": "boolean"},
            "include_ocr": {"type": "boolean"},
            "copy": {"type": "boolean"},
            "engine": {"type": "string"},
            "pages": {"type": "string", "example": "1-2"},
        }
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
                    "hints": {"type": "string", "description": "JSON object: field -> hint"},
                }
            )
        return {
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ref},
                    "multipart/form-data": {"schema": {"type": "object", "properties": form_props}},
                },
            },
            "responses": {
                str(code): {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
                    },
                }
                for code, text in ERROR_RESPONSES.items()
            },
        }

    @app.get("/healthz", tags=["health"])
    async def healthz():
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz():
        """200 when the models are loaded, 503 before (or when loading failed)."""
        if not state.ready.is_set():
            return JSONResponse(
                {"ready": False, "error": state.load_error},
                status_code=503,
                headers=None if state.load_error else {"Retry-After": "5"},
            )
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
                "max_fields": max_fields,
                "max_field_chars": MAX_FIELD_CHARS,
                "max_question_bytes": MAX_QUESTION_BYTES,
                "max_hint_bytes": MAX_HINT_BYTES,
                "max_hints_bytes": MAX_HINTS_BYTES,
                "max_pages": main.limits.max_pages,
                "max_pixels": main.limits.max_pixels,
                "timeout_s": config.timeout_s,
                "workers": config.workers,
                "max_queue": config.max_queue,
                "allow_url": config.allow_url,
            },
        }

    @app.get("/v1/stats", tags=["health"])
    async def stats(request: Request):
        """Worker pool counters: running, queued, peak admitted, rejected (503) so far."""
        check_auth(request)
        return state.pool.stats()

    @app.post("/v1/ocr", tags=["extraction"], openapi_extra=body_doc(OcrRequest), response_model=OcrResponse)
    async def ocr(request: Request):
        """OCR a document → the OcrResult (pages, lines with boxes and scores, timings)."""
        check_auth(request)
        t0 = time.perf_counter()
        deadline = time.monotonic() + config.timeout_s
        req, data = await read_request(request, OcrRequest)
        pipe = state.pipeline(req.options.engine)
        pages = parse_pages(req.options.pages, pipe.limits.max_pages)
        doc, name = await document_bytes(request, req, data, deadline)

        def work():
            return pipe.ocr(doc, name=name, page_range=pages)

        result = await run_job(work, deadline)
        out = result.model_dump(mode="json")
        out["timings"]["total_s"] = time.perf_counter() - t0
        return out

    @app.post(
        "/v1/extract",
        tags=["extraction"],
        openapi_extra=body_doc(ExtractRequest),
        response_model=ExtractResponse,
    )
    async def extract(request: Request):
        """A document plus fields or a question → the Extraction (values, boxes, scores, timings)."""
        check_auth(request)
        t0 = time.perf_counter()
        deadline = time.monotonic() + config.timeout_s
        req, data = await read_request(request, ExtractRequest)
        query = build_query(req)
        pipe = state.pipeline(req.options.engine)
        if not pipe.has_llm:
            raise ApiError(
                503, "no_llm", "this server runs without an LLM backend; only /v1/ocr is available"
            )
        pages = parse_pages(req.options.pages, pipe.limits.max_pages)
        doc, name = await document_bytes(request, req, data, deadline)
        opts = req.options

        def work():
            return pipe.run(
                doc, query, name=name, page_range=pages, strict=opts.strict, copy=opts.copy_values
            )

        res = await run_job(work, deadline)
        out = res.extraction.model_dump(mode="json")
        out["timings"]["total_s"] = time.perf_counter() - t0
        out["timings"]["queue_s"] = max(0.0, out["timings"]["total_s"] - res.extraction.timings["work_s"])
        if opts.include_ocr:
            out["ocr"] = res.ocr.model_dump(mode="json")
        return out

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        for m in (DocumentIn, Options, OcrRequest, ExtractRequest, ErrorResponse):
            s = m.model_json_schema(ref_template="#/components/schemas/{model}")
            comps.update(s.pop("$defs", {}))
            comps[m.__name__] = s
        if config.api_key:
            schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
    app.add_middleware(LimitBody, limit=config.max_body_bytes)
    return app
