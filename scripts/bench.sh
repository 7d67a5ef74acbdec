#!/usr/bin/env bash
# The benchmark against auth0-spa-js and oidc-client-ts (versions pinned in package-lock.json).
#   scripts/bench.sh [RUNS]     medians over RUNS runs (bench/run.mjs's default: 9)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/deps.sh browsers
bash scripts/build-pkg.sh
. scripts/env.sh
# Natively, in release: parsing 1 MB hostile bodies (each well under 50 ms).
cargo bench --locked --bench parse
exec node bench/run.mjs "$@"
