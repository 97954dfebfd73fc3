// Shared by the bench scripts: compressed sizes (gzip -9 and brotli quality 11, each file on
// its own, as the peers' figures in issue 6 were measured), arguments and JSON output.
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** gzip -9 of a buffer. */
export function gzipOf(buf) {
  return gzipSync(buf, { level: 9 });
}

/** brotli, quality 11, of a buffer. */
export function brotliOf(buf) {
  return brotliCompressSync(buf, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
    },
  });
}

/** Raw, gzip -9 and brotli (quality 11) sizes of one buffer, in bytes. */
export function sizesOf(buf) {
  return { raw: buf.length, gzip: gzipOf(buf).length, brotli: brotliOf(buf).length };
}

/** Files `cargo xtask build` writes beside each bundle file (not shipped files themselves). */
export const COMPRESSED_SUFFIXES = ['.br', '.gz'];

export function sizesOfFile(path) {
  return sizesOf(readFileSync(path));
}

/** Adds up raw, gzip and brotli of several entries. */
export function total(entries) {
  return entries.reduce(
    (t, e) => ({ raw: t.raw + e.raw, gzip: t.gzip + e.gzip, brotli: t.brotli + e.brotli }),
    { raw: 0, gzip: 0, brotli: 0 },
  );
}

/** `--name value` pairs into an object (numbers stay strings). */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = argv[i].match(/^--([\w-]+)$/);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[m[1]] = true;
    else { out[m[1]] = next; i++; }
  }
  return out;
}

export function writeJson(path, value) {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

export function percentile(values, q) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** Rejects after `ms` with a message naming what took too long. */
export function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: over ${ms} ms`)), ms); }),
  ]);
}
