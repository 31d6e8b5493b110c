# Two commands a new user needs:
#   make lab    set everything up and open the course in JupyterLab
#   make test   set everything up and run the whole test suite (what CI runs)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
KERNEL := video-course

.PHONY: setup lab test lessons checkpoints clean

setup: $(STAMP)

# Re-runs whenever the pins in pyproject.toml change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[course]"
	$(BIN)/python -m ipykernel install --user --name $(KERNEL) --display-name "Python (video course)" >/dev/null
	touch $(STAMP)

# Jupyter refuses to run as root unless told; containers and hosted machines often are root.
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=lessons $(if $(filter 0,$(shell id -u)),--allow-root)

# pytest for `utils` and nbval over every notebook (solutions and lessons), two at a time on one
# torch thread each (pytest-xdist; each notebook stays whole on one worker): on 2 cores that is a
# quarter faster than one at a time on two threads.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile tests --nbval-lax solutions lessons

# Regenerate the student notebooks from the solutions (the source of truth).
lessons: $(STAMP)
	$(BIN)/python -m utils.course.lessons

# Retrain every shipped model from scratch (about two and a half hours on a 2-core CPU). The evaluation network
# comes first: the other cards' metrics are measured with it.
checkpoints: $(STAMP)
	$(BIN)/python -m utils.train evalnet
	$(BIN)/python -m utils.train convlstm
	$(BIN)/python -m utils.train vgan
	for name in pix2pix cyclegan cyclegan_temporal mocogan svg vqvae videogpt latent_autoencoder flow_matching; do $(BIN)/python -m utils.train $$name || exit 1; done

clean:
	rm -rf $(VENV)
