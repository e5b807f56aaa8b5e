"""chatocr chat demo (Streamlit): upload an image or PDF, see its OCR boxes, ask for fields in Chinese
or English, get a table + JSON with the grounded values highlighted on the page.

Run: `make demo` (or `streamlit run demo/app.py`). `?sample=1` preloads the shipped sample invoice and
asks its preset fields, for a one-click look (and the headless screenshot test).
The page is zoomable and scrolls in its own frame; a PDF gets one tab per page. Every answered field
stays highlighted (✓ confident and grounded, ⚠ check it) until "Clear highlights"; a later answer
for the same field replaces its highlight. A line-items field ("line items", "商品明细") gets a table of
its rows under the answer, and each row a thin outline on the page.
All pipeline logic lives in `chatocr`; this file only lays out the page (HTML in `viewer.py`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(
    0, str(Path(__file__).resolve().parent)
)  # viewer.py, presets.py, also under AppTest and runpy

from presets import PRESETS, default_preset, preset_message  # noqa: E402
from viewer import (  # noqa: E402
    CSS,
    ZOOMS,
    answer_table_html,
    encode_page,
    item_cells,
    items_table_html,
    mark,
    page_html,
    value_text,
)

from chatocr import Pipeline, Settings  # noqa: E402
from chatocr.chat import parse_chat  # noqa: E402
from llm_stage.backends import available_backends  # noqa: E402
from ocr_stage import DOCUMENT_SUFFIXES, available_engines, load_document  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "vat_invoice_sample.png"


@st.cache_resource(show_spinner="Loading the OCR and LLM models (once per server)…")
def get_pipeline(engine: str, backend: str):
    """(pipeline, error). One per (engine, backend), shared by every browser session; the pipeline
    serialises the use of each model itself."""
    error = None
    try:
        pipe = Pipeline.from_settings(Settings(ocr_engine=engine, backend=backend))
    except Exception as e:  # keep OCR usable and show why the LLM is missing
        error = f"{type(e).__name__}: {e}"
        pipe = Pipeline.from_settings(Settings(ocr_engine=engine), load_llm=False)
    return pipe, error


def answer_rows(ext: dict) -> list[dict]:
    """The answer as rows (CSV download): value, ✓/⚠, confidence, page, OCR score per field."""
    return [
        {
            "field": name,
            "value": value_text(v.get("value")),
            "check": mark(v),
            "confidence": "" if v.get("confidence") is None else f"{v['confidence']:.2f}",
            "page": "" if v.get("page") is None else str(v["page"]),
            "ocr score": "" if v.get("ocr_score") is None else f"{v['ocr_score']:.3f}",
        }
        for name, v in ext["fields"].items()
    ]


def to_csv(ext: dict) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["field", "value", "check", "confidence", "page", "ocr score"])
    w.writeheader()
    w.writerows(answer_rows(ext))
    return buf.getvalue()


def item_pins(name: str, v: dict) -> list[dict]:
    """The rows of a line-items field that have a box, as outlines for the page viewer."""
    return [
        {
            "field": name,
            "row": i,
            "box": rec["box"],
            "page": rec["page"],
            "needs_review": bool(rec.get("needs_review") or rec.get("review_reasons")),
            "cells": item_cells(rec),
        }
        for i, rec in enumerate(v.get("items") or [], 1)
        if rec.get("box") and rec.get("page") is not None
    ]


def pin(doc: dict, ext: dict) -> int | None:
    """Keep the answer's grounded values highlighted (a field answered again replaces its highlight,
    or drops it when the new answer has no box); a line-items field is kept as its rows' outlines.
    Returns the page of the first new highlight."""
    first = None
    for name, v in ext["fields"].items():
        if v.get("items") is not None:
            rows = item_pins(name, v)
            if rows:
                doc["pins"][name] = {"name": name, "items": rows, "page": rows[0]["page"]}
                first = first if first is not None else rows[0]["page"]
            else:
                doc["pins"].pop(name, None)
        elif v.get("grounded") and v.get("box") and v.get("page") is not None:
            doc["pins"][name] = {
                "name": name,
                "value": v.get("value"),
                "box": v["box"],
                "page": v["page"],
                "needs_review": bool(v.get("needs_review")),
                "confidence": v.get("confidence"),
            }
            first = first if first is not None else v["page"]
        else:
            doc["pins"].pop(name, None)
    return first


def repairs_note(ext: dict) -> str:
    """One line under the fields: which values a repair rewrote after the model answered, and how."""
    parts = [f"{r['field']}: {r['before']!r} → {r['after']!r} ({r['rule']})" for r in ext.get("repairs", [])]
    return "Repaired after decoding: " + "; ".join(parts)


def show_answer(ext: dict, key: str) -> None:
    if ext.get("error"):
        st.warning(ext["error"])
    if "all_null" in ext.get("flags", []):
        st.warning("Nothing was found for these fields.")
    elif "identical_values" in ext.get("flags", []):
        st.warning("Every field got the same value: check the answer on the page.")
    if "printed_instructions" in ext.get("flags", []):
        st.info("The document prints instructions to an AI model; no value was taken from them.")
    st.html(answer_table_html(ext))
    for name, v in ext["fields"].items():
        if v.get("items") is not None:
            st.html(items_table_html(name, v))
    if ext.get("repairs"):
        st.caption(repairs_note(ext))
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


def show_page(doc: dict, i: int, zoom: str, show_boxes: bool) -> None:
    ocr_page = doc["ocr"].pages[i]
    hl = [p for p in doc["pins"].values() if p["page"] == ocr_page.page and "items" not in p]
    rows = [r for p in doc["pins"].values() for r in p.get("items", []) if r["page"] == ocr_page.page]
    boxes = [ln.box for ln in ocr_page.lines]
    tabbed = len(doc["ocr"].pages) > 1  # the page tabs take room above the viewer
    if ocr_page.rotation:
        st.caption(f"This page was turned {ocr_page.rotation}° clockwise to read it.")
    st.html(
        page_html(
            doc["images"][i],
            ocr_page.width,
            ocr_page.height,
            boxes,
            hl,
            zoom=zoom,
            page=ocr_page.page,
            tabbed=tabbed,
            show_ocr=show_boxes,
            item_rows=rows,
        )
    )


def main() -> None:
    # the sidebar (engine, backend, strict) starts closed: the page and the chat get the width
    st.set_page_config(page_title="chatocr", page_icon="🧾", layout="wide", initial_sidebar_state="collapsed")
    st.html(CSS)
    ss = st.session_state
    # sha1 -> {"name", "ocr", "images", "pins": {field: highlight}, "history": [(message, answer)]}
    ss.setdefault("docs", {})
    sample = st.query_params.get("sample") == "1"
    defaults = Settings()

    with st.sidebar:
        st.header("Settings")
        engines = available_engines()
        engine = st.selectbox(
            "OCR engine",
            engines,
            index=engines.index(defaults.ocr_engine) if defaults.ocr_engine in engines else 0,
        )
        backends = available_backends()
        backend = st.selectbox(
            "LLM backend",
            backends,
            index=backends.index(defaults.backend) if defaults.backend in backends else 0,
        )
        strict = st.toggle("Strict (null values not found in the OCR text)", value=False)

    head, upload = st.columns([2, 3], vertical_alignment="center")
    head.markdown("### chatocr · chat with a document")  # one line at 1280 px
    pipe, llm_error = get_pipeline(engine, backend)
    if llm_error:
        st.error(f"LLM backend {backend!r} is not available, OCR only: {llm_error}")

    up = upload.file_uploader(
        "Upload an image or PDF",
        type=sorted(s.lstrip(".") for s in DOCUMENT_SUFFIXES),
        label_visibility="collapsed",
    )
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
    if doc is None:
        try:
            with st.spinner("Reading the document (OCR)…"):
                pages = load_document(data, name=name, limits=pipe.limits)
                ocr = pipe.ocr(data, name=name)
        except ValueError as e:  # InputError: say what is wrong with the file
            st.error(str(e))
            return
        # shown as read: a page the OCR turned upright is turned the same way (its boxes are)
        images = [
            encode_page(p.rotate(-op.rotation, expand=True) if op.rotation else p)
            for p, op in zip(pages, ocr.pages, strict=True)
        ]
        doc = ss.docs[sha] = {"name": name, "ocr": ocr, "images": images, "pins": {}, "history": []}
    tab_key = f"page-{sha[:12]}"

    left, right = st.columns([3, 2], gap="medium")
    with right:
        # the heading and the presets stay in view (sticky, see viewer.CSS) while the chat scrolls
        chat_head = st.container(key="chat-head")
        chat_head.subheader("Chat")
        row = chat_head.container(horizontal=True, vertical_alignment="bottom", gap="small")
        names = list(PRESETS)
        preset = row.selectbox(
            "Preset fields for",
            names,
            index=names.index(default_preset(doc["ocr"].to_plain_text())),
            key=f"preset-{sha[:12]}",  # each document starts with its own default
            width=260,
        )
        ask_preset = row.button("Ask", help="Ask for the preset's fields", key="ask-preset")
        chat_head.caption(preset_message(PRESETS[preset]))
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
                with st.spinner("Asking the model…"):
                    ext = pipe.extract_from_ocr(doc["ocr"], query, strict=strict)
                answer = ext.model_dump(mode="json")
                doc["history"].append((message, answer))
                page = pin(doc, answer)
                if page is not None and len(doc["ocr"].pages) > 1:
                    ss[tab_key] = f"Page {page}"  # show the page the new answer is on
            except ValueError as e:  # QueryError and friends carry a readable message
                doc["history"].append((message, str(e)))
            except Exception as e:  # a backend failure: show it in the chat, keep the page alive
                doc["history"].append((message, f"the model failed: {type(e).__name__}: {e}"))

    with left:
        ocr = doc["ocr"]
        n_lines = sum(len(p.lines) for p in ocr.pages)
        bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
        zoom = bar.segmented_control(
            "Zoom", ZOOMS, default=ZOOMS[0], required=True, key="zoom", label_visibility="collapsed"
        )
        show_boxes = bar.toggle("OCR boxes", value=True, key="show_boxes")
        bar.button(
            "Clear highlights",
            key=f"clear-{sha[:12]}",
            disabled=not doc["pins"],
            on_click=doc["pins"].clear,
            help="Remove every answer's highlight from the page",
        )
        info = f"{name} · {len(ocr.pages)} page(s) · {n_lines} OCR lines · engine {ocr.engine}"
        bar.container(key="doc-info").caption(info)  # one line: the toolbar never wraps
        if len(ocr.pages) > 1:
            labels = [f"Page {p.page}" for p in ocr.pages]
            if ss.get(tab_key) not in labels:
                ss.pop(tab_key, None)
            tabs = st.tabs(labels, key=tab_key, on_change="rerun")
            for i, tab in enumerate(tabs):
                if tab.open is not False:  # only the page on show is drawn
                    with tab:
                        show_page(doc, i, zoom or ZOOMS[0], show_boxes)
        else:
            show_page(doc, 0, zoom or ZOOMS[0], show_boxes)
    with right:
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
