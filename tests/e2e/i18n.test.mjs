// The widget in each of its 34 languages, end to end: a browser whose locale is that language
// sees the consent gate and the chat with no English text left (every text on screen, and
// every accessible name, placeholder and title, is compared with the English texts, the
// language file's own and Confide's English disclaimer), in a document that says its language;
// Arabic and Hebrew are right to left, with the composer and the messages mirrored. One
// browser, one context per language (the locale is the context's), a few at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, signInOperator } from './helpers.mjs';

const WAIT = { timeout: 20000 };
const I18N = join(dirname(fileURLToPath(import.meta.url)), '../../static/i18n');
const files = new Map();
const file = (code) => {
  if (!files.has(code)) files.set(code, JSON.parse(readFileSync(join(I18N, `${code}.json`), 'utf8')));
  return files.get(code);
};
const CODES = readdirSync(I18N).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
/** The Chromium locale a visitor of that language has. */
const LOCALE = { 'zh-Hans': 'zh-CN', nb: 'nb-NO', pt: 'pt-PT' };

/** Each text of a file as a whole-text pattern ({placeholders} match anything), by key. */
function patterns(texts) {
  const out = [];
  for (const [key, value] of Object.entries(texts)) {
    for (const text of typeof value === 'string' ? [value] : Object.values(value)) {
      const source = text.split(/\{[a-z_]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+');
      out.push({ key, text, re: new RegExp(`^${source}$`) });
    }
  }
  return out;
}

/** Every text the widget shows or speaks: text nodes, accessible names, placeholders, the
 *  title; not the language menu's options (each language's own name) nor typed text. */
function shownTexts() {
  const out = [document.title];
  const walk = (node) => {
    for (const c of node.childNodes) {
      if (c.nodeType === Node.TEXT_NODE) {
        const t = c.textContent.trim();
        if (t) out.push(t);
      } else if (c.nodeType === Node.ELEMENT_NODE && !['OPTION', 'SCRIPT', 'STYLE'].includes(c.tagName)) {
        for (const a of ['aria-label', 'placeholder', 'title', 'alt']) {
          const v = c.getAttribute(a);
          if (v && v.trim()) out.push(v.trim());
        }
        if (c.tagName !== 'TEXTAREA') walk(c);
      }
    }
  };
  walk(document.body);
  return out;
}

test('the gate and the chat in each of the 34 languages, with no English left, and right to left where it should be', async () => {
  assert.equal(CODES.length, 34);
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    await signInOperator(browser, server);
    const config = await (await fetch(`${server.url}/api/widget/demo/config`)).json();
    const texts = config.settings.consent.texts;
    const labels = config.settings.privacy_link.labels;
    const disclaimer = (code) => ({ ...texts[code], link: labels[code] });
    const englishPatterns = patterns(file('en'));
    const englishDisclaimer = Object.values(disclaimer('en'));

    const problems = [];
    const check = async (code) => {
      const own = file(code);
      // A text may equal English where the language uses the same word (German "Name").
      const english = englishPatterns.filter((p) => JSON.stringify(own[p.key]) !== JSON.stringify(file('en')[p.key])
        || code === 'en');
      const ownDisclaimer = Object.values(disclaimer(code));
      const leftovers = (shown) => shown.filter((t) => code !== 'en'
        && (english.some((p) => p.re.test(t)) || (englishDisclaimer.includes(t) && !ownDisclaimer.includes(t))));

      const context = await browser.newContext({ locale: LOCALE[code] || code });
      try {
        const page = await context.newPage();
        await page.goto(`${server.url}/`);
        await page.locator('[data-confide] button').click();
        const w = page.frameLocator('iframe');
        await w.locator('[data-testid=consent]').waitFor(WAIT);
        const frame = await (await page.locator('iframe').elementHandle()).contentFrame();
        const html = await frame.evaluate(() => [document.documentElement.lang, document.documentElement.dir]);
        if (html[0] !== code) problems.push(`${code}: <html lang=${html[0]}>`);
        const rtl = code === 'ar' || code === 'he';
        if (html[1] !== (rtl ? 'rtl' : 'ltr')) problems.push(`${code}: <html dir=${html[1]}>`);
        const title = await w.locator('[data-testid=consent-title]').innerText();
        if (title !== texts[code].title) problems.push(`${code}: the gate shows "${title}", not its own disclaimer`);
        for (const t of leftovers(await frame.evaluate(shownTexts))) problems.push(`${code} gate: English "${t}"`);

        await w.locator('[data-testid=consent-checkbox]').check();
        await w.locator('[data-testid=consent-start]').click();
        await w.locator('main[data-connection=online]').waitFor(WAIT);
        for (const t of leftovers(await frame.evaluate(shownTexts))) problems.push(`${code} chat: English "${t}"`);
        const status = await w.locator('[data-testid=status]').innerText();
        if (status !== own.online) problems.push(`${code}: status "${status}"`);

        if (rtl || code === 'en') {
          // Mirrored: the visitor's own bubble on the inline end (left in RTL), the send
          // button at the composer's inline end (left in RTL), the text field written RTL.
          const composer = w.locator('textarea[data-testid=composer]');
          await composer.fill(code === 'en' ? 'Hello' : 'שלום مرحبا');
          await composer.press('Enter');
          await w.locator('[data-testid=message][data-author=visitor][data-state=sent]').waitFor(WAIT);
          const layout = await frame.evaluate(() => {
            const box = (sel) => document.querySelector(sel).getBoundingClientRect();
            const list = box('[data-testid=messages]');
            const text = document.querySelector('[data-testid=message][data-author=visitor] [data-testid=message-text]');
            const bubble = text.getBoundingClientRect();
            const style = getComputedStyle(text);
            const header = getComputedStyle(document.querySelector('.confide-header'));
            return {
              // The stylesheet applies (a bubble, not a full-width line) ...
              styled: bubble.width < list.width * 0.9,
              bubbleLeft: bubble.left - list.left < list.right - bubble.right,
              // ... and mirrors: the bubble's small "tail" corner and the header's wider
              // padding sit at the inline end and start, which only logical properties do.
              tailLeft: style.borderBottomLeftRadius === '4px' && style.borderBottomRightRadius === '16px',
              headerPadLeft: header.paddingLeft === '16px' && header.paddingRight === '12px',
              sendLeft: box('[data-testid=send]').left < box('[data-testid=char-count]').left,
              direction: getComputedStyle(document.querySelector('[data-testid=composer]')).direction,
            };
          });
          const want = {
            styled: true, bubbleLeft: rtl, tailLeft: rtl, headerPadLeft: !rtl, sendLeft: rtl, direction: rtl ? 'rtl' : 'ltr',
          };
          if (JSON.stringify(layout) !== JSON.stringify(want)) {
            problems.push(`${code}: layout ${JSON.stringify(layout)}, expected ${JSON.stringify(want)}`);
          }
        }
      } finally {
        await context.close();
      }
    };

    // Two at a time: the machines that run this have two cores.
    const queue = [...CODES];
    await Promise.all([0, 1].map(async () => {
      while (queue.length) await check(queue.shift());
    }));
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('the site\'s data-lang and the visitor\'s pick in the menu beat the browser, and the pick is kept', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    // A site that fixes French: the demo page with data-lang added.
    await page.route(`${server.url}/`, async (route) => {
      const res = await route.fetch();
      const html = (await res.text()).replace('data-widget="demo"', 'data-widget="demo" data-lang="fr"');
      await route.fulfill({ response: res, body: html });
    });
    await page.goto(`${server.url}/`);
    await page.locator('[data-confide] button').click();
    const w = page.frameLocator('iframe');
    await w.locator('[data-testid=consent]').waitFor(WAIT);
    assert.equal(await w.locator('[data-testid=consent-title]').innerText(), 'Avant de discuter');
    assert.equal(await w.locator('[data-testid=language]').inputValue(), 'fr');
    assert.ok(requests.some((u) => /\/w\/demo\?lang=fr$/.test(u)), 'data-lang is in the iframe address');
    assert.ok(requests.some((u) => /\/widget\/i18n\/fr\.json\?v=\d+$/.test(u)), 'the French file is fetched');
    assert.ok(!requests.some((u) => /\/widget\/i18n\/(de|en)\.json/.test(u)), 'and no other');

    // The visitor picks Hebrew: gate, texts and direction follow at once.
    await w.locator('[data-testid=language]').selectOption('he');
    await w.locator('html[lang=he][dir=rtl]').waitFor(WAIT);
    assert.equal(await w.locator('[data-testid=consent-title]').innerText(), 'לפני שנתחיל');
    assert.equal(await w.locator('[data-testid=consent-start]').innerText(), 'התחלת צ\'אט');
    // Consent given in Hebrew is consent to the Hebrew text.
    await w.locator('[data-testid=consent-checkbox]').check();
    await w.locator('[data-testid=consent-start]').click();
    await w.locator('main[data-connection]:not([data-connection=consent])').waitFor(WAIT);
    const stored = await (await (await page.locator('iframe').elementHandle()).contentFrame())
      .evaluate(() => [localStorage.getItem('confide.lang'), JSON.parse(localStorage.getItem('confide.consent.demo')).language]);
    assert.deepEqual(stored, ['he', 'he']);

    // The next visit of the same browser opens in Hebrew, whatever the site says.
    const again = await context.newPage();
    await again.route(`${server.url}/`, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, body: (await res.text()).replace('data-widget="demo"', 'data-widget="demo" data-lang="fr"') });
    });
    await again.goto(`${server.url}/`);
    await again.locator('[data-confide] button').click();
    await again.frameLocator('iframe').locator('html[lang=he][dir=rtl]').waitFor(WAIT);
  } finally {
    await browser.close();
    await server.stop();
  }
});
