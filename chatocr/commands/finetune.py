"""`chatocr finetune`: a LoRA adapter trained on the user's own labelled documents."""

from __future__ import annotations

from pathlib import Path

import click

from .common import _option, engine_option, model_option, progress_option, user_errors, verbose_option


@click.command("finetune")
@click.argument("labelled_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@model_option
@_option(
    "-o",
    "--output",
    "--out",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="CHATOCR_OUTPUT",
    help="The new adapter dir (default: adapters/<LABELLED_DIR's name>-lora).",
)
@engine_option
@_option(
    "--holdout",
    type=click.FloatRange(0.0, 0.9),
    default=0.2,
    show_default=True,
    envvar="CHATOCR_FINETUNE_HOLDOUT",
    help="Share of the documents held out (chosen by --seed) and scored before/after training.",
)
@_option(
    "--steps",
    type=click.IntRange(min=1),
    default=None,
    envvar="CHATOCR_FINETUNE_STEPS",
    help="Training steps at batch 1 (default: 2 passes over the samples, ~4 per document + synthetic).",
)
@_option(
    "--synthetic",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    envvar="CHATOCR_FINETUNE_SYNTHETIC",
    help="Synthetic XTuner samples mixed in so the model keeps its other skills (default: "
    "datasets/generated/v3/train.jsonl when present, else the committed datasets/data.json).",
)
@_option(
    "--synthetic-share",
    type=click.FloatRange(0.0, 0.9),
    default=0.3,
    show_default=True,
    envvar="CHATOCR_FINETUNE_SYNTHETIC_SHARE",
    help="Share of the training samples drawn from --synthetic (0: only your documents).",
)
@_option(
    "--force",
    is_flag=True,
    envvar="CHATOCR_FORCE",
    help="Replace an existing adapter at --output.",
)
@_option(
    "--check",
    is_flag=True,
    envvar="CHATOCR_FINETUNE_CHECK",
    help="Only check LABELLED_DIR (labels, images, enough documents) and the --model/--output choice; "
    "no OCR, no training.",
)
@_option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    envvar="CHATOCR_SEED",
    help="Seed of the holdout split, the field subsets, the synthetic draw and training.",
)
@progress_option
@verbose_option
@user_errors
def finetune(
    labelled_dir,
    model,
    output,
    engine,
    holdout,
    steps,
    synthetic,
    synthetic_share,
    force,
    check,
    seed,
    progress,
):
    """Fine-tune the embedded model on your own labelled documents.

    LABELLED_DIR holds img/ and labels.jsonl, one line per image:
    {"image": "img/001.jpg", "fields": {"company": "...", "total": "9.00"}} (the eval-set format).
    Each document is OCRed once (cached), asked several field subsets, and a LoRA adapter is trained
    with XTuner on top of --model (default: the shipped adapter). The result is an adapter dir that
    every command takes as --model DIR, with a PROVENANCE.md of its data, settings and the held-out
    documents' F1 before and after. Interrupted? Run the same command again: it resumes.
    With --check, only the folder and the options are checked, every problem named."""
    import click as _click

    from chatocr.training import Options
    from chatocr.training import finetune as run

    out = output or Path("adapters") / f"{labelled_dir.resolve().name}-lora"
    opts = Options(
        folder=labelled_dir,
        output=out,
        model=model,
        engine=engine,
        holdout=holdout,
        steps=steps,
        synthetic=synthetic,
        synthetic_share=synthetic_share,
        force=force,
        seed=seed,
        progress=progress,
        verbose=_click.get_current_context().find_root().params.get("verbose", False),
    )
    if check:
        from chatocr.training.run import preflight

        report, recipe = preflight(opts)
        for w in report.warnings:
            _click.echo(f"warning: {w}", err=True)
        if not recipe.python.is_file():
            _click.echo(
                f"note: the first run builds XTuner's venv in {recipe.venv} (a few minutes)", err=True
            )
        _click.echo(f"{labelled_dir}: ok, {report.summary()}; would train {recipe.start} into {out}")
        return
    info = run(opts)
    b, a = info["before"], info["after"]
    if b is not None:
        _click.echo(
            f"held-out F1 on {len(info['holdout_documents'])} documents: "
            f"{b['overall']['f1']:.3f} before -> {a['overall']['f1']:.3f} after"
        )
    _click.echo(f"adapter -> {out} ({info['train_minutes']} min of training); use it with --model {out}")
