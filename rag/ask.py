"""``python -m rag.ask``: kept where it always was; the command lives in rag/cli/ask.py."""

import sys

from rag.cli.ask import main

if __name__ == "__main__":
    sys.exit(main())
