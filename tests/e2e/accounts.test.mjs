// Issue 15, end to end: an admin creates a role that reads transcripts of one widget only
// and requires a second factor, and adds an operator with it from the Operators page. The new
// operator sets their password through the one-time link, is sent to enrol an authenticator
// app (this test computes the codes from the secret it reads off the enrolment screen, by RFC
// 6238 with node's own HMAC), sees only that widget's conversations, has no export or erase,
// and gets 403 from the server when trying anyway. They sign in again with a recovery code;
// the admin ends their session and their console drops to the sign-in form at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, launchBrowser, signInOperator, adminApi, assertAccessible } from './helpers.mjs';

const WAIT = { timeout: 15000 };
const PASSWORD = 'reader password 12345';
const DEMO_TEXT = 'canary-demo-site-question-7101';
const OTHER_TEXT = 'canary-other-site-question-7102';

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let n = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '')) {
    bits = (bits << 5) | alphabet.indexOf(c);
    n += 5;
    if (n >= 8) {
      n -= 8;
      out.push((bits >> n) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238: HMAC-SHA-1 of the 30-second step, dynamic truncation, six digits. */
function totp(secret, unixMs = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixMs / 30000)));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = h[19] & 0x0f;
  const bin = ((h[offset] & 0x7f) << 24) | (h[offset + 1] << 16) | (h[offset + 2] << 8) | h[offset + 3];
  return String(bin % 1000000).padStart(6, '0');
}

test('the test computes RFC 6238 codes', () => {
  // Appendix B, SHA-1, cut to six digits.
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59000), '287082');
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1111111109000), '081804');
});

