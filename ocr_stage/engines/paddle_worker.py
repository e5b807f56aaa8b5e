"""PaddleOCR runner, used in-process or as a long-lived worker in its own virtual environment.

paddleocr/paddlex install `opencv-contrib-python`, which clashes with rapidocr's OpenCV in the
main `.venv`, so `make setup-paddle` puts them in `.venv-paddle` and `PaddleEngine` talks to this
file run there (`.venv-paddle/bin/python paddle_worker.py`). It imports only the standard
library, numpy and paddleocr, never `ocr_stage`.

Protocol, one JSON object per line. The worker first answers `{"ready": true}` or
`{"error": "..."}` for its options (argv[1], JSON). Then for each request
`{"shape": [h, w, 3], "data": base64 of the RGB uint8 pixels}` it answers
`{"lines": [[text, [[x, y] x4], score], ...]}` or `{"error": "..."}`. EOF ends it.
"""

from __future__ import annotations

import base64
import json
import os
import sys


def build(options: dict):
    """A PaddleOCR text pipeline (det + rec only) for `options` (see PaddleEngine)."""
    # Offline: model names must match the local dirs; skip PaddleX's check against the model hosts.
    os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
    from paddleocr import PaddleOCR

    kw = {
        "use_doc_orientation_classify": options.get("use_doc_orientation_classify", False),
        "use_doc_unwarping": options.get("use_doc_unwarping", False),
        "use_textline_orientation": options.get("use_textline_orientation", False),
    }
    for key in (
        "text_detection_model_dir",
        "text_detection_model_name",
        "text_recognition_model_dir",
        "text_recognition_model_name",
        "textline_orientation_model_dir",
        "textline_orientation_model_name",
        "device",
        "engine",
        "engine_config",
        "cpu_threads",
        "text_det_limit_side_len",
        "text_det_limit_type",
        "text_det_box_thresh",
        "text_det_unclip_ratio",
        "text_rec_score_thresh",
    ):
        if options.get(key) is not None:
            kw[key] = options[key]
    return PaddleOCR(**kw)


def predict(ocr, rgb) -> list:
    """[[text, box, score], ...] for one RGB uint8 page."""
    import numpy as np

    bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # PaddleX treats arrays as OpenCV BGR
    out = []
    for res in ocr.predict(bgr):
        for text, poly, score in zip(res["rec_texts"], res["rec_polys"], res["rec_scores"], strict=False):
            if text and text.strip():
                out.append([text, [[float(x), float(y)] for x, y in poly], float(score)])
    return out


def main() -> int:
    import numpy as np

    # PaddleX logs to stdout; keep the real stdout for protocol messages only.
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj):
        proto.write(json.dumps(obj, ensure_ascii=False) + "\n")
        proto.flush()

    try:
        ocr = build(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {})
    except Exception as e:  # report why start-up failed; the parent turns it into OcrEngineError
        send({"error": f"{type(e).__name__}: {e}"})
        return 1
    send({"ready": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            h, w, c = req["shape"]
            arr = np.frombuffer(base64.b64decode(req["data"]), dtype=np.uint8).reshape(h, w, c)
            send({"lines": predict(ocr, arr)})
        except Exception as e:
            send({"error": f"{type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
