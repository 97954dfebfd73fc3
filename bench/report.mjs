// Writes bench/report.md and bench/report.json from the raw results of one `cargo xtask bench`
// run (sizes, wasmopt, browser, load, store, history, postgres and meta JSON in --in) and
// bench/shrink.json.
//   node bench/report.mjs --in target/bench/out --out bench [--keep bench/report.json]
// --keep (`cargo xtask bench --only store`, `--only history` or `--only postgres`): the sections
// this run did not measure are taken from that earlier report, and the report says which and
// from which run.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, release, loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT, parseArgs, writeJson } from './lib.mjs';

const args = parseArgs();
const IN = args.in;
const OUT = args.out || join(ROOT, 'bench');
const read = (name) => {
  const p = join(IN, `${name}.json`);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null;
};
const kept = typeof args.keep === 'string' && existsSync(args.keep) ? JSON.parse(readFileSync(args.keep, 'utf8')) : null;
// The run the carried sections come from (carried again unchanged by a later --keep).
const carried = kept ? (kept.carried_over ?? { commit: kept.commit, written: kept.written ?? null, machine: kept.machine, run: kept.run }) : null;
const sizes = read('sizes') ?? kept?.sizes ?? null;
const wasmopt = read('wasmopt') ?? kept?.wasm_opt ?? null;
const browser = read('browser') ?? kept?.browser ?? null;
const load = read('load') ?? kept?.load ?? null;
const meta = read('meta') || { steps: [], options: {} };
// The store, history and PostgreSQL sections are what `--only store`, `--only history` and
// `--only postgres` measure: each is carried over only by a partial run that did not measure it
// (a failed step is "not measured").
const only = { store: !!meta.options.only_store, history: !!meta.options.only_history, postgres: !!meta.options.only_postgres };
const partial = only.store || only.history || only.postgres;
const carriedStore = kept && partial && !only.store ? kept.store ?? null : null;
const carriedHistory = kept && partial && !only.history ? kept.history ?? null : null;
const carriedPostgres = kept && partial && !only.postgres ? kept.postgres ?? null : null;
const store = read('store') ?? carriedStore;
const history = read('history') ?? carriedHistory;
const postgres = read('postgres') ?? carriedPostgres;
const shrink = JSON.parse(readFileSync(join(ROOT, 'bench/shrink.json'), 'utf8'));

// As in xtask/src/bench.rs, which checks them in `cargo xtask test`.
const BUDGET = { loader_gzip: 2048, after_click_gzip: 131072, after_click_goal: 81920, router_mode_gzip: 172032, router_goal_above_widget: 10240 };
// Issue 6's peer figures (each built from source, every file gzip -9 on its own). KB = 1024 B,
// as in this project's budgets.
const PEERS = [
  { name: 'Chatwoot', snippet_kb: 9.5, before_click_kb: 334 + 84, note: 'about 334 KB of JS and 84 KB of CSS, in an iframe' },
  { name: 'Rocket.Chat Livechat', snippet_kb: 3.1, before_click_kb: 473, note: 'about 473 KB of JS' },
  { name: 'Tiledesk', snippet_kb: 4.7, before_click_kb: 679, note: 'about 679 KB' },
  { name: 'Crisp', snippet_kb: null, before_click_kb: 130, note: 'publishes about 130 KB compressed' },
];

const fmtB = (n) => (n == null ? 'n/a' : `${Math.round(n).toLocaleString('en-US')} B`);
const fmtKB = (n) => (n == null ? 'n/a' : `${(n / 1024).toFixed(1)} KB`);
const fmtMs = (n) => (n == null ? 'n/a' : `${n} ms`);
const fmtMB = (n) => (n == null ? 'n/a' : `${(n / 1048576).toFixed(1)} MiB`);
const fmtN = (n) => (n == null ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const verdict = (ok) => (ok == null ? 'not measured' : ok ? 'PASS' : '**FAIL**');
const ratio = (a, b) => (a == null || b == null || b === 0 ? 'n/a' : `${(a / b).toFixed(1)}×`);
const gitRev = (() => {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT }).toString().trim();
    return dirty ? `${rev} plus uncommitted changes` : rev;
  } catch { return 'unknown'; }
})();

// ---- figures --------------------------------------------------------------------------
const loaderGzip = sizes?.loader.total.gzip ?? null;
// The widget's files plus one language file (the largest: a visitor loads one of the 34).
const largestLanguage = sizes?.i18n?.files.reduce((a, f) => (f.gzip > a.gzip ? f : a), { raw: 0, gzip: 0, brotli: 0 }) ?? null;
const distAfter = sizes ? {
  raw: sizes.widget.total.raw + (largestLanguage?.raw ?? 0),
  gzip: sizes.widget.total.gzip + (largestLanguage?.gzip ?? 0),
  brotli: sizes.widget.total.brotli + (largestLanguage?.brotli ?? 0),
} : null;
const browserAfter = browser?.after_click.total ?? null;
const before = browser?.before_click ?? null;
const chatRequestsBefore = before ? before.requests.filter((u) => u !== '/').length : null;
const storageBefore = before ? before.cookies + before.storage.localStorage + before.storage.sessionStorage + (before.storage.indexedDB || 0) + (before.audit?.length || 0) : null;
const held = load?.held ?? null;
const routerMode = sizes?.router && distAfter ? sizes.router.total.gzip + distAfter.gzip : null;

const summary = [
  { budget: 'loader.js, gzip', limit: `≤ ${fmtB(BUDGET.loader_gzip)}`, value: fmtB(loaderGzip), ok: loaderGzip == null ? null : loaderGzip <= BUDGET.loader_gzip },
  { budget: 'requests to the chat server before the click', limit: '1 (loader.js)', value: chatRequestsBefore ?? 'n/a', ok: chatRequestsBefore == null ? null : chatRequestsBefore === 1 && before.requests_max_over_runs <= 2 },
  { budget: 'cookies + storage writes before the click', limit: '0', value: storageBefore ?? 'n/a', ok: storageBefore == null ? null : storageBefore === 0 },
  { budget: 'long tasks on the host page before the click (most in one run)', limit: '0', value: before ? (before.runs_with_longtasks ? `${before.longtasks_max_over_runs} (in ${before.runs_with_longtasks} of ${browser.runs} timed runs; longest ${before.longest_longtask_ms} ms)` : before.longtasks_max_over_runs) : 'n/a', ok: before ? before.longtasks_max_over_runs === 0 : null },
  { budget: `after the click, dist/widget files plus the largest language file${largestLanguage?.path ? ` (${largestLanguage.path.split('/').pop()})` : ''}, gzip (checked by CI)`, limit: `≤ ${fmtB(BUDGET.after_click_gzip)} (goal ${fmtB(BUDGET.after_click_goal)})`, value: distAfter ? `${fmtB(distAfter.gzip)} (${fmtKB(distAfter.gzip)})` : 'n/a', ok: distAfter ? distAfter.gzip <= BUDGET.after_click_gzip : null },
  { budget: 'after the click, as the browser loaded it, gzip', limit: `≤ ${fmtB(BUDGET.after_click_gzip)} (goal ${fmtB(BUDGET.after_click_goal)})`, value: browserAfter ? `${fmtB(browserAfter.gzip)} (${fmtKB(browserAfter.gzip)})` : 'n/a', ok: browserAfter ? browserAfter.gzip <= BUDGET.after_click_gzip : null },
  { budget: 'router mode: the router page (dist/router) plus dist/widget, gzip (checked by CI)', limit: `≤ ${fmtB(BUDGET.router_mode_gzip)} (goal ≤ ${fmtB(BUDGET.router_goal_above_widget)} above the widget alone)`, value: routerMode ? `${fmtB(routerMode)} (${fmtKB(routerMode)}; router page ${fmtB(sizes.router.total.gzip)})` : 'n/a', ok: routerMode ? routerMode <= BUDGET.router_mode_gzip : null },
  { budget: 'console, gzip', limit: 'reported only', value: sizes ? `${fmtB(sizes.console.total.gzip)} (${fmtKB(sizes.console.total.gzip)})` : 'n/a', ok: 'info' },
];
const goalMet = distAfter ? distAfter.gzip <= BUDGET.after_click_goal : null;
const routerGoalMet = routerMode ? sizes.router.total.gzip <= BUDGET.router_goal_above_widget : null;

