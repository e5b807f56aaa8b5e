"""Quiet output: no third-party warnings, deprecation notes or weight-loading bars on stderr, for the
CLI (unless -v), the Ray workers of batch and serve, and `Pipeline` while it loads its models."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

# chatocr's own warnings stay visible; those of every other module are hidden.
_OURS = r"^(?!chatocr|llm_stage|ocr_stage)"


def quiet_third_party() -> None:
    """No third-party warnings, deprecation notes or weight-loading bars on stderr, for the rest of the
    process (chatocr's own progress bars stay). Set before transformers is imported; adjusted too if
    it already is."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    # transformers' "Loading weights" bar follows huggingface_hub's switch, read at import.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for category in (FutureWarning, DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", category=UserWarning, module=_OURS)
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def quiet_unless(verbose: bool) -> None:
    """`quiet_third_party()` unless `verbose` (the -v of the command that started a worker)."""
    if not verbose:
        quiet_third_party()


# The running command's -v (set by the CLI for each command); None outside the CLI.
_verbose: bool | None = None


def set_verbose(verbose: bool | None) -> None:
    global _verbose
    _verbose = verbose


def verbose_env() -> bool:
    """Whether to show third-party warnings and loading bars: the running command's -v, else
    CHATOCR_VERBOSE."""
    if _verbose is not None:
        return _verbose
    from .settings import env

    return bool(env("VERBOSE", False))


# The libraries whose warnings `Pipeline` hides (deprecations of arguments they pass each other, which
# a chatocr user can do nothing about), at model loading and at every generation after it.
_MODEL_LIBRARIES = r"^(torch|transformers|peft|accelerate|huggingface_hub|onnxruntime|rapidocr)\b"
_library_filters = False


def quiet_libraries() -> None:
    """Hide the model libraries' FutureWarning/DeprecationWarning/UserWarning for the rest of the
    process (only theirs: a caller's own warnings and filters stand). Thread-safe to call at any
    time, unlike a warnings.catch_warnings block around a generation."""
    global _library_filters
    if _library_filters:
        return
    for category in (FutureWarning, DeprecationWarning, PendingDeprecationWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category, module=_MODEL_LIBRARIES)
    _library_filters = True


@contextlib.contextmanager
def quiet_loading(verbose: bool | None = None):
    """For the duration of the block (a model loading): no weight-loading bars or info logs, and
    from then on no warnings from the model libraries (see quiet_libraries), unless `verbose`
    (default: CHATOCR_VERBOSE)."""
    if verbose is None:
        verbose = verbose_env()
    if verbose:
        yield
        return
    quiet_libraries()
    for k, v in (("TRANSFORMERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
        os.environ.setdefault(k, v)
    hf = sys.modules.get("transformers")
    if hf is None:  # imported inside the block: the variables above apply
        yield
        return
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()
