from __future__ import annotations

import json

import click

from .common import engine_option, pages_option, parse_pages, user_errors


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@engine_option
@pages_option
@click.option("-t", "--threads", type=int, default=0, envvar="CHATOCR_OCR_THREADS", help="CPU threads (0 = all).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@user_errors
def ocr(file, engine, pages, threads, fmt):
    """Run OCR on FILE (image or PDF) and print the text in reading order, or the OcrResult JSON."""
    from ocr_stage import get_engine, run_ocr

    opts = {"threads": threads} if engine == "rapid" and threads else {}
    result = run_ocr(file, get_engine(engine, **opts), page_range=parse_pages(pages))
    if fmt == "json":
        click.echo(json.dumps(result.model_dump(), ensure_ascii=False, indent=1))
    else:
        click.echo(result.to_text())
