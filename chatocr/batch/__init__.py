"""Batch extraction as a library: every document in a folder -> records (one per document, or per
page), written to JSON lines, Parquet or CSV, resumable per job, failures recorded. `run_batch` runs
here; `run_ray_batch` (chatocr.batch.ray_runner, needs the `ray` extra) on a Ray cluster, through the
same plan-and-drain loop. No CLI code: `chatocr batch` (chatocr.commands.batch) only parses options."""

from .local import ocr_stream, run_batch
from .plan import answer, list_documents
from .records import BatchJob, failed_record, ok_record
from .sinks import FORMATS, SinkError, done_documents, open_sink, output_format, read_records

__all__ = [
    "FORMATS",
    "BatchJob",
    "SinkError",
    "answer",
    "done_documents",
    "failed_record",
    "list_documents",
    "ocr_stream",
    "ok_record",
    "open_sink",
    "output_format",
    "read_records",
    "run_batch",
]
