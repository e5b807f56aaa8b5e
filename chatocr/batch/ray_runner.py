"""The batch as a Ray Data pipeline (`chatocr batch --ray`), over the same Pipeline code and the same
plan-and-drain loop as the local runner.

    documents (local folder or any pyarrow/fsspec URI, minus those already in the output)
      -> OcrStage actors      read + decode + OCR   (engine loaded once per actor; CPUs)
      -> ExtractStage actors  prompt -> LLM -> parse -> ground   (model loaded once per actor;
                              a GPU each when the cluster has GPUs, or an OpenAI-compatible server)
      -> the driver writes each document's records as they arrive (the local batch's records and
         sinks), so an interrupted run resumes where it stopped.

The two actor pools are sized apart (`ocr_actors`, `llm_actors`), so OCR and the LLM scale separately
and Ray Data's streaming executor keeps both busy with bounded queues between them. A document that
fails is recorded ({"ok": false, "error": ...}) and the run goes on.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from ..cluster import StageFactory, stage_pipeline
from ..filesystems import is_uri, list_documents_at, read_bytes, resolve
from ..settings import Settings
from .plan import answer, as_job, drain, list_documents, plan
from .records import BatchJob, failed_record
from .sinks import open_sink


class OcrStage:
    """Ray Data actor: a row {"document", "root", "path"} -> {"document", "ocr", "error"} (the
    OcrResult as JSON, or the failed record as JSON; the other one empty)."""

    def __init__(self, settings: Settings, job: BatchJob, factory: StageFactory | None = None, verbose=False):
        self.pipeline = stage_pipeline(settings, "ocr", factory, verbose)
        self.job = job
        self._fs: dict[str, Any] = {}

    def _source(self, row: dict):
        root, path = row["root"], row["path"]
        if not is_uri(root):
            return Path(path)  # the local batch's own reader, byte for byte
        if root not in self._fs:
            self._fs[root] = resolve(root)[0]
        return read_bytes(self._fs[root], path, self.pipeline.limits.max_bytes, Path(path).name)

    def __call__(self, row: dict) -> dict:
        name = row["document"]
        try:
            ocr = self.pipeline.ocr(self._source(row), name=Path(row["path"]).name, page_range=self.job.pages)
            return {"document": name, "ocr": ocr.model_dump_json(), "error": ""}
        except Exception as e:  # recorded per document, never fatal
            return {"document": name, "ocr": "", "error": json.dumps(failed_record(name, e, self.job))}


class ExtractStage:
    """Ray Data actor: {"document", "ocr", "error"} -> {"document", "records"} (a JSON list)."""

    def __init__(self, settings: Settings, job: BatchJob, factory: StageFactory | None = None, verbose=False):
        self.pipeline = stage_pipeline(settings, "llm", factory, verbose)
        self.job = job

    def __call__(self, row: dict) -> dict:
        from ocr_stage import OcrResult

        name = row["document"]
        if row["error"]:
            return {"document": name, "records": "[" + row["error"] + "]"}
        try:
            recs = answer(self.pipeline, name, OcrResult.model_validate_json(row["ocr"]), self.job)
        except Exception as e:  # a result that does not parse back: recorded, never fatal
            recs = [failed_record(name, e, self.job)]
        return {"document": name, "records": json.dumps(recs, ensure_ascii=False)}


def named_documents(folder: str | Path) -> list[tuple[str, str, str]]:
    """(name, root, path) of every document under `folder`: a local folder is listed exactly as the
    local batch lists it (same names, same order); a URI through its filesystem."""
    if is_uri(str(folder)):
        return [(n, str(folder), p) for n, p in list_documents_at(str(folder))]
    root = Path(folder)
    return [(str(p.relative_to(root)), str(root), str(p)) for p in list_documents(root)]


def default_sizes(settings: Settings, ocr_cpus: float) -> tuple[int, int, dict]:
    """(OCR actors, LLM actors, LLM actor resources) for the connected cluster: one LLM actor per GPU
    (or one on CPU, four HTTP clients for `openai`); OCR actors take the CPUs left."""
    from ..cluster import cluster_cpus, cluster_gpus, llm_resources

    gpus = cluster_gpus()
    res = llm_resources(settings.backend, gpus, settings.llm_threads)
    if "num_gpus" in res:
        llm = max(1, int(gpus))
    else:
        llm = 4 if settings.backend == "openai" else 1
    left = cluster_cpus() - llm * res["num_cpus"]
    return max(1, int(left // ocr_cpus)), llm, res


def run_ray_batch(
    folder: str | Path,
    query,
    out,
    *,
    settings: Settings | None = None,
    fmt: str | None = None,
    retry_failed: bool = False,
    limit: int | None = None,
    progress: bool = True,
    address: str | None = None,
    ocr_actors: int | None = None,
    llm_actors: int | None = None,
    factory: StageFactory | None = None,
    verbose: bool = False,
    **options,
) -> dict:
    """`run_batch` on a Ray cluster (see the module doc). Returns the same summary, plus the actor
    counts. `out`: a .jsonl or .csv file, or a .parquet folder (local or a URI)."""
    from ..cluster import is_local, llm_resources, ocr_cpus, quiet_ray_data, ray_cluster, stage_threads
    from .plan import finish_summary

    job = as_job(query, **options)
    settings = settings or Settings()
    cpus = ocr_cpus(settings)  # one OCR thread per reserved CPU
    settings = settings.with_options(ocr_threads=int(cpus))
    sink = open_sink(out, job, fmt)
    todo, summary = plan(named_documents(folder), sink, job, retry_failed, limit)
    if not todo:
        import time

        return finish_summary(summary, time.perf_counter())
    # Actors asked for by number on a Ray started here get their CPUs even where the machine has fewer
    # cores (oversubscribed, as a local run asked for it); a real cluster's autoscaler adds nodes.
    local_cpus = None
    if is_local(address) and ocr_actors and llm_actors:
        need = (
            ocr_actors * cpus
            + llm_actors * llm_resources(settings.backend, 0, settings.llm_threads)["num_cpus"]
        )
        if need > (os.cpu_count() or 1):
            local_cpus = math.ceil(need)
    with ray_cluster(address, verbose=verbose, num_cpus=local_cpus) as ray:
        quiet_ray_data(verbose)
        n_ocr, n_llm, llm_res = default_sizes(settings, cpus)
        n_ocr, n_llm = ocr_actors or n_ocr, llm_actors or n_llm
        summary.update(ocr_actors=n_ocr, llm_actors=n_llm)
        # one block per document at most 1,000 of them, so both pools start at once on a small run
        items = [{"document": n, "root": r, "path": p} for n, r, p in todo]
        ds = ray.data.from_items(items, override_num_blocks=min(len(items), 1000))
        ds = ds.map(
            OcrStage,
            fn_constructor_kwargs={"settings": settings, "job": job, "factory": factory, "verbose": verbose},
            compute=ray.data.ActorPoolStrategy(size=n_ocr),
            num_cpus=cpus,
        )
        ds = ds.map(
            ExtractStage,
            fn_constructor_kwargs={
                "settings": stage_threads(settings, llm_res),
                "job": job,
                "factory": factory,
                "verbose": verbose,
            },
            compute=ray.data.ActorPoolStrategy(size=n_llm),
            **llm_res,
        )
        results = (json.loads(row["records"]) for row in ds.iter_rows())
        return drain(results, sink, len(todo), summary, progress=progress, desc="batch[ray]")