const t = browser?.timing;
const headline = [
  ['click → chat usable (gate + start → composer focusable), p50 / p95', t ? `${fmtMs(t.click_to_usable.p50_ms)} / ${fmtMs(t.click_to_usable.p95_ms)} over ${t.click_to_usable.n} runs` : 'not measured'],
  ['click → consent gate visible, p50 / p95', t ? `${fmtMs(t.click_to_gate.p50_ms)} / ${fmtMs(t.click_to_gate.p95_ms)}` : 'not measured'],
  ['JS heap added by opening the widget (median)', browser ? fmtMB(browser.memory.js_heap_added) : 'not measured'],
  ['wasm memory after opening (median)', browser ? fmtMB(browser.memory.wasm_memory) : 'not measured'],
  ['most concurrent visitors held with p99 visitor→operator < 100 ms', held ? `${held.visitors} (${load.settings.interval_ms / 1000} s between messages per visitor)` : load ? `none held (${load.stop_reason})` : 'not measured'],
  ['at that level: messages/s, p50 / p99 latency', held ? `${held.msgs_per_sec.toFixed(0)} msg/s, ${fmtMs(held.p50_ms)} / ${fmtMs(held.p99_ms)}` : 'n/a'],
  ['server memory per idle visitor socket', load ? fmtB(load.idle.bytes_per_connection) : 'not measured'],
  ['durable write rate (SQLite, acked messages/s)', load ? `${fmtN(load.writes.acks_per_sec)} msg/s with ${load.writes.writers} writers (ack p50 ${fmtMs(load.writes.ack_p50_ms)}, p99 ${fmtMs(load.writes.ack_p99_ms)})` : 'not measured'],
];

// Sealing and the retention purge on the real store (issue 13; crates/server/examples/store_bench.rs).
const fx = (n, d = 1) => (n == null || Number.isNaN(n) ? 'n/a' : Number(n).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const writeAt = (d) => store?.writes?.find((w) => w.durability === d) ?? null;
const shareAt = (d) => store?.sealing_share?.find((x) => x.durability === d) ?? null;
const wFull = writeAt('full');
const sealing = store?.sealing ?? null;
const purge = store?.purge ?? null;
headline.push(
  [`sealing on the write path (real store, durability full${wFull ? `, ${wFull.writers} writers` : ''})`, wFull && sealing
    ? `${fx(wFull.acks_per_sec, 0)} acked msg/s, every body sealed; sealing costs ${fx(sealing.per_message_fastest_us ?? sealing.per_message_us, 1)} µs of ${fx(wFull.wall_us_per_message, 0)} µs per acked message (${fx(shareAt('full')?.sealing_share_of_wall_pct_fastest ?? shareAt('full')?.sealing_share_of_wall_pct, 1)} %); an unsealed run is not possible (see below)`
    : 'not measured'],
  [`purge of ${purge ? purge.seeded_messages.toLocaleString('en-US') : '100,000'} expired messages: time; longest live ack during it (live p99 before it)`, purge
    ? `${fx(purge.purge_secs, 2)} s; ${fx(purge.live.during.max_ms, 1)} ms (${fx(purge.live.before.p99_ms, 1)} ms)`
    : 'not measured'],
);

// The operators' history: search and export (issue 14; crates/server/examples/history_bench.rs).
const hSeed = history?.seed ?? null;
const hStore = history?.search?.store ?? null;
const hHttp = history?.search?.http ?? null;
const hExport = history?.export ?? null;
const pp = (x) => (x ? `${fx(x.p50_ms, 2)} / ${fx(x.p95_ms, 2)} ms` : 'n/a');
const nConv = hSeed ? hSeed.conversations.toLocaleString('en-US') : '100,000';
headline.push(
  [`history, first page of a search (${nConv} conversations), p50 / p95`, hStore
    ? `by email ${pp(hStore.email)}; by a word of the name ${pp(hStore.name)}; no filter ${pp(hStore.none)} (\`Store::history\`; served over HTTP with the total and the audit entry: ${pp(hHttp?.email)}; ${pp(hHttp?.name)}; ${pp(hHttp?.none)})`
    : 'not measured'],
  [`export of ${hExport?.large ? hExport.large.conversations.toLocaleString('en-US') : '10,000'} conversations as CSV (one row per message): time; server peak RSS during it, and during an export three times larger`, hExport?.large
    ? `${fx(hExport.large.secs, 2)} s for ${fmtN(hExport.large.rows)} rows (${fmtMB(hExport.large.bytes)}); peak ${fmtMB(hExport.large.hwm_after_bytes)}, ${fmtMB(hExport.large.hwm_after_bytes - hExport.large.rss_before_bytes)} above the RSS before it${hExport.largest ? `; ${fmtN(hExport.largest.conversations)} conversations (${fmtMB(hExport.largest.bytes)}): peak ${fmtMB(hExport.largest.hwm_after_bytes)}, ${fmtMB(Math.max(0, hExport.largest.hwm_after_bytes - hExport.largest.rss_before_bytes))} above` : ''}`
    : 'not measured'],
);

// The server on PostgreSQL, one node and two (issue 17; `confide-loadgen --postgres`).
const pgOne = postgres?.one_node ?? null;
const pgTwo = postgres?.two_nodes ?? null;
const pgCross = pgTwo?.cross_node ?? null;
const pct = (x) => (x == null ? 'n/a' : `${fx(x, 0)} %`);
const PG_TARGET = 'p99 < 50 ms at 1,000 visitors';
headline.push(
  ['PostgreSQL, one node: durable write rate (acked messages/s through the server)', pgOne
    ? `${fx(pgOne.writes.acks_per_sec, 0)} msg/s with ${pgOne.writes.writers} writers (ack p50 ${fmtMs(pgOne.writes.ack_p50_ms)}, p99 ${fmtMs(pgOne.writes.ack_p99_ms)}); CPU: node ${pct(pgOne.writes.cpu_pct?.node_a)}, PostgreSQL ${pct(pgOne.writes.cpu_pct?.postgres)} of one core`
    : 'not measured'],
  [`PostgreSQL, two nodes, ${pgTwo ? fmtN(pgTwo.visitors) : '1,000'} visitors (half on each, the operator on A): cross-node visitor→operator p50 / p99 (target ${PG_TARGET})`, pgCross
    ? `${fmtMs(pgCross.p50_ms)} / ${fmtMs(pgCross.p99_ms)} (${fmtN(pgCross.received)} of ${fmtN(pgCross.sent)} messages): ${verdict(pgTwo.target_met)}`
    : 'not measured'],
);

// ---- markdown ---------------------------------------------------------------------------
const md = [];
const table = (head, rows) => {
  md.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const r of rows) md.push(`| ${r.join(' | ')} |`);
  md.push('');
};
md.push('# Confide bench report', '');
md.push(`Written by \`cargo xtask bench\` on ${new Date().toISOString().slice(0, 10)}, commit ${gitRev}. `
  + `Machine: ${cpus().length} × ${cpus()[0]?.model?.trim() || 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}; `
  + `server, load generator and browser share these cores, and other work may too: load average ${meta.loadavg_start ? `${meta.loadavg_start} at the start of the bench and ${meta.loadavg_end} at its end` : `${loadavg().map((l) => l.toFixed(1)).join(' / ')} when the report was written`} (1 / 5 / 15 min). Wall-clock figures vary between runs; CI checks bytes only.`, '');
