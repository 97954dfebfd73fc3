// Privacy contract 3 and 4, audited byte by byte in both modes. The host page is a site on its
// own origin, visited from a canary referrer with a canary user agent and a canary
// X-Forwarded-For, which the server is configured to trust (client_ip_header), as behind a
// proxy; the visitor sends a message, types a canary draft, waits until the typing signal has
// ended (long after a draft would have gone out), deletes it and sends another message.
// Everything the browser sends (request URLs, headers and bodies, WebSocket frames), the SQLite
// file with its WAL and the server's debug log are searched for the canaries, and for the
// visitor's real address, 127.0.0.1 (the host page is on `localhost`, so a kept page URL does
// not name it).
// - Privacy mode: no canary anywhere.
// - Standard mode: the browser and OS family, the page and the referrer (each without its
//   query) reach the server and are kept for operators; the draft leaves the browser only with
//   live preview on, and is never kept or logged; the user agent string and the IP never are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, signInOperator, recordTraffic, sentText, keptBytes, storedBytes,
  startHostSite, updateDemoSettings,
} from './helpers.mjs';

const WAIT = { timeout: 15000 };
// A real Chrome user agent with a canary token: the family (Chrome, Linux) may be kept, the
// string itself never.
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 canary-user-agent';
const REFERRER_PATH = 'canary-referrer-path';
const REFERRER_QUERY = 'canary-referrer-query';
const REFERRER = `https://search.example/${REFERRER_PATH}?q=${REFERRER_QUERY}`;
const PAGE_PATH = 'canary-page-path';
const PAGE_QUERY = 'canary-page-query';
// The client address a trusted proxy would forward, and the one the server really sees.
const IP = '203.0.113.77';
const PEER = '127.0.0.1';
const DRAFT = 'canary-draft-typed-then-deleted';
const FIRST = 'Hello, I have a question.';
const SENT = 'Where is my parcel?';
const NAME = 'Grace Hopper';

