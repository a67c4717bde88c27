#!/usr/bin/env bash
# Rebuild the shipped reader (rag/models/reader/) from outside data, one command:
#   bash scripts/train-reader.sh SQUAD_CHECKOUT RTQA_CHECKOUT [WORK]
# SQUAD_CHECKOUT: a checkout of chrischute/squad (data/dev-v2.0.json);
# RTQA_CHECKOUT: a checkout of realtimeqa/realtimeqa_public; WORK: scratch (default
# /tmp/rag-train). SQuAD v1.1 train and SelQA are read from ../shared/data/.
# About 40 minutes of training on 2 cores (8,000 v1.1 questions), resumable: run it again after a stop.
# docs/TRAINING.md says what each step does.
set -euo pipefail
cd "$(dirname "$0")/.."
SQUAD=${1:?a checkout of chrischute/squad}
NEWS=${2:?a checkout of realtimeqa/realtimeqa_public}
WORK=${3:-/tmp/rag-train}
DATA=${RAG_SHARED_DATA:-../shared/data}
. .venv/bin/activate
pip install -q -e '.[train]'
python -m rag.train data --squad "$SQUAD/data/dev-v2.0.json" --news "$NEWS" --work "$WORK/sets"
python -m rag.train features --work "$WORK/sets"
python -m rag.train fit --squad-train "$DATA/squad-v1.1-train/train-v1.1.json.gz" \
  --squad "$SQUAD/data/dev-v2.0.json" --work "$WORK/model"
python -m rag.train calibrate --work "$WORK/sets"
python -m rag.train check --squad-train "$DATA/squad-v1.1-train/train-v1.1.json.gz" \
  --selqa "$DATA/selqa/selqa-ass-test.json.gz"
