#!/usr/bin/env bash
# LoRA fine-tune of the embedded model (SmolLM2-135M-Instruct) on a lent GPU machine, with
# chatocr.training.torch_lora (plain torch + transformers 5 + peft: what that machine's image has;
# no XTuner, no package registry). Run from the repo root of the copied working tree; the adapter,
# its learning curve and train_info come back under $OUT. The same command runs on a CPU (slowly).
#
# What must travel (the working tree is ~23 MiB; a call takes 64 MiB with the carried paths):
#   - the base model cannot travel whole: models/smollm2-135m-instruct is 538 MB of fp32 (517 MiB;
#     a float16 copy would be 258 MiB). Its weights are the GGUF's Q4_1/Q8_0 blocks dequantised, so
#     `python -m chatocr.training.base_pack pack models/smollm2-135m-instruct work_dirs/smollm2-pack`
#     re-packs them losslessly (bit-identical fp32 after unpacking) into 3 parts of <=36 MiB:
#     work_dirs/smollm2-pack/1, /2, /3 (36 + 36 + 24 MiB, tokenizer included).
#   - the wheels of what chatocr imports and the image lacks (pydantic, pydantic-core,
#     annotated-types, typing-inspection, rapidfuzz; 5.7 MiB, cp312 manylinux) in
#     work_dirs/device-wheels: `make train-device` downloads them (pinned to .venv's versions).
#   - the data files (not their folder: items-v2/ holds 38 MiB of images and work files), e.g.
#     datasets/generated/items-v2/{train,val}.jsonl (1.2 MiB + 0.1 MiB). The third call then carries
#     23.6 + 5.7 + 1.3 MiB beside the tree; the first two 36 MiB each.
# So a run takes three calls on one warm machine (it stays warm ~30 s after a call: make them back
# to back); each call stages its part (kept in the repo copy there and in /tmp/chatocr-pack) and
# the call that completes the parts trains:
#   run(carry=["work_dirs/smollm2-pack/1"], command="bash scripts/train_device.sh")
#   run(carry=["work_dirs/smollm2-pack/2"], command="bash scripts/train_device.sh")
#   run(carry=["work_dirs/smollm2-pack/3", "work_dirs/device-wheels",
#          "datasets/generated/items-v2/train.jsonl", "datasets/generated/items-v2/val.jsonl"], timeout_s=600,
#       command="DATA=datasets/generated/items-v2/train.jsonl STEPS=auto TIME_LIMIT=480 bash scripts/train_device.sh")
# TIME_LIMIT=480 leaves room in a 15-minute device budget for the machine's start and the two
# staging calls; give the machine back after the last call.
# A call without all parts says which are missing and exits 0 (nothing to train yet); a machine
# given back in between loses the staged parts (start again from part 1). Where the machine already
# has models/smollm2-135m-instruct (BASE=), no parts are needed.
#
# Environment knobs:
#   DATA        training samples (XTuner JSONL/JSON)            VAL   validation samples (default: DATA's val.jsonl sibling)
#   STEPS       iterations, or "auto" (up to 3 epochs, stopped by the val loss; default auto)
#   TIME_LIMIT  seconds for the whole command (default 540: under the 10-minute limit); training stops
#               in time and the best adapter so far is written
#   BATCH       samples per iteration (default 8 on a GPU: length-bucketed, padded; 1 = XTuner's recipe)
#   ACCUM       micro-batches per iteration (default 1)         LR    learning rate (default 5e-4)
#   SEED        data order, LoRA init, dropout (default 1234)   INIT  continue this peft adapter
#   LAYOUT      the prompt layout DATA was written in (default rows)
#   VAL_EVERY   iterations between validations (default 100)    VAL_N validation samples (default 48)
#   PATIENCE    validations without improvement before stopping (default 3)
#   BASE        base model dir (default: models/smollm2-135m-instruct, else unpacked from PACK)
#   PACK        the packed base's dir (default work_dirs/smollm2-pack)
#   WHEELS      wheels installed (to /tmp/chatocr-site) when chatocr's imports are missing
#               (default work_dirs/device-wheels)
#   DEVICE      cuda, cpu or auto (default auto)
#   OUT         where results go (the device tool's $OUT; default work_dirs/device-out)
# Results: $OUT/adapter/ (adapter_config.json, adapter_model.safetensors, train_info.json[, prompt.json]),
#          $OUT/val_curve.jsonl, $OUT/train_log.jsonl, $OUT/train.log.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
export TQDM_MININTERVAL=${TQDM_MININTERVAL:-10} PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-$(command -v python3 || command -v python)}
[[ -x .venv/bin/python && -z "${PYTHON:-}" ]] && PY=.venv/bin/python
OUT=${OUT:-work_dirs/device-out}
PACK=${PACK:-work_dirs/smollm2-pack}
STASH=${STASH:-/tmp/chatocr-pack}
TIME_LIMIT=${TIME_LIMIT:-540}
mkdir -p "$OUT"
say() { echo "train-device: $*"; }

