#!/usr/bin/env python3
"""Writes the K-quant cross-check fixtures: random Q4_K / Q5_K / Q6_K blocks and their values as
dequantized by the gguf Python package (gguf.quants, numpy), independent of Gale.

For each type T this writes <t>.blocks (the raw GGML blocks) and <t>.f32 (the dequantized values,
little-endian float32, 256 per block). Every byte pattern is a valid block, so the quantized bytes
are random; only the F16 super-block scales are chosen, to cover ordinary, negative, tiny,
subnormal, zero and large values without infinities or NaNs. gguf-py (0.19) has no quantizer for
these types, so the blocks do not come from a quantizer.

    pip install gguf numpy && python3 make_fixtures.py
"""
import os

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCKS = 8
# F16 super-block scales (d, dmin) per block: ordinary, negative, tiny, subnormal, zero, large
SCALES = [(0.0123, 0.0071), (0.5, 0.25), (-0.037, 0.0152), (3.1e-5, 1.7e-5),
          (6.0e-8, 2.4e-7), (0.0, 0.031), (0.021, 0.0), (517.0, -13.25)]

# (type, bytes per block, byte offsets of d and dmin, or None)
LAYOUTS = [(T.Q4_K, 144, 0, 2), (T.Q5_K, 176, 0, 2), (T.Q6_K, 210, 208, None)]


def main():
    rng = np.random.default_rng(20240605)
    for qtype, size, d_at, dmin_at in LAYOUTS:
        blocks = rng.integers(0, 256, size=(BLOCKS, size), dtype=np.uint8)
        for b, (d, dmin) in enumerate(SCALES):
            blocks[b, d_at:d_at + 2] = np.array([d], dtype=np.float16).view(np.uint8)
            if dmin_at is not None:
                blocks[b, dmin_at:dmin_at + 2] = np.array([dmin], dtype=np.float16).view(np.uint8)
        values = quants.dequantize(blocks.reshape(-1), qtype).astype("<f4", copy=False)
        assert values.dtype == np.float32 and values.size == BLOCKS * 256
        assert np.all(np.isfinite(values))
        name = qtype.name.lower()
        blocks.tofile(os.path.join(HERE, name + ".blocks"))
        values.tofile(os.path.join(HERE, name + ".f32"))
        print(f"{name}: {BLOCKS} blocks, values in [{values.min():g}, {values.max():g}]")


if __name__ == "__main__":
    main()
