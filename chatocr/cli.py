"""The `chatocr` command. Subcommands live in `chatocr/commands/`, one module each, so that
`chatocr --help` stays instant (heavy imports happen inside the commands)."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import re
from pathlib import Path

import click

# name -> "module:attribute"; each module owns its command.
COMMANDS = {
    "ocr": "chatocr.commands.ocr:ocr",
    "extract": "chatocr.commands.extract:extract",
    "serve-llm": "chatocr.commands.serve_llm:serve_llm",
    "serve": "chatocr.commands.serve:serve",
    "batch": "chatocr.commands.batch:batch",
    "eval": "chatocr.commands.eval:eval_cmd",
    "eval-compare": "chatocr.commands.eval:eval_compare",
    "finetune": "chatocr.commands.finetune:finetune",
}


class LazyGroup(click.Group):
    def resolve_command(self, ctx, args):
        """As click's, and a mistyped subcommand gets the nearest names as a suggestion."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as e:
            name = args[0] if args else ""
            close = difflib.get_close_matches(name, list(COMMANDS), n=2, cutoff=0.6)
            if close and not name.startswith("-"):
                hint = " or ".join(repr(c) for c in close)
                raise click.UsageError(f"No such command {name!r}. Did you mean {hint}?", ctx) from None
            raise e

    def list_commands(self, ctx):
        return [n for n in COMMANDS if self._load(n) is not None]

    def get_command(self, ctx, name):
        return self._load(name)

    def _load(self, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        mod, attr = target.split(":")
        try:
            return getattr(importlib.import_module(mod), attr)
        except ModuleNotFoundError as e:
            if e.name == mod:  # command not built yet
                return None
            raise


def adapter_version() -> str:
    """The shipped adapter and its version, read from its provenance title ("… (v6: …)") without
    importing llm_stage (so `--version` is instant)."""
    spec = importlib.util.find_spec("llm_stage")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        for prov in sorted(Path(root, "adapters").glob("*/PROVENANCE.md")):
            title = prov.read_text(encoding="utf-8").split("\n", 1)[0]
            m = re.search(r"\((v\d+)\b", title)
            items = (
                " + its line-items adapter"
                if (prov.parent / "items" / "adapter_config.json").is_file()
                else ""
            )
            return f"{prov.parent.name} {m[1] if m else 'unversioned'}{items}"
    return "none shipped"


def version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg = version("chatocr")
    except PackageNotFoundError:  # run from a checkout without installing
        from . import __version__ as pkg
    return f"chatocr {pkg}\nadapter {adapter_version()}"


def _print_version(ctx: click.Context, param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(version_text())
        ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_print_version,
    help="Show the package version and the shipped adapter's version, and exit.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    envvar="CHATOCR_VERBOSE",
    show_envvar=True,
    help="Show third-party warnings and model-loading bars (hidden by default).",
)
def main(verbose):
    """Extract fields from document images as grounded JSON.

    Every subcommand speaks one vocabulary: -f/--field (repeatable, comma lists too), -q/--question,
    -p/--pages (1-based), -e/--engine, -b/--backend, -m/--model, -o/--output FILE, --format,
    -n/--limit; each option has a CHATOCR_* variable (shown in --help)."""


if __name__ == "__main__":
    main()
