// Privacy contract 3 and 4, audited byte by byte in privacy mode (the demo widget's default):
// a canary user agent, referrer, page URL and X-Forwarded-For, and a draft typed and deleted
// before a different message is sent. Everything the browser sends (request URLs, headers and
// bodies, WebSocket frames), the SQLite file with its WAL, and the server's debug log are
// searched for the canaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, signInOperator } from './helpers.mjs';

const WAIT = { timeout: 15000 };
const UA = 'Mozilla/5.0 (X11; Linux x86_64) CanaryBrowser/7.7 canary-user-agent';
const REFERRER = 'https://canary-referrer.example/some/page';
const PAGE_QUERY = 'campaign=canary-page-url';
const IP = '203.0.113.99';
const DRAFT = 'canary-draft-never-sent';
const SENT = 'Hello, where is my parcel?';

test('privacy mode: no user agent, referrer, page URL, IP or draft leaves the browser or is kept', async () => {
  const server = await startServer({ env: { CONFIDE_LOG: 'debug' } });
  const browser = await launchBrowser();
  try {
    // An operator is online (in a context that is not audited), so the visitor gets the chat.
    const op = await signInOperator(browser, server);

    const context = await browser.newContext({ userAgent: UA, extraHTTPHeaders: { 'X-Forwarded-For': IP } });
    const page = await context.newPage();
    const sent = []; // everything the visitor's browser sends, as text
    page.on('request', async (r) => {
      const headers = await r.allHeaders().catch(() => ({}));
      sent.push({ kind: 'request', url: r.url(), headers, body: r.postData() || '' });
    });
    page.on('websocket', (ws) => {
      sent.push({ kind: 'websocket', url: ws.url() });
      ws.on('framesent', (f) => sent.push({ kind: 'frame', body: String(f.payload) }));
    });

    await page.goto(`${server.url}/?${PAGE_QUERY}`, { referer: REFERRER });
    assert.equal(await page.evaluate(() => document.referrer), REFERRER, 'the host page has the canary referrer');
    await page.locator('[data-confide] button').click();
    const widget = page.frameLocator('iframe[title="Chat"]');
    await widget.locator('[data-testid=consent-checkbox]').check(WAIT);
    await widget.locator('[data-testid=consent-start]').click();
    await widget.locator('main[data-connection=online]').waitFor(WAIT);

    const composer = widget.locator('textarea[data-testid=composer]');
    await composer.pressSequentially(DRAFT, { delay: 10 });
    // Long enough for any typing or preview timer to fire (the typing signal ends after 3 s).
    await page.waitForTimeout(3500);
    await composer.fill('');
    await composer.fill(SENT);
    await composer.press('Enter');
    await widget.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);
    // The operator received the message: the pipeline ran end to end.
    await op.locator('[data-testid=inbox-item]').first().click(WAIT);
    await op.locator('[data-testid=message-text]').filter({ hasText: SENT }).waitFor(WAIT);

    // What the browser sent. The browser itself puts its user agent in the User-Agent header
    // and the test's X-Forwarded-For in every request; everything else must be clean.
    const canaries = ['canary-user-agent', 'CanaryBrowser', 'canary-referrer', 'canary-page-url', IP, DRAFT];
    // The host page's own navigation is the site's request, not Confide's (in the demo the
    // chat server happens to serve the host page too); its URL and Referer are the canaries
    // by construction. The server's log and database are still checked for them below.
    const hostPage = `${server.url}/?${PAGE_QUERY}`;
    const audited = sent.filter((s) => !(s.kind === 'request' && s.url === hostPage));
    assert.equal(sent.length - audited.length, 1, 'exactly one host-page navigation');
    for (const s of audited) {
      const headers = Object.entries(s.headers || {})
        .filter(([k]) => !['user-agent', 'x-forwarded-for'].includes(k.toLowerCase()))
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n');
      const text = `${s.url || ''}\n${headers}\n${s.body || ''}`;
      for (const c of canaries) assert.ok(!text.includes(c), `${c} sent in ${s.kind}: ${text}`);
      // Privacy mode sends no Referer at all to the chat server.
      if (s.kind === 'request') {
        assert.ok(!('referer' in (s.headers || {})), `Referer sent with ${s.url}`);
      }
    }
    const frames = audited.filter((s) => s.kind === 'frame').map((s) => s.body);
    assert.ok(frames.some((f) => f.includes(SENT)), 'the sent message is among the recorded frames');
    for (const f of frames.filter((f) => f.includes('"typing"'))) {
      assert.deepEqual(Object.keys(JSON.parse(f)).sort(), ['active', 'type'], `typing is a bare boolean: ${f}`);
    }

    // What the server kept: the database file and its WAL, byte for byte, and its log.
    const kept = ['confide.db', 'confide.db-wal']
      .map((f) => join(server.dataDir, f))
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'));
    assert.ok(kept.join('').includes(SENT), 'the audit reads the real database');
    const logs = server.logs();
    assert.ok(logs.includes('request'), 'the debug log was recorded');
    for (const c of ['canary-user-agent', 'CanaryBrowser', 'canary-referrer', 'canary-page-url', IP, DRAFT]) {
      for (const bytes of kept) assert.ok(!bytes.includes(c), `${c} stored in the database`);
      assert.ok(!logs.includes(c), `${c} in the server log`);
    }
    assert.ok(!logs.includes(SENT), 'message text is never logged');
  } finally {
    await browser.close();
    await server.stop();
  }
});
