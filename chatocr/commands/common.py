"""The CLI's one vocabulary: options shared by the subcommands (same long name, same short flag,
same meaning and the same CHATOCR_* variable everywhere), the checks that run before any model
loads, quiet output, and errors turned into one line by the error table (chatocr.errors)."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from ..quiet import quiet_third_party, set_verbose

# ------------------------------------------------------------------ errors


def user_errors(fn):
    """Turn errors about the user's input into a one-line `Error: …` instead of a traceback: every
    exception type of the error table (chatocr.errors), whatever command raised it."""

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        from ..errors import kind_of

        try:
            return fn(*a, **kw)
        except click.ClickException:
            raise
        except Exception as e:
            kind = kind_of(e)
            if kind is None:
                raise
            raise click.ClickException(kind.message(e)) from None

    return wrapper


# ------------------------------------------------------------------ quiet by default


def _verbosity(ctx: click.Context, param, verbose: bool) -> bool:
    root = ctx.find_root()
    ctx.meta["chatocr.verbose"] = bool(verbose or root.params.get("verbose"))
    set_verbose(ctx.meta["chatocr.verbose"])  # for the library's model loading (chatocr.quiet)
    if not ctx.meta["chatocr.verbose"]:
        quiet_third_party()
    return verbose


def is_verbose() -> bool:
    """Whether -v/--verbose was given to the running command (for work it hands to other processes)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("chatocr.verbose"))


def verbose_option(fn):
    return click.option(
        "-v",
        "--verbose",
        is_flag=True,
        envvar="CHATOCR_VERBOSE",
        is_eager=True,
        expose_value=False,
        callback=_verbosity,
        show_envvar=True,
        help="Show third-party warnings and model-loading bars (hidden by default).",
    )(fn)


class loading_status:
    """One status line on stderr while models load and the document is read, shown only when
    stderr is a terminal (never in pipes, logs or captured output) and erased when done."""

    def __init__(self, text: str = "chatocr: loading the models and reading the document…"):
        self.text = text
        self.shown = False

    def __enter__(self):
        if sys.stderr.isatty() and not is_verbose():
            sys.stderr.write(self.text)
            sys.stderr.flush()
            self.shown = True
        return self

    def __exit__(self, *exc):
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
        return False


# ------------------------------------------------------------------ parameter types


class FieldNames(click.ParamType):
    """A field name or a comma list of them ('发票号码,开票日期' or '发票号码，开票日期'); repeatable.
    The environment variable holds one such list (not split on spaces: names may contain them)."""

    name = "FIELDS"

    def split_envvar_value(self, rv: str):
        return [rv]

    def convert(self, value, param, ctx):
        return value


def field_names(values) -> list[str]:
    """The names of repeated --field values, each a name or a comma list, in order."""
    from llm_stage import split_field_list

    names: list[str] = []
    for v in values or ():
        names.extend(split_field_list(v))
    return names


def build_query(fields, question, hints=None, items: bool = False):
    """The FieldQuery of the command line, checked before any model loads. `items` (--items) adds the
    field "line items" unless a field already asks for line items."""
    from llm_stage import FieldQuery

    names = field_names(fields)
    if items:
        from llm_stage.items import with_items_field

        names = with_items_field(names)
    return FieldQuery(fields=names, question=question, hints=hints or {})


def check_pages(pages: str | None) -> list[int] | None:
    """The --pages range as 0-based indices, checked against CHATOCR_MAX_PAGES."""
    from ..settings import PageRangeError, Settings, parse_pages

    try:
        return parse_pages(pages, Settings().max_pages)
    except PageRangeError as e:
        raise click.BadParameter(str(e), param_hint="'-p' / '--pages'") from None


# The command-line options that are settings: option name -> Settings field. Every command builds its
# Settings from its own parsed options through this one table (`command_settings`).
SETTINGS_OPTIONS = {
    "engine": "ocr_engine",
    "ocr_threads": "ocr_threads",
    "ocr_rec_model": "ocr_rec_model",
    "ocr_reread": "ocr_reread",
    "backend": "backend",
    "model": "model",
    "base_url": "base_url",
    "llm_threads": "llm_threads",
    "review_below": "review_below",
    "repairs": "repairs",
}


def command_settings(**fixed):
    """The Settings of the running command: CHATOCR_* defaults, with the setting options it was given
    (those not given keep the environment's value) and `fixed` (values the command itself sets)."""
    from ..settings import Settings

    params = click.get_current_context().params
    given = {field: params.get(opt) for opt, field in SETTINGS_OPTIONS.items() if opt in params}
    return Settings().with_options(**{**given, **fixed})


# ------------------------------------------------------------------ shared options

# Every shared option names its variable in --help.
_option = functools.partial(click.option, show_envvar=True)


def ray_address_option(help: str):
    """--ray [ADDRESS] (CHATOCR_RAY_ADDRESS): alone, a Ray instance on this machine ("local")."""
    return _option(
        "--ray",
        "ray_address",
        is_flag=False,
        flag_value="local",
        default=None,
        metavar="[ADDRESS]",
        envvar="CHATOCR_RAY_ADDRESS",
        help=help,
    )


