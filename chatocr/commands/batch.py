"""`chatocr batch`: every document in a folder -> one JSON line each, resumable, failures recorded."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import click

from .common import engine_option, pages_option, parse_pages, user_errors


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


def run_batch(pipeline, folder: Path, query, out: Path, *, pages=None, strict=False, overlap=True,
              retry_failed=False, limit: int | None = None, progress=True) -> dict:
    """Extract `query` from every document under `folder` into `out` (JSON lines). Returns a summary."""
    from tqdm import tqdm

    docs_all = list_documents(folder)
    done = done_documents(out, retry_failed)
    named = [(str(p.relative_to(folder)), p) for p in docs_all]
    todo = [(n, p) for n, p in named if n not in done]
    summary = {"found": len(docs_all), "skipped": len(named) - len(todo), "ok": 0, "failed": 0, "overlap": overlap}
    if limit is not None:
        todo = todo[:limit]
    t0 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as fh, tqdm(
        total=len(todo), unit="doc", disable=not progress, desc="batch", dynamic_ncols=True
    ) as bar:
        for name, ocr in _ocr_stream(pipeline, todo, pages, overlap):
            rec: dict = {"document": name}
            try:
                if isinstance(ocr, Exception):
                    raise ocr
                ext = pipeline.extract_from_ocr(ocr, query, strict=strict)
                ext.timings["ocr_s"] = ocr.timings.get("ocr_s", 0.0) + ocr.timings.get("decode_s", 0.0)
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
@click.option("-f", "--fields", default=None, help="Field names, comma-separated: '发票号码,开票日期,价税合计'.")
@click.option("-Q", "--question", default=None, help="A question instead of (or besides) fields.")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("results.jsonl"),
              show_default=True, help="JSON lines output; documents already in it are skipped.")
@engine_option
@pages_option
@click.option("-b", "--backend", default=None, envvar="CHATOCR_BACKEND", help="LLM backend name.")
@click.option("-m", "--model", default=None, envvar="CHATOCR_MODEL", help="Model name or path for the backend.")
@click.option("-s", "--strict", is_flag=True, envvar="CHATOCR_STRICT", help="Null out values not found in the OCR text.")
@click.option("--overlap/--no-overlap", default=True, show_default=True,
              help="OCR the next document while the LLM reads the current one.")
@click.option("--retry-failed", is_flag=True, help="Run again the documents recorded as failed.")
@click.option("-n", "--limit", type=int, default=None, help="Process at most N documents this run.")
@user_errors
def batch(folder, fields, question, out, engine, pages, backend, model, strict, overlap, retry_failed, limit):
    """Extract fields from every image and PDF in FOLDER into a JSON-lines file (resumable)."""
    from llm_stage import FieldQuery

    from ..pipeline import Pipeline
    from ..settings import Settings

    if not fields and not question:
        raise click.UsageError("give --fields and/or --question")
    query = FieldQuery(fields=fields or [], question=question)
    overrides = {"ocr_engine": engine}
    if backend:
        overrides["backend"] = backend
    if model:
        overrides["model"] = model
    docs = list_documents(folder)
    if not docs:
        raise click.ClickException(f"{folder}: no images or PDFs in this folder")
    pipeline = Pipeline.from_settings(Settings(**overrides))
    s = run_batch(pipeline, folder, query, out, pages=parse_pages(pages), strict=strict, overlap=overlap,
                  retry_failed=retry_failed, limit=limit)
    click.echo(
        f"{s['ok']} ok, {s['failed']} failed, {s['skipped']} already done, of {s['found']} documents; "
        f"{s['seconds']} s ({s['docs_per_min']} docs/min, overlap {'on' if overlap else 'off'}) -> {out}",
        err=True,
    )
