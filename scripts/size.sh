#!/usr/bin/env bash
# Prints what an app ships, in gzip -9 bytes: the .wasm and the one JS module (glue + effect loop + API).
# With --check, fails when the total exceeds the budget in size-budget.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
total=0
for f in pkg/spa_auth_bg.wasm pkg/index.js; do
  n=$(gzip -9c "$f" | wc -c)
  printf '  %-22s %7d bytes raw %7d bytes gzip -9\n' "$(basename "$f")" "$(wc -c <"$f")" "$n"
  total=$((total + n))
done
budget=$(grep -Eo '^[0-9]+' size-budget.txt | head -n 1)
printf 'spa-auth ships %d bytes gzip -9 (%.1f KB); budget %d\n' "$total" "$(echo "$total/1024" | bc -l)" "$budget"
# The bindings and DPoP's module: loaded only by apps that use them, each on top of the total above.
all=$total
# DPoP's module is loaded only by a client with useDpop.
for f in pkg/dpop.js pkg/react.js pkg/vue.js; do
  [ -f "$f" ] || continue
  n=$(gzip -9c "$f" | wc -c)
  all=$((all + n))
  printf '  module  %-14s %7d bytes raw %7d bytes gzip -9\n' "$(basename "$f")" "$(wc -c <"$f")" "$n"
done
printf 'pkg/ .wasm and .js together, both bindings included: %d bytes gzip -9\n' "$all"
[ -f pkg/dpop.js ] && printf 'with useDpop (+ dpop.js): %d bytes gzip -9\n' "$((total + $(gzip -9c pkg/dpop.js | wc -c)))"
if [ "${1:-}" = "--check" ] && [ "$total" -gt "$budget" ]; then
  echo "size budget exceeded: $total > $budget bytes (size-budget.txt)" >&2
  exit 1
fi
