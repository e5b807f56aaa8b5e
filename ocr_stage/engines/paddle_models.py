"""PaddleOCR model dirs built from the PP-OCR ONNX models shipped in the rapidocr wheel.

PaddleOCR 3.7 runs `engine="onnxruntime"` on a dir holding `inference.onnx` + `inference.yml`
whose `Global.model_name` matches the model name it is given. We write those dirs once, offline:
the pre/post-processing mirrors rapidocr's config for the same models (so both engines read a
page alike) and the recogniser's character list comes from the ONNX file's own metadata.

`python -m ocr_stage.engines.paddle_models [DEST]` prepares them (idempotent).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from .base import OcrEngineError

DET_NAME = "PP-OCRv6_small_det"
REC_NAME = "PP-OCRv6_small_rec"
_SOURCES = {DET_NAME: "PP-OCRv6_det_small.onnx", REC_NAME: "PP-OCRv6_rec_small.onnx"}
# Bump when the yml contents change, so prepared dirs are rewritten.
FORMAT_VERSION = 1


def default_dir() -> Path:
    root = os.environ.get("CHATOCR_MODELS_DIR") or Path(__file__).resolve().parents[2] / "models"
    return Path(root) / "paddle"


def _det_config() -> dict:
    # rapidocr 3.10 config.yaml `Det:` section for PP-OCRv6 small.
    return {
        "Global": {"model_name": DET_NAME, "chatocr_format": FORMAT_VERSION},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"DetResizeForTest": {"limit_side_len": 736, "limit_type": "min"}},
                {
                    "NormalizeImage": {
                        "mean": [0.5, 0.5, 0.5],
                        "std": [0.5, 0.5, 0.5],
                        "scale": 1 / 255,
                        "order": "hwc",
                    }
                },
                {"ToCHWImage": None},
            ]
        },
        "PostProcess": {
            "name": "DBPostProcess",
            "thresh": 0.3,
            "box_thresh": 0.5,
            "max_candidates": 1000,
            "unclip_ratio": 1.6,
            "use_dilation": True,
            "score_mode": "fast",
        },
    }


def _rec_config(characters: list[str], name: str = REC_NAME) -> dict:
    return {
        "Global": {"model_name": name, "chatocr_format": FORMAT_VERSION},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"RecResizeImg": {"image_shape": [3, 48, 320]}},
            ]
        },
        # PaddleX adds the CTC blank in front and the space at the end, as rapidocr does.
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": characters},
    }


def _rec_characters(onnx_path: Path) -> list[str]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    meta = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"]).get_modelmeta()
    chars = meta.custom_metadata_map.get("character")
    if not chars:
        raise OcrEngineError(f"{onnx_path}: no 'character' list in the model metadata")
    return chars.splitlines()


def _is_ready(d: Path) -> bool:
    yml = d / "inference.yml"
    if not (d / "inference.onnx").is_file() or not yml.is_file():
        return False
    try:
        return json.loads(yml.read_text(encoding="utf-8"))["Global"].get("chatocr_format") == FORMAT_VERSION
    except (ValueError, KeyError):
        return False


def prepare_shipped_models(
    dest: str | os.PathLike | None = None, rec_model: str = "v6-small"
) -> tuple[Path, Path]:
    """(det_dir, rec_dir) under `dest` (default models/paddle), written when missing or stale. The
    recogniser is `rec_model` from `rec_models.REC_MODELS`; its ONNX file comes from its package."""
    from .rapid import shipped_model_dir
    from .rec_models import DEFAULT_REC_MODEL, REC_MODELS, resolve_rec_model

    dest = Path(dest) if dest else default_dir()
    src = shipped_model_dir()
    dirs = {}
    if rec_model != DEFAULT_REC_MODEL:
        onnx, keys, _ = resolve_rec_model(rec_model)
        name = REC_MODELS[rec_model].paddle_name
        d = dirs[REC_NAME] = dest / name
        if not _is_ready(d):
            chars = keys.read_text(encoding="utf-8").splitlines() if keys else _rec_characters(onnx)
            _write_dir(d, onnx, _rec_config(chars, name))
    for name, fname in _SOURCES.items():
        if name in dirs:
            continue
        d = dest / name
        dirs[name] = d
        if _is_ready(d):
            continue
        onnx = src / fname
        if not onnx.is_file():
            raise OcrEngineError(
                f"OCR model file missing: {onnx}. Reinstall with `make setup` (rapidocr==3.10.0 ships it); "
                "chatocr never downloads models."
            )
        _write_dir(d, onnx, _det_config() if name == DET_NAME else _rec_config(_rec_characters(onnx)))
    return dirs[DET_NAME], dirs[REC_NAME]


def _write_dir(d: Path, onnx: Path, cfg: dict) -> None:
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / "inference.onnx.tmp"
    shutil.copyfile(onnx, tmp)
    tmp.replace(d / "inference.onnx")
    # JSON is YAML; PaddleX reads it with yaml.safe_load.
    (d / "inference.yml").write_text(json.dumps(cfg, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    det, rec = prepare_shipped_models(sys.argv[1] if len(sys.argv) > 1 else None)
    print(f"paddle model dirs: {det} {rec}")
