"""``python -m rag.train``: the answer model's data, split, training and evaluation.

  split     write eval/split.json from the outside data (done once, before training)
  data      write each part's article folders and gold rows under --work
  slice     write the small committed SQuAD slice (eval/squad_slice/)
  features  run each part's questions through the product and store candidate features
  fit       fine-tune the reader on SQuAD v1.1 train + the SQuAD 2.0 train part, export int8
  calibrate score the calibration parts with the int8 file: Platt scalings, the
            answer decision and its threshold (rag/models/reader/reader.json)
  check     ranking on data never trained on: held-out v1.1 articles, SelQA test

Data: --squad FILE (SQuAD 2.0 JSON, the chrischute/squad dev file) and --news DIR (a
checkout of realtimeqa/realtimeqa_public). See docs/TRAINING.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.train import data, fit

PROG = "python -m rag.train"
SPLIT = Path("eval/split.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    steps = ["split", "data", "slice", "features", "fit", "calibrate", "check"]
    parser.add_argument("step", choices=steps)
    parser.add_argument("--squad", type=Path, help="SQuAD 2.0 JSON file (dev-v2.0.json)")
    parser.add_argument("--news", type=Path, help="checkout of realtimeqa_public")
    parser.add_argument(
        "--squad-train", type=Path, help="SQuAD v1.1 train JSON (.gz), ../shared/data/"
    )
    parser.add_argument("--selqa", type=Path, help="SelQA test JSON (.gz), for check")
    parser.add_argument(
        "--questions", type=int, default=fit.V1_QUESTIONS, help="v1.1 questions to train on"
    )
    parser.add_argument(
        "--minutes", type=float, default=170, help="stop (resumably) after this long"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-train"), help="work folder")
    parser.add_argument("--split", type=Path, default=SPLIT, help="the split file")
    args = parser.parse_args(argv)

    if args.step == "split":
        if not args.squad or not args.news:
            parser.error("split needs --squad and --news")
        titles = [a["title"] for a in data.read_squad(args.squad)]
        split = data.make_split(titles, data.news_weeks(args.news))
        args.split.write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.split}", file=sys.stderr)
        return 0
    split = json.loads(args.split.read_text(encoding="utf-8"))
    if args.step == "data":
        return write_data(args, split)
    if args.step == "slice":
        return write_slice(args, split)

    if args.step == "features":
        return fit.features_main(args, split)
    if args.step == "calibrate":
        return fit.calibrate_main(args, split)
    if args.step == "check":
        return fit.check_main(args, split)
    return fit.fit_main(args, split)


def write_data(args: argparse.Namespace, split: dict) -> int:
    if args.squad:
        articles = data.read_squad(args.squad)
        for part in ("train", "calibration", "test"):
            folder = data.squad_folder(f"squad-{part}", articles, split["squad"][part])
            folder.write(args.work)
            print(
                f"squad-{part}: {len(folder.articles)} files, {len(folder.questions)} questions",
                file=sys.stderr,
            )
    if args.news:
        for part in ("calibration", "test"):
            for week in split["news"][part]:
                folder = data.news_folder(args.news, week)
                folder.name = f"news-{part}/{week}"
                folder.write(args.work)
                answerable = sum(q["answerable"] for q in folder.questions)
                print(
                    f"{folder.name}: {len(folder.articles)} files, {len(folder.questions)} "
                    f"questions ({answerable} answerable)",
                    file=sys.stderr,
                )
    return 0


SLICE_PARAGRAPHS = 12  # of the first test-part article


def write_slice(args: argparse.Namespace, split: dict) -> int:
    """The first paragraphs of one test-part article, with their questions."""
    articles = data.read_squad(args.squad)
    title = split["squad"]["test"][0]
    picked = [
        {**a, "paragraphs": a["paragraphs"][:SLICE_PARAGRAPHS]}
        for a in articles
        if a["title"] == title
    ]
    folder = data.squad_folder("squad_slice", picked, [title])
    folder.write(Path("eval"))
    print(
        f"eval/squad_slice: {len(folder.articles)} files, {len(folder.questions)} questions",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