BASE=${BASE:-models/smollm2-135m-instruct}
if [[ ! -f "$BASE/model.safetensors" ]]; then
  # stage the parts carried by this call beside those of earlier calls
  mkdir -p "$STASH"
  for d in "$PACK"/*/; do
    [[ -f "$d/part" ]] && cp -r "${d%/}" "$STASH/"
  done
  if ! miss=$("$PY" chatocr/training/base_pack.py missing "$STASH"); then
    say "base model: part(s) still missing: ${miss}; carry them (${PACK}/N) in the next call"
    exit 0
  fi
  BASE=${UNPACKED:-/tmp/chatocr-base/smollm2-135m-instruct}
  if [[ ! -f "$BASE/model.safetensors" ]]; then
    say "unpacking the base model from $STASH"
    "$PY" chatocr/training/base_pack.py unpack "$STASH" "$BASE" >/dev/null
  fi
fi
say "base model $BASE ($(du -sh "$BASE" | cut -f1))"

DATA=${DATA:-}
if [[ -z "$DATA" ]]; then
  say "no DATA given: the base is ready; nothing to train"
  exit 0
fi
# chatocr's own imports (pydantic, rapidfuzz) are not in a bare CUDA image: install the carried wheels
WHEELS=${WHEELS:-work_dirs/device-wheels}
IMPORTS='import chatocr.training.torch_lora, llm_stage.backends.transformers_backend, llm_stage.prompt, peft, tqdm'
if ! "$PY" -c "$IMPORTS" 2>/dev/null; then
  if compgen -G "$WHEELS/*.whl" >/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/chatocr-site "$WHEELS"/*.whl
    export PYTHONPATH="$PYTHONPATH:/tmp/chatocr-site"
  fi
  "$PY" -c "$IMPORTS" || { say "chatocr does not import here (see above); carry $WHEELS" >&2; exit 1; }
fi
test -s "$DATA" || { say "no training data at $DATA (carry it)" >&2; exit 1; }
VAL=${VAL:-$(dirname "$DATA")/val.jsonl}
DEVICE=${DEVICE:-auto}
if [[ "$DEVICE" == cpu ]] || ! "$PY" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  BATCH=${BATCH:-1}
else
  BATCH=${BATCH:-8}
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
fi
# what is left of the command's budget goes to training (the load and the unpacking came first)
left=$(( TIME_LIMIT - ($(date +%s) - start) ))
say "training on $DATA (val $VAL), batch $BATCH, ${left}s left"
args=(--data "$DATA" --out "$OUT/adapter" --work "${WORK:-work_dirs/device-run}" --base "$BASE"
  --steps "${STEPS:-auto}" --batch-size "$BATCH" --grad-accum "${ACCUM:-1}" --lr "${LR:-5e-4}"
  --seed "${SEED:-1234}" --layout "${LAYOUT:-rows}" --device "$DEVICE" --time-limit "$left"
  --val-every "${VAL_EVERY:-100}" --val-samples "${VAL_N:-48}" --patience "${PATIENCE:-3}")
[[ -f "$VAL" ]] && args+=(--val "$VAL")
[[ -n "${INIT:-}" ]] && args+=(--init "$INIT")
set +e
"$PY" -m chatocr.training.torch_lora "${args[@]}" 2>&1 | tee "$OUT/train.log"
rc=${PIPESTATUS[0]}
set -e
for f in val_curve.jsonl train_log.jsonl; do
  [[ -f "${WORK:-work_dirs/device-run}/$f" ]] && cp "${WORK:-work_dirs/device-run}/$f" "$OUT/"
done
ls -la "$OUT" "$OUT/adapter" 2>/dev/null || true
say "done in $(( $(date +%s) - start ))s (exit $rc)"
exit "$rc"
