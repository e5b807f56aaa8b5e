"""`chatocr batch --ray` and `chatocr serve --ray` on a real local Ray cluster (2 CPUs, started here):
the Ray batch gives the local batch's values, records a corrupt file and goes on, resumes; the Ray
Serve app answers /v1/extract with the plain server's limits, auth and errors."""

from __future__ import annotations

import functools
import io
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

# every test here starts or uses a local Ray cluster (about a minute in all): `make test` runs them,
# `make test-fast` leaves them out
pytestmark = pytest.mark.slow

import httpx  # noqa: E402
from api_helpers import free_port, make_batch_folder, render_text_png  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from fakes import scripted_stage, slow_when_asked  # noqa: E402
from PIL import Image  # noqa: E402

from chatocr.batch import read_records, run_batch  # noqa: E402
from chatocr.batch.ray_runner import run_ray_batch  # noqa: E402
from chatocr.commands.batch import batch  # noqa: E402
from chatocr.pipeline import Pipeline  # noqa: E402
from chatocr.settings import Settings  # noqa: E402
from llm_stage import FieldQuery  # noqa: E402

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def cluster():
    """A real Ray instance with 2 CPUs for this module; tests/ is on the workers' path, so the
    scripted stages (tests/fakes.py) load there."""
    if ray.is_initialized():
        ray.shutdown()
    from chatocr.cluster import init_ray

    path = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    init_ray(
        num_cpus=2,
        object_store_memory=200 * 1024 * 1024,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={
            "env_vars": {
                "PYTHONPATH": path,
                "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
                "OMP_NUM_THREADS": "1",
            }
        },
    )
    yield ray
    try:
        from ray import serve

        serve.shutdown()
    except Exception:
        pass
    ray.shutdown()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_batch_folder(tmp_path_factory.mktemp("docs"))


QUERY = FieldQuery(fields=["total"])


def _ray_batch(folder, out, **kw):
    return run_ray_batch(
        folder, QUERY, out, factory=scripted_stage, progress=False, ocr_actors=1, llm_actors=1, **kw
    )


@pytest.mark.parametrize("out_name", ["results.jsonl", "results.parquet"])
def test_corrupt_file_is_recorded_and_a_rerun_skips_finished(cluster, folder, tmp_path, out_name):
    out = tmp_path / out_name
    s1 = _ray_batch(folder, out, limit=2)
    assert (s1["ok"], s1["failed"], s1["skipped"]) == (1, 1, 0)
    recs = {r["document"]: r for r in read_records(out)}
    assert set(recs) == {"a_receipt.png", "c_broken.jpg"}
    assert recs["c_broken.jpg"]["ok"] is False and "c_broken.jpg" in recs["c_broken.jpg"]["error"]
    assert recs["c_broken.jpg"]["error"].startswith("InputError: ")
    ok = recs["a_receipt.png"]
    assert ok["ok"] is True and ok["values"] == {"total": "9.00"}
    assert list(ok["extraction"]["fields"]) == ["total"] and ok["extraction"]["fields"]["total"]["grounded"]

    s2 = _ray_batch(folder, out)  # resumes: only the PDF in sub/ is left
    assert (s2["ok"], s2["failed"], s2["skipped"]) == (1, 0, 2)
    assert [r["document"] for r in read_records(out)][-1] == "sub/b_receipt.pdf"
    s3 = _ray_batch(folder, out)
    assert (s3["ok"], s3["failed"], s3["skipped"]) == (0, 0, 3)
    s4 = _ray_batch(folder, out, retry_failed=True)
    assert (s4["ok"], s4["failed"], s4["skipped"]) == (0, 1, 2)
    assert len(read_records(out)) == 4


def test_same_record_schema_as_the_local_batch(cluster, folder, tmp_path):
    """Key for key the local batch's records (the scripted stages on both sides)."""
    local_out, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.parquet"
    pipe = Pipeline(scripted_stage(None, "ocr").ocr_engine, scripted_stage(None, "llm").backend)
    run_batch(pipe, folder, QUERY, local_out, progress=False)
    _ray_batch(folder, ray_out)
    local = {r["document"]: r for r in read_records(local_out)}
    remote = {r["document"]: r for r in read_records(ray_out)}
    assert set(local) == set(remote) == {"a_receipt.png", "c_broken.jpg", "sub/b_receipt.pdf"}
    for name, rec in local.items():
        assert set(remote[name]) == set(rec)
        if rec["ok"]:
            assert remote[name]["values"] == rec["values"]
            assert set(remote[name]["extraction"]) == set(rec["extraction"])
            assert remote[name]["extraction"]["fields"] == rec["extraction"]["fields"]
        else:
            assert remote[name]["error"] == rec["error"]


