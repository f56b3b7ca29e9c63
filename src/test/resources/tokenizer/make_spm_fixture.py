#!/usr/bin/env python3
"""Makes the SentencePiece cross-check fixture for SentencePieceCrossCheckTest.

Trains a small SentencePiece BPE model with byte fallback, stores its vocabulary (pieces, scores,
token types) as a tensor-less GGUF the way llama.cpp's converter does for Llama/Mistral
(tokenizer.ggml.model = "llama"), and records SentencePiece's own encoding of a few hundred varied
strings. Gale's test then checks that Gale's tokenizer gives the same ids. Needs:
    pip install sentencepiece numpy
Run from this directory:  python3 make_spm_fixture.py
Outputs: spm-bpe-vocab.json, spm-bpe-cases.json (the SentencePiece model itself goes to a temporary directory).

Training text: README/NEWS/*.md files under /usr/share/doc (Debian package docs, so the learned
vocabulary depends on the machine's installed packages) plus generated multilingual sentences. The
committed fixture is self-consistent whatever the vocabulary turned out to be.

SentencePiece options are chosen so that SentencePiece and llama.cpp must agree:
  normalization_rule_name=identity  llama.cpp does not normalize (no NFKC)
  remove_extra_whitespaces=False    llama.cpp keeps every space
  add_dummy_prefix=True             = tokenizer.ggml.add_space_prefix (llama.cpp's default)
  byte_fallback=True                characters without a piece become <0xNN> tokens in both
  control_symbols [INST], [/INST]   SentencePiece never reads control symbols from text; llama.cpp
                                    does not either unless parse_special, which the test leaves off
  no user_defined_symbols           llama.cpp puts a space prefix on the text after one, SentencePiece
                                    does not: they would disagree by design
Known differences avoided here: llama.cpp merges into UNUSED pieces (SentencePiece resegments
them; a trained model has none) and into CONTROL/BYTE pieces when the text spells them and the
intermediate pieces exist (SentencePiece never does; the cases include such texts to show this
does not happen with this vocabulary).
"""
import glob
import gzip
import json
import os
import random
import shutil
import tempfile

import numpy as np
import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = tempfile.mkdtemp(prefix="spm-fixture-")
MODEL_PREFIX = os.path.join(WORK, "spm-bpe")

WORDS_ML = ("élève déjà où garçon naïve fête château crème brûlée Größe Straße über schön Mädchen "
            "niño mañana corazón acción São Paulo Zürich Ærø smörgåsbord 한국어 안녕하세요 감사합니다 사랑 "
            "日本語 東京 中文 你好 Москва привет Ελλάδα naïveté café résumé coöperate").split()
EMOJI = ["😀", "🎉", "👍🏽", "❤️", "🇫🇷", "👨‍👩‍👧", "✓", "→", "€", "™"]


def doc_text(limit=4_000_000):
    paths = sorted(p for pattern in ("README*", "NEWS*", "*.md", "*.md.gz", "*.txt")
                   for p in glob.glob("/usr/share/doc/*/" + pattern))
    out, size = [], 0
    for p in paths:
        if os.path.isdir(p):
            continue
        try:
            raw = gzip.open(p).read() if p.endswith(".gz") else open(p, "rb").read()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError, EOFError):
            continue
        out.append(text)
        size += len(text)
        if size > limit:
            break
    return "\n".join(out)


def multilingual(rnd, n):
    lines = []
    for _ in range(n):
        words = [rnd.choice(WORDS_ML) for _ in range(rnd.randint(3, 12))]
        if rnd.random() < 0.2:
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(EMOJI))
        lines.append(" ".join(words) + rnd.choice([".", "!", "?", "", " 2024.", ", 3.14"]))
    return "\n".join(lines)


def train(rnd):
    corpus = os.path.join(WORK, "spm-train.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write(doc_text())
        f.write("\n")
        f.write(multilingual(rnd, 20000))
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=MODEL_PREFIX, model_type="bpe", vocab_size=2000,
        byte_fallback=True, character_coverage=0.9995, normalization_rule_name="identity",
        add_dummy_prefix=True, remove_extra_whitespaces=False, split_digits=True,
        allow_whitespace_only_pieces=True, max_sentencepiece_length=16,
        control_symbols=["[INST]", "[/INST]"], unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        num_threads=1, max_sentence_length=100000, input_sentence_size=0, minloglevel=2)
    os.remove(corpus)
    return spm.SentencePieceProcessor(model_file=MODEL_PREFIX + ".model")


