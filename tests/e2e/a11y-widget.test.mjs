// WCAG 2.2 AA for the widget, end to end: axe-core (WCAG 2.0/2.1/2.2 A and AA rules) finds
// nothing on the launcher, the consent gate, the pre-chat form with its error, the chat, the
// privacy panel, the reconnecting state, the leave-a-message form with its error and a load
// failure, in the light and the dark colour scheme; the keyboard alone opens, uses and closes
// the chat; what changes is announced; the layout reflows at 320 CSS px and at 200 % zoom;
// reduced motion stops the typing dots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, signInOperator, updateDemoSettings, assertAccessible,
} from './helpers.mjs';

const WAIT = { timeout: 15000 };

/** No horizontal scrolling anywhere in the widget's document. */
async function assertNoHorizontalScroll(frame, state) {
  const overflow = await frame.evaluate(() => [...document.querySelectorAll('*')]
    .filter((el) => getComputedStyle(el).overflowX !== 'hidden' && el.scrollWidth > el.clientWidth + 1
      && ['auto', 'scroll', 'visible'].includes(getComputedStyle(el).overflowX) && el.clientWidth > 0
      && (el === document.documentElement || getComputedStyle(el).overflowX !== 'visible'))
    .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}>${el.clientWidth}`));
  const page = await frame.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(page <= 0, `${state}: the page scrolls sideways by ${page} px`);
  assert.deepEqual(overflow, [], `${state}: something scrolls sideways`);
}

/** The iframe's document (for evaluate), once the widget is in it. */
async function widgetFrame(page) {
  const handle = await page.locator('iframe[title="Chat"]').elementHandle();
  return handle.contentFrame();
}

test('every widget state passes axe in light and dark, reflows, and moves nothing with reduced motion', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const op = await signInOperator(browser, server);
    await updateDemoSettings(op, server, (s) => {
      s.prechat_fields.name = 'required';
      s.prechat_fields.email = 'optional';
    });

    for (const colorScheme of ['light', 'dark']) {
      const context = await browser.newContext({ colorScheme, reducedMotion: 'reduce' });
      // The visitor's socket goes through here, so the test can drop it (offline emulation
      // leaves an open socket alone) and refuse new ones for a while.
      let sockets = [];
      let refuse = false;
      await context.routeWebSocket(/\/ws\/visitor/, (ws) => {
        if (refuse) return ws.close();
        ws.connectToServer();
        sockets.push(ws);
      });
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      await page.locator('[data-confide] button').waitFor(WAIT);
      await assertAccessible(page, `${colorScheme}: the launcher`);

      await page.locator('[data-confide] button').click();
      const w = page.frameLocator('iframe[title="Chat"]');
      await w.locator('[data-testid=consent]').waitFor(WAIT);
      await assertAccessible(page, `${colorScheme}: the consent gate`);
      const frame = await widgetFrame(page);
      const background = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, colorScheme === 'dark' ? 'rgb(21, 23, 28)' : 'rgb(255, 255, 255)',
        `${colorScheme}: the widget follows prefers-color-scheme`);

      await w.locator('[data-testid=consent-checkbox]').check();
      await w.locator('[data-testid=consent-start]').click();
      await w.locator('[data-testid=prechat]').waitFor(WAIT);
      await w.locator('[data-testid=prechat-start]').click();
      await w.locator('[data-testid=prechat-problem]').waitFor(WAIT);
      assert.equal(await w.locator('[data-testid=prechat-name]').getAttribute('aria-invalid'), 'true');
      assert.equal(await w.locator('[data-testid=prechat-problem]').getAttribute('role'), 'alert');
      await assertAccessible(page, `${colorScheme}: the pre-chat form with an error`);

      await w.locator('[data-testid=prechat-name]').fill('Ada');
      await w.locator('[data-testid=prechat-start]').click();
      await w.locator('main[data-connection=online]').waitFor(WAIT);
      const composer = w.locator('textarea[data-testid=composer]');
      await composer.fill(`Hello in ${colorScheme}`);
      await composer.press('Enter');
      await w.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);

      // The operator answers and types: the visitor's screen reader hears both, politely.
      const item = op.locator('[data-testid=inbox-item]').first();
      await item.waitFor(WAIT);
      await item.click();
      const conv = op.locator('[data-testid=conversation]');
      await conv.locator('[data-testid=message][data-author=visitor]').filter({ hasText: colorScheme }).waitFor(WAIT);
      const opComposer = conv.locator('textarea[data-testid=composer]');
      await opComposer.fill('How can I help?');
      await opComposer.press('Enter');
      await w.locator('[data-testid=message][data-author=operator]').first().waitFor(WAIT);
      await opComposer.pressSequentially('One moment', { delay: 20 });
      const typing = w.locator('[data-testid=typing]');
      await typing.waitFor(WAIT);
      assert.equal(await typing.getAttribute('aria-live'), 'polite');
      assert.match(await typing.innerText(), /typing/);
      const log = w.locator('[data-testid=messages]');
      assert.equal(await log.getAttribute('role'), 'log');
      assert.equal(await log.getAttribute('aria-live'), 'polite');
      assert.equal(await w.locator('[data-testid=status]').getAttribute('role'), 'status');
      assert.equal(await w.locator('[data-testid=status]').innerText(), 'Online');
      const dots = await frame.evaluate(() => getComputedStyle(document.querySelector('.confide-dots i')).animationName);
      assert.equal(dots, 'none', 'reduced motion: the typing dots stand still');
      await assertAccessible(page, `${colorScheme}: the chat`);
      await opComposer.fill('');

      await w.locator('[data-testid=privacy-open]').click();
      await w.locator('[data-testid=privacy-message-count]').waitFor(WAIT);
      assert.equal(await frame.evaluate(() => document.activeElement.dataset.testid), 'privacy-close',
        'focus moves into the panel');
      assert.notEqual(await w.locator('.confide-chat').getAttribute('inert'), null, 'what the panel covers is inert');
      await assertAccessible(page, `${colorScheme}: the privacy panel`);
      await page.keyboard.press('Escape');
      await w.locator('[data-testid=privacy-panel]').waitFor({ state: 'detached', ...WAIT });
      assert.equal(await frame.evaluate(() => document.activeElement.dataset.testid), 'privacy-open',
        'Escape closes the panel and focus returns to its button');
      assert.equal(await page.locator('iframe[title="Chat"]').isVisible(), true, 'the chat stays open');

      // The connection drops: the header says so, in text.
      refuse = true;
      for (const ws of sockets) await ws.close();
      sockets = [];
      await w.locator('main[data-connection=reconnecting]').waitFor(WAIT);
      assert.equal(await w.locator('[data-testid=status]').innerText(), 'Reconnecting…');
      await assertAccessible(page, `${colorScheme}: reconnecting`);
      refuse = false;
      await w.locator('main[data-connection=online]').waitFor(WAIT);
      await context.close();
    }

    // A load failure: the settings request fails; the message is an alert with "Try again".
    const failing = await browser.newContext();
    await failing.route('**/api/widget/demo/config', (r) => r.fulfill({ status: 500, body: '{}' }));
    const fpage = await failing.newPage();
    await fpage.goto(`${server.url}/`);
    await fpage.locator('[data-confide] button').click();
    const fw = fpage.frameLocator('iframe[title="Chat"]');
    await fw.locator('[data-testid=retry]').waitFor(WAIT);
    assert.equal(await fw.locator('[role=alert]').innerText(), 'The chat could not be loaded. Please try again later.');
    await assertAccessible(fpage, 'a load failure');
    await failing.close();

    // No operator online: the leave-a-message form, and its error.
    await op.context().close();
    const away = await browser.newContext();
    const apage = await away.newPage();
    await apage.goto(`${server.url}/`);
    await apage.locator('[data-confide] button').click();
    const aw = apage.frameLocator('iframe[title="Chat"]');
    await aw.locator('[data-testid=consent-checkbox]').check(WAIT);
    await aw.locator('[data-testid=consent-start]').click();
    await aw.locator('[data-testid=prechat-name]').fill('Grace');
    await aw.locator('[data-testid=prechat-start]').click();
    await aw.locator('[data-testid=leave-message]').waitFor(WAIT);
    assert.equal(await aw.locator('[data-testid=status]').innerText(), 'Away: we will answer later');
    await aw.locator('[data-testid=leave-message] button[type=submit]').click();
    await aw.locator('[data-testid=leave-message] [role=alert]').waitFor(WAIT);
    await assertAccessible(apage, 'the leave-a-message form with an error');

    // Reflow: 320 CSS px wide, and 200 % zoom of a 1280 × 800 window (640 × 400 CSS px).
    for (const [width, height, what] of [[320, 640, '320 CSS px'], [640, 400, '200 % zoom']]) {
      await apage.setViewportSize({ width, height });
      await assertNoHorizontalScroll(await widgetFrame(apage), `leave-a-message form at ${what}`);
      const box = await apage.locator('iframe[title="Chat"]').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= width, `the chat fits the window at ${what}`);
      const send = aw.locator('[data-testid=leave-message] button[type=submit]');
      await send.scrollIntoViewIfNeeded();
      assert.ok(await send.isVisible(), `the form can still be sent at ${what}`);
    }
    await away.close();

    const narrow = await browser.newContext({ viewport: { width: 320, height: 568 } });
    const npage = await narrow.newPage();
    await npage.goto(`${server.url}/`);
    await npage.locator('[data-confide] button').click();
    const nw = npage.frameLocator('iframe[title="Chat"]');
    await nw.locator('[data-testid=consent]').waitFor(WAIT);
    await assertNoHorizontalScroll(await widgetFrame(npage), 'the consent gate at 320 CSS px');
    for (const id of ['language', 'close', 'consent-checkbox', 'consent-start']) {
      const el = nw.locator(`[data-testid=${id}]`);
      await el.scrollIntoViewIfNeeded();
      assert.ok(await el.isVisible(), `${id} is on screen at 320 CSS px`);
    }
    await narrow.close();
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('the keyboard alone opens the chat, reaches every control with a visible focus, and leaves', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const op = await signInOperator(browser, server);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/`);
    await page.locator('[data-confide] button').waitFor(WAIT);

    // Where the focus is: 'launcher', or the widget element's data-testid (else its tag).
    const focused = async () => {
      const host = await page.evaluate(() => {
        const a = document.activeElement;
        if (a && a.shadowRoot && a.shadowRoot.activeElement) {
          return a.shadowRoot.activeElement.tagName === 'BUTTON' ? 'launcher' : a.shadowRoot.activeElement.tagName;
        }
        return a ? a.tagName : null;
      });
      if (host !== 'IFRAME') return host;
      const frame = await widgetFrame(page);
      return frame.evaluate(() => {
        const a = document.activeElement;
        return a === document.body ? 'body' : a.dataset.testid || a.tagName.toLowerCase();
      });
    };
    // The focused widget element shows a focus outline.
    const outlined = async () => (await widgetFrame(page)).evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    });

    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'launcher', 'Tab reaches the launcher');
    const launcher = page.locator('[data-confide] button');
    assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
    assert.equal(await launcher.getAttribute('aria-label'), null, 'the name is the visible label');
    await page.keyboard.press('Enter');
    const w = page.frameLocator('iframe[title="Chat"]');
    await w.locator('[data-testid=consent]').waitFor(WAIT);
    const focusOn = async (testid) => (await widgetFrame(page)).waitForFunction(
      (id) => document.hasFocus() && document.activeElement.dataset.testid === id, testid, WAIT);
    await focusOn('consent-checkbox');
    assert.equal(await focused(), 'consent-checkbox', 'focus moves to the chat\'s first control');
    assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
    assert.ok(await outlined(), 'the checkbox shows its focus');

    // Every control before it, one Shift+Tab at a time, each with a visible focus; then out
    // of the chat to the launcher: no trap.
    const backwards = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Shift+Tab');
      const at = await focused();
      backwards.push(at);
      if (at === 'launcher') break;
      assert.ok(await outlined(), `${at} shows its focus`);
    }
    assert.deepEqual(backwards, ['privacy-link', 'close', 'language', 'launcher']);

    // Back in, tick with Space, start with Enter: the chat's composer gets the focus.
    for (const _ of backwards.slice(0, 3)) await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'consent-checkbox');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'consent-start');
    assert.ok(await outlined(), 'the start button shows its focus');
    await page.keyboard.press('Enter');
    await w.locator('main[data-connection=online]').waitFor(WAIT);
    await focusOn('composer');
    assert.equal(await focused(), 'composer', 'the composer has the focus once the chat starts');
    await page.keyboard.type('Typed with the keyboard');
    await page.keyboard.press('Enter');
    await w.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);

    // Forward from the composer (the send button is disabled while it is empty): out of the
    // chat within a few presses, no trap.
    const inWidget = async () => (await page.evaluate(() => {
      const a = document.activeElement;
      return a && a.shadowRoot && a.shadowRoot.activeElement
        && a.shadowRoot.activeElement.tagName === 'IFRAME';
    }));
    let out = false;
    for (let i = 0; i < 5 && !out; i++) {
      await page.keyboard.press('Tab');
      out = !(await inWidget());
    }
    assert.ok(out, 'Tab leaves the chat');

    // Escape closes the chat from inside it, and the focus is back on the launcher.
    await w.locator('[data-testid=composer]').focus();
    await page.keyboard.press('Escape');
    await page.locator('iframe[title="Chat"]').waitFor({ state: 'hidden', ...WAIT });
    assert.equal(await focused(), 'launcher', 'focus returns to the launcher');
    assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
    // And Enter opens it again, focus into the chat.
    await page.keyboard.press('Enter');
    await page.locator('iframe[title="Chat"]').waitFor({ state: 'visible', ...WAIT });
    await focusOn('composer');
    await op.context().close();
  } finally {
    await browser.close();
    await server.stop();
  }
});
