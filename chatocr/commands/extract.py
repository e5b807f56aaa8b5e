"""`chatocr extract`: one document's fields as grounded JSON, a CSV row or a table."""

from __future__ import annotations

import csv
import io
import json

import click

from .common import (
    build_query,
    check_pages,
    command_settings,
    copy_option,
    engine_option,
    existing_file,
    fields_option,
    format_option,
    items_option,
    llm_options,
    loading_status,
    normalize_option,
    ocr_rec_option,
    ocr_reread_option,
    ocr_threads_option,
    output_option,
    pages_option,
    question_option,
    repairs_option,
    review_option,
    split_pages_option,
    strict_option,
    user_errors,
    verbose_option,
    write_output,
)


@click.command()
@click.argument("file", type=existing_file())
@fields_option
@items_option
@question_option
@llm_options
@strict_option
@review_option
@repairs_option
@normalize_option
@split_pages_option
@copy_option
@engine_option
@ocr_threads_option
@ocr_rec_option
@ocr_reread_option
@pages_option
@output_option()
@format_option(
    ["json", "csv", "table"],
    "json",
    "Output format. json: the Extraction (a line-items field's rows under 'items', with boxes); "
    "table: the fields, then one table per line-items field; csv: one row per document, or with a "
    "line-items field one row per item (columns item.field, item.row, item.description … item.tax, "
    "item.review) with the other fields repeated on each row.",
)
@verbose_option
@user_errors
def extract(
    file, fields, items, question, strict, normalize, split_pages, copy, pages, output, fmt, **_settings
):
    """Extract fields from FILE (image or PDF) as grounded JSON.

    The file, the fields and the page range are checked before anything loads, so a mistake is
    reported at once; the LLM then loads while OCR reads the document. A question beside fields is
    answered too, as 'answer'."""
    from ..pipeline import Pipeline

    query = build_query(fields, question, items=items)
    page_range = check_pages(pages)
    pipe = Pipeline.from_settings(command_settings(), lazy_llm=True, lazy_ocr=True)
    with loading_status():
        # once the document has decoded, the LLM loads on the other core while OCR reads it
        ocr = pipe.ocr(file, page_range=page_range, on_decoded=pipe.load_in_background)
        pipe.backend  # noqa: B018 (waits for the load; a loading error is raised here)
    opts = {"strict": strict, "normalize": normalize, "copy": copy}
    if split_pages:
        results = [(r.ocr.pages[0].page, r.extraction) for r in pipe.run_pages(ocr, query, **opts)]
    else:
        results = [(None, pipe.run(ocr, query, **opts).extraction)]
    write_output(render_all(results, fmt, normalize=normalize, document=file.name), output)
    for page, result in results:
        if result.error:
            click.echo(f"warning: {'' if page is None else f'page {page}: '}{result.error}", err=True)


def render_all(results: list, fmt: str, *, normalize: bool = False, document: str = "") -> str:
    """The answers of one document, (page or None, Extraction) each: a JSON object (a list of them,
    each with its `page`, with --split-pages), CSV with one row per answer, or tables."""
    split = len(results) != 1 or results[0][0] is not None
    if fmt == "json":
        if not split:
            return render(results[0][1], fmt)
        out = [{"page": page, **ext.model_dump(mode="json")} for page, ext in results]
        return json.dumps(out, ensure_ascii=False, indent=1)
    if fmt == "csv":
        return csv_rows(results, normalize=normalize, document=document, split=split)
    if not split:
        return render(results[0][1], fmt, normalize=normalize)
    return "\n\n".join(f"page {page}\n" + render(ext, fmt, normalize=normalize) for page, ext in results)


