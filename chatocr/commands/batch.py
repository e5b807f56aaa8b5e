"""`chatocr batch`: every document in a folder -> one JSON line each, resumable, failures recorded."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import click

from .common import (
    build_query,
    check_pages,
    copy_option,
    engine_option,
    fields_option,
    limit_option,
    llm_options,
    make_settings,
    ocr_threads_option,
    output_option,
    pages_option,
    progress_option,
    question_option,
    review_option,
    strict_option,
    user_errors,
    verbose_option,
)


def list_documents(folder: Path, recursive: bool = True) -> list[Path]:
    from ocr_stage import DOCUMENT_SUFFIXES

    it = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in it if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)


def done_documents(out: Path, retry_failed: bool) -> set[str]:
    """Documents already recorded in `out` (the last record of each wins; a torn last line is ignored)."""
    if not out.exists():
        return set()
    last: dict[str, bool] = {}
    for line in out.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
            last[rec["document"]] = bool(rec.get("ok"))
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return {d for d, ok in last.items() if ok or not retry_failed}


def _ocr_stream(pipeline, docs: list[tuple[str, Path]], pages, overlap: bool) -> Iterator[tuple[str, object]]:
    """(name, OcrResult or Exception) per document. With `overlap`, a thread OCRs the next document
    while the caller runs the LLM stage on the current one (one document of look-ahead)."""

    def ocr_one(path: Path):
        try:
            return pipeline.ocr(path, name=path.name, page_range=pages)
        except Exception as e:  # recorded per document, never fatal
            return e

    if not overlap:
        for name, path in docs:
            yield name, ocr_one(path)
        return
    q: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def producer():
        for name, path in docs:
            if stop.is_set():
                break
            q.put((name, ocr_one(path)))
        q.put(None)

    t = threading.Thread(target=producer, name="chatocr-batch-ocr", daemon=True)
    t.start()
    try:
        while (item := q.get()) is not None:
            yield item
    finally:
        stop.set()
        while t.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass


def run_batch(
    pipeline,
    folder: Path,
    query,
    out: Path,
    *,
    pages=None,
    strict=None,
    copy=None,
    overlap=True,
    retry_failed=False,
    limit: int | None = None,
    progress=True,
) -> dict:
    """Extract `query` from every document under `folder` into `out` (JSON lines). Returns a summary."""
    from tqdm import tqdm

    docs_all = list_documents(folder)
    done = done_documents(out, retry_failed)
    named = [(str(p.relative_to(folder)), p) for p in docs_all]
    todo = [(n, p) for n, p in named if n not in done]
    summary = {
        "found": len(docs_all),
        "skipped": len(named) - len(todo),
        "ok": 0,
        "failed": 0,
        "overlap": overlap,
    }
    if limit is not None:
        todo = todo[:limit]
    t0 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        out.open("a", encoding="utf-8") as fh,
        tqdm(total=len(todo), unit="doc", disable=not progress, desc="batch", dynamic_ncols=True) as bar,
    ):
        for name, ocr in _ocr_stream(pipeline, todo, pages, overlap):
            rec: dict = {"document": name}
            try:
                if isinstance(ocr, Exception):
                    raise ocr
                ext = pipeline.run(ocr, query, strict=strict, copy=copy).extraction
                rec.update(ok=True, values=ext.values(), extraction=ext.model_dump(mode="json"))
                summary["ok"] += 1
            except Exception as e:
                rec.update(ok=False, error=f"{type(e).__name__}: {e}")
                summary["failed"] += 1
                bar.write(f"failed: {name}: {e}")
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            fh.flush()
            bar.update(1)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    n = summary["ok"] + summary["failed"]
    summary["docs_per_min"] = round(60 * n / summary["seconds"], 2) if summary["seconds"] > 0 and n else 0.0
    return summary


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@fields_option
@question_option
@output_option(Path("results.jsonl"), "JSON lines output; documents already in it are skipped.")
@engine_option
@ocr_threads_option
@pages_option
@llm_options
@strict_option
@review_option
@copy_option
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
@verbose_option
@user_errors
def batch(
    folder,
    fields,
    question,
    output,
    engine,
    ocr_threads,
    pages,
    backend,
    model,
    base_url,
    llm_threads,
    strict,
    review_below,
    copy,
    overlap,
    retry_failed,
    limit,
    progress,
):
    """Extract fields from every image and PDF in FOLDER into a JSON-lines file (resumable)."""
    from ..pipeline import Pipeline

    if not fields and not question:
        raise click.UsageError("give -f/--field and/or -q/--question")
    query = build_query(fields, question)
    page_range = check_pages(pages)
    if not list_documents(folder):
        raise click.ClickException(f"{folder}: no images or PDFs in this folder")
    settings = make_settings(
        ocr_engine=engine,
        ocr_threads=ocr_threads,
        backend=backend,
        model=model,
        base_url=base_url,
        llm_threads=llm_threads,
        review_below=review_below,
    )
    pipeline = Pipeline.from_settings(settings)
    s = run_batch(
        pipeline,
        folder,
        query,
        output,
        pages=page_range,
        strict=strict,
        copy=copy,
        overlap=overlap,
        retry_failed=retry_failed,
        limit=limit,
        progress=progress,
    )
    click.echo(
        f"{s['ok']} ok, {s['failed']} failed, {s['skipped']} already done, of {s['found']} documents; "
        f"{s['seconds']} s ({s['docs_per_min']} docs/min, overlap {'on' if overlap else 'off'}) -> {output}",
        err=True,
    )
