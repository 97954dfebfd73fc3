// Privacy contract 2: consent first. The visitor sees the disclaimer, the privacy link and an
// unticked checkbox; nothing is sent (no socket, nothing typed) until they tick it and start;
// the receipt the operator sees holds the SHA-256 of exactly the text the browser showed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer, launchBrowser, signInOperator } from './helpers.mjs';

const WAIT = { timeout: 15000 };

test('no chat before consent, and the receipt hashes exactly the disclaimer shown', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    // An operator is online, so the visitor gets the chat (not the leave-a-message form).
    const op = await signInOperator(browser, server);

    const page = await (await browser.newContext({ locale: 'de-DE' })).newPage();
    const sockets = [];
    page.on('websocket', (w) => sockets.push(w.url()));
    await page.goto(`${server.url}/`);
    await page.locator('[data-confide] button').click();
    const widget = page.frameLocator('iframe[title="Chat"]');

    const gate = widget.locator('[data-testid=consent]');
    await gate.waitFor(WAIT);
    const box = gate.locator('input[type=checkbox][data-testid=consent-checkbox]');
    const start = gate.locator('button[data-testid=consent-start]');
    assert.equal(await box.isChecked(), false, 'the checkbox starts unticked');
    assert.equal(await start.isDisabled(), true, 'start is disabled until ticked');
    const link = gate.locator('a[data-testid=privacy-link]');
    assert.equal(await link.getAttribute('href'), 'https://example.com/privacy');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await widget.locator('textarea').count(), 0, 'nothing to type into yet');
    assert.deepEqual(sockets, [], 'no socket before consent');

    // The exact text shown, read from the page (German: the browser's language).
    const title = await gate.locator('[data-testid=consent-title]').innerText();
    const body = await gate.locator('[data-testid=consent-body]').innerText();
    // How long each kind of data is kept, in German, is part of what the visitor agrees to.
    const retention = await gate.locator('[data-testid=consent-retention]').innerText();
    assert.match(retention, /^Gespräche werden 6 Monate nach/);
    const checkbox = (await gate.locator('label:has(input[data-testid=consent-checkbox])').innerText()).trim();
    const startLabel = (await start.innerText()).trim();
    assert.equal(startLabel, 'Chat starten');

    await box.check();
    assert.equal(await start.isDisabled(), false);
    await start.click();
    await widget.locator('main[data-connection=online]').waitFor(WAIT);
    assert.equal(sockets.length, 1, 'the socket opens after start');
    const composer = widget.locator('textarea[data-testid=composer]');
    await composer.fill('Hallo!');
    await composer.press('Enter');
    await widget.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);

    // The operator opens the conversation and sees the receipt.
    await op.locator('[data-testid=inbox-item]').first().click(WAIT);
    const receipt = op.locator('[data-testid=conversation] [data-testid=receipt]');
    await receipt.waitFor(WAIT);
    assert.match(await receipt.innerText(), /disclaimer v1 \(de\)/);
    assert.match(await receipt.innerText(), /policy https:\/\/example\.com\/privacy/);
    const shown = `${title}\n${body}\n${retention}\n${checkbox}\n${startLabel}\n`;
    const expected = createHash('sha256').update(shown, 'utf8').digest('hex');
    assert.equal(await receipt.getAttribute('title'), `SHA-256 of the disclaimer shown: ${expected}`);
  } finally {
    await browser.close();
    await server.stop();
  }
});
