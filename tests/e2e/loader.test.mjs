// The loader (static/loader.js) on a site owner's page of its own origin, against its
// documented API (docs/embedding.md): before the click it costs one static script and nothing
// else, whatever the snippet (data-widget, data-router, the queue stub, a page that calls
// nothing); every command and event, queued before the loader has loaded and called after;
// every data-* attribute; a strict host Content-Security-Policy; and forged postMessage
// traffic from a script on the host page and from two hostile iframes, which neither the
// loader nor the chat accepts, and which learns nothing of the chat.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  startServer, launchBrowser, startHostSite, signInApi, adminApi, operatorSocket,
  recordTraffic, AUDIT_INIT_SCRIPT,
} from './helpers.mjs';

const WAIT = { timeout: 15000 };
// No favicon request from the host page: only what the snippet causes is seen.
const HEAD = '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Shop</title></head><body><h1>Shop</h1>';
const END = '</body></html>';
// The queue stub, exactly as docs/embedding.md gives it.
const STUB = '<script>window.confide = window.confide || function () { (confide.q = confide.q || []).push(arguments) };</script>';
// Records each loader event as its name, or [name, argument] when it has one.
const EVENTS = `<script>
  window.__events = [];
  window.__rec = function (name) {
    return function (arg) { window.__events.push(arg === undefined ? name : [name, arg]); };
  };
</script>`;
const ON_ALL = "confide('on', 'ready', __rec('ready')); confide('on', 'open', __rec('open')); confide('on', 'close', __rec('close')); confide('on', 'message', __rec('message'));";

let server;
let browser;
let operator;
let admin;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const op = await signInApi(browser, server);
  admin = adminApi(op, server);
  // A standard-mode widget: its hello carries the page the loader reports, which makes a
  // forged page observable.
  await admin.post('/api/admin/widgets', { key: 'standard', name: 'Standard' });
  const std = await admin.get('/api/admin/widgets/standard/settings');
  std.privacy_mode = false;
  await admin.put('/api/admin/widgets/standard/settings', std);
  // An operator is online, so visitors get the chat rather than the leave-a-message form.
  operator = await operatorSocket(op, server);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function snippet(attrs) {
  return `<script src="${server.url}/loader.js" ${attrs} async referrerpolicy="no-referrer"></script>`;
}

const launcher = (page) => page.locator('[data-confide] button');
const badge = (page) => page.locator('[data-confide] button span');
const chatIframe = (page) => page.locator('[data-confide] iframe');
const events = (page) => page.evaluate(() => window.__events);
const untilEvents = (page, n) => page.waitForFunction((k) => window.__events.length >= k, n, WAIT);

/** The chat's frame (a Frame, for evaluate), once its document is on `path`. */
async function chatFrame(page, path) {
  const want = `${server.url}${path}`;
  await page.waitForFunction(() => document.querySelector('[data-confide]')?.shadowRoot.querySelector('iframe'), null, WAIT);
  for (let i = 0; i < 300; i++) {
    const f = page.frames().find((fr) => fr.url().startsWith(want));
    if (f) return f;
    await page.waitForEvent('framenavigated', { timeout: 50 }).catch(() => {});
  }
  throw new Error(`no frame on ${want}`);
}

/** Ticks the consent box, starts, and sends `text`; returns the conversation's id. */
async function startChat(page, widgetKey, text) {
  const widget = page.frameLocator('iframe[title="Chat"]');
  await widget.locator('[data-testid=consent-checkbox]').check(WAIT);
  await widget.locator('[data-testid=consent-start]').click();
  await widget.locator('main[data-connection=online]').waitFor(WAIT);
  const seen = await operator.received();
  const composer = widget.locator('textarea[data-testid=composer]');
  await composer.fill(text);
  await composer.press('Enter');
  const f = await operator.frame({ type: 'conversation', conversation: { widget: widgetKey, open: true } }, seen);
  return f.conversation.id;
}

let replies = 0;
/** The operator answers in `conversation`; resolves once the server has stored it. */
async function reply(conversation, text) {
  const id = `op-reply-${++replies}-xxxxxxxx`;
  const seen = await operator.received();
  await operator.send({ type: 'send', conversation, id, text });
  await operator.frame({ type: 'ack', id }, seen);
}

