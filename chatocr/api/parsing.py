"""Reading a request: a JSON body or a multipart form into one request model, the document's bytes
(uploaded, base64 or downloaded), and the FieldQuery. Every malformed or over-limit request is one
ApiError here, raised before any model work starts."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import unicodedata
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from llm_stage.items import with_items_field
from llm_stage.types import MAX_FIELD_LIST_CHARS, FieldQuery, split_field_list

from ..errors import validation_text
from .errors import ApiError, BodyTooLarge, ClientGone
from .fetch import fetch_url_async
from .schemas import ExtractRequest, OcrRequest
from .state import ServerState

# The largest text field of a multipart form (fields, question, hints, pages); the file part is apart.
_MAX_FORM_PART_BYTES = 64 * 1024
# JSON bodies above this size are parsed on a thread, so a large upload does not stall the event loop.
_INLINE_JSON_BYTES = 64 * 1024
_B64_WHITESPACE = b" \t\r\n\v\f"


async def read_request(request: Request, model: type[OcrRequest]) -> tuple[OcrRequest, bytes | None]:
    """The request as `model`, and the uploaded file's bytes (None for base64 or a URL, read later)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        return await _read_form(request, model)
    if ctype in ("application/json", ""):
        return await _read_json(request, model), None
    raise ApiError(
        415,
        "unsupported_media_type",
        f"content type {ctype[:80]!r} is not supported; send application/json or multipart/form-data",
    )


# The form fields each route reads; any other name is refused (422 naming it).
_DOC_FORM = ("file", "url", "name")
_OPTION_FORM = ("options", "strict", "include_ocr", "copy", "per_page", "engine", "pages")
_QUERY_FORM = ("fields", "question", "hints", "repairs", "items")
# Form values that hold JSON (options, hints, a `fields` list) are checked for size and nesting before
# json.loads sees them: Python's parser recurses once per level.
MAX_FORM_JSON_BYTES = _MAX_FORM_PART_BYTES
MAX_FORM_JSON_DEPTH = 4


def form_names(model: type[OcrRequest]) -> tuple[str, ...]:
    """The form field names `model`'s route accepts."""
    return _DOC_FORM + _OPTION_FORM + (_QUERY_FORM if model is ExtractRequest else ())


def printable(text: str, limit: int = 200) -> str:
    """`text` for a message: control, format (bidi, zero-width) and other invisible characters
    replaced by '?', cut to `limit` characters."""
    out = "".join("?" if _invisible(ch) else ch for ch in str(text)[:limit])
    return out + ("…" if len(str(text)) > limit else "")


