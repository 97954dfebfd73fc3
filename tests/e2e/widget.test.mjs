// The first end-to-end test: a visitor opens the demo site page, clicks the launcher, and the
// Yew widget renders inside the iframe served by the chat server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser } from './helpers.mjs';

test('clicking the launcher on the demo page shows the Yew widget in its iframe', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`); });

    await page.goto(`${server.url}/`);
    assert.equal(await page.locator('iframe').count(), 0, 'no iframe before the click');

    // The launcher lives in the loader's (open) shadow root; playwright's CSS engine pierces it.
    await page.locator('[data-confide] button').click();

    const frame = page.frameLocator('iframe[title="Chat"]');
    const widget = frame.locator('main[data-confide-widget="demo"]');
    await widget.waitFor({ state: 'visible', timeout: 20000 });
    assert.match(await widget.textContent(), /Chat with us/);
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  } finally {
    await browser.close();
    await server.stop();
  }
});
