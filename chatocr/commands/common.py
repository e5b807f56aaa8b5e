"""Options and error handling shared by the subcommands."""

from __future__ import annotations

import functools

import click

from ocr_stage import InputError, OcrEngineError, UnknownEngineError

from ..settings import PageRangeError, Settings
from ..settings import parse_pages as shared_parse_pages


def user_errors(fn):
    """Turn errors about the user's input into a one-line `Error: …` instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except (InputError, OcrEngineError, UnknownEngineError) as e:
            raise click.ClickException(str(e)) from None
        except ValueError as e:  # pydantic / query errors carry a readable message
            if type(e).__name__ in ("QueryError", "ValidationError", "UnknownBackendError", "BackendError"):
                raise click.ClickException(str(e)) from None
            raise

    return wrapper


def parse_pages(spec: str | None, max_pages: int | None = None) -> list[int] | None:
    """'1-3,5' (1-based, inclusive) -> [0, 1, 2, 4]: the API's parser (chatocr.settings.parse_pages),
    checked against `max_pages` (default: the pipeline's, CHATOCR_MAX_PAGES)."""
    if max_pages is None:
        max_pages = Settings().max_pages
    try:
        return shared_parse_pages(spec, max_pages)
    except PageRangeError as e:
        raise click.BadParameter(str(e), param_hint="'--pages'") from None


engine_option = click.option(
    "-e",
    "--engine",
    envvar="CHATOCR_OCR_ENGINE",
    default="rapid",
    show_default=True,
    help="OCR engine: rapid (CPU, shipped PP-OCR ONNX models) or paddle (PaddleOCR).",
)
pages_option = click.option("-p", "--pages", default=None, help="Page range, 1-based, e.g. '1-3,5'.")
