// Shortens the names the wasm and its JS module share: wasm-bindgen gives every import a
// 16-hex-digit hash (`__wbg_getItem_3efa1059e71852cc`) and a module name
// (`./spa_auth_bg.js`), which gzip cannot compress. pkg-template/abi.js names each import
// without the prefix and hash (`getItem`); each import and export is then renamed to a
// short name in the wasm's import and export sections and, word for word, in the bundled
// module. Exports the module never names are dropped (their functions stay, called from
// within). Nothing else changes: the same functions are bound to the same imports.
//   node scripts/minify-names.mjs pkg/spa_auth_bg.wasm pkg/index.js
import fs from 'node:fs';
import { leb, readU32 } from './wasm-leb.mjs';

const [wasmPath, jsPath] = process.argv.slice(2);
const bytes = fs.readFileSync(wasmPath);
let js = fs.readFileSync(jsPath, 'utf8');

let pos = 8;
const u32 = () => {
  let n;
  [n, pos] = readU32(bytes, pos);
  return n;
};
const str = () => {
  const len = u32();
  const s = bytes.subarray(pos, pos + len).toString('utf8');
  pos += len;
  return s;
};
const enc = (s) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];

// Short names, skipping any that already occur in the module as words.
let counter = 0;
const fresh = () => {
  for (;;) {
    const name = `w${(counter++).toString(36)}`;
    if (!new RegExp(`\\b${name}\\b`).test(js)) return name;
  }
};
const renames = new Map();
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const patternOf = (old) => (old.startsWith('.') ? new RegExp(escape(old), 'g') : new RegExp(`(?<![\\w$])${escape(old)}(?![\\w$])`, 'g'));
// `memory` is a word the module uses for other things too; a name the module never
// mentions is left as it is.
const rename = (old) => {
  if (old === 'memory' || !patternOf(old).test(js)) return old;
  if (!renames.has(old)) renames.set(old, fresh());
  return renames.get(old);
};

const out = [bytes.subarray(0, 8)];
while (pos < bytes.length) {
  const id = bytes[pos++];
  const size = u32();
  const end = pos + size;
  if (id !== 2 && id !== 7) {
    out.push(Buffer.from([id, ...leb(size)]), bytes.subarray(pos, end));
    pos = end;
    continue;
  }
  const count = u32();
  const body = [];
  let kept = 0;
  for (let i = 0; i < count; i++) {
    if (id === 2) {
      const module = str();
      // The module's imports carry wasm-bindgen's names without its prefix and hash.
      const field = str().replace(/^__wbg_(\w+)_[0-9a-f]{16}$/, '$1');
      if (!patternOf(field).test(js)) throw new Error(`the module provides no import ${field}`);
      body.push(...enc(rename(module)), ...enc(rename(field)));
      kept++;
      const kind = bytes[pos];
      const start = pos;
      pos += 1;
      // The import's type: a function index, a table, a memory or a global.
      if (kind === 0) u32();
      else if (kind === 1) { pos += 1; const flags = u32(); u32(); if (flags & 1) u32(); }
      else if (kind === 2) { const flags = u32(); u32(); if (flags & 1) u32(); }
      else if (kind === 3) pos += 2;
      else throw new Error(`unknown import kind ${kind}`);
      body.push(...bytes.subarray(start, pos));
    } else {
      const field = str();
      const start = pos;
      pos += 1;
      u32();
      // An export the module never uses (getrandom's hook, the abort flags) is only a name.
      if (field !== 'memory' && !patternOf(field).test(js)) continue;
      body.push(...enc(rename(field)), ...bytes.subarray(start, pos));
      kept++;
    }
  }
  if (pos !== end) throw new Error(`section ${id} not read to its end`);
  const section = [...leb(kept), ...body];
  out.push(Buffer.from([id, ...leb(section.length), ...section]));
}

// Longest names first, so no name is replaced inside another.
for (const [old, short] of [...renames].sort((a, b) => b[0].length - a[0].length)) js = js.replace(patternOf(old), short);
fs.writeFileSync(wasmPath, Buffer.concat(out));
fs.writeFileSync(jsPath, js);
console.log(`  renamed ${renames.size} imports and exports`);
