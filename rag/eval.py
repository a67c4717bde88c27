"""``python -m rag.eval``: kept where it always was; the command lives in rag/cli/eval.py."""

import sys

from rag.cli.eval import main

if __name__ == "__main__":
    sys.exit(main())
