"""Training and evaluating the answer model on outside data (``python -m rag.train``).

Nothing here runs when a question is answered: the shipped reader (rag/reader.py)
loads only the fitted file. The data sets are read from local copies of public
repositories (docs/TRAINING.md) and never committed, except the small SQuAD slice
under eval/.
"""
