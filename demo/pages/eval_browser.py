"""Evaluation browser: pick a `chatocr eval` result file, see its per-field scores and charts, and step
through the documents next to their images (gold vs predicted, misses first). A second result file
adds its predictions as another column. `?result=PATH` preselects a file.

Layout only: results are read with `chatocr.evaluation.load_result`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from PIL import Image

from chatocr.evaluation import ResultFileError, load_result

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "reports" / "eval"

st.set_page_config(page_title="chatocr · eval browser", layout="wide")
st.title("Evaluation browser")

files = sorted(RESULTS.glob("*.json")) if RESULTS.is_dir() else []
preset = st.query_params.get("result")
choices = [str(p) for p in files]
if preset and preset not in choices:
    choices.insert(0, preset)
if not choices:
    st.info(f"No result files in {RESULTS}. Run `chatocr eval DATASET` or `make eval` first.")
    st.stop()

with st.sidebar:
    path_a = st.selectbox("result file", choices, index=0, format_func=lambda p: Path(p).name)
    path_b = st.selectbox("compare with (optional)", ["–", *[c for c in choices if c != path_a]], index=0)
    only_misses = st.checkbox("only documents with a miss", value=True)


@st.cache_data(show_spinner=False)
def _load(path: str, mtime: float) -> dict:
    return load_result(path)


def load(path: str) -> dict | None:
    try:
        return _load(path, Path(path).stat().st_mtime)
    except (ResultFileError, OSError) as e:
        st.error(str(e))
        return None


a = load(path_a)
if a is None:
    st.stop()
b = load(path_b) if path_b != "–" else None

cfg, summ = a["config"], a["summary"]
model = (a.get("model") or {}).get("name", "–")
st.caption(
    f"set `{cfg['dataset']}` · method **{cfg['method']}** · model `{model}` · {summ['documents']} documents · "
    f"OCR {summ['seconds_per_doc']['ocr'] or 0:.2f} s/doc · LLM {summ['seconds_per_doc']['llm'] or 0:.2f} s/doc"
)

rows = []
for name, v in [*summ["fields"].items(), ("overall", summ["overall"])]:
    row = {
        "field": name,
        "F1 %": round(100 * v["f1"], 1),
        "exact %": None if v["exact_match"] is None else round(100 * v["exact_match"], 1),
        "CER": None if v["cer"] is None else round(v["cer"], 3),
        "grounded %": None if v["grounded_share"] is None else round(100 * v["grounded_share"], 1),
        "OCR ceiling %": None if v["ocr_ceiling"] is None else round(100 * v["ocr_ceiling"], 1),
    }
    if b is not None:
        vb = b["summary"]["overall"] if name == "overall" else b["summary"]["fields"].get(name)
        row["F1 % (B)"] = None if vb is None else round(100 * vb["f1"], 1)
    rows.append(row)
st.dataframe(rows, hide_index=True, width="stretch")

charts = [Path(path_a).with_name(Path(path_a).stem + s) for s in ("_f1.png", "_latency.png")]
cols = st.columns(2)
for col, png in zip(cols, charts, strict=True):
    if png.is_file():
        col.image(str(png))

docs = a["documents"]
if only_misses:
    docs = [d for d in docs if not all(f["exact"] for f in d["fields"].values())]
if not docs:
    st.success("No misses in this run.")
    st.stop()

other = {d["image"]: d for d in (b or {}).get("documents", [])}
idx = st.number_input(f"document (1–{len(docs)})", min_value=1, max_value=len(docs), value=1, step=1)
doc = docs[int(idx) - 1]
left, right = st.columns([1, 1])
img_path = Path(cfg["dataset"]) / doc["image"]
with left:
    st.subheader(doc["image"])
    if img_path.is_file():
        st.image(Image.open(img_path), width="stretch")
    else:
        st.warning(f"image not found: {img_path}")
with right:
    table = []
    for name, f in doc["fields"].items():
        row = {
            "field": name,
            "gold": f["gold"],
            "predicted": f["pred"],
            "✓": "✓" if f["exact"] else "✗",
            "CER": None if f["cer"] is None else round(f["cer"], 3),
            "grounded": f["grounded"],
            "in OCR": f["in_ocr"],
        }
        if doc["image"] in other and name in other[doc["image"]]["fields"]:
            fb = other[doc["image"]]["fields"][name]
            row["predicted (B)"] = fb["pred"]
            row["✓ (B)"] = "✓" if fb["exact"] else "✗"
        table.append(row)
    st.dataframe(table, hide_index=True, width="stretch")
    t = doc["timings"]
    st.caption(
        f"OCR {t['ocr_s']:.2f} s{' (cached)' if doc.get('ocr_cached') else ''} · LLM {t['llm_s']:.2f} s"
    )
    if doc.get("error"):
        st.error(doc["error"])
    if doc.get("raw_output"):
        with st.expander("raw model output"):
            st.code(doc["raw_output"])
