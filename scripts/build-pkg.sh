#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm, wasm-bindgen glue (--target web,
# which works in a plain <script type="module">, Vite and webpack alike), wasm-opt -Oz,
# and one minified module of the glue and the effect loop (pkg-template/index.js), so
# the browser fetches two files, not three in a waterfall. Prints the shipped gzip -9 size.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
. scripts/env.sh

# Nightly's immediate-abort panic strategy with a rebuilt std drops every panic message
# and the core::fmt paths behind them (-9 KB gzipped); std's optimize_for_size, no Debug
# formatting (the SDK never prints Debug at run time) and no panic locations take
# another 1.5 KB. A panic still traps, exactly as with panic=abort; the fuzzers keep
# panics out of the core.
# getrandom's backend is src/wasm.rs's crypto.getRandomValues (as in .cargo/config.toml,
# which RUSTFLAGS overrides). No JsValue crosses, so reference types buy nothing, and
# without multivalue a returned string comes back through the stack: with both off the
# wasm drops wasm-bindgen's externref table and its initialiser (-48 bytes in all).
# LLVM's inliner may take a callee of cost 8 rather than -Oz's 5 (-124 bytes shipped; 12
# and above cost +208, in the README's size section).
RUSTFLAGS="-Ctarget-feature=-reference-types,-multivalue -Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none -Cllvm-args=-inline-threshold=8 --cfg getrandom_backend=\"custom\"" \
  cargo +nightly build --release --target wasm32-unknown-unknown --lib \
  -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size --target-dir target/pkg
rm -rf pkg target/pkg-js && mkdir -p pkg target/pkg-js
wasm-bindgen --target web --no-typescript --out-dir target/pkg-js --out-name spa_auth \
  target/pkg/wasm32-unknown-unknown/release/spa_auth.wasm
# Rust enables these wasm features by default; wasm-opt must be told it may keep them.
# --converge repeats -Oz until nothing shrinks; the memory assumptions hold for Rust's
# wasm32 layout (a fresh, zero-filled memory whose first KB is the bottom of a 1 MB stack
# that the bounded-depth parsers never reach); producers and target features are
# metadata no browser reads. Together: -0.7 KB gzipped. Flattening and re-looping the
# control flow first lets -Oz find more to fold (-0.5 KB). A function with one caller is
# inlined into it only when it is tiny (20 bytes): the wasm is 1.5 KB larger raw but 0.9 KB
# smaller gzipped (calls to shared code compress; inlined copies specialise and do not),
# and the browser, which compiles each function on its first call, compiles less at once.
opt() {
  node_modules/.bin/wasm-opt --flatten --rereloop -Oz -Oz --converge -ocimfs=20 --low-memory-unused --zero-filled-memory \
    --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals "$@"
}
# Twice: once with names, to see the optimized functions; then again with the functions in
# the order that gzips best (scripts/order-functions.mjs: -0.4 KB).
opt -g target/pkg-js/spa_auth_bg.wasm -o target/pkg-js/named.wasm
node scripts/order-functions.mjs target/pkg-js/named.wasm target/pkg-js/spa_auth_bg.wasm target/pkg-js/ordered.wasm
opt --reorder-functions-by-name target/pkg-js/ordered.wasm -o pkg/spa_auth_bg.wasm
# The package's boundary with the wasm is pkg-template/abi.js, not the module wasm-bindgen
# generates (-0.3 KB gzipped, in the README's size history). abi.js assumes the ABI below;
# if a wasm-bindgen upgrade or a change to src/wasm.rs's signatures changes any of it, the
# build stops here.
node -e '
  const js = require("fs").readFileSync(process.argv[1], "utf8");
  for (const line of [
    "wasm.cached(retptr, val3, ptr0, len0, ptr1, len1, val4);",
    "wasm.create(retptr, ptr0, len0);",
    "wasm.handle(retptr, val2, ptr0, len0, val3);",
    "wasm.release(id);",
    "const retptr = wasm.__wbindgen_add_to_stack_pointer(-16) >>> 0;",
    "var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);",
    "var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);",
    "if (r0 !== 0) {",
    "wasm.__wbindgen_free(r0, r1 * 1, 1);",
    "wasm.__wbindgen_free(deferred4_0, deferred4_1, 1);",
    "wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);",
    "ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;",
    "ptr = realloc(ptr, len, offset, 1) >>> 0;",
    "let ptr = malloc(len, 1) >>> 0;",
    "random_fill(getArrayU8FromWasm0(arg0, arg1));",
    "function(arg0, arg1, arg2) {\n            const ret = ss_get(getStringFromWasm0(arg1, arg2));",
    "var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);",
    "getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);",
    "getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);",
    "function(arg0) {\n            const ret = ss_keys();",
    "ss_remove(getStringFromWasm0(arg0, arg1));",
    "const ret = ss_set(getStringFromWasm0(arg0, arg1), getStringFromWasm0(arg2, arg3));",
  ]) if (!js.includes(line)) throw new Error(`the generated glue changed; check pkg-template/abi.js against it: ${line}`);
  const imports = js.match(/__wbg_\w+_[0-9a-f]{16}(?=:)/g).map((n) => n.replace(/^__wbg_|_[0-9a-f]{16}$/g, "")).sort().join(" ");
  if (imports !== "random_fill ss_get ss_keys ss_remove ss_set") throw new Error(`the wasm imports ${imports}`);' target/pkg-js/spa_auth.js
cp pkg-template/index.js pkg-template/abi.js target/pkg-js/
# esbuild bundles and minifies; terser's three compress passes then find another 2% of the
# JS (-0.1 KB gzipped), with its safe defaults only.
terse() { node_modules/.bin/terser "$1" --module --ecma 2022 -c passes=3 -m -o "$1"; }
node_modules/.bin/esbuild target/pkg-js/index.js --bundle --minify --format=esm --log-level=warning --external:./dpop.js --outfile=pkg/index.js
terse pkg/index.js
# wasm-bindgen's import names carry 16-hex-digit hashes that gzip cannot compress: the
# wasm and the module share short names instead (-0.5 KB).
node scripts/minify-names.mjs pkg/spa_auth_bg.wasm pkg/index.js
# The framework bindings are subpath modules of their own: an app that does not import one
# ships none of it; one that does shares the client module above.
node_modules/.bin/esbuild pkg-template/react.js --bundle --minify --format=esm --log-level=warning \
  --external:react --external:./index.js --outfile=pkg/react.js
terse pkg/react.js
# DPoP's key and proofs: loaded by the client only with `useDpop`.
node_modules/.bin/esbuild pkg-template/dpop.js --bundle --minify --format=esm --log-level=warning --outfile=pkg/dpop.js
terse pkg/dpop.js
node_modules/.bin/esbuild pkg-template/vue.js --bundle --minify --format=esm --log-level=warning \
  --external:vue --external:./index.js --outfile=pkg/vue.js
terse pkg/vue.js
cp pkg-template/package.json pkg-template/index.d.ts pkg-template/react.d.ts pkg-template/vue.d.ts pkg-template/README.md \
  LICENSE-MIT LICENSE-APACHE CHANGELOG.md pkg/
# What `npm install` takes, as a user installs it: pkg/spa-auth-<version>.tgz.
(cd pkg && npm pack --silent >/dev/null)

bash scripts/size.sh
