#!/usr/bin/env bash
# Black-box tests of the gale command, run as a user would: generate, tokenize, info, make-model,
# and clear one-line errors (non-zero exit, no stack trace) for bad input.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass() { printf '  ok    %s\n' "$1"; }
fail() { printf '  FAIL  %s\n' "$1"; fails=$((fails + 1)); }
json() { python3 -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print($1)"; }

# expect_error NAME PATTERN CMD...: non-zero exit, stderr names the problem in one 'gale: error:' line, no stack trace
expect_error() {
  local name=$1 pattern=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -eq 0 ]; then fail "$name: exit 0"; return; fi
  if ! grep -q "^gale: error: .*$pattern" "$tmp/err"; then fail "$name: stderr lacks '$pattern': $(head -c 400 "$tmp/err")"; return; fi
  if grep -qE '^\s+at |Exception in thread' "$tmp/err"; then fail "$name: stack trace on stderr"; return; fi
  pass "$name"
}

m="$tmp/tiny.gguf"
./gale make-model -o "$m" --shape tiny --type Q4_0 2>/dev/null && pass "make-model" || fail "make-model"

out=$(./gale generate -m "$m" -p "hello world" -n 12 --temperature 0 --format json 2>/dev/null)
[ "$(echo "$out" | json 'len(d["tokens"])')" = 12 ] && pass "generate json: 12 tokens" || fail "generate json: $out"
[ "$(echo "$out" | json 'd["prompt_tokens"][0]')" = 1 ] && pass "generate json: BOS first" || fail "generate json: BOS"
echo "$out" | json 'd["timings"]["decode_tok_s"] > 0 and d["timings"]["prefill_tok_s"] > 0 and "load_ms" in d["timings"]' | grep -q True \
  && pass "generate json: timings" || fail "generate json: timings"
again=$(./gale generate -m "$m" -p "hello world" -n 12 --temperature 0 --format json 2>/dev/null)
[ "$(echo "$out" | json 'd["tokens"]')" = "$(echo "$again" | json 'd["tokens"]')" ] && pass "greedy is deterministic" || fail "greedy differs"
# Q4_0 repacked for the 8-bit decode kernel (AVX-512 CPUs): written to the cache directory on first
# use, read back after (same tokens), not written with -Dgale.cpu.repack=off
c1=$(XDG_CACHE_HOME="$tmp/cache" ./gale generate -m "$m" -p "hello world" -n 12 --temperature 0 --format json 2>/dev/null | json 'd["tokens"]')
c2=$(XDG_CACHE_HOME="$tmp/cache" ./gale generate -m "$m" -p "hello world" -n 12 --temperature 0 --format json 2>/dev/null | json 'd["tokens"]')
[ -n "$c1" ] && [ "$c1" = "$c2" ] && pass "repack cache: same tokens written and read back" || fail "repack cache: $c1 vs $c2"
if grep -qw avx512bw /proc/cpuinfo 2>/dev/null && grep -qw avx512f /proc/cpuinfo; then
  n=$(ls "$tmp/cache/gale/"*.repacked 2>/dev/null | wc -l)
  [ "$n" = 1 ] && pass "repack cache: one file" || fail "repack cache: $n files in $tmp/cache/gale"
fi
off=$(XDG_CACHE_HOME="$tmp/cache-off" GALE_JAVA_OPTS=-Dgale.cpu.repack=off ./gale generate -m "$m" -p "hello world" -n 12 --temperature 0 --format json 2>/dev/null | json 'len(d["tokens"])')
[ "$off" = 12 ] && [ ! -e "$tmp/cache-off/gale" ] && pass "repack off: no cache" || fail "repack off: $off tokens"
s1=$(./gale generate -m "$m" -p "hi" -n 16 --seed 5 --format json 2>/dev/null | json 'd["tokens"]')
s2=$(./gale generate -m "$m" -p "hi" -n 16 --seed 5 --format json 2>/dev/null | json 'd["tokens"]')
[ "$s1" = "$s2" ] && pass "seed reproduces" || fail "seed: $s1 vs $s2"

./gale generate -m "$m" -p "hello" -n 5 --seed 1 >"$tmp/out" 2>"$tmp/err"
[ $? = 0 ] && grep -q "tok/s" "$tmp/err" && pass "generate text: speed on stderr" || fail "generate text: $(cat "$tmp/err")"

printf 'from a file' > "$tmp/prompt.txt"
./gale generate -m "$m" -f "$tmp/prompt.txt" -n 3 --format json 2>/dev/null | json 'len(d["prompt_tokens"]) > 1' | grep -q True \
  && pass "generate -f" || fail "generate -f"

tok=$(./gale tokenize -m "$m" -p "the cat" --format json 2>/dev/null)
[ "$(echo "$tok" | json 'd["tokens"][0]')" = 1 ] && [ "$(echo "$tok" | json 'len(d["tokens"]) == len(d["pieces"])')" = True ] \
  && pass "tokenize json" || fail "tokenize json: $tok"
ctl=$(./gale tokenize -m "$m" -p "[INST]" --parse-special --format json 2>/dev/null | json 'd["tokens"]')
[ "$ctl" = "[1, 3]" ] && pass "tokenize --parse-special: [INST] is one control token" || fail "parse-special: $ctl"
plain=$(./gale tokenize -m "$m" -p "[INST]" --format json 2>/dev/null | json '3 in d["tokens"]')
[ "$plain" = False ] && pass "tokenize: [INST] is text without --parse-special" || fail "no parse-special: $plain"

