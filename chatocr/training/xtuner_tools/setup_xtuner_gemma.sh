#!/usr/bin/env bash
# Builds .venv-xtuner-gemma: XTuner 0.2.0 for Gemma 3 270M. XTuner 0.2.0 declares transformers==4.48.0,
# which has no Gemma 3 (added in 4.50), so this venv pairs XTuner (installed --no-deps, as
# setup_xtuner.sh does) with a newer transformers and the peft and accelerate that go with it; the
# rest is setup_xtuner.sh's. The SmolLM2 venv (.venv-xtuner) keeps XTuner's own pins. What broke and
# how it is worked around: xtuner_config/README.md ("Gemma 3 270M on CPU").
# The venv is XTUNER_VENV (default .venv-xtuner-gemma, relative to the working directory).
set -euo pipefail
export XTUNER_VENV=${XTUNER_VENV:-.venv-xtuner-gemma}
export XTUNER_STACK="transformers==4.56.2 peft==0.17.1 accelerate>=1.0,<1.11"
exec bash "$(dirname "${BASH_SOURCE[0]}")/setup_xtuner.sh"
