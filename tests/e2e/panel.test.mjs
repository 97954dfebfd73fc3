// Privacy contract 6, from the visitor's side: the privacy panel shows what is stored, lets
// the visitor download their transcript, delete the conversation, and withdraw consent, after
// which the gate is back and nothing of the conversation is left on the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, signInOperator } from './helpers.mjs';

const WAIT = { timeout: 15000 };

test('the visitor downloads, deletes and withdraws from the privacy panel', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const op = await signInOperator(browser, server);

    const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    await page.goto(`${server.url}/`);
    await page.locator('[data-confide] button').click();
    const widget = page.frameLocator('iframe[title="Chat"]');
    await widget.locator('[data-testid=consent-checkbox]').check(WAIT);
    await widget.locator('[data-testid=consent-start]').click();
    await widget.locator('main[data-connection=online]').waitFor(WAIT);
    const composer = widget.locator('textarea[data-testid=composer]');
    await composer.fill('My order number is 4711');
    await composer.press('Enter');
    await widget.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);

    await widget.locator('button[data-testid=privacy-open]').click();
    const panel = widget.locator('[data-testid=privacy-panel]');
    await panel.waitFor(WAIT);
    await panel.locator('[data-testid=privacy-message-count]').filter({ hasText: '1' }).waitFor(WAIT);

    const [download] = await Promise.all([
      page.waitForEvent('download', WAIT),
      panel.locator('[data-testid=privacy-download-json]').click(),
    ]);
    const json = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.ok(JSON.stringify(json).includes('My order number is 4711'), 'the transcript holds the message');

    // Withdrawing needs a confirmation, then the gate is back.
    await panel.locator('button[data-testid=privacy-withdraw]').click();
    await panel.locator('button[data-testid=privacy-withdraw-confirm]').click();
    await widget.locator('[data-testid=consent]').waitFor(WAIT);
    assert.equal(await widget.locator('[data-testid=consent-checkbox]').isChecked(), false);

    // On the server, nothing of the conversation is left: the operator sees it closed and
    // opening it finds nothing.
    const gone = await op.evaluate(async (wsUrl) => {
      const ws = new WebSocket(wsUrl);
      return await new Promise((resolve, reject) => {
        setTimeout(() => reject(new Error('no answer in 10 s')), 10000);
        ws.onmessage = (e) => {
          const f = JSON.parse(e.data);
          if (f.type === 'inbox') ws.send(JSON.stringify({ type: 'open', conversation: 1 }));
          if (f.type === 'error' || f.type === 'message') resolve(f);
        };
      });
    }, `${server.url.replace('http', 'ws')}/ws/operator`);
    assert.equal(gone.type, 'error');
    assert.equal(gone.error.code, 'not_found');
  } finally {
    await browser.close();
    await server.stop();
  }
});
