// The widget router, end to end in headless Chromium with emulated time zone, language and
// viewport: the snippet names a router; the iframe fetches its rules and candidate widgets in
// one request and decides in the browser. The server has MaxMind's GeoIP test database and
// trusts X-Forwarded-For (as behind a proxy), so it resolves a forwarded address to a country
// for that request. Only the chosen widget's key reaches the server: for a privacy-mode target
// no time zone, language, country, address or page URL; for a standard-mode target also the
// page URL without its query (as documented), and still none of the routing signals. Neither
// the address, the real peer (127.0.0.1) nor the country is stored or logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  startServer, launchBrowser, signInApi, operatorSocket, startHostSite, adminApi, recordTraffic,
  sentText, keptBytes, storedBytes,
} from './helpers.mjs';

const WAIT = { timeout: 15000 };
const PAGE_PATH = 'canary-router-page';
const PAGE_QUERY = 'canary-router-query';
const GEOIP = fileURLToPath(new URL('../../.tools/geoip/GeoIP2-Country-Test.mmdb', import.meta.url));
// In MaxMind's test database (see crates/server/tests/api/routers.rs): country GB, a code
// that nothing else in the database file or the log spells.
const GB_IP = '81.2.69.142';
const PEER = '127.0.0.1';

/** Three widgets and a router: the GDPR area gets the privacy widget, unknown locations the
 * strict one, everyone else the standard one. */
async function setUp(op, server) {
  const api = adminApi(op, server);
  for (const [key, name] of [['eu-privacy', 'EU privacy'], ['standard', 'Standard'], ['strict', 'Strict']]) {
    await api.post('/api/admin/widgets', { key, name });
  }
  const standard = await api.get('/api/admin/widgets/standard/settings');
  standard.privacy_mode = false;
  await api.put('/api/admin/widgets/standard/settings', standard);
  await api.post('/api/admin/routers', {
    key: 'site',
    name: 'Whole site',
    rules: {
      rules: [{ name: 'GDPR area', target: 'eu-privacy', when: { region_in: ['gdpr'] } }],
      default_widget: 'standard',
      unknown_location: 'strict',
    },
  });
}

async function visit(browser, site, { timezoneId, locale, forwardedFor }) {
  const context = await browser.newContext({
    timezoneId,
    locale,
    viewport: { width: 1280, height: 800 },
    extraHTTPHeaders: forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {},
  });
  const page = await context.newPage();
  const sent = recordTraffic(page);
  await page.goto(`${site.url}/shop/${PAGE_PATH}?q=${PAGE_QUERY}`);
  await page.locator('[data-confide] button').click();
  const widget = page.frameLocator('iframe[title="Chat"]');
  const main = widget.locator('main[data-confide-widget]');
  await widget.locator('[data-testid=consent]').waitFor(WAIT);
  return { context, page, widget, chosen: await main.getAttribute('data-confide-widget'), sent };
}

async function chat(visitor, text) {
  await visitor.widget.locator('[data-testid=consent-checkbox]').check(WAIT);
  await visitor.widget.locator('[data-testid=consent-start]').click();
  await visitor.widget.locator('main[data-connection=online]').waitFor(WAIT);
  const composer = visitor.widget.locator('textarea[data-testid=composer]');
  await composer.fill(text);
  await composer.press('Enter');
  await visitor.widget.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);
}

/** What `visitor` sent to the chat server, as text, without the browser's own User-Agent and
 * Accept-Language (on every request, whatever Confide does; the server neither stores nor
 * logs them, checked below) and the proxy's X-Forwarded-For. */
function toServer(visitor, server) {
  const sent = visitor.sent.filter((s) => s.kind === 'frame' || (s.url || '').startsWith(server.url.replace('http', 'ws')) || (s.url || '').startsWith(server.url));
  const text = sent.map((s) => sentText({ ...s, headers: Object.fromEntries(Object.entries(s.headers || {}).filter(([k]) => k.toLowerCase() !== 'accept-language')) })).join('\n');
  const hello = JSON.parse(sent.find((s) => s.kind === 'frame' && s.body.includes('"hello"')).body);
  const apiPaths = sent.filter((s) => s.kind === 'request' && s.url.includes('/api/')).map((s) => new URL(s.url).pathname + new URL(s.url).search);
  return { text, hello, apiPaths };
}

/**
 * The text in the database file and WAL: runs of printable characters, as `strings` finds
 * them, without the operator's argon2 hash (random base64), so that a two-letter code found
 * there was written as text, not hit by chance in random bytes. SQLite writes a record's
 * values back to back, so a code stored next to another value has no separator around it.
 */
function keptText(bytes) {
  return (bytes.match(/[\x20-\x7e]{4,}/g) || []).join('\n')
    .replace(/\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+/g, '');
}