def csv_rows(results: list, *, normalize: bool, document: str, split: bool) -> str:
    """One row per document (per page when split), one column per field (and its normalized value
    beside it with --normalize): the shape `chatocr batch --format csv` writes. With a line-items
    field, one row per item instead: its field, row number, cells and review (ITEM_COLUMNS), the other
    fields repeated on each row; a document without items keeps one row, its item columns empty."""
    from ..batch.records import ITEM_COLUMNS, item_csv_cells, item_fields

    first = results[0][1].model_dump(mode="json")["fields"]
    listed = item_fields(first)
    keys = [k for k in results[0][1].fields if k not in listed]
    header = ["document", *(["page"] if split else [])]
    for k in keys:
        header += [k, f"{k}.normalized"] if normalize else [k]
    if listed:
        header += ITEM_COLUMNS
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for page, ext in results:
        row = [document, *([page] if split else [])]
        for k in keys:
            fv = ext.fields[k]
            row += [_cell(fv.value), _cell(fv.normalized)] if normalize else [_cell(fv.value)]
        if not listed:
            w.writerow(row)
            continue
        for item in item_csv_cells(ext.model_dump(mode="json")["fields"]):
            w.writerow(row + item)
    return buf.getvalue().rstrip("\n")


def _cell(v) -> str:
    if v is None:
        return ""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


FLAG_TEXT = {
    "all_null": "no field was found in the document",
    "identical_values": "every field has the same value (check the answer)",
    "printed_instructions": "the document prints instructions to an AI model; no value was taken from them",
}


def render(result, fmt: str, *, normalize: bool = False) -> str:
    """One Extraction as JSON or as a table of its fields."""
    if fmt == "json":
        return json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1)
    header = ["field", "value", "grounded", "page", "score", "confidence", "review", "repaired"] + (
        ["normalized"] if normalize else []
    )
    repaired: dict[str, list[str]] = {}
    for r in result.repairs:  # the rules that rewrote a field's value after decoding
        repaired.setdefault(r.field, []).append(r.rule)
    rows = []
    for name, fv in result.fields.items():
        n = None if fv.items is None else len(fv.items)
        row = [
            name,
            _cell(fv.value) if n is None else f"{n} row{'' if n == 1 else 's'} (below)",
            "yes" if fv.grounded else "no",
            "" if fv.page is None else str(fv.page),
            "" if fv.ocr_score is None else f"{fv.ocr_score:.2f}",
            "" if fv.confidence is None else f"{fv.confidence:.2f}",
            "check" if fv.needs_review else "",
            ",".join(dict.fromkeys(repaired.get(name, []))),
        ]
        if normalize:
            row.append(_cell(fv.normalized))
        rows.append(row)
    lines = _grid(header, rows).split("\n")
    for name, fv in result.fields.items():
        if fv.items is not None:
            lines += ["", items_table(name, fv)]
    t = result.timings
    if result.flags:
        lines.append("warning: " + ", ".join(FLAG_TEXT.get(f, f) for f in result.flags))
    for r in result.repairs:
        lines.append(f"repaired {r.field} ({r.rule}): {_cell(r.before)!r} -> {_cell(r.after)!r}")
    lines.append(
        f"({result.backend}:{result.model}  ocr {t.get('ocr_s', 0):.1f}s  llm {t.get('llm_s', 0):.1f}s)"
    )
    return "\n".join(lines)


def items_table(name: str, fv) -> str:
    """The rows of a line-items field as a table: #, the cells (a column null in every row is left
    out), and a check mark: ✓, or ⚠ with the reasons the row needs review."""
    from llm_stage.types import ITEM_KEYS

    records = fv.items or []
    title = f"{name}: {len(records)} row{'' if len(records) == 1 else 's'}"
    if fv.review_reasons:
        title += "  ⚠ " + ", ".join(fv.review_reasons)
    if not records:
        return title
    values = [r.values() for r in records]
    cols = [k for k in ITEM_KEYS if any(v.get(k) is not None for v in values)]
    header = ["#", *cols, "check"]
    rows = [
        [
            str(i),
            *(v.get(k) or "" for k in cols),
            ("⚠ " + ", ".join(r.review_reasons or ["check"])) if r.needs_review or r.review_reasons else "✓",
        ]
        for i, (r, v) in enumerate(zip(records, values, strict=True), 1)
    ]
    return title + "\n" + _grid(header, rows)


def _grid(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell (wide CJK characters count two), a rule under the header."""
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, w: int) -> str:
    return s + " " * (w - _width(s))
