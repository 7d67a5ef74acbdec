#!/usr/bin/env bash
# Every test: native core and engine, the package build and its size budget, the wasm in
# headless Chromium and Firefox, and end to end against a real OpenID provider.
# Installs what it needs first (scripts/deps.sh), idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "installing what the tests need"
bash scripts/deps.sh all
. scripts/env.sh
node --version

step "native: cargo test (protocol core, the engine's decisions, the demo's timesheets API)"
cargo test --locked --workspace

step "fuzz: each target (the core's parsers, engine events, tab messages) for a short, bounded run"
bash scripts/fuzz.sh 15

step "package: build pkg/ and check the size budget"
bash scripts/build-pkg.sh
bash scripts/size.sh --check

step "types: tsc --strict compiles every export as the README uses it (tests/types)"
node_modules/.bin/tsc -p tests/types/tsconfig.json

step "wasm in the browser: wasm-bindgen-test in headless Chromium"
CHROMEDRIVER=$(command -v chromedriver) cargo test --locked --target wasm32-unknown-unknown --test browser

step "wasm in the browser: wasm-bindgen-test in headless Firefox"
GECKODRIVER=$(command -v geckodriver) cargo test --locked --target wasm32-unknown-unknown --test browser

step "end to end: playwright-core + Chromium against oidc-provider"
cargo build --locked -p timesheets-api
node --test --test-concurrency=1 tests/e2e/*.test.mjs
