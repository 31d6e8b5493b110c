# Two commands a new user needs:
#   make lab    set everything up and open the course in JupyterLab (your own copy of the lessons)
#   make test   set everything up and run the whole test suite (what CI runs)
# Without make (Windows): the README gives the same commands; tests/test_packaging.py keeps them equal.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Jupyter refuses to run as root unless told; containers and hosted machines often are root.
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: setup browser-setup lab lab-solutions reset test book lessons leaderboard checkpoints clean

setup: $(STAMP)

# Re-runs whenever the pins in pyproject.toml change. The notebooks use the environment's own
# "python3" kernel: JupyterLab started from .venv finds it, so no kernel is registered elsewhere.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(None if sys.version_info[:2] == (3, 11) else "the course needs Python 3.11; $(PYTHON) is " + sys.version.split()[0] + ": run make PYTHON=/path/to/python3.11")'
	@echo "Setting up .venv: torch and torchvision are the large part (on Linux x86-64 about 5.5 GB)."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[course]"
	touch $(STAMP)

# Students: lessons/ is copied into workspace/ (git-ignored) the first time, never overwriting a
# notebook there; JupyterLab opens that copy. `make reset LESSON=03` puts one lesson back.
lab: $(STAMP)
	$(BIN)/python -m utils.course.workspace
	$(BIN)/jupyter lab --notebook-dir=workspace $(AS_ROOT)

reset: $(STAMP)
	$(BIN)/python -m utils.course.workspace --reset $(LESSON)

# Instructors: the complete notebooks (save them without outputs before committing).
lab-solutions: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=solutions $(AS_ROOT)

# The browser tests drive Debian's Chromium (apt package `chromium`); as root this installs it, elsewhere
# it says how. Without it `make test` skips the browser tests (CI fails them instead).
browser-setup:
	@command -v chromium >/dev/null && echo "chromium: $$(command -v chromium)" || \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "no chromium: install Debian's or Ubuntu's package (sudo apt-get install chromium) for the browser tests"; fi

# pytest for `utils` and nbval over every notebook (solutions and lessons), two at a time on one
# torch thread each (pytest-xdist; each notebook stays whole on one worker): on 2 cores the suite
# takes a quarter less time than one at a time on two threads. The solutions it ran become the book
# (their outputs are reused), which the browser tests then open.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15 tests --ignore=tests/browser --nbval-lax solutions lessons
	$(BIN)/python -m utils.course.book
	$(BIN)/python -m pytest -p no:xdist tests/browser

# The course as a website in build/book/html: every solution notebook with its outputs (reused from
# the last `make test` where it ran the same cells on the same utils and data, else executed now:
# about 7 minutes for all), a run-sheet per lesson for instructors, the model cards and the bibliography.
book: $(STAMP)
	$(BIN)/python -m utils.course.book

# Regenerate the student notebooks from the solutions (the source of truth), after writing the
# glossary sections and nbgrader's and RISE's cell metadata into the solutions.
lessons: $(STAMP)
	$(BIN)/python -m utils.course.glossary
	$(BIN)/python -m utils.course.lessons

# Lesson 09's leaderboard in the terminal: every shipped MovingDigits generator measured now on the
# held-out benchmark (about a minute on a 2-core CPU; CLIPS=256 for the cards' number of clips).
CLIPS ?= 128
leaderboard: $(STAMP)
	$(BIN)/python -m utils.leaderboard --clips $(CLIPS)

# Retrain every shipped model from scratch (about four hours on a 2-core CPU). The evaluation network
# comes first: the other cards' metrics are measured with it.
checkpoints: $(STAMP)
	$(BIN)/python -m utils.train evalnet
	$(BIN)/python -m utils.train convlstm
	$(BIN)/python -m utils.train simvp
	$(BIN)/python benchmarks/equal_compute.py --write-cards
	$(BIN)/python -m utils.train vgan
	for name in pix2pix cyclegan cyclegan_temporal mocogan svg vqvae videogpt latent_autoencoder flow_matching shape_classifier caption_to_video frame_interpolator detector; do $(BIN)/python -m utils.train $$name || exit 1; done
	$(BIN)/python benchmarks/caption_guidance.py --write-card

# Removes the environment only: workspace/ holds students' work and is never removed.
clean:
	rm -rf $(VENV)
