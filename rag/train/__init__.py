"""Training and evaluating the answer model on outside data (``python -m rag.train``).

Nothing here runs when a question is answered: the reader (rag/reader.py) loads only
the fitted file, and is not the default answerer yet (docs/TRAINING.md). The data sets
are read from local copies of public repositories and never committed, except the
small SQuAD slice under eval/.
"""
