"""The `chatocr` command. Subcommands live in `chatocr/commands/`, one module each, so that
`chatocr --help` stays instant (heavy imports happen inside the commands)."""

from __future__ import annotations

import importlib

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


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chatocr")
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
