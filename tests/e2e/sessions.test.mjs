// Issue 15, sessions: an agent signed in from two browsers sees both sessions by browser and OS
// family (never an address) and ends the other one, whose console drops to the sign-in form
// at once; an admin ends the agent's remaining session from "Everyone's sessions" and the
// agent's console drops to the sign-in form at once too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, launchBrowser, signInOperator } from './helpers.mjs';

const WAIT = { timeout: 15000 };
const PASSWORD = 'agent password 12345';

/** `confide operator add` on the running server's database. */
function addAgent(server, email, name) {
  const r = spawnSync(process.env.E2E_SERVER_BIN, ['operator', 'add', '--email', email, '--name', name], {
    cwd: server.dataDir,
    env: { PATH: process.env.PATH, CONFIDE_DATA_DIR: server.dataDir },
    input: `${PASSWORD}\n`,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}

/** The console signed in as `email` in a new context with this user agent. */
async function console_(browser, server, email, userAgent) {
  const page = await (await browser.newContext({ userAgent })).newPage();
  await page.goto(`${server.url}/console`);
  const form = page.locator('form[data-testid=login]');
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=password]').fill(PASSWORD);
  await form.locator('button[type=submit]').click();
  await page.locator('[data-testid=connection]').filter({ hasText: 'Connected' }).waitFor(WAIT);
  return page;
}

test('an agent ends another of their sessions and an admin ends theirs; each console drops at once', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const admin = await signInOperator(browser, server);
    addAgent(server, 'agent@example.com', 'Agent Canary');
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const laptop = await console_(browser, server, 'agent@example.com', firefox);
    const phone = await console_(browser, server, 'agent@example.com', undefined);

    await laptop.locator('[data-testid=nav-sessions]').click();
    const page = laptop.locator('section[data-testid=sessions-page]');
    const rows = page.locator('tr[data-testid=session-row]');
    await rows.nth(1).waitFor(WAIT);
    assert.equal(await rows.count(), 2);
    const current = page.locator('tr[data-testid=session-row][data-current=true]');
    assert.match(await current.innerText(), /Firefox/);
    assert.match(await current.innerText(), /Linux/);
    const text = await page.innerText();
    assert.ok(!/127\.0\.0\.1|Mozilla/.test(text), text);
    assert.equal(await laptop.locator('table[data-testid=all-sessions]').count(), 0, 'an agent sees only their own');

    // The agent ends the other session: that console is back at the sign-in form at once.
    await page.locator('tr[data-testid=session-row][data-current=false] [data-testid=session-end]').click();
    await phone.locator('form[data-testid=login]').waitFor({ timeout: 3000 });
    await page.locator('[data-testid=sessions-result]').waitFor(WAIT);
    await page.locator('tr[data-testid=session-row]').nth(1).waitFor({ state: 'detached', ...WAIT });

    // The admin ends the agent's remaining session from everyone's list.
    await admin.locator('[data-testid=nav-sessions]').click();
    const all = admin.locator('table[data-testid=all-sessions]');
    const agentsRow = all.locator('tr[data-testid=admin-session-row]').filter({ hasText: 'Agent Canary' });
    await agentsRow.first().waitFor(WAIT);
    assert.equal(await agentsRow.count(), 1);
    await agentsRow.locator('[data-testid=admin-session-end]').click();
    await laptop.locator('form[data-testid=login]').waitFor({ timeout: 3000 });
    await admin.locator('[data-testid=sessions-result]').waitFor(WAIT);
  } finally {
    await browser.close();
    await server.stop();
  }
});
