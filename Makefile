# Trợ lý Công đoàn — the two README commands and a few helpers. Everything installs what it needs.
.PHONY: run test train bench lint clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## / — /'

run:  ## set up and run the whole stack (SQLite, trained model); Ctrl-C stops it
	bash scripts/run.sh

test:  ## set up and run every test suite (starts PostgreSQL on loopback); non-zero on failure
	bash scripts/test.sh

train:  ## train the Rasa model (only when data, domain or config changed)
	bash -c 'source scripts/common.sh && ensure_venvs && load_env && train_model'

bench:  ## run the benchmarks under bench/ and write bench/results/
	bash scripts/bench.sh

lint:  ## ruff over both trees
	bash -c 'source scripts/common.sh && ensure_venvs && $$BACKEND_VENV/bin/ruff check .'

clean:  ## remove local state (databases, logs); keeps venvs and models
	rm -rf var
