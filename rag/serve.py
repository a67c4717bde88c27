"""``python -m rag.serve``: the command lives in rag/cli/serve.py."""

import sys

from rag.cli.serve import main

if __name__ == "__main__":
    sys.exit(main())
