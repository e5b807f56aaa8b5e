"""The batch's records: one per document (one per page with `split_pages`), whichever runner wrote
it, and what a batch job is, so that a rerun knows which documents are done *for this job*.

    {"document", "ok": true, "values", "extraction", "job"}           (+ "page", "page_count")
    {"document", "ok": false, "error": "Type: message", "job"}        (+ "page", "page_count")
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_stage.types import ITEM_KEYS


@dataclass(frozen=True)
class BatchJob:
    """What is asked of every document: the query and the options that change its answers. Its `key`
    goes into every record; a rerun skips only the documents done with the same key, so a rerun with
    other fields or options into the same output does the work again."""

    query: Any  # llm_stage.FieldQuery
    pages: list[int] | None = None  # 0-based page indices; None: every page
    strict: bool | None = None
    copy: bool | None = None
    normalize: bool = False
    split_pages: bool = False  # one answer per page (a PDF holding several documents)
    # which OCR engine and model answer (the CLI sets them from its settings); part of the key
    engine: str | None = None
    model: str | None = None
    repairs: str | None = None  # the repairs preset (llm_stage.repairs); part of the key

    @property
    def keys(self) -> list[str]:
        """The answer's keys: the fields, then `answer` when a question is asked beside them."""
        q = self.query
        return [*q.fields, "answer"] if q.fields and q.question else list(q.keys)

    @property
    def key(self) -> str:
        q = self.query
        spec = {
            "fields": list(q.fields),
            "question": q.question,
            "hints": dict(q.hints),
            "pages": self.pages,
            "strict": self.strict,
            "copy": self.copy,
            "normalize": self.normalize,
            "split_pages": self.split_pages,
            "engine": self.engine,
            "model": self.model,
            "repairs": self.repairs,
        }
        text = json.dumps(spec, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def ok_record(
    name: str, extraction, job: BatchJob | None = None, page: tuple[int, int] | None = None
) -> dict:
    """The record of a document (or of one page of it: `page` = (page number, pages in the split))
    that went through: its values and the whole Extraction."""
    rec = {
        "document": name,
        "ok": True,
        "values": extraction.values(),
        "extraction": extraction.model_dump(mode="json"),
    }
    return _stamp(rec, job, page)


def failed_record(
    name: str, error: BaseException, job: BatchJob | None = None, page: tuple[int, int] | None = None
) -> dict:
    """The record of a document (or page) that failed (unreadable, over a limit, the model failed)."""
    return _stamp({"document": name, "ok": False, "error": f"{type(error).__name__}: {error}"}, job, page)


def _stamp(rec: dict, job: BatchJob | None, page: tuple[int, int] | None) -> dict:
    if page is not None:
        rec["page"], rec["page_count"] = page
    if job is not None:
        rec["job"] = job.key
    return rec


def completed(records: Iterable[dict], job: str | None, retry_failed: bool) -> set[str]:
    """Documents that `records` (in write order) show done for the job keyed `job` (None: any job):
    the last record of the whole document, or of every page of its split, is ok (or failed, unless
    `retry_failed`)."""
    whole: dict[str, bool] = {}
    pages: dict[str, dict[int, bool]] = {}
    count: dict[str, int] = {}
    for rec in records:
        if job is not None and rec.get("job") != job:
            continue
        doc, ok = rec["document"], bool(rec.get("ok"))
        if rec.get("page") is None:
            whole[doc] = ok
        else:
            pages.setdefault(doc, {})[int(rec["page"])] = ok
            count[doc] = int(rec.get("page_count") or 0)
    done = {d for d, ok in whole.items() if ok or not retry_failed}
    for d, seen in pages.items():
        if len(seen) >= count[d] and all(ok or not retry_failed for ok in seen.values()):
            done.add(d)
    return done


# The columns of one line item, outside JSON (CSV, Parquet, the CLI's table): the field it belongs
# to, its 1-based row number, the cells (llm_stage.types.ITEM_KEYS), and its review state.
ITEM_CELLS = ITEM_KEYS


def item_fields(fields: dict) -> list[str]:
    """The names of the line-items fields of an answer's `fields` (JSON form): those whose value
    comes with item records, or whose name asks for line items."""
    from llm_stage.items import is_items_field

    return [k for k, fv in fields.items() if (fv or {}).get("items") is not None or is_items_field(k)]


def item_rows(fields: dict) -> list[dict]:
    """Every line item of an answer's `fields` (JSON form, `Extraction.model_dump(mode="json")`),
    flat: {field, row (1-based), the ITEM_CELLS, page, box, needs_review, review_reasons}, in field
    then page order. A value without item records (a backend that gave plain objects) still counts,
    with no page or box."""
    out: list[dict] = []
    for name in item_fields(fields):
        fv = fields[name] or {}
        records = fv.get("items")
        if records is None:
            plain = fv.get("value") if isinstance(fv.get("value"), list) else []
            records = [
                {"cells": {k: {"value": r.get(k)} for k in ITEM_CELLS}} for r in plain if isinstance(r, dict)
            ]
        for i, rec in enumerate(records, 1):
            cells = rec.get("cells") or {}
            row = {"field": name, "row": i}
            for k in ITEM_CELLS:
                v = (cells.get(k) or {}).get("value")
                row[k] = v if isinstance(v, str) else None
            row.update(
                page=rec.get("page"),
                box=rec.get("box"),
                needs_review=bool(rec.get("needs_review")),
                review_reasons=list(rec.get("review_reasons") or []),
            )
            out.append(row)
    return out


# The item columns of CSV output (CLI and batch): one row per line item.
ITEM_COLUMNS = [
    "item.field",
    "item.row",
    *(f"item.{k}" for k in ITEM_CELLS),
    "item.review",
]


def item_csv_cells(fields: dict) -> list[list]:
    """The ITEM_COLUMNS cells of each line item of an answer's `fields` (JSON form); one empty row
    when it has none, so the document still has its row."""
    rows = [
        [
            r["field"],
            r["row"],
            *(r[k] or "" for k in ITEM_CELLS),
            _review(r["needs_review"], r["review_reasons"]),
        ]
        for r in item_rows(fields)
    ]
    return rows or [[""] * len(ITEM_COLUMNS)]


def _review(needs_review: bool, reasons: list[str]) -> str:
    """A row's review as one CSV cell: empty when it passed, else its reasons ('check' without one)."""
    return ";".join(reasons) if reasons else ("check" if needs_review else "")


def failure_line(rec: dict) -> str:
    """The one line a failed record gets on the terminal: the document named once (an input error's
    message already starts with the file's name)."""
    doc = rec["document"] + (f" page {rec['page']}" if rec.get("page") is not None else "")
    message = rec["error"].partition(": ")[2] or rec["error"]
    base = Path(rec["document"]).name
    if message.startswith(base + ":"):
        message = message[len(base) + 1 :].lstrip()
    return f"failed: {doc}: {message}"