def test_a_uri_folder_is_read_through_its_filesystem(cluster, folder, tmp_path):
    out = tmp_path / "r.jsonl"
    s = _ray_batch(f"file://{folder}", out)  # read like s3:// or gs:// would be, via pyarrow
    assert (s["ok"], s["failed"]) == (2, 1)
    assert {r["document"] for r in read_records(out)} == {
        "a_receipt.png",
        "c_broken.jpg",
        "sub/b_receipt.pdf",
    }


def test_ray_batch_splits_pages_writes_csv_and_resumes_per_job(cluster, tmp_path):
    """The Ray runner shares the local one's plan-and-drain loop: one answer per page, the CSV sink,
    and what counts as done is per job (other fields: the work is done again)."""
    import csv

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.png").write_bytes(render_text_png(["SHOP", "TOTAL 9.00"]))
    pages = [Image.open(io.BytesIO(render_text_png([f"R{i}", "TOTAL 9.00"]))) for i in (1, 2)]
    pages[0].save(docs / "stack.pdf", "PDF", save_all=True, append_images=pages[1:])
    out = tmp_path / "r.csv"
    s = _ray_batch(docs, out, split_pages=True)
    assert (s["ok"], s["failed"], s["skipped"]) == (3, 0, 0)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted((r["document"], r["page"], r["total"]) for r in rows) == [
        ("a.png", "1", "9.00"),
        ("stack.pdf", "1", "9.00"),
        ("stack.pdf", "2", "9.00"),
    ]
    assert _ray_batch(docs, out, split_pages=True)["skipped"] == 2
    other = tmp_path / "r.jsonl"
    _ray_batch(docs, other)
    s = run_ray_batch(
        docs, FieldQuery(fields=["total", "date"]), other, factory=scripted_stage, progress=False,
        ocr_actors=1, llm_actors=1,
    )  # fmt: skip
    assert (s["ok"], s["skipped"]) == (2, 0)


