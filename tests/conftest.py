"""Shared fixtures: real parts, loaded once per session.

Which tests are slow, and why (`@pytest.mark.slow`, skipped by `make test-fast`; `make test` prints
the 25 slowest with --durations=25). Each costs more than ~20 s on the 2-core test machine because it
runs a whole real part end to end, which is the point of the check:
- a wheel built and installed into a fresh venv (test_wheel), XTuner training runs on CPU
  (test_finetune, test_xtuner, test_xtuner_gemma), averaging adapters into a merged model
  (test_soup_adapters): minutes each, in subprocesses;
- a local Ray cluster started and a batch run on it (test_ray);
- a second model loaded (Gemma 3 270M: test_embedded_gemma; PaddleOCR: test_ocr_paddle) or the
  embedded model served by a subprocess (test_llm_backends, test_llm_cli's quiet-run check);
- the real HTTP server with the embedded LLM under concurrent and fuzzed requests (test_api,
  test_fuzz), a folder through the real OCR and LLM (test_batch);
- the demo with the real models in Streamlit's AppTest and in Chromium, and the layout in Chromium
  with scripted parts (~20 s per window size; test_demo);
- OCR of a data set: the 21 SROIE dev receipts (`receipts_ocr`, test_ocr_engine), one generated
  document of every type (`built`, test_generate_data), rendered pages (test_grounding).
The training runs (test_finetune's fine-tune from a folder, test_xtuner's two-step run, test_xtuner_gemma, test_torch_lora)
are also marked `training`: `make test` leaves them to `make test-training`, and CI runs both.
Everything else uses the session's models (`embedded_backend`, `rapid_engine`: loaded once, never per
test) or the scripted fakes in tests/fakes.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
# shared/ sits beside the clone in CI and in development checkouts.
DEV_DIR = Path(os.environ.get("CHATOCR_DEV_DATA", REPO.parent / "shared" / "data" / "dev"))
SAMPLE = REPO / "samples" / "vat_invoice_sample.png"


def load_labels(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


@pytest.fixture(scope="session")
def dev_dir() -> Path:
    if not DEV_DIR.is_dir():
        pytest.skip(f"dev data not found at {DEV_DIR}")
    return DEV_DIR


@pytest.fixture(scope="session")
def rapid_engine():
    from ocr_stage import get_engine

    return get_engine("rapid")


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def receipts_ocr(dev_dir, rapid_engine) -> list[tuple[dict, object]]:
    """(label record, OcrResult) for every SROIE dev receipt, OCR'd once per session (~40 s)."""
    from ocr_stage import run_ocr

    folder = dev_dir / "sroie_receipts"
    return [(rec, run_ocr(folder / rec["image"], rapid_engine)) for rec in load_labels(folder)]


@pytest.fixture(scope="session")
def embedded_backend():
    """The embedded LLM (SmolLM2-135M-Instruct via transformers), loaded once per session. One
    thread: the 2-core test machine runs OCR beside it, and oversubscribed torch threads crawl."""
    from llm_stage import get_backend

    return get_backend("transformers", threads=1)


@pytest.fixture(scope="session")
def sample_ocr(sample_path, rapid_engine):
    """OcrResult of samples/vat_invoice_sample.png, computed once per session."""
    from ocr_stage import run_ocr

    return run_ocr(sample_path, rapid_engine)
