// What travels on the wire after the click: the widget's wasm, JS and CSS arrive compressed
// (the server sends the .br or .gz copy `cargo xtask build` wrote, by Accept-Encoding), and
// what Chromium received decodes to the file in dist/ byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser } from './helpers.mjs';

test('the widget bundle reaches the browser compressed and decodes to the built files', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const bundle = [];
    page.on('requestfinished', (r) => {
      if (new URL(r.url()).pathname.startsWith('/widget/')) bundle.push(r);
    });
    await page.goto(`${server.url}/`);
    await page.locator('[data-confide] button').click();
    await page
      .frameLocator('iframe[title="Chat"]')
      .locator('main[data-confide-widget="demo"]')
      .waitFor({ state: 'visible', timeout: 20000 });

    const wasm = bundle.filter((r) => r.url().endsWith('.wasm'));
    assert.equal(wasm.length, 1, `one wasm file: ${bundle.map((r) => r.url())}`);
    const kinds = new Set(bundle.map((r) => new URL(r.url()).pathname.split('.').pop()));
    for (const kind of ['wasm', 'js', 'css']) assert.ok(kinds.has(kind), `a ${kind} file was loaded`);
    for (const request of bundle) {
      const response = await request.response();
      const headers = response.headers();
      const name = new URL(request.url()).pathname.replace('/widget/', '');
      const built = readFileSync(join(process.env.E2E_ASSETS_DIR, 'widget', name));
      const sizes = await request.sizes();
      assert.ok(['br', 'gzip'].includes(headers['content-encoding']),
        `${name}: content-encoding ${headers['content-encoding']} (browser asked for ${await request.headerValue('accept-encoding')})`);
      assert.equal(headers.vary, 'accept-encoding', name);
      assert.ok(sizes.responseBodySize < built.length * 0.6,
        `${name}: ${sizes.responseBodySize} bytes on the wire for ${built.length} built`);
      // Playwright hands over the decoded body: it must be exactly the built file.
      assert.ok((await response.body()).equals(built), `${name} decodes to the built file`);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
});
