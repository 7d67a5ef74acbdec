#!/usr/bin/env bash
# Builds the package and the timesheets API, then runs the demo: a local OpenID
# provider, the API and the demo page.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/build-pkg.sh
. scripts/env.sh
cargo build --locked -p timesheets-api
exec node examples/demo.mjs
