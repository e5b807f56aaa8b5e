"""Default CPU engine: RapidOCR + onnxruntime on the PP-OCR ONNX models inside the rapidocr wheel."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
from PIL import Image

from ..types import TextLine
from .base import DET_UNCLIP_RATIO, OcrEngine, OcrEngineError
from .orientation import DET_MAX_SIDE, lines_of, read_upright
from .rec_models import DEFAULT_REC_MODEL, resolve_rec_model
from .reread import reread

# The models rapidocr==3.10.0 ships in its wheel. Asking rapidocr for any other model makes it
# try a download, which fails offline, so we always pass explicit paths.
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
CACHE_NAME = f"rapid-u{DET_UNCLIP_RATIO:g}-r-f"  # RapidEngine().cache_name with the default settings


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
        auto_rotate: bool = True,
        fit_text_region: bool = True,
        reread_below: float = 0.0,
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
        self.text_score = text_score
        self.use_angle_cls = use_angle_cls
        self.auto_rotate = auto_rotate
        self.fit_text_region = fit_text_region
        # lines whose least confident character is below this are read again from a wider cut
        # (reread.py); 0 = never
        self.reread_below = float(reread_below or 0.0)
        if not 0.0 <= self.reread_below <= 1.0:
            raise ValueError(f"reread_below must be between 0 and 1, not {reread_below!r}")
        # "r": pages turned upright; "f": large pages read in their text region at full resolution;
        # "e0.9": unsure lines re-read; then the recogniser when it is not the default
        self.settings_tag = (
            f"u{unclip_ratio:g}"
            + ("-r" if auto_rotate else "")
            + ("-f" if fit_text_region else "")
            + (f"-e{self.reread_below:g}" if self.reread_below else "")
            + ("" if rec_tag == DEFAULT_REC_MODEL else f"-{rec_tag}")
        )
        self._ocr = RapidOCR(params=params)

    @property
    def char_scores(self) -> bool:  # rapidocr's own whole-page pass reports none
        return bool(self.auto_rotate or self.fit_text_region or self.reread_below)

    def recognize_page(self, image: Image.Image) -> list[TextLine]:
        return self.read_page(image)[0]

    def read_page(self, image: Image.Image) -> tuple[list[TextLine], int]:
        import cv2  # rapidocr's own dependency

        rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)  # rapidocr expects OpenCV's BGR
        if not (self.auto_rotate or self.fit_text_region):
            return self._whole_page(bgr), 0
        return read_upright(self, bgr)

    def _whole_page(self, bgr: np.ndarray) -> list[TextLine]:
        """rapidocr's own path: the page shrunk to DET_MAX_SIDE for detection and recognition alike."""
        res = self._ocr(bgr, use_det=True, use_cls=self.use_angle_cls, use_rec=True)
        if res.boxes is None or res.txts is None:
            return []
        txts, scores, chars = list(res.txts), list(res.scores), None
        if self.reread_below:  # rapidocr reports no per-character confidence: read the boxes ourselves
            txts, scores, chars = self.read_lines(bgr, np.asarray(res.boxes, np.float32))
        return lines_of(res.boxes, txts, scores, 0.0, chars)

    # The three steps rapidocr runs, apart, so that detection and recognition see different images.
    def detect(self, bgr: np.ndarray, max_side: int = DET_MAX_SIDE) -> np.ndarray:
        """Text boxes (N, 4, 2) in `bgr`'s pixels, found on a copy at most `max_side` px long."""
        import cv2

        h, w = bgr.shape[:2]
        s = min(1.0, max_side / max(h, w))
        if s < 1:
            bgr = cv2.resize(bgr, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        res = self._ocr(bgr, use_det=True, use_cls=False, use_rec=False)
        boxes = getattr(res, "boxes", None)
        if boxes is None or len(boxes) == 0:
            return np.zeros((0, 4, 2), np.float32)
        return (np.asarray(boxes, np.float32) / s).astype(np.float32)

    def crops(self, bgr: np.ndarray, boxes: np.ndarray) -> list[np.ndarray]:
        """Each box cut out straightened (tall boxes turned a quarter counter-clockwise), as rapidocr does."""
        from rapidocr.utils.process_img import get_rotate_crop_image

        return [get_rotate_crop_image(bgr, b.copy()) for b in boxes]

    def recognize(self, crops: list[np.ndarray], chars: bool = False):
        """(texts, mean character confidences, per-character confidences) of the crops; the last is
        a list of None unless `chars`."""
        from rapidocr.ch_ppocr_rec import TextRecInput

        if not crops:
            return [], [], []
        if self.use_angle_cls:
            crops = self._ocr._load_cls_model()(crops).img_list
        res = self._ocr._load_rec_model()(TextRecInput(img=crops, return_word_box=chars))
        txts, scores = list(res.txts or []), [float(x) for x in (res.scores or [])]
        if not chars:
            return txts, scores, [None] * len(txts)
        return txts, scores, [[float(c) for c in w.confs] for w in res.word_results]

    def read_lines(self, page: np.ndarray, boxes: np.ndarray):
        """(texts, confidences, per-character confidences) of the boxes of `page`, unsure lines read
        a second time (reread.py)."""
        txts, scores, chars = self.recognize(self.crops(page, boxes), chars=True)
        if not self.reread_below:
            return txts, scores, chars
        return reread(self, page, boxes, txts, scores, chars)