if (carried) {
  const r = carried.run || {};
  const m = carried.machine || {};
  const sections = { store: '"Sealing and purge (issue 13)"', history: '"Operators\' history (issue 14)"', postgres: '"PostgreSQL: one node and two nodes (issue 17)"' };
  const measured = Object.keys(sections).filter((k) => only[k]);
  const also = [carriedStore ? sections.store : null, carriedHistory ? sections.history : null, carriedPostgres ? sections.postgres : null].filter(Boolean);
  const flags = measured.map((k) => `--only ${k}`).join(' ');
  md.push(`**Partial run** (\`cargo xtask bench ${flags || '--only'}\`): only ${measured.length > 1 ? 'the sections' : 'the section'} ${measured.map((k) => sections[k]).join(' and ')} ${measured.length > 1 ? 'were' : 'was'} measured by this run. Sizes, wasm-opt, the widget in Chromium and the server load are carried over unchanged from the last full run: commit ${carried.commit}${carried.written ? ` on ${carried.written}` : ''}${m.cpu ? `, ${m.cpus} × ${m.cpu}, Linux ${m.kernel}` : ''}${r.loadavg_start ? `, load average ${r.loadavg_start} at its start and ${r.loadavg_end} at its end` : ''}.${also.length ? ` ${also.join(' and ')} ${also.length > 1 ? 'are' : 'is'} carried over unchanged from the previous report (commit ${kept.commit}${kept.written ? ` on ${kept.written}` : ''}).` : ''}`, '');
}
md.push('## Summary', '');
table(['budget', 'limit', 'value', 'result'], summary.map((s) => [s.budget, s.limit, String(s.value), s.ok === 'info' ? 'info' : verdict(s.ok)]));
if (routerGoalMet === false) md.push(`The router-mode goal (at most ${fmtB(BUDGET.router_goal_above_widget)} above the widget alone) is not met: the router page adds ${fmtB(sizes.router.total.gzip)}, ${fmtB(sizes.router.total.gzip - BUDGET.router_goal_above_widget)} above it${routerMode > BUDGET.router_mode_gzip ? `, and router mode is ${fmtB(routerMode - BUDGET.router_mode_gzip)} above its budget` : ''}.`, '');
if (goalMet === false) md.push(`The after-click goal (${fmtB(BUDGET.after_click_goal)}) is not met: dist/widget is ${fmtB(distAfter.gzip - BUDGET.after_click_goal)} above it${distAfter.gzip > BUDGET.after_click_gzip ? `, and ${fmtB(distAfter.gzip - BUDGET.after_click_gzip)} above the budget` : ''}.`, '');
table(['measured', 'value'], headline);

// Issue 11 asks for the old figures beside the new: the report before the server's new shape
// (9453c87) and the first one after it (01c3f98), beside this run's.
if (load) {
  const closes1013 = load.server_closes?.['1013'] ?? 0;
  md.push('## Before and after issue 11 (the server\'s new shape and topic fan-out)', '',
    'Two earlier reports beside this run: 9453c87 (2026-11-22, before the reshape: one broadcast channel for every socket, 128 KiB read buffers; load budget 60 s, at most 6,400 visitors) and 01c3f98 (2026-12-03, after it, on another machine of this kind: 2 × AMD EPYC; 150 s, at most 12,800).', '');
  table(['measured', 'before (9453c87)', 'after (01c3f98)', 'this run'], [
    ['most concurrent visitors held, p99 visitor→operator < 100 ms', '800 (1,600 failed: 363 messages lost)', '6,000 (6,400 failed at p99 126 ms, nothing lost)', held ? fmtN(held.visitors) : 'none held'],
    ['at that level: msg/s, p50 / p99', '267 msg/s, 6.16 ms / 46.23 ms', '2,000 msg/s, 19.6 ms / 59.58 ms', held ? `${held.msgs_per_sec.toFixed(0)} msg/s, ${fmtMs(held.p50_ms)} / ${fmtMs(held.p99_ms)}` : 'n/a'],
    ['server memory per idle visitor socket', '145,358 B', '9,338 B', fmtB(load.idle.bytes_per_connection)],
    ['durable write rate (acked msg/s, 32 writers)', '2,059 (synchronous=NORMAL)', '2,597 (durability full)', `${fmtN(load.writes.acks_per_sec)} (durability full)`],
    ['1013 closes of lagging sockets during the run', '20', '0', String(closes1013)],
  ]);
}

// Issue 17 asks for the store's write rate beside the figures before it: the report of
// 14a7083 (2026-12-07, one savepoint and several statements per message), beside this run's
// (a few statements per batch).
// PostgreSQL (the rows below the store's) had no figures before issue 17: the server ran on
// SQLite only, one node.
if (store?.writes?.length || postgres) {
  const at = (d) => writeAt(d);
  const now = (d) => (at(d) ? `${fx(at(d).acks_per_sec, 0)} msg/s, ack p99 ${fx(at(d).ack_p99_ms, 2)} ms` : 'not measured');
  md.push('## Before and after issue 17 (the batched writer; PostgreSQL and several nodes)', '',
    'The store bench\'s write path (32 writers, each sending its next message once the previous one is acknowledged; targets: 5,000 at full, 20,000 at normal), in the report of 14a7083 (2026-12-07, before the writer stored a batch in a few statements) and in this run; below it, the server on PostgreSQL, which did not exist before issue 17 (see "PostgreSQL: one node and two nodes (issue 17)").', '');
  table(['measured', 'before (14a7083)', 'this report'], [
    ['store bench, SQLite, durability full', '5,603 msg/s, ack p99 12.33 ms', now('full')],
    ['store bench, SQLite, durability normal', '5,836 msg/s, ack p99 17.57 ms', now('normal')],
    ['server on PostgreSQL, one node: acked msg/s through the server (loadgen writers)', 'no PostgreSQL backend', pgOne ? `${fx(pgOne.writes.acks_per_sec, 0)} msg/s with ${pgOne.writes.writers} writers, ack p99 ${fmtMs(pgOne.writes.ack_p99_ms)}` : 'not measured'],
    [`two nodes, ${PG_TARGET}: cross-node visitor→operator p99`, 'one node only', pgCross ? `${fmtMs(pgCross.p99_ms)} (p50 ${fmtMs(pgCross.p50_ms)}): ${verdict(pgTwo.target_met)}` : 'not measured'],
  ]);
}

