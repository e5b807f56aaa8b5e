"""Turned photos and large pages through the real OCR stage (the shipped PP-OCR models): a page
turned by 90/180/270 degrees reads as the upright one, a receipt on a 300-dpi A4 scan and a
50-megapixel photo are read (not refused), with boxes in the page's own pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest
from api_helpers import FONT
from PIL import Image, ImageDraw, ImageFont

from ocr_stage import load_document, run_ocr
from ocr_stage.engines.orientation import is_sideways, turn, turn_rect

RECEIPT_LINES = [
    "KEDAI RUNCIT MAJU JAYA",
    "NO 12 JALAN MERANTI 4",
    "47100 PUCHONG SELANGOR",
    "DATE 14/03/2019",
    "MILO 1KG        17.90",
    "ROTI GARDENIA    4.20",
    "TOTAL           22.10",
    "THANK YOU",
]


def rendered_receipt(lines=RECEIPT_LINES, scale: float = 1.0) -> Image.Image:
    """A receipt-sized page (about 80 mm wide at 150 dpi times `scale`) printed with `lines`."""
    font = ImageFont.truetype(FONT, int(26 * scale))
    w, step = int(520 * scale), int(44 * scale)
    img = Image.new("RGB", (w, step * (len(lines) + 2)), "white")
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        d.text((int(24 * scale), step * (i + 1)), line, fill="black", font=font)
    return img


def texts(result) -> list[str]:
    return [" ".join(ln.text.split()) for ln in result.pages[0].lines]


def flat(result) -> str:
    return " ".join(result.to_text().split())


@pytest.fixture(scope="module")
def upright(rapid_engine):
    return run_ocr(rendered_receipt(), rapid_engine)


def test_turn_rect_follows_the_turned_pixels():
    img = np.zeros((30, 50, 3), np.uint8)
    img[5:9, 20:27] = 255  # rows 5-8, columns 20-26
    for degrees in (0, 90, 180, 270):
        turned = turn(img, degrees)
        x0, y0, x1, y1 = turn_rect((20, 5, 27, 9), 50, 30, degrees)
        assert turned[y0:y1, x0:x1].min() == 255 and turned.sum() == img.sum()
        assert turned[y0:y1, x0:x1].size == img[5:9, 20:27].size


def test_tall_boxes_mean_a_sideways_page():
    wide = np.array([[[0, 0], [100, 0], [100, 20], [0, 20]]] * 5, np.float32)
    tall = np.array([[[0, 0], [20, 0], [20, 100], [0, 100]]] * 5, np.float32)
    assert is_sideways(tall) and not is_sideways(wide)
    assert not is_sideways(np.concatenate([tall[:2], wide]))


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_turned_page_reads_as_the_upright_one(rapid_engine, upright, degrees):
    page = rendered_receipt().rotate(-degrees, expand=True)  # turned clockwise
    res = run_ocr(page, rapid_engine)
    p = res.pages[0]
    assert p.rotation == (360 - degrees) % 360  # turned back clockwise by the rest of a full turn
    assert (p.width, p.height) == (upright.pages[0].width, upright.pages[0].height)
    assert texts(res) == texts(upright)
    assert "TOTAL 22.10" in flat(res)
    assert upright.pages[0].rotation == 0


@pytest.mark.slow  # three OCR runs of a real invoice photo (~30 s on two loaded cores)
@pytest.mark.parametrize("degrees", [90, 180])
def test_a_turned_real_invoice_reads_as_upright(rapid_engine, sample_ocr, sample_path, degrees):
    turned = Image.open(sample_path).convert("RGB").rotate(-degrees, expand=True)
    res = run_ocr(turned, rapid_engine)
    assert res.pages[0].rotation == (360 - degrees) % 360
    same = set(texts(res)) & set(texts(sample_ocr))
    assert len(same) >= 0.9 * len(texts(sample_ocr)), (texts(res), texts(sample_ocr))


def test_plain_reading_does_not_turn_pages():
    from ocr_stage.engines.rapid import RapidEngine

    plain = RapidEngine(auto_rotate=False, fit_text_region=False)
    res = run_ocr(rendered_receipt().rotate(180), plain)
    assert res.pages[0].rotation == 0 and "TOTAL 22.10" not in flat(res)


def test_a_receipt_on_a_300_dpi_a4_scan_is_read_in_its_region(rapid_engine):
    rec = rendered_receipt(scale=2.0)  # 300 dpi
    a4 = Image.new("RGB", (2552, 3508), (246, 246, 246))
    a4.paste(rec, (400, 300))
    res = run_ocr(a4, rapid_engine)
    p = res.pages[0]
    assert (p.width, p.height, p.rotation) == (2552, 3508, 0)
    assert "TOTAL 22.10" in flat(res) and "KEDAI RUNCIT MAJU JAYA" in flat(res)
    for ln in p.lines:  # boxes in the A4 page's pixels, where the receipt lies
        assert (
            380 <= ln.x_min
            and ln.x_max <= 420 + rec.width
            and 280 <= ln.y_min
            and ln.y_max <= 320 + rec.height
        )


def test_a_50_megapixel_photo_is_read_not_refused(rapid_engine):
    w, h = 6124, 8165  # 50.0 Mpx, 3:4
    photo = Image.new("RGB", (w, h), (120, 118, 110))
    rec = rendered_receipt(scale=10.0)
    photo.paste(rec, ((w - rec.width) // 2, (h - rec.height) // 2))
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=90)
    del photo
    pages = load_document(buf.getvalue(), name="photo.jpg")
    assert pages[0].width * pages[0].height <= 40_000_000  # scaled to the page limit, like a PDF page
    res = run_ocr(buf.getvalue(), rapid_engine, name="photo.jpg")
    assert "TOTAL 22.10" in flat(res) and "47100 PUCHONG SELANGOR" in flat(res)
