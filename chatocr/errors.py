"""One table from exception type to what each front end says about it: the API's HTTP status and
error code, the CLI's one-line message, and whether an evaluation run can go on past it.

Looked up by type (the most specific listed class wins), never by message text, so a new exception
is either in this table or a 500 / traceback that a test will notice. The table is complete when this
module is imported: nothing registers into it later, so no answer depends on what was imported first.
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

# The front ends' own exceptions (the API's URL download, eval's files, fine-tuning, batch outputs),
# named by module and class so that this table needs none of those modules imported (the API's needs
# FastAPI): every entry is here, whatever has been imported. tests/test_errors.py checks that each
# name is an exception class.
FRONT_END_ERRORS: dict[str, ErrorKind] = {
    "chatocr.api.fetch.UrlRefused": ErrorKind(400, "refused"),
    "chatocr.api.fetch.FetchTimeout": ErrorKind(504, "fetch_timeout"),
    "chatocr.evaluation.dataset.DatasetError": ErrorKind(422, "bad_dataset"),
    "chatocr.evaluation.report.ResultFileError": ErrorKind(422, "bad_result_file"),
    "chatocr.training.xtuner.FinetuneError": ErrorKind(
        500, "finetune", scope="service", prefix="fine-tuning failed: "
    ),
    "chatocr.batch.sinks.SinkError": ErrorKind(422, "bad_output"),
}


def kind_of(e: BaseException) -> ErrorKind | None:
    """The table entry for `e` (its most specific listed class), or None: not a user error."""
    for cls in type(e).__mro__:
        kind = ERRORS.get(cls) or FRONT_END_ERRORS.get(f"{cls.__module__}.{cls.__qualname__}")
        if kind is not None:
            return kind
    return None