/**
 * Loads `html` from a host site in a fresh context that records every request, socket,
 * cookie and storage write, and checks that nothing but the page and loader.js was fetched;
 * then clicks, and sees the iframe's request for `iframePath` (so the recorder would have
 * seen an earlier one).
 */
async function auditBeforeClick(html, { loaderUrl, iframePath, ready }) {
  const site = await startHostSite(html);
  const context = await browser.newContext();
  try {
    await context.addInitScript(AUDIT_INIT_SCRIPT);
    const requests = [];
    context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    const page = await context.newPage();
    const sockets = [];
    page.on('websocket', (w) => sockets.push(w.url()));
    // goto resolves on the load event, which an async script delays until it has run.
    await page.goto(`${site.url}/shop`);
    await ready(page);
    await launcher(page).waitFor({ state: 'visible' });

    const what = `${iframePath} before the click`;
    assert.deepEqual(requests, [`GET ${site.url}/shop`, `GET ${loaderUrl(site)}`], what);
    assert.deepEqual(sockets, [], what);
    assert.deepEqual(await context.cookies(), [], what);
    assert.equal(page.frames().length, 1, `${what}: no iframe`);
    assert.equal(await page.locator('iframe').count(), 0, `${what}: no iframe in the shadow root`);
    assert.deepEqual(await page.evaluate(() => ({
      log: window.__audit,
      local: localStorage.length,
      session: sessionStorage.length,
    })), { log: [], local: 0, session: 0 }, what);

    // The positive control: the first request the chat makes is seen.
    const iframeRequest = page.waitForRequest((r) => r.url() === `${server.url}${iframePath}`, WAIT);
    await launcher(page).click();
    await iframeRequest;
    assert.ok(requests.includes(`GET ${server.url}${iframePath}`), `${iframePath} recorded`);
  } finally {
    await context.close();
    await site.close();
  }
}

test('before the click the loader fetches nothing, stores nothing and adds no iframe or socket, for every kind of snippet', async () => {
  const fromChat = () => `${server.url}/loader.js`;
  const onLoad = async () => {};
  // A page that calls nothing: the documented snippet alone.
  await auditBeforeClick(`${HEAD}${snippet('data-widget="demo"')}${END}`,
    { loaderUrl: fromChat, iframePath: '/w/demo', ready: onLoad });
  // A router snippet.
  await auditBeforeClick(`${HEAD}${snippet('data-router="site"')}${END}`,
    { loaderUrl: fromChat, iframePath: '/r/site', ready: onLoad });
  // The queue stub, with every command but open queued before the loader has loaded.
  const queued = `${HEAD}${EVENTS}${STUB}<script>${ON_ALL}
      confide('close'); confide('hide'); confide('show'); confide('no-such-command', 1);</script>
    ${snippet('data-widget="demo"')}${END}`;
  await auditBeforeClick(queued, {
    loaderUrl: fromChat,
    iframePath: '/w/demo',
    ready: async (page) => {
      await page.waitForFunction(() => window.__events.includes('ready'), null, WAIT);
      assert.deepEqual(await events(page), ['ready'], 'close, hide and show before open fire nothing');
    },
  });
  // The same commands called once the loader is there.
  await auditBeforeClick(`${HEAD}${EVENTS}${snippet('data-widget="demo"')}${END}`, {
    loaderUrl: fromChat,
    iframePath: '/w/demo',
    ready: async (page) => {
      await launcher(page).waitFor({ state: 'visible' });
      await page.evaluate(`${ON_ALL} confide('close'); confide('hide'); confide('show'); confide('no-such-command');`);
      assert.deepEqual(await events(page), ['ready'], 'a ready handler added later runs at once');
    },
  });
});

