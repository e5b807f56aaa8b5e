"""`chatocr serve --ray`: the same FastAPI app (chatocr.api.create_app) on Ray Serve, with OCR and the
LLM as separate deployments whose replica counts are set apart.

    HTTP -> Serve proxy -> chatocr-api (1 replica, no CPU): create_app with a RemotePipeline
                              limits, auth, 413/422 checks, the bounded worker pool (503 + Retry-After)
                              -> chatocr-ocr (N replicas): Pipeline.ocr        decode + OCR, CPU
                              -> chatocr-llm (M replicas): Pipeline.extract_from_ocr   GPU if any

The ingress runs the very app `chatocr serve` runs: the same endpoints, limits, auth and error table.
Only the model calls leave its process: `RemotePipeline` is a Pipeline whose `ocr` and
`extract_from_ocr` run in the deployments (there, the ordinary Pipeline code), so one slow LLM call no
longer holds the OCR of the next request, and each stage grows by adding replicas. An error raised in
a deployment (a corrupt document, a page over the limit) reaches the app as the original exception,
so it is answered exactly as the plain server answers it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from ..cluster import StageFactory, stage_pipeline
from ..pipeline import Pipeline
from ..quiet import quiet_unless
from ..settings import Settings
from .config import ApiConfig

APP_NAME = "chatocr"


def input_limits(settings: Settings, config: ApiConfig):
    """The document limits of the app and of the OCR replicas (ServerState.load sets the same)."""
    return settings.limits(max_bytes=config.max_upload_bytes, max_total_pixels=config.max_total_pixels)


# ---------------------------------------------------------------- the model deployments


class OcrDeployment:
    """Decode + OCR: the OCR engine loaded once per replica."""

    def __init__(self, settings: Settings, limits, factory: StageFactory | None = None, verbose=False):
        self.pipeline = stage_pipeline(settings, "ocr", factory, verbose)
        self.pipeline.limits = limits

    def info(self) -> str:
        return self.pipeline.ocr_engine.name

    def ocr(self, source, name, page_range):
        return self.pipeline.ocr(source, name=name, page_range=page_range)


class LlmDeployment:
    """Prompt -> LLM -> parse -> ground: the model loaded once per replica."""

    def __init__(self, settings: Settings, factory: StageFactory | None = None, verbose=False):
        self.pipeline = stage_pipeline(settings, "llm", factory, verbose)
        self.pipeline.backend  # noqa: B018 (a lazy backend loads now, before the replica reports ready)

    def info(self) -> str:
        b = self.pipeline.backend
        return getattr(b, "name", type(b).__name__)

    def extract(self, ocr, query, strict, normalize, copy, repairs=None):
        return self.pipeline.extract_from_ocr(
            ocr, query, strict=strict, normalize=normalize, copy=copy, repairs=repairs
        )


# ---------------------------------------------------------------- the app's side


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False


def result(response, timeout_s: float | None):
    """The value of a deployment call; an exception raised in the deployment is raised here as itself
    (not wrapped in Ray's RayTaskError with the remote traceback), so the error table answers it."""
    from ray.exceptions import RayTaskError

    try:
        return response.result(timeout_s=timeout_s)
    except RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, BaseException):
            raise cause from None
        raise


class RemoteModel:
    """Stands, in the app's process, for a model living in a deployment: the handle and its name."""

    def __init__(self, handle, fallback_name: str):
        self.handle, self._fallback, self._name = handle, fallback_name, None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        if self._name is None:
            if _in_event_loop():  # never block the app's event loop; ServerState.load asks first
                return self._fallback
            with self._lock:
                if self._name is None:
                    self._name = result(self.handle.info.remote(), 600)
        return self._name


class RemotePipeline(Pipeline):
    """A Pipeline whose two stages run in Serve deployments; `run` and `extract` are Pipeline's own.
    No model lock is taken here: each replica's Pipeline takes its own."""

    def __init__(self, ocr_handle, llm_handle, limits, settings: Settings, timeout_s: float | None):
        super().__init__(
            RemoteModel(ocr_handle, settings.ocr_engine),
            RemoteModel(llm_handle, settings.backend) if llm_handle is not None else None,
            limits,
            review_below=settings.review_below,
            repairs=settings.repairs,
        )
        self.timeout_s = timeout_s

    def ocr(self, source, *, name=None, page_range=None):
        return result(self.ocr_engine.handle.ocr.remote(source, name, page_range), self.timeout_s)

    def extract_from_ocr(self, ocr, query, *, strict=None, normalize=False, copy=None, repairs=None):
        if self._backend is None:
            raise RuntimeError("this pipeline was built without an LLM backend")
        call = self._backend.handle.extract.remote(
            ocr, query, strict, normalize, copy, repairs or self.repairs
        )
        return result(call, self.timeout_s)


