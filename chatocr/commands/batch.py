"""`chatocr batch`: every document in a folder -> one record each, resumable, failures recorded.

One record per document, whichever way the batch runs (here in one process, or on a Ray cluster with
`--ray`, chatocr.ray_batch): {"document", "ok", "values", "extraction"} or {"document", "ok": false,
"error"}. Written as JSON lines (one file, appended) or Parquet (a folder of part files)."""

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
    is_verbose,
    limit_option,
    llm_options,
    make_settings,
    ocr_threads_option,
    output_option,
    pages_option,
    progress_option,
    question_option,
    ray_address_option,
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
    if is_parquet(out):
        return ParquetSink(str(out)).done(retry_failed)
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


# ---------------------------------------------------------------- records and where they go


def ok_record(name: str, extraction) -> dict:
    """The record of a document that went through: its values and the whole Extraction."""
    return {
        "document": name,
        "ok": True,
        "values": extraction.values(),
        "extraction": extraction.model_dump(mode="json"),
    }


def failed_record(name: str, error: BaseException) -> dict:
    """The record of a document that failed (unreadable, over a limit, the model failed)."""
    return {"document": name, "ok": False, "error": f"{type(error).__name__}: {error}"}


def is_parquet(out) -> bool:
    return str(out).rstrip("/").lower().endswith(".parquet")


