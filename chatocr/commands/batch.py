"""`chatocr batch`: the options of a batch run; the work is chatocr.batch's (records, sinks, the
local and Ray runners)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import (
    build_query,
    check_pages,
    command_settings,
    copy_option,
    engine_option,
    fields_option,
    is_verbose,
    items_option,
    limit_option,
    llm_options,
    normalize_option,
    ocr_threads_option,
    output_option,
    pages_option,
    progress_option,
    question_option,
    ray_address_option,
    repairs_option,
    review_option,
    split_pages_option,
    strict_option,
    user_errors,
    verbose_option,
)


def _folder(ctx, param, value: str) -> str:
    """FOLDER: a local folder, or (with --ray) any URI pyarrow/fsspec reads; checked like click.Path."""
    from ..filesystems import is_uri

    if is_uri(value):
        return value
    p = Path(value)
    if not p.exists():
        raise click.BadParameter(f"Directory '{value}' does not exist.")
    if not p.is_dir():
        raise click.BadParameter(f"Directory '{value}' is a file.")
    return value


@click.command()
@click.argument("folder", callback=_folder)
@fields_option
@items_option
@question_option
@output_option(
    None,
    "Output: JSON lines (default results.jsonl), a folder of Parquet parts when it ends in .parquet (a "
    "local path or a URI), or CSV when it ends in .csv; documents it already holds for the same fields "
    "and options are skipped.",
    uri_ok=True,
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "parquet", "csv"]),
    default=None,
    envvar="CHATOCR_FORMAT",
    show_envvar=True,
    help="Output format (default: from the output's suffix). jsonl: one record per document, a "
    "line-items field's rows under extraction.fields.<name>.items. parquet: the same, plus a column "
    "'items' (a list of structs: field, row, description … tax, page, box, needs_review, "
    "review_reasons) for pandas/pyarrow. csv: one row per document, one column per field; with a "
    "line-items field one row per item (item.field, item.row, item.description … item.review) with "
    "the other fields repeated.",
)
@engine_option
@ocr_threads_option
@pages_option
@llm_options
@strict_option
@review_option
@repairs_option
@copy_option
@normalize_option
@split_pages_option
@click.option(
    "--overlap/--no-overlap",
    default=True,
    show_default=True,
    envvar="CHATOCR_OVERLAP",
    show_envvar=True,
    help="OCR the next document while the LLM reads the current one.",
)
@click.option(
    "--retry-failed",
    is_flag=True,
    envvar="CHATOCR_RETRY_FAILED",
    show_envvar=True,
    help="Run again the documents recorded as failed.",
)
@limit_option
@progress_option
@ray_address_option(
    "Run on a Ray cluster (Ray Data; `make setup-ray`): alone, a Ray instance on this machine; "
    "`auto` the cluster this machine joined; `ray://HOST:10001` or `HOST:6379` another. Put it after "
    "FOLDER (or write --ray=ADDRESS). FOLDER may then be any pyarrow/fsspec URI (s3://, gs://, hdfs://).",
)
@click.option(
    "--ocr-actors",
    type=click.IntRange(min=1),
    default=None,
    envvar="CHATOCR_RAY_OCR_ACTORS",
    show_envvar=True,
    help="With --ray: OCR actors (default: the cluster's CPUs left after the LLM actors).",
)
@click.option(
    "--llm-actors",
    type=click.IntRange(min=1),
    default=None,
    envvar="CHATOCR_RAY_LLM_ACTORS",
    show_envvar=True,
    help="With --ray: LLM actors (default: one per GPU, else 1; 4 for -b openai).",
)
@verbose_option
@user_errors
def batch(
    folder,
    fields,
    items,
    question,
    output,
    fmt,
    pages,
    strict,
    copy,
    normalize,
    split_pages,
    overlap,
    retry_failed,
    limit,
    progress,
    ray_address,
    ocr_actors,
    llm_actors,
    **_settings,
):
    """Extract fields from every image and PDF in FOLDER into JSON lines, Parquet or CSV (resumable)."""
    from ..batch import BatchJob, list_documents, output_format
    from ..filesystems import is_uri

    if not fields and not question and not items:
        raise click.UsageError("give -f/--field, --items and/or -q/--question")
    settings = command_settings()
    job = BatchJob(
        build_query(fields, question, items=items),
        pages=check_pages(pages),
        strict=strict,
        copy=copy,
        normalize=normalize,
        split_pages=split_pages,
        engine=settings.ocr_engine,
        model=f"{settings.backend}:{settings.model or ''}",
        repairs=settings.repairs,
    )
    if output is None:
        output = f"results.{fmt or 'jsonl'}"
    fmt = output_format(output, fmt)
    if is_uri(folder) and not ray_address:
        raise click.UsageError(f"{folder}: a URI is read with --ray; give a local folder otherwise")
    if fmt != "parquet" and is_uri(output):
        raise click.UsageError(f"{output}: a URI output must be a .parquet folder")
    run = dict(fmt=fmt, retry_failed=retry_failed, limit=limit, progress=progress)
    if ray_address:
        from ..batch.ray_runner import named_documents, run_ray_batch
        from ..cluster import require_ray

        require_ray()
        try:
            found = named_documents(folder)
        except (FileNotFoundError, OSError) as e:
            raise click.ClickException(f"{folder}: cannot list this folder ({e})") from None
        if not found:
            raise click.ClickException(f"{folder}: no images or PDFs in this folder")
        s = run_ray_batch(
            folder,
            job,
            output,
            settings=settings,
            address=ray_address,
            ocr_actors=ocr_actors,
            llm_actors=llm_actors,
            verbose=is_verbose(),
            **run,
        )
        how = f"Ray: {s.get('ocr_actors', 0)} OCR + {s.get('llm_actors', 0)} LLM actors"
    else:
        from ..batch import run_batch
        from ..pipeline import Pipeline

        folder = Path(folder)
        if not list_documents(folder):
            raise click.ClickException(f"{folder}: no images or PDFs in this folder")
        pipeline = Pipeline.from_settings(
            settings, lazy_llm=True, lazy_ocr=True
        )  # nothing to do: no model loads
        s = run_batch(pipeline, folder, job, output, overlap=overlap, **run)
        how = f"overlap {'on' if overlap else 'off'}"
    per = "pages" if s.get("unit") == "page" else "docs"
    click.echo(
        f"{s['ok']}{' pages' if per == 'pages' else ''} ok, {s['failed']} failed, {s['skipped']} already "
        f"done, of {s['found']} documents; {s['seconds']} s ({s['docs_per_min']} {per}/min, {how}) -> {output}",
        err=True,
    )
