"""Dataset building: per document generate -> render -> augment -> real OCR -> samples, in parallel,
resumable (a document whose record exists is skipped), then assembled into splits.

Layout of an output folder:
  work/img/<id>.jpg       the page OCR read (augmented render)
  work/ocr/<id>.json      OcrResult JSON
  work/docs/<id>.json     ground truth, OCR text, samples, split; written last, so it is the done marker
  train.jsonl val.jsonl test.jsonl   XTuner single-turn samples, one per line
  data.json               the train split as one JSON list (what XTuner's json loader reads)
  test/img, test/labels.jsonl       the test split in the dev-set format (`chatocr eval` reads it)
  stats.json              counts, speed, and how many values the OCR text holds verbatim
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

# the snapping of targets lives beside the prompt builder; imported here for the samples it writes
from llm_stage.samples import snap_answer, snap_to_text  # noqa: F401

from . import injection
from .augment import augment
from .doctypes import REGISTRY, Doc, DocType, Fakers

SPLITS = ("train", "val", "test")


@dataclass
class Job:
    index: int
    seed: int
    types: tuple[str, ...]
    out: str
    queries: int
    ocr: bool = True


def doc_type_for(index: int, seed: int, types) -> str:
    # Round-robin over a per-seed shuffled order: balanced counts, deterministic per index.
    order = list(types)
    random.Random(f"types:{seed}").shuffle(order)
    return order[index % len(order)]


def check_splits(splits) -> tuple[str, ...]:
    """`splits` as a tuple of known split names; ValueError naming the unknown ones."""
    splits = tuple(splits)
    bad = [s for s in splits if s not in SPLITS]
    if bad or not splits:
        raise ValueError(f"unknown split(s): {', '.join(bad) or '(none)'}; choose from {', '.join(SPLITS)}")
    return splits


def split_for(index: int, seed: int, fractions=(0.9, 0.05)) -> str:
    u = random.Random(f"split:{seed}:{index}").random()
    return "train" if u < fractions[0] else "val" if u < fractions[0] + fractions[1] else "test"


def doc_id(index: int, dtype: str) -> str:
    return f"{index:06d}_{dtype}"


def norm_ws(s: str) -> str:
    return re.sub(r"\s+", " ", str(s)).strip()


def contains(text: str, value) -> bool:
    """Does the OCR text hold the value verbatim (whitespace-insensitive)?"""
    if isinstance(value, list):
        t = norm_ws(text)
        vals = [v for it in value for v in it.values() if v]
        return all(norm_ws(v) in t for v in vals)
    return norm_ws(value) in norm_ws(text)


_ENGINE = None


def _init_worker(threads: int = 1):
    global _ENGINE
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    from ocr_stage import get_engine

    _ENGINE = get_engine("rapid", threads=threads)


def generate_doc(
    dt: DocType, rng: random.Random, fakers: Fakers, injection_share: float | None = None
) -> Doc:
    """A document's values, then whether it prints a prompt injection (with probability
    `injection_share`, default `injection.share()`), chosen from a sub-seed drawn after the values
    and recorded in `doc.data["injection"]`; the ground truth never changes."""
    doc = dt.generate(rng, fakers)
    inj = injection.choose(doc, dt.spec, random.Random(rng.getrandbits(64)), p=injection_share)
    if inj:
        doc.data["injection"] = inj
    return doc


def render_page(dt: DocType, doc: Doc, rng: random.Random) -> Image.Image:
    """The clean page: the type's layout, then the injection as a band above or below it when the
    layout had no place for it; a photographed type's page is marked for `augment`."""
    img = dt.render(doc, rng)
    inj = doc.data.get("injection")
    if inj and not doc.data.get("injection_drawn"):
        img = injection.draw_band(img, inj, rng)
        doc.data["injection_drawn"] = True
    if dt.photo:
        img.info["capture"] = "photo"
    return img


def render_document(index: int, seed: int, types):
    """Deterministic for (seed, index): the Doc, the clean render, the augmented page and its effects."""
    dtype = doc_type_for(index, seed, types)
    rng = random.Random(f"doc:{seed}:{index}")
    dt = REGISTRY[dtype]
    doc = generate_doc(dt, rng, Fakers(rng))
    clean = render_page(dt, doc, rng)
    level = 0.0 if rng.random() < 0.2 else rng.uniform(0.4, 1.0)
    page, applied = augment(clean, rng, thermal=dt.thermal, level=level)
    return dt, doc, clean, page, applied, rng