/** A message left on `key` (consent off for the test), as a visitor's browser would send it. */
async function leaveMessage(server, key, text) {
  const res = await fetch(`${server.url}/api/widget/${key}/leave-message`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  const body = await res.text();
  assert.equal(res.status, 201, body);
  return JSON.parse(body).conversation;
}

async function signIn(page, server, email, code) {
  await page.goto(`${server.url}/console`);
  const form = page.locator('form[data-testid=login]');
  await form.locator('input[name=email]').fill(email, WAIT);
  await form.locator('input[name=password]').fill(PASSWORD);
  await form.locator('button[type=submit]').click();
  if (code) {
    const input = page.locator('[data-testid=login-code]');
    await input.waitFor(WAIT);
    await input.fill(code);
    await page.locator('[data-testid=login-code-submit]').click();
  }
}

test('a scoped read-only role with a second factor, from the admin\'s console to the agent\'s', async () => {
  // Every sign-in, link and code here comes from one address, faster than a person would.
  const server = await startServer({ env: { CONFIDE_LOGINS_PER_CLIENT_PER_MINUTE: '100' } });
  const browser = await launchBrowser();
  try {
    const admin = await signInOperator(browser, server);
    const api = adminApi(admin, server);
    await api.post('/api/admin/widgets', { key: 'other', name: 'Other site' });
    for (const key of ['demo', 'other']) {
      const settings = await api.get(`/api/admin/widgets/${key}/settings`);
      settings.consent.required = false;
      await api.put(`/api/admin/widgets/${key}/settings`, settings);
    }
    await leaveMessage(server, 'demo', DEMO_TEXT);
    const other = await leaveMessage(server, 'other', OTHER_TEXT);

    // The role: transcripts read, the demo widget only, a second factor required.
    await admin.locator('[data-testid=nav-roles]').click();
    await admin.locator('[data-testid=role-new]').click(WAIT);
    await admin.locator('[data-testid=role-name]').fill('site-readers');
    await admin.locator('[data-testid=role-transcripts]').selectOption('read');
    await admin.locator('[data-testid=role-widget-demo]').check(WAIT);
    await admin.locator('[data-testid=role-second-factor]').check();
    await admin.locator('[data-testid=role-save]').click();
    await admin.locator('[data-testid=role-saved]').waitFor(WAIT);

    // The operator, with a one-time link.
    await admin.locator('[data-testid=nav-operators]').click();
    const add = admin.locator('form[data-testid=operator-add-form]');
    await add.locator('input[name=email]').fill('reader@example.com', WAIT);
    await add.locator('input[name=name]').fill('Reader Canary');
    await add.locator('select[name=role]').selectOption('site-readers', WAIT);
    await add.locator('button[type=submit]').click();
    const linkInput = admin.locator('[data-testid=one-time-link]');
    await linkInput.waitFor(WAIT);
    const link = await linkInput.inputValue();
    assert.match(link, /\/console\/set-password#[A-Za-z0-9_-]{43}$/);
    await admin.locator('tr[data-operator-email="reader@example.com"]').waitFor(WAIT);
    await assertAccessible(admin, 'the Operators page with a one-time link');

    // The new operator sets a password through the link.
    const reader = await (await browser.newContext()).newPage();
    await reader.goto(link);
    const setForm = reader.locator('form[data-testid=set-password-form]');
    const passwords = setForm.locator('input[type=password]');
    await passwords.nth(1).waitFor(WAIT);
    await assertAccessible(reader, 'the set-password page');
    await passwords.nth(0).fill(PASSWORD);
    await passwords.nth(1).fill(PASSWORD);
    await setForm.locator('button[type=submit]').click();
    await reader.locator('[data-testid=set-password-done]').waitFor(WAIT);
    // The link works once (a fresh load: the page took the token out of the address bar).
    await reader.goto('about:blank');
    await reader.goto(link);
    await passwords.nth(1).waitFor(WAIT);
    await passwords.nth(0).fill(PASSWORD);
    await passwords.nth(1).fill(PASSWORD);
    await setForm.locator('button[type=submit]').click();
    await reader.locator('[data-testid=set-password-expired]').waitFor(WAIT);

    // Signed in, they must enrol first: the inbox is not there until they do.
    await signIn(reader, server, 'reader@example.com');
    await reader.locator('[data-testid=totp-start]').click(WAIT);
    const secret = (await reader.locator('[data-testid=totp-secret]').innerText()).replace(/\s/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(await reader.locator('[data-testid=nav-history]').count(), 0);
    await assertAccessible(reader, 'the enrolment with its QR code');
    await reader.locator('[data-testid=totp-code]').fill(totp(secret));
    await reader.locator('[data-testid=totp-confirm]').click();
    const codes = reader.locator('[data-testid=recovery-codes] li');
    await codes.nth(9).waitFor(WAIT);
    assert.equal(await codes.count(), 10);
    const recovery = (await codes.nth(0).innerText()).trim();
    assert.match(recovery, /^[0-9a-z]{5}-[0-9a-z]{5}$/);
    await reader.locator('[data-testid=recovery-done]').click();
    await reader.locator('[data-testid=connection]').filter({ hasText: 'Connected' }).waitFor(WAIT);

    // Only the demo widget's conversation, read-only.
    await reader.locator('[data-testid=nav-history]').click(WAIT);
    const rows = reader.locator('[data-testid=history-row]');
    await rows.first().waitFor(WAIT);
    const listed = await reader.locator('[data-testid=history]').innerText();
    assert.equal(await rows.count(), 1, listed);
    assert.ok(!listed.includes(OTHER_TEXT) && !listed.includes('other'), listed);
    assert.equal(await reader.locator('[data-testid=history-erase]').count(), 0);
    assert.equal(await reader.locator('[data-testid=history-export], [data-testid=history-restrict]').count(), 0);
    await reader.locator('[data-testid=history-read-only]').waitFor(WAIT);

    // The server refuses anyway.
    const refused = await reader.evaluate(async (other) => {
      const post = (path, body) => fetch(path, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      }).then((r) => r.status);
      return {
        export: await fetch('/api/admin/export?format=json').then((r) => r.status),
        erase: await post('/api/admin/conversations/erase', { ids: [other] }),
        otherTranscript: await fetch(`/api/admin/conversations/${other}`).then((r) => r.status),
      };
    }, other);
    assert.equal(refused.export, 403);
    assert.equal(refused.erase, 403);
    assert.ok([403, 404].includes(refused.otherTranscript), JSON.stringify(refused));

    // Signed out, they need the second factor again: a recovery code does it, once.
    await reader.locator('[data-testid=logout]').click();
    await reader.locator('form[data-testid=login]').waitFor(WAIT);
    await signIn(reader, server, 'reader@example.com', recovery);
    await reader.locator('[data-testid=connection]').filter({ hasText: 'Connected' }).waitFor(WAIT);

    // The admin ends the reader's session: their console drops at once.
    await admin.locator('[data-testid=nav-sessions]').click();
    const row = admin.locator('table[data-testid=all-sessions] tr[data-testid=admin-session-row]').filter({ hasText: 'Reader Canary' });
    await row.first().waitFor(WAIT);
    assert.equal(await row.count(), 1);
    await row.locator('[data-testid=admin-session-end]').click();
    await reader.locator('form[data-testid=login]').waitFor({ timeout: 3000 });

    // The used recovery code does not work twice.
    await signIn(reader, server, 'reader@example.com', recovery);
    await reader.locator('[data-testid=login-error]').waitFor(WAIT);
    assert.equal(await reader.locator('[data-testid=connection]').count(), 0);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('an operator adds a passkey and signs in with it, in Chromium with a virtual authenticator', async () => {
  const server = await startServer({ env: { CONFIDE_LOGINS_PER_CLIENT_PER_MINUTE: '100' } });
  const browser = await launchBrowser();
  try {
    // WebAuthn needs a domain name, not an address: the console at localhost.
    const base = server.url.replace('127.0.0.1', 'localhost');
    const { email, password } = server.login();
    const page = await (await browser.newContext()).newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    const signInWithPassword = async () => {
      await page.goto(`${base}/console`);
      const form = page.locator('form[data-testid=login]');
      await form.locator('input[name=email]').fill(email, WAIT);
      await form.locator('input[name=password]').fill(password);
      await form.locator('button[type=submit]').click();
    };
    await signInWithPassword();
    await page.locator('[data-testid=connection]').filter({ hasText: 'Connected' }).waitFor(WAIT);

    // The first passkey is the first second factor: it brings the recovery codes.
    await page.locator('[data-testid=nav-account]').click();
    await page.locator('[data-testid=passkeys-none]').waitFor(WAIT);
    await page.locator('[data-testid=passkey-name]').fill('Test laptop');
    await page.locator('[data-testid=passkey-add]').click();
    await page.locator('[data-testid=passkeys] [data-testid=recovery-codes] li').nth(9).waitFor(WAIT);
    await page.locator('[data-testid=passkeys] [data-testid=recovery-done]').click();
    const item = page.locator('[data-testid=passkey-item]');
    await item.first().waitFor(WAIT);
    assert.match(await item.innerText(), /Test laptop.*never used/s);
    await assertAccessible(page, 'the Account page with a passkey');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the authenticator holds the new credential');

    // Signed out, the password alone is not enough; the passkey is.
    await page.locator('[data-testid=logout]').click();
    await page.locator('form[data-testid=login]').waitFor(WAIT);
    await signInWithPassword();
    await page.locator('[data-testid=login-passkey]').click(WAIT);
    await page.locator('[data-testid=connection]').filter({ hasText: 'Connected' }).waitFor(WAIT);
    await page.locator('[data-testid=nav-account]').click();
    assert.match(await page.locator('[data-testid=passkey-item]').innerText(), /last used/);

    // A passkey the authenticator no longer holds signs nobody in.
    await cdp.send('WebAuthn.clearCredentials', { authenticatorId });
    await page.locator('[data-testid=logout]').click();
    await page.locator('form[data-testid=login]').waitFor(WAIT);
    await signInWithPassword();
    await page.locator('[data-testid=login-passkey]').click(WAIT);
    await page.locator('[data-testid=login-error]').waitFor({ timeout: 90000 });
    assert.equal(await page.locator('[data-testid=connection]').count(), 0);
  } finally {
    await browser.close();
    await server.stop();
  }
});
