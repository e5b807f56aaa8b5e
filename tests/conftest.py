"""Shared fixtures: real parts, loaded once per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
# shared/ sits beside the clone in CI and in sessions.
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
