"""PaddleOCR 3.x engine: in-process where paddleocr imports, else a worker in `.venv-paddle`.

Model choice:
- `models="shipped"` (default, offline): the PP-OCRv6 small ONNX models from the rapidocr wheel,
  laid out as PaddleOCR model dirs under models/paddle/ (see `paddle_models`), run with
  `engine="onnxruntime"` on CPU. No network, no paddlepaddle needed.
- explicit `det_model_dir` + `rec_model_dir` (offline, e.g. exported PP-OCRv5 server models on a
  GPU box): names are read from each dir's `inference.yml` unless given.
- `models="official"` (a GPU machine with internet): PaddleOCR's own default models, device gpu:0.

`rec_model` picks the recogniser by the names the rapid engine knows (`rec_models.REC_MODELS`, plus
`v5-server` with official models): official models by PaddleOCR's model name, shipped ones from
the ONNX file in its PyPI package. `unclip_ratio` and `text_score` mean what they mean to the rapid
engine, so that both engines read a page alike.
"""

from __future__ import annotations

import atexit
import base64
import importlib.util
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from ..types import TextLine
from .base import DET_UNCLIP_RATIO, OcrEngine, OcrEngineError
from .rec_models import DEFAULT_REC_MODEL, PADDLE_ONLY, REC_MODELS

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("paddle_worker.py")
INSTALL_HINT = (
    "run `make setup-paddle` (creates .venv-paddle with paddleocr==3.7.0 + onnxruntime), "
    "or `pip install paddleocr==3.7.0 onnxruntime` (plus paddlepaddle-gpu on a GPU machine) "
    "into this environment, or point CHATOCR_PADDLE_PYTHON at a Python that has paddleocr"
)
START_TIMEOUT_S = 300


def _model_name_from_dir(d: Path) -> str | None:
    yml = d / "inference.yml"
    if not yml.is_file():
        return None
    import yaml

    try:
        return (yaml.safe_load(yml.read_text(encoding="utf-8")) or {}).get("Global", {}).get("model_name")
    except yaml.YAMLError:
        return None


def worker_python() -> Path | None:
    """The interpreter of the PaddleOCR venv, if one exists."""
    env = os.environ.get("CHATOCR_PADDLE_PYTHON")
    if env:
        return Path(env)
    p = REPO_ROOT / ".venv-paddle" / "bin" / "python"
    return p if p.exists() else None


