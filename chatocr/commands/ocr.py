"""`chatocr ocr`: the OCR stage alone."""

from __future__ import annotations

import json

import click

from .common import (
    check_pages,
    command_settings,
    engine_option,
    existing_file,
    format_option,
    ocr_rec_option,
    ocr_reread_option,
    ocr_threads_option,
    output_option,
    pages_option,
    user_errors,
    verbose_option,
    write_output,
)


@click.command()
@click.argument("file", type=existing_file())
@engine_option
@ocr_threads_option
@ocr_rec_option
@ocr_reread_option
@pages_option
@output_option()
@format_option(["text", "json"], "text")
@verbose_option
@user_errors
def ocr(file, pages, output, fmt, **_settings):
    """Run OCR on FILE (image or PDF) and print the text in reading order (each page under a
    `--- page N ---` line when there are several), or the OcrResult JSON (each page's `page` is its
    1-based number in FILE)."""
    from ..pipeline import Pipeline

    page_range = check_pages(pages)
    pipe = Pipeline.from_settings(command_settings(), load_llm=False)
    result = pipe.ocr(file, page_range=page_range)
    if fmt == "json":
        text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1)
    else:
        text = page_text(result)
    write_output(text, output)


def page_text(result) -> str:
    """The text in reading order; a document of several pages with a `--- page N ---` line above each."""
    from ocr_stage import OcrResult

    if len(result.pages) < 2:
        return str(result.to_text())
    return "\n\n".join(
        f"--- page {p.page} ---\n" + str(OcrResult(pages=[p], engine=result.engine).to_text())
        for p in result.pages
    )