def test_ray_batch_gives_the_local_batch_values(cluster, dev_dir, tmp_path):
    """The real models (rapid OCR, the embedded LLM with its adapter) on three dev receipts, through
    the CLI both ways: the same values and evidence, document for document."""
    receipts = dev_dir / "sroie_receipts"
    args = [str(receipts), "-f", "company,date,total", "-n", "3", "--ocr-threads", "1", "--llm-threads", "1"]
    args += ["--no-progress"]
    local_out, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    r = CliRunner().invoke(batch, [*args, "-o", str(local_out)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(
        batch, [*args, "-o", str(ray_out), "--ray", "--ocr-actors", "1", "--llm-actors", "1"]
    )
    assert r.exit_code == 0, r.output
    assert "3 ok, 0 failed" in r.output and "Ray: 1 OCR + 1 LLM actors" in r.output
    local = {x["document"]: x for x in read_records(local_out)}
    remote = {x["document"]: x for x in read_records(ray_out)}
    assert len(local) == 3 and set(remote) == set(local)
    for name, rec in local.items():
        assert remote[name]["values"] == rec["values"], name
        for field, v in rec["extraction"]["fields"].items():
            w = remote[name]["extraction"]["fields"][field]
            assert (w["value"], w["page"], w["box"], w["grounded"]) == (
                v["value"],
                v["page"],
                v["box"],
                v["grounded"],
            )
    # a rerun skips the three finished documents and takes the next ones
    r = CliRunner().invoke(
        batch, [*args, "-o", str(ray_out), "--ray", "--ocr-actors", "1", "--llm-actors", "1"]
    )
    assert r.exit_code == 0 and "3 ok, 0 failed, 3 already done" in r.output, r.output
    names = [x["document"] for x in read_records(ray_out)]
    assert len(names) == len(set(names)) == 6 and set(names[:3]) == set(local)


# ------------------------------------------------------------------ chatocr serve --ray (Ray Serve)

KEY = "s3cret"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def serve_base(cluster):
    """The app on Ray Serve: 2 OCR replicas and 1 LLM replica of the scripted stages (the LLM takes
    4 s when the field `slow` is asked), a pool of 1 worker + 1 waiting, small limits, an API key."""
    serve = pytest.importorskip("ray.serve")
    from api_helpers import wait_http

    from chatocr.api import ApiConfig
    from chatocr.api.ray_serve import APP_NAME, build_app

    port = free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    config = ApiConfig(
        workers=1, max_queue=1, timeout_s=120, max_upload_bytes=2_000_000, max_fields=8, api_key=KEY
    )
    settings = Settings(max_pixels=12_000_000, max_pages=4)
    app = build_app(
        settings,
        config,
        ocr_replicas=2,
        llm_replicas=1,
        ocr_cpus=0.5,
        llm_resources={"num_cpus": 0.5},
        factory=functools.partial(scripted_stage, script=[slow_when_asked]),
    )
    serve.run(app, name=APP_NAME, route_prefix="/")
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/readyz", 300, "the Ray Serve app")
    yield base
    serve.delete(APP_NAME)


def _post(base, path, doc=b"", name="doc.png", **kw):
    files = {"file": (name, doc, "image/png")} if doc else None
    return httpx.post(base + path, files=files, headers=kw.pop("headers", AUTH), timeout=120, **kw)


def test_serve_ray_answers_extract_and_ocr(serve_base):
    ready = httpx.get(serve_base + "/readyz").json()
    assert ready["ready"] and ready["engines"] == ["scripted-ocr"] and ready["backend"] == "scripted"
    assert ready["limits"]["max_fields"] == 8 and ready["limits"]["max_pages"] == 4
    png = render_text_png(["SHOP", "TOTAL 9.00"])
    r = _post(serve_base, "/v1/extract", png, data={"fields": "total", "include_ocr": "true"})
    assert r.status_code == 200, r.text
    ext = r.json()
    assert ext["fields"]["total"]["value"] == "9.00" and ext["fields"]["total"]["grounded"]
    assert ext["fields"]["total"]["page"] == 1 and ext["ocr"]["engine"] == "scripted-ocr"
    assert ext["timings"]["total_s"] >= ext["timings"]["work_s"] > 0
    body = {"document": {"base64": __import__("base64").b64encode(png).decode()}, "question": "total?"}
    r = httpx.post(serve_base + "/v1/extract", json=body, headers=AUTH, timeout=120)
    assert r.status_code == 200 and list(r.json()["fields"]) == ["answer"]
    r = _post(serve_base, "/v1/ocr", png)
    assert r.status_code == 200 and r.json()["pages"][0]["lines"][1]["text"] == "TOTAL 9.00"
    assert httpx.get(serve_base + "/v1/stats", headers=AUTH).json()["capacity"] == 2


def test_serve_ray_keeps_auth_limits_and_errors(serve_base):
    png = render_text_png(["LIMIT"])
    assert httpx.get(serve_base + "/healthz").json() == {"status": "ok"}
    r = _post(serve_base, "/v1/ocr", png, headers={})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = httpx.post(
        serve_base + "/v1/ocr", content=b"x" * 3_000_000, headers={**AUTH, "content-type": "application/json"}
    )
    assert r.status_code == 413 and "over the limit" in r.json()["message"]
    r = _post(serve_base, "/v1/extract", png, data={"fields": ",".join(f"f{i}" for i in range(9))})
    assert r.status_code == 422 and "limit is 8" in r.json()["message"]
    r = _post(serve_base, "/v1/extract", png, data={"fields": "total", "pages": "1-9"})
    assert r.status_code == 413 and r.json()["error"] == "too_many_pages"
    # raised in an OCR replica, answered as the plain server answers it (no remote traceback)
    r = _post(serve_base, "/v1/ocr", b"not an image", name="x.png")
    assert r.status_code == 422 and r.json()["message"].startswith("x.png:"), r.text
    assert "Traceback" not in r.text and "Ray" not in r.text
    r = _post(serve_base, "/v1/ocr", png, data={"pages": "2"})
    assert r.status_code == 422 and "page 2" in r.json()["message"]
    # a photo over the pixel limit is downscaled; one over the decode cap (120 Mpx) is refused from its
    # header, before any decoding
    from bench.fuzz_hooks import _png_header_only

    buf = io.BytesIO(_png_header_only(13_000, 10_000))
    r = _post(serve_base, "/v1/ocr", buf.getvalue(), name="big.png")
    assert r.status_code == 413 and "pixels" in r.json()["message"]
    r = httpx.post(serve_base + "/v1/ocr", content=b"hello", headers={**AUTH, "content-type": "text/plain"})
    assert r.status_code == 415


def test_serve_ray_queue_bound_is_503_with_retry_after(serve_base):
    """1 worker + 1 waiting: of three slow extractions at once, one is turned away at the door."""
    png = render_text_png(["SLOW"])

    def call(_):
        return _post(serve_base, "/v1/extract", png, data={"fields": "slow,total"})

    with ThreadPoolExecutor(3) as ex:
        futures = []
        for i in range(3):
            futures.append(ex.submit(call, i))
            time.sleep(0.5)  # in order, so the first two are admitted before the third arrives
        rs = [f.result() for f in futures]
    codes = sorted(r.status_code for r in rs)
    assert codes == [200, 200, 503], [r.text for r in rs]
    busy = next(r for r in rs if r.status_code == 503)
    assert busy.json()["error"] == "busy" and int(busy.headers["Retry-After"]) >= 1
    assert json.loads(next(r for r in rs if r.status_code == 200).text)["fields"]["total"]["value"] == "9.00"