test('queued and direct commands open, close, hide and show the chat, and every event fires with counts only', async () => {
  const site = await startHostSite(`${HEAD}${EVENTS}${STUB}<script>${ON_ALL} confide('open');</script>
    ${snippet('data-widget="demo"')}${END}`);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const iframeLoads = [];
    page.on('request', (r) => { if (r.url().startsWith(`${server.url}/w/`)) iframeLoads.push(r.url()); });
    await page.goto(`${site.url}/`);
    await untilEvents(page, 2);
    // The queued open ran before ready, as the loader got to it.
    assert.deepEqual(await events(page), ['open', 'ready']);
    await page.frameLocator('[data-confide] iframe').locator('[data-testid=consent]').waitFor(WAIT);
    assert.equal(await chatIframe(page).isVisible(), true);
    assert.equal(await launcher(page).getAttribute('aria-expanded'), 'true');
    const frame = await chatFrame(page, '/w/demo');
    await frame.evaluate(() => { window.__sameDocument = true; });

    // close, then open again: the same document, not a reload (the conversation stays).
    await page.evaluate(() => confide('close'));
    assert.deepEqual((await events(page)).slice(2), ['close']);
    assert.equal(await chatIframe(page).isVisible(), false);
    assert.equal(await launcher(page).getAttribute('aria-expanded'), 'false');
    await page.evaluate(() => confide('open'));
    assert.equal(await chatIframe(page).isVisible(), true);
    assert.equal(await frame.evaluate(() => window.__sameDocument), true, 'the chat was not reloaded');
    assert.deepEqual(iframeLoads, [`${server.url}/w/demo`]);

    // hide and show: the button and the open panel go and come back; a closed panel stays closed.
    await page.evaluate(() => confide('hide'));
    assert.equal(await launcher(page).isVisible(), false);
    assert.equal(await chatIframe(page).isVisible(), false);
    await page.evaluate(() => confide('show'));
    assert.equal(await launcher(page).isVisible(), true);
    assert.equal(await chatIframe(page).isVisible(), true, 'shown again: it was open');
    await page.evaluate(() => { confide('close'); confide('hide'); confide('show'); });
    assert.equal(await launcher(page).isVisible(), true);
    assert.equal(await chatIframe(page).isVisible(), false, 'shown again: it was closed');
    // Unknown commands and bad arguments are ignored; a ready handler added now runs at once.
    assert.equal(await page.evaluate(() => {
      confide('no-such-command');
      confide();
      confide('on', 'open', 'not a function');
      let ran = false;
      confide('on', 'ready', () => { ran = true; });
      return ran;
    }), true);
    assert.deepEqual((await events(page)).slice(2), ['close', 'open', 'close']);

    // A chat, closed from the chat's own close button; then operator messages arrive unseen.
    await launcher(page).click();
    const conversation = await startChat(page, 'demo', 'Hello from the loader test');
    await page.frameLocator('iframe[title="Chat"]').locator('button[data-testid=close]').click();
    await untilEvents(page, 7);
    assert.deepEqual((await events(page)).slice(5), ['open', 'close'], 'the close button inside the chat closes the panel');
    assert.equal(await chatIframe(page).isVisible(), false);
    await reply(conversation, 'canary-operator-reply-one');
    await untilEvents(page, 8);
    await reply(conversation, 'canary-operator-reply-two');
    await untilEvents(page, 9);
    assert.deepEqual((await events(page)).slice(7), [['message', { unread: 1 }], ['message', { unread: 2 }]],
      'each unseen message is an event with the count, and nothing else');
    assert.equal(await badge(page).textContent(), '2');
    // The button's accessible name is the site's label and the count, as Chromium computes it.
    assert.match(await launcher(page).ariaSnapshot(), /button "Chat ?2"/, 'the name says how many are unread');
    assert.equal(await launcher(page).getAttribute('aria-expanded'), 'false');

    // Opening shows them: the badge goes.
    await launcher(page).click();
    await page.frameLocator('iframe[title="Chat"]').locator('[data-testid=message-text]').filter({ hasText: 'canary-operator-reply-two' }).waitFor(WAIT);
    await page.waitForFunction(() => document.querySelector('[data-confide]').shadowRoot.querySelector('button span').textContent === '', null, WAIT);
    assert.match(await launcher(page).ariaSnapshot(), /button "Chat" \[expanded\]/, 'no count once they are seen');
    assert.deepEqual((await events(page)).slice(9), ['open']);
  } finally {
    await context.close();
    await site.close();
  }
});