md.push('## Sizes', '', 'Each file compressed on its own: gzip -9 and brotli quality 11 (node zlib). The server sends each bundle file precompressed, brotli or gzip by the request\'s Accept-Encoding (see `crates/server/src/assets.rs`), so the wire carries one of those two columns.', '');
if (sizes) {
  const rows = [];
  for (const group of ['loader', 'widget', 'i18n', 'router', 'console']) {
    if (!sizes[group]) continue;
    for (const f of sizes[group].files) rows.push([group, `\`${f.path}\``, fmtB(f.raw), fmtB(f.gzip), fmtB(f.brotli)]);
    const tt = sizes[group].total;
    rows.push([`**${group} total**`, '', fmtB(tt.raw), `**${fmtB(tt.gzip)}**`, fmtB(tt.brotli)]);
  }
  table(['part', 'file', 'raw', 'gzip -9', 'brotli 11'], rows);
  if (largestLanguage?.path && sizes.i18n) {
    const n = sizes.i18n.files.length;
    md.push(`What the interface strings cost: none of them is in the wasm; a visitor loads one language file, at most ${fmtB(largestLanguage.gzip)} gzip (${largestLanguage.path.split('/').pop()}; ${fmtB(Math.round(sizes.i18n.total.gzip / n))} on average over the ${n}), counted in the after-click budget above. Each widget's disclaimers and retention notices in every language it has come with its settings (the config request, compressed by Accept-Encoding; in the "as the browser loaded it" figure).`, '');
  }
} else md.push('Not measured (the sizes step failed).', '');
if (browser) {
  const s = browser.served;
  md.push(`As served: \`/w/demo\` ${fmtB(s['/w/demo'].raw)} raw / ${fmtB(s['/w/demo'].gzip)} gzip (the server adds a ${s['/w/demo'].csp_header_bytes}-byte Content-Security-Policy header, not counted); \`/loader.js\` ${fmtB(s['/loader.js'].raw)} raw / ${fmtB(s['/loader.js'].gzip)} gzip.`, '');
}

md.push('## After the click', '', 'Everything the iframe loaded from the click until the chat was usable, from Chromium\'s own request log (one cold-cache run), with each body compressed as above; and the same from dist/widget.', '');
if (browser) {
  table(['request', 'type', 'wire body', 'gzip -9', 'brotli 11'], browser.after_click.loads.map((l) => [`\`${l.url}\``, l.type, fmtB(l.wire_body), fmtB(l.gzip), fmtB(l.brotli)]));
  const a = browser.after_click;
  table(['total', 'raw', 'gzip -9', 'brotli 11'], [
    ['browser log, every request', fmtB(a.total.raw), fmtB(a.total.gzip), fmtB(a.total.brotli)],
    ['browser log, files only (without /api/…)', fmtB(a.assets_total.raw), fmtB(a.assets_total.gzip), fmtB(a.assets_total.brotli)],
    ['dist/widget files', distAfter ? fmtB(distAfter.raw) : 'n/a', distAfter ? fmtB(distAfter.gzip) : 'n/a', distAfter ? fmtB(distAfter.brotli) : 'n/a'],
  ]);
  md.push(`Sockets opened after the click: ${a.sockets.map((u) => `\`${u}\``).join(', ') || 'none'}.`, '');
} else md.push('Not measured (browser step skipped or failed).', '');

md.push('## Before the click', '');
if (before) {
  table(['check', 'expected', 'measured'], [
    ['requests (host page included)', '2: the page and loader.js', `${before.requests.length}: ${before.requests.map((u) => `\`${u}\``).join(', ')} (most in any run: ${before.requests_max_over_runs})`],
    ['sockets', '0', before.sockets],
    ['cookies', '0', before.cookies],
    ['localStorage / sessionStorage / IndexedDB', '0 / 0 / 0', `${before.storage.localStorage} / ${before.storage.sessionStorage} / ${before.storage.indexedDB ?? 'n/a'}`],
    ['storage, cookie, fetch or socket calls seen by an init script', 'none', before.audit?.length ? before.audit.join(', ') : 'none'],
    ['long tasks on the host page (PerformanceObserver)', '0', `${before.longtasks_max_over_runs} in the worst of ${browser.runs} timed runs${before.runs_with_longtasks ? ` (${before.runs_with_longtasks} runs had one; longest ${before.longest_longtask_ms} ms)` : ''}; ${before.longtasks.length} in the detailed run${before.longtask_observer ? '' : ' (observer not supported!)'}`],
  ]);
} else md.push('Not measured.', '');

md.push('## The widget in headless Chromium', '');
if (browser) {
  md.push(`Chromium ${browser.chromium}, headless, ${browser.runs} runs, each in a new browser context (cold cache), against the release server on 127.0.0.1 with an operator signed in. Times come from marks taken inside the pages (performance.timeOrigin + now): the launcher click on the host page; in the iframe, the consent gate appearing, the start click, the composer becoming focusable (focus() succeeds), and the socket online. The time the automation takes to tick the box is not a visitor's wait, so "click → usable" adds click → gate and start → composer.`, '');
  table(['interval', 'p50', 'p95', 'min', 'max'], [
    ['click → chat usable (click → gate + start → composer)', t.click_to_usable],
    ['click → consent gate visible', t.click_to_gate],
    ['click → wasm started (Trunk\'s TrunkApplicationStarted)', t.click_to_wasm_started],
    ['start → composer focusable', t.start_to_usable],
    ['start → socket online (welcome received)', t.start_to_online],
    ['click → composer focusable, wall clock including the automation', t.click_to_usable_wall],
  ].map(([name, s]) => [name, fmtMs(s.p50_ms), fmtMs(s.p95_ms), fmtMs(s.min_ms), fmtMs(s.max_ms)]));
  const m = browser.memory;
  table(['memory (median of runs)', 'value'], [
    ['JS heap before the click (host page, CDP Runtime.getHeapUsage)', fmtMB(m.js_heap_before_click)],
    ['JS heap after opening (host page + same-origin iframe share the isolate)', fmtMB(m.js_heap_after_open)],
    ['JS heap added by the widget', fmtMB(m.js_heap_added)],
    ['wasm linear memory (the iframe\'s memory.buffer.byteLength)', fmtMB(m.wasm_memory)],
  ]);
} else md.push('Not measured.', '');

