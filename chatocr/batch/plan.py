"""The loop both runners share: plan (list the documents, drop those the output already holds for
this job, apply the limit) and drain (write each document's records as they arrive, count them, one
progress bar, one line per failure). A runner only supplies the stream of records in between."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from .records import BatchJob, failed_record, failure_line, ok_record


def list_documents(folder: Path, recursive: bool = True) -> list[Path]:
    """The images and PDFs under `folder`, sorted (the order every runner processes them in)."""
    from ocr_stage import DOCUMENT_SUFFIXES

    it = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in it if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)


def as_job(query, **options) -> BatchJob:
    """`query` as a BatchJob: a BatchJob as given, else a FieldQuery (or field list) with `options`."""
    if isinstance(query, BatchJob):
        return query
    from llm_stage import FieldQuery

    if not isinstance(query, FieldQuery):
        query = FieldQuery(**query) if isinstance(query, dict) else FieldQuery(fields=query)
    return BatchJob(query, **{k: v for k, v in options.items() if v is not None})


def plan(named: list[tuple], sink, job: BatchJob, retry_failed: bool, limit: int | None):
    """(the documents to run, the summary so far): `named` is (name, …) per document; those whose
    records for this job are already in the sink are skipped."""
    done = sink.done(retry_failed, job.key)
    todo = [d for d in named if d[0] not in done]
    summary: dict = {"found": len(named), "skipped": len(named) - len(todo), "ok": 0, "failed": 0}
    if job.split_pages:
        summary["unit"] = "page"
    if limit is not None:
        todo = todo[:limit]
    return todo, summary


def drain(results: Iterable[list[dict]], sink, total: int, summary: dict, *, progress=True, desc="batch"):
    """Write each document's records to `sink` as they come; returns the finished summary."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    with (
        sink,
        tqdm(total=total, unit="doc", disable=not progress, desc=desc, dynamic_ncols=True) as bar,
    ):
        for recs in results:
            for rec in recs:
                sink.write(rec)
                if rec["ok"]:
                    summary["ok"] += 1
                else:
                    summary["failed"] += 1
                    bar.write(failure_line(rec))
            bar.update(1)
    return finish_summary(summary, t0)


def finish_summary(summary: dict, t0: float) -> dict:
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    n = summary["ok"] + summary["failed"]
    summary["docs_per_min"] = round(60 * n / summary["seconds"], 2) if summary["seconds"] > 0 and n else 0.0
    return summary


def answer(pipeline, name: str, ocr, job: BatchJob) -> list[dict]:
    """The records of one OCRed document: one answer, or one per page with `job.split_pages` (a page
    that fails is recorded and the others go on)."""
    from ..pipeline import split_pages

    opts = {"strict": job.strict, "normalize": job.normalize, "copy": job.copy}
    parts = split_pages(ocr) if job.split_pages else []
    if len(parts) == 0:
        try:
            return [ok_record(name, pipeline.run(ocr, job.query, **opts).extraction, job)]
        except Exception as e:  # recorded per document, never fatal
            return [failed_record(name, e, job)]
    recs = []
    for part in parts:
        where = (part.pages[0].page, len(parts))
        try:
            recs.append(ok_record(name, pipeline.run(part, job.query, **opts).extraction, job, where))
        except Exception as e:
            recs.append(failed_record(name, e, job, where))
    return recs
