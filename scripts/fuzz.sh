#!/usr/bin/env bash
# Fuzzes the protocol core's parsers with cargo-fuzz (libFuzzer, nightly).
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 60; CI runs a short bounded pass
# Seeds in fuzz/seeds/<target> are copied into the working corpus (fuzz/corpus, not committed).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
cargo +nightly fuzz build
for target in callback jwt token_response stored engine_events tab_messages; do
  mkdir -p "corpus/$target"
  cp -n seeds/$target/* "corpus/$target/" 2>/dev/null || true
  echo "fuzzing $target for ${seconds}s"
  cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=131072 2>&1 \
    | grep -E '^Done|panicked|ERROR|SUMMARY|crash-|Test unit written' || true
  # cargo fuzz exits non-zero on a crash; the grep above must not hide it.
  if ls "artifacts/$target"/crash-* >/dev/null 2>&1; then echo "fuzz: $target crashed" >&2; exit 1; fi
done