def process(job: Job) -> dict:
    """Build one document's outputs; returns its record (or the existing one when already done)."""
    out = Path(job.out)
    dtype = doc_type_for(job.index, job.seed, job.types)
    did = doc_id(job.index, dtype)
    rec_path = out / "work" / "docs" / f"{did}.json"
    if rec_path.is_file():
        return {"skipped": True, **json.loads(rec_path.read_text(encoding="utf-8"))}
    t0 = time.perf_counter()
    dt, doc, _clean, page, applied, rng = render_document(job.index, job.seed, job.types)
    img_path = out / ("work" if job.ocr else "preview") / "img" / f"{did}.jpg"
    img_path.parent.mkdir(parents=True, exist_ok=True)
    page.save(img_path, "JPEG", quality=92)
    t1 = time.perf_counter()
    record = {
        "id": did,
        "index": job.index,
        "seed": job.seed,
        "doc_type": dtype,
        "layout": doc.layout,
        "split": split_for(job.index, job.seed),
        "image": f"work/img/{did}.jpg",
        "augment": applied,
        "fields": doc.fields,
        "injection": injection.record(doc.data.get("injection")),
    }
    if job.ocr:
        from llm_stage.prompt import xtuner_sample
        from ocr_stage import load_document

        from .queries import make_queries

        global _ENGINE
        if _ENGINE is None:
            _init_worker(1)
        result = _ENGINE.run(load_document(img_path))
        t2 = time.perf_counter()
        text = str(result.to_text())
        ocr_path = out / "work" / "ocr" / f"{did}.json"
        ocr_path.parent.mkdir(parents=True, exist_ok=True)
        ocr_path.write_text(result.model_dump_json(), encoding="utf-8")
        pairs = make_queries(dt, doc, rng, job.queries, text)
        record.update(
            {
                "ocr": f"work/ocr/{did}.json",
                "ocr_text": text,
                "ocr_contains": {k: contains(text, v) for k, v in doc.fields.items()},
                "queries": [{"query": q.model_dump(exclude_defaults=True), "answer": a} for q, a in pairs],
                "samples": [xtuner_sample(result, q, a) for q, a in pairs],
                "timings": {"render_s": round(t1 - t0, 3), "ocr_s": round(t2 - t1, 3)},
            }
        )
    else:  # rendering-only preview: not a dataset record, never marks the document done
        record["timings"] = {"render_s": round(t1 - t0, 3)}
        return record
    rec_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = rec_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    tmp.replace(rec_path)  # atomic: a half-written record never counts as done
    return record


def run(
    n: int,
    seed: int,
    types,
    out: Path,
    workers: int = 2,
    queries: int = 4,
    ocr: bool = True,
    progress: bool = True,
    start: int = 0,
    splits=SPLITS,
) -> dict:
    """Build documents start..start+n-1 into `out` (skipping finished ones), then assemble the splits.

    `splits` builds only the documents that fall into those splits (a document's split depends on
    its index and the seed alone, so `("val", "test")` makes the evaluation splits of a run in a
    tenth of its time, and a later run of all splits builds the rest)."""
    from tqdm import tqdm

    unknown = [t for t in types if t not in REGISTRY]
    if unknown:
        raise ValueError(
            f"unknown document type(s): {', '.join(unknown)}; choose from {', '.join(sorted(REGISTRY))}"
        )
    splits = check_splits(splits)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [
        Job(i, seed, tuple(types), str(out), queries, ocr)
        for i in range(start, start + n)
        if split_for(i, seed) in splits
    ]
    t0 = time.perf_counter()
    done = skipped = 0
    bar = tqdm(total=len(jobs), desc="documents", unit="doc", disable=not progress)
    if workers <= 1:
        it = map(process, jobs)
        pool = None
    else:
        import multiprocessing as mp

        pool = mp.get_context("spawn").Pool(workers, initializer=_init_worker, initargs=(1,))
        it = pool.imap_unordered(process, jobs, chunksize=1)
    try:
        for rec in it:
            skipped += bool(rec.get("skipped"))
            done += 1
            bar.update(1)
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
    wall = time.perf_counter() - t0
    if not ocr:
        return {"documents": done, "run": {"built": done, "skipped": 0, "wall_s": round(wall, 1)}}
    stats = assemble(out, range(start, start + n), seed, types)
    built = done - skipped
    stats["run"] = {
        "built": built,
        "skipped": skipped,
        "wall_s": round(wall, 1),
        "workers": workers,
        "docs_per_min": round(60 * built / wall, 2) if built and wall else None,
        "samples_per_min": round(60 * built * queries / wall, 1) if built and wall else None,
    }
    (out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=1), encoding="utf-8")
    return stats


