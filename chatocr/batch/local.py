"""The batch in this process: OCR of the next document overlaps the LLM on the current one."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

from .plan import answer, as_job, drain, list_documents, plan
from .records import failed_record
from .sinks import open_sink


def ocr_stream(pipeline, docs: list[tuple[str, Path]], pages, overlap: bool) -> Iterator[tuple[str, object]]:
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
    out,
    *,
    fmt: str | None = None,
    overlap=True,
    retry_failed=False,
    limit: int | None = None,
    progress=True,
    **options,
) -> dict:
    """Answer `query` (a FieldQuery, or a BatchJob with its options) for every document under `folder`
    into `out`: JSON lines, a Parquet folder (.parquet) or CSV (.csv), or as `fmt` says. `options`:
    pages, strict, copy, normalize, split_pages (see BatchJob). Returns a summary."""
    job = as_job(query, **options)
    folder = Path(folder)
    named = [(str(p.relative_to(folder)), p) for p in list_documents(folder)]
    sink = open_sink(out, job, fmt)
    todo, summary = plan(named, sink, job, retry_failed, limit)
    summary["overlap"] = overlap

    def results():
        for name, ocr in ocr_stream(pipeline, todo, job.pages, overlap):
            if isinstance(ocr, Exception):
                yield [failed_record(name, ocr, job)]
            else:
                yield answer(pipeline, name, ocr, job)

    return drain(results(), sink, len(todo), summary, progress=progress)