class JsonlSink:
    """One JSON line per record, appended and flushed at once (a crash loses at most a torn line)."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self._fh = None

    def done(self, retry_failed: bool) -> set[str]:
        return done_documents(self.out, retry_failed)

    def __enter__(self):
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.out.open("a", encoding="utf-8")
        return self

    def write(self, rec: dict) -> None:
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self._fh.flush()

    def __exit__(self, *exc):
        self._fh.close()


class ParquetSink:
    """A folder of Parquet part files (local path or any pyarrow/fsspec URI: s3://, gs://, hdfs://).
    Each part is written whole under a temporary name and then renamed, every `rows_per_part`
    records or `seconds` seconds and at the end, so a crash loses at most the unwritten records
    (they are run again on resume). Later parts win over earlier ones for the same document."""

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
            raise click.ClickException(f"{self.out}: a Parquet output is a folder of part files")
        sel = pafs.FileSelector(root, recursive=False)
        return sorted(i.path for i in fs.get_file_info(sel) if i.is_file and i.path.endswith(".parquet"))

    def done(self, retry_failed: bool) -> set[str]:
        import pyarrow.parquet as pq

        fs, root = self._fs()
        last: dict[str, bool] = {}
        for part in self._parts(fs, root):
            t = pq.read_table(part, columns=["document", "ok"], filesystem=fs)
            for d, ok in zip(t.column("document").to_pylist(), t.column("ok").to_pylist(), strict=True):
                last[d] = bool(ok)
        return {d for d, ok in last.items() if ok or not retry_failed}

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

        self._since = time.monotonic()
        if not self._rows:
            return
        cols = {
            "document": pa.array([r["document"] for r in self._rows], pa.string()),
            "ok": pa.array([bool(r["ok"]) for r in self._rows], pa.bool_()),
            "error": pa.array([r.get("error") for r in self._rows], pa.string()),
        }
        # JSON objects as text: their keys are the query's fields, so no fixed Arrow struct fits every query
        for k in ("values", "extraction"):
            cols[k] = pa.array(
                [json.dumps(r[k], ensure_ascii=False) if k in r else None for r in self._rows], pa.string()
            )
        fs, root = self._fs()
        # time first, so names sort in write order (later parts win in done())
        name = f"{root}/part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        pq.write_table(pa.table(cols), name + ".tmp", filesystem=fs)
        fs.move(name + ".tmp", name)
        self._rows = []

    def __exit__(self, *exc):
        self.flush()


def read_records(out) -> list[dict]:
    """Every record in `out` (JSON lines or a Parquet folder), in write order, as dicts of the one
    record schema (Parquet's JSON-text columns parsed back)."""
    if not is_parquet(out):
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
            recs.append(rec)
    return recs


def open_sink(out):
    return ParquetSink(str(out)) if is_parquet(out) else JsonlSink(Path(out))


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
    """Extract `query` from every document under `folder` into `out` (JSON lines, or Parquet when
    `out` ends in .parquet). Returns a summary."""
    from tqdm import tqdm

    docs_all = list_documents(folder)
    sink = open_sink(out)
    done = sink.done(retry_failed)
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
    with (
        sink,
        tqdm(total=len(todo), unit="doc", disable=not progress, desc="batch", dynamic_ncols=True) as bar,
    ):
        for name, ocr in _ocr_stream(pipeline, todo, pages, overlap):
            try:
                if isinstance(ocr, Exception):
                    raise ocr
                rec = ok_record(name, pipeline.run(ocr, query, strict=strict, copy=copy).extraction)
                summary["ok"] += 1
            except Exception as e:
                rec = failed_record(name, e)
                summary["failed"] += 1
                bar.write(f"failed: {name}: {e}")
            sink.write(rec)
            bar.update(1)
    return finish_summary(summary, t0)


def finish_summary(summary: dict, t0: float) -> dict:
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    n = summary["ok"] + summary["failed"]
    summary["docs_per_min"] = round(60 * n / summary["seconds"], 2) if summary["seconds"] > 0 and n else 0.0
    return summary


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
@question_option
@output_option(
    "results.jsonl",
    "Output: JSON lines, or a folder of Parquet parts when it ends in .parquet (a local path or a "
    "URI); documents already in it are skipped.",
    uri_ok=True,
)
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
    ray_address,
    ocr_actors,
    llm_actors,
):
    """Extract fields from every image and PDF in FOLDER into JSON lines or Parquet (resumable)."""
    from ..filesystems import is_uri
    from ..pipeline import Pipeline

    if not fields and not question:
        raise click.UsageError("give -f/--field and/or -q/--question")
    query = build_query(fields, question)
    page_range = check_pages(pages)
    if is_uri(folder) and not ray_address:
        raise click.UsageError(f"{folder}: a URI is read with --ray; give a local folder otherwise")
    if not is_parquet(output):
        if is_uri(output):
            raise click.UsageError(f"{output}: a URI output must be a .parquet folder")
        if Path(output).is_dir():
            raise click.UsageError(
                f"{output}: is a folder; JSON lines go to a file (or name a .parquet folder)"
            )
        output = Path(output)
    settings = make_settings(
        ocr_engine=engine,
        ocr_threads=ocr_threads,
        backend=backend,
        model=model,
        base_url=base_url,
        llm_threads=llm_threads,
        review_below=review_below,
    )
    if ray_address:
        from ..cluster import require_ray
        from ..ray_batch import named_documents, run_ray_batch

        require_ray()
        try:
            found = named_documents(folder)
        except (FileNotFoundError, OSError) as e:
            raise click.ClickException(f"{folder}: cannot list this folder ({e})") from None
        if not found:
            raise click.ClickException(f"{folder}: no images or PDFs in this folder")
        s = run_ray_batch(
            folder,
            query,
            output,
            settings=settings,
            pages=page_range,
            strict=strict,
            copy=copy,
            retry_failed=retry_failed,
            limit=limit,
            progress=progress,
            address=ray_address,
            ocr_actors=ocr_actors,
            llm_actors=llm_actors,
            verbose=is_verbose(),
        )
        how = f"Ray: {s.get('ocr_actors', 0)} OCR + {s.get('llm_actors', 0)} LLM actors"
    else:
        folder = Path(folder)
        if not list_documents(folder):
            raise click.ClickException(f"{folder}: no images or PDFs in this folder")
        pipeline = Pipeline.from_settings(
            settings, lazy_llm=True, lazy_ocr=True
        )  # nothing to do: no model loads
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
        how = f"overlap {'on' if overlap else 'off'}"
    click.echo(
        f"{s['ok']} ok, {s['failed']} failed, {s['skipped']} already done, of {s['found']} documents; "
        f"{s['seconds']} s ({s['docs_per_min']} docs/min, {how}) -> {output}",
        err=True,
    )
