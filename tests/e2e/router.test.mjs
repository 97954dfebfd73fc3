// The widget router, end to end in headless Chromium with emulated time zone, language and
// viewport: the snippet names a router; the iframe fetches its rules and candidate widgets in
// one request and decides in the browser. Only the chosen widget's key reaches the server,
// and in privacy mode no time zone, language, country or page URL does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, signInOperator, startHostSite, adminApi, recordTraffic, sentText,
  keptBytes,
} from './helpers.mjs';

const WAIT = { timeout: 15000 };
const PAGE_PATH = 'canary-router-page';

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

async function visit(browser, site, { timezoneId, locale }) {
  const context = await browser.newContext({ timezoneId, locale, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const sent = recordTraffic(page);
  await page.goto(`${site.url}/shop/${PAGE_PATH}?q=1`);
  await page.locator('[data-confide] button').click();
  const widget = page.frameLocator('iframe[title="Chat"]');
  const main = widget.locator('main[data-confide-widget]');
  await widget.locator('[data-testid=consent]').waitFor(WAIT);
  return { context, page, widget, chosen: await main.getAttribute('data-confide-widget'), sent };
}

test('the router picks by location and language in the browser, and fails closed', async () => {
  const server = await startServer({ env: { CONFIDE_LOG: 'debug' } });
  const browser = await launchBrowser();
  const site = await startHostSite(`<!doctype html><html><body><h1>Shop</h1>
    <script src="${server.url}/loader.js" data-router="site" async referrerpolicy="no-referrer"></script>
    </body></html>`);
  try {
    const op = await signInOperator(browser, server);
    await setUp(op, server);

    // Berlin, German: the privacy widget, in German.
    const berlin = await visit(browser, site, { timezoneId: 'Europe/Berlin', locale: 'de-DE' });
    assert.equal(berlin.chosen, 'eu-privacy');
    assert.equal(await berlin.widget.locator('[data-testid=consent-title]').innerText(), 'Bevor wir chatten');

    // New York, English: the standard widget.
    const newYork = await visit(browser, site, { timezoneId: 'America/New_York', locale: 'en-US' });
    assert.equal(newYork.chosen, 'standard');

    // A zone without a country and a language without a region: unknown location, so the
    // rule that might have applied is not skipped: the strict widget.
    const nowhere = await visit(browser, site, { timezoneId: 'Etc/UTC', locale: 'en' });
    assert.equal(nowhere.chosen, 'strict');

    // Berlin starts a chat: only the chosen widget's key goes out, and in privacy mode no
    // time zone, language, country or page URL reaches the server.
    await berlin.widget.locator('[data-testid=consent-checkbox]').check(WAIT);
    await berlin.widget.locator('[data-testid=consent-start]').click();
    await berlin.widget.locator('main[data-connection=online]').waitFor(WAIT);
    const composer = berlin.widget.locator('textarea[data-testid=composer]');
    await composer.fill('Hallo');
    await composer.press('Enter');
    await berlin.widget.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);

    const toServer = berlin.sent.filter((s) => (s.url || '').startsWith(server.url.replace('http', 'ws')) || (s.url || '').startsWith(server.url) || s.kind === 'frame');
    const configRequests = toServer.filter((s) => s.kind === 'request' && s.url.includes('/api/'));
    assert.deepEqual(configRequests.map((s) => new URL(s.url).pathname), ['/api/router/site/config'],
      'one request for the rules and the candidate widgets');
    assert.equal(new URL(configRequests[0].url).search, '', 'no query string');
    const hello = JSON.parse(berlin.sent.find((s) => s.kind === 'frame' && s.body.includes('"hello"')).body);
    assert.equal(hello.widget, 'eu-privacy');
    assert.deepEqual(Object.keys(hello).sort(), ['consent', 'type', 'widget']);
    // Accept-Language is the browser's own header on every request, like User-Agent; the
    // server neither stores nor logs it (checked below). Everything else must be clean.
    const text = toServer.map((s) => sentText({ ...s, headers: Object.fromEntries(Object.entries(s.headers || {}).filter(([k]) => k.toLowerCase() !== 'accept-language')) })).join('\n');
    for (const c of ['Europe/Berlin', 'Berlin', 'de-DE', PAGE_PATH, 'gdpr', 'region']) {
      assert.ok(!text.includes(c), `${c} sent to the server`);
    }
    const kept = keptBytes(server);
    assert.ok(kept.includes('Hallo'), 'the audit reads the real database');
    for (const c of ['Europe/Berlin', 'de-DE', PAGE_PATH]) assert.ok(!kept.includes(c), `${c} stored`);
    const logs = server.logs();
    for (const c of ['Europe/Berlin', 'de-DE', PAGE_PATH]) assert.ok(!logs.includes(c), `${c} logged`);
  } finally {
    await browser.close();
    await site.close();
    await server.stop();
  }
});
