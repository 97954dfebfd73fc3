// The console's Widgets page: an admin creates a widget, is stopped by an invalid privacy
// link, saves a valid one, and copies a snippet whose integrity hash a real browser accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer, launchBrowser, signInOperator } from './helpers.mjs';

const WAIT = { timeout: 15000 };

test('an admin creates a widget, saves valid settings and gets a working pinned snippet', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const op = await signInOperator(browser, server); // the demo operator is an admin
    await op.locator('[data-testid=nav-widgets]').click();
    const page = op.locator('[data-testid=widgets]');
    await page.locator('[data-testid=widget-item][data-widget=demo]').waitFor(WAIT);

    const create = page.locator('form[data-testid=widget-create]');
    await create.locator('input[name=key]').fill('sales');
    await create.locator('input[name=name]').fill('Sales team');
    await create.locator('button[type=submit]').click();
    const item = page.locator('[data-testid=widget-item][data-widget=sales]');
    await item.waitFor(WAIT);
    await item.click();

    const form = page.locator('form[data-testid=widget-settings]');
    await form.waitFor(WAIT);
    const url = form.locator('input[name=privacy_url]');
    await url.fill('http://shop.example/privacy');
    await form.locator('[data-testid=settings-problems]').filter({ hasText: 'privacy_link.url' }).waitFor(WAIT);
    assert.equal(await form.locator('button[data-testid=settings-save]').isDisabled(), true);
    await url.fill('https://shop.example/privacy');
    await form.locator('button[data-testid=settings-save]').click();
    await page.locator('[data-testid=settings-saved]').waitFor(WAIT);
    const config = await (await fetch(`${server.url}/api/widget/sales/config`)).json();
    assert.equal(config.settings.privacy_link.url, 'https://shop.example/privacy');

    const snippet = await page.locator('textarea[data-testid=snippet]').inputValue();
    const loader = Buffer.from(await (await fetch(`${server.url}/loader.js`)).arrayBuffer());
    const integrity = `sha384-${createHash('sha384').update(loader).digest('base64')}`;
    assert.ok(snippet.includes(`integrity="${integrity}"`), snippet);
    assert.ok(snippet.includes('data-widget="sales"'), snippet);
    assert.ok(snippet.includes('crossorigin="anonymous"'), snippet);

    // The snippet works on another origin: the browser checks the hash and runs the loader;
    // with a tampered hash it refuses the script (its error event, not its load event) and
    // there is no launcher. A listener in the capture phase sees either event of the script.
    const outcome = `<script>
      for (const kind of ['load', 'error']) {
        document.addEventListener(kind, (e) => {
          if (e.target.tagName === 'SCRIPT') window.__loader = window.__loader || kind;
        }, true);
      }
    </script>`;
    const loaderOutcome = async (page) => (await page.waitForFunction(() => window.__loader, null, WAIT)).jsonValue();
    const host = await (await browser.newContext()).newPage();
    await host.setContent(`<!doctype html><html><body><h1>Shop</h1>${outcome}${snippet}</body></html>`);
    assert.equal(await loaderOutcome(host), 'load');
    await host.locator('[data-confide] button').waitFor(WAIT);
    const tampered = snippet.replace(integrity, `sha384-${createHash('sha384').update('x').digest('base64')}`);
    const other = await (await browser.newContext()).newPage();
    await other.setContent(`<!doctype html><html><body>${outcome}${tampered}</body></html>`);
    assert.equal(await loaderOutcome(other), 'error', 'the browser refuses the tampered hash');
    assert.equal(await other.locator('[data-confide]').count(), 0, 'no launcher');
  } finally {
    await browser.close();
    await server.stop();
  }
});
