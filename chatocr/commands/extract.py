from __future__ import annotations

import csv
import io
import json

import click

from .common import engine_option, pages_option, parse_pages, user_errors


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-f", "--field", "field_list", multiple=True, help="A field to extract (repeatable).")
@click.option(
    "-F",
    "--fields",
    "fields_csv",
    default=None,
    envvar="CHATOCR_FIELDS",
    help="Comma-separated field names, e.g. '发票号码,开票日期,价税合计'.",
)
@click.option(
    "-q", "--question", default=None, help="A question about the document (answered as field 'answer')."
)
@click.option(
    "-b",
    "--backend",
    default=None,
    envvar="CHATOCR_BACKEND",
    help="LLM backend: transformers (default, embedded CPU model), lmdeploy, openai.",
)
@click.option(
    "-m",
    "--model",
    default=None,
    envvar="CHATOCR_MODEL",
    help="Model: local HF dir, LoRA adapter dir or 'embedded' (transformers); model name (openai, lmdeploy).",
)
@click.option(
    "-u", "--base-url", default=None, envvar="CHATOCR_LLM_BASE_URL", help="OpenAI-compatible server URL."
)
@click.option(
    "-s",
    "--strict",
    is_flag=True,
    default=False,
    envvar="CHATOCR_STRICT",
    help="Null every value that cannot be found in the OCR text.",
)
@click.option(
    "-n",
    "--normalize",
    is_flag=True,
    default=False,
    envvar="CHATOCR_NORMALIZE",
    help="Also give normalised values (ISO dates, plain amounts).",
)
@engine_option
@pages_option
@click.option(
    "-t", "--threads", type=int, default=None, envvar="CHATOCR_LLM_THREADS", help="LLM CPU threads."
)
@click.option(
    "-o", "--format", "fmt", type=click.Choice(["json", "csv", "table"]), default="json", show_default=True
)
@user_errors
def extract(
    file,
    field_list,
    fields_csv,
    question,
    backend,
    model,
    base_url,
    strict,
    normalize,
    engine,
    pages,
    threads,
    fmt,
):
    """Extract fields from FILE (image or PDF) as grounded JSON."""
    from llm_stage import BackendError, FieldQuery, split_field_list

    from ..pipeline import Pipeline
    from ..settings import Settings

    names = list(field_list) + (split_field_list(fields_csv) if fields_csv else [])
    try:
        query = FieldQuery(fields=names, question=question)
    except ValueError as e:  # QueryError, raised inside pydantic validation
        msgs = [err["msg"].removeprefix("Value error, ") for err in getattr(e, "errors", lambda: [])()]
        raise click.ClickException("; ".join(msgs) or str(e)) from None
    overrides: dict = {"ocr_engine": engine}
    for key, val in (
        ("backend", backend),
        ("model", model),
        ("base_url", base_url),
        ("llm_threads", threads),
    ):
        if val is not None:
            overrides[key] = val
    settings = Settings(**overrides)
    try:
        pipe = Pipeline.from_settings(settings)
        result = pipe.extract(file, query, page_range=parse_pages(pages), strict=strict, normalize=normalize)
    except BackendError as e:
        raise click.ClickException(str(e)) from None
    click.echo(render(result, fmt, normalize=normalize))
    if result.error:
        click.echo(f"warning: {result.error}", err=True)


def _cell(v) -> str:
    if v is None:
        return ""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def render(result, fmt: str, *, normalize: bool = False) -> str:
    if fmt == "json":
        return json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1)
    header = ["field", "value", "grounded", "page", "score"] + (["normalized"] if normalize else [])
    rows = []
    for name, fv in result.fields.items():
        row = [
            name,
            _cell(fv.value),
            "yes" if fv.grounded else "no",
            "" if fv.page is None else str(fv.page + 1),
            "" if fv.ocr_score is None else f"{fv.ocr_score:.2f}",
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
    lines.append(
        f"({result.backend}:{result.model}  ocr {t.get('ocr_s', 0):.1f}s  llm {t.get('llm_s', 0):.1f}s)"
    )
    return "\n".join(lines)


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, w: int) -> str:
    return s + " " * (w - _width(s))
