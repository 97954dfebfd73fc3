// WCAG 2.2 AA for the operator console: axe-core (WCAG 2.0/2.1/2.2 A and AA rules) finds
// nothing on the sign-in page (also with its error), the inbox, a conversation, the Widgets
// page with a widget's settings, the Routers page with a router's rules, and the History,
// transcript, Find a person, Audit log, Roles and Sessions pages. The Widgets page
// lists every language's disclaimer with its completeness and warns when the launcher colour
// gives its white label less than 4.5:1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signInOperator, assertAccessible, adminApi } from './helpers.mjs';

const WAIT = { timeout: 15000 };

test('every console page passes axe, and the Widgets page shows languages and a contrast warning', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const login = await (await browser.newContext()).newPage();
    await login.goto(`${server.url}/console`);
    const form = login.locator('form[data-testid=login]');
    await form.waitFor(WAIT);
    await assertAccessible(login, 'the sign-in page');
    await form.locator('input[name=email]').fill('nobody@example.com');
    await form.locator('input[name=password]').fill('wrong password');
    await form.locator('button[type=submit]').click();
    await form.locator('[role=alert]').waitFor(WAIT);
    await assertAccessible(login, 'the sign-in page with an error');

    const op = await signInOperator(browser, server);
    // A visitor writes, so the inbox and a conversation have something in them.
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${server.url}/`);
    await visitor.locator('[data-confide] button').click();
    const w = visitor.frameLocator('iframe[title="Chat"]');
    await w.locator('[data-testid=consent-checkbox]').check(WAIT);
    await w.locator('[data-testid=consent-start]').click();
    await w.locator('main[data-connection=online]').waitFor(WAIT);
    await w.locator('textarea[data-testid=composer]').fill('Is this accessible?');
    await w.locator('textarea[data-testid=composer]').press('Enter');
    const item = op.locator('[data-testid=inbox-item]').first();
    await item.waitFor(WAIT);
    await assertAccessible(op, 'the inbox');
    await item.click();
    await op.locator('[data-testid=conversation] [data-testid=receipt]').waitFor(WAIT);
    await assertAccessible(op, 'a conversation');

    await op.locator('[data-testid=nav-widgets]').click();
    await op.locator('[data-testid=widget-item][data-widget=demo]').click(WAIT);
    const settings = op.locator('form[data-testid=widget-settings]');
    await settings.waitFor(WAIT);
    const rows = settings.locator('[data-testid=language-status] tbody tr');
    assert.equal(await rows.count(), 34, 'every language is listed');
    assert.equal(await settings.locator('[data-testid=language-status] tr[data-complete=true]').count(), 34);
    assert.equal(await settings.locator('[data-testid=contrast-warning]').count(), 0);
    await assertAccessible(op, 'the Widgets page');

    // An incomplete language shows what it lacks; its row's button edits it.
    await settings.locator('tr[data-lang=sv] button').click();
    await settings.locator('input[name=title]').fill('');
    const sv = settings.locator('tr[data-lang=sv]');
    assert.equal(await sv.getAttribute('data-complete'), 'false');
    assert.match(await sv.innerText(), /missing: title/);
    await settings.locator('input[name=title]').fill('Innan vi chattar');
    assert.equal(await sv.getAttribute('data-complete'), 'true');

    // A launcher colour white text cannot be read on is flagged, with its ratio.
    await settings.locator('input[name=launcher_color]').fill('#ffcc00');
    const warning = settings.locator('[data-testid=contrast-warning]');
    await warning.waitFor(WAIT);
    assert.match(await warning.innerText(), /1\.51:1.*4\.5:1/);
    await assertAccessible(op, 'the Widgets page with a contrast warning');
    await settings.locator('input[name=launcher_color]').fill('#1d4ed8');
    await warning.waitFor({ state: 'detached', ...WAIT });

    const api = adminApi(op, server);
    await api.post('/api/admin/routers', {
      key: 'site',
      name: 'Site',
      rules: { rules: [{ name: 'German', target: 'demo', when: { language: ['de'] } }], default_widget: 'demo', unknown_location: 'demo' },
    });
    await op.locator('[data-testid=nav-routers]').click();
    await op.locator('[data-testid=router-item][data-router=site]').click(WAIT);
    await op.locator('[data-testid=routers] textarea').first().waitFor(WAIT);
    await assertAccessible(op, 'the Routers page');

    // The pages that answer data-subject requests: the history with its rows and a selection
    // confirmation, a transcript, a person found, the audit log.
    await op.locator('[data-testid=nav-history]').click();
    await op.locator('tr[data-testid=history-row]').first().waitFor(WAIT);
    await op.locator('[data-testid=history-select]').first().check();
    await assertAccessible(op, 'the History page with a row selected');
    await op.locator('[data-testid=history-erase]').click();
    await op.locator('[data-testid=erase-confirmation]').waitFor(WAIT);
    await assertAccessible(op, 'the History page asking to confirm an erasure');
    await op.locator('[data-testid=erase-cancel]').click();
    await op.locator('[data-testid=history-open]').first().click();
    await op.locator('section[data-testid=transcript] [data-testid=transcript-message]').first().waitFor(WAIT);
    await assertAccessible(op, 'a transcript with its rectify form');
    await op.locator('[data-testid=nav-person]').click();
    await op.locator('[data-testid=person-email]').fill('nobody@example.com');
    await op.locator('[data-testid=person-find]').click();
    await op.locator('[data-testid=person-summary]').waitFor(WAIT);
    await assertAccessible(op, 'Find a person with its report');
    await op.locator('[data-testid=nav-audit]').click();
    await op.locator('tr[data-testid=audit-row]').first().waitFor(WAIT);
    await assertAccessible(op, 'the Audit log page');
    await op.locator('[data-testid=nav-roles]').click();
    await op.locator('[data-testid=role-item][data-role=admin]').waitFor(WAIT);
    await op.locator('[data-testid=role-new]').click();
    await op.locator('[data-testid=role-save]').click();
    await op.locator('[data-testid=role-problems]').waitFor(WAIT);
    await assertAccessible(op, 'the Roles page with a new role\'s problems');
    await op.locator('[data-testid=nav-sessions]').click();
    await op.locator('table[data-testid=all-sessions] tr[data-testid=admin-session-row]').first().waitFor(WAIT);
    await assertAccessible(op, 'the Sessions page with everyone\'s sessions');
  } finally {
    await browser.close();
    await server.stop();
  }
});