class ApiIngress:
    """The ingress deployment: builds create_app's app in the replica, on a RemotePipeline."""

    def __init__(self, settings: Settings, config: ApiConfig, limits, ocr, llm=None, verbose=False):
        quiet_unless(verbose)
        self.settings, self.config, self.limits, self.ocr, self.llm = settings, config, limits, ocr, llm

    def __serve_build_asgi_app__(self):
        from .app import create_app

        pipe = RemotePipeline(self.ocr, self.llm, self.limits, self.settings, self.config.timeout_s)
        return create_app(self.settings, self.config, pipeline=pipe, load_llm=self.llm is not None)


def build_app(
    settings: Settings,
    config: ApiConfig,
    *,
    ocr_replicas: int = 1,
    llm_replicas: int = 1,
    load_llm: bool = True,
    ocr_cpus: float = 1.0,
    llm_resources: dict | None = None,
    factory: StageFactory | None = None,
    verbose: bool = False,
):
    """The Serve application (bound, ready for serve.run). Needs a connected Ray. Each model replica
    takes one request at a time (its Pipeline locks the model anyway), so Serve routes every call to
    a free replica and holds the rest; the app's worker pool bounds how many wait (503 beyond)."""
    from ray import serve

    from ..cluster import llm_resources as default_llm_resources
    from ..cluster import stage_threads

    limits = input_limits(settings, config)
    ocr = serve.deployment(
        OcrDeployment,
        name="chatocr-ocr",
        num_replicas=ocr_replicas,
        max_ongoing_requests=1,
        ray_actor_options={"num_cpus": ocr_cpus},
    ).bind(settings, limits, factory, verbose)
    llm = None
    if load_llm:
        res = llm_resources or default_llm_resources(settings.backend, None, settings.llm_threads)
        llm = serve.deployment(
            LlmDeployment,
            name="chatocr-llm",
            num_replicas=llm_replicas,
            max_ongoing_requests=1,
            ray_actor_options=res,
        ).bind(stage_threads(settings, res), factory, verbose)
    # The app admits workers + queue requests itself and answers 503 past that; Serve must hand it
    # every request (health checks included) rather than queue them in the proxy.
    ingress = serve.deployment(
        serve.ingress()(ApiIngress),
        name="chatocr-api",
        num_replicas=1,
        max_ongoing_requests=max(256, 4 * (config.workers + config.max_queue)),
        ray_actor_options={"num_cpus": 0},
    )
    return ingress.bind(settings, config, limits, ocr, llm, verbose)


def proxy_options(config: ApiConfig, host: str, port: int) -> dict:
    """Ray Serve's HTTP proxy options: of the server's connection limits, its uvicorn takes only the
    keep-alive and an end-to-end request timeout (the app's own deadline plus the body's, so the
    app answers its 504 first); the caps and the header limits come from a reverse proxy in front."""
    return {
        "host": host,
        "port": port,
        "keep_alive_timeout_s": max(1, round(config.keep_alive_s)),
        "request_timeout_s": config.timeout_s + config.body_deadline_s + 5,
    }


def serve_on_ray(
    settings: Settings,
    config: ApiConfig,
    *,
    address: str | None,
    host: str,
    port: int,
    ocr_replicas: int,
    llm_replicas: int,
    load_llm: bool,
    verbose: bool = False,
    echo: Callable[[str], None] = print,
) -> None:
    """Start Serve on the cluster at `address` (see chatocr.cluster.ray_cluster), run the app on
    host:port until interrupted (Ctrl-C or SIGTERM), then remove it."""
    import math
    import os
    import signal

    from ..cluster import is_local, llm_resources, ocr_cpus, quiet_ray_data, ray_cluster

    cpus = ocr_cpus(settings)
    # A Ray started here gets CPUs for every replica asked for, even beyond this machine's cores
    # (oversubscribed, as asked); on a cluster, Serve waits for (or autoscales to) the resources.
    need = ocr_replicas * cpus
    if load_llm:
        need += llm_replicas * llm_resources(settings.backend, 0, settings.llm_threads)["num_cpus"]
    local_cpus = math.ceil(need) if is_local(address) and need > (os.cpu_count() or 1) else None
    with ray_cluster(address, verbose=verbose, num_cpus=local_cpus):
        from ray import serve

        quiet_ray_data(verbose)
        serve.start(http_options=proxy_options(config, host, port))
        app = build_app(
            settings,
            config,
            ocr_replicas=ocr_replicas,
            llm_replicas=llm_replicas,
            load_llm=load_llm,
            ocr_cpus=cpus,
            verbose=verbose,
        )
        echo(
            f"chatocr API on Ray Serve at http://{host}:{port} (docs: /docs): {ocr_replicas} OCR and "
            f"{llm_replicas if load_llm else 0} LLM replicas; loading models…"
        )
        serve.run(app, name=APP_NAME, route_prefix="/")
        echo("ready")
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            serve.delete(APP_NAME)
