"""Big pages and turned photos through the OCR stage, today's reading against the current one.

Pages are built from a real receipt (SROIE dev): an A4 sheet scanned at 300 dpi (2552x3508) with the
receipt on it, a 50-megapixel photo of it, and the receipt turned by 90 and 180 degrees. Each page is
decoded (ocr_stage.load_document, so the input limits apply) and read by two engine settings in turn,
A B A B ..., and the bench prints per page the median seconds of each, the ratio A/B pair by pair, and
how many of the receipt's labelled values occur verbatim in the rendered text.

    python -m bench.ocr_big_pages                 # A: today's whole-page reading, B: the default
    python -m bench.ocr_big_pages --rounds 3 --pages a4-scan

"today" is `RapidEngine(auto_rotate=False, fit_text_region=False)`: the page shrunk to 2000 px for
detection and recognition alike, no turning, and the input limits of before (over 40 Mpx refused).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

DEV = Path("/work/shared/data/dev/sroie_receipts")
RECEIPT = "img/124.jpg"  # 935x1865: a till receipt scanned at about 300 dpi
A4_300DPI = (2552, 3508)


def receipt(dev: Path = DEV, image: str = RECEIPT) -> tuple[Image.Image, dict]:
    labels = {}
    for line in (dev / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["image"] == image:
            labels = rec["fields"]
    return Image.open(dev / image).convert("RGB"), labels


def a4_scan(rec: Image.Image, seed: int = 0) -> Image.Image:
    """The receipt on a white A4 sheet at 300 dpi, off-white with scanner noise, placed off-centre."""
    rng = np.random.default_rng(seed)
    w, h = A4_300DPI
    page = np.clip(rng.normal(246, 3, (h, w, 1)), 0, 255).astype(np.uint8).repeat(3, axis=2)
    img = Image.fromarray(page)
    img.paste(rec, (380, 260))
    return img


def photo(rec: Image.Image, megapixels: float = 50.0) -> Image.Image:
    """The receipt on a grey table, scaled so that the photo has `megapixels`, 3:4."""
    h = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    w = int(h * 3 / 4)
    img = Image.new("RGB", (w, h), (120, 118, 110))
    s = 0.8 * h / rec.height
    r = rec.resize((int(rec.width * s), int(rec.height * s)), Image.BICUBIC)
    img.paste(r, ((w - r.width) // 2, (h - r.height) // 2))
    return img


def pages(rec: Image.Image) -> dict[str, Image.Image]:
    return {
        "receipt": rec,
        "turned-90": rec.rotate(-90, expand=True),
        "turned-180": rec.rotate(180, expand=True),
        "a4-scan": a4_scan(rec),
        "photo-50mp": photo(rec),
    }


def jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def verbatim(text: str, labels: dict) -> int:
    flat = " ".join(text.split()).upper()
    return sum(1 for v in labels.values() if v and " ".join(v.split()).upper() in flat)


def read(engine, data: bytes, limits) -> tuple[float, float, str, int]:
    """Wall and CPU seconds (this process, all threads), the rendered text and the page's turn."""
    from ocr_stage import InputError, run_ocr

    t0, c0 = time.perf_counter(), time.process_time()
    try:
        res = run_ocr(data, engine, name="page", limits=limits)
    except InputError as e:
        return time.perf_counter() - t0, time.process_time() - c0, f"refused: {e}", 0
    return time.perf_counter() - t0, time.process_time() - c0, res.to_text(), res.pages[0].rotation


def main(argv=None) -> None:
    from ocr_stage import InputLimits
    from ocr_stage.engines.rapid import RapidEngine

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--pages", nargs="*", default=None, help="receipt turned-90 turned-180 a4-scan photo-50mp"
    )
    args = ap.parse_args(argv)

    rec, labels = receipt()
    built = {k: jpeg(v) for k, v in pages(rec).items() if not args.pages or k in args.pages}
    a = RapidEngine(auto_rotate=False, fit_text_region=False)
    b = RapidEngine()
    limits_a = InputLimits(max_pixels=40_000_000, max_side=12_000, max_decode_pixels=40_000_000)
    limits_b = InputLimits()
    print(
        f"labelled values: {len(labels)}; {args.rounds} rounds, A then B in turn (wall seconds; shared machine)"
    )
    print(
        f"{'page':12s} {'A s':>6s} {'B s':>6s} {'A/B':>5s} {'A cpu':>6s} {'B cpu':>6s} {'A/B':>5s}"
        "  A verbatim  B verbatim  B turned"
    )
    med = statistics.median
    for name, data in built.items():
        wa, wb, ca, cb = [], [], [], []
        for _ in range(args.rounds):
            sa, cpu_a, text_a, _ = read(a, data, limits_a)
            sb, cpu_b, text_b, rot = read(b, data, limits_b)
            wa, wb, ca, cb = wa + [sa], wb + [sb], ca + [cpu_a], cb + [cpu_b]
        va = "refused" if text_a.startswith("refused") else f"{verbatim(text_a, labels)}/{len(labels)}"
        vb = "refused" if text_b.startswith("refused") else f"{verbatim(text_b, labels)}/{len(labels)}"
        ratio_w = med([x / y for x, y in zip(wa, wb, strict=True)])
        ratio_c = med([x / y for x, y in zip(ca, cb, strict=True)])
        print(
            f"{name:12s} {med(wa):6.2f} {med(wb):6.2f} {ratio_w:5.2f} {med(ca):6.2f} {med(cb):6.2f} {ratio_c:5.2f}"
            f"  {va:>10s}  {vb:>10s}  {rot:>8d}"
        )


if __name__ == "__main__":
    main()
