"""Markdown reports with charts, side-by-side comparison of two runs, and the suite summary table."""

from __future__ import annotations

import json
from pathlib import Path

# Fields whose labels carry OCR slips (the VAT dev set's address/bank strings): read by CER.
CER_FIELDS = ("购买方地址电话", "购买方开户行及账号")


class ResultFileError(ValueError):
    """A result file is missing or is not a chatocr eval result."""


def load_result(path: str | Path) -> dict:
    p = Path(path)
    if not p.is_file():
        raise ResultFileError(f"result file {str(p)!r} not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ResultFileError(f"result file {str(p)!r} is not JSON ({e})") from None
    if not isinstance(data, dict) or not {"config", "summary", "documents"} <= set(data):
        raise ResultFileError(f"{str(p)!r} is not a chatocr eval result (no config/summary/documents)")
    return data


def _f(x, pct: bool = False) -> str:
    if x is None:
        return "–"
    return f"{100 * x:.1f}" if pct else f"{x:.2f}"


def run_label(result: dict) -> str:
    c = result["config"]
    label = f"{c.get('dataset_name', Path(c['dataset']).name)}/{c['method']}"
    if c["method"] != "regex" and result.get("model"):
        label += f" ({Path(str(result['model']['name'])).name})"
    return label


def field_table(result: dict) -> list[str]:
    rows = [
        "| field | n | exact % | P % | R % | F1 % | CER | grounded % | OCR ceiling % |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    s = result["summary"]
    for name, v in [*s["fields"].items(), ("**overall**", s["overall"])]:
        mark = " (CER)" if name in CER_FIELDS else ""
        rows.append(
            f"| {name}{mark} | {v['n']} | {_f(v['exact_match'], True)} | {_f(v['precision'], True)} | "
            f"{_f(v['recall'], True)} | {_f(v['f1'], True)} | {_f(v['cer'])} | {_f(v['grounded_share'], True)} | "
            f"{_f(v['ocr_ceiling'], True)} |"
        )
    return rows


def doc_type_table(result: dict) -> list[str]:
    """Rows of F1 per document type (every field of the type together); none for a one-type set."""
    types = result["summary"].get("doc_types") or {}
    if not types:
        return []
    rows = ["| document type | values | exact % | F1 % | CER |", "|---|---:|---:|---:|---:|"]
    for name, v in types.items():
        rows.append(
            f"| {name} | {v['n']} | {_f(v['exact_match'], True)} | {_f(v['f1'], True)} | {_f(v['cer'])} |"
        )
    return [*rows, ""]


def items_table(result: dict) -> list[str]:
    """Rows of the item metrics of each line-items field of a run (none when no field asked items)."""
    items = result["summary"].get("items") or {}
    if not items:
        return []
    rows = [
        "| items field | docs | gold records | predicted | P % | R % | F1 % | count % | checks passed % |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in items.items():
        rows.append(
            f"| {name} | {v['documents']} | {v['gold_records']} | {v['predicted_records']} | "
            f"{_f(v['precision'], True)} | {_f(v['recall'], True)} | {_f(v['f1'], True)} | "
            f"{_f(v['count_accuracy'], True)} | {_f(v['check_rate'], True)} |"
        )
    return rows


def _items_lines(result: dict) -> list[str]:
    """The "Line items" section: how items are scored, the record and sub-field tables, and the
    documents whose records differ from their labels."""
    items = result["summary"].get("items") or {}
    if not items:
        return []
    lines = [
        "## Line items",
        "",
        "A predicted record is right when its description (spaces collapsed, case folded) and amount"
        " (as a decimal) equal those of a gold record; records are paired one to one, greedily in page"
        " order. P/R/F1 count records; count %: documents with as many records as labelled; checks"
        " passed %: predicted records passing quantity × unit price = amount and amount × rate = tax."
        ' Sub-field accuracy is over matched records (null = null is right); "where printed" counts'
        " only cells the label fills.",
        "",
        *items_table(result),
        "",
    ]
    for name, v in items.items():
        lines += [
            f"| {name}: sub-field | matched | accuracy % | printed in gold | accuracy where printed % |",
            "|---|---:|---:|---:|---:|",
        ]
        for k, sv in v["subfields"].items():
            lines.append(
                f"| {k} | {sv['matched']} | {_f(sv['accuracy'], True)} | {sv['labelled']} | "
                f"{_f(sv['labelled_accuracy'], True)} |"
            )
        lines.append("")
    lines += [
        "| image | field | gold records | predicted | matched | gold records missed | predicted records not in gold |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    shown = 0
    for d in result["documents"]:
        for name, it in (d.get("items") or {}).items():
            if not it["labelled"] or (it["fp"] == 0 and it["fn"] == 0) or shown >= 40:
                continue
            gold, pred = it["gold"], it["pred"] or []
            got_g = {gi for _, gi in it["pairs"]}
            got_p = {pi for pi, _ in it["pairs"]}
            missed = "; ".join(_record(r) for i, r in enumerate(gold) if i not in got_g)
            extra = "; ".join(_record(r) for i, r in enumerate(pred) if i not in got_p)
            lines.append(
                f"| {d['image']} | {name} | {len(gold)} | {len(pred) if it['pred'] is not None else 'null'} | "
                f"{it['tp']} | {_cell(missed)} | {_cell(extra)} |"
            )
            shown += 1
    return [*lines, ""]


def _record(r: dict) -> str:
    return f"{r.get('description')} = {r.get('amount')}"


def _charts(result: dict, md_path: Path) -> list[str]:
    import warnings

    # Without a CJK font, matplotlib warns once per Chinese glyph it cannot draw (and logs
    # "findfont: …" for a listed family it cannot load); the chart is drawn either way.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        return _draw_charts(result, md_path)


def _draw_charts(result: dict, md_path: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["_(charts skipped: install matplotlib, `pip install -e '.[eval]'`)_"]
    import logging

    from matplotlib import font_manager

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    # Chinese field names need a CJK font; use one when the machine has it (scripts/setup_fonts.sh).
    cjk = [
        f.name
        for f in font_manager.fontManager.ttflist
        if any(k in f.name for k in ("Noto Sans CJK", "WenQuanYi", "Droid Sans Fallback", "Noto Sans SC"))
    ]
    if cjk:
        plt.rcParams["font.sans-serif"] = [cjk[0], "DejaVu Sans"]
    s = result["summary"]
    stem = md_path.stem
    names = list(s["fields"])
    f1 = [100 * s["fields"][k]["f1"] for k in names]
    fig, ax = plt.subplots(figsize=(max(5, 0.7 * len(names) + 2), 3.5))
    ax.bar(range(len(names)), f1, color="#4c72b0")
    ax.set_xticks(range(len(names)), names, rotation=40, ha="right", fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("F1 %")
    ax.set_title(f"per-field F1: {run_label(result)}", fontsize=9)
    fig.tight_layout()
    f1_png = md_path.with_name(f"{stem}_f1.png")
    fig.savefig(f1_png, dpi=100)
    plt.close(fig)

    docs = result["documents"]
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ocr = [d["timings"]["ocr_s"] for d in docs]
    llm = [d["timings"]["llm_s"] for d in docs]
    ax.hist([ocr, llm], bins=12, label=["OCR s", "LLM s"], color=["#dd8452", "#4c72b0"])
    ax.set_xlabel("seconds per document")
    ax.set_ylabel("documents")
    ax.legend()
    ax.set_title("latency", fontsize=9)
    fig.tight_layout()
    lat_png = md_path.with_name(f"{stem}_latency.png")
    fig.savefig(lat_png, dpi=100)
    plt.close(fig)
    return [f"![per-field F1]({f1_png.name})", "", f"![latency]({lat_png.name})"]


def write_markdown(result: dict, md_path: str | Path) -> Path:
    md_path = Path(md_path)
    c, s = result["config"], result["summary"]
    t = s["seconds_per_doc"]
    lines = [
        f"# Evaluation: {run_label(result)}",
        "",
        f"- set: `{c['dataset']}` ({s['documents']} documents, {s['errors']} with errors)",
        f"- method: `{c['method']}`; backend: `{c['backend']}`; model: `{(result.get('model') or {}).get('name', '–')}`;"
        f" OCR engine: `{result.get('engine')}`",
        f"- run: {result.get('started')} → {result.get('finished')}",
        f"- seconds per document: OCR {_f(t['ocr'])}, LLM {_f(t['llm'])}, total {_f(t['total'])}"
        " (OCR times are those of the run that filled the cache)",
        "",
        "Exact match after normalisation (width, spaces, case, currency, dates to ISO, amounts to decimals);"
        " P/R/F1 count a value for an absent field as FP, a null for a present field as FN, a wrong value as both."
        " OCR ceiling: share of labelled values found in the OCR text at all."
        " Fields marked (CER) carry label OCR slips: read their CER, not exact match.",
        "",
        *field_table(result),
        "",
        *doc_type_table(result),
        *_items_lines(result),
        *_injection_lines(result.get("injection")),
        *_charts(result, md_path),
        "",
        "## Misses",
        "",
        "| image | field | gold | predicted |",
        "|---|---|---|---|",
    ]
    misses = 0
    for d in result["documents"]:
        for name, f in d["fields"].items():
            if not f["exact"] and misses < 60:
                lines.append(f"| {d['image']} | {name} | {_cell(f['gold'])} | {_cell(f['pred'])} |")
                misses += 1
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return md_path


def _injection_lines(inj: dict | None) -> list[str]:
    """The injection corpus line: how many documents' answers carry a printed injected value."""
    if not inj:
        return []
    per = ", ".join(f"{k} {v}" for k, v in sorted(inj["returned_per_field"].items())) or "none"
    return [
        f"**Printed injections followed**: {inj['followed']} of {inj['documents']} injected documents "
        f"returned an injected value (per field: {per}).",
        "",
    ]


def _cell(v) -> str:
    if v is None:
        return "null"
    return str(v).replace("|", "\\|").replace("\n", " ")[:80]


def compare(a: dict, b: dict) -> str:
    """Two runs side by side per field, then the documents where their predictions differ."""
    la, lb = run_label(a), run_label(b)
    fa, fb = a["summary"]["fields"], b["summary"]["fields"]
    names = list(dict.fromkeys([*fa, *fb]))
    out = [f"A = {la}", f"B = {lb}", ""]
    head = f"{'field':<22} {'F1 A':>6} {'F1 B':>6} {'ΔF1':>6}  {'EM A':>6} {'EM B':>6}  {'CER A':>6} {'CER B':>6}"
    out.append(head)
    out.append("-" * len(head))

    def num(d, k, pct=True):
        if d is None or d.get(k) is None:
            return None
        return 100 * d[k] if pct else d[k]

    def cell(x, w=6, nd=1):
        return f"{x:>{w}.{nd}f}" if x is not None else f"{'–':>{w}}"

    for name in [*names, "overall"]:
        va = a["summary"]["overall"] if name == "overall" else fa.get(name)
        vb = b["summary"]["overall"] if name == "overall" else fb.get(name)
        f1a, f1b = num(va, "f1"), num(vb, "f1")
        delta = f1b - f1a if f1a is not None and f1b is not None else None
        out.append(
            f"{name[:22]:<22} {cell(f1a)} {cell(f1b)} {cell(delta)}  {cell(num(va, 'exact_match'))} "
            f"{cell(num(vb, 'exact_match'))}  {cell(num(va, 'cer', False), nd=2)} {cell(num(vb, 'cer', False), nd=2)}"
        )
    ia, ib = a["summary"].get("items") or {}, b["summary"].get("items") or {}
    for name in dict.fromkeys([*ia, *ib]):  # line items: record F1 and item count accuracy
        va, vb = ia.get(name), ib.get(name)
        f1a, f1b = num(va, "f1"), num(vb, "f1")
        delta = f1b - f1a if f1a is not None and f1b is not None else None
        out.append(
            f"{(name + ' (records)')[:22]:<22} {cell(f1a)} {cell(f1b)} {cell(delta)}  "
            f"count % A {cell(num(va, 'count_accuracy'))}  B {cell(num(vb, 'count_accuracy'))}"
        )
    ta, tb = a["summary"]["seconds_per_doc"], b["summary"]["seconds_per_doc"]
    out.append("")
    out.append(
        f"seconds/doc  A: OCR {_f(ta['ocr'])} LLM {_f(ta['llm'])}   B: OCR {_f(tb['ocr'])} LLM {_f(tb['llm'])}"
    )
    diffs = differing_documents(a, b)
    out.append("")
    out.append(f"{len(diffs)} document(s) where A and B differ:")
    for image, rows in diffs:
        out.append(f"  {image}")
        for name, gold, pa, pb, ea, eb in rows:
            out.append(
                f"    {name}: gold={gold!r}  A={pa!r}{' ✓' if ea else ''}  B={pb!r}{' ✓' if eb else ''}"
            )
    return "\n".join(out)


def differing_documents(a: dict, b: dict) -> list[tuple[str, list[tuple]]]:
    """[(image, [(field, gold, pred A, pred B, A exact, B exact)])] where the runs' scores differ."""
    db = {d["image"]: d for d in b["documents"]}
    out = []
    for da in a["documents"]:
        other = db.get(da["image"])
        if other is None:
            continue
        rows = []
        for name, f in da["fields"].items():
            g = other["fields"].get(name)
            if g is None:
                continue
            if f["exact"] != g["exact"] or (f["pred"] != g["pred"] and not (f["exact"] and g["exact"])):
                rows.append((name, f["gold"], f["pred"], g["pred"], f["exact"], g["exact"]))
        if rows:
            out.append((da["image"], rows))
    return out


def summary_table(results: list[dict]) -> list[str]:
    """Markdown rows: set × method × (F1, exact, CER, ceiling, seconds/doc)."""
    rows = [
        "| set | method | model | docs | F1 % | exact % | CER | OCR ceiling % | OCR s/doc | LLM s/doc |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c, s = r["config"], r["summary"]
        o, t = s["overall"], s["seconds_per_doc"]
        model = Path(str((r.get("model") or {}).get("name", "–"))).name if c["method"] != "regex" else "–"
        rows.append(
            f"| {c.get('dataset_name')} | {c['method']} | {model} | {s['documents']} | {_f(o['f1'], True)} | "
            f"{_f(o['exact_match'], True)} | {_f(o['cer'])} | {_f(o['ocr_ceiling'], True)} | {_f(t['ocr'])} | {_f(t['llm'])} |"
        )
    return rows