def _invisible(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or 0xFE00 <= ord(ch) <= 0xFE0F


def bounded_json(text: str, what: str, max_depth: int = MAX_FORM_JSON_DEPTH):
    """json.loads of a form value, after its size and its nesting depth (brackets outside strings)
    are checked: 422 naming the field past either, or when it is not JSON."""
    if len(text) > MAX_FORM_JSON_BYTES:
        raise ApiError(422, f"bad_{what}", f"form field {what!r} is over {MAX_FORM_JSON_BYTES:,} characters")
    depth = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                raise ApiError(
                    422, f"bad_{what}", f"form field {what!r} is nested deeper than {max_depth} levels"
                )
        elif ch in "]}":
            depth -= 1
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ApiError(422, f"bad_{what}", f"form field {what!r} is not valid JSON") from None


async def _read_form(request: Request, model: type[OcrRequest]) -> tuple[OcrRequest, bytes | None]:
    try:
        form = await request.form(max_files=1, max_fields=16, max_part_size=_MAX_FORM_PART_BYTES)
    except StarletteHTTPException as e:
        if "maximum size" in str(e.detail):
            raise ApiError(
                413,
                "payload_too_large",
                f"a form field is over the limit of {_MAX_FORM_PART_BYTES:,} bytes",
            ) from None
        raise ApiError(400, "bad_multipart", f"the multipart body cannot be parsed ({e.detail})") from None
    except (BodyTooLarge, ClientDisconnect):
        raise
    except Exception as e:
        raise ApiError(400, "bad_multipart", f"the multipart body cannot be parsed ({e})") from None
    allowed = form_names(model)
    unknown = sorted({k for k in form.keys() if k not in allowed})
    if unknown:
        raise ApiError(
            422,
            "unknown_form_field",
            f"unknown form field(s) {', '.join(repr(printable(k, 40)) for k in unknown[:8])}; "
            f"this route takes {', '.join(allowed)}",
        )
    for k in form.keys():
        if k != "fields" and len(form.getlist(k)) > 1:
            raise ApiError(422, "repeated_form_field", f"form field {k!r} is given more than once")
    upload = form.get("file")
    data = None
    doc: dict[str, Any] = {}
    if upload is not None and not isinstance(upload, str):
        data = await upload.read()
        doc["name"] = (upload.filename or "upload")[:300]
    elif isinstance(upload, str):
        raise ApiError(400, "bad_multipart", "form field 'file' must be a file upload")
    for k in ("url", "name"):
        v = form.get(k)
        if v is not None and not isinstance(v, str):
            raise ApiError(422, "bad_multipart", f"form field {k!r} must be text, not a file")
        if v:
            doc[k] = v
    if data is None and "url" not in doc:
        raise ApiError(400, "no_document", "no document: upload it as form field 'file' (or give 'url')")
    text = {k: v for k, v in form.multi_items() if k != "file" and isinstance(v, str)}
    if any(not isinstance(v, str) for k, v in form.multi_items() if k != "file"):
        raise ApiError(422, "bad_multipart", "only form field 'file' may be a file upload")
    opts: dict[str, Any] = {}
    if text.get("options", "").strip():
        opts = bounded_json(text["options"], "options")
        if not isinstance(opts, dict):
            raise ApiError(
                422, "bad_options", 'form field \'options\' must be a JSON object like {"pages": "1-2"}'
            )
    for k in ("strict", "include_ocr", "copy", "per_page", *(("items",) if model is ExtractRequest else ())):
        if k in text:
            _once(opts, k, _bool(text[k], k))
    for k in ("engine", "pages", "repairs"):
        if text.get(k):
            _once(opts, k, text[k])
    body: dict[str, Any] = {"document": doc, "options": opts}
    if model is ExtractRequest:
        # Every `fields` value counts (-F fields=a -F fields=b), each a name, a comma list or a JSON
        # list; they are joined in order.
        names = _form_fields([str(v) for v in form.getlist("fields") if str(v).strip()])
        if names is not None:
            body["fields"] = names
        if text.get("question"):
            body["question"] = text["question"]
        if text.get("hints", "").strip():
            body["hints"] = bounded_json(text["hints"], "hints", max_depth=1)
            if not isinstance(body["hints"], dict):
                raise ApiError(422, "bad_hints", "form field 'hints' must be a JSON object")
    try:
        req = model.model_validate(body)
    except ValidationError as e:
        raise invalid(e.errors()) from None
    return req, data


def invalid(errors: list) -> ApiError:
    """The 422 of a request that does not validate; `bad_pages` when only the page range is wrong
    (the code parse_pages' own errors have)."""
    on_pages = all(tuple(err.get("loc", ()))[:2] == ("options", "pages") for err in errors)
    return ApiError(422, "bad_pages" if errors and on_pages else "invalid_request", validation_text(errors))


def _once(opts: dict, key: str, value) -> None:
    """Put a form field's option into `opts`, refusing one that `options` already sets."""
    if key in opts or (key == "copy" and "copy_values" in opts):
        raise ApiError(
            422, "repeated_option", f"option {key!r} is given both in 'options' and as a form field"
        )
    opts[key] = value


async def _read_json(request: Request, model: type[OcrRequest]) -> OcrRequest:
    raw = await request.body()
    if not raw:
        raise ApiError(400, "no_body", "empty request: send JSON or multipart/form-data with a document")
    try:
        if len(raw) > _INLINE_JSON_BYTES:  # off the event loop: /healthz keeps answering
            req = await asyncio.to_thread(model.model_validate_json, raw)
        else:
            req = model.model_validate_json(raw)
    except ValidationError as e:
        errs = e.errors()
        if errs and errs[0].get("type") == "json_invalid":
            raise ApiError(400, "bad_json", f"the body is not valid JSON ({errs[0].get('msg')})") from None
        raise invalid(errs) from None
    finally:
        del raw
    if req.document.base64 is None and not req.document.url:
        raise ApiError(422, "no_document", "document needs 'base64' (or 'url')")
    return req  # base64 is decoded by document_bytes, after the cheap checks


def _bool(v: Any, name: str) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off", ""):
        return False
    raise ApiError(422, "bad_option", f"option {name!r} must be true or false, not {s[:40]!r}")


def _form_fields(values: list[str]) -> str | list | None:
    """The `fields` form values as one request value: None for none, the value itself for one, and
    for several a list of the names of each (split like the JSON body's string form)."""
    parsed: list = []
    for raw in values:
        if raw.lstrip().startswith("["):
            v = bounded_json(raw, "fields", max_depth=1)
            if not isinstance(v, list):
                raise ApiError(
                    422, "bad_fields", "form field 'fields' starts with '[' but is not a JSON list"
                )
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


def build_query(req: ExtractRequest, max_fields: int) -> FieldQuery:
    """The FieldQuery of a request; every query limit is one 422, checked before any work."""
    names = req.fields or []
    if isinstance(names, str):
        if len(names) > MAX_FIELD_LIST_CHARS:
            raise ApiError(
                422,
                "too_many_fields",
                f"the field list is {len(names):,} characters long; the limit is {MAX_FIELD_LIST_CHARS:,}",
            )
        names = split_field_list(names)
    if req.options.items:  # the added field counts against the limit like any other
        names = with_items_field(list(names))
    if len(names) > max_fields:  # counted before any name is normalised (repeats count too)
        raise ApiError(
            422, "too_many_fields", f"{len(names)} fields requested; this server's limit is {max_fields}"
        )
    return FieldQuery(fields=names, question=req.question, hints=req.hints)


# ---------------------------------------------------------------- the document's bytes


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


async def document_bytes(
    request: Request, state: ServerState, req: OcrRequest, data: bytes | None, deadline: float
) -> tuple[bytes, str]:
    """The document's bytes and name: the upload, the decoded base64, or the URL's download."""
    config = state.config
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
        return data, printable(req.document.name or "document", 300)
    url = req.document.url or ""
    if any(_invisible(ch) or ch.isspace() for ch in url):
        raise ApiError(400, "bad_url", f"the URL {printable(url)!r} contains spaces or control characters")
    if not config.allow_url:
        raise ApiError(
            400,
            "url_disabled",
            "fetching documents from URLs is disabled on this server; upload the file",
        )
    if state.fetching >= state.fetch_capacity:
        raise ApiError(
            503,
            "busy",
            f"{state.fetch_capacity} URL downloads are already running; retry shortly",
            {"Retry-After": "5"},
        )
    state.fetching += 1
    try:
        data = await until_client_leaves(
            request, fetch_url_async(url, state.url_policy, config.max_upload_bytes, deadline=deadline)
        )
    finally:
        state.fetching -= 1
    return data, printable(req.document.name or url, 300)


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
