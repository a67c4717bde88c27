"""Question answering over a folder of news articles, with line-level citations.

Importing ``rag`` first makes every library below it offline: nothing here may
phone home or download at run time (see docs/OFFLINE.md for each trap).
"""

from rag._offline import make_offline

make_offline()

__version__ = "0.1.0"
