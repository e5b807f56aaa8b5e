"""`python -m generate_data`: build the synthetic dataset; `python -m generate_data label`: teacher mode."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_WEIGHTS = "my_receipt=3,vat_special_invoice=2,vat_normal_invoice=1"
WEIGHTS_HELP = "per-type weights 'type=N,...' (others 1; 'none' for an even mix); the same value must be given to assemble/card"


def _types(value: str | None, weights: str | None = None) -> list[str]:
    """The selected types, each repeated by its weight (the round-robin assignment then gives the mix)."""
    from .doctypes import REGISTRY
    from .values import parse_weights, weighted_types

    if not value or value == "all":
        names = sorted(REGISTRY)
    else:
        names = [t.strip() for t in value.split(",") if t.strip()]
        unknown = [t for t in names if t not in REGISTRY]
        if unknown:
            raise click.BadParameter(
                f"unknown type(s) {', '.join(unknown)}; choose from {', '.join(sorted(REGISTRY))}"
            )
    if not weights or weights == "none":
        return names
    try:
        w = parse_weights(weights)
        unknown = [t for t in w if t not in REGISTRY]
        if unknown:
            raise ValueError(f"unknown type(s) {', '.join(unknown)}")
        return list(weighted_types(names, w))
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--weights") from None


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-n",
    "--n",
    "n",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="number of documents (each gives --queries samples)",
)
@click.option(
    "-t", "--types", default="all", show_default=True, help="comma-separated document types, or 'all'"
)
@click.option("-s", "--seed", type=int, default=0, show_default=True)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("datasets/generated/default"),
    show_default=True,
)
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="processes, each with its own 1-thread OCR engine",
)
@click.option(
    "-q",
    "--queries",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="queries (samples) per document",
)
@click.option("--start", type=click.IntRange(min=0), default=0, help="first document index (to extend a run)")
@click.option("--weights", default=DEFAULT_WEIGHTS, show_default=True, help=WEIGHTS_HELP)
@click.option(
    "--injection-share",
    type=click.FloatRange(0, 1),
    default=None,
    help="share of documents that print a prompt-injection line (default 0.10; env CHATOCR_INJECTION_SHARE)",
)
@click.option(
    "--items-share",
    type=click.FloatRange(0, 1),
    default=None,
    help="share of documents printing item rows that are asked for their line items (default 0.25; "
    "env CHATOCR_ITEMS_SHARE)",
)
@click.option(
    "--preview", is_flag=True, help="render pages only, no OCR and no samples (debugging; not a dataset)"
)
@click.option(
    "--splits",
    default="train,val,test",
    show_default=True,
    help="build only the documents of these splits (val,test: the evaluation splits in a tenth of the time; "
    "a later run of all splits builds the rest)",
)
@click.option("--list-types", is_flag=True, help="print the document types and exit")
@click.pass_context
def main(
    ctx,
    n,
    types,
    seed,
    out,
    workers,
    queries,
    start,
    weights,
    injection_share,
    items_share,
    splits,
    preview,
    list_types,
):
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
    import os

    from .build import run
    from .injection import SHARE_ENV

    if injection_share is not None:  # the environment reaches the spawned workers
        os.environ[SHARE_ENV] = str(injection_share)
    if items_share is not None:
        from .queries import ITEMS_SHARE_ENV

        os.environ[ITEMS_SHARE_ENV] = str(items_share)
    from .build import check_splits

    try:
        wanted = check_splits(s.strip() for s in splits.split(",") if s.strip())
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--splits") from None
    stats = run(
        n,
        seed,
        _types(types, weights),
        out,
        workers=workers,
        queries=queries,
        ocr=not preview,
        start=start,
        splits=wanted,
    )
    if preview:
        click.echo(f"rendered {stats['documents']} pages into {out / 'preview' / 'img'}")
        return
    r = stats["run"]
    click.echo(
        f"{stats['documents']} documents in {out} ({r['built']} built, {r['skipped']} already done) in {r['wall_s']} s"
        + (
            f"; {r['samples_per_min']} samples/min"
            if r["samples_per_min"] is not None
            else "; splits re-assembled"
        )
    )
    click.echo(
        "OCR text holds the value verbatim: "
        + ", ".join(f"{k} {v:.0%}" for k, v in stats["ocr_verbatim"].items())
    )


@main.command()
@click.argument("images_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-f", "--fields", required=True, help="comma-separated field names to label")
@click.option(
    "-e",
    "--endpoint",
    required=True,
    envvar="CHATOCR_TEACHER_ENDPOINT",
    help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8001",
)
@click.option("-m", "--model", default="default", show_default=True, envvar="CHATOCR_TEACHER_MODEL")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("datasets/generated/teacher"),
    show_default=True,
)
@click.option(
    "--api-key",
    envvar="OPENAI_API_KEY",
    default=None,
    help="bearer token for the endpoint (env OPENAI_API_KEY)",
)
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
    click.echo(
        f"labelled {stats['labelled']} images ({stats['skipped']} already done, {stats['failed']} failed) into {out}"
    )


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-n",
    "--n",
    "n",
    type=click.IntRange(min=1),
    default=None,
    help="the --n of the run (default: every finished document)",
)
@click.option("-t", "--types", default="all", show_default=True)
@click.option("-s", "--seed", type=int, default=0, show_default=True)
@click.option("--weights", default=DEFAULT_WEIGHTS, show_default=True, help="the --weights of the run")
@click.option(
    "--layout",
    type=click.Choice(["rows", "xy"]),
    default="rows",
    show_default=True,
    help="prompt layout of the samples (llm_stage.prompt); xy writes train.xy.jsonl etc. from the stored OCR",
)
def assemble(out, n, types, seed, weights, layout):
    """Write the split files from the documents finished so far (usable while a run goes on)."""
    from .build import assemble as _assemble

    indices = range(n) if n is not None else None
    stats = _assemble(out, indices, seed, _types(types, weights), layout)
    click.echo(f"{stats['documents']} finished documents assembled in {out}")


@main.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("--name", required=True, help="the set's name: writes train-NAME.jsonl and val-NAME.jsonl")
@click.option(
    "--out",
    "dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("datasets/generated"),
    show_default=True,
)
@click.option("--layout", type=click.Choice(["rows", "xy"]), default="rows", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="the shuffle of the mixed val samples")
def mix(runs, name, dest, layout, seed):
    """One training set from several runs' assembled splits (train in turn, val shuffled).

    RUNS are run folders, each optionally with a weight on its train samples: RUN:2 takes them twice,
    RUN:0.5 a seeded half of them (val samples are taken once, whatever the weight)."""
    from .build import mix as _mix

    parsed = []
    for spec in runs:
        path, weight = spec, 1.0
        head, sep, tail = spec.rpartition(":")
        if sep and head:
            try:
                path, weight = head, float(tail)
            except ValueError:
                raise click.BadParameter(
                    f"{spec!r}: the weight after ':' must be a number", param_hint="RUNS"
                ) from None
            if weight <= 0:
                raise click.BadParameter(f"{spec!r}: the weight must be above 0", param_hint="RUNS")
        if not Path(path).is_dir():
            raise click.BadParameter(f"{path!r} is not a run folder", param_hint="RUNS")
        parsed.append((Path(path), weight))
    counts = _mix(parsed, name, dest, layout, seed)
    click.echo(f"{counts['train']} train and {counts['val']} val samples in {dest} ({name}, layout {layout})")


@main.command("items-set")
@click.argument("source")
@click.option("--name", default="items", show_default=True, help="writes train-NAME.jsonl and val-NAME.jsonl")
@click.option(
    "--out",
    "dest",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("datasets/generated"),
    show_default=True,
)
def items_set(source, name, dest):
    """The line-items samples of the mixed set SOURCE (train-SOURCE.jsonl, val-SOURCE.jsonl), each
    once: the set a line-items adapter is trained on."""
    from .build import items_set as _items_set

    try:
        counts = _items_set(source, name, dest)
    except FileNotFoundError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{counts['train']} train and {counts['val']} val line-items samples in {dest} ({name})")


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--docs",
    type=click.IntRange(min=1),
    default=125,
    show_default=True,
    help="first DOCS documents of the run",
)
@click.option("-t", "--types", default="all", show_default=True, help="the --types of the run")
@click.option("-s", "--seed", type=int, default=0, show_default=True, help="the --seed of the run")
@click.option(
    "--dest", type=click.Path(file_okay=False, path_type=Path), default=Path("datasets"), show_default=True
)
@click.option("--weights", default=DEFAULT_WEIGHTS, show_default=True, help="the --weights of the run")
@click.option("--note", default="", help="text for the card's background-run section")
def card(run_dir, docs, types, seed, weights, dest, note):
    """Write the committed sample (data.json), example images and the data card from a finished run."""
    import sys

    from .card import write_card

    args = sys.argv[1:]
    if "--note" in args:  # the note is card text, not part of the recipe
        i = args.index("--note")
        del args[i : i + 2]
    cmd = "python -m generate_data " + " ".join(args)
    res = write_card(run_dir, docs, seed, _types(types, weights), dest, cmd, run_note=note)
    click.echo(
        f"{res['samples']} samples from {res['documents']} documents -> {dest}/data.json; examples: {', '.join(res['examples'])}"
    )


@main.command("injection-corpus")
@click.option("-n", "--n", "n", type=click.IntRange(min=1), default=50, show_default=True)
@click.option(
    "-s",
    "--seed",
    type=int,
    default=9001,
    show_default=True,
    help="its own seed namespace: no training document repeats",
)
@click.option("-t", "--types", default="my_receipt,vat_special_invoice,vat_normal_invoice", show_default=True)
@click.option("--weights", default=DEFAULT_WEIGHTS, show_default=True, help=WEIGHTS_HELP)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("datasets/generated/injection"),
    show_default=True,
)
def injection_corpus(n, seed, types, weights, out):
    """Write an eval set where every document prints a prompt injection (test/img + test/labels.jsonl,
    each label line with an "injection" key: text, target_field, injected value, true value)."""
    from .injection_corpus import build_corpus
    from .values import parse_weights

    names = sorted(set(_types(types)))
    res = build_corpus(n, seed, out, names, parse_weights(weights) if weights != "none" else None)
    click.echo(f"{res['documents']} injected documents -> {res['out']}")


if __name__ == "__main__":
    main()
