"""Prepares model files once (idempotent, fast when done): checks the shipped OCR models and
converts the embedded LLM's GGUF into a cached safetensors directory."""

from __future__ import annotations

import sys


def main() -> int:
    from ocr_stage.engines.rapid import CLS_MODEL, DET_MODEL, REC_MODEL, shipped_model_dir

    d = shipped_model_dir()
    missing = [m for m in (DET_MODEL, REC_MODEL, CLS_MODEL) if not (d / m).is_file()]
    if missing:
        print(f"prepare: OCR models missing in {d}: {missing}", file=sys.stderr)
        return 1
    try:
        from llm_stage.embedded import prepare_embedded_model
    except ImportError:
        return 0  # LLM stage not built yet
    prepare_embedded_model()
    return 0


if __name__ == "__main__":
    sys.exit(main())
