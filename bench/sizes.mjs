// Byte sizes of what Confide ships: the loader, every file of the widget bundle, its language
// files (dist/widget/i18n, group `i18n`: a visitor loads one of them), the router page's
// bundle (loaded before the widget only when a snippet names a router) and the console
// bundle, raw, gzip -9 and brotli 11. Prints one tab-separated line per file
// (group, path, raw, gzip, brotli), which `cargo xtask test` (budgets) and `cargo xtask bench`
// read; `--out FILE` also writes them as JSON.
//   node bench/sizes.mjs [--dist DIR] [--out sizes.json]
// --dist reads the bundles from a copy of dist/ (the bench snapshots it); paths still say dist/.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, COMPRESSED_SUFFIXES, sizesOfFile, total, parseArgs, writeJson } from './lib.mjs';

const args = parseArgs();

const DIST = args.dist || join(ROOT, 'dist');

function bundle(sub) {
  const dir = `dist/${sub}`;
  const abs = join(DIST, sub);
  let names;
  try {
    names = readdirSync(abs)
      .filter((n) => statSync(join(abs, n)).isFile())
      // The .br and .gz copies beside each file are what the server sends, not more files.
      .filter((n) => !COMPRESSED_SUFFIXES.some((s) => n.endsWith(s)))
      .sort();
  } catch {
    throw new Error(`${dir} is missing: run \`cargo xtask build\` first`);
  }
  if (!names.length) throw new Error(`${dir} is empty: run \`cargo xtask build\` first`);
  return names.map((n) => ({ path: `${dir}/${n}`, ...sizesOfFile(join(abs, n)) }));
}

const groups = {
  loader: [{ path: 'static/loader.js', ...sizesOfFile(join(ROOT, 'static/loader.js')) }],
  widget: bundle('widget'),
  i18n: bundle('widget/i18n'),
  router: bundle('router'),
  console: bundle('console'),
};

for (const [group, files] of Object.entries(groups)) {
  for (const f of files) console.log([group, f.path, f.raw, f.gzip, f.brotli].join('\t'));
}

if (args.out) {
  writeJson(args.out, Object.fromEntries(
    Object.entries(groups).map(([g, files]) => [g, { files, total: total(files) }]),
  ));
}
