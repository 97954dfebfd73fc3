// Privacy contract 1: nothing before the click. The demo page embeds the snippet exactly as a
// site owner would; until the launcher is clicked the browser must make no request but the
// page and loader.js, set no cookie, write no storage, open no socket and create no iframe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, AUDIT_INIT_SCRIPT } from './helpers.mjs';

test('before the click the host page makes one request to the chat server and stores nothing', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    await context.addInitScript(AUDIT_INIT_SCRIPT);
    const page = await context.newPage();
    const requests = [];
    const sockets = [];
    page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    page.on('websocket', (w) => sockets.push(w.url()));

    await page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
    // The launcher is drawn: the loader ran.
    await page.locator('[data-confide] button').waitFor({ state: 'visible' });

    assert.deepEqual(requests, [`GET ${server.url}/`, `GET ${server.url}/loader.js`]);
    assert.deepEqual(sockets, []);
    assert.deepEqual(await context.cookies(), []);
    assert.equal(await page.locator('iframe').count(), 0);
    const audit = await page.evaluate(() => ({
      log: window.__audit,
      local: localStorage.length,
      session: sessionStorage.length,
    }));
    assert.deepEqual(audit, { log: [], local: 0, session: 0 });

    // The recorder works: after the click the widget does talk to the server.
    await page.locator('[data-confide] button').click();
    await page.frameLocator('iframe[title="Chat"]').locator('main[data-confide-widget]').waitFor();
    assert.ok(requests.some((r) => r.includes('/w/demo')), 'the iframe loads after the click');
  } finally {
    await browser.close();
    await server.stop();
  }
});