def load_records(out: Path, indices, seed, types) -> list[dict]:
    """The finished records of these indices (None: all of them). A record is found by its index when the type the
    registry gives today differs (types added since the run change which type an index draws)."""
    recs = []
    docs = out / "work" / "docs"
    if indices is None:  # every finished record of the run, by index
        return [json.loads(f.read_text(encoding="utf-8")) for f in sorted(docs.glob("[0-9]*_*.json"))]
    for i in indices:
        p = docs / f"{doc_id(i, doc_type_for(i, seed, types))}.json"
        if not p.is_file():
            p = next(iter(sorted(docs.glob(f"{i:06d}_*.json"))), p)
        if p.is_file():
            recs.append(json.loads(p.read_text(encoding="utf-8")))
    return recs


def samples_of(out: Path, record: dict, layout: str | None = None) -> list[dict]:
    """A document's training samples written by today's prompt builder from its stored OCR result
    and queries, so a prompt change (or another `layout`) needs no new OCR; the stored samples when
    the OCR file is gone."""
    from llm_stage.prompt import LAYOUT, xtuner_sample
    from llm_stage.types import FieldQuery
    from ocr_stage import OcrResult

    ocr_path = out / record.get("ocr", "")
    if not record.get("ocr") or not ocr_path.is_file():
        if (layout or LAYOUT) != LAYOUT:
            raise FileNotFoundError(f"{ocr_path}: the stored OCR result is needed to write layout {layout!r}")
        return record["samples"]
    ocr = OcrResult.model_validate_json(ocr_path.read_text(encoding="utf-8"))
    text = str(ocr.to_text())
    return [
        xtuner_sample(
            ocr,
            FieldQuery(**q["query"]),
            q["answer"] if q["query"].get("question") else snap_answer(q["answer"], text),
            layout or LAYOUT,
        )
        for q in record["queries"]
    ]


def layout_suffix(layout: str | None) -> str:
    """What a split file's name carries for a prompt layout: nothing for the default, `.xy` for xy."""
    from llm_stage.prompt import LAYOUT, check_layout

    return "" if check_layout(layout or LAYOUT) == LAYOUT else f".{layout}"


def assemble(out: Path, indices=None, seed: int = 0, types=(), layout: str | None = None) -> dict:
    """Write the split files from the finished document records (deterministic order by index).
    Another prompt `layout` than the default writes `train.<layout>.jsonl` etc. beside them."""
    suffix = layout_suffix(layout)
    recs = load_records(out, indices, seed, types)
    files = {s: (out / f"{s}{suffix}.jsonl").open("w", encoding="utf-8") for s in SPLITS}
    train = []
    test_dir = out / "test"
    (test_dir / "img").mkdir(parents=True, exist_ok=True)
    labels = (test_dir / "labels.jsonl").open("w", encoding="utf-8")
    per_type = defaultdict(Counter)
    field_counts = defaultdict(Counter)
    ocr_hits = defaultdict(Counter)
    timing = defaultdict(list)
    try:
        for r in recs:
            if "samples" not in r:
                continue
            s = r["split"]
            for smp in samples_of(out, r, layout):
                files[s].write(json.dumps(smp, ensure_ascii=False) + "\n")
                if s == "train":
                    train.append(smp)
            per_type[r["doc_type"]][s] += 1
            per_type[r["doc_type"]]["samples_" + s] += len(r["samples"])
            for q in r["queries"]:
                for v in q["answer"].values():
                    field_counts[r["doc_type"]][
                        "null" if v is None else "list" if isinstance(v, list) else "value"
                    ] += 1
            for ok in r["ocr_contains"].values():
                ocr_hits[r["doc_type"]]["total"] += 1
                ocr_hits[r["doc_type"]]["hit"] += bool(ok)
            for k, v in r["timings"].items():
                timing[k].append(v)
            if s == "test":
                name = Path(r["image"]).name
                dst = test_dir / "img" / name
                if not dst.exists():
                    shutil.copyfile(out / r["image"], dst)
                scalars = {k: v for k, v in r["fields"].items() if not isinstance(v, list)}
                lists = {k: v for k, v in r["fields"].items() if isinstance(v, list)}
                line = {"image": f"img/{name}", "doc_type": r["doc_type"], "fields": scalars}
                if r.get("injection"):
                    line["injection"] = r["injection"]
                if lists:
                    line["line_items"] = lists
                labels.write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        for f in files.values():
            f.close()
        labels.close()
    (out / "data.json").write_text(json.dumps(train, ensure_ascii=False), encoding="utf-8")
    return {
        "seed": seed,
        "documents": len(recs),
        "per_type": {k: dict(v) for k, v in sorted(per_type.items())},
        "answer_kinds": {k: dict(v) for k, v in sorted(field_counts.items())},
        "ocr_verbatim": {
            k: round(v["hit"] / v["total"], 3) for k, v in sorted(ocr_hits.items()) if v["total"]
        },
        "mean_s": {k: round(sum(v) / len(v), 3) for k, v in timing.items() if v},
    }


