#!/usr/bin/env bash
# Black-box test of 'gale serve': start it on a free port, wait for /health, ask for a completion and
# a streamed chat answer, check errors, then stop it with SIGTERM (and always clean up).
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null; sleep 1; kill -9 "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
pass() { printf '  ok    %s\n' "$1"; }
fail() { printf '  FAIL  %s\n' "$1"; fails=$((fails + 1)); }
py() { python3 -c "import json,sys; $1" "${@:2}"; }

m="$tmp/tiny.gguf"
./gale make-model -o "$m" --shape tiny --type Q8_0 2>/dev/null && pass "make-model" || fail "make-model"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
./gale serve -m "$m" --port "$port" --temperature 0 --queue 2 >"$tmp/out" 2>"$tmp/err" &
pid=$!
url="http://127.0.0.1:$port"
up=0
for _ in $(seq 1 150); do
  if curl -sf "$url/health" >"$tmp/health" 2>/dev/null; then up=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
if [ $up = 1 ]; then pass "server up on port $port"; else fail "server did not come up: $(cat "$tmp/err")"; echo "server.sh: $fails failure(s)"; exit 1; fi
py 'd=json.load(open(sys.argv[1])); assert d["status"]=="ok" and d["workers"]==1 and d["queue"]==2' "$tmp/health" \
  && pass "/health" || fail "/health: $(cat "$tmp/health")"
grep -q "^gale: serving tiny (cpu, mistral-v3.*on http://127.0.0.1:$port" "$tmp/err" && pass "startup line" || fail "startup: $(cat "$tmp/err")"

code=$(curl -s -o "$tmp/c.json" -w '%{http_code}' "$url/v1/completions" -H 'Content-Type: application/json' \
  -d '{"prompt": "hello world", "max_tokens": 8}')
[ "$code" = 200 ] && py 'd=json.load(open(sys.argv[1])); c=d["choices"][0]; u=d["usage"]
assert d["object"]=="text_completion" and c["finish_reason"] in ("stop","length") and isinstance(c["text"], str)
assert u["completion_tokens"]<=8 and u["total_tokens"]==u["prompt_tokens"]+u["completion_tokens"]' "$tmp/c.json" \
  && pass "completion" || fail "completion: $code $(cat "$tmp/c.json")"
curl -s "$url/v1/completions" -d '{"prompt": "hello world", "max_tokens": 8}' >"$tmp/c2.json"
py 'a, b = (json.load(open(f))["choices"][0]["text"] for f in sys.argv[1:3]); assert a == b, (a, b)' "$tmp/c.json" "$tmp/c2.json" \
  && pass "greedy completion repeats (fresh sequence per request)" || fail "completion differs: $(cat "$tmp/c2.json")"

curl -sN "$url/v1/chat/completions" -d '{"messages": [{"role": "system", "content": "be brief"},
  {"role": "user", "content": "hi"}], "max_tokens": 6, "stream": true}' >"$tmp/sse"
py '
lines=[l for l in open(sys.argv[1]).read().split("\n") if l and not l.startswith(":")]
assert all(l.startswith("data: ") for l in lines), lines
assert lines[-1]=="data: [DONE]", lines[-1]
ev=[json.loads(l[6:]) for l in lines[:-1]]
assert ev[0]["choices"][0]["delta"]["role"]=="assistant"
assert all(e["object"]=="chat.completion.chunk" for e in ev)
assert ev[-1]["choices"][0]["finish_reason"] in ("stop","length")
assert all(e["choices"][0]["finish_reason"] is None for e in ev[:-1])' "$tmp/sse" \
  && pass "streamed chat: data chunks, role first, finish_reason last, [DONE]" || fail "streamed chat: $(head -c 600 "$tmp/sse")"

code=$(curl -s -o "$tmp/e.json" -w '%{http_code}' "$url/v1/chat/completions" -d '{"messages": "hi"}')
[ "$code" = 400 ] && py 'e=json.load(open(sys.argv[1]))["error"]; assert e["code"]==400 and "messages" in e["message"]' "$tmp/e.json" \
  && pass "bad request: 400 with a JSON error" || fail "bad request: $code $(cat "$tmp/e.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/completions" -d '{"prompt": "x"')
[ "$code" = 400 ] && pass "malformed JSON: 400" || fail "malformed JSON: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/nothing")
[ "$code" = 404 ] && pass "unknown path: 404" || fail "unknown path: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/completions")
[ "$code" = 405 ] && pass "GET on a POST endpoint: 405" || fail "wrong method: $code"
curl -sf "$url/v1/models" | py 'd=json.load(sys.stdin); assert d["data"][0]["id"]=="tiny"' && pass "/v1/models" || fail "/v1/models"

[ "$(grep -c '^gale: 127.0.0.1 ' "$tmp/err")" -ge 8 ] && grep -q 'POST /v1/chat/completions 200 .* stream prompt=' "$tmp/err" \
  && pass "one log line per request" || fail "log: $(cat "$tmp/err")"

kill -TERM "$pid"
stopped=0
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || { stopped=1; break; }; sleep 0.2; done
[ $stopped = 1 ] && pass "SIGTERM stops the server" || fail "server still running after SIGTERM"
wait "$pid" 2>/dev/null
grep -qE '^\s+at |Exception in thread' "$tmp/err" && fail "stack trace on stderr: $(cat "$tmp/err")" || pass "no stack trace"

echo "server.sh: $fails failure(s)"
[ $fails = 0 ]
