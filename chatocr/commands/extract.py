from __future__ import annotations

import csv
import io
import json

import click

from .common import (
    build_query,
    check_pages,
    copy_option,
    engine_option,
    existing_file,
    fields_option,
    format_option,
    llm_options,
    loading_status,
    make_settings,
    ocr_threads_option,
    output_option,
    pages_option,
    question_option,
    review_option,
    strict_option,
    user_errors,
    verbose_option,
    write_output,
)


@click.command()
@click.argument("file", type=existing_file())
@fields_option
@question_option
@llm_options
@strict_option
@review_option
@click.option(
    "--normalize",
    is_flag=True,
    default=False,
    envvar="CHATOCR_NORMALIZE",
    show_envvar=True,
    help="Fill each value's 'normalized' (ISO dates, plain amounts; null without this flag) and show "
    "it as a column in csv/table output.",
)
@copy_option
@engine_option
@ocr_threads_option
@pages_option
@output_option()
@format_option(["json", "csv", "table"], "json")
@verbose_option
@user_errors
def extract(
    file,
    fields,
    question,
    backend,
    model,
    base_url,
    llm_threads,
    strict,
    review_below,
    normalize,
    copy,
    engine,
    ocr_threads,
    pages,
    output,
    fmt,
):
    """Extract fields from FILE (image or PDF) as grounded JSON.

    The file, the fields and the page range are checked before anything loads, so a mistake is
    reported at once; the LLM then loads while OCR reads the document."""
    from ..pipeline import Pipeline

    query = build_query(fields, question)
    page_range = check_pages(pages)
    settings = make_settings(
        ocr_engine=engine,
        ocr_threads=ocr_threads,
        backend=backend,
        model=model,
        base_url=base_url,
        llm_threads=llm_threads,
        review_below=review_below,
    )
    pipe = Pipeline.from_settings(settings, lazy_llm=True, lazy_ocr=True)
    with loading_status():
        # once the document has decoded, the LLM loads on the other core while OCR reads it
        ocr = pipe.ocr(file, page_range=page_range, on_decoded=pipe.load_in_background)
        pipe.backend  # noqa: B018 (waits for the load; a loading error is raised here)
    result = pipe.run(ocr, query, strict=strict, normalize=normalize, copy=copy).extraction
    write_output(render(result, fmt, normalize=normalize), output)
    if result.error:
        click.echo(f"warning: {result.error}", err=True)


def _cell(v) -> str:
    if v is None:
        return ""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


FLAG_TEXT = {
    "all_null": "no field was found in the document",
    "identical_values": "every field has the same value (check the answer)",
    "printed_instructions": "the document prints instructions to an AI model; no value was taken from them",
}


def render(result, fmt: str, *, normalize: bool = False) -> str:
    if fmt == "json":
        return json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1)
    header = ["field", "value", "grounded", "page", "score", "confidence", "review"] + (
        ["normalized"] if normalize else []
    )
    rows = []
    for name, fv in result.fields.items():
        row = [
            name,
            _cell(fv.value),
            "yes" if fv.grounded else "no",
            "" if fv.page is None else str(fv.page),
            "" if fv.ocr_score is None else f"{fv.ocr_score:.2f}",
            "" if fv.confidence is None else f"{fv.confidence:.2f}",
            "check" if fv.needs_review else "",
        ]
        if normalize:
            row.append(_cell(fv.normalized))
        rows.append(row)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    t = result.timings
    if result.flags:
        lines.append("warning: " + ", ".join(FLAG_TEXT.get(f, f) for f in result.flags))
    lines.append(
        f"({result.backend}:{result.model}  ocr {t.get('ocr_s', 0):.1f}s  llm {t.get('llm_s', 0):.1f}s)"
    )
    return "\n".join(lines)


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, w: int) -> str:
    return s + " " * (w - _width(s))
