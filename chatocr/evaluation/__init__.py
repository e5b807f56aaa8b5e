"""Evaluation: metrics, the harness that runs a method over a labelled set, baselines and reports."""

from .dataset import Dataset, DatasetError, LabelledDoc, load_dataset
from .metrics import cer, prf, score_value, summarize, value_in_ocr
from .report import ResultFileError, compare, load_result, write_markdown
from .runner import METHODS, EvalConfig, OcrCache, default_out, run_eval

__all__ = [
    "METHODS",
    "Dataset",
    "DatasetError",
    "EvalConfig",
    "LabelledDoc",
    "OcrCache",
    "ResultFileError",
    "cer",
    "compare",
    "default_out",
    "load_dataset",
    "load_result",
    "prf",
    "run_eval",
    "score_value",
    "summarize",
    "value_in_ocr",
    "write_markdown",
]
