"""`chatocr ocr`: the OCR stage alone."""

from __future__ import annotations

import json

import click

from .common import (
    check_pages,
    engine_option,
    existing_file,
    format_option,
    make_settings,
    ocr_rec_option,
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
@pages_option
@output_option()
@format_option(["text", "json"], "text")
@verbose_option
@user_errors
def ocr(file, engine, ocr_threads, ocr_rec_model, pages, output, fmt):
    """Run OCR on FILE (image or PDF) and print the text in reading order, or the OcrResult JSON
    (each page's `page` is its 1-based number in FILE)."""
    from ..pipeline import Pipeline

    page_range = check_pages(pages)
    settings = make_settings(ocr_engine=engine, ocr_threads=ocr_threads, ocr_rec_model=ocr_rec_model)
    pipe = Pipeline.from_settings(settings, load_llm=False)
    result = pipe.ocr(file, page_range=page_range)
    if fmt == "json":
        text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1)
    else:
        text = result.to_text()
    write_output(text, output)
