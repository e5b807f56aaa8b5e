"""Options and error handling shared by the subcommands."""

from __future__ import annotations

import functools

import click

from ocr_stage import InputError, OcrEngineError, UnknownEngineError


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


def parse_pages(spec: str | None) -> list[int] | None:
    """'1-3,5' (1-based, inclusive) -> [0, 1, 2, 4]."""
    if not spec:
        return None
    out: list[int] = []
    try:
        for part in spec.split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                out.extend(range(int(a) - 1, int(b)))
            elif part:
                out.append(int(part) - 1)
    except ValueError:
        raise click.BadParameter(f"page range {spec!r} is not like '1-3,5'") from None
    if not out or min(out) < 0:
        raise click.BadParameter(f"page range {spec!r}: pages start at 1")
    return out


engine_option = click.option(
    "-e", "--engine", envvar="CHATOCR_OCR_ENGINE", default="rapid", show_default=True,
    help="OCR engine: rapid (CPU, shipped PP-OCR ONNX models) or paddle (PaddleOCR).",
)
pages_option = click.option("-p", "--pages", default=None, help="Page range, 1-based, e.g. '1-3,5'.")
