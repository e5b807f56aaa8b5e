"""`python -m generate_data`: build the synthetic dataset; `python -m generate_data label`: teacher mode."""

from __future__ import annotations

from pathlib import Path

import click


def _types(value: str | None) -> list[str]:
    from .doctypes import REGISTRY

    if not value or value == "all":
        return sorted(REGISTRY)
    names = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in names if t not in REGISTRY]
    if unknown:
        raise click.BadParameter(f"unknown type(s) {', '.join(unknown)}; choose from {', '.join(sorted(REGISTRY))}")
    return names


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-n", "--n", "n", type=click.IntRange(min=1), default=100, show_default=True, help="number of documents (each gives --queries samples)")
@click.option("-t", "--types", default="all", show_default=True, help="comma-separated document types, or 'all'")
@click.option("-s", "--seed", type=int, default=0, show_default=True)
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("datasets/generated/default"), show_default=True)
@click.option("-w", "--workers", type=click.IntRange(min=1), default=2, show_default=True, help="processes, each with its own 1-thread OCR engine")
@click.option("-q", "--queries", type=click.IntRange(min=1), default=4, show_default=True, help="queries (samples) per document")
@click.option("--start", type=click.IntRange(min=0), default=0, help="first document index (to extend a run)")
@click.option("--preview", is_flag=True, help="render pages only, no OCR and no samples (debugging; not a dataset)")
@click.option("--list-types", is_flag=True, help="print the document types and exit")
@click.pass_context
def main(ctx, n, types, seed, out, workers, queries, start, preview, list_types):
    """Generate synthetic documents, read them with the real OCR stage, and write XTuner samples.

    Deterministic for a seed; re-running the same command resumes (finished documents are skipped).
    """
    if ctx.invoked_subcommand:
        return
    from .doctypes import REGISTRY

    if list_types:
        for name, dt in sorted(REGISTRY.items()):
            click.echo(f"{name}\t{dt.spec.lang}\t{dt.spec.title}\t{len(dt.spec.fields)} fields")
        return
    from .build import run

    stats = run(n, seed, _types(types), out, workers=workers, queries=queries, ocr=not preview, start=start)
    if preview:
        click.echo(f"rendered {n} pages into {out / 'preview' / 'img'}")
        return
    r = stats["run"]
    click.echo(
        f"{stats['documents']} documents in {out} ({r['built']} built, {r['skipped']} already done) in {r['wall_s']} s; "
        f"{r['samples_per_min']} samples/min"
    )
    click.echo("OCR text holds the value verbatim: " + ", ".join(f"{k} {v:.0%}" for k, v in stats["ocr_verbatim"].items()))


@main.command()
@click.argument("images_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-f", "--fields", required=True, help="comma-separated field names to label")
@click.option("-e", "--endpoint", required=True, envvar="CHATOCR_TEACHER_ENDPOINT", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8001")
@click.option("-m", "--model", default="default", show_default=True, envvar="CHATOCR_TEACHER_MODEL")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("datasets/generated/teacher"), show_default=True)
@click.option("--api-key", envvar="OPENAI_API_KEY", default=None, help="bearer token for the endpoint (env OPENAI_API_KEY)")
@click.option("--timeout", type=float, default=120.0, show_default=True)
def label(images_dir, fields, endpoint, model, out, api_key, timeout):
    """Label a folder of real images through an OpenAI-compatible endpoint (teacher mode)."""
    from llm_stage.types import FieldQuery, QueryError

    from .teacher import TeacherError, label_folder

    try:
        query = FieldQuery(fields=fields)
    except QueryError as e:
        raise click.ClickException(f"--fields: {e}") from None
    try:
        stats = label_folder(images_dir, query, endpoint, out, model=model, api_key=api_key, timeout=timeout)
    except TeacherError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"labelled {stats['labelled']} images ({stats['skipped']} already done, {stats['failed']} failed) into {out}")


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-n", "--n", "n", type=click.IntRange(min=1), required=True, help="the --n of the run")
@click.option("-t", "--types", default="all", show_default=True)
@click.option("-s", "--seed", type=int, default=0, show_default=True)
def assemble(out, n, types, seed):
    """Write the split files from the documents finished so far (usable while a run goes on)."""
    from .build import assemble as _assemble

    stats = _assemble(out, range(n), seed, _types(types))
    click.echo(f"{stats['documents']} finished documents assembled in {out}")



@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--docs", type=click.IntRange(min=1), default=125, show_default=True, help="first DOCS documents of the run")
@click.option("-t", "--types", default="all", show_default=True, help="the --types of the run")
@click.option("-s", "--seed", type=int, default=0, show_default=True, help="the --seed of the run")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=Path("datasets"), show_default=True)
@click.option("--note", default="", help="text for the card's background-run section")
def card(run_dir, docs, types, seed, dest, note):
    """Write the committed sample (data.json), example images and the data card from a finished run."""
    import sys

    from .card import write_card

    args = sys.argv[1:]
    if "--note" in args:  # the note is card text, not part of the recipe
        i = args.index("--note")
        del args[i : i + 2]
    cmd = "python -m generate_data " + " ".join(args)
    res = write_card(run_dir, docs, seed, _types(types), dest, cmd, run_note=note)
    click.echo(f"{res['samples']} samples from {res['documents']} documents -> {dest}/data.json; examples: {', '.join(res['examples'])}")


if __name__ == "__main__":
    main()