test('the router picks by location and language in the browser, fails closed, and the server keeps no signal, address or country', async () => {
  assert.ok(existsSync(GEOIP), `${GEOIP} is missing: run cargo xtask setup`);
  const server = await startServer({
    env: { CONFIDE_LOG: 'debug', CONFIDE_GEOIP_DATABASE: GEOIP, CONFIDE_CLIENT_IP_HEADER: 'x-forwarded-for' },
  });
  const browser = await launchBrowser();
  // On `localhost`, so that the page URL a standard-mode widget keeps does not name 127.0.0.1.
  const site = await startHostSite(`<!doctype html><html><body><h1>Shop</h1>
    <script src="${server.url}/loader.js" data-router="site" async referrerpolicy="no-referrer"></script>
    </body></html>`, { hostname: 'localhost' });
  try {
    const op = await signInApi(browser, server);
    await setUp(op, server);
    // An operator is online, so the visitors get the chat.
    await operatorSocket(op, server);

    // Berlin, German, behind a proxy that forwards an address in Great Britain: the privacy
    // widget, in German.
    const berlin = await visit(browser, site, { timezoneId: 'Europe/Berlin', locale: 'de-DE', forwardedFor: GB_IP });
    assert.equal(berlin.chosen, 'eu-privacy');
    assert.equal(await berlin.widget.locator('[data-testid=consent-title]').innerText(), 'Bevor wir chatten');

    // New York, English: the standard widget.
    const newYork = await visit(browser, site, { timezoneId: 'America/New_York', locale: 'en-US' });
    assert.equal(newYork.chosen, 'standard');

    // A zone without a country and a language without a region: unknown location, so the
    // rule that might have applied is not skipped: the strict widget.
    const nowhere = await visit(browser, site, { timezoneId: 'Etc/UTC', locale: 'en' });
    assert.equal(nowhere.chosen, 'strict');
    // The same visitor from an address in Great Britain: the server read the forwarded
    // address and gave the page its country, which decides.
    const fromGb = await visit(browser, site, { timezoneId: 'Etc/UTC', locale: 'en', forwardedFor: GB_IP });
    assert.equal(fromGb.chosen, 'eu-privacy');

    // Berlin chats (a privacy-mode target): only the chosen widget's key goes out.
    await chat(berlin, 'Hallo');
    const b = toServer(berlin, server);
    // One request for the rules and the candidate widgets; the chosen widget's settings come
    // with it, but the router page hands them over in session storage, which a browser that
    // blocks third-party storage (this one: the host is another site, and the context is
    // off the record) denies the chat's iframe, so the widget asks for its own once more.
    assert.deepEqual(b.apiPaths, ['/api/router/site/config', '/api/widget/eu-privacy/config'], 'no other request, no query');
    assert.equal(b.hello.widget, 'eu-privacy');
    assert.deepEqual(Object.keys(b.hello).sort(), ['consent', 'type', 'widget']);
    for (const c of ['Europe/Berlin', 'Berlin', 'de-DE', PAGE_PATH, PAGE_QUERY, 'gdpr', 'region', GB_IP]) {
      assert.ok(!b.text.includes(c), `${c} sent to the server`);
    }

    // New York chats (a standard-mode target): the page without its query, as documented,
    // and still no routing signal.
    await chat(newYork, 'Hello from New York');
    const n = toServer(newYork, server);
    assert.equal(n.hello.widget, 'standard');
    assert.deepEqual(Object.keys(n.hello).sort(), ['consent', 'context', 'type', 'widget']);
    assert.deepEqual(n.hello.context, { page: `${site.url}/shop/${PAGE_PATH}` });
    for (const c of ['America/New_York', 'New_York', 'en-US', PAGE_QUERY, 'north_america', 'region']) {
      assert.ok(!n.text.includes(c), `${c} sent to the server`);
    }

    // Messages and the standard-mode widget's page are sealed at rest: the files hold their
    // ciphertexts (read back with sqlite3), never the text.
    const kept = keptBytes(server);
    const sealed = storedBytes(server, 'SELECT hex(sealed) FROM messages');
    assert.ok(sealed.length >= 2 && sealed.every((b) => kept.includes(b)), 'the audit reads the real database');
    const context = storedBytes(server, 'SELECT hex(context) FROM conversations WHERE context IS NOT NULL');
    assert.equal(context.length, 1, 'the standard-mode widget keeps the page, sealed');
    assert.ok(kept.includes(context[0]));
    for (const c of ['Hallo', 'Hello from New York', PAGE_PATH, 'Europe/Berlin', 'America/New_York', 'de-DE', 'en-US', PAGE_QUERY, GB_IP, PEER]) {
      assert.ok(!kept.includes(c), `${c} stored`);
    }
    assert.ok(!keptText(kept).includes('GB'), 'the country stored');
    // The log, where the server's own address (it prints where it listens) is not the visitor's.
    const logs = server.logs().replaceAll(server.url, '<the server>');
    assert.ok(logs.includes('GeoIP database loaded') && logs.includes('/api/router/{key}/config'), 'the debug log was recorded');
    for (const c of ['Europe/Berlin', 'America/New_York', 'de-DE', 'en-US', PAGE_PATH, PAGE_QUERY, GB_IP, '81.2.69', PEER, 'GB']) {
      assert.ok(!logs.includes(c), `${c} logged`);
    }
  } finally {
    await browser.close();
    await site.close();
    await server.stop();
  }
});