./gale info -m "$m" >"$tmp/out" 2>&1 && grep -q "blk.0.attn_q.weight *Q4_0" "$tmp/out" && grep -q "llama.block_count" "$tmp/out" \
  && pass "info" || fail "info: $(head -5 "$tmp/out")"

# errors
expect_error "missing model file" "no such file" ./gale generate -m "$tmp/nope.gguf" -p hi
head -c 100 /dev/urandom > "$tmp/garbage.gguf"
expect_error "not a GGUF file" "not a GGUF file" ./gale generate -m "$tmp/garbage.gguf" -p hi
head -c 2000 "$m" > "$tmp/truncated.gguf"
expect_error "truncated GGUF" "truncated\|past the end" ./gale info -m "$tmp/truncated.gguf"
expect_error "prompt longer than the context" "context size is 4" ./gale generate -m "$m" -p "a b c d e f g h" -c 4
expect_error "unknown backend" "unknown backend" ./gale generate -m "$m" -p hi --backend quantum
expect_error "bad top-p" "top-p" ./gale generate -m "$m" -p hi --top-p 1.5
expect_error "bad format" "format" ./gale generate -m "$m" -p hi --format xml
./gale generate -m "$m" -p hi --no-such-flag >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "Unknown option" "$tmp/err" && pass "unknown flag: exit 2" || fail "unknown flag: rc=$rc $(cat "$tmp/err")"
# TornadoVM backends: with an SDK, run one; without, a clear message and a non-zero exit
. tasks/lib/env.sh
expect_error "two TornadoVM backends at once" "one TornadoVM backend per run" \
  ./gale generate -m "$m" -p hi --backend opencl,ptx
if sdk=$(gale_find_tornado); then
  backends=$(gale_tornado_backends "$sdk")
  first=${backends%% *}
  ./gale devices >"$tmp/out" 2>"$tmp/err" && grep -q -- "--device 0" "$tmp/out" \
    && pass "devices lists the $first devices" || fail "devices: $(cat "$tmp/out" "$tmp/err")"
  dev=$(./gale generate -m "$m" -p "hello world" -n 12 --temperature 0 --format json --backend "$first" 2>"$tmp/err")
  # the device computes in float, so compare with the CPU backend's float-activation path
  exact=$(GALE_JAVA_OPTS=-Dgale.cpu.activations=f32 ./gale generate -m "$m" -p "hello world" -n 12 --temperature 0 --format json 2>/dev/null)
  [ "$(echo "$dev" | json 'd["tokens"]')" = "$(echo "$exact" | json 'd["tokens"]')" ] \
    && pass "generate --backend $first: the cpu's greedy tokens" || fail "generate --backend $first: $dev $(cat "$tmp/err")"
  expect_error "--device out of range" "does not exist" ./gale generate -m "$m" -p hi --backend "$first" --device 99
  for b in opencl ptx spirv; do
    if [[ " $backends " != *" $b "* ]]; then
      expect_error "--backend $b missing from the SDK" "has no $b backend" ./gale generate -m "$m" -p hi --backend "$b"
    fi
  done
fi
TORNADOVM_HOME=/nonexistent expect_error "opencl without TornadoVM" "needs the TornadoVM SDK" \
  ./gale generate -m "$m" -p hi --backend opencl
TORNADOVM_HOME=/nonexistent expect_error "devices without TornadoVM" "needs the TornadoVM SDK" ./gale devices

# bench: llama-bench-like table, JSON and CSV
out=$(./gale bench -m "$m" -p 16 -n 4 -r 1 -t 1 --format json 2>/dev/null)
echo "$out" | json 'd["pp_tok_s"] > 0 and d["tg_tok_s"] > 0 and d["n_prompt"] == 16 and d["n_gen"] == 4' | grep -q True \
  && pass "bench json: pp_tok_s, tg_tok_s" || fail "bench json: $out"
out=$(./gale bench -m "$m" -p 16 -n 4 -r 1 -t 1 --format csv 2>/dev/null)
[ "$(echo "$out" | wc -l)" = 2 ] && echo "$out" | head -1 | grep -q '^model,type,size_bytes,backend,threads,.*pp_tok_s.*tg_tok_s' \
  && pass "bench csv: header and one row" || fail "bench csv: $out"
./gale bench -m "$m" -p 16 -n 4 -r 1 -t 1 2>/dev/null | grep -q "prefill tok/s" && pass "bench table" || fail "bench table"
expect_error "bench with an unknown backend" "unknown backend" ./gale bench -m "$m" -p 4 -n 2 -r 1 --backend warp

# context-sweep on the bundled model (6 layers, W = 128, 2 KV heads x 32): with the window the cache
# stays at layers x W x kv_dim x 2 x 4 bytes = 0.375 MiB past W; with full attention it grows
out=$(./gale context-sweep --lengths 64,256,384 --decode 2 -t 1 --format json 2>/dev/null)
echo "$out" | json '[r["kv_cache_mib"] for r in d["rows"]][1:] == [0.375, 0.375] and all(r["window"] == 128 and r["decode_cpu_ms"] > 0 for r in d["rows"])' \
  | grep -q True && pass "context-sweep: rolling cache stays at W slots" || fail "context-sweep window: $out"
out=$(./gale context-sweep --lengths 64,384 --decode 2 -t 1 --sliding-window 0 --format json 2>/dev/null)
echo "$out" | json 'd["rows"][0]["window"] == 0 and d["rows"][1]["kv_cache_mib"] > 0.375' | grep -q True \
  && pass "context-sweep: full attention cache grows" || fail "context-sweep full: $out"

echo "cli.sh: $fails failure(s)"
[ $fails = 0 ]
