# The optional libtorch encoder backend (cargo feature `rust-bert`); included by the Makefile.
# libtorch is the PyTorch 2.4.0 wheel in a venv under ${HEARKEN_CACHE:-~/.cache/hearken}, made
# once by scripts/torch_venv.sh, which also prints the variables a build and a run need
# (LIBTORCH_USE_PYTORCH, VIRTUAL_ENV, PATH, LD_LIBRARY_PATH). Builds go to their own target
# directory, so switching between these targets and the default build recompiles nothing.
# Tests use the release profile too, so `test-rust-bert` reuses what `rust-bert` compiled.

RUST_BERT_TARGET_DIR ?= target/rust-bert
RUST_BERT_ENV = set -e; torch_env=$$(scripts/torch_venv.sh); eval "$$torch_env"; export CARGO_TARGET_DIR=$(RUST_BERT_TARGET_DIR)

.PHONY: rust-bert test-rust-bert

rust-bert: model
	$(RUST_BERT_ENV); $(CARGO) build --release --features rust-bert

test-rust-bert: model
	$(RUST_BERT_ENV); \
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --cargo-profile release --features rust-bert --lib --test rust_bert_backend \
	    -E 'binary_id(hearken::rust_bert_backend) | test(/^nlu::rust_bert::/)'; \
	else \
	  $(CARGO) test --release --features rust-bert --lib -- nlu::rust_bert:: && \
	  $(CARGO) test --release --features rust-bert --test rust_bert_backend; \
	fi
