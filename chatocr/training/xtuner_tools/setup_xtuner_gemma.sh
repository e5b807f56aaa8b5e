#!/usr/bin/env bash
# Builds .venv-xtuner-gemma: XTuner 0.2.0 for Gemma 3 270M. XTuner 0.2.0 declares transformers==4.48.0,
# which has no Gemma 3 (added in 4.50), so this venv pairs XTuner (installed --no-deps, as in
# setup_xtuner.sh) with a newer transformers and the peft that goes with it. The SmolLM2 venv
# (.venv-xtuner) keeps XTuner's own pins. What broke and how it is worked around:
# xtuner_config/README.md ("Gemma 3 270M on CPU").
# The venv is XTUNER_VENV (default .venv-xtuner-gemma, relative to the working directory).
# Idempotent: a stamp holding this script's hash makes a second run return at once.
set -euo pipefail
VENV=${XTUNER_VENV:-.venv-xtuner-gemma}
PY=${PY:-python3}
STAMP="$VENV/.setup-stamp"
HASH=$( (cat "$0"; echo "${TORCH_SPEC:-}") | sha256sum | cut -c1-16)
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$HASH" ]]; then
  exit 0
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
start=$(date +%s)
test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
PIP="$VENV/bin/pip"
# torch pinned to the CPU wheel: an unpinned torch pulls a multi-GB CUDA build.
"$PIP" install -q "${TORCH_SPEC:-torch==2.13.0}"
# Without dependencies: xtuner's transformers==4.48.0 pin would pull the version without Gemma 3, and
# its torchvision does not load beside torch 2.13 on CPU (xtuner_run.py stubs it).
"$PIP" install -q --no-deps 'xtuner==0.2.0'
"$PIP" install -q "${TORCH_SPEC:-torch==2.13.0}" 'transformers==4.56.2' 'mmengine==0.10.6' 'peft==0.17.1' \
  'datasets>=3.2.0,<4' 'accelerate>=1.0,<1.11' 'bitsandbytes==0.45.0' einops loguru openpyxl scipy scikit-image \
  sentencepiece tiktoken transformers-stream-generator 'numpy<2.3' safetensors
echo "$HASH" > "$STAMP"
echo "setup-xtuner-gemma: $VENV ready in $(( $(date +%s) - start )) s ($(du -sh "$VENV" | cut -f1))"
