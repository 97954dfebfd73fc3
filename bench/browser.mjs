// The widget in headless Chromium, cold cache (a new browser context per run), on loopback,
// against the real server (E2E_SERVER_BIN, E2E_ASSETS_DIR as for the end-to-end tests).
//
// One detailed run records what the host page costs before the click (requests, cookies,
// storage, long tasks) and every request the iframe makes until the chat is usable, with the
// bodies' gzip and brotli sizes. Then `--runs` timed runs: click -> consent gate visible,
// start -> composer focusable, start -> socket online; JS heap and wasm memory after opening.
//   node bench/browser.mjs --out browser.json [--runs 20]
import { startServer, launchBrowser, signInOperator, AUDIT_INIT_SCRIPT } from '../tests/e2e/helpers.mjs';
import { sizesOf, total, parseArgs, writeJson, percentile, within } from './lib.mjs';

const args = parseArgs();
const RUNS = Number(args.runs ?? 20);
const STEP = { timeout: 20000 };

// Installed in every frame before any of its scripts. The host page records its long tasks
// and the click; the widget's frame records when the gate, the composer and the socket are
// ready, and keeps the wasm memory Trunk's bootstrap hands over.
// A same-origin iframe keeps its Window when it leaves its initial about:blank, so listeners
// go on the window once and the DOM observer is attached to each new document.
const BENCH_INIT_SCRIPT = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  if (window.__bench) return;
  const marks = (window.__bench = { longtasks: [] });
  if (window.top === window) {
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) marks.longtasks.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
      }).observe({ type: 'longtask', buffered: true });
      marks.longtaskObserver = true;
    } catch (e) { marks.longtaskObserver = false; }
    addEventListener('click', () => { if (!marks.click) marks.click = now(); }, true);
    return;
  }
  addEventListener('TrunkApplicationStarted', (e) => {
    marks.started = now();
    window.__benchWasm = e.detail && e.detail.wasm;
    attach();
  });
  addEventListener('click', (e) => {
    const t = e.target;
    if (!marks.start && t && t.closest && t.closest('[data-testid=consent-start]')) marks.start = now();
  }, true);
  const check = () => {
    if (!marks.gate && document.querySelector('[data-testid=consent]')) marks.gate = now();
    const c = document.querySelector('textarea[data-testid=composer]');
    if (!marks.usable && c && !c.disabled && c.getClientRects().length) {
      c.focus();
      if (document.activeElement === c) marks.usable = now();
    }
    if (!marks.online && document.querySelector('main[data-connection=online]')) marks.online = now();
  };
  function attach() {
    if (document.__benchObserved) return;
    document.__benchObserved = true;
    new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
    check();
  }
  attach();
  addEventListener('DOMContentLoaded', attach, true);
  addEventListener('readystatechange', attach, true);
})();`;

const widgetFrame = (page) => page.frames().find((f) => /\/w\/[^/]+$/.test(new URL(f.url()).pathname));

/** Opens the demo page, clicks the launcher, gives consent, waits until the chat is usable. */
async function openWidget(browser, server, { audit = false, record = false } = {}) {
  const context = await browser.newContext({ locale: 'en-US' });
  if (audit) await context.addInitScript(AUDIT_INIT_SCRIPT);
  await context.addInitScript(BENCH_INIT_SCRIPT);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const requests = [];
  let clicked = false;
  page.on('request', (r) => requests.push({ request: r, afterClick: clicked }));
  const sockets = [];
  page.on('websocket', (w) => sockets.push({ url: w.url(), afterClick: clicked }));

  await page.goto(`${server.url}/`, { waitUntil: 'networkidle', ...STEP });
  const launcher = page.locator('[data-confide] button');
  await launcher.waitFor(STEP);
  const before = {
    requests: requests.map((r) => r.request.url().replace(server.url, '')),
    sockets: sockets.length,
    cookies: (await context.cookies()).length,
    storage: await page.evaluate(async () => ({
      localStorage: localStorage.length,
      sessionStorage: sessionStorage.length,
      indexedDB: indexedDB.databases ? (await indexedDB.databases()).length : null,
    })),
    audit: audit ? await page.evaluate(() => window.__audit.slice()) : null,
    heap: await cdp.send('Runtime.getHeapUsage'),
  };

  clicked = true;
  await launcher.click(STEP);
  const widget = page.frameLocator('iframe[title="Chat"]');
  const gate = widget.locator('[data-testid=consent]');
  await gate.waitFor(STEP);
  await gate.locator('input[data-testid=consent-checkbox]').check(STEP);
  await gate.locator('button[data-testid=consent-start]').click(STEP);
  await widget.locator('textarea[data-testid=composer]').waitFor(STEP);
  const frame = widgetFrame(page);
  if (!frame) throw new Error('no widget frame');
  await frame.waitForFunction(() => window.__bench.usable && window.__bench.online, null, STEP).catch(async (e) => {
    const marks = await frame.evaluate(() => JSON.stringify(window.__bench) + ' ' + document.body.innerHTML.slice(0, 3000));
    throw new Error(`the chat did not become usable: ${marks}: ${e.message}`);
  });

  const host = await page.evaluate(() => ({ click: window.__bench.click, longtasks: window.__bench.longtasks, observer: window.__bench.longtaskObserver }));
  const inFrame = await frame.evaluate(() => {
    const b = window.__bench;
    const w = window.__benchWasm;
    const memory = w && w.memory && w.memory.buffer ? w.memory.buffer.byteLength : null;
    return { gate: b.gate, start: b.start, usable: b.usable, online: b.online, started: b.started, wasmMemory: memory };
  });
  const after = { heap: await cdp.send('Runtime.getHeapUsage') };

  let loads = null;
  if (record) {
    // Every HTTP request after the click that started before the chat was usable.
    loads = [];
    for (const { request, afterClick } of requests) {
      if (!afterClick) continue;
      const response = await request.response();
      if (!response) continue;
      const body = await response.body().catch(() => Buffer.alloc(0));
      const wire = await request.sizes().catch(() => null);
      loads.push({
        url: request.url().replace(server.url, ''),
        type: request.resourceType(),
        status: response.status(),
        encoding: response.headers()['content-encoding'] || null,
        wire_body: wire ? wire.responseBodySize : null,
        wire_headers: wire ? wire.responseHeadersSize : null,
        ...sizesOf(body),
      });
    }
  }
  await context.close();
  return {
    before,
    after,
    host,
    frame: inFrame,
    loads,
    sockets: sockets.filter((s) => s.afterClick).map((s) => s.url.replace(/^ws:\/\/[^/]+/, '')),
  };
}

function stats(values) {
  return {
    n: values.length,
    p50_ms: round(percentile(values, 0.5)),
    p95_ms: round(percentile(values, 0.95)),
    min_ms: round(Math.min(...values)),
    max_ms: round(Math.max(...values)),
  };
}
const round = (v) => (v == null || !Number.isFinite(v) ? null : Math.round(v * 10) / 10);

let server = null;
let browser = null;

async function main() {
  server = await startServer({ env: { CONFIDE_LOG: 'warn' } });
  browser = await launchBrowser();
  {
    // An operator is online, so the visitor gets the chat (not the leave-a-message form).
    const op = await signInOperator(browser, server);

    // The iframe document and the loader exactly as the server sends them.
    const served = {};
    for (const path of ['/w/demo', '/loader.js']) {
      const res = await fetch(server.url + path);
      const body = Buffer.from(await res.arrayBuffer());
      served[path] = {
        status: res.status,
        content_encoding: res.headers.get('content-encoding'),
        csp_header_bytes: (res.headers.get('content-security-policy') || '').length,
        ...sizesOf(body),
      };
    }

    const detailed = await openWidget(browser, server, { audit: true, record: true });
    const loadsTotal = total(detailed.loads);
    const assets = detailed.loads.filter((l) => !l.url.startsWith('/api/'));

    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await within(60000, `run ${i + 1}`, openWidget(browser, server));
      runs.push({
        click_to_gate: r.frame.gate - r.host.click,
        start_to_usable: r.frame.usable - r.frame.start,
        start_to_online: r.frame.online - r.frame.start,
        click_to_usable_wall: r.frame.usable - r.host.click,
        click_to_started: r.frame.started - r.host.click,
        heap_before: r.before.heap.usedSize,
        heap_after: r.after.heap.usedSize,
        wasm_memory: r.frame.wasmMemory,
        longtasks_before_click: r.host.longtasks.filter((t) => t.at < r.host.click).length,
        longtasks_before_click_ms: r.host.longtasks.filter((t) => t.at < r.host.click).map((t) => round(t.ms)),
        requests_before_click: r.before.requests.length,
      });
    }
    await op.close();
    const col = (k) => runs.map((r) => r[k]).filter((v) => Number.isFinite(v));
    const result = {
      chromium: browser.version(),
      runs: RUNS,
      served,
      before_click: {
        requests: detailed.before.requests,
        sockets: detailed.before.sockets,
        cookies: detailed.before.cookies,
        storage: detailed.before.storage,
        audit: detailed.before.audit,
        longtask_observer: detailed.host.observer,
        longtasks: detailed.host.longtasks.filter((t) => t.at < detailed.host.click),
        longtasks_max_over_runs: Math.max(0, ...col('longtasks_before_click')),
        runs_with_longtasks: runs.filter((r) => r.longtasks_before_click > 0).length,
        longest_longtask_ms: Math.max(0, ...runs.flatMap((r) => r.longtasks_before_click_ms)),
        requests_max_over_runs: Math.max(0, ...col('requests_before_click')),
      },
      after_click: {
        loads: detailed.loads,
        total: loadsTotal,
        assets_total: total(assets),
        sockets: detailed.sockets,
      },
      timing: {
        click_to_gate: stats(col('click_to_gate')),
        start_to_usable: stats(col('start_to_usable')),
        click_to_usable: stats(runs.map((r) => r.click_to_gate + r.start_to_usable)),
        start_to_online: stats(col('start_to_online')),
        click_to_usable_wall: stats(col('click_to_usable_wall')),
        click_to_wasm_started: stats(col('click_to_started')),
      },
      memory: {
        js_heap_before_click: percentile(col('heap_before'), 0.5),
        js_heap_after_open: percentile(col('heap_after'), 0.5),
        js_heap_added: percentile(runs.map((r) => r.heap_after - r.heap_before), 0.5),
        wasm_memory: percentile(col('wasm_memory'), 0.5),
      },
    };
    if (args.out) writeJson(args.out, result);
    else console.log(JSON.stringify(result, null, 2));
  }
}

// Bounded in time; the browser and the server are stopped whatever happens.
let failed = false;
try {
  await within(Number(args['timeout-ms'] ?? 600000), 'browser bench', main());
} catch (e) {
  console.error(`browser bench: ${e.stack || e}`);
  failed = true;
} finally {
  await browser?.close().catch(() => {});
  await server?.stop().catch(() => {});
}
process.exit(failed ? 1 : 0);
