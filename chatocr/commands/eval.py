"""`chatocr eval` and `chatocr eval-compare`."""

from __future__ import annotations

from pathlib import Path

import click

from .common import (
    backend_option,
    engine_option,
    field_names,
    fields_option,
    limit_option,
    model_option,
    output_option,
    progress_option,
    repairs_option,
    user_errors,
    verbose_option,
)


@click.command("eval")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@fields_option
@click.option(
    "--method",
    type=click.Choice(["pipeline", "regex", "naive"]),
    default="pipeline",
    show_default=True,
    envvar="CHATOCR_EVAL_METHOD",
    show_envvar=True,
    help="pipeline: chatocr; regex: the rule baseline; naive: spaces-joined OCR, free generation, no grounding.",
)
@click.option(
    "--items-labels",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    envvar="CHATOCR_EVAL_ITEMS_LABELS",
    show_envvar=True,
    help='Extra line-items labels (JSONL: {"image": "img/x.jpg", "items": [records]} per line, images of'
    ' the set) merged into the set as the field "line items", which is then asked beside the set\'s'
    ' fields (and beside --fields) and scored by records (section "Line items" of the report).',
)
@backend_option
@model_option
@engine_option
@repairs_option
@limit_option
@output_option(
    None,
    "Result JSON (default reports/eval/<set>-<method>[-<model>].json); a Markdown report goes beside it.",
)
@progress_option
@verbose_option
@user_errors
def eval_cmd(dataset, fields, method, items_labels, limit, output, progress, **_settings):
    """Score a method on a labelled set (a folder with img/ and labels.jsonl); default fields: every
    labelled field. A line-items field labelled with a list of records is scored by records
    (precision/recall/F1, item count, sub-fields, arithmetic checks), not as a string.

    Resumable: documents already scored (in <output>.partial.jsonl) are skipped on restart."""
    from chatocr.evaluation import EvalConfig, default_out, load_dataset, run_eval
    from chatocr.evaluation.report import field_table, items_table

    from .common import command_settings

    s = command_settings()
    cfg = EvalConfig(
        dataset=dataset,
        method=method,
        backend=s.backend,
        model=s.model,
        engine=s.ocr_engine,
        repairs=s.repairs,
        fields=field_names(fields) or None,
        limit=limit,
        items_labels=items_labels,
    )
    # a malformed set (or item labels file) is reported before any model loads
    ds = load_dataset(dataset, limit=limit, items_labels=items_labels)
    out_path = output or default_out(cfg)
    result = run_eval(cfg, out=out_path, progress=progress, dataset=ds)
    click.echo("\n".join(field_table(result)))
    if rows := items_table(result):
        click.echo("\n" + "\n".join(rows))
    t = result["summary"]["seconds_per_doc"]
    click.echo(f"\nseconds/doc: OCR {t['ocr']:.2f}  LLM {t['llm']:.2f}")
    click.echo(f"wrote {out_path} and {Path(out_path).with_suffix('.md')}")


@click.command("eval-compare")
@click.argument("a", type=click.Path(exists=True, dir_okay=False))
@click.argument("b", type=click.Path(exists=True, dir_okay=False))
@verbose_option
@user_errors
def eval_compare(a, b):
    """Two eval result files side by side per field, and the documents where they differ."""
    from chatocr.evaluation import compare, load_result

    click.echo(compare(load_result(a), load_result(b)))
