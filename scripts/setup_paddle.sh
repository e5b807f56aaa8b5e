#!/usr/bin/env bash
# Creates .venv-paddle: PaddleOCR in its own virtual environment (paddlex installs
# opencv-contrib-python, which clashes with rapidocr's OpenCV in .venv), then writes the PaddleOCR
# model dirs built from the ONNX models shipped in the rapidocr wheel (models/paddle/).
# Idempotent: a stamp records what was installed. Needs PyPI, never a model hub.
#   PADDLE_RUNTIME=onnxruntime (default)  paddleocr + onnxruntime: runs the shipped ONNX models on CPU
#   PADDLE_RUNTIME=cpu                    + paddlepaddle==3.2.2 (3.3.1 crashes in oneDNN on CPU)
#   PADDLE_RUNTIME=gpu                    + paddlepaddle-gpu (CUDA machines)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
VENV="${PADDLE_VENV:-.venv-paddle}"
RUNTIME="${PADDLE_RUNTIME:-onnxruntime}"
PKGS=("paddleocr==3.7.0" "paddlex==3.7.2" "onnxruntime>=1.17")
case "$RUNTIME" in
  onnxruntime) ;;
  cpu) PKGS+=("paddlepaddle==3.2.2") ;;
  gpu) PKGS+=("paddlepaddle-gpu>=3.0,<3.3") ;;
  *) echo "setup_paddle: PADDLE_RUNTIME must be onnxruntime, cpu or gpu (got $RUNTIME)" >&2; exit 2 ;;
esac
STAMP="$VENV/.chatocr-stamp"
WANT="${PKGS[*]}"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "setup_paddle: installing ${PKGS[*]} into $VENV"
  test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PKGS[@]}" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  "$VENV/bin/python" -c "import paddleocr, onnxruntime" >/dev/null 2>&1 || { echo "setup_paddle: paddleocr does not import in $VENV" >&2; exit 1; }
  echo "$WANT" > "$STAMP"
fi
# Model dirs are written by the main environment (it has the rapidocr wheel with the ONNX files).
MAIN_PY=".venv/bin/python"
[ -x "$MAIN_PY" ] || MAIN_PY="$PY"
"$MAIN_PY" -m ocr_stage.engines.paddle_models
