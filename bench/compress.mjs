// Writes FILE.br (brotli 11) and FILE.gz (gzip -9) beside every file of the given bundle
// folders, for the server to send by Accept-Encoding. Run by `cargo xtask build` after Trunk;
// the bench measures the files themselves (bench/sizes.mjs skips these copies).
//   node bench/compress.mjs DIR [DIR...]
import { readdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { COMPRESSED_SUFFIXES, brotliOf, gzipOf } from './lib.mjs';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

let written = 0;
for (const dir of process.argv.slice(2)) {
  const files = walk(dir);
  // Stale copies of files that no longer exist (Trunk changes hashed names) go first.
  for (const f of files.filter((f) => COMPRESSED_SUFFIXES.some((s) => f.endsWith(s)))) {
    const original = f.slice(0, f.lastIndexOf('.'));
    if (!files.includes(original)) rmSync(f);
  }
  for (const f of files.filter((f) => !COMPRESSED_SUFFIXES.some((s) => f.endsWith(s)))) {
    const raw = readFileSync(f);
    writeFileSync(`${f}.br`, brotliOf(raw));
    writeFileSync(`${f}.gz`, gzipOf(raw));
    written += 2;
  }
}
console.log(`compress: ${written} files written`);
