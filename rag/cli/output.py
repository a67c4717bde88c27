"""What the commands print: an answer with its sources, and the first-run index build."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import cast

from rag import Answer, Engine, IndexNotFoundError, Settings, build_index
from rag import open_engine as library_open_engine
from rag.answer.cite import file_link, osc8
from rag.cli.common import progress_bar
from rag.cli.ingest import describe


def open_engine(settings: Settings, prog: str) -> Engine:
    """The engine over the published index, indexing the seeds first (saying so, with a
    progress bar on stderr) if there is none."""
    try:
        return library_open_engine(settings, build=False)
    except IndexNotFoundError:
        print(f"{prog}: no index yet; indexing {settings.seeds_dir} first", file=sys.stderr)
        report = build_index(settings, progress=progress_bar())
        print(describe(report), file=sys.stderr)
        return Engine(settings)


def render_answer(answer: Answer, seeds_dir: Path, links: bool) -> str:
    doubtful = [s for s in answer.sentences if s["label"] != "supported"]
    text = answer.text
    if doubtful:  # mark each sentence the check could not back, where it stands
        text = " ".join(
            str(s["text"]) + ("" if s["label"] == "supported" else f" <{s['label']}>")
            for s in answer.sentences
        )
    lines = [textwrap.fill(text, width=88), ""]
    if answer.refused:
        lines.append("(no sentence in the indexed articles answers this question)")
        if answer.confidence is not None:
            lines.append(f"(the reader's confidence that one does: {answer.confidence:.2f})")
        return "\n".join(lines) + "\n"
    if answer.confidence is not None:
        lines.append(f"Confidence: {answer.confidence:.2f} (the reader's, calibrated)")
        lines.append("")
    if doubtful:
        lines.append("Checks (each sentence against the passages it cites):")
        for sentence in doubtful:
            reasons = cast("list[str]", sentence["flags"])
            flags = "; ".join(reasons) or "weakly matched"
            lines.append(
                textwrap.fill(f"- {sentence['label']}: {flags}", width=88, subsequent_indent="  ")
            )
        lines.append("")
    lines.append("Sources:")
    for citation in answer.citations:
        label, uri = file_link(seeds_dir, citation)
        shown = osc8(label, uri) if links else label
        about = " — ".join(x for x in (citation.title, citation.outlet) if x)
        sure = "" if citation.confidence is None else f"  (confidence {citation.confidence:.2f})"
        lines.append(f"[{citation.n}] {shown}" + (f"  {about}" if about else "") + sure)
        quote = textwrap.fill(
            f"“{citation.quote}”", width=88, initial_indent="    ", subsequent_indent="    "
        )
        lines.append(quote)
    return "\n".join(lines) + "\n"
