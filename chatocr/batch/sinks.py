"""Where the batch's records go: JSON lines (one file, appended), Parquet (a folder of part files, local
or any pyarrow/fsspec URI; line items also as a list-of-struct column `items`) or CSV (one row per
document, one column per field; one row per line item when a field asks for them). Each sink also
reads back which documents are done, so an interrupted or repeated run resumes."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from .records import ITEM_CELLS, ITEM_COLUMNS, BatchJob, completed, item_rows

FORMATS = ("jsonl", "parquet", "csv")


class SinkError(ValueError):
    """The output cannot take this batch's records (a file where a folder should be, a CSV written
    for other fields); the message says what to change."""


def output_format(out, fmt: str | None = None) -> str:
    """The format of `out`: `fmt` when given, else from its suffix (.parquet, .csv; JSON lines
    otherwise)."""
    if fmt:
        if fmt not in FORMATS:
            raise SinkError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    name = str(out).rstrip("/").lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".csv"):
        return "csv"
    return "jsonl"


def is_parquet(out) -> bool:
    return output_format(out) == "parquet"


def open_sink(out, job: BatchJob | None = None, fmt: str | None = None):
    """The sink for `out` in `fmt` (default: from the suffix)."""
    kind = output_format(out, fmt)
    if kind == "parquet":
        return ParquetSink(str(out))
    if kind == "csv":
        if job is None:
            raise SinkError("a CSV output needs the batch job (its fields are the columns)")
        return CsvSink(Path(out), job)
    return JsonlSink(Path(out))


def done_documents(out, retry_failed: bool, job: str | None = None, fmt: str | None = None) -> set[str]:
    """Documents already recorded in `out` for the job keyed `job` (None: any job)."""
    return completed(_done_rows(out, fmt), job, retry_failed)


def _done_rows(out, fmt: str | None = None):
    kind = output_format(out, fmt)
    if kind == "parquet":
        return ParquetSink(str(out)).rows()
    if kind == "csv":
        return CsvSink.rows_of(Path(out))
    return JsonlSink(Path(out)).rows()


def read_records(out, fmt: str | None = None) -> list[dict]:
    """Every record in `out` (JSON lines or a Parquet folder), in write order, as dicts of the one
    record schema (Parquet's JSON-text columns parsed back). CSV holds values only: see CsvSink."""
    kind = output_format(out, fmt)
    if kind == "csv":
        raise SinkError(f"{out}: a CSV output holds the values only; read it with the csv module")
    if kind == "jsonl":
        return [json.loads(x) for x in Path(out).read_text(encoding="utf-8").splitlines() if x.strip()]
    import pyarrow.parquet as pq

    sink = ParquetSink(str(out))
    fs, root = sink._fs()
    recs = []
    for part in sink._parts(fs, root):
        for row in pq.read_table(part, filesystem=fs).to_pylist():
            rec = {"document": row["document"], "ok": row["ok"]}
            if row["ok"]:
                rec.update(values=json.loads(row["values"]), extraction=json.loads(row["extraction"]))
            else:
                rec["error"] = row["error"]
            for k in ("page", "page_count", "job"):
                if row.get(k) is not None:
                    rec[k] = row[k]
            recs.append(rec)
    return recs


class JsonlSink:
    """One JSON line per record, appended and flushed at once (a crash loses at most a torn line)."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self._fh = None

    def rows(self):
        """Each record's document, ok, job and page (a torn last line is skipped)."""
        if not self.out.exists():
            return
        for line in self.out.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                rec = json.loads(line)
                rec["document"]
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
            yield rec

    def done(self, retry_failed: bool, job: str | None = None) -> set[str]:
        return completed(self.rows(), job, retry_failed)

    def __enter__(self):
        if self.out.is_dir():
            raise SinkError(f"{self.out}: is a folder; JSON lines go to a file (or name a .parquet folder)")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.out.open("a", encoding="utf-8")
        return self

    def write(self, rec: dict) -> None:
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self._fh.flush()

    def __exit__(self, *exc):
        self._fh.close()


class CsvSink:
    """One row per document (per page with split_pages), one column per field: document, page, ok,
    error, the fields' values (with `normalize`, each field's normalized value beside it), then the
    job key and page count that resuming needs. With a line-items field, one row per item instead:
    that field's column gives way to the item columns (`chatocr extract --format csv`'s: item.field,
    item.row, item.description … item.tax, item.review) and the other fields repeat on each row; a
    document without items keeps one row. Appended and flushed row by row; a file written for other
    fields is refused rather than given a second header."""

    def __init__(self, out: Path, job: BatchJob):
        self.out, self.job = Path(out), job
        self.header = self.columns(job)
        self._fh = None
        self._w = None

    @staticmethod
    def item_keys(job: BatchJob) -> list[str]:
        """The job's line-items fields (their rows go to the item columns)."""
        from llm_stage.items import is_items_field

        return [k for k in job.keys if is_items_field(k)]

    @staticmethod
    def columns(job: BatchJob) -> list[str]:

        cols = ["document", "page", "ok", "error"]
        listed = CsvSink.item_keys(job)
        for k in job.keys:
            if k in listed:
                continue
            cols.append(k)
            if job.normalize:
                cols.append(f"{k}.normalized")
        return [*cols, *(ITEM_COLUMNS if listed else []), "job", "page_count"]

    @staticmethod
    def rows_of(out: Path):
        if not out.exists():
            return
        with out.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if not row.get("document") or row.get("ok") not in ("true", "false"):
                    continue  # a torn last row
                yield {
                    "document": row["document"],
                    "ok": row["ok"] == "true",
                    "job": row.get("job") or None,
                    "page": int(row["page"]) if row.get("page") else None,
                    "page_count": int(row["page_count"]) if row.get("page_count") else None,
                }

    def done(self, retry_failed: bool, job: str | None = None) -> set[str]:
        self._check_header()
        return completed(self.rows_of(self.out), job, retry_failed)

    def _check_header(self) -> bool:
        """Whether the file exists with this job's header; SinkError if it has another one."""
        if not self.out.exists() or self.out.stat().st_size == 0:
            return False
        with self.out.open(encoding="utf-8", newline="") as fh:
            first = next(csv.reader(fh), [])
        if first != self.header:
            raise SinkError(
                f"{self.out}: this CSV has the columns {', '.join(first[:12])}, not those of this batch "
                f"({', '.join(self.header[:12])}); write to another file"
            )
        return True

    def __enter__(self):
        if self.out.is_dir():
            raise SinkError(f"{self.out}: is a folder; a CSV output is a file")
        has_header = self._check_header()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.out.open("a", encoding="utf-8", newline="")
        self._w = csv.writer(self._fh, lineterminator="\n")
        if not has_header:
            self._w.writerow(self.header)
            self._fh.flush()
        return self

    def write(self, rec: dict) -> None:
        fields = (rec.get("extraction") or {}).get("fields") or {}
        row = {
            "document": rec["document"],
            "page": rec.get("page", ""),
            "ok": "true" if rec["ok"] else "false",
            "error": rec.get("error", ""),
            "job": rec.get("job", ""),
            "page_count": rec.get("page_count", ""),
        }
        for k in self.job.keys:
            fv = fields.get(k) or {}
            row[k] = _cell(fv.get("value"))
            row[f"{k}.normalized"] = _cell(fv.get("normalized"))
        listed = self.item_keys(self.job)
        if not listed:
            self._w.writerow([row.get(c, "") for c in self.header])
        else:
            from .records import ITEM_COLUMNS, item_csv_cells

            for cells in item_csv_cells({k: fields.get(k) for k in listed} if rec["ok"] else {}):
                row.update(zip(ITEM_COLUMNS, cells, strict=True))
                self._w.writerow([row.get(c, "") for c in self.header])
        self._fh.flush()

    def __exit__(self, *exc):
        self._fh.close()


def _cell(v) -> str:
    """A value as one CSV cell: text as is, null empty, a table (line items) as JSON."""
    if v is None:
        return ""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _items_type():
    import pyarrow as pa

    point = pa.list_(pa.float64(), 2)
    return pa.list_(
        pa.struct(
            [
                ("field", pa.string()),
                ("row", pa.int32()),
                *((k, pa.string()) for k in ITEM_CELLS),
                ("page", pa.int32()),
                ("box", pa.list_(point)),
                ("needs_review", pa.bool_()),
                ("review_reasons", pa.list_(pa.string())),
            ]
        )
    )


class ParquetSink:
    """A folder of Parquet part files (local path or any pyarrow/fsspec URI: s3://, gs://, hdfs://).
    Each part is written whole under a temporary name and then renamed, every `rows_per_part`
    records or `seconds` seconds and at the end, so a crash loses at most the unwritten records
    (they are run again on resume). Later parts win over earlier ones for the same document.

    Columns: document, ok, error, job, page, page_count; values and extraction as JSON text (their
    keys are the query's); and `items`, the line items of every line-items field as a list of structs
    {field, row (1-based), description, quantity, unit, unit_price, amount, tax_rate, tax (strings as
    printed, or null), page, box (four [x, y] points), needs_review, review_reasons}: one item per row
    with `df.explode("items")` in pandas, or `pc.list_flatten` in pyarrow. Empty when the query asks
    for no line items."""

    def __init__(self, out: str, rows_per_part: int = 1000, seconds: float = 60.0):
        self.out, self.rows_per_part, self.seconds = str(out), rows_per_part, seconds
        self._rows: list[dict] = []
        self._since = time.monotonic()

    def _fs(self):
        from ..filesystems import resolve

        return resolve(self.out)

    def _parts(self, fs, root: str) -> list[str]:
        import pyarrow.fs as pafs

        info = fs.get_file_info(root)
        if info.type == pafs.FileType.NotFound:
            return []
        if info.type != pafs.FileType.Directory:
            raise SinkError(f"{self.out}: a Parquet output is a folder of part files")
        sel = pafs.FileSelector(root, recursive=False)
        return sorted(i.path for i in fs.get_file_info(sel) if i.is_file and i.path.endswith(".parquet"))

    def rows(self):
        import pyarrow.parquet as pq

        fs, root = self._fs()
        for part in self._parts(fs, root):
            names = set(pq.read_schema(part, filesystem=fs).names)
            cols = [c for c in ("document", "ok", "job", "page", "page_count") if c in names]
            yield from pq.read_table(part, columns=cols, filesystem=fs).to_pylist()

    def done(self, retry_failed: bool, job: str | None = None) -> set[str]:
        return completed(self.rows(), job, retry_failed)

    def __enter__(self):
        fs, root = self._fs()
        self._parts(fs, root)  # a file where the folder should be is an error now, not at the end
        fs.create_dir(root, recursive=True)
        return self

    def write(self, rec: dict) -> None:
        self._rows.append(rec)
        if len(self._rows) >= self.rows_per_part or time.monotonic() - self._since >= self.seconds:
            self.flush()

    def flush(self) -> None:
        import uuid

        import pyarrow as pa
        import pyarrow.parquet as pq

        items_type = _items_type()
        self._since = time.monotonic()
        if not self._rows:
            return
        rows = self._rows
        cols = {
            "document": pa.array([r["document"] for r in rows], pa.string()),
            "ok": pa.array([bool(r["ok"]) for r in rows], pa.bool_()),
            "error": pa.array([r.get("error") for r in rows], pa.string()),
            "job": pa.array([r.get("job") for r in rows], pa.string()),
            "page": pa.array([r.get("page") for r in rows], pa.int32()),
            "page_count": pa.array([r.get("page_count") for r in rows], pa.int32()),
        }
        # JSON objects as text: their keys are the query's fields, so no fixed Arrow struct fits every query
        for k in ("values", "extraction"):
            cols[k] = pa.array(
                [json.dumps(r[k], ensure_ascii=False) if k in r else None for r in rows], pa.string()
            )
        # line items have fixed keys, so they get a typed column (null for a failed record)
        cols["items"] = pa.array(
            [item_rows(r["extraction"]["fields"]) if "extraction" in r else None for r in rows], items_type
        )
        fs, root = self._fs()
        # time first, so names sort in write order (later parts win in done())
        name = f"{root}/part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        pq.write_table(pa.table(cols), name + ".tmp", filesystem=fs)
        fs.move(name + ".tmp", name)
        self._rows = []

    def __exit__(self, *exc):
        self.flush()
