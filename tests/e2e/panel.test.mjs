// Privacy contract 6, from the visitor's side: the privacy panel shows what is stored, lets
// the visitor download their transcript, delete the conversation (its messages leave the
// database file and its WAL; the consent receipt stays), and withdraw consent, after which the
// gate is back and nothing of the conversation is left on the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, signInApi, operatorSocket, recordTraffic, keptBytes, storedBytes } from './helpers.mjs';

const WAIT = { timeout: 15000 };
const FIRST = 'canary-deleted-order-4711';
const SECOND = 'canary-withdrawn-order-4712';

test('the visitor downloads, deletes and withdraws from the privacy panel', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const operator = await operatorSocket(await signInApi(browser, server), server);

    const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    const sent = recordTraffic(page);
    await page.goto(`${server.url}/`);
    await page.locator('[data-confide] button').click();
    const widget = page.frameLocator('iframe[title="Chat"]');
    await widget.locator('[data-testid=consent-checkbox]').check(WAIT);
    await widget.locator('[data-testid=consent-start]').click();
    await widget.locator('main[data-connection=online]').waitFor(WAIT);
    const composer = widget.locator('textarea[data-testid=composer]');
    const say = async (text) => {
      await composer.fill(text);
      await composer.press('Enter');
      await widget.locator('[data-testid=message][data-author=visitor][data-state=sent]').filter({ hasText: text }).waitFor(WAIT);
    };
    let seen = await operator.received();
    await say(FIRST);
    const first = (await operator.frame({ type: 'conversation', conversation: { widget: 'demo', open: true } }, seen)).conversation.id;
    // The receipt is the row that holds the hash of the disclaimer the visitor agreed to.
    const hello = JSON.parse(sent.find((s) => s.kind === 'frame' && s.body.includes('"hello"')).body);
    const receiptHash = hello.consent.text_sha256;
    assert.match(receiptHash, /^[0-9a-f]{64}$/);
    // Message text is sealed at rest: what the files hold of it is its ciphertext.
    const [sealedFirst, ...others] = storedBytes(server, `SELECT hex(sealed) FROM messages WHERE conversation_id = ${first}`);
    assert.equal(others.length, 0);
    let kept = keptBytes(server);
    assert.ok(!kept.includes(FIRST), 'never in plain text');
    assert.ok(kept.includes(sealedFirst) && kept.includes(receiptHash), 'the search reads the real database');

    await widget.locator('button[data-testid=privacy-open]').click();
    const panel = widget.locator('[data-testid=privacy-panel]');
    await panel.waitFor(WAIT);
    await panel.locator('[data-testid=privacy-message-count]').filter({ hasText: '1' }).waitFor(WAIT);
    const [download] = await Promise.all([
      page.waitForEvent('download', WAIT),
      panel.locator('[data-testid=privacy-download-json]').click(),
    ]);
    const json = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.ok(JSON.stringify(json).includes(FIRST), 'the transcript holds the message');

    // Deleting needs a confirmation; then the chat is empty and the message is gone from the
    // database file and its WAL, while the receipt stays.
    await panel.locator('button[data-testid=privacy-delete]').click();
    await panel.locator('button[data-testid=privacy-delete-confirm]').click();
    await panel.waitFor({ state: 'detached', ...WAIT });
    assert.equal(await widget.locator('[data-testid=message]').count(), 0);
    kept = keptBytes(server);
    assert.ok(!kept.includes(sealedFirst), 'the deleted message is not in the database or its WAL');
    assert.ok(kept.includes(receiptHash), 'the consent receipt stays');
    await widget.locator('button[data-testid=privacy-open]').click();
    await panel.locator('[data-testid=privacy-message-count]').filter({ hasText: '0' }).waitFor(WAIT);
    await panel.locator('a[data-testid=privacy-policy]').waitFor(WAIT);
    await panel.locator('button[data-testid=privacy-close]').click();

    // A second conversation, then withdrawal: it needs a confirmation, then the gate is back.
    seen = await operator.received();
    await say(SECOND);
    const second = (await operator.frame({ type: 'conversation', conversation: { widget: 'demo', open: true } }, seen)).conversation.id;
    const [sealedSecond] = storedBytes(server, `SELECT hex(sealed) FROM messages WHERE conversation_id = ${second}`);
    assert.ok(keptBytes(server).includes(sealedSecond));
    await widget.locator('button[data-testid=privacy-open]').click();
    await panel.locator('[data-testid=privacy-message-count]').filter({ hasText: '1' }).waitFor(WAIT);
    await panel.locator('button[data-testid=privacy-withdraw]').click();
    await panel.locator('button[data-testid=privacy-withdraw-confirm]').click();
    await widget.locator('[data-testid=consent]').waitFor(WAIT);
    assert.equal(await widget.locator('[data-testid=consent-checkbox]').isChecked(), false);
    kept = keptBytes(server);
    assert.ok(!kept.includes(sealedSecond), 'the withdrawn conversation is not in the database or its WAL');
    assert.ok(kept.includes(receiptHash), 'the receipt stays, dated');

    // Operators find neither conversation.
    // (SQLite may give the second conversation the first one's id again: it was the highest.)
    for (const conversation of new Set([first, second])) {
      seen = await operator.received();
      await operator.send({ type: 'open', conversation });
      const f = await operator.frame({ type: 'error' }, seen);
      assert.equal(f.error.code, 'not_found', `conversation ${conversation}`);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
});