md.push('## Server load', '');
if (load) {
  const s = load.settings;
  md.push(`Release build of \`confide\` (the workspace release profile) on 127.0.0.1 with a fresh SQLite folder and \`--demo\`; \`confide-loadgen\` on the same machine opens visitor sockets (hello with the consent the demo widget requires) from ${s.sources} loopback source addresses, and one operator socket that opens every conversation and times each visitor message from the timestamp in its text. Each level adds visitors (hello, one warm-up message), waits until the operator has opened every conversation, then for ${s.window_ms / 1000} s every visitor sends a message every ${s.interval_ms / 1000} s (spread out). A level holds while p99 visitor → operator latency is under ${s.p99_limit_ms} ms and every message arrives. Time budget ${s.secs} s, at most ${s.max} visitors. Stopped by: ${load.stop_reason}.`, '');
  md.push('Levels in the order tried (doubling, then halfway between the highest held and the lowest failed):', '');
  table(['visitors', 'msgs/s', 'p50', 'p99', 'max', 'ack p50', 'ack p99', 'sent / received', 'server RSS', 'held'],
    load.levels.map((l) => l.sent == null
      ? [l.visitors, '', '', '', '', '', '', `failed: ${l.error}`, '', 'no']
      : [l.visitors, l.msgs_per_sec.toFixed(0), fmtMs(l.p50_ms), fmtMs(l.p99_ms), fmtMs(l.max_ms), fmtMs(l.ack_p50_ms), fmtMs(l.ack_p99_ms), `${l.sent} / ${l.received}`, fmtMB(l.rss_bytes), l.held ? 'yes' : '**no**']));
  md.push('A level tried after a failure runs on a server already pushed past its limit (more stored conversations, the operator watching all of them), so it can come out worse than a fresh run of the same size.', '');
  const i = load.idle;
  md.push(`**Memory per idle connection:** ${fmtB(i.bytes_per_connection)} (server VmRSS after a second batch of ${i.sockets / 2} hello-only sockets minus before it, divided by the batch). The first batch, which also pays one-time growth, came to ${fmtB(i.bytes_per_connection_first_batch)} each; RSS ${fmtMB(i.rss_before_bytes)} → ${fmtMB(i.rss_after_first_batch_bytes)} → ${fmtMB(i.rss_after_bytes)}.`, '');
  const w = load.writes;
  md.push(`**Durable write rate:** ${w.acks_per_sec.toFixed(0)} acked messages/s over ${w.secs.toFixed(1)} s, ${w.writers} visitors each sending the next message as soon as the previous ack arrives (ack p50 ${fmtMs(w.ack_p50_ms)}, p99 ${fmtMs(w.ack_p99_ms)}). SQLite runs in ${w.sqlite}.`, '');
  const errs = Object.entries(load.errors || {});
  if (errs.length) {
    md.push('Errors the load generator saw (by phase, with counts):', '');
    for (const [e, n] of errs) md.push(`- ${e}: ${n}`);
    md.push('');
  }
} else md.push('Not measured (load step skipped or failed).', '');

md.push('## Sealing and purge (issue 13)', '');
if (store) {
  md.push(`\`crates/server/examples/store_bench.rs\`, built with the \`server\` profile, on the real store: a fresh SQLite database and key store in a temporary folder on this machine's disk, opened as the server opens them, with every message body sealed as the server always does (XChaCha20-Poly1305, a random 24-byte nonce, the visitor's data key, associated data naming the row). Messages are ${store.message_bytes} bytes of text.`, '');
  md.push('### The write path', '');
  if (wFull) {
    md.push(`${wFull.writers} visitors, each in their own conversation, send their next message as soon as the previous one is acknowledged (\`Store::append_visitor_message\`, through the batching writer); 1 s of warm-up, then ${wFull.secs} s measured per durability setting. "Per acked message" is the measured window divided by the messages acknowledged in it (the writer stores them one after another, so this is its time per message); CPU is the whole process's (writer, senders, SQLite), over the same window.`, '');
    table(['durability', 'acked msg/s', 'ack p50', 'ack p99', 'ack max', 'wall time per acked message', 'CPU time per acked message'],
      store.writes.map((w) => [w.durability, fx(w.acks_per_sec, 0), `${fx(w.ack_p50_ms, 2)} ms`, `${fx(w.ack_p99_ms, 2)} ms`, `${fx(w.ack_max_ms, 2)} ms`, `${fx(w.wall_us_per_message, 1)} µs`, w.cpu_us_per_message == null ? 'n/a' : `${fx(w.cpu_us_per_message, 1)} µs`]));
  }
  if (sealing) {
    md.push('What sealing adds to each stored message, each part timed on its own in rounds (right after the full-durability run, on the same machine): the median round, the fastest round, and the process\'s CPU time per operation.', '');
    const part = (p, d = 2) => [`${fx(p.median_us, d)} µs`, `${fx(p.min_us, d)} µs`, p.cpu_us == null ? 'n/a' : `${fx(p.cpu_us, d)} µs`, p.ops.toLocaleString('en-US')];
    table(['part', 'median', 'fastest round', 'CPU', 'operations'], [
      [`seal the body: associated data, random nonce, XChaCha20-Poly1305 (${sealing.message_bytes} → ${sealing.sealed_bytes} bytes stored)`, ...part(sealing.seal)],
      ['look up the conversation\'s data-key reference (the writer\'s query, through rusqlite on a connection of its own, as the writer\'s thread runs it)', ...part(sealing.key_lookup_query)],
      ['the data key from the key store\'s cache', ...part(sealing.key_cache_get, 3)],
      ['**sealing, in all**', `**${fx(sealing.per_message_us, 2)} µs**`, '', sealing.per_message_cpu_us == null ? 'n/a' : `${fx(sealing.per_message_cpu_us, 2)} µs`, ''],
      ['(reading) open one body', ...part(sealing.open)],
    ]);
    const lines = store.writes.map((w) => {
      const sh = shareAt(w.durability);
      return `at durability ${w.durability}, **sealing costs ${fx(sealing.per_message_fastest_us ?? sealing.per_message_us, 1)} µs of ${fx(w.wall_us_per_message, 1)} µs per acked message, i.e. ${fx(sh?.sealing_share_of_wall_pct_fastest ?? sh?.sealing_share_of_wall_pct, 1)} % of throughput** (the seal alone ${fx(sealing.seal.min_us ?? sealing.seal_us, 1)} µs, ${fx(sh?.seal_share_of_wall_pct, 1)} %)`;
    });
    md.push(`So ${lines.join('; ')}. These use the fastest rounds: the work itself, as the writer's thread does it under load (every part runs on the calling thread, with no hop to another). The median rounds (${fx(sealing.per_message_us, 1)} µs in all, ${store.sealing_share.map((x) => `${fx(x.sealing_share_of_wall_pct, 1)} % at ${x.durability}`).join(', ')}) add whatever else the machine was doing meanwhile.`, '');
    md.push(`**Encryption off was not run, because it cannot be:** the store has no unsealed write path (its writer refuses a message it has no data key for) and no switch to turn sealing off was added for the bench. The rate without sealing is estimated, not measured, as 1 / (time per acked message − sealing's time): ${store.sealing_share.map((x) => `${fx(x.estimated_acks_per_sec_unsealed_fastest ?? x.estimated_acks_per_sec_unsealed, 0)} msg/s at ${x.durability}${x.estimated_acks_per_sec_unsealed > 0 ? ` (${fx(x.estimated_acks_per_sec_unsealed, 0)} by the median rounds)` : ''}, against ${fx(writeAt(x.durability)?.acks_per_sec, 0)} measured sealed`).join('; ')}. It is an upper bound: it assumes the writer's time per message shrinks by all of the sealing work timed on its own (the key lookup was timed outside the writer's transaction, which if anything overstates it), and a stored body 41 bytes shorter saves nothing measurable besides.`, '');
  }
  md.push('### Purge of expired messages', '');
  if (purge) {
    const l = purge.live;
    md.push(`${purge.conversations.toLocaleString('en-US')} conversations × ${purge.messages_per_conversation} messages (${purge.seeded_messages.toLocaleString('en-US')} in all, one visitor each) were stored through the writer at a manual clock's time (at durability ${purge.seed_durability}, ${fx(purge.seed_secs, 1)} s); the store was reopened at durability ${purge.purge_durability} (the server's default) and the clock moved ${purge.clock_advanced_days} days on, past the default transcript period (6 months) and the visitors' 30-day tokens. The retention job (\`jobs::purge_once\`, what the server's schedule runs) then ran while a live sender appended ${l.rate_per_sec} messages/s to ${l.conversations} fresh conversations, each message sent on time without waiting for the previous ack and timed from when it was due.`, '');
    const c = purge.counts;
    table(['figure', 'value'], [
      ['purge wall time', `**${fx(purge.purge_secs, 2)} s** (${fx(purge.purged_messages_per_sec, 0)} messages/s)`],
      ['deleted', `${c.messages.toLocaleString('en-US')} messages, ${c.conversations.toLocaleString('en-US')} conversations, ${c.visitors.toLocaleString('en-US')} visitors and ${c.keys.toLocaleString('en-US')} data keys (crypto-shredded); ${purge.messages_left} live messages left`],
      [`live acks before the purge (${l.before.n})`, `p50 ${fx(l.before.p50_ms, 2)} ms, p99 ${fx(l.before.p99_ms, 2)} ms, max ${fx(l.before.max_ms, 2)} ms`],
      [`live acks waiting while it ran (${l.during.n})`, `p50 ${fx(l.during.p50_ms, 2)} ms, p99 ${fx(l.during.p99_ms, 2)} ms, max ${fx(l.during.max_ms, 2)} ms${l.during.over_50_ms != null ? `; ${l.during.over_50_ms} waited over 50 ms, ${l.during.over_100_ms} over 100 ms` : ''}`],
      ['**longest pause it caused to live chat traffic**', `**${fx(l.during.max_ms, 1)} ms** (the longest ack of a live message during the purge, against a p99 of ${fx(l.before.p99_ms, 1)} ms before it${l.during.worst_sent_after_purge_start_ms != null ? `; that message was due ${fx(l.during.worst_sent_after_purge_start_ms / 1000, 2)} s into the ${fx(purge.purge_secs, 2)} s purge` : ''})`],
      ['database, WAL and key store on disk', `${fmtMB(purge.folder_bytes_before)} before, ${fmtMB(purge.folder_bytes_after)} after (secure_delete zeroes freed pages; the file does not shrink without VACUUM)`],
    ]);
  } else md.push('Not measured.', '');
  md.push(`Load average during this step: ${store.loadavg_start} at its start, ${store.loadavg_end} at its end (1 / 5 / 15 min); it took ${store.secs} s.`, '');
} else md.push('Not measured (store step skipped or failed).', '');

