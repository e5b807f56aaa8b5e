#!/usr/bin/env bash
# QLoRA of InternLM2-chat-7B with XTuner on one CUDA GPU, end to end:
#   check GPU -> xtuner venv -> train (resumes) -> pth_to_hf -> merge into a HF dir lmdeploy serves.
# Environment: MODEL (local InternLM2-chat-7B dir or hub id), DATA (train split), WORK, ADAPTER,
#   MERGED, CONFIG, EVAL_VAL (val split to refresh the EvaluateChatHook prompts from).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "make train: no CUDA GPU here (nvidia-smi finds none). The 7B QLoRA needs a ~24 GB CUDA GPU;" >&2
  echo "  on a CPU-only machine use 'make train-cpu' (LoRA of the embedded model)." >&2
  exit 2
fi
XVENV=${XTUNER_VENV:-.venv-xtuner-gpu}
TOOLS=chatocr/training/xtuner_tools
CONFIG=${CONFIG:-chatocr/training/xtuner_config/internlm2_chat_7b_qlora_chatocr_e3.py}
MODEL=${MODEL:-internlm/internlm2-chat-7b}
DATA=${DATA:-datasets/generated/run1500/train.jsonl}
WORK=${WORK:-work_dirs/internlm2-chat-7b-chatocr-qlora}
ADAPTER=${ADAPTER:-models/internlm2-chat-7b-chatocr-adapter}
MERGED=${MERGED:-models/internlm2-chat-7b-chatocr}
export PATH="$PWD/$XVENV/bin:$PATH"

# Same recipe as the CPU venv, with the CUDA torch wheel (TORCH_SPEC) instead of the CPU one.
XTUNER_VENV="$XVENV" TORCH_SPEC=${TORCH_SPEC:-torch==2.5.1} bash $TOOLS/setup_xtuner.sh
"$XVENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'make train: torch in $XVENV sees no CUDA device')"
test -s "$DATA" || { echo "make train: no training data at $DATA (run 'make data')" >&2; exit 1; }
if [[ -n "${EVAL_VAL:-}" ]]; then .venv/bin/python -m scripts.make_eval_inputs --val "$EVAL_VAL"; fi

resume=()
[[ -f "$WORK/last_checkpoint" ]] && resume=(--resume "$(cat "$WORK/last_checkpoint")")
opts=("train_dataloader.dataset.dataset.data_files.train=$DATA" "tokenizer.pretrained_model_name_or_path=$MODEL"
      "model.llm.pretrained_model_name_or_path=$MODEL" "train_dataloader.dataset.tokenizer.pretrained_model_name_or_path=$MODEL")
"$XVENV/bin/python" $TOOLS/xtuner_run.py train "$CONFIG" --work-dir "$WORK" "${resume[@]}" --cfg-options "${opts[@]}"
"$XVENV/bin/python" $TOOLS/xtuner_run.py pth_to_hf "$CONFIG" "$(cat "$WORK/last_checkpoint")" "$ADAPTER" \
  --safe-serialization --cfg-options "${opts[@]:1}"
"$XVENV/bin/python" $TOOLS/xtuner_run.py merge "$MODEL" "$ADAPTER" "$MERGED" --max-shard-size 2GB --safe-serialization
echo "make train: merged model -> $MERGED (serve: lmdeploy serve api_server $MERGED; or 4-bit: see chatocr/training/xtuner_config/README.md)"
