// Live chat end to end: a visitor on the demo page and an operator in the console, in two
// separate browser contexts, exchange messages both ways and see each other typing; the
// operator sees the conversation appear without reloading. The visitor sees the operator's
// alias ("Sam"), never their real name ("Demo Operator"): not on the page, not in a frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signInOperator } from './helpers.mjs';

const WAIT = { timeout: 15000 };

test('visitor and operator chat both ways, with typing indicators and a live inbox', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    // Operator signs in to the console.
    const op = await signInOperator(browser, server);
    assert.equal(await op.locator('[data-testid=inbox-item]').count(), 0);

    // Visitor opens the widget on the demo page.
    const visitor = await (await browser.newContext()).newPage();
    const received = [];
    visitor.on('websocket', (ws) => ws.on('framereceived', (f) => received.push({ body: String(f.payload) })));
    await visitor.goto(`${server.url}/`);
    await visitor.locator('[data-confide] button').click();
    const widget = visitor.frameLocator('iframe[title="Chat"]');
    // The demo widget requires consent: tick and start.
    await widget.locator('[data-testid=consent-checkbox]').check(WAIT);
    await widget.locator('[data-testid=consent-start]').click();
    await widget.locator('main[data-connection=online]').waitFor(WAIT);
    const vComposer = widget.locator('textarea[data-testid=composer]');
    await vComposer.fill('Hello, is anyone there? <b>not bold</b>');
    await vComposer.press('Enter');
    await widget.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);

    // The conversation appears in the operator's inbox without a reload.
    const item = op.locator('[data-testid=inbox-item]');
    await item.first().waitFor(WAIT);
    assert.equal((await item.first().locator('[data-testid=unread]').textContent()).trim(), '1');
    await item.first().click();
    const conv = op.locator('[data-testid=conversation]');
    const firstMsg = conv.locator('[data-testid=message][data-author=visitor] [data-testid=message-text]');
    await firstMsg.first().waitFor(WAIT);
    assert.equal(await firstMsg.first().textContent(), 'Hello, is anyone there? <b>not bold</b>');
    assert.equal(await conv.locator('b').count(), 0, 'message text is never HTML');

    // Visitor types: the operator sees it. Then the operator types: the visitor sees it.
    await vComposer.pressSequentially('I have a question', { delay: 20 });
    await conv.locator('[data-testid=typing]').waitFor(WAIT);
    const oComposer = conv.locator('textarea[data-testid=composer]');
    await oComposer.pressSequentially('Sure', { delay: 20 });
    await widget.locator('[data-testid=typing]').waitFor(WAIT);

    // Operator replies; the visitor gets it with the operator's alias.
    await oComposer.fill('Yes! How can I help?');
    await oComposer.press('Enter');
    const reply = widget.locator('[data-testid=message][data-author=operator] [data-testid=message-text]');
    await reply.first().waitFor(WAIT);
    assert.equal(await reply.first().textContent(), 'Yes! How can I help?');
    await widget.locator('[data-testid=operator-name]').filter({ hasText: 'Sam' }).first().waitFor(WAIT);

    // And the visitor's next message reaches the operator live.
    await vComposer.fill('Where is my order?');
    await vComposer.press('Enter');
    await conv
      .locator('[data-testid=message][data-author=visitor] [data-testid=message-text]')
      .filter({ hasText: 'Where is my order?' })
      .waitFor(WAIT);
    const seqs = await conv.locator('[data-testid=message]').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
    assert.deepEqual(seqs, [1, 2, 3], 'each message once, in order');

    // The real name is in the console, nowhere on the visitor's side.
    assert.match(await op.locator('.console-operator').innerText(), /Demo Operator/);
    const page = await widget.locator('body').innerText();
    assert.ok(page.includes('Sam') && !page.includes('Demo Operator'), page);
    const frames = received.map((f) => f.body).join('\n');
    assert.ok(frames.includes('"author_name":"Sam"'), 'the frames were recorded');
    assert.ok(!frames.includes('Demo Operator'), 'no frame names the operator');
  } finally {
    await browser.close();
    await server.stop();
  }
});
