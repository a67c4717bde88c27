"""What the commands print: an answer with its sources, and the first-run index build."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import TextIO, cast

from rag import Answer, Engine, IndexNotFoundError, Settings, build_index
from rag import open_engine as library_open_engine
from rag.answer.cite import file_link, osc8
from rag.cli.common import progress_bar, use_color
from rag.cli.ingest import describe
from rag.text.inert import InertStream, inert


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
    lines += _removed(answer, links)
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
    system = [i for i, s in enumerate(answer.sentences, 1) if s.get("cited_by") == "system"]
    if system:
        which = ", ".join(str(i) for i in system)
        said = f"(sentence {which}: cited by the system; the model gave none or a wrong one)"
        lines += [said, ""]
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


def _removed(answer: Answer, strike: bool) -> list[str]:
    """The model's sentences the checks removed, struck out, each with its reason."""
    if not answer.dropped:
        return []
    lines = ["Removed by the checks:"]
    for row in answer.dropped:
        said = inert(row["text"], markdown=False)
        text = f"\x1b[9m{said}\x1b[0m" if strike else f"[removed] {said}"
        lines.append(textwrap.fill(f"- {text} ({row['reason']})", width=88, subsequent_indent="  "))
    return [*lines, ""]


class Provisional:
    """A model's text on a terminal as it is written: dimmed, made inert (no escape
    sequences), and followed by the checked answer, which is the one to trust."""

    def __init__(self, out: TextIO, enabled: bool) -> None:
        self.out = out
        self.enabled = enabled
        self.color = use_color(out)
        self.shown = False
        self._inert = InertStream(markdown=False)

    def write(self, delta: str) -> None:
        if not self.enabled:
            return
        text = self._inert.feed(delta)
        self.out.write(f"\x1b[2m{text}\x1b[0m" if self.color else text)
        self.out.flush()
        self.shown = True

    def status(self, text: str) -> None:
        """What the checks are doing while the text above stands still (the model is
        asked again): a line of its own, below the model's text."""
        if not (self.enabled and self.shown):
            return
        line = f"\n\n({text})"
        self.out.write(f"\x1b[2m{line}\x1b[0m" if self.color else line)
        self.out.flush()

    def close(self) -> None:
        """Before the checked answer: say that the text above was not yet checked."""
        if self.shown:
            self.out.write("\n\n— checked (citations verified, unsupported text marked): —\n")
            self.shown = False
