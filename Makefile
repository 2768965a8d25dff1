# Two commands on a fresh machine: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench faults clean install train-topics train-ner cluster-eval-data

install: $(STAMP)

$(STAMP): setup.py pyproject.toml pipeline/transforms/cluster/_native.pyx pipeline/transforms/cluster/_text.pyx  # (.pyx: compiled at install)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q pipeline tests bench >/dev/null  # .pyc now: with PYTHONDONTWRITEBYTECODE set, never later
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/news-pipeline demo

test: $(STAMP)
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

faults: $(STAMP)  # crash-consistency fault suite: SIGKILL, poison, soak; FAULTS_ARGS="--only steady,poison --items 900"
	$(BIN)/python -m tests.faults.run $(FAULTS_ARGS)

train-topics: $(STAMP)  # rebuilds pipeline/data/topics/model.npz from pinned public data; MIRROR=<clones root>
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python -m train.topics.train --mirror-root $(or $(MIRROR),/work/.mirror)

cluster-eval-data: $(STAMP)  # labelled article pairs for the cluster evaluation (texts not committed); EVAL_MIRROR=<clones root>
	EVAL_MIRROR=$(or $(EVAL_MIRROR),/work/.mirror) $(BIN)/python -m tests.unit.cluster.eval_data

# NER models shipped in pipeline/data/ner/ (train/ner/MODEL_CARD.md): needs local clones of the named source
# repositories under NER_MIRROR (default /work/.mirror, one owner+name directory each); 15-25 min per language on 2 shared cores.
NER_LANGS ?= pt de es it
train-ner: $(addprefix train-ner-,$(NER_LANGS))

train-ner-%: $(STAMP)
	$(BIN)/python -m train.ner.build $*
	$(BIN)/python -m train.ner.speed $*

clean:
	rm -rf $(VENV) out .news-pipeline build *.egg-info
