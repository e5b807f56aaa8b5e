"""Default CPU engine: RapidOCR + onnxruntime on the PP-OCR ONNX models inside the rapidocr wheel."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
from PIL import Image

from ..types import TextLine
from .base import DET_UNCLIP_RATIO, OcrEngine, OcrEngineError
from .rec_models import DEFAULT_REC_MODEL, resolve_rec_model

# The models rapidocr==3.10.0 ships in its wheel. Asking rapidocr for any other model makes it
# try a download, which fails offline, so we always pass explicit paths.
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
CACHE_NAME = f"rapid-u{DET_UNCLIP_RATIO:g}"  # RapidEngine().cache_name with the default settings


def shipped_model_dir() -> Path:
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise OcrEngineError("the 'rapidocr' package is not installed; run `make setup`")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


class RapidEngine(OcrEngine):
    name = "rapid"

    def __init__(
        self,
        threads: int | None = None,
        model_dir: str | os.PathLike | None = None,
        det_model: str = DET_MODEL,
        rec_model: str = DEFAULT_REC_MODEL,
        use_angle_cls: bool = False,
        text_score: float = 0.5,
        unclip_ratio: float = DET_UNCLIP_RATIO,
    ):
        mdir = Path(model_dir) if model_dir else shipped_model_dir()
        # the recogniser: a name from rec_models.REC_MODELS, or an .onnx file (in model_dir if relative)
        rec_model = rec_model or DEFAULT_REC_MODEL
        if model_dir and rec_model == DEFAULT_REC_MODEL:
            rec_path, rec_keys, rec_tag = mdir / REC_MODEL, None, DEFAULT_REC_MODEL
        else:
            if rec_model.endswith(".onnx") and model_dir and not Path(rec_model).is_absolute():
                rec_model = str(mdir / rec_model)
            rec_path, rec_keys, rec_tag = resolve_rec_model(rec_model)
        paths = {"det": mdir / det_model, "rec": rec_path, "cls": mdir / CLS_MODEL}
        needed = ["det", "rec"] + (["cls"] if use_angle_cls else [])
        missing = [str(paths[k]) for k in needed if not paths[k].is_file()]
        if missing:
            raise OcrEngineError(
                "OCR model file(s) missing: " + ", ".join(missing) + ". Reinstall with `make setup` "
                "(rapidocr==3.10.0 ships them); chatocr never downloads models."
            )
        threads = int(threads or os.environ.get("CHATOCR_OCR_THREADS", 0) or 0) or -1
        from rapidocr import RapidOCR

        params = {
            "Global.log_level": "warning",
            "Global.use_cls": use_angle_cls,
            "Global.text_score": text_score,
            "Det.unclip_ratio": unclip_ratio,
            "Det.model_path": str(paths["det"]),
            "Rec.model_path": str(paths["rec"]),
            "Rec.rec_keys_path": str(rec_keys) if rec_keys else None,
            "Cls.model_path": str(paths["cls"]),
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        self.threads = threads
        self.settings_tag = f"u{unclip_ratio:g}" + ("" if rec_tag == DEFAULT_REC_MODEL else f"-{rec_tag}")
        self._ocr = RapidOCR(params=params)

    def recognize_page(self, image: Image.Image) -> list[TextLine]:
        import cv2  # rapidocr's own dependency

        rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
        res = self._ocr(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))  # rapidocr expects OpenCV's BGR
        if res.boxes is None or res.txts is None:
            return []
        lines = []
        for box, txt, score in zip(res.boxes, res.txts, res.scores, strict=False):
            if not txt or not txt.strip():
                continue
            lines.append(
                TextLine(text=txt, box=[(float(x), float(y)) for x, y in box], score=float(min(1.0, score)))
            )
        return lines
