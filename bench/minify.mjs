// Minifies the wasm-bindgen JavaScript glue of a bundle folder with terser (.tools/, installed
// by `cargo xtask setup`) and writes the new hash into the Subresource Integrity attribute
// that Trunk put on index.html's modulepreload link. Trunk's own minifier fails on this glue
// and leaves it as written. Run by `cargo xtask build` after Trunk, before compress.mjs.
//   node bench/minify.mjs DIR
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';

const { minify } = await import(pathToFileURL(join(ROOT, '.tools/node_modules/terser/main.js')));

const dir = process.argv[2];
const index = join(dir, 'index.html');
let html = readFileSync(index, 'utf8');
let saved = 0;
for (const name of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
  const path = join(dir, name);
  const code = readFileSync(path, 'utf8');
  // ES module (the glue exports init); names that other modules import stay as they are.
  const out = await minify(code, { module: true, compress: { passes: 2 }, mangle: true, format: { comments: false } });
  if (!out.code) throw new Error(`${path}: terser returned nothing`);
  const integrity = `sha384-${createHash('sha384').update(out.code).digest('base64')}`;
  // The link's attributes, minified by Trunk (widget, router) or not (console).
  const pattern = new RegExp(`(<link[^>]*href="?[^ >"]*/${name.replace(/[.]/g, '[.]')}"?[^>]*integrity="?)sha384-[A-Za-z0-9+/=]+`);
  if (!pattern.test(html)) throw new Error(`${index}: no integrity attribute for ${name}`);
  html = html.replace(pattern, `$1${integrity}`);
  writeFileSync(path, out.code);
  saved += code.length - out.code.length;
}
writeFileSync(index, html);
console.log(`minify: ${dir}: ${saved} B less JavaScript`);