fields_option = _option(
    "-f",
    "--field",
    "--fields",
    "fields",
    type=FieldNames(),
    multiple=True,
    envvar="CHATOCR_FIELDS",
    help="A field to extract; repeat it, or give a comma list: -f 发票号码 -f 'date,total'.",
)
items_option = _option(
    "--items",
    is_flag=True,
    default=False,
    envvar="CHATOCR_ITEMS",
    help="Also extract the line items (the field 'line items', unless a field such as '商品明细' "
    "already asks for them): a list of rows with description, quantity, unit, unit_price, amount, "
    "tax_rate and tax, each with its box.",
)
question_option = _option(
    "-q",
    "--question",
    default=None,
    envvar="CHATOCR_QUESTION",
    help="A question about the document (answered as field 'answer').",
)
engine_option = _option(
    "-e",
    "--engine",
    envvar="CHATOCR_OCR_ENGINE",
    default=None,
    help="OCR engine: rapid (default; CPU, shipped PP-OCR ONNX models) or paddle (PaddleOCR).",
)
ocr_threads_option = _option(
    "--ocr-threads",
    type=click.IntRange(min=0),
    default=None,
    envvar="CHATOCR_OCR_THREADS",
    help="OCR CPU threads (0 = all).",
)
ocr_rec_option = _option(
    "--ocr-rec-model",
    "ocr_rec_model",
    default=None,
    envvar="CHATOCR_OCR_REC_MODEL",
    help="OCR text recogniser: v6-small (default, shipped), v6-tiny or v5-mobile (the ocr-models "
    "extra), or an .onnx file.",
)
ocr_reread_option = _option(
    "--ocr-reread",
    "ocr_reread",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    envvar="CHATOCR_OCR_REREAD",
    help="Rapid OCR: read a line a second time, from a wider cut, when its least sure character "
    "is below this (0 = never, the default).",
)
pages_option = _option(
    "-p",
    "--pages",
    default=None,
    envvar="CHATOCR_PAGES",
    help="Pages to read, 1-based: '1-3,5' (default: all).",
)
backend_option = _option(
    "-b",
    "--backend",
    default=None,
    envvar="CHATOCR_BACKEND",
    help="LLM backend: transformers (default, embedded CPU model), lmdeploy, openai.",
)
model_option = _option(
    "-m",
    "--model",
    default=None,
    envvar="CHATOCR_MODEL",
    help="Model: a local HF dir, a LoRA adapter dir or 'embedded' (transformers); a model name "
    "(openai, lmdeploy). Default: the shipped fine-tuned embedded model.",
)
base_url_option = _option(
    "-u",
    "--base-url",
    default=None,
    envvar="CHATOCR_LLM_BASE_URL",
    help="OpenAI-compatible server URL (backend openai).",
)
llm_threads_option = _option(
    "--llm-threads",
    type=click.IntRange(min=0),
    default=None,
    envvar="CHATOCR_LLM_THREADS",
    help="LLM CPU threads (0 = torch default).",
)
strict_option = _option(
    "-s/-S",
    "--strict/--no-strict",
    default=None,
    envvar="CHATOCR_STRICT",
    help="Null every value that cannot be found in the OCR text (default: on for field queries when "
    "the backend cannot copy values while decoding; --no-strict keeps them, marked ungrounded).",
)
copy_option = _option(
    "--copy/--no-copy",
    default=None,
    envvar="CHATOCR_COPY",
    help="Decode values as spans copied from the document text (default: on for fields, off for a "
    "question); --no-copy lets the model write free text.",
)
review_option = _option(
    "--review-below",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    envvar="CHATOCR_REVIEW_BELOW",
    help="Mark values whose confidence is below this as needs_review (default: the threshold "
    "calibrated for the model, see `make calibrate`).",
)


def _repairs_preset(ctx, param, value):
    if value is None:
        return None
    from llm_stage.repairs import check_preset

    try:
        return check_preset(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


repairs_option = _option(
    "-R",
    "--repairs",
    default=None,
    metavar="PRESET",
    callback=_repairs_preset,
    envvar="CHATOCR_REPAIRS",
    help="Post-decoding repairs: auto (default: language-free ones, and a document family's own where "
    "the page shows that family), general (language-free only), none, all, or a family: receipt, "
    "malaysia, cn_vat; comma lists combine. Every change is listed under 'repairs' in the answer.",
)
normalize_option = _option(
    "--normalize",
    is_flag=True,
    default=False,
    envvar="CHATOCR_NORMALIZE",
    help="Fill each value's 'normalized' (ISO dates, plain amounts; null without this flag) and show "
    "it in csv/table output.",
)
split_pages_option = _option(
    "--split-pages",
    is_flag=True,
    default=False,
    envvar="CHATOCR_SPLIT_PAGES",
    help="One answer per page: for a PDF that holds several documents (a scanned stack of receipts).",
)
limit_option = _option(
    "-n",
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    envvar="CHATOCR_LIMIT",
    help="Process at most N documents this run.",
)
progress_option = _option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    envvar="CHATOCR_PROGRESS",
    help="Progress bar on stderr.",
)


def output_option(
    default=None, help_text="Write the result to FILE (default: standard output).", uri_ok=False
):
    """-o/--output. `uri_ok`: a folder or a URI (s3://…) is accepted too and given as a string
    (Path would fold the '//' of a URI)."""
    return _option(
        "-o",
        "--output",
        "--out",
        "output",
        type=click.Path(dir_okay=uri_ok, path_type=str if uri_ok else Path),
        default=default,
        show_default=default is not None,
        envvar="CHATOCR_OUTPUT",
        help=help_text,
    )


def format_option(choices: list[str], default: str, help_text: str = "Output format."):
    return _option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        envvar="CHATOCR_FORMAT",
        help=help_text,
    )


def llm_options(fn):
    """-b/--backend, -m/--model, -u/--base-url, --llm-threads."""
    for opt in reversed((backend_option, model_option, base_url_option, llm_threads_option)):
        fn = opt(fn)
    return fn


def write_output(text: str, output: Path | None) -> None:
    """`text` to the file `output` (written whole, then renamed) or to standard output."""
    if output is None:
        click.echo(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, output)
    click.echo(f"wrote {output}", err=True)


def existing_file():
    """A document path that must exist (checked by click, before anything loads)."""
    return click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
