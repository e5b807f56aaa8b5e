"""Prepares model files once (idempotent, fast when done): checks the shipped OCR models and
converts an embedded LLM's GGUF into a cached safetensors directory under models/.

    python -m scripts.prepare_models                    # the default embedded model
    python -m scripts.prepare_models --model gemma3-270m
    python -m scripts.prepare_models --all              # every registered embedded model
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=None, help="embedded model name (repeatable)")
    ap.add_argument("--all", action="store_true", help="prepare every registered embedded model")
    ap.add_argument("--force", action="store_true", help="convert again even when the directory is ready")
    a = ap.parse_args(argv)

    from ocr_stage.engines.rapid import CLS_MODEL, DET_MODEL, REC_MODEL, shipped_model_dir

    d = shipped_model_dir()
    missing = [m for m in (DET_MODEL, REC_MODEL, CLS_MODEL) if not (d / m).is_file()]
    if missing:
        print(f"prepare: OCR models missing in {d}: {missing}", file=sys.stderr)
        return 1
    try:
        from llm_stage.embedded import MODELS, EmbeddedModelError, prepare_embedded_model
    except ImportError:
        return 0  # LLM stage not built yet
    names = list(MODELS) if a.all else (a.model or [None])
    for name in names:
        try:
            prepare_embedded_model(force=a.force, name=name)
        except EmbeddedModelError as e:
            print(f"prepare: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
