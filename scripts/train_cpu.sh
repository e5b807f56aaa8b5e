#!/usr/bin/env bash
# LoRA fine-tune of the embedded model (SmolLM2-135M-Instruct) on CPU with XTuner, end to end:
#   xtuner venv -> base model in a 4.48-readable form -> data -> train (resumes) -> pth_to_hf [-> merge]
# Environment knobs (defaults reproduce the shipped adapter, see llm_stage/adapters/*/PROVENANCE.md):
#   DATA       training samples, XTuner JSON/JSONL (default: generated with GEN_N docs, GEN_SEED)
#   STEPS      training iterations (batch 1), or "auto": up to the config's max_epochs, stopped by
#              the validation loss (ValLossHook: every 100 iterations, patience 3)   WORK  work dir
#   VAL        validation samples for the learning curve (default: DATA's val.jsonl sibling)
#   OUT        adapter dir written by pth_to_hf                              MERGE=1 also merge
#   MERGED     merged HF model dir (with MERGE=1)
#   INIT       start from these LoRA weights (fresh optimizer) instead of a new LoRA: a peft
#              adapter dir, or an mmengine checkpoint (.pth) of an earlier run
#   SEED       data order and dropout seed (default: the config's)
#   LR         learning rate (default: the config's 5e-4)
#   LAYOUT     the prompt layout DATA was written in (llm_stage.prompt.LAYOUTS; default rows): an
#              adapter trained on another layout says so in its prompt.json, which serving reads
set -euo pipefail
cd "$(dirname "$0")/.."
XVENV=${XTUNER_VENV:-.venv-xtuner}
TOOLS=chatocr/training/xtuner_tools  # the launcher, hooks and venv scripts `chatocr finetune` uses too
CONFIG=${CONFIG:-chatocr/training/xtuner_config/smollm2_135m_lora_cpu.py}
GEN_N=${GEN_N:-61}
GEN_SEED=${GEN_SEED:-7}
GEN_OUT=${GEN_OUT:-datasets/generated/cpu-train}
DATA=${DATA:-$GEN_OUT/all.jsonl}
STEPS=${STEPS:-50}
WORK=${WORK:-work_dirs/smollm2-chatocr-lora}
OUT=${OUT:-llm_stage/adapters/chatocr-smollm2-lora}
MERGED=${MERGED:-models/smollm2-chatocr-merged}
BASE=${BASE:-models/smollm2-135m-instruct}
XBASE=${XBASE:-models/smollm2-135m-instruct-xtuner}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
# XTuner's own launchers run `python` from PATH: make that the xtuner venv's.
export PATH="$PWD/$XVENV/bin:$PATH"

# SETUP builds the XTuner venv ($TOOLS/setup_xtuner_gemma.sh for Gemma 3, which needs a newer
# transformers than XTuner's pin); BASE_NAME is the embedded model the adapter is served on.
XTUNER_VENV="$XVENV" bash "${SETUP:-$TOOLS/setup_xtuner.sh}"
test -d "$BASE" || .venv/bin/python -m scripts.prepare_models
"$XVENV/bin/python" $TOOLS/xtuner_run.py prepare-base "$BASE" "$XBASE" >/dev/null

if [[ ! -s "$DATA" ]]; then
  echo "train-cpu: generating $GEN_N documents (seed $GEN_SEED) into $GEN_OUT"
  .venv/bin/python -m generate_data --n "$GEN_N" --seed "$GEN_SEED" --out "$GEN_OUT" --workers 2
  # every sample of those documents (val accuracy is measured on documents of another seed)
  cat "$GEN_OUT"/{train,val,test}.jsonl > "$GEN_OUT/all.jsonl"
fi
test -s "$DATA" || { echo "train-cpu: no training data at $DATA" >&2; exit 1; }
VAL=${VAL:-$(dirname "$DATA")/val.jsonl}
if [[ "$STEPS" == auto ]]; then
  steps=(train_cfg.max_epochs=3)
