#!/usr/bin/env python3
"""Writes reference.json with llama.cpp's own Python GGUF package (gguf-py).

It holds metadata of every value type and a few tensors (F32, F16, BF16, Q8_0, Q4_0), quantized by
gguf-py's quants module (bit-exact with ggml's reference quantizers): every key with its type and
value, and every tensor with its type, dims, its bytes as gguf-py stores them, and its values as
decoded by gguf-py (as float32 bit patterns, so NaN and -0 survive JSON). The same keys and tensors
go through gguf-py's writer once (to a temporary file) so that only values it accepts are kept.

Usage: pip install gguf numpy && python3 make_fixture.py   (run in this directory)
"""
import importlib.metadata
import json
import math
import os
import tempfile

import numpy as np
import gguf
from gguf import GGUFValueType as V, GGMLQuantizationType as Q
from gguf.quants import quantize, dequantize

OUT = os.path.join(tempfile.mkdtemp(), "reference.gguf")
w = gguf.GGUFWriter(OUT, arch="llama")
w.add_custom_alignment(64)
meta = []  # (key, type name, JSON value)


def kv(key, vtype, value, sub_type=None, json_value=None):
    w.add_key_value(key, value, vtype, sub_type)
    meta.append({"key": key, "type": vtype.name,
                 "value": json_value if json_value is not None else value,
                 **({"element_type": sub_type.name} if sub_type is not None else {})})


def f32_bits(x):
    return int(np.array([x], dtype=np.float32).view(np.uint32)[0])


kv("test.u8", V.UINT8, 255)
kv("test.i8", V.INT8, -128)
kv("test.u16", V.UINT16, 65535)
kv("test.i16", V.INT16, -32768)
kv("test.u32", V.UINT32, 4294967295)
kv("test.i32", V.INT32, -2147483648)
kv("test.u64", V.UINT64, 2**64 - 1, json_value=str(2**64 - 1))
kv("test.i64", V.INT64, -2**63, json_value=str(-2**63))
kv("test.f32", V.FLOAT32, 0.1, json_value=f32_bits(0.1))
kv("test.f32.inf", V.FLOAT32, math.inf, json_value=f32_bits(math.inf))
kv("test.f32.nan", V.FLOAT32, math.nan, json_value=f32_bits(math.nan))
kv("test.f64", V.FLOAT64, math.pi, json_value=float.hex(math.pi))
kv("test.bool.true", V.BOOL, True)
kv("test.bool.false", V.BOOL, False)
kv("test.str.empty", V.STRING, "")
kv("test.str.unicode", V.STRING, "héllo ▁wörld 世界 🙂")
kv("test.arr.u8", V.ARRAY, [0, 7, 255], sub_type=V.UINT8)
kv("test.arr.i16", V.ARRAY, [-32768, -1, 32767], sub_type=V.INT16)
kv("test.arr.u32", V.ARRAY, [0, 4294967295], sub_type=V.UINT32)
kv("test.arr.i64", V.ARRAY, [-2**63, 2**63 - 1], sub_type=V.INT64,
   json_value=[str(-2**63), str(2**63 - 1)])
kv("test.arr.f32", V.ARRAY, [1.5, -0.25, 3.0e38], sub_type=V.FLOAT32,
   json_value=[f32_bits(v) for v in [1.5, -0.25, 3.0e38]])
kv("test.arr.f64", V.ARRAY, [math.e, -0.0], sub_type=V.FLOAT64,
   json_value=[float.hex(v) for v in [math.e, -0.0]])
kv("test.arr.bool", V.ARRAY, [True, False, True], sub_type=V.BOOL)
kv("test.arr.str", V.ARRAY, ["<unk>", "▁the", "", "🙂"], sub_type=V.STRING)
kv("test.arr.nested", V.ARRAY, [[1, 2, 3], [-4], ["a", "b"]],
   json_value=[{"element_type": "INT32", "values": [1, 2, 3]},
               {"element_type": "INT32", "values": [-4]},
               {"element_type": "STRING", "values": ["a", "b"]}])
# what gguf-py writes by itself: general.architecture (first) and general.alignment
meta.insert(0, {"key": "general.architecture", "type": "STRING", "value": "llama"})
meta.insert(1, {"key": "general.alignment", "type": "UINT32", "value": 64})

rng = np.random.default_rng(20240601)
src = rng.uniform(-1, 1, size=(4, 64)).astype(np.float32) * np.float32([[0.01], [1], [30], [1000]])
# a block whose values land exactly on halves of the Q8_0 step (d = 1): ggml rounds them away from zero
src[1, :32] = np.float32([127, -63.5, 2.5, -2.5, 0.5, -0.5, 1.5, -1.5] + [0] * 24)
src[2, 32:] = 0  # an all-zero block
specials = np.float32([math.inf, -math.inf, 2.0**-24, -0.0, 65504, 1 / 3, 1e-8, 70000])

tensors = []  # (name, ggml type, numpy data, raw dtype)
tensors.append(("src.f32", Q.F32, src, None))
tensors.append(("src.f16", Q.F16, src.astype(np.float16), None))
with np.errstate(over="ignore"):  # 70000 is above the largest half: it becomes infinity
    tensors.append(("specials.f16", Q.F16, specials.astype(np.float16), None))
tensors.append(("src.bf16", Q.BF16, quantize(src, Q.BF16), Q.BF16))
tensors.append(("src.q8_0", Q.Q8_0, quantize(src, Q.Q8_0), Q.Q8_0))
tensors.append(("src.q4_0", Q.Q4_0, quantize(src, Q.Q4_0), Q.Q4_0))
tensors.append(("cube.f32", Q.F32, np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 12, None))

expected_tensors = []
for name, qtype, data, raw in tensors:
    w.add_tensor(name, data, raw_dtype=raw)
    if raw is None:
        values = data.astype(np.float32)
        shape = data.shape
    else:
        values = dequantize(data, qtype)
        shape = values.shape
    expected_tensors.append({
        "name": name, "type": qtype.name,
        "dims": list(reversed(shape)),  # GGML order: innermost first
        "source": "src.f32" if name.startswith("src.") else None,
        "float_bits": [int(b) for b in values.astype(np.float32).reshape(-1).view(np.uint32)],
        "data_hex": np.ascontiguousarray(data).tobytes().hex(),  # the tensor's bytes as gguf-py stores them
    })

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
os.remove(OUT)  # gguf-py accepted it all; the test assembles the file from the JSON (see README.md)

with open("reference.json", "w") as f:
    json.dump({"made_with": "gguf-py " + importlib.metadata.version("gguf") + ", numpy " + np.__version__,
               "metadata": meta, "tensors": expected_tensors}, f, indent=1)
print("wrote reference.json")
