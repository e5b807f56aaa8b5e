"""The committed sample and its data card: datasets/data.json, datasets/examples/, datasets/README.md."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from PIL import Image

from .build import load_records
from .doctypes import REGISTRY

TOKENIZER_DIR = Path("models/smollm2-135m-instruct")


def _lengths(samples: list[dict]) -> tuple[str, list[int]]:
    texts = [
        s["conversation"][0]["system"] + s["conversation"][0]["input"] + s["conversation"][0]["output"]
        for s in samples
    ]
    if (TOKENIZER_DIR / "tokenizer.json").is_file() or (TOKENIZER_DIR / "tokenizer_config.json").is_file():
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))
        return "SmolLM2 tokens", [len(tok(t)["input_ids"]) for t in texts]
    return f"characters ({TOKENIZER_DIR} not present: run `make setup` for token counts)", [
        len(t) for t in texts
    ]


def write_card(
    run_dir: Path,
    docs: int,
    seed: int,
    types: list[str],
    dest: Path,
    command: str,
    examples: int = 4,
    run_note: str = "",
) -> dict:
    recs = [r for r in load_records(run_dir, range(docs), seed, types) if "samples" in r]
    samples = [s for r in recs for s in r["samples"]]
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "data.json").write_text(json.dumps(samples, ensure_ascii=False, indent=0), encoding="utf-8")
    ex_dir = dest / "examples"
    ex_dir.mkdir(exist_ok=True)
    shown, seen_types = [], set()
    for r in recs:
        if len(shown) >= examples or r["doc_type"] in seen_types:
            continue
        if r["doc_type"] not in {
            "vat_special_invoice",
            "my_receipt",
            "cn_supermarket_receipt",
            "train_ticket",
            "vat_normal_invoice",
            "bank_receipt",
        }:
            continue
        seen_types.add(r["doc_type"])
        img = Image.open(run_dir / r["image"]).convert("RGB")
        img.thumbnail((900, 900))
        p = ex_dir / f"{r['id']}.jpg"
        img.save(p, "JPEG", quality=80)
        shown.append((r, p))
    unit, lens = _lengths(samples)
    per_type = Counter(r["doc_type"] for r in recs)
    per_type_samples = Counter(r["doc_type"] for r in recs for _ in r["samples"])
    split_docs = Counter(r["split"] for r in recs)
    split_samples = Counter(r["split"] for r in recs for _ in r["samples"])
    field_asked = defaultdict(Counter)
    kinds = Counter()
    for r in recs:
        for q in r["queries"]:
            if q["query"].get("question"):
                kinds["question"] += 1
            for k, v in q["answer"].items():
                field_asked[r["doc_type"]][k] += 1
                kinds["null" if v is None else "list" if isinstance(v, list) else "value"] += 1
    verb = defaultdict(lambda: [0, 0])
    for r in recs:
        for ok in r["ocr_contains"].values():
            verb[r["doc_type"]][0] += bool(ok)
            verb[r["doc_type"]][1] += 1
    ocr_s = [r["timings"]["ocr_s"] for r in recs]
    md = [
        "# Synthetic instruction data (chatocr)",
        "",
        "Samples for fine-tuning the LLM stage: synthetic documents rendered with Pillow, augmented, read by the",
        "**real** OCR stage (RapidOCR PP-OCRv6 small), and turned into XTuner single-turn conversations with the",
        "one prompt builder (`llm_stage.prompt.xtuner_sample`). Targets are values as printed; fields a document",
        "lacks are `null`; line items are lists of objects.",
        "",
        "## This committed sample",
        "",
        f"- `data.json`: {len(samples)} samples from {len(recs)} documents (a JSON list, what XTuner's json loader reads; "
        f"all splits of those documents — the split of each document is in the run's `work/docs/*.json`).",
        f"- Made by: `{command}`",
        f"- Seed: {seed}. Deterministic: document *i* uses RNG `doc:{{seed}}:{{i}}`, its type is round-robin over a seed-shuffled "
        "type list, its split a hash of (seed, i) (90/5/5, by document).",
        "- Split of these documents: "
        + ", ".join(
            f"{s} {split_docs[s]} docs / {split_samples[s]} samples" for s in ("train", "val", "test")
        ),
        f"- Answer kinds: {kinds['value']} values, {kinds['null']} nulls (fields the document lacks), {kinds['list']} line-item lists, "
        f"{kinds['question']} natural-language questions (key `answer`).",
        f"- Sample length in {unit}: mean {statistics.mean(lens):.0f}, median {statistics.median(lens):.0f}, "
        f"max {max(lens)}, 95th pct {sorted(lens)[int(0.95 * (len(lens) - 1))]}."
        if lens
        else "",
        f"- OCR time per page on this machine (2 shared cores, one thread per worker): mean {statistics.mean(ocr_s):.1f} s."
        if ocr_s
        else "",
        "",
        "## Per document type",
        "",
        "| type | language | documents | samples | OCR text holds the value verbatim |",
        "|---|---|---|---|---|",
    ]
    for t in sorted(per_type):
        h, n = verb[t]
        md.append(
            f"| {t} ({REGISTRY[t].spec.title}) | {REGISTRY[t].spec.lang} | {per_type[t]} | {per_type_samples[t]} | {h}/{n} = {h / max(n, 1):.0%} |"
        )
    md += [
        "",
        '"Verbatim" is the share of ground-truth values whose text appears in the OCR text (whitespace-insensitive;',
        "a line-item list counts only when every cell does): the ceiling an extractor that copies can reach.",
        "",
        "## Fields asked per type (names as asked, including aliases and absent fields)",
        "",
    ]
    for t in sorted(field_asked):
        md.append(f"- **{t}**: " + ", ".join(f"{k} {v}" for k, v in field_asked[t].most_common()))
    md += ["", "## Example pages (as OCR read them, downscaled)", ""]
    for r, p in shown:
        md.append(f"![{r['doc_type']}](examples/{p.name})")
        md.append(f"`{r['doc_type']}` / {r['layout']}, augmentation: {', '.join(r['augment']) or 'none'}")
        md.append("")
    md += [
        "## Regenerating",
        "",
        "```",
        "python -m generate_data --list-types",
        "python -m generate_data --n 5000 --seed 0 --workers 2 --out datasets/generated/run5000   # or: make data DATA_N=5000",
        "python -m generate_data assemble datasets/generated/run5000 --n 5000   # splits from what is finished so far",
        "python -m generate_data card datasets/generated/run5000 --docs 125 --dest datasets/",
        "```",
        "",
        "Bigger sets are regenerated, not committed (`datasets/generated/` is gitignored). A run folder holds",
        "`train.jsonl`, `val.jsonl`, `test.jsonl`, `data.json` (train split as a JSON list), `test/` (img + labels.jsonl in",
        "the dev-set format for `chatocr eval`; line items under `line_items`), `work/` (renders, OCR JSON, ground truth) and",
        "`stats.json`. Re-running the same command resumes.",
        "",
        "Teacher mode labels real images through an OpenAI-compatible endpoint into the same formats:",
        "`python -m generate_data label IMAGES_DIR --fields 发票号码,开票日期 --endpoint http://127.0.0.1:8001 [--model NAME]`.",
        "",
    ]
    if run_note:
        md += ["## Background run", "", run_note, ""]
    (dest / "README.md").write_text("\n".join(x for x in md if x is not None), encoding="utf-8")
    return {"documents": len(recs), "samples": len(samples), "examples": [str(p) for _, p in shown]}
