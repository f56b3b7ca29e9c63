#!/usr/bin/env bash
# With no -m, ./gale generate runs the tiny model bundled in models/ and continues a prompt with
# English-looking text, reproducibly for a fixed seed.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
fail() { echo "bundled-model: $*" >&2; exit 1; }

run() { ./gale generate -p "The old man walked into the" -n 30 --seed 1 --format json; }
out=$(run) || fail "gale generate exited with status $?"
json=$(printf '%s\n' "$out" | tail -n 1)
again=$(run | tail -n 1)

# Mostly real words: at least 80% of them among the corpus's 10,000 most frequent words.
python3 - "$json" "$again" src/test/resources/tiny/words.txt <<'PY' || fail "unexpected output: $json"
import json, re, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
known = set(open(sys.argv[3]).read().split())
text = a["text"]
words = [w.strip("'").lower() for w in re.split(r"[^A-Za-z']+", text) if w.strip("'")]
real = [w for w in words if w in known]
print("bundled-model: The old man walked into the" + text)
assert a["seed"] == 1 and len(a["tokens"]) > 0, "no tokens generated"
assert len(words) >= 5, f"only {len(words)} words"
assert len(real) >= 0.8 * len(words), f"{len(real)} of {len(words)} words are real"
assert a["tokens"] == b["tokens"] and a["text"] == b["text"], "seed 1 gave different output on a second run"
PY
echo "bundled-model: ok"