md.push('## Operators\' history (issue 14)', '');
if (history && hSeed) {
  const c = hSeed.counts;
  md.push(`\`crates/server/examples/history_bench.rs\`, built with the \`server\` profile, seeds a fresh sealed store in a temporary folder: ${c.conversations.toLocaleString('en-US')} conversations (one visitor and data key each, over ${2 + hSeed.widgets.others} widgets; most closed, 5 % open, 5 % left messages) with ${c.messages.toLocaleString('en-US')} messages (${hSeed.messages_per_conversation} each, visitor and operator in turn), every conversation with pre-chat details: a name of two words from ${hSeed.first_names} first names × ${hSeed.last_names} last names (a few accented) and a unique email \`first.last.N@example.com\`, so the blind index holds ${(c.conversations * 3).toLocaleString('en-US')} entries and each first name is shared by ${hSeed.conversations_per_first_name_min} to ${hSeed.conversations_per_first_name_max} conversations. Conversations and details went through the store's own functions (\`create_visitor\`, \`create_conversation\`: sealed and blind-indexed as the server does it); the messages went in by SQL in big transactions, each body sealed as the writer seals it (see the notes). Seeding took ${fx(hSeed.secs, 0)} s (${fx(hSeed.conversations_secs, 0)} s for the conversations, ${fx(hSeed.messages_secs, 0)} s for the messages); the folder holds ${fmtMB(hSeed.folder_bytes)}.`, '');
  const s = history.search;
  md.push(`### Search, first page (${s.page} conversations)`, '');
  md.push(`${s.runs} searches of each kind after ${s.warmup} unmeasured ones, each a new random person or first name. "Store" is \`Store::history\` on the store reopened as the server opens it (durability ${s.durability}): the matching conversations, newest first, with each row's name and email opened; "with the total" adds \`Store::history_count\`, the "N that match" the page shows. "As served" is \`GET /api/admin/conversations\` on the real server, signed in as an admin: the same two calls, the JSON, and the audit entry every page served writes (one fsync at durability full).`, '');
  const row = (label, k) => {
    const st = hStore[k];
    return [label, fmtN(st.matching_conversations_mean), fmtN(st.rows_per_page), pp(st.page), pp(st.page_and_count), pp(hHttp?.[k])];
  };
  table(['search', 'matching conversations', 'rows on the page', 'store, p50 / p95', 'store with the total, p50 / p95', 'as served (HTTP), p50 / p95'], [
    row('by exact email (a random person)', 'email'),
    row('by one word of the name (a random first name)', 'name'),
    row('no filter (every conversation)', 'none'),
  ]);
  md.push('### Export, CSV with one row per message', '');
  if (hExport?.large) {
    const e = hExport;
    const ex = (label, x) => [label, fmtN(x.conversations), `${fmtN(x.rows)}${x.rows_as_expected ? '' : ` (**expected ${fmtN(x.expected_rows)}**)`}`, `${fmtB(x.bytes)} (${fmtMB(x.bytes)})`, `${fx(x.secs, 2)} s (first byte ${fx(x.ttfb_ms, 0)} ms)`, `${fmtMB(x.rss_before_bytes)} → **${fmtMB(x.hwm_after_bytes)}** → ${fmtMB(x.rss_after_bytes)}`];
    md.push(`The real \`confide\` binary (server profile) on the seeded folder, with its own defaults (durability full, a secure cookie) except the purge interval and the limit on data requests per operator; an admin added with \`confide operator add\` signs in (\`POST /api/operator/login\`), then \`GET /api/admin/export?format=csv&rows=messages&widget=…\` of a widget holding ${fmtN(e.large.conversations)} conversations, and of one holding ${fmtN(e.small.conversations)}, each read as a stream to its end (bytes and rows counted, nothing kept). The ${fmtN(e.first.conversations)}-conversation export ran once first, so that the first measured export is not also the server's first; the ${fmtN(e.large.conversations)}-conversation one then ran twice${e.largest ? `, then a widget of ${fmtN(e.largest.conversations)} conversations (three times the rows)` : ''}, and the ${fmtN(e.small.conversations)} again. The server's VmHWM is set back to its VmRSS before each export (\`/proc/PID/clear_refs\`${e.hwm_reset_between_exports ? '' : ', **which failed here: the peaks after the first are the highest so far**'}), so each peak is that export's own; RSS is also sampled every 5 ms.`, '');
    table(['export', 'conversations', 'rows', 'bytes', 'time', 'server RSS: before → peak → after'], [
      ex('first (cold)', e.first),
      ex(`**${fmtN(e.large.conversations)} conversations**`, e.large),
      ...(e.large_again ? [ex(`${fmtN(e.large_again.conversations)} conversations, again`, e.large_again)] : []),
      ...(e.largest ? [ex(`${fmtN(e.largest.conversations)} conversations (another widget)`, e.largest)] : []),
      ex(`${fmtN(e.small.conversations)} conversations, again`, e.small),
    ]);
    const prog = e.large.rss_by_rows || [];
    const at = (f) => prog[Math.min(prog.length - 1, Math.max(0, Math.round(f * prog.length) - 1))];
    const progress = prog.length ? [0.1, 0.5, 1].map((f) => at(f)).filter(Boolean).map(([rows, rss]) => `${fmtMB(rss)} after ${fmtN(rows)} rows`).join(', ') : null;
    const grew = (x) => Math.max(0, x.hwm_after_bytes - x.rss_before_bytes);
    // Bounded: the export three times larger needs little more than the 10k did (far less
    // than a quarter of its own CSV).
    const big = e.largest ?? e.large;
    const bounded = grew(big) < big.bytes / 4;
    const later = [e.large_again, e.largest, e.small].filter(Boolean);
    const laterText = [
      e.large_again ? `the same ${fmtN(e.large_again.conversations)} again ${fmtMB(grew(e.large_again))}` : null,
      e.largest ? `the ${fmtN(e.largest.conversations)}-conversation one (${fmtMB(e.largest.bytes)}, ${fx(e.largest.bytes / e.large.bytes, 1)}× the rows) ${fmtMB(grew(e.largest))}, to a peak of ${fmtMB(e.largest.hwm_after_bytes)}` : null,
      `the ${fmtN(e.small.conversations)} again ${fmtMB(grew(e.small))}`,
    ].filter(Boolean).join('; ');
    md.push(`**${bounded ? 'Memory does not follow the export\'s size' : 'Memory grew with the export'}:** before the first export the server held ${fmtMB(e.baseline_rss_bytes)}. The first ${fmtN(e.large.conversations)}-conversation export (${fmtMB(e.large.bytes)} of CSV) took it from ${fmtMB(e.large.rss_before_bytes)} to a peak of ${fmtMB(e.large.hwm_after_bytes)}${progress ? `, most of it early (${progress})` : ''}. ${later.length ? `Each later export added far less than its own size: ${laterText}. ` : ''}${bounded ? 'What the server grows is kept, not given back after an export (most likely SQLite\'s page caches, up to 2 MB for each pooled connection by default, the key store\'s cache of data keys, and memory the allocator keeps; the bench does not break it down), and it levels off instead of following the rows. ' : ''}The server started in ${fx(e.server_start_secs, 1)} s on this folder, held ${fmtMB(e.rss_signed_in_bytes)} once signed in (VmHWM ${fmtMB(e.hwm_signed_in_bytes)}, from start-up), and ${e.stopped_cleanly ? 'stopped cleanly' : '**did not stop cleanly**'} on SIGTERM. Export times vary with the machine's load (see the load average below).`, '');
  } else md.push('Not measured.', '');
  if (history.notes?.length) {
    md.push('Notes:', '');
    for (const n of history.notes) md.push(`- ${n}`);
    md.push('');
  }
  md.push(`Load average during this step: ${history.loadavg_start} at its start, ${history.loadavg_end} at its end (1 / 5 / 15 min); it took ${history.secs} s.`, '');
} else md.push('Not measured (history step skipped or failed).', '');

