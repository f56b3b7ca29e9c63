#!/usr/bin/env bash
# Black-box tests of 'gale chat' fed from a pipe: turns, /reset, /exit, continued lines, a full context.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass() { printf '  ok    %s\n' "$1"; }
fail() { printf '  FAIL  %s\n' "$1"; fails=$((fails + 1)); }

m="$tmp/tiny.gguf"
./gale make-model -o "$m" --shape tiny --type Q8_0 2>/dev/null && pass "make-model" || fail "make-model"
chat() { ./gale chat -m "$m" --temperature 0 -n 8 "$@"; }

printf 'hello\nhow are you\n' | chat >"$tmp/two" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && pass "two turns: exit 0" || fail "two turns: rc=$rc $(cat "$tmp/err")"
grep -q '^gale: cpu | 2 turns | prompt [0-9]* tokens.* | generated [0-9]* tokens' "$tmp/err" \
  && pass "two turns: summary on stderr" || fail "two turns: $(cat "$tmp/err")"
gen=$(sed -n 's/.*generated \([0-9]*\) tokens.*/\1/p' "$tmp/err")
[ -n "$gen" ] && [ "$gen" -ge 1 ] && [ "$gen" -le 16 ] && pass "two turns: 1..16 tokens generated ($gen)" || fail "generated: '$gen'"
[ "$(wc -l <"$tmp/two")" -ge 2 ] && [ -s "$tmp/two" ] && pass "two turns: answers on stdout" || fail "stdout: $(od -c "$tmp/two" | head -3)"
grep -qE '^\s+at |Exception' "$tmp/err" && fail "stack trace on stderr" || pass "no stack trace"

printf 'hello\n' | chat >"$tmp/one" 2>/dev/null
printf 'hello\n/reset\nhello\n' | chat >"$tmp/reset" 2>/dev/null
cat "$tmp/one" "$tmp/one" >"$tmp/twice"
cmp -s "$tmp/reset" "$tmp/twice" && pass "/reset: the same message gets the same (greedy) answer" \
  || fail "/reset: $(od -c "$tmp/reset" | head -4) vs $(od -c "$tmp/twice" | head -4)"
head -c "$(wc -c <"$tmp/one")" "$tmp/two" | cmp -s - "$tmp/one" && pass "the first answer does not depend on what follows" \
  || fail "first answers differ"

printf 'hello\n/exit\nhow are you\n' | chat >/dev/null 2>"$tmp/err"
grep -q '| 1 turns |' "$tmp/err" && pass "/exit ends the chat" || fail "/exit: $(cat "$tmp/err")"
printf 'how \\\nare you\n' | chat >/dev/null 2>"$tmp/err"
grep -q '| 1 turns |' "$tmp/err" && pass "a line ending with \\ continues the message" || fail "continuation: $(cat "$tmp/err")"
printf 'hello\n\n\n' | chat --system "be brief" >/dev/null 2>"$tmp/err"
grep -q '| 1 turns |' "$tmp/err" && pass "--system; empty lines are no turns" || fail "--system: $(cat "$tmp/err")"

printf 'hello\nhello again my friend\n' | chat -c 24 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q '^gale: error: the context is full: .*context size is 24; /reset starts a new conversation, or restart with a larger -c' "$tmp/err" \
  && pass "full context: clear error, exit 1" || fail "full context: rc=$rc $(cat "$tmp/err")"

echo "chat.sh: $fails failure(s)"
[ $fails = 0 ]
