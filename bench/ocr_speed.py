"""OCR speed: seconds per page for each engine on the dev images, and the overhead of chatocr's
OCR stage (`Pipeline.ocr`: file decoding + engine + OcrResult types) over calling RapidOCR
directly on the same, already decoded arrays.

    python -m bench.ocr_speed [--engines rapid,paddle] [--limit N] [--repeats R]

Prints a table and writes reports/bench_ocr.json and reports/bench_ocr.md. Direct and chatocr
runs are interleaved per image and the fastest of R repeats is kept, so that load from other
processes on a shared machine hits both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV_DIR = Path(os.environ.get("CHATOCR_DEV_DATA", REPO.parent / "shared" / "data" / "dev"))
REPORTS = REPO / "reports"


def dev_images(limit: int | None) -> list[Path]:
    paths = []
    for folder in sorted(p for p in DEV_DIR.iterdir() if (p / "labels.jsonl").is_file()):
        for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                paths.append(folder / json.loads(line)["image"])
    if limit:
        # spread the subset over both sets rather than taking the first folder only
        step = max(1, len(paths) // limit)
        paths = paths[::step][:limit]
    return paths


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_rapid_overhead(paths, repeats: int, progress) -> dict:
    import numpy as np

    from chatocr.pipeline import Pipeline
    from ocr_stage import get_engine, load_document

    engine = get_engine("rapid")
    pipeline = Pipeline(engine)
    direct_ocr = engine._ocr  # the RapidOCR instance, same models and settings
    from PIL import Image, ImageDraw

    warm = Image.new("RGB", (256, 64), "white")
    ImageDraw.Draw(warm).text((10, 20), "warm up 123", fill="black")
    direct_ocr(np.asarray(warm)[:, :, ::-1].copy())
    rows = []
    for path in progress(paths, "rapid: direct vs chatocr"):
        arrays = [np.ascontiguousarray(np.asarray(p)[:, :, ::-1]) for p in load_document(path)]
        t_direct = t_chatocr = c_direct = c_chatocr = float("inf")
        for _ in range(repeats):  # interleaved, fastest kept
            t0, c0 = time.perf_counter(), time.process_time()
            direct = [direct_ocr(a) for a in arrays]
            t_direct = min(t_direct, time.perf_counter() - t0)
            c_direct = min(c_direct, time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            ours = pipeline.ocr(path)
            t_chatocr = min(t_chatocr, time.perf_counter() - t0)
            c_chatocr = min(c_chatocr, time.process_time() - c0)
        n_direct = sum(len(r.txts or ()) for r in direct)
        rows.append(
            {
                "image": f"{path.parent.parent.name}/{path.name}",
                "pages": len(arrays),
                "size": list(image_size(path)),
                "direct_s": t_direct,
                "chatocr_s": t_chatocr,
                "direct_cpu_s": c_direct,
                "chatocr_cpu_s": c_chatocr,
                "lines_direct": n_direct,
                "lines_chatocr": sum(len(p.lines) for p in ours.pages),
            }
        )
    direct_total = sum(r["direct_s"] for r in rows)
    ours_total = sum(r["chatocr_s"] for r in rows)
    pages = sum(r["pages"] for r in rows)
    return {
        "engine": "rapid",
        "images": rows,
        "pages": pages,
        "s_per_page": ours_total / pages,
        "direct_s_per_page": direct_total / pages,
        "overhead_ratio": ours_total / direct_total,
        "median_image_ratio": statistics.median(r["chatocr_s"] / r["direct_s"] for r in rows),
        # CPU seconds (all threads of this process): far less sensitive to other load than wall time
        "cpu_overhead_ratio": sum(r["chatocr_cpu_s"] for r in rows) / sum(r["direct_cpu_s"] for r in rows),
    }


def image_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def bench_engine(name: str, paths, repeats: int, progress) -> dict:
    from ocr_stage import OcrEngineError, get_engine, load_document

    try:
        t0 = time.perf_counter()
        engine = get_engine(name)
        start_s = time.perf_counter() - t0
    except OcrEngineError as e:
        return {"engine": name, "skipped": str(e)}
    from PIL import Image

    engine.run([Image.new("RGB", (256, 64), "white")])  # warm-up
    rows = []
    for path in progress(paths, name):
        pages = load_document(path)
        t, result = _best(lambda pages=pages: engine.run(pages), repeats)
        rows.append(
            {
                "image": f"{path.parent.parent.name}/{path.name}",
                "pages": len(pages),
                "s": t,
                "lines": sum(len(p.lines) for p in result.pages),
            }
        )
    if hasattr(engine, "close"):
        engine.close()
    pages = sum(r["pages"] for r in rows)
    return {
        "engine": name,
        "start_s": start_s,
        "images": rows,
        "pages": pages,
        "s_per_page": sum(r["s"] for r in rows) / pages,
    }


def _progress(items, desc):
    try:
        from tqdm import tqdm

        return tqdm(items, desc=desc, file=sys.stderr, leave=False)
    except ImportError:
        return items


def write_reports(report: dict) -> tuple[Path, Path]:
    REPORTS.mkdir(exist_ok=True)
    jpath, mpath = REPORTS / "bench_ocr.json", REPORTS / "bench_ocr.md"
    jpath.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    md = [
        "# OCR speed",
        "",
        f"{report['machine']}; {report['images']} dev images, fastest of {report['repeats']} run(s) per image.",
        "",
        "| engine | pages | s / page | notes |",
        "|---|---|---|---|",
    ]
    for e in report["engines"]:
        if "skipped" in e:
            md.append(f"| {e['engine']} | - | - | skipped: {e['skipped']} |")
        else:
            note = (
                f"engine start {e['start_s']:.1f} s" if "start_s" in e else "Pipeline.ocr, decoding included"
            )
            md.append(f"| {e['engine']} | {e['pages']} | {e['s_per_page']:.2f} | {note} |")
    o = report.get("rapid_overhead")
    if o:
        md += [
            "",
            "## chatocr OCR stage vs RapidOCR called directly",
            "",
            f"- RapidOCR directly on decoded arrays: {o['direct_s_per_page']:.3f} s/page",
            f"- `Pipeline.ocr(path)` (decode + OCR + types): {o['s_per_page']:.3f} s/page",
            f"- overhead ratio, wall time: **{o['overhead_ratio']:.3f}** (median per image {o['median_image_ratio']:.3f}; target ≤ 1.05)",
            f"- overhead ratio, CPU time of the process: **{o['cpu_overhead_ratio']:.3f}**",
            "",
            "| image | size | direct s | chatocr s | ratio | CPU ratio | lines |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in o["images"]:
            md.append(
                f"| {r['image']} | {r['size'][0]}x{r['size'][1]} | {r['direct_s']:.2f} | {r['chatocr_s']:.2f} | "
                f"{r['chatocr_s'] / r['direct_s']:.3f} | {r['chatocr_cpu_s'] / r['direct_cpu_s']:.3f} | {r['lines_chatocr']} |"
            )
    mpath.write_text("\n".join(md) + "\n", encoding="utf-8")
    return jpath, mpath


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--engines", default="rapid,paddle", help="comma-separated engines (default rapid,paddle)"
    )
    ap.add_argument("--limit", type=int, default=0, help="use only N dev images (0 = all)")
    ap.add_argument("--repeats", type=int, default=1, help="runs per image; the fastest is kept")
    args = ap.parse_args(argv)
    if not DEV_DIR.is_dir():
        print(f"bench: dev data not found at {DEV_DIR} (set CHATOCR_DEV_DATA)", file=sys.stderr)
        return 2
    paths = dev_images(args.limit or None)
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}",
        "images": len(paths),
        "repeats": args.repeats,
        "engines": [],
    }
    for name in [e.strip() for e in args.engines.split(",") if e.strip()]:
        if name == "rapid":
            o = bench_rapid_overhead(paths, args.repeats, _progress)
            report["rapid_overhead"] = o
            report["engines"].append({k: o[k] for k in ("engine", "pages", "s_per_page")})
        else:
            report["engines"].append(bench_engine(name, paths, args.repeats, _progress))

    print(f"{'engine':<10}{'pages':>7}{'s/page':>10}")
    for e in report["engines"]:
        if "skipped" in e:
            print(f"{e['engine']:<10}{'-':>7}{'-':>10}  skipped: {e['skipped']}")
        else:
            print(f"{e['engine']:<10}{e['pages']:>7}{e['s_per_page']:>10.2f}")
    if "rapid_overhead" in report:
        o = report["rapid_overhead"]
        print(
            f"rapid direct {o['direct_s_per_page']:.3f} s/page, chatocr Pipeline.ocr {o['s_per_page']:.3f} s/page: "
            f"overhead ratio {o['overhead_ratio']:.3f} wall (median per image {o['median_image_ratio']:.3f}), "
            f"{o['cpu_overhead_ratio']:.3f} CPU time; target <= 1.05"
        )
    jpath, mpath = write_reports(report)
    print(f"wrote {jpath.relative_to(REPO)} and {mpath.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
