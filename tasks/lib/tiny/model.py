"""A small Mistral-architecture transformer in PyTorch, written to match GGUF's llama layout
(and so Gale) exactly:

- RMSNorm: x / sqrt(mean(x^2) + eps) * w, before attention and before the feed-forward;
- RoPE on ADJACENT pairs (2i, 2i+1) of each head, angle pos * base^(-2i/head_dim): this is the
  layout GGUF stores and llama.cpp/Gale apply, so Q and K are exported as they are, unpermuted;
- grouped-query attention: query head h reads KV head h // (heads / kv_heads);
- sliding-window attention: the query at position i sees keys i-W+1 .. i (a band mask);
- SwiGLU feed-forward: down(silu(gate(x)) * up(x)); no biases; untied output matrix.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Shape:
    vocab: int = 4096
    dim: int = 256
    layers: int = 6
    heads: int = 8
    kv_heads: int = 2
    hidden: int = 704
    context: int = 512
    window: int = 128
    rope_base: float = 10000.0
    eps: float = 1e-5

    @property
    def head_dim(self):
        return self.dim // self.heads


def band_mask(n, window, device=None):
    """mask[i, j] is True where query i may attend key j: i-W < j <= i."""
    i = torch.arange(n, device=device).unsqueeze(1)
    j = torch.arange(n, device=device).unsqueeze(0)
    return (j <= i) & (j > i - window)


def rope_tables(n, head_dim, base, dtype):
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    ang = torch.arange(n, dtype=torch.float64).unsqueeze(1) * inv.unsqueeze(0)  # [n, head_dim/2]
    return torch.cos(ang).to(dtype), torch.sin(ang).to(dtype)


def rope(x, cos, sin):
    """x: [batch, heads, n, head_dim]; rotates each adjacent pair (2i, 2i+1)."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    return torch.stack((r0, r1), dim=-1).flatten(-2)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Block(nn.Module):
    def __init__(self, s: Shape):
        super().__init__()
        self.s = s
        hd = s.head_dim
        self.attn_norm = RMSNorm(s.dim, s.eps)
        self.attn_q = nn.Linear(s.dim, s.heads * hd, bias=False)
        self.attn_k = nn.Linear(s.dim, s.kv_heads * hd, bias=False)
        self.attn_v = nn.Linear(s.dim, s.kv_heads * hd, bias=False)
        self.attn_output = nn.Linear(s.heads * hd, s.dim, bias=False)
        self.ffn_norm = RMSNorm(s.dim, s.eps)
        self.ffn_gate = nn.Linear(s.dim, s.hidden, bias=False)
        self.ffn_up = nn.Linear(s.dim, s.hidden, bias=False)
        self.ffn_down = nn.Linear(s.hidden, s.dim, bias=False)

    def forward(self, x, cos, sin, mask):
        s, (b, n, _) = self.s, x.shape
        hd = s.head_dim
        h = self.attn_norm(x)
        q = self.attn_q(h).view(b, n, s.heads, hd).transpose(1, 2)
        k = self.attn_k(h).view(b, n, s.kv_heads, hd).transpose(1, 2)
        v = self.attn_v(h).view(b, n, s.kv_heads, hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        group = s.heads // s.kv_heads
        k = k.repeat_interleave(group, dim=1)  # query head h -> KV head h // group
        v = v.repeat_interleave(group, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + self.attn_output(a.transpose(1, 2).reshape(b, n, s.heads * hd))
        h = self.ffn_norm(x)
        return x + self.ffn_down(F.silu(self.ffn_gate(h)) * self.ffn_up(h))


class Transformer(nn.Module):
    def __init__(self, s: Shape):
        super().__init__()
        self.s = s
        self.token_embd = nn.Embedding(s.vocab, s.dim)
        self.blocks = nn.ModuleList(Block(s) for _ in range(s.layers))
        self.output_norm = RMSNorm(s.dim, s.eps)
        self.output = nn.Linear(s.dim, s.vocab, bias=False)
        self.apply(self._init)
        for b in self.blocks:  # scaled residual projections (GPT-2)
            nn.init.normal_(b.attn_output.weight, std=0.02 / math.sqrt(2 * s.layers))
            nn.init.normal_(b.ffn_down.weight, std=0.02 / math.sqrt(2 * s.layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, tokens, window=None):
        """tokens [batch, n] -> logits [batch, n, vocab]; window None = the model's, 0 = full."""
        n = tokens.shape[1]
        w = self.s.window if window is None else window
        x = self.token_embd(tokens)
        cos, sin = rope_tables(n, self.s.head_dim, self.s.rope_base, x.dtype)
        mask = band_mask(n, w if w > 0 else n + 1, tokens.device)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.output(self.output_norm(x))

    def parameter_count(self):
        return sum(p.numel() for p in self.parameters())

    def named_matrices(self):
        """(GGUF name, torch tensor) of every weight, in llama.cpp's naming."""
        yield "token_embd.weight", self.token_embd.weight
        for i, b in enumerate(self.blocks):
            for part in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                         "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"):
                yield f"blk.{i}.{part}.weight", getattr(b, part).weight
        yield "output_norm.weight", self.output_norm.weight
        yield "output.weight", self.output.weight
