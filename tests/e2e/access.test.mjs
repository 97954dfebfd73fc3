// Issue 15, the console's IP allowlist: an admin saves a list that leaves out 127.0.0.1 (the
// console asks to confirm, since it shuts them out); from then on the console is a plain page
// saying it is not available from this network, and signing in is refused before any password
// is checked; `confide access reset` on the server opens it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, launchBrowser, signInOperator } from './helpers.mjs';

const WAIT = { timeout: 15000 };

test('an allowlist without 127.0.0.1 shuts the console with a clear page, and the CLI opens it', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const op = await signInOperator(browser, server);
    await op.locator('[data-testid=nav-sessions]').click();
    const form = op.locator('form[data-testid=access-form]');
    await form.waitFor(WAIT);
    await form.locator('[data-testid=access-list]').fill('10.0.0.0/8\n2001:db8::/32\n');
    await form.locator('[data-testid=access-save]').click();
    // It would shut out the address saving it: a confirmation first.
    const lockout = op.locator('[data-testid=access-lockout]');
    await lockout.waitFor(WAIT);
    assert.match(await lockout.innerText(), /shut out/);
    await op.locator('[data-testid=access-confirm]').click();
    await op.locator('[data-testid=access-saved]').waitFor(WAIT);

    // A fresh browser: the console is a clear page, and the sign-in API refuses.
    const other = await (await browser.newContext()).newPage();
    const res = await other.goto(`${server.url}/console`);
    assert.equal(res.status(), 403);
    const text = await other.locator('body').innerText();
    assert.match(text, /not available from this network/);
    assert.match(text, /confide access reset/);
    const login = await other.context().request.post(`${server.url}/api/operator/login`, {
      data: server.login(),
      headers: { origin: server.url },
    });
    assert.equal(login.status(), 403);
    assert.equal((await login.json()).code, 'forbidden');
    // The visitor's side is untouched.
    assert.equal((await other.context().request.get(`${server.url}/api/widget/demo/config`)).status(), 200);

    // The command line on the server empties the list; the console answers again.
    const r = spawnSync(process.env.E2E_SERVER_BIN, ['access', 'reset'], {
      cwd: server.dataDir,
      env: { PATH: process.env.PATH, CONFIDE_DATA_DIR: server.dataDir },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    await other.goto(`${server.url}/console`);
    await other.locator('form[data-testid=login]').waitFor(WAIT);
  } finally {
    await browser.close();
    await server.stop();
  }
});
