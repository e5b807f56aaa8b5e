"""One table from exception type to what each front end says about it: the API's HTTP status and
error code, the CLI's one-line message, and whether an evaluation run can go on past it.

Looked up by type (the most specific registered class wins), never by class name or message text,
so a new exception is either in this table or a 500 / traceback that a test will notice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from llm_stage import BackendError, OutputInvalidError, QueryError, UnknownBackendError
from llm_stage.embedded import EmbeddedModelError
from ocr_stage import InputError, InputTooLarge, OcrEngineError, UnknownEngineError

from .settings import PageRangeError, TooManyPages


@dataclass(frozen=True)
class ErrorKind:
    status: int  # HTTP status of the API answer
    code: str  # the API's machine-readable `error`
    # "input": the request or document is at fault (the next one may succeed: an eval run records it
    # and goes on); "service": the model or engine cannot work at all (an eval run stops).
    scope: str = "input"
    prefix: str = ""  # put before the message, e.g. "the LLM backend failed: "

    def message(self, e: BaseException) -> str:
        return self.prefix + error_text(e)


def error_text(e: BaseException) -> str:
    """The exception's message; pydantic errors as 'loc: msg; …' without their URL boilerplate."""
    if isinstance(e, ValidationError):
        return validation_text(e.errors())
    return str(e)


def validation_text(errors: Sequence[Mapping]) -> str:
    """Pydantic (or FastAPI request) validation errors as 'loc: msg; …', the first five."""
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


# Order does not matter: lookup walks the exception's MRO, so a subclass entry beats its base.
ERRORS: dict[type[BaseException], ErrorKind] = {
    InputError: ErrorKind(422, "bad_document"),
    InputTooLarge: ErrorKind(413, "payload_too_large"),
    PageRangeError: ErrorKind(422, "bad_pages"),
    TooManyPages: ErrorKind(413, "too_many_pages"),
    QueryError: ErrorKind(422, "bad_query"),
    ValidationError: ErrorKind(422, "bad_query"),
    UnknownEngineError: ErrorKind(422, "unknown_engine"),
    OcrEngineError: ErrorKind(422, "engine", scope="service"),
    UnknownBackendError: ErrorKind(422, "unknown_backend", scope="service"),
    BackendError: ErrorKind(502, "llm_backend", scope="service", prefix="the LLM backend failed: "),
    EmbeddedModelError: ErrorKind(502, "llm_backend", scope="service", prefix="the LLM backend failed: "),
    OutputInvalidError: ErrorKind(502, "llm_backend", prefix="the LLM backend failed: "),
}


def register_error(exc: type[BaseException], kind: ErrorKind) -> None:
    """Add a front-end-specific exception (the API's fetch and pool errors, eval's file errors)."""
    ERRORS[exc] = kind


def kind_of(e: BaseException) -> ErrorKind | None:
    """The table entry for `e` (its most specific registered class), or None: not a user error."""
    for cls in type(e).__mro__:
        kind = ERRORS.get(cls)
        if kind is not None:
            return kind
    return None
