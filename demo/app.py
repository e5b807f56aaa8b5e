"""chatocr chat demo (Streamlit): upload an image or PDF, see its OCR boxes, ask for fields in Chinese
or English, get a table + JSON with the grounded values highlighted on the page.

Run: `make demo` (or `streamlit run demo/app.py`). `?sample=1` preloads the shipped sample invoice and
asks its preset fields, for a one-click look (and the headless screenshot test).
All pipeline logic lives in `chatocr`; this file only lays out the page.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from pathlib import Path

import streamlit as st
from PIL import Image, ImageDraw, ImageFont

from chatocr import Pipeline, Settings
from chatocr.chat import parse_chat
from ocr_stage import DOCUMENT_SUFFIXES, available_engines, load_document

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "vat_invoice_sample.png"
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

PRESETS: dict[str, list[str]] = {
    "增值税发票 VAT invoice": ["发票号码", "开票日期", "价税合计"],
    "增值税发票 (full)": ["发票代码", "发票号码", "开票日期", "购买方名称", "销售方名称", "价税合计"],
    "Receipt": ["company", "date", "address", "total"],
}
BACKENDS = ["transformers", "openai", "lmdeploy"]


def preset_message(fields: list[str]) -> str:
    if all(f.isascii() for f in fields):
        return "extract " + (", ".join(fields[:-1]) + " and " + fields[-1] if len(fields) > 1 else fields[0])
    return "提取" + ("、".join(fields[:-1]) + "和" + fields[-1] if len(fields) > 1 else fields[0])


@st.cache_resource(show_spinner="Loading the OCR and LLM models (once per server)…")
def get_pipeline(engine: str, backend: str):
    """(pipeline, locks, error). One per (engine, backend), shared by every browser session; the
    locks keep two sessions from running the same model object at once."""
    error = None
    try:
        pipe = Pipeline.from_settings(Settings(ocr_engine=engine, backend=backend))
    except Exception as e:  # keep OCR usable and show why the LLM is missing
        error = f"{type(e).__name__}: {e}"
        pipe = Pipeline.from_settings(Settings(ocr_engine=engine), load_llm=False)
    return pipe, {"ocr": threading.Lock(), "llm": threading.Lock()}, error


def draw(
    page: Image.Image, ocr_page, highlights: list[tuple[str, list]], max_width: int = 1100
) -> Image.Image:
    """The page with every OCR box in thin blue and the grounded answer boxes filled and labelled."""
    img = page.convert("RGB").copy()
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    scale = max(1, round(max(img.size) / 900))
    for ln in ocr_page.lines:
        d.polygon([tuple(p) for p in ln.box], outline=(30, 110, 255, 200), width=scale)
    try:
        font = ImageFont.truetype(FONT, 14 * scale)
    except OSError:
        font = ImageFont.load_default()
    for name, box in highlights:
        pts = [tuple(p) for p in box]
        d.polygon(pts, fill=(255, 200, 0, 90), outline=(230, 30, 30, 255), width=3 * scale)
        x, y = min(p[0] for p in pts), min(p[1] for p in pts)
        tw = d.textlength(name, font=font)
        d.rectangle([x, y - 18 * scale, x + tw + 6, y], fill=(230, 30, 30, 230))
        d.text((x + 3, y - 17 * scale), name, fill=(255, 255, 255, 255), font=font)
    img = Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")
    if img.width > max_width:
        img = img.resize((max_width, round(img.height * max_width / img.width)))
    return img


def answer_rows(ext: dict) -> list[dict]:
    rows = []
    for name, v in ext["fields"].items():
        val = v.get("value")
        rows.append(
            {
                "field": name,
                "value": ""
                if val is None
                else (val if isinstance(val, str) else json.dumps(val, ensure_ascii=False)),
                # ✓ only for a confident grounded value; ⚠ asks the reader to check it on the page
                "check": "⚠"
                if v.get("needs_review")
                else ("✓" if v.get("grounded") and val is not None else ""),
                "confidence": "" if v.get("confidence") is None else f"{v['confidence']:.2f}",
                "page": "" if v.get("page") is None else str(v["page"]),
                "ocr score": "" if v.get("ocr_score") is None else f"{v['ocr_score']:.3f}",
            }
        )
    return rows


def to_csv(ext: dict) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["field", "value", "check", "confidence", "page", "ocr score"])
    w.writeheader()
    w.writerows(answer_rows(ext))
    return buf.getvalue()


def show_answer(ext: dict, key: str) -> None:
    if ext.get("error"):
        st.warning(ext["error"])
    st.table(answer_rows(ext), hide_index=True)
    with st.expander("JSON", expanded=False):
        st.json({k: v.get("value") for k, v in ext["fields"].items()})
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download JSON",
        json.dumps(ext, ensure_ascii=False, indent=1),
        "extraction.json",
        "application/json",
        key=f"json-{key}",
    )
    c2.download_button("Download CSV", to_csv(ext), "extraction.csv", "text/csv", key=f"csv-{key}")


def main() -> None:
    st.set_page_config(page_title="chatocr", page_icon="🧾", layout="wide")
    ss = st.session_state
    ss.setdefault("docs", {})  # sha1 -> {"name", "ocr", "history": [(message, extraction dict | error str)]}
    sample = st.query_params.get("sample") == "1"

    with st.sidebar:
        st.header("Settings")
        engines = available_engines()
        engine = st.selectbox(
            "OCR engine", engines, index=engines.index("rapid") if "rapid" in engines else 0
        )
        backend = st.selectbox("LLM backend", BACKENDS, index=0)
        strict = st.toggle("Strict (null values not found in the OCR text)", value=False)
        st.header("Presets")
        preset = st.selectbox("Document type", list(PRESETS), index=0)
        ask_preset = st.button(f"Ask: {preset_message(PRESETS[preset])}")
        show_boxes = st.toggle("Show all OCR boxes", value=True)

    st.title("chatocr · chat with a document")
    pipe, locks, llm_error = get_pipeline(engine, backend)
    if llm_error:
        st.error(f"LLM backend {backend!r} is not available, OCR only: {llm_error}")

    up = st.file_uploader("Upload an image or PDF", type=sorted(s.lstrip(".") for s in DOCUMENT_SUFFIXES))
    if up is not None:
        data, name = up.getvalue(), up.name
    elif sample:
        data, name = SAMPLE.read_bytes(), SAMPLE.name
    else:
        st.info(
            "Upload a document to start (or open this page with ?sample=1 for the shipped sample invoice)."
        )
        return

    sha = hashlib.sha1(data).hexdigest()
    doc = ss.docs.get(sha)
    try:
        pages = load_document(data, name=name, limits=pipe.limits)
        if doc is None:
            with st.spinner("Reading the document (OCR)…"), locks["ocr"]:
                ocr = pipe.ocr(data, name=name)
            doc = ss.docs[sha] = {"name": name, "ocr": ocr, "history": []}
    except ValueError as e:  # InputError: say what is wrong with the file
        st.error(str(e))
        return

    message = st.chat_input("提取发票号码、开票日期和价税合计 · what is the total?")
    if ask_preset or (sample and not doc["history"] and not ss.get("sample_asked")):
        message = preset_message(PRESETS[preset])
        ss.sample_asked = True
    if message:
        if pipe.backend is None:
            doc["history"].append((message, "no LLM backend is loaded; see the error above"))
        else:
            try:
                query = parse_chat(message)
                with st.spinner("Asking the model…"), locks["llm"]:
                    ext = pipe.extract_from_ocr(doc["ocr"], query, strict=strict)
                doc["history"].append((message, ext.model_dump(mode="json")))
            except ValueError as e:  # QueryError and friends carry a readable message
                doc["history"].append((message, str(e)))
            except Exception as e:  # a backend failure: show it in the chat, keep the page alive
                doc["history"].append((message, f"the model failed: {type(e).__name__}: {e}"))

    last = next((a for _, a in reversed(doc["history"]) if isinstance(a, dict)), None)
    left, right = st.columns([3, 2])
    with left:
        ocr = doc["ocr"]
        n_lines = sum(len(p.lines) for p in ocr.pages)
        st.caption(f"{name} · {len(ocr.pages)} page(s) · {n_lines} OCR lines · engine {ocr.engine}")
        for page, ocr_page in zip(pages, ocr.pages, strict=False):
            hl = []
            if last:
                hl = [
                    (k, v["box"])
                    for k, v in last["fields"].items()
                    if v.get("grounded") and v.get("box") and v.get("page") == ocr_page.page
                ]
            if not show_boxes:
                ocr_page = ocr_page.model_copy(update={"lines": []})
            st.image(draw(page, ocr_page, hl), caption=f"page {ocr_page.page}", width="stretch")
    with right:
        st.subheader("Chat")
        if not doc["history"]:
            st.caption(
                "Ask for fields (“提取发票号码、开票日期和价税合计”, “extract date and total”) or a question."
            )
        for turn, (msg, ans) in enumerate(doc["history"]):
            with st.chat_message("user"):
                st.write(msg)
            with st.chat_message("assistant"):
                if isinstance(ans, dict):
                    show_answer(ans, f"{sha[:8]}-{turn}")
                else:
                    st.error(ans)


main()