async function audit({ privacyMode, livePreview = false }) {
  const server = await startServer({
    env: { CONFIDE_LOG: 'debug', CONFIDE_CLIENT_IP_HEADER: 'x-forwarded-for' },
  });
  const browser = await launchBrowser();
  // The site owner's page, on its own origin, with the documented snippet.
  const site = await startHostSite(`<!doctype html><html><head><title>Shop</title></head><body>
    <h1>Shop</h1>
    <script src="${server.url}/loader.js" data-widget="demo" async referrerpolicy="no-referrer"></script>
    </body></html>`, { hostname: 'localhost' });
  try {
    const op = await signInOperator(browser, server);
    const standard = !privacyMode;
    if (standard) {
      await updateDemoSettings(op, server, (s) => {
        s.privacy_mode = false;
        s.live_preview = livePreview;
        s.prechat_fields.name = 'required';
      });
    }
    const hostUrl = `${site.url}/shop/${PAGE_PATH}?campaign=${PAGE_QUERY}`;

    const context = await browser.newContext({ userAgent: UA, extraHTTPHeaders: { 'X-Forwarded-For': IP } });
    const page = await context.newPage();
    const sent = recordTraffic(page);
    await page.goto(hostUrl, { referer: REFERRER });
    assert.equal(await page.evaluate(() => document.referrer), REFERRER, 'the host page has the canary referrer');

    await page.locator('[data-confide] button').click();
    const widget = page.frameLocator('iframe[title="Chat"]');
    await widget.locator('[data-testid=consent-checkbox]').check(WAIT);
    await widget.locator('[data-testid=consent-start]').click();
    if (standard) {
      // The pre-chat form: the name is required, so starting without it is refused in place.
      await widget.locator('[data-testid=prechat-start]').click(WAIT);
      await widget.locator('[data-testid=prechat-problem]').filter({ hasText: 'Name' }).waitFor(WAIT);
      await widget.locator('[data-testid=prechat-name]').fill(NAME);
      await widget.locator('[data-testid=prechat-start]').click();
    }
    await widget.locator('main[data-connection=online]').waitFor(WAIT);

    const composer = widget.locator('textarea[data-testid=composer]');
    await composer.fill(FIRST);
    await composer.press('Enter');
    await widget.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);
    await op.locator('[data-testid=inbox-item]').first().click(WAIT);
    await op.locator('[data-testid=message-text]').filter({ hasText: FIRST }).waitFor(WAIT);

    // Operators see what standard mode keeps: name, page and referrer without queries, and
    // the browser and OS family. In privacy mode there is nothing to show.
    const details = op.locator('[data-testid=visitor-details]');
    if (standard) {
      await details.waitFor(WAIT);
      const field = (f) => details.locator(`[data-field=${f}] dd`).innerText();
      assert.equal(await field('name'), NAME);
      assert.equal(await field('page'), `${site.url}/shop/${PAGE_PATH}`);
      assert.equal(await field('referrer'), `https://search.example/${REFERRER_PATH}`);
      assert.equal(await field('browser'), 'Chrome');
      assert.equal(await field('os'), 'Linux');
    } else {
      assert.equal(await details.count(), 0, 'privacy mode keeps no visitor details');
    }

    await composer.pressSequentially(DRAFT, { delay: 10 });
    if (livePreview) {
      await op.locator('[data-testid=draft-preview]').filter({ hasText: DRAFT }).waitFor(WAIT);
    } else {
      // The typing signal reaches the operator, and ends TYPING_IDLE_MS (3 s) after the last
      // key; a draft would have gone out PREVIEW_MS (300 ms) after it, on the same socket, and
      // been shown in place of the typing line before it ended.
      const typing = op.locator('[data-testid=typing]');
      await typing.waitFor(WAIT);
      await typing.waitFor({ state: 'detached', ...WAIT });
      assert.equal(await op.locator('[data-testid=draft-preview]').count(), 0, 'no preview without live preview');
    }
    await composer.fill('');
    await composer.fill(SENT);
    await composer.press('Enter');
    await op.locator('[data-testid=message-text]').filter({ hasText: SENT }).waitFor(WAIT);
    assert.equal(await op.locator('[data-testid=draft-preview]').count(), 0, 'the preview ends with the message');

    // What the browser sent. The host page's own navigation is the site's request, not
    // Confide's: its URL carries the page canaries by construction.
    const audited = sent.filter((s) => !(s.kind === 'request' && s.url === hostUrl));
    assert.equal(sent.length - audited.length, 1, 'exactly one host-page navigation');
    const text = audited.map(sentText).join('\n');
    const frames = audited.filter((s) => s.kind === 'frame').map((s) => s.body);
    const hello = JSON.parse(frames.find((f) => f.includes('"hello"')));
    if (standard) {
      assert.deepEqual(hello.context, {
        page: `${site.url}/shop/${PAGE_PATH}`,
        referrer: `https://search.example/${REFERRER_PATH}`,
      }, 'standard mode sends the page and referrer, cut at the query');
    }
    for (const c of [PAGE_PATH, REFERRER_PATH]) {
      assert.equal(text.includes(c), standard, `${c} is sent in standard mode only`);
    }
    assert.equal(text.includes(DRAFT), livePreview, 'the draft is sent only with live preview on');
    for (const c of [PAGE_QUERY, REFERRER_QUERY, 'canary-user-agent', IP]) {
      assert.ok(!text.includes(c), `${c} sent by the browser`);
    }
    assert.ok(frames.some((f) => f.includes(SENT)), 'the sent message is among the recorded frames');
    for (const f of frames.filter((f) => f.includes('"typing"'))) {
      assert.deepEqual(Object.keys(JSON.parse(f)).sort(), ['active', 'type'], `typing is a bare boolean: ${f}`);
    }
    for (const s of audited.filter((s) => s.kind === 'request' && s.url.startsWith(server.url))) {
      assert.ok(!('referer' in (s.headers || {})), `Referer sent to the chat server with ${s.url}`);
    }

    // What the server kept, and what it logged.
    // Messages, the name and (standard mode) the page context are sealed at rest: the files
    // hold their ciphertexts, read back with sqlite3, and never the text itself. What
    // standard mode keeps for operators was shown to the operator above.
    const kept = keptBytes(server);
    const sealed = storedBytes(server, 'SELECT hex(sealed) FROM messages');
    assert.ok(sealed.length === 2 && sealed.every((b) => kept.includes(b)), 'the audit reads the real database');
    const sealedContext = storedBytes(server, 'SELECT hex(context) FROM conversations WHERE context IS NOT NULL');
    assert.equal(sealedContext.length, standard ? 1 : 0, 'a sealed page context is kept in standard mode only');
    assert.ok(sealedContext.every((b) => kept.includes(b)));
    for (const c of [FIRST, SENT, NAME, PAGE_PATH, REFERRER_PATH, PAGE_QUERY, REFERRER_QUERY, 'canary-user-agent', IP, PEER, DRAFT]) {
      assert.ok(!kept.includes(c), `${c} stored in the database in plain text`);
    }
    // The log, where the server's own address (it prints where it listens) is not the
    // visitor's.
    const logs = server.logs().replaceAll(server.url, '<the server>');
    assert.ok(logs.includes('request'), 'the debug log was recorded');
    for (const c of [PAGE_PATH, PAGE_QUERY, REFERRER_PATH, REFERRER_QUERY, 'canary-user-agent', IP, PEER, DRAFT, NAME, SENT]) {
      assert.ok(!logs.includes(c), `${c} in the server log:\n${logs.split('\n').filter((l) => l.includes(c)).join('\n')}`);
    }
  } finally {
    await browser.close();
    await site.close();
    await server.stop();
  }
}

test('privacy mode: no user agent, referrer, page URL, IP or draft leaves the browser or is kept', () =>
  audit({ privacyMode: true }));

test('standard mode with live preview: page, referrer and browser family where expected, the draft to operators only, no IP', () =>
  audit({ privacyMode: false, livePreview: true }));

test('standard mode without live preview: the draft never leaves the browser', () =>
  audit({ privacyMode: false, livePreview: false }));
