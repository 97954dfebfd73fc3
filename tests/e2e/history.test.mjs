// Privacy contract 6, from the visitor's side: the privacy panel reaches every conversation
// under the visitor's token, not only the open one. A message left while no operator was
// online, a conversation an operator ended, and the open one are listed; the visitor shows,
// downloads and deletes the ended one and the left message, downloads all three in one file,
// and "Delete all" takes the rest. Operators then find none of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, signInApi, operatorSocket } from './helpers.mjs';

const WAIT = { timeout: 15000 };
const LEFT = 'canary-left-while-away-5101';
const ENDED = 'canary-ended-by-operator-5102';
const OPEN = 'canary-still-open-5103';

test('the visitor lists, downloads and deletes a closed conversation and a left message', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const op = await signInApi(browser, server);
    const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    await page.goto(`${server.url}/`);
    await page.locator('[data-confide] button').click();
    const widget = page.frameLocator('iframe[title="Chat"]');
    await widget.locator('[data-testid=consent-checkbox]').check(WAIT);
    await widget.locator('[data-testid=consent-start]').click();

    // No operator online: the visitor leaves a message.
    const form = widget.locator('form[data-testid=leave-message]');
    await form.locator('textarea[name=text]').fill(LEFT, WAIT);
    await form.locator('button[type=submit]').click();
    await widget.locator('[data-testid=leave-message-done]').waitFor(WAIT);

    // An operator comes online; a chat that the operator ends, then another that stays open.
    const operator = await operatorSocket(op, server);
    const composer = widget.locator('textarea[data-testid=composer]');
    const say = async (text) => {
      await composer.fill(text, WAIT);
      await composer.press('Enter');
      await widget.locator('[data-testid=message][data-author=visitor][data-state=sent]').filter({ hasText: text }).waitFor(WAIT);
    };
    let seen = await operator.received();
    await say(ENDED);
    const ended = (await operator.frame({ type: 'conversation', conversation: { widget: 'demo', open: true } }, seen)).conversation.id;
    await operator.send({ type: 'close', conversation: ended });
    await widget.locator('[data-testid=message]').filter({ hasText: ENDED }).waitFor(WAIT);
    seen = await operator.received();
    await say(OPEN);
    const open = (await operator.frame({ type: 'conversation', conversation: { widget: 'demo', open: true } }, seen)).conversation.id;
    assert.notEqual(open, ended);

    // The panel lists all three, newest first, and says how long each kind is kept.
    await widget.locator('button[data-testid=privacy-open]').click();
    const panel = widget.locator('[data-testid=privacy-panel]');
    const list = panel.locator('select[data-testid=privacy-history]');
    const rows = list.locator('option');
    await rows.nth(2).waitFor({ state: 'attached', ...WAIT });
    assert.equal(await rows.count(), 3);
    assert.match(await panel.locator('[data-testid=privacy-retention]').innerText(), /^Conversations are deleted 6 months after/);
    const left = Number(await rows.nth(2).getAttribute('value'));
    assert.deepEqual(
      await rows.evaluateAll((els) => els.map((e) => [Number(e.value), e.selected])),
      [[open, true], [ended, false], [left, false]],
    );
    // Its name, as a screen reader reads it.
    assert.equal(await panel.getByRole('combobox', { name: /^Your conversations/ }).getAttribute('data-testid'), 'privacy-history');
    assert.match(await rows.nth(0).innerText(), /1 message · open$/);
    assert.match(await rows.nth(1).innerText(), /1 message · ended$/);
    assert.match(await rows.nth(2).innerText(), /1 message · message left$/);

    const download = async (testid) => {
      const [file] = await Promise.all([
        page.waitForEvent('download', WAIT),
        panel.locator(`button[data-testid=${testid}]`).click(),
      ]);
      return { name: file.suggestedFilename(), json: JSON.parse(readFileSync(await file.path(), 'utf8')) };
    };
    // The ended conversation, shown and downloaded on its own.
    await list.selectOption(String(ended));
    await panel.locator('[data-testid=privacy-message-count]').filter({ hasText: '1' }).waitFor(WAIT);
    const one = await download('privacy-download-json');
    assert.equal(one.name, `confide-conversation-${ended}.json`);
    assert.deepEqual(one.json.messages.map((m) => m.text), [ENDED]);

    // All three in one file, newest first.
    const all = await download('privacy-download-all');
    assert.equal(all.name, 'confide-conversations.json');
    assert.deepEqual(all.json.conversations.map((c) => c.id), [open, ended, left]);
    assert.deepEqual(all.json.conversations.map((c) => c.transcript.messages.map((m) => m.text)), [[OPEN], [ENDED], [LEFT]]);

    // Delete the left message and the ended conversation: the open chat stays as it was.
    for (const id of [left, ended]) {
      await list.selectOption(String(id));
      await panel.locator('[data-testid=privacy-message-count]').filter({ hasText: '1' }).waitFor(WAIT);
      await panel.locator('button[data-testid=privacy-delete]').click();
      await panel.locator('button[data-testid=privacy-delete-confirm]').click();
      await list.locator(`option[value="${id}"]`).waitFor({ state: 'detached', ...WAIT });
    }
    assert.equal(await rows.count(), 1);
    assert.equal(await widget.locator('[data-testid=message]').filter({ hasText: OPEN }).count(), 1, 'the chat is untouched');

    // "Delete all" takes the open one too: the panel closes on an empty chat.
    await panel.locator('button[data-testid=privacy-delete-all]').click();
    await panel.locator('button[data-testid=privacy-delete-all-confirm]').click();
    await panel.waitFor({ state: 'detached', ...WAIT });
    assert.equal(await widget.locator('[data-testid=message]').count(), 0);

    // Operators find none of them.
    for (const conversation of [left, ended, open]) {
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
