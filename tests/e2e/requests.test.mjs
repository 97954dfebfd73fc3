// Issue 14, end to end: a person's request answered by an admin in the console, days after the
// chat (the real server restarted on the same database with its clock five days ahead, through
// libfaketime). Two visitors chat, one giving a name and an email in the pre-chat form; the
// operator closes both chats. Later an admin finds the first visitor by email and by a word of
// the name in the History page, downloads the selection as CSV (the test reads the file: the
// byte order mark, a row per message, a neutralised =HYPERLINK formula), rectifies the email
// in the transcript view, finds the person by the new address and erases everything of theirs.
// The second visitor's conversation is untouched; the database file and its WAL no longer hold
// the first visitor's sealed messages or pre-chat values. The Audit log page lists each of
// those actions; an audit row edited in the database is named by `confide audit verify`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  startServer, launchBrowser, signInApi, signInOperator, operatorSocket, updateDemoSettings,
  keptBytes, storedBytes, adminApi,
} from './helpers.mjs';

const WAIT = { timeout: 15000 };
const FORMULA = '=HYPERLINK("https://evil.example","click me")';
const ADA_SECRET = 'canary-ada-order-4711';
const BOB_SECRET = 'canary-bob-order-4712';

/** A visitor who fills the pre-chat form with `fields` and sends `texts`; the conversation id. */
async function chat(browser, server, operator, fields, texts) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/`);
  await page.locator('[data-confide] button').click();
  const w = page.frameLocator('iframe[title="Chat"]');
  await w.locator('[data-testid=consent-checkbox]').check(WAIT);
  await w.locator('[data-testid=consent-start]').click();
  await w.locator('[data-testid=prechat]').waitFor(WAIT);
  for (const [key, value] of Object.entries(fields)) {
    await w.locator(`[data-testid=prechat-${key}]`).fill(value);
  }
  await w.locator('[data-testid=prechat-start]').click();
  await w.locator('main[data-connection=online]').waitFor(WAIT);
  const seen = await operator.received();
  const composer = w.locator('textarea[data-testid=composer]');
  for (const text of texts) {
    await composer.fill(text);
    await composer.press('Enter');
    await w.locator('[data-testid=message][data-author=visitor][data-state=sent]').filter({ hasText: text.slice(0, 12) }).waitFor(WAIT);
  }
  const id = (await operator.frame({ type: 'conversation', conversation: { widget: 'demo', open: true } }, seen)).conversation.id;
  await page.context().close();
  return id;
}

/** `confide audit verify` on the server's data directory: { ok, out }. */
function verifyAudit(server) {
  const r = spawnSync(process.env.E2E_SERVER_BIN, ['audit', 'verify'], {
    cwd: server.dataDir,
    env: { PATH: process.env.PATH, CONFIDE_DATA_DIR: server.dataDir },
    encoding: 'utf8',
  });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

test('an admin finds, exports, rectifies and erases one person days later; the other stays', async () => {
  let server = await startServer();
  const browser = await launchBrowser();
  try {
    const api = await signInApi(browser, server);
    const creds = server.login();
    await updateDemoSettings(api, server, (s) => {
      s.prechat_fields.name = 'optional';
      s.prechat_fields.email = 'optional';
    });
    const operator = await operatorSocket(api, server);
    const ada = await chat(browser, server, operator,
      { name: 'Ada Canary-Lovelace', email: 'ada.canary@example.com' }, [FORMULA, ADA_SECRET]);
    const bob = await chat(browser, server, operator, {}, [BOB_SECRET]);
    for (const id of [ada, bob]) {
      const seen = await operator.received();
      await operator.send({ type: 'close', conversation: id });
      await operator.frame({ type: 'conversation', conversation: { id, open: false } }, seen);
    }
    // What the files hold of each visitor: sealed bytes, never the plain text.
    const adaSealed = [
      ...storedBytes(server, `SELECT hex(sealed) FROM messages WHERE conversation_id = ${ada}`),
      ...storedBytes(server, `SELECT hex(prechat) FROM conversations WHERE id = ${ada}`),
    ];
    const bobSealed = storedBytes(server, `SELECT hex(sealed) FROM messages WHERE conversation_id = ${bob}`);
    assert.equal(adaSealed.length, 3, 'two messages and the pre-chat values');
    assert.equal(bobSealed.length, 1);
    let kept = keptBytes(server);
    assert.ok(adaSealed.every((b) => kept.includes(b)) && !kept.includes(ADA_SECRET), 'sealed at rest');

    // Five days later, the request arrives by email.
    await server.stop({ keep: true });
    server = await startServer({ dataDir: server.dataDir, daysLater: 5 });
    server.login = () => creds;
    const op = await signInOperator(browser, server);

    // History: by email, then by one word of the name.
    await op.locator('[data-testid=nav-history]').click();
    const filters = op.locator('form[data-testid=history-filters]');
    await filters.waitFor(WAIT);
    const rows = op.locator('tr[data-testid=history-row]');
    await rows.nth(1).waitFor(WAIT);
    assert.equal(await rows.count(), 2, 'both conversations are listed');
    await filters.locator('[data-testid=history-email]').fill('ADA.canary@example.com ');
    await filters.locator('[data-testid=history-search]').click();
    await op.locator(`tr[data-testid=history-row][data-conversation="${bob}"]`).waitFor({ state: 'detached', ...WAIT });
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().getAttribute('data-conversation'), String(ada));
    await filters.locator('[data-testid=history-email]').fill('');
    await filters.locator('[data-testid=history-name]').fill('lovelace');
    await filters.locator('[data-testid=history-search]').click();
    await op.locator('[data-testid=history-total]').filter({ hasText: /\b1\b/ }).waitFor(WAIT);
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().getAttribute('data-conversation'), String(ada));
    assert.match(await rows.first().innerText(), /ada\.canary@example\.com/);

    // Export the selection as CSV and read the file.
    await rows.first().locator('[data-testid=history-select]').check();
    const [download] = await Promise.all([
      op.waitForEvent('download', WAIT),
      op.locator('[data-testid=history-export-csv]').click(),
    ]);
    const bytes = readFileSync(await download.path());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte order mark');
    const csv = bytes.subarray(3).toString('utf8');
    const lines = csv.trim().split('\n');
    assert.equal(lines.length, 3, 'a header and one row per message');
    assert.match(lines[0], /^"conversation","widget","status"/);
    assert.ok(lines.every((l, i) => i === 0 || l.startsWith(`"${ada}","demo","closed"`)), csv);
    assert.ok(lines[1].includes('"Ada Canary-Lovelace","ada.canary@example.com"'), lines[1]);
    assert.ok(lines[1].endsWith(`"'=HYPERLINK(""https://evil.example"",""click me"")"`), `neutralised: ${lines[1]}`);
    assert.ok(lines[2].endsWith(`"${ADA_SECRET}"`), lines[2]);
    assert.ok(!csv.includes(BOB_SECRET), 'only the selection');

    // Rectify the email in the transcript view.
    await rows.first().locator('[data-testid=history-open]').click();
    const transcript = op.locator('section[data-testid=transcript]');
    await transcript.locator('[data-testid=transcript-message]').nth(1).waitFor(WAIT);
    assert.match(await transcript.innerText(), new RegExp(ADA_SECRET));
    const rectify = transcript.locator('form[data-testid=rectify]');
    await rectify.locator('[data-testid=rectify-email]').fill('ada.new@example.com');
    await rectify.locator('[data-testid=rectify-save]').click();
    await transcript.locator('[data-testid=rectify-saved]').waitFor(WAIT);
    const admin = adminApi(op, server);
    assert.equal((await admin.get('/api/admin/conversations?email=ada.canary@example.com')).total, 0);
    assert.equal((await admin.get('/api/admin/conversations?email=ada.new@example.com')).total, 1);

    // Find the person by the new address, and erase everything of theirs.
    await op.locator('[data-testid=nav-person]').click();
    const person = op.locator('form[data-testid=person-form]');
    await person.locator('[data-testid=person-email]').fill('ada.new@example.com');
    await person.locator('[data-testid=person-find]').click();
    const summary = op.locator('[data-testid=person-summary]');
    await summary.waitFor(WAIT);
    assert.match(await summary.innerText(), /1 conversation/);
    const report = op.locator('[data-testid=person-report]');
    assert.match(await report.inputValue(), /We found 1 conversation with 2 messages/);
    await op.locator('[data-testid=person-erase]').click();
    const confirm = op.locator('[data-testid=erase-confirm]');
    assert.match(await op.locator('[data-testid=erase-confirmation]').innerText(), /Erase 1 conversation\b/);
    await confirm.click();
    await op.waitForFunction(() => /we erased 1 conversation and 2 messages/.test(
      document.querySelector('[data-testid=person-report]')?.value || ''), null, WAIT);
    const text = await report.inputValue();
    assert.ok(!/ada|canary|lovelace|@/i.test(text), `the report holds no name or address: ${text}`);

    // The second visitor is untouched; the first one's bytes are gone from the files.
    const after = await admin.get('/api/admin/conversations');
    assert.deepEqual(after.conversations.map((c) => c.id), [bob]);
    const bobs = await admin.get(`/api/admin/conversations/${bob}`);
    assert.equal(bobs.messages[0].text, BOB_SECRET);
    kept = keptBytes(server);
    for (const b of adaSealed) assert.ok(!kept.includes(b), 'an erased visitor\'s sealed bytes are gone');
    assert.ok(bobSealed.every((b) => kept.includes(b)), 'the search reads the real files');
    for (const canary of [ADA_SECRET, 'Lovelace', 'ada.canary@example.com', 'ada.new@example.com']) {
      assert.ok(!kept.includes(canary), canary);
    }

    // The audit page lists what was done.
    await op.locator('[data-testid=nav-audit]').click();
    const audit = op.locator('tr[data-testid=audit-row]');
    await audit.first().waitFor(WAIT);
    for (const action of ['history_searched', 'exported', 'transcript_opened', 'rectified', 'person_searched', 'erased', 'sign_in']) {
      assert.ok(await op.locator(`tr[data-testid=audit-row][data-action=${action}]`).count() > 0, action);
    }
    // The second server's clock really ran five days ahead.
    const signIns = (await admin.get('/api/admin/audit?action=sign_in')).entries.map((e) => e.at);
    assert.ok(Math.max(...signIns) - Math.min(...signIns) >= 5 * 86400000, `sign-ins at ${signIns}`);
    const chain = op.locator('[data-testid=audit-chain]');
    assert.equal(await chain.getAttribute('data-intact'), 'true');
    const erasedRow = op.locator('tr[data-testid=audit-row][data-action=erased]').first();
    assert.match(await erasedRow.innerText(), /filter/);
    assert.ok(!/@|ada|lovelace/i.test(await op.locator('table').last().innerText()), 'the log holds ids and counts only');

    // Someone edits an audit row in the database: `confide audit verify` names it.
    assert.ok(verifyAudit(server).ok, verifyAudit(server).out);
    const [id] = execFileSync('sqlite3', [`${server.dataDir}/confide.db`,
      "SELECT id FROM audit_log WHERE action = 'erased' LIMIT 1"], { encoding: 'utf8' }).trim().split('\n');
    execFileSync('sqlite3', [`${server.dataDir}/confide.db`, `UPDATE audit_log SET count = 0 WHERE id = ${id}`]);
    const broken = verifyAudit(server);
    assert.ok(!broken.ok);
    assert.match(broken.out, new RegExp(`broken at entry ${id}: it was changed`));
    await op.reload();
    await op.locator('[data-testid=nav-audit]').click();
    await op.locator('[data-testid=audit-chain][data-intact=false]').waitFor(WAIT);
    assert.match(await op.locator('[data-testid=audit-chain]').innerText(), new RegExp(`\\b${id}\\b`));
  } finally {
    await browser.close();
    await server.stop();
  }
});