class PaddleEngine(OcrEngine):
    name = "paddle"

    def __init__(
        self,
        device: str | None = None,
        det_model_dir: str | os.PathLike | None = None,
        det_model_name: str | None = None,
        rec_model_dir: str | os.PathLike | None = None,
        rec_model_name: str | None = None,
        engine: str | None = None,
        models: str = "shipped",
        threads: int | None = None,
        use_textline_orientation: bool = False,
        textline_orientation_model_dir: str | os.PathLike | None = None,
        textline_orientation_model_name: str | None = None,
        in_process: bool | None = None,
        python: str | os.PathLike | None = None,
        unclip_ratio: float | None = DET_UNCLIP_RATIO,
        rec_model: str | None = None,
        text_score: float | None = 0.5,
        reread_below: float | None = None,
    ):
        if reread_below:
            raise OcrEngineError(
                "paddle engine: re-reading unsure lines (CHATOCR_OCR_REREAD) is a rapid engine option; "
                "unset it or set it to 0"
            )
        if models not in ("shipped", "official"):
            raise OcrEngineError(f"paddle engine: models must be 'shipped' or 'official', not {models!r}")
        if engine not in (None, "paddle", "onnxruntime"):
            raise OcrEngineError(f"paddle engine: engine must be 'paddle' or 'onnxruntime', not {engine!r}")
        opts: dict = {}
        if rec_model and rec_model_dir:
            raise OcrEngineError("paddle engine: give rec_model or rec_model_dir, not both")
        if rec_model and rec_model not in REC_MODELS and rec_model not in PADDLE_ONLY:
            names = ", ".join([*REC_MODELS, *PADDLE_ONLY])
            raise OcrEngineError(f"paddle engine: unknown recogniser {rec_model!r}; choose one of {names}")
        if rec_model in PADDLE_ONLY and models != "official":
            raise OcrEngineError(f"paddle engine: recogniser {rec_model!r} needs models='official'")
        if det_model_dir or rec_model_dir:
            if not (det_model_dir and rec_model_dir):
                raise OcrEngineError("paddle engine: give both det_model_dir and rec_model_dir")
            det_dir, rec_dir = Path(det_model_dir), Path(rec_model_dir)
            if engine is None and all(
                (d / "inference.onnx").is_file() and not (d / "inference.json").is_file()
                for d in (det_dir, rec_dir)
            ):
                engine = "onnxruntime"  # ONNX-only dirs: PaddleOCR's default engine would not find a model
            if engine == "onnxruntime":
                device = device or "cpu"
        elif models == "shipped":
            from .paddle_models import prepare_shipped_models

            det_dir, rec_dir = prepare_shipped_models(rec_model=rec_model or DEFAULT_REC_MODEL)
            engine = engine or "onnxruntime"
            device = device or "cpu"
        else:
            det_dir = rec_dir = None
            device = device or "gpu:0"
            if rec_model:  # PaddleOCR fetches it by name
                opts["text_recognition_model_name"] = (
                    REC_MODELS[rec_model].paddle_name if rec_model in REC_MODELS else PADDLE_ONLY[rec_model]
                )
        if det_dir is not None:
            for d in (det_dir, rec_dir):
                kinds = (
                    ("inference.onnx",)
                    if engine == "onnxruntime"
                    else ("inference.json", "inference.pdmodel", "inference.onnx")
                )
                if not d.is_dir() or not any((d / k).is_file() for k in kinds):
                    raise OcrEngineError(
                        f"paddle engine: model dir {d} is missing or holds no {' / '.join(kinds)}; "
                        "chatocr never downloads models offline"
                    )
            det_model_name = det_model_name or _model_name_from_dir(det_dir)
            rec_model_name = rec_model_name or _model_name_from_dir(rec_dir)
            if not det_model_name or not rec_model_name:
                raise OcrEngineError(
                    "paddle engine: model names are needed with local model dirs "
                    "(det_model_name / rec_model_name, or Global.model_name in inference.yml)"
                )
            opts.update(
                text_detection_model_dir=str(det_dir),
                text_detection_model_name=det_model_name,
                text_recognition_model_dir=str(rec_dir),
                text_recognition_model_name=rec_model_name,
            )
        if use_textline_orientation:
            if not textline_orientation_model_dir and models != "official":
                # without a local dir PaddleOCR would try to download the classifier
                raise OcrEngineError(
                    "paddle engine: use_textline_orientation needs textline_orientation_model_dir offline"
                )
            opts["use_textline_orientation"] = True
            if textline_orientation_model_dir:
                opts["textline_orientation_model_dir"] = str(textline_orientation_model_dir)
                opts["textline_orientation_model_name"] = (
                    textline_orientation_model_name
                    or _model_name_from_dir(Path(textline_orientation_model_dir))
                )
        opts["device"] = device
        opts["engine"] = engine
        tags = []
        if unclip_ratio is not None:  # the measured setting (base.DET_UNCLIP_RATIO), as the rapid engine
            opts["text_det_unclip_ratio"] = float(unclip_ratio)
            tags.append(f"u{unclip_ratio:g}")
        if rec_model and rec_model != DEFAULT_REC_MODEL:
            tags.append(rec_model)
        if text_score is not None:  # rapidocr drops lines read below 0.5; PaddleOCR keeps all by default
            opts["text_rec_score_thresh"] = float(text_score)
            tags.append(f"t{text_score:g}")
        self.settings_tag = "-".join(tags)
        if threads:
            if engine == "onnxruntime":
                opts["engine_config"] = {"intra_op_num_threads": int(threads), "inter_op_num_threads": 1}
            else:
                opts["cpu_threads"] = int(threads)
        self.options = opts

        if in_process is None:
            in_process = importlib.util.find_spec("paddleocr") is not None and python is None
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._ocr = None
        if in_process:
            from . import paddle_worker

            try:
                self._ocr = paddle_worker.build(opts)
            except ImportError as e:
                raise OcrEngineError(
                    f"paddle engine: paddleocr failed to import ({e}); {INSTALL_HINT}"
                ) from None
            except Exception as e:
                raise OcrEngineError(
                    f"paddle engine: PaddleOCR failed to start: {type(e).__name__}: {e}"
                ) from None
        else:
            py = Path(python) if python else worker_python()
            if py is None or not py.exists():
                raise OcrEngineError(f"paddle engine: paddleocr is not installed; {INSTALL_HINT}")
            self._start_worker(py)

    # -- worker process -------------------------------------------------------------------------
    def _start_worker(self, py: Path) -> None:
        env = dict(os.environ, PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK="True", PYTHONUNBUFFERED="1")
        try:
            self._proc = subprocess.Popen(
                [str(py), str(WORKER), json.dumps(self.options)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL if not os.environ.get("CHATOCR_PADDLE_DEBUG") else None,
                env=env,
                text=True,
                encoding="utf-8",
            )
        except OSError as e:
            raise OcrEngineError(f"paddle engine: cannot start {py} ({e}); {INSTALL_HINT}") from None
        atexit.register(self.close)
        msg = self._read(timeout=START_TIMEOUT_S)
        if "error" in msg:
            self.close()
            hint = f"; {INSTALL_HINT}" if "No module named" in msg["error"] else ""
            raise OcrEngineError(f"paddle engine: PaddleOCR failed to start in {py}: {msg['error']}{hint}")

    def _read(self, timeout: float) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        box: list = []
        t = threading.Thread(target=lambda: box.append(self._proc.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        if not box or not box[0]:
            code = self._proc.poll()
            self.close()
            why = f"exited with code {code}" if code is not None else f"no answer in {timeout:.0f} s"
            raise OcrEngineError(
                f"paddle engine: the PaddleOCR worker {why} (set CHATOCR_PADDLE_DEBUG=1 to see its log)"
            )
        return json.loads(box[0])

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                proc.stdin.close()
                proc.wait(timeout=10)
            except Exception:
                proc.kill()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # -- OcrEngine ------------------------------------------------------------------------------
    def recognize_page(self, image: Image.Image) -> list[TextLine]:
        rgb = np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
        with self._lock:
            if self._ocr is not None:
                from . import paddle_worker

                raw = paddle_worker.predict(self._ocr, rgb)
            else:
                if self._proc is None:
                    raise OcrEngineError("paddle engine: the worker has stopped; create the engine again")
                req = {"shape": list(rgb.shape), "data": base64.b64encode(rgb.tobytes()).decode("ascii")}
                try:
                    self._proc.stdin.write(json.dumps(req) + "\n")
                    self._proc.stdin.flush()
                except (BrokenPipeError, OSError):
                    self.close()
                    raise OcrEngineError("paddle engine: the PaddleOCR worker died") from None
                msg = self._read(timeout=START_TIMEOUT_S)
                if "error" in msg:
                    raise OcrEngineError(f"paddle engine: PaddleOCR failed on a page: {msg['error']}")
                raw = msg["lines"]
        return [
            TextLine(text=t, box=[(float(x), float(y)) for x, y in box], score=float(min(1.0, max(0.0, s))))
            for t, box, s in raw
        ]


if __name__ == "__main__":  # quick manual check: python -m ocr_stage.engines.paddle IMAGE
    from .. import run_ocr

    print(run_ocr(sys.argv[1], PaddleEngine()).to_text())