def mix(
    runs: list[Path | tuple[Path, float]], name: str, dest: Path, layout: str | None = None, seed: int = 0
) -> dict[str, int]:
    """One training set from several runs' assembled splits: `dest/train-<name>[.<layout>].jsonl` (the
    runs' train samples in turn) and `dest/val-<name>[...].jsonl` (their val samples shuffled with
    `seed`, so that the first samples a validation loss reads come from every run). A run given as
    (path, weight) contributes its train samples `weight` times: whole copies for the integer part,
    a `seed`-drawn subset for the rest (0.5: half of them). Val samples are taken once."""
    import random

    from llm_stage.prompt import LAYOUT

    suffix = layout_suffix(layout)
    counts = {}
    dest.mkdir(parents=True, exist_ok=True)
    weighted = [(r, 1.0) if isinstance(r, Path | str) else (r[0], float(r[1])) for r in runs]
    for split in ("train", "val"):
        lines: list[str] = []
        for run, weight in weighted:
            run = Path(run)
            f = run / f"{split}{suffix}.jsonl"
            if not f.is_file():
                raise FileNotFoundError(
                    f"{f} is missing: assemble {run} with --layout {layout or LAYOUT} first"
                )
            own = [ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
            if split == "train" and weight != 1.0:
                whole, part = int(weight), weight - int(weight)
                picked = sorted(
                    random.Random(f"{seed}:{run.name}").sample(range(len(own)), round(part * len(own)))
                )
                own = own * whole + [own[i] for i in picked]
            lines += own
        if split == "val":
            random.Random(seed).shuffle(lines)
        (dest / f"{split}-{name}{suffix}.jsonl").write_text(
            "".join(ln + "\n" for ln in lines), encoding="utf-8"
        )
        counts[split] = len(lines)
    return counts


def items_set(source: str, name: str, dest: Path) -> dict[str, int]:
    """The line-items samples of a mixed set: `dest/{train,val}-<name>.jsonl` hold the samples of
    `dest/{train,val}-<source>.jsonl` whose answer holds a line-items list, in their order, each
    once (a run mixed in twice gives its samples once; a val sample that is also a train sample is
    dropped). The set a line-items adapter is trained on."""
    counts: dict[str, int] = {}
    seen: set[str] = set()
    for split in ("train", "val"):
        f = dest / f"{split}-{source}.jsonl"
        if not f.is_file():
            raise FileNotFoundError(f"{f} is missing: mix the set {source!r} first")
        kept: list[str] = []
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            turn = json.loads(line)["conversation"][0]
            key = turn["input"] + turn["output"]
            if key in seen or not _answers_items(turn["output"]):
                continue
            seen.add(key)
            kept.append(line)
        (dest / f"{split}-{name}.jsonl").write_text("".join(ln + "\n" for ln in kept), encoding="utf-8")
        counts[split] = len(kept)
    return counts


def _answers_items(output: str) -> bool:
    """Does a sample's answer (a JSON object) hold a non-empty line-items list?"""
    try:
        answer = json.loads(output)
    except json.JSONDecodeError:
        return False
    return isinstance(answer, dict) and any(
        isinstance(v, list) and v and isinstance(v[0], dict) for v in answer.values()
    )
