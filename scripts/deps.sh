#!/usr/bin/env bash
# Installs what building and testing need, idempotently, on a fresh Debian machine:
#   deps.sh build    Rust wasm target, nightly rust-src, wasm-bindgen-cli (pinned to Cargo.lock), npm tools,
#                    and Node.js 22 under target/node22 when the machine's node is older
# (scripts/fuzz.sh installs cargo-fuzz itself, so the demo does not wait for it.)
#   deps.sh browsers Debian's Chromium + ChromeDriver, Firefox ESR, geckodriver
# Each step is skipped when what it installs is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

wasm_bindgen_version() {
  # The exact version of the wasm-bindgen crate in Cargo.lock; the CLI must match it.
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

build_deps() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
  # The package build uses nightly's build-std (see build-pkg.sh).
  if ! rustup toolchain list | grep -q '^nightly'; then rustup toolchain install nightly --profile minimal; fi
  if ! rustup component list --toolchain nightly --installed | grep -q '^rust-src'; then
    rustup component add rust-src --toolchain nightly
  fi
  if ! rustup target list --toolchain nightly --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown --toolchain nightly
  fi
  [ -f Cargo.lock ] || cargo generate-lockfile
  local want; want=$(wasm_bindgen_version)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    echo "installing wasm-bindgen-cli $want (a few minutes)"
    cargo install wasm-bindgen-cli --version "=$want"
  fi
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/playwright-core ] || [ package.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  node_deps
}

# Node.js 22, the oldest release line oidc-provider 9 supports (it warns on 20), from the
# npm registry's platform package, into target/node22; scripts/env.sh puts it first on PATH.
NODE_MAJOR=22
# The major version of the node binary $1, or 0 when there is none.
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node_deps() {
  local have; have=$(node_major node)
  [ "$have" -ge "$NODE_MAJOR" ] && return
  local arch; arch=$(uname -m); arch=${arch/x86_64/x64}; arch=${arch/aarch64/arm64}
  if [ "$(node_major "target/node22/node_modules/node-linux-$arch/bin/node")" != "$NODE_MAJOR" ]; then
    echo "installing Node.js $NODE_MAJOR into target/node22 (the machine's is $have)"
    npm install --prefix target/node22 --no-save --no-package-lock --no-audit --no-fund "node-linux-$arch@$NODE_MAJOR"
  fi
}

browser_deps() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v firefox-esr >/dev/null || command -v firefox >/dev/null || missing+=(firefox-esr)
  if [ ${#missing[@]} -gt 0 ]; then
    need_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive need_root apt-get install -y -q "${missing[@]}"
  fi
  command -v geckodriver >/dev/null || cargo install geckodriver
}

case "${1:-all}" in
  build) build_deps ;;
  browsers) browser_deps ;;
  all) build_deps; browser_deps ;;
  *) echo "usage: $0 [build|browsers|all]" >&2; exit 2 ;;
esac
