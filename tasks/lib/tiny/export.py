"""Writes the trained model as a llama-architecture GGUF (Mistral conventions) with gguf-py, and
checks it: the file is read back, its Q8_0 weights dequantized, and PyTorch computes the logits
that Gale's tests must reproduce.
"""
import json

import gguf
import numpy as np
import torch

from .model import Shape, Transformer

Q8_0 = gguf.GGMLQuantizationType.Q8_0
F32 = gguf.GGMLQuantizationType.F32


def token_type(sp, i):
    if sp.is_unknown(i):
        return gguf.TokenType.UNKNOWN
    if sp.is_control(i):
        return gguf.TokenType.CONTROL
    if sp.is_byte(i):
        return gguf.TokenType.BYTE
    if sp.is_unused(i):
        return gguf.TokenType.UNUSED
    return gguf.TokenType.NORMAL


def write_gguf(path, model: Transformer, sp, name, description):
    s = model.s
    w = gguf.GGUFWriter(path, "llama")
    w.add_name(name)
    w.add_description(description)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    w.add_vocab_size(s.vocab)
    w.add_context_length(s.context)
    w.add_embedding_length(s.dim)
    w.add_block_count(s.layers)
    w.add_feed_forward_length(s.hidden)
    w.add_head_count(s.heads)
    w.add_head_count_kv(s.kv_heads)
    w.add_rope_dimension_count(s.head_dim)
    w.add_rope_freq_base(s.rope_base)
    w.add_layer_norm_rms_eps(s.eps)
    w.add_sliding_window(s.window)

    n = sp.get_piece_size()
    w.add_tokenizer_model("llama")
    w.add_token_list([sp.id_to_piece(i) for i in range(n)])
    w.add_token_scores([sp.get_score(i) for i in range(n)])
    w.add_token_types([token_type(sp, i) for i in range(n)])
    w.add_unk_token_id(sp.unk_id())
    w.add_bos_token_id(sp.bos_id())
    w.add_eos_token_id(sp.eos_id())
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)

    for tname, t in model.named_matrices():
        a = t.detach().to(torch.float32).cpu().numpy()
        if a.ndim == 1:  # norms stay F32
            w.add_tensor(tname, a)
        else:  # torch [out, in] = GGML dims [in, out]
            w.add_tensor(tname, gguf.quants.quantize(a, Q8_0), raw_dtype=Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def read_gguf(path, dtype=torch.float64):
    """A Transformer holding exactly the weights the file holds (Q8_0 dequantized)."""
    r = gguf.GGUFReader(path)

    def scalar(key):
        return r.fields[key].contents()

    s = Shape(vocab=len(r.fields["tokenizer.ggml.tokens"].data),
              dim=scalar("llama.embedding_length"), layers=scalar("llama.block_count"),
              heads=scalar("llama.attention.head_count"), kv_heads=scalar("llama.attention.head_count_kv"),
              hidden=scalar("llama.feed_forward_length"), context=scalar("llama.context_length"),
              window=scalar("llama.attention.sliding_window"), rope_base=scalar("llama.rope.freq_base"),
              eps=scalar("llama.attention.layer_norm_rms_epsilon"))
    model = Transformer(s).to(dtype)
    params = dict(model.named_matrices())
    for t in r.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type)
        target = params[t.name]
        target.data.copy_(torch.from_numpy(np.asarray(values, dtype=np.float64).reshape(target.shape)))
        del params[t.name]
    if params:
        raise SystemExit(f"tensors missing from {path}: {sorted(params)}")
    return model


def write_fixture(gguf_path, json_path, tokens, positions):
    """Logits of the exported (dequantized) model at some positions of one sequence, in float64,
    with the model's sliding window and, for contrast, with full attention."""
    model = read_gguf(gguf_path)
    with torch.no_grad():
        x = torch.tensor([tokens])
        windowed = model(x)[0]
        full = model(x, window=0)[0]
    fixture = {
        "model": gguf_path.split("/")[-1],
        "note": "PyTorch float64 logits of the Q8_0-dequantized model (tasks/train-tiny-model)",
        "window": model.s.window,
        "tokens": list(map(int, tokens)),
        "positions": list(positions),
        "logits": [[float("%.6g" % v) for v in windowed[p].tolist()] for p in positions],
        "full_attention_max_abs_diff": {str(p): float((windowed[p] - full[p]).abs().max()) for p in positions},
    }
    with open(json_path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    return fixture


TRICKY_TEXTS = [
    "The old man walked into the",
    "Hello world",
    " leading space and  two   spaces",
    "trailing space ",
    "In 1961, 3,500 people paid $12.50 each.",
    "A line\nand another\n\nafter a blank line",
    "\"Quoted,\" she said -- (parenthetically) -- 'single'.",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00fcber",
    "Emoji \U0001F600 and CJK \u6f22\u5b57 fall back to bytes",
    "tab\there",
    "",
]


def write_tokenizer_fixture(sp, paragraphs, json_path):
    """SentencePiece's ids (with BOS) for some held-out sentences and some awkward strings."""
    texts = TRICKY_TEXTS + paragraphs
    cases = [{"text": t, "ids": [sp.bos_id()] + sp.encode(t)} for t in texts]
    with open(json_path, "w") as f:
        json.dump({"note": "SentencePiece encodings (tasks/train-tiny-model)", "cases": cases}, f,
                  ensure_ascii=False, indent=0)
