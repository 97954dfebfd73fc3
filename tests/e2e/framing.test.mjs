// A page on another origin cannot frame the console (clickjacking): the console's documents
// carry frame-ancestors 'none' (and X-Frame-Options: DENY), and Chromium refuses to show them
// in a frame. The widget's document, meant to be framed by site owners, is the control: the
// same host page shows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, startHostSite } from './helpers.mjs';

test('a page on another origin cannot frame the console, only the widget', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  const host = await startHostSite(`<!doctype html><title>evil</title>
    <iframe id="console" src="${server.url}/console"></iframe>
    <iframe id="index" src="${server.url}/console/index.html"></iframe>
    <iframe id="widget" src="${server.url}/w/demo"></iframe>`);
  try {
    const page = await browser.newPage();
    const refusals = [];
    const refused = new Promise((resolve) => {
      page.on('console', (m) => {
        if (/frame-ancestors|X-Frame-Options/.test(m.text())) {
          refusals.push(m.text());
          if (refusals.length === 2) resolve();
        }
      });
    });
    await page.goto(host.url);
    // The control: the widget's document is shown in its frame.
    await page.frameLocator('#widget').locator('main[data-confide-widget="demo"]')
      .waitFor({ state: 'attached', timeout: 20000 });
    // Both console documents are refused by the browser, which says why (frame-ancestors,
    // or X-Frame-Options in a browser that predates it).
    await Promise.race([
      refused,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`refusals seen: ${refusals}`)), 20000)),
    ]);
    // Refused, so the console's sign-in form is in neither frame.
    for (const id of ['console', 'index']) {
      assert.equal(await page.frameLocator(`#${id}`).locator('form[data-testid=login]').count(), 0, id);
    }
  } finally {
    await browser.close();
    await host.close();
    await server.stop();
  }
});
