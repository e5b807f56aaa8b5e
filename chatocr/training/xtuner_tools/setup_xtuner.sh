#!/usr/bin/env bash
# Builds .venv-xtuner: XTuner 0.2.0 pins transformers 4.48 / mmengine 0.10.6 / bitsandbytes 0.45,
# which cannot live beside the main venv's transformers 5, so it gets its own environment.
# The venv is XTUNER_VENV (default .venv-xtuner, relative to the working directory). XTUNER_STACK
# replaces the transformers / peft / accelerate pins (setup_xtuner_gemma.sh passes newer ones).
# Idempotent: a stamp holding this script's hash and its pins makes a second run return at once.
set -euo pipefail
VENV=${XTUNER_VENV:-.venv-xtuner}
PY=${PY:-python3}
STAMP="$VENV/.setup-stamp"
STACK=${XTUNER_STACK:-transformers==4.48.0 peft==0.14.0 accelerate>=1.0,<1.4}
HASH=$( (cat "${BASH_SOURCE[0]}"; echo "${TORCH_SPEC:-}"; echo "$STACK") | sha256sum | cut -c1-16)
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$HASH" ]]; then
  exit 0
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
start=$(date +%s)
test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
PIP="$VENV/bin/pip"
# torch pinned to the CPU wheel: an unpinned torch pulls a multi-GB CUDA build. scripts/train_gpu.sh
# passes TORCH_SPEC (a pinned CUDA build) for its own .venv-xtuner-gpu.
"$PIP" install -q "${TORCH_SPEC:-torch==2.13.0}"
# xtuner declares torchvision, and PyPI's torchvision does not load beside torch 2.13 on CPU.
# XTuner only needs it for its vision (LLaVA/InternVL) datasets, so install xtuner without
# dependencies and list the text-only ones here; xtuner_run.py stubs torchvision.
"$PIP" install -q --no-deps 'xtuner==0.2.0'
read -r -a stack <<< "$STACK"
"$PIP" install -q "${TORCH_SPEC:-torch==2.13.0}" "${stack[@]}" 'mmengine==0.10.6' \
  'datasets>=3.2.0,<4' 'bitsandbytes==0.45.0' einops loguru openpyxl scipy scikit-image \
  sentencepiece tiktoken transformers-stream-generator 'numpy<2.3' safetensors
echo "$HASH" > "$STAMP"
echo "setup-xtuner: $VENV ready in $(( $(date +%s) - start )) s ($(du -sh "$VENV" | cut -f1))"
