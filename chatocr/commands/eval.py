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
def eval_cmd(dataset, fields, method, limit, output, progress, **_settings):
    """Score a method on a labelled set (a folder with img/ and labels.jsonl); default fields: every
    labelled field.

    Resumable: documents already scored (in <output>.partial.jsonl) are skipped on restart."""
    from chatocr.evaluation import EvalConfig, default_out, load_dataset, run_eval
    from chatocr.evaluation.report import field_table

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
    )
    ds = load_dataset(dataset, limit=limit)  # a malformed set is reported before any model loads
    out_path = output or default_out(cfg)
    result = run_eval(cfg, out=out_path, progress=progress, dataset=ds)
    click.echo("\n".join(field_table(result)))
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
