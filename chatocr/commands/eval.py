"""`chatocr eval` and `chatocr eval-compare`."""

from __future__ import annotations

from pathlib import Path

import click

from .common import engine_option, user_errors


def _eval_errors(fn):
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        from chatocr.evaluation import DatasetError, ResultFileError

        try:
            return fn(*a, **kw)
        except (DatasetError, ResultFileError) as e:
            raise click.ClickException(str(e)) from None

    return wrapper


@click.command("eval")
@click.argument("dataset", type=click.Path(file_okay=False))
@click.option(
    "-f", "--fields", default=None, help="Fields to ask for (comma separated); default: every labelled field."
)
@click.option(
    "-m",
    "--method",
    type=click.Choice(["pipeline", "regex", "naive"]),
    default="pipeline",
    show_default=True,
    help="pipeline: chatocr; regex: the rule baseline; naive: spaces-joined OCR, free generation, no grounding.",
)
@click.option(
    "-b",
    "--backend",
    envvar="CHATOCR_BACKEND",
    default="transformers",
    show_default=True,
    help="LLM backend.",
)
@click.option(
    "--model",
    envvar="CHATOCR_MODEL",
    default=None,
    help="Model (for transformers: a model dir or adapter dir; default: the shipped embedded model).",
)
@engine_option
@click.option("-n", "--limit", type=click.IntRange(min=1), default=None, help="Only the first N documents.")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Result JSON (default reports/eval/<set>-<method>[-<model>].json); a Markdown report goes beside it.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@user_errors
@_eval_errors
def eval_cmd(dataset, fields, method, backend, model, engine, limit, out, quiet):
    """Score a method on a labelled set (a folder with img/ and labels.jsonl).

    Resumable: documents already scored (in <out>.partial.jsonl) are skipped on restart."""
    from chatocr.evaluation import EvalConfig, default_out, run_eval
    from chatocr.evaluation.report import field_table
    from llm_stage import split_field_list

    cfg = EvalConfig(
        dataset=dataset,
        method=method,
        backend=backend,
        model=model,
        engine=engine,
        fields=split_field_list(fields) if fields else None,
        limit=limit,
    )
    out_path = out or default_out(cfg)
    result = run_eval(cfg, out=out_path, progress=not quiet)
    click.echo("\n".join(field_table(result)))
    t = result["summary"]["seconds_per_doc"]
    click.echo(f"\nseconds/doc: OCR {t['ocr']:.2f}  LLM {t['llm']:.2f}")
    click.echo(f"wrote {out_path} and {Path(out_path).with_suffix('.md')}")


@click.command("eval-compare")
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@user_errors
@_eval_errors
def eval_compare(a, b):
    """Two eval result files side by side per field, and the documents where they differ."""
    from chatocr.evaluation import compare, load_result

    click.echo(compare(load_result(a), load_result(b)))
