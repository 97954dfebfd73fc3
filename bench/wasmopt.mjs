// What wasm-opt -Oz saves on the widget: runs the wasm-bindgen CLI on cargo's release output
// (as Trunk does) into a temporary folder, then `wasm-opt -Oz` on that, and sizes both.
//   node bench/wasmopt.mjs --wasm target/wasm32-unknown-unknown/release/confide-widget.wasm [--dist DIR] --out wasmopt.json
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, sizesOfFile, parseArgs, writeJson } from './lib.mjs';

const args = parseArgs();
if (!args.wasm) throw new Error('--wasm PATH needed');
const tools = join(ROOT, '.tools');
const dir = mkdtempSync(join(tmpdir(), 'confide-wasmopt-'));
try {
  const run = (cmd, argv) => execFileSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 180000 });
  run(join(tools, 'bin/wasm-bindgen'), ['--target', 'web', '--no-typescript', '--out-dir', dir, '--out-name', 'w', args.wasm]);
  run(join(tools, 'node_modules/.bin/wasm-opt'), ['-Oz', join(dir, 'w_bg.wasm'), '-o', join(dir, 'w_opt.wasm')]);
  const distDir = join(args.dist || join(ROOT, 'dist'), 'widget');
  const distWasm = readdirSync(distDir).find((n) => n.endsWith('_bg.wasm'));
  const result = {
    cargo_output: { path: args.wasm, raw: statSync(args.wasm).size },
    without_wasm_opt: sizesOfFile(join(dir, 'w_bg.wasm')),
    with_wasm_opt_oz: sizesOfFile(join(dir, 'w_opt.wasm')),
    dist: distWasm ? { path: `dist/widget/${distWasm}`, ...sizesOfFile(join(distDir, distWasm)) } : null,
  };
  if (args.out) writeJson(args.out, result);
  else console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
