// Shared helpers for the end-to-end tests: start the real `confide` binary on a free loopback
// port with a fresh SQLite file, and launch Debian's headless Chromium through playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const SERVER_BIN = process.env.E2E_SERVER_BIN;
const ASSETS_DIR = process.env.E2E_ASSETS_DIR;
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

/**
 * Starts `confide serve --demo` on 127.0.0.1:<free port>; resolves once it prints its URL.
 * `dataDir`: start on an earlier server's data (stopped with `{ keep: true }`); `daysLater`:
 * the server's clock runs that many days ahead (libfaketime, installed by `cargo xtask setup`;
 * monotonic time, which timers use, stays real).
 */
export async function startServer({ demo = true, env = {}, timeoutMs = 20000, dataDir = null, daysLater = 0 } = {}) {
  if (!SERVER_BIN || !ASSETS_DIR) {
    throw new Error('run through `cargo xtask test` (E2E_SERVER_BIN and E2E_ASSETS_DIR unset)');
  }
  dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'confide-e2e-'));
  const faketime = {};
  if (daysLater) {
    const lib = process.env.E2E_FAKETIME_LIB || '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
    if (!existsSync(lib)) throw new Error(`${lib} is missing: run \`cargo xtask setup\``);
    Object.assign(faketime, {
      LD_PRELOAD: lib,
      FAKETIME: `+${daysLater}d`,
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      FAKETIME_NO_CACHE: '1',
    });
  }
  const args = ['serve'];
  if (demo) args.push('--demo');
  const child = spawn(SERVER_BIN, args, {
    cwd: dataDir,
    // Only what the server needs: a stray CONFIDE_* variable would be refused by the server.
    env: {
      PATH: process.env.PATH,
      CONFIDE_BIND: '127.0.0.1:0',
      CONFIDE_DATA_DIR: dataDir,
      CONFIDE_ASSETS_DIR: ASSETS_DIR,
      CONFIDE_LOG: 'info',
      // Every visitor of a test comes from 127.0.0.1: the per-client rate of hellos would
      // treat them as one (tests of the limits set their own).
      CONFIDE_HELLOS_PER_CLIENT_PER_MINUTE: '100000',
      CONFIDE_LEAVE_MESSAGES_PER_CLIENT_PER_MINUTE: '100000',
      ...faketime,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${stderr}`)); });
  });
  // With --demo, the first run prints the demo operator's generated password once.
  const login = () => {
    const m = stdout.match(/sign in as (\S+) with password (\S+)/);
    return m ? { email: m[1], password: m[2] } : null;
  };
  return {
    url,
    dataDir,
    login,
    logs: () => stdout + stderr,
    async stop({ keep = false } = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Signs the demo operator in to the console in a fresh browser context and waits for the
 * inbox: from then on an operator is online. Returns the console page.
 */
export async function signInOperator(browser, server, timeout = 15000) {
  const creds = server.login();
  if (!creds) throw new Error('the demo did not print an operator login');
  const op = await (await browser.newContext()).newPage();
  await op.goto(`${server.url}/console`);
  const form = op.locator('form[data-testid=login]');
  await form.locator('input[name=email]').fill(creds.email);
  await form.locator('input[name=password]').fill(creds.password);
  await form.locator('button[type=submit]').click();
  await op.locator('[data-testid=inbox]').waitFor({ timeout });
  return op;
}

/** Headless Chromium with the flags that work on these machines (no outside connections). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/**
 * Records, from the first script on every page and frame, each storage write, cookie write,
 * IndexedDB open, WebSocket and fetch/XHR a page makes, into window.__audit (per frame).
 */
export const AUDIT_INIT_SCRIPT = `(() => {
  const log = (window.__audit = []);
  const wrap = (obj, name, label) => {
    const orig = obj[name];
    obj[name] = function (...args) { log.push(label + ':' + String(args[0])); return orig.apply(this, args); };
  };
  wrap(Storage.prototype, 'setItem', 'storage.setItem');
  wrap(IDBFactory.prototype, 'open', 'indexedDB.open');
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  Object.defineProperty(document, 'cookie', {
    get() { return cookie.get.call(document); },
    set(v) { log.push('cookie:' + v); cookie.set.call(document, v); },
  });
  const WS = window.WebSocket;
  window.WebSocket = function (...args) { log.push('websocket:' + args[0]); return new WS(...args); };
  wrap(window, 'fetch', 'fetch');
  if (navigator.sendBeacon) wrap(navigator, 'sendBeacon', 'beacon');
})();`;

/**
 * Records everything `page` (and its frames) sends: each request's URL, headers and body, and
 * each WebSocket URL and frame sent. Returns the live array.
 */
export function recordTraffic(page) {
  const sent = [];
  page.on('request', async (r) => {
    const headers = await r.allHeaders().catch(() => ({}));
    sent.push({ kind: 'request', url: r.url(), headers, body: r.postData() || '' });
  });
  page.on('websocket', (ws) => {
    sent.push({ kind: 'websocket', url: ws.url() });
    ws.on('framesent', (f) => sent.push({ kind: 'frame', body: String(f.payload) }));
  });
  return sent;
}

/**
 * One recorded item as searchable text: URL, headers and body. The browser's own User-Agent
 * and the test's injected X-Forwarded-For are left out: the browser sends them with every
 * request whatever Confide does, and the server side is audited for them separately.
 */
export function sentText(s) {
  const headers = Object.entries(s.headers || {})
    .filter(([k]) => !['user-agent', 'x-forwarded-for'].includes(k.toLowerCase()))
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  return `${s.url || ''}\n${headers}\n${s.body || ''}`;
}

/**
 * The values a query over the server's database returns, each a hex() of a column, as latin1
 * text like keptBytes (read with the sqlite3 shell, read-only, beside the running server):
 * to search the files for exactly a sealed row's bytes, since its plain text never is there.
 */
export function storedBytes(server, sql) {
  const out = execFileSync('sqlite3', ['-readonly', join(server.dataDir, 'confide.db'), sql], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter(Boolean).map((hex) => Buffer.from(hex, 'hex').toString('latin1'));
}

/** The server's SQLite file and WAL, byte for byte (as latin1 text, for searching). */
export function keptBytes(server) {
  return ['confide.db', 'confide.db-wal']
    .map((f) => join(server.dataDir, f))
    .filter(existsSync)
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n');
}

/**
 * A site owner's site on its own origin (another loopback port). `pages` is either one HTML
 * document served at every path, or an object from path to a document (a string, served as
 * HTML) or `{ type, body }`; other paths are 404. `headers` are added to every HTML response
 * (a Content-Security-Policy, say). With `hostname: 'localhost'` the URL names the host
 * `localhost` instead of 127.0.0.1, so that a page URL the chat keeps cannot be mistaken for
 * the visitor's address in a search. Resolves to { url, close }.
 */
export async function startHostSite(pages, { headers = {}, hostname = '127.0.0.1' } = {}) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://host').pathname;
    const page = typeof pages === 'string' ? pages : pages[path];
    if (page === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    if (typeof page === 'string') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(page);
    } else {
      res.writeHead(200, { 'content-type': page.type });
      res.end(page.body);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://${hostname}:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

/**
 * The demo operator signed in through the login API (no console) in a fresh browser context,
 * with a page open on the chat origin: for adminApi() and operatorSocket().
 */
export async function signInApi(browser, server) {
  const creds = server.login();
  if (!creds) throw new Error('the demo did not print an operator login');
  const context = await browser.newContext();
  const res = await context.request.post(`${server.url}/api/operator/login`, {
    data: creds,
    headers: { origin: server.url },
  });
  if (!res.ok()) throw new Error(`login refused: ${res.status()} ${await res.text()}`);
  const page = await context.newPage();
  await page.goto(`${server.url}/healthz`);
  return page;
}

/**
 * An operator's socket (/ws/operator) opened in `op` (a page of signInApi): from then on an
 * operator is online. `frame(pattern, after)` waits for a received frame, among those after
 * the first `after`, that has every field of `pattern` (nested objects compared field by
 * field) and returns it; `received()` is how many frames came so far; `send(frame)` sends one.
 */
export async function operatorSocket(op, server, timeout = 15000) {
  await op.evaluate((url) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    window.__opFrames = [];
    window.__opSocket = ws;
    ws.onmessage = (e) => window.__opFrames.push(JSON.parse(e.data));
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('the operator socket failed'));
  }), `${server.url.replace('http', 'ws')}/ws/operator`);
  return {
    async frame(pattern, after = 0) {
      const handle = await op.waitForFunction(({ pattern, after }) => {
        const has = (v, p) => (p !== null && typeof p === 'object'
          ? v !== null && typeof v === 'object' && Object.keys(p).every((k) => has(v[k], p[k]))
          : v === p);
        return window.__opFrames.slice(after).find((f) => has(f, pattern));
      }, { pattern, after }, { timeout });
      return handle.jsonValue();
    },
    received: () => op.evaluate(() => window.__opFrames.length),
    send: (frame) => op.evaluate((f) => window.__opSocket.send(JSON.stringify(f)), frame),
  };
}

/** Replaces the demo widget's settings through the admin API, as the signed-in `op` page. */
export async function updateDemoSettings(op, server, change) {
  const url = `${server.url}/api/admin/widgets/demo/settings`;
  const request = op.context().request;
  const current = await (await request.get(url)).json();
  change(current);
  const res = await request.put(url, { data: current, headers: { origin: server.url } });
  if (!res.ok()) throw new Error(`settings refused: ${res.status()} ${await res.text()}`);
  return res.json();
}

/** JSON calls to the admin API as the signed-in `op` page; throws on an error status. */
export function adminApi(op, server) {
  const request = op.context().request;
  const call = async (method, path, data) => {
    const res = await request.fetch(`${server.url}${path}`, {
      method,
      data,
      headers: { origin: server.url },
    });
    if (!res.ok()) throw new Error(`${method} ${path}: ${res.status()} ${await res.text()}`);
    return res.status() === 204 ? null : res.json();
  };
  return {
    get: (path) => call('GET', path),
    post: (path, data) => call('POST', path, data),
    put: (path, data) => call('PUT', path, data),
  };
}

/** The WCAG 2.0, 2.1 and 2.2 A and AA rules of axe-core. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Runs axe-core (through @axe-core/playwright) on `page` and every frame in it, with the
 * WCAG A and AA rules only; resolves to one readable line per violating node, empty when
 * there is none.
 */
export async function axeViolations(page) {
  const { AxeBuilder } = await import('@axe-core/playwright');
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return results.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
}

/** Asserts axe finds nothing on `page`, naming the state checked. */
export async function assertAccessible(page, state) {
  const found = await axeViolations(page);
  if (found.length) throw new Error(`axe: ${found.length} WCAG violation(s) in ${state}:\n${found.join('\n')}`);
}