md.push('## PostgreSQL: one node and two nodes (issue 17)', '');
if (postgres && pgOne && pgTwo) {
  const st = postgres.settings;
  const w = pgOne.writes;
  md.push(`\`confide-loadgen --postgres\` (built with the \`server\` profile beside the server) starts a private PostgreSQL cluster (${postgres.postgres.version || 'PostgreSQL'}; ${postgres.postgres.settings}), creates the two databases a node needs (the data, and the key store, \`CONFIDE_KEY_STORE\`), writes one master key file with \`confide keys generate\`, and starts node A, \`confide serve --demo\` on 127.0.0.1 with \`CONFIDE_DATABASE_URL\`, \`CONFIDE_KEY_STORE\` and \`CONFIDE_ENCRYPTION_KEY_FILE\` pointing there (the rate limits raised as in the server load run). Everything ran on this one machine: both nodes, PostgreSQL and the load generator share its ${cpus().length} cores, so CPU figures are in % of one core (${cpus().length * 100} % is all of it). Node A started in ${fx(postgres.node_start_secs?.node_a, 1)} s, node B in ${fx(postgres.node_start_secs?.node_b, 1)} s; the whole run took ${fx(postgres.took_secs, 0)} s${postgres.loadavg_start ? `, with a load average of ${postgres.loadavg_start} at its start and ${postgres.loadavg_end} at its end (1 / 5 / 15 min; above 2, other work was waiting for these cores too)` : ''}.`, '');
  md.push('### One node: the durable write rate', '');
  md.push(`${w.writers} visitors on node A each send their next message as soon as the previous one is acknowledged (the server load run's write phase), for ${fx(w.secs, 1)} s, with the operator signed in on A watching every conversation. The node's writer stores the waiting messages in one transaction and acknowledges each once it has committed (PostgreSQL's default synchronous_commit on: the WAL flushed to disk).`, '');
  table(['figure', 'value'], [
    ['**acked messages/s**', `**${fx(w.acks_per_sec, 0)}** (${fmtN(w.acked)} in ${fx(w.secs, 1)} s${w.failed ? `; ${w.failed} writers failed to connect: ${w.error}` : ''})`],
    ['ack p50 / p99', `${fmtMs(w.ack_p50_ms)} / ${fmtMs(w.ack_p99_ms)}`],
    ['node A RSS, before → after the writes', `${fmtMB(pgOne.rss_before_bytes)} → ${fmtMB(pgOne.rss_after_bytes)}`],
    ['CPU during the writes: node A / PostgreSQL (all its processes) / load generator', `${pct(w.cpu_pct?.node_a)} / ${pct(w.cpu_pct?.postgres)} / ${pct(w.cpu_pct?.loadgen)}`],
  ]);
  md.push(`### Two nodes: ${fmtN(pgTwo.visitors)} active visitors, the operator on node A`, '');
  const per = pgTwo.visitors_per_node || [];
  md.push(`Node B then starts on the same databases and key file. ${fmtN(pgTwo.visitors)} visitors connect (hello, one warm-up message), alternately to node A (${fmtN(per[0])}) and node B (${fmtN(per[1])}), ${pgTwo.failed_to_connect ? `**${pgTwo.failed_to_connect} failed to connect** (${pgTwo.error}), ` : ''}in ${fx(pgTwo.connect_secs, 1)} s; the operator, on node A, opened ${fmtN(pgTwo.conversations_seen)} of their conversations${pgTwo.operator_saw_every_conversation ? ' (all)' : ' (**not all**)'}. Then for ${fx(pgTwo.window_secs, 0)} s every visitor sends a timed message every ${st.interval_ms / 1000} s (spread out, as in the ramp), and the operator times each from its scheduled send time (late sends count as late). The messages of node B's visitors reach the operator through PostgreSQL's LISTEN/NOTIFY (node A then reads them from the database); node A's do not cross. Each message names its visitor's node, so the two are told apart. A message not received within 2 s of the window counts as missing (and as over the target).`, '');
  const lrow = (label, x) => [label, `${fmtN(x.sent)} / ${fmtN(x.received)}`, fx(x.msgs_per_sec, 0), fmtMs(x.p50_ms), fmtMs(x.p99_ms), fmtMs(x.max_ms), x.over_50_ms == null ? 'n/a' : `${fmtN(x.over_50_ms)} / ${fmtN(x.over_1_s)}`];
  table(['visitor → operator', 'sent / received', 'msg/s', 'p50', 'p99', 'max', 'over 50 ms / over 1 s (missing included)'], [
    lrow(`**across nodes** (B's visitors, operator on A)`, pgTwo.cross_node),
    lrow('same node (A\'s visitors)', pgTwo.same_node),
    lrow('all', pgTwo.all),
  ]);
  md.push(`**Target ${PG_TARGET}, across nodes: ${verdict(pgTwo.target_met)}** (p99 ${fmtMs(pgCross.p99_ms)}). Visitor acks (stored): p50 ${fmtMs(pgTwo.ack_p50_ms)}, p99 ${fmtMs(pgTwo.ack_p99_ms)}.${pgCross.max_ms > 1000 ? ` The slowest cross-node message took ${fmtMs(pgCross.max_ms)}: about one interval between a visitor's messages (${st.interval_ms / 1000} s), which suggests it reached the operator only with that visitor's next message (a notification missed and not caught up by node A's 1 s catch-up)${pgTwo.slowest?.seq != null ? `; it was message ${pgTwo.slowest.seq} of its conversation (${pgTwo.slowest.seq === 2 ? 'the first after the warm-up, so the first since the operator opened the conversation' : '2 is the first after the warm-up'})` : ''}. The bench does not show why, and such an outlier does not come in every run.` : ''}`, '');
  const c = pgTwo.cpu_pct || {};
  table(['process', 'visitors', 'RSS before the visitors → after the window', `CPU during the window (% of one core)`], [
    ['node A (and the operator)', fmtN(per[0]), `${fmtMB(pgTwo.rss_before_bytes?.node_a)} → ${fmtMB(pgTwo.rss_after_bytes?.node_a)}`, pct(c.node_a)],
    ['node B', fmtN(per[1]), `${fmtMB(pgTwo.rss_before_bytes?.node_b)} → ${fmtMB(pgTwo.rss_after_bytes?.node_b)}`, pct(c.node_b)],
    ['PostgreSQL (postmaster and backends)', '', '', pct(c.postgres)],
    ['load generator', '', '', pct(c.loadgen)],
  ]);
  const errs = [...Object.entries(pgOne.errors || {}), ...Object.entries(pgTwo.errors || {})];
  if (errs.length) {
    md.push('Errors the load generator saw (by phase, with counts):', '');
    for (const [e, n] of errs) md.push(`- ${e}: ${n}`);
    md.push('');
  }
} else md.push('Not measured (PostgreSQL step skipped or failed).', '');

md.push('## Peers', '', 'Issue 6\'s figures for the peers beside ours (gzip -9, KB = 1,024 B). Peers load their widget on every page before any click; Confide loads only the loader until the click, so the full widget after the click is compared too.', '');
const oursBefore = loaderGzip;
const oursAfter = distAfter?.gzip ?? null;
table(['widget', 'snippet on every page', 'loaded before any click', 'peer ÷ Confide, before the click', 'peer\'s before-click ÷ Confide\'s after-click'], [
  ['**Confide**', fmtKB(loaderGzip), `${fmtKB(oursBefore)} (the loader only; after the click ${fmtKB(oursAfter)})`, '1×', '1×'],
  ...PEERS.map((p) => [p.name, p.snippet_kb == null ? 'n/a' : `${p.snippet_kb} KB`, `${p.before_click_kb} KB (${p.note})`, ratio(p.before_click_kb * 1024, oursBefore), ratio(p.before_click_kb * 1024, oursAfter)]),
]);

md.push('## Shrink the widget', '', 'What each choice saved (positive) or cost (negative), gzip -9 bytes of the widget. The wasm-opt row is measured by every bench run (wasm-bindgen output of cargo\'s release build, then `wasm-opt -Oz`); the other rows come from `bench/shrink.json`, kept by whoever shrinks the widget.', '');
const shrinkRows = [];
if (wasmopt) {
  const saved = wasmopt.without_wasm_opt.gzip - wasmopt.with_wasm_opt_oz.gzip;
  shrinkRows.push(['`wasm-opt -Oz`', fmtB(saved), `measured: ${fmtB(wasmopt.without_wasm_opt.raw)} → ${fmtB(wasmopt.with_wasm_opt_oz.raw)} raw, ${fmtB(wasmopt.without_wasm_opt.gzip)} → ${fmtB(wasmopt.with_wasm_opt_oz.gzip)} gzip (dist has ${fmtB(wasmopt.dist?.gzip)} gzip)`]);
} else shrinkRows.push(['`wasm-opt -Oz`', 'not measured', 'cargo\'s release wasm was not found']);
for (const r of shrink.rows) shrinkRows.push([r.choice, r.saved_gzip_bytes == null ? 'not measured' : fmtB(r.saved_gzip_bytes), r.source]);
table(['choice', 'saved (gzip)', 'source'], shrinkRows);

md.push('## Not measured, and limits', '',
  '- The peers were not rebuilt here: their figures are issue 6\'s.',
  '- Latency is loopback on one shared 2-core machine: the load generator (one tokio task per socket), the server and SQLite compete for the same cores, so the ramp finds this machine\'s limit, not the server\'s alone.',
  '- "Durable" is the server\'s default, durability full: one fsync per committed batch, so an acknowledged message survives a power cut (durability normal, in the store section only, survives a crash of the process).',
  '- The JS heap is the renderer isolate\'s (host page and the same-origin iframe share it); the heap added is after minus before the click.',
  '- No network throttling: times are loopback and cold cache; bodies come brotli or gzip as the browser asks; the "as the browser loaded it" figure is the gzip -9 of each body, not the bytes on the wire.',
  '- Sealing and the purge run on the real store in a temporary folder of this machine\'s disk, with the same shared cores; their "encryption off" rate is an estimate (the store cannot run unsealed), not a run.',
  '- The PostgreSQL run puts both nodes, PostgreSQL (default settings, fsync on) and the load generator on the same 2 cores and disk; "across nodes" is two processes on one machine over loopback, not a network. Its two-node phase measures one level (1,000 visitors by default), not a ramp.',
  '- The history\'s million messages are seeded by SQL with bodies sealed as the writer seals them, not through the writer (which would take minutes); searches and exports then run on the store and the server as they are.',
  '');

md.push('## How this was run', '');
table(['step', 'time'], (meta.steps || []).map((s) => [s.step, s.error ? `failed: ${s.error}` : `${s.secs} s`]));
md.push(`Options: ${JSON.stringify(meta.options)}. ${meta.secs_before_report != null ? `All steps together: ${meta.secs_before_report} s. ` : ''}Raw results: \`target/bench/out/*.json\`.`, '');
if (carried?.run) {
  md.push(`The carried-over sections come from this full run (commit ${carried.commit}):`, '');
  table(['step', 'time'], (carried.run.steps || []).map((s) => [s.step, s.error ? `failed: ${s.error}` : `${s.secs} s`]));
  md.push(`Options: ${JSON.stringify(carried.run.options)}.${carried.run.secs_before_report != null ? ` All steps together: ${carried.run.secs_before_report} s.` : ''}`, '');
}

writeFileSync(join(OUT, 'report.md'), md.join('\n'));
writeJson(join(OUT, 'report.json'), {
  commit: gitRev,
  written: new Date().toISOString().slice(0, 10),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model?.trim(), mem_bytes: totalmem(), kernel: release(), loadavg_start: meta.loadavg_start ?? null, loadavg_end: meta.loadavg_end ?? null },
  budgets: BUDGET,
  summary: summary.map((s) => ({ budget: s.budget, limit: s.limit, value: s.value, result: s.ok === 'info' ? 'info' : s.ok == null ? 'not measured' : s.ok ? 'pass' : 'fail' })),
  after_click_goal_met: goalMet,
  sizes,
  wasm_opt: wasmopt,
  browser,
  load,
  store,
  history,
  postgres,
  carried_over: carried,
  peers: PEERS,
  shrink: shrink.rows,
  run: meta,
});
console.log(`report: wrote ${join(OUT, 'report.md')} and report.json`);