test('data-color, data-label, data-position and data-origin (self-hosted, pinned with SRI) do what they say', async () => {
  const loader = Buffer.from(await (await fetch(`${server.url}/loader.js`)).arrayBuffer());
  const integrity = `sha384-${createHash('sha384').update(loader).digest('base64')}`;
  const site = await startHostSite({
    '/left': `${HEAD}${snippet('data-widget="demo" data-color="#123456" data-label="Talk to us" data-position="left"')}${END}`,
    '/defaults': `${HEAD}${snippet('data-widget="demo"')}${END}`,
    '/self-hosted': `${HEAD}<script src="/js/confide-loader.js" integrity="${integrity}" data-widget="demo"
        data-origin="${server.url}" async referrerpolicy="no-referrer"></script>${END}`,
    '/js/confide-loader.js': { type: 'text/javascript', body: loader },
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  try {
    const page = await context.newPage();
    const style = () => launcher(page).evaluate((b) => getComputedStyle(b).backgroundColor);
    const text = () => launcher(page).evaluate((b) => b.firstChild.textContent);

    await page.goto(`${site.url}/left`);
    assert.equal(await text(), 'Talk to us');
    assert.equal(await style(), 'rgb(18, 52, 86)');
    assert.equal((await launcher(page).boundingBox()).x, 20, 'the button in the bottom-left corner');
    await launcher(page).click();
    await page.frameLocator('[data-confide] iframe').locator('[data-testid=consent]').waitFor(WAIT);
    assert.equal((await chatIframe(page).boundingBox()).x, 20, 'the panel on the left too');
    assert.equal(await chatIframe(page).getAttribute('title'), 'Talk to us', 'the frame is named as the button');

    await page.goto(`${site.url}/defaults`);
    assert.equal(await text(), 'Chat');
    assert.equal(await style(), 'rgb(47, 91, 234)');
    const box = await launcher(page).boundingBox();
    assert.equal(Math.round(box.x + box.width), 1200 - 20, 'the button in the bottom-right corner');
    await launcher(page).click();
    const frameBox = await chatIframe(page).boundingBox();
    assert.equal(Math.round(frameBox.x + frameBox.width), 1200 - 20, 'the panel on the right');

    // Self-hosted: nothing from the chat server until the click, then the chat from there.
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${site.url}/self-hosted`);
    await launcher(page).waitFor({ state: 'visible' });
    assert.deepEqual(requests, [`${site.url}/self-hosted`, `${site.url}/js/confide-loader.js`]);
    await launcher(page).click();
    await page.frameLocator('iframe[title="Chat"]').locator('main[data-confide-widget="demo"]').waitFor(WAIT);
    assert.equal(await chatIframe(page).getAttribute('src'), `${server.url}/w/demo`);
  } finally {
    await context.close();
    await site.close();
  }
});

test('under a host policy that allows only the loader script and the chat frame, the loader and the chat work', async () => {
  const policy = `default-src 'none'; script-src ${server.url}; frame-src ${server.url}`;
  // No favicon link here: the policy would refuse a data: icon (img-src), which is not ours.
  const site = await startHostSite(`<!doctype html><html><head><title>Strict shop</title></head><body>
    <h1>Strict shop</h1>${snippet('data-widget="demo" data-color="#123456"')}</body></html>`,
  { headers: { 'content-security-policy': policy } });
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    const response = await page.goto(`${site.url}/`);
    assert.equal(response.headers()['content-security-policy'], policy);
    await launcher(page).waitFor({ state: 'visible' });
    // Styled: the constructed stylesheet is not refused by the policy's style-src 'none'.
    assert.equal(await launcher(page).evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(18, 52, 86)');
    assert.equal(await launcher(page).evaluate((b) => getComputedStyle(b).position), 'fixed');
    await launcher(page).click();
    await page.frameLocator('[data-confide] iframe').locator('[data-testid=consent]').waitFor(WAIT);
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await site.close();
  }
});

test('forged messages from the host page and from hostile iframes are ignored, and learn nothing of the chat', async () => {
  const FORGED_PAGE = 'https://evil.example/canary-forged-page';
  // Each hostile frame records every message it gets.
  const RECORDER = `<!doctype html><html><body><script>
      window.__got = [];
      addEventListener('message', (e) => window.__got.push({ origin: e.origin, data: e.data }));
    </script></body></html>`;
  const evil = await startHostSite(RECORDER);
  // The host page: a "hostile" script that records every message the window gets; an iframe
  // of a third origin, one of the chat server's own origin that is not the chat, and one of
  // the host's origin (which can reach the chat's window through the page's DOM).
  const site = await startHostSite({
    '/shop': `${HEAD}
      <script>
        window.__hostSeen = [];
        addEventListener('message', (e) => window.__hostSeen.push({ origin: e.origin, data: e.data }));
      </script>
      <iframe title="ads" src="${evil.url}/ads"></iframe>
      <iframe title="other" src="${server.url}/healthz"></iframe>
      <iframe title="same" src="/frame"></iframe>
      ${EVENTS}${STUB}<script>${ON_ALL}</script>${snippet('data-widget="standard"')}${END}`,
    '/frame': RECORDER,
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const sent = recordTraffic(page);
    await page.goto(`${site.url}/shop`);
    await untilEvents(page, 1);
    const ads = page.frames().find((f) => f.url() === `${evil.url}/ads`);
    const other = page.frames().find((f) => f.url() === `${server.url}/healthz`);
    const same = page.frames().find((f) => f.url() === `${site.url}/frame`);
    const hostile = [ads, other, same];
    await other.evaluate(() => {
      window.__got = [];
      addEventListener('message', (e) => window.__got.push({ origin: e.origin, data: e.data }));
    });
    await launcher(page).click();
    const widget = page.frameLocator('iframe[title="Chat"]');
    await widget.locator('[data-testid=consent]').waitFor(WAIT);
    const chat = await chatFrame(page, '/w/standard');
    // The chat's iframe, in the loader's shadow root, is not among the frames another origin
    // can reach (window.frames lists the page's own three).
    assert.equal(await ads.evaluate(() => parent.frames.length), 3);

    // Listeners added now run after the loader's and the widget's own for the same message,
    // so once they have seen a message, the loader or the widget has dealt with it.
    const listenAfter = () => {
      window.__after = [];
      addEventListener('message', (e) => window.__after.push(e.data));
    };
    await page.evaluate(listenAfter);
    await chat.evaluate(listenAfter);

    const toLoader = [{ confide: 'unread', count: 42, forged: 1 }, { confide: 'close', forged: 1 }, { confide: 'ready', forged: 1 }];
    // The host page's own script can talk to the loader only through its window. (It is the
    // chat's parent, so the chat cannot tell it from the loader; nor could it keep anything
    // from it.)
    await page.evaluate((ms) => { for (const m of ms) window.postMessage(m, '*'); }, toLoader);
    // Each iframe to its parent, the loader.
    for (const f of hostile) {
      await f.evaluate((ms) => { for (const m of ms) parent.postMessage(m, '*'); }, toLoader);
    }
    // The same-origin iframe to the chat: "the panel is closed, and the page is elsewhere".
    await same.evaluate((state) => {
      const chatWindow = parent.document.querySelector('[data-confide]').shadowRoot.querySelector('iframe').contentWindow;
      chatWindow.postMessage(state, '*');
    }, { confide: 'state', open: false, page: FORGED_PAGE, ref: FORGED_PAGE, forged: 1 });
    await page.waitForFunction(() => window.__after.filter((m) => m && m.forged).length === 12, null, WAIT);
    await chat.waitForFunction(() => window.__after.filter((m) => m && m.forged).length === 1, null, WAIT);
    // The loader took none of it: still open, no badge, no event.
    assert.deepEqual(await events(page), ['ready', 'open']);
    assert.equal(await chatIframe(page).isVisible(), true);
    assert.equal(await badge(page).textContent(), '');
    // Nor did the chat: its hello names the real page, and it counts what the visitor sees
    // as seen (the forged state said the panel was closed).
    const conversation = await startChat(page, 'standard', 'Hello from the hostile test');
    const hello = JSON.parse(sent.find((s) => s.kind === 'frame' && s.body.includes('"hello"')).body);
    assert.equal(hello.context.page, `${site.url}/shop`);
    await reply(conversation, 'canary-operator-seen');
    await widget.locator('[data-testid=message-text]').filter({ hasText: 'canary-operator-seen' }).waitFor(WAIT);
    await page.evaluate(() => confide('close'));
    await chat.waitForFunction(() => window.__after.some((m) => m && m.confide === 'state' && !m.forged && m.open === false), null, WAIT);
    await reply(conversation, 'canary-operator-unseen');
    await untilEvents(page, 4);
    assert.deepEqual(await events(page), ['ready', 'open', 'close', ['message', { unread: 1 }]],
      'only the message sent while closed is unread');

    // What the page's own script saw of the chat: kinds and counts, never text.
    const fromChat = (await page.evaluate(() => window.__hostSeen))
      .filter((m) => m.origin === server.url && !(m.data && m.data.forged));
    assert.ok(fromChat.some((m) => m.data.confide === 'unread' && m.data.count === 1), 'the recorder saw the chat');
    for (const m of fromChat) {
      assert.ok(Object.keys(m.data).every((k) => k === 'confide' || k === 'count'), JSON.stringify(m));
    }
    assert.ok(!JSON.stringify(fromChat).includes('canary'), 'no message text');
    assert.equal(await page.evaluate(() => document.querySelector('[data-confide]').shadowRoot.querySelector('iframe').contentDocument), null);
    // What the iframes got: nothing but their own forgeries' echoes, up to a final ping from
    // the host page (after which every earlier message to them has been delivered).
    for (const [i, f] of hostile.entries()) {
      await page.evaluate((n) => window.frames[n].postMessage({ ping: 1 }, '*'), i);
      await f.waitForFunction(() => window.__got.some((m) => m.data && m.data.ping), null, WAIT);
      const got = (await f.evaluate(() => window.__got)).filter((m) => !(m.data && m.data.forged));
      assert.deepEqual(got, [{ origin: site.url, data: { ping: 1 } }], `${f.url()} got only the ping`);
    }

    // If a script sends the chat's iframe elsewhere, the loader's state (with the page's URL)
    // does not follow it there, and what that page posts is not taken for the chat's.
    await page.evaluate((url) => {
      document.querySelector('[data-confide]').shadowRoot.querySelector('iframe').src = url;
    }, `${evil.url}/in-the-chat-frame`);
    const moved = await (async () => {
      for (let i = 0; i < 300; i++) {
        const f = page.frames().find((fr) => fr.url() === `${evil.url}/in-the-chat-frame`);
        if (f && await f.evaluate(() => Array.isArray(window.__got)).catch(() => false)) return f;
        await page.waitForEvent('framenavigated', { timeout: 50 }).catch(() => {});
      }
      throw new Error('the chat frame did not move');
    })();
    await moved.evaluate(() => {
      parent.postMessage({ confide: 'unread', count: 42, forged: 1 }, '*');
      parent.postMessage({ confide: 'ready', forged: 1 }, '*');
    });
    await page.waitForFunction(() => window.__after.filter((m) => m && m.forged).length === 14, null, WAIT);
    await page.evaluate(() => {
      confide('open');
      confide('hide');
      confide('show');
      document.querySelector('[data-confide]').shadowRoot.querySelector('iframe').contentWindow.postMessage({ ping: 1 }, '*');
    });
    await moved.waitForFunction(() => window.__got.some((m) => m.data && m.data.ping), null, WAIT);
    assert.deepEqual(await moved.evaluate(() => window.__got), [{ origin: site.url, data: { ping: 1 } }],
      'no state message reached another origin');
    assert.deepEqual(await events(page), ['ready', 'open', 'close', ['message', { unread: 1 }], 'open']);
    assert.equal(await badge(page).textContent(), '1', 'the badge is the last count the chat gave');
  } finally {
    await context.close();
    await site.close();
    await evil.close();
  }
});
