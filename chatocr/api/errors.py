"""How the API answers errors: every failure is one JSON body `{"error": code, "message": text}` with
its status, whether raised as ApiError, found in the one error table (chatocr.errors), or raised by
FastAPI / Starlette themselves."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from ..errors import ERRORS, kind_of, validation_text

log = logging.getLogger("chatocr.api")

# What each error status means, for /openapi.json (the body is always ErrorResponse). The server
# itself also answers 408 (headers not in within --header-timeout), 431 (headers over
# --max-header-kb) and 503 (too many open connections) before a route runs.
ERROR_RESPONSES = {
    400: "malformed request (body, multipart, base64, URL)",
    401: "API key missing or wrong (only when the server has a key)",
    413: "request body, document, decoded pixels or page range over a limit",
    415: "content type other than application/json or multipart/form-data",
    422: "the document or query cannot be used (unknown form fields, malformed options, too many "
    "fields, over-long hints or question, repeated, look-alike or invisible-character field names, "
    "pages that are not page numbers); the message says why",
    502: "the LLM backend failed",
    503: "queue full or too many open connections (see Retry-After), or models still loading",
    504: "processing (or the URL download) took longer than the per-request limit",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class BodyTooLarge(Exception):
    """The request body went past the limit while it was being read (see LimitBody)."""


class ClientGone(Exception):
    """The client closed the connection while the server was still working for it."""


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


class LimitBody:
    """ASGI middleware: stop reading a request body past `limit` bytes (413), whatever its framing."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > self.limit:
                resp = error_response(
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


# ---------------------------------------------------------------- handlers


async def _api_error(request: Request, e: ApiError):
    return error_response(e.status, e.code, e.message, e.headers)


async def _client_gone(request: Request, e: ClientGone):
    log.info("client left during %s; its work was cancelled", request.url.path)
    return error_response(499, "client_closed_request", "the client closed the connection")


async def _too_large(request: Request, e: BodyTooLarge):
    limit = request.app.state.chatocr.config.max_body_bytes
    return error_response(413, "payload_too_large", f"request body is over the limit of {limit:,} bytes")


async def _request_validation(request: Request, e: RequestValidationError):
    return error_response(422, "invalid_request", validation_text(e.errors()))


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}


async def _http_exception(request: Request, e: StarletteHTTPException):
    code = _HTTP_CODES.get(e.status_code, "error")
    return error_response(e.status_code, code, str(e.detail), getattr(e, "headers", None))


async def _by_table(request: Request, e: Exception):
    kind = kind_of(e)  # the one error table: document, query, pages, engine, backend errors
    if kind is None:
        return await _unexpected(request, e)
    if kind.scope == "service":
        log.warning("%s on %s: %s", type(e).__name__, request.url.path, e)
    return error_response(kind.status, kind.code, kind.message(e))


async def _unexpected(request: Request, e: Exception):
    log.exception("unhandled error on %s", request.url.path)
    return error_response(500, "internal", "internal error; the server log has the details")


def add_error_handlers(app: FastAPI) -> None:
    """Answer every exception as an ErrorResponse: ours, the error table's, FastAPI's, and a 500 for the rest."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(ClientGone, _client_gone)
    # the body stopped arriving (the client left, or the server cut a body past its deadline)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(BodyTooLarge, _too_large)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    for exc_type in ERRORS:  # every type of the table, so each is answered, not re-raised as a 500
        app.add_exception_handler(exc_type, _by_table)
    app.add_exception_handler(Exception, _unexpected)