def write_vocabulary(sp):
    """The tokenizer.ggml.* keys llama.cpp's converter would write, as JSON (the test writes the GGUF)."""
    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(float(np.float32(sp.get_score(i))))
        # GGUF token types as llama.cpp's converter assigns them
        types.append(2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 5 if sp.is_unused(i)
                     else 6 if sp.is_byte(i) else 1)
    vocab = {"tokens": tokens, "scores": scores, "token_type": types,
             "bos_token_id": 1, "eos_token_id": 2, "unknown_token_id": 0,
             "add_bos_token": True, "add_eos_token": False, "add_space_prefix": True}
    with open(os.path.join(HERE, "spm-bpe-vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False, indent=0)


def cases(rnd):
    fixed = [
        "", " ", "  ", "   ", "a", " a", "a ", "  a  b   c ", "\t", "\ta\tb", "\n", "a\nb", "a\n\nb\n",
        "line one\r\nline two\r\n", "Hello, world!", "The quick brown fox jumps over the lazy dog.",
        "0", "42", "2024-06-01", "3.14159", "1,234,567.89", "x = 1e-10", "v2.0.1-rc3",
        "for (int i = 0; i < n; i++) {", "    return x;\n}", "def f(x):\n    return x ** 2\n",
        "#include <stdio.h>", "if (a && b || !c) { printf(\"%d\\n\", a); }", "<div class=\"x\">&amp;</div>",
        "https://example.org/path?query=1&b=2#frag", "user@example.com", "C:\\Windows\\System32",
        "café", "cafe\u0301", "naïve résumé", "Größe", "Ærø", "ÅÄÖ åäö", "ñ", "élève déjà où",
        "한국어", "안녕하세요 세계", "日本語のテキスト", "中文", "Москва", "Ελλάδα", "עברית", "العربية",
        "😀", "a😀b", "😀😀😀", "👍🏽", "🇫🇷", "👨‍👩‍👧", "❤️", "€100", "™", "→ ✓",
        "[INST]", "[INST] Hello [/INST]", "<s>", "</s>", "<unk>", "<0x41>", "<s>[INST] hi [/INST]</s>",
        "\u0000", "a\u0000b", "\u00a0", "a\u00a0b", "\u200b", "\ufeffBOM", "\u2028", "\uFFFD",
        "▁", "a▁b", "▁▁", "ab" * 40, "a" * 100, " " * 30, "\n" * 5, "A" * 17 + " " + "Z" * 17,
    ]
    rnd_cases = []
    pool = ("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?'\"()[]{}<>/\\|-_=+*&^%$#@~`"
            " \t\n éèêàçñöüß한국어日本😀🎉€")
    for _ in range(150):
        rnd_cases.append("".join(rnd.choice(pool) for _ in range(rnd.randint(1, 40))))
    for _ in range(60):
        rnd_cases.append(multilingual(rnd, 1))
    copyright = sorted(glob.glob("/usr/share/doc/*/copyright"))
    lines = []
    for p in copyright[::7]:
        try:
            lines += [l for l in open(p, encoding="utf-8").read().splitlines() if l.strip()]
        except (OSError, UnicodeDecodeError):
            pass
    rnd_cases += rnd.sample(lines, min(100, len(lines)))
    return fixed + rnd_cases


def main():
    rnd = random.Random(20240601)
    sp = train(rnd)
    write_vocabulary(sp)
    out = [{"text": s, "ids": sp.encode(s)} for s in cases(rnd)]
    with open(os.path.join(HERE, "spm-bpe-cases.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "make_spm_fixture.py", "sentencepiece": spm.__version__, "cases": out},
                  f, ensure_ascii=True, indent=0)
    shutil.rmtree(WORK)
    print(len(out), "cases,", sp.get_piece_size(), "pieces")


if __name__ == "__main__":
    main()
