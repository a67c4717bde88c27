"""``python -m rag.ingest``: the command lives in rag/cli/ingest.py."""

import sys

from rag.cli.ingest import main

sys.exit(main())