else
  steps=("train_cfg.max_iters=$STEPS" train_cfg.max_epochs=None)
fi

init=()
if [[ "${INIT:-}" == *.pth ]]; then
  init=("load_from=$INIT")
elif [[ -n "${INIT:-}" ]]; then
  .venv/bin/python $TOOLS/adapter_to_mmengine.py --prepare "$INIT" "$WORK/init_from_adapter.pth" "$XVENV/bin/python" "$XBASE"
  init=("load_from=$WORK/init_from_adapter.pth")
fi
[[ -n "${SEED:-}" ]] && init+=("randomness.seed=$SEED")
[[ -n "${LR:-}" ]] && init+=("optim_wrapper.optimizer.lr=$LR")

resume=()
if [[ -f "$WORK/last_checkpoint" ]]; then
  echo "train-cpu: resuming from $(cat "$WORK/last_checkpoint")"
  resume=(--resume "$(cat "$WORK/last_checkpoint")")
fi
"$XVENV/bin/python" $TOOLS/xtuner_run.py train "$CONFIG" --work-dir "$WORK" "${resume[@]}" \
  --cfg-options "train_dataloader.dataset.dataset.data_files.train=$DATA" \
  "tokenizer.pretrained_model_name_or_path=$XBASE" "model.llm.pretrained_model_name_or_path=$XBASE" \
  "train_dataloader.dataset.tokenizer.pretrained_model_name_or_path=$XBASE" \
  "custom_hooks.DatasetInfoHook.tokenizer.pretrained_model_name_or_path=$XBASE" "custom_hooks.ValLossHook.val_file=$VAL" \
  "${steps[@]}" "${init[@]}"

# the best checkpoint by validation loss when the curve has one, else the last
ckpt=$(cat "$WORK/last_checkpoint")
[[ -f "$WORK/best.pth" && "${USE_LAST:-0}" != 1 ]] && ckpt="$WORK/best.pth"
rm -rf "$OUT.tmp"
"$XVENV/bin/python" $TOOLS/xtuner_run.py pth_to_hf "$CONFIG" "$ckpt" "$OUT.tmp" --fp32 --safe-serialization \
  --cfg-options "model.llm.pretrained_model_name_or_path=$XBASE" "tokenizer.pretrained_model_name_or_path=$XBASE"
# Keep the adapter portable: the serving side passes the base model itself.
.venv/bin/python - "$OUT.tmp" "${BASE_NAME:-smollm2-135m-instruct}" <<'EOF'
import json, sys, pathlib
p = pathlib.Path(sys.argv[1]) / "adapter_config.json"
cfg = json.loads(p.read_text())
cfg["base_model_name_or_path"] = sys.argv[2]
p.write_text(json.dumps(cfg, indent=2) + "\n")
EOF
# Ship only the adapter: pth_to_hf also drops a copy of the config (.py, which ruff would lint as
# project code) and a template model card; PROVENANCE.md beside it says how it was made.
rm -f "$OUT.tmp/xtuner_config.py" "$OUT.tmp/README.md"
if [[ -n "${LAYOUT:-}" && "$LAYOUT" != rows ]]; then
  printf '{"layout": "%s"}\n' "$LAYOUT" > "$OUT.tmp/prompt.json"
fi
[[ -f "$OUT/PROVENANCE.md" ]] && cp "$OUT/PROVENANCE.md" "$OUT.tmp/"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
echo "train-cpu: adapter -> $OUT ($(du -sh "$OUT" | cut -f1))"

if [[ "${MERGE:-0}" == 1 ]]; then
  "$XVENV/bin/python" $TOOLS/xtuner_run.py merge "$XBASE" "$OUT" "$MERGED" --max-shard-size 2GB --safe-serialization --device cpu
  echo "train-cpu: merged model -> $MERGED"
fi
