#!/usr/bin/env bash
# Builds the package and runs the demo: a local OpenID provider, the demo page and an API.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/build-pkg.sh
exec node examples/demo.mjs
