"""Connecting to a Ray cluster (the optional `ray` extra: `make setup-ray`) for `chatocr batch --ray`
and `chatocr serve --ray`, and the resources each stage asks of it."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

# `--ray` given without an address: start a Ray instance on this machine for the run.
LOCAL = "local"
# Environment variables every Ray worker gets: model hub off, quiet model loading, chatocr's own
# settings (the stages build their Pipeline from the driver's Settings, but engines and backends
# read a few CHATOCR_* variables themselves).
# (Not OMP_NUM_THREADS: Ray sets it per worker from the CPUs the worker reserved.)
_FORWARD_PREFIXES = ("CHATOCR_", "HF_", "TRANSFORMERS_", "PADDLE_")


# A pipeline for one stage of a distributed run: (settings, "ocr" | "llm") -> Pipeline. Default:
# Pipeline.for_stage; tests pass a scripted one. It is pickled to the workers, so it must be
# importable there.
StageFactory = Callable[[Any, str], Any]


def stage_pipeline(settings, stage: str, factory: StageFactory | None = None, verbose: bool = False):
    """The Pipeline that one worker of `stage` runs (a batch actor or a Serve replica), built in the
    worker with third-party output quiet unless `verbose`."""
    from .quiet import quiet_unless, set_verbose

    set_verbose(verbose)
    quiet_unless(verbose)
    if factory is None:
        from .pipeline import Pipeline

        factory = Pipeline.for_stage
    return factory(settings, stage)


class RayMissing(RuntimeError):
    """Ray is not installed in this environment."""


def require_ray():
    try:
        import ray
    except ImportError:
        raise RayMissing(
            "Ray is not installed: run `make setup-ray` (or pip install 'chatocr[ray]') for --ray"
        ) from None
    return ray


def worker_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith(_FORWARD_PREFIXES)}
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_VERBOSITY", "error")
    env.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    return env


def is_local(address: str | None) -> bool:
    return address in (None, "", LOCAL)


def init_ray(tries: int = 3, **kwargs) -> None:
    """`ray.init(**kwargs)`, tried again when Ray's own start-up check gives up: a new local node must
    register within a fixed 30 s, which a machine with every core busy can miss."""
    import ray

    for attempt in range(1, tries + 1):
        try:
            ray.init(**kwargs)
            return
        except Exception as e:
            if "timed out during startup" not in str(e) or attempt == tries:
                raise
            logging.getLogger("chatocr").warning(
                "Ray start-up timed out (attempt %d of %d); again", attempt, tries
            )
            ray.shutdown()


@contextmanager
def ray_cluster(address: str | None, *, verbose: bool = False, num_cpus: int | None = None):
    """Ray, connected for the duration of the block. `address`: LOCAL (or None) starts a Ray
    instance on this machine (with `num_cpus` logical CPUs, default all cores) and stops it
    afterwards; `auto` joins the cluster this machine is part of (`ray start`); `ray://host:10001`
    or `host:6379` joins that one. A Ray already initialized in this process (a test, a notebook)
    is used as it is and left running."""
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict = {
        "runtime_env": {"env_vars": worker_env()},
        "log_to_driver": verbose,
        "logging_level": logging.INFO if verbose else logging.WARNING,
    }
    if is_local(address):
        kwargs["include_dashboard"] = False
        if num_cpus:
            kwargs["num_cpus"] = num_cpus
    else:
        kwargs["address"] = address
    init_ray(**kwargs)
    try:
        yield ray
    finally:
        ray.shutdown()


def quiet_ray_data(verbose: bool) -> None:
    """Ray Data's own per-operator progress and execution logs only with --verbose (chatocr shows one
    progress bar per run)."""
    from ray.data import DataContext

    if not verbose:
        for name in ("ray.data", "ray.serve"):
            logging.getLogger(name).setLevel(logging.ERROR)
    ctx = DataContext.get_current()
    ctx.enable_progress_bars = verbose
    if hasattr(ctx, "enable_operator_progress_bars"):
        ctx.enable_operator_progress_bars = verbose


def cluster_gpus() -> float:
    import ray

    return float(ray.cluster_resources().get("GPU", 0.0))


def cluster_cpus() -> float:
    import ray

    return float(ray.cluster_resources().get("CPU", 0.0))


# Backends that run the model in the process that calls them (a GPU there helps); `openai` calls a
# server elsewhere (lmdeploy api_server, vLLM, `chatocr serve-llm`), so its workers need no GPU.
IN_PROCESS_BACKENDS = ("transformers", "lmdeploy")


def llm_resources(backend: str, gpus: float | None = None, threads: int = 0) -> dict:
    """Ray resources of one LLM worker (a batch actor or a Serve replica): one GPU when the cluster
    has GPUs and the model runs in-process, else `threads` CPUs (at least one; --llm-threads); a
    quarter CPU for an HTTP client (-b openai)."""
    if backend not in IN_PROCESS_BACKENDS:
        return {"num_cpus": 0.25}
    gpus = cluster_gpus() if gpus is None else gpus
    return {"num_cpus": 1, "num_gpus": 1} if gpus > 0 else {"num_cpus": max(1, threads or 1)}


def stage_threads(settings, llm_res: dict):
    """`settings` with the LLM's CPU threads set to what its worker reserved (transformers on CPU),
    unless --llm-threads gave them."""
    if settings.backend != "transformers" or settings.llm_threads:
        return settings
    return settings.with_options(llm_threads=max(1, int(llm_res.get("num_cpus", 1))))


def ocr_cpus(settings) -> float:
    """CPUs of one OCR worker: its --ocr-threads, one by default (then the engine gets one thread)."""
    return float(max(1, settings.ocr_threads or 1))
