// Drives the sealed-session demo (examples/demo.rs) in a real Chromium.
//
// It builds and starts nothing: start the demo first (tests/browser/run.sh
// does it all), then
//
//   DEMO_URL=http://localhost:3000 node tests/browser/demo.mjs
//
// The same flow runs on DEMO_URL and on the other loopback name for the same
// port (localhost <-> 127.0.0.1), each in a browser with a fresh profile.
// Screenshots go to tests/browser/screenshots/. The last line printed is
// `N passed, M failed`; the exit code is non-zero on any failure.
//
// Environment: DEMO_URL (default http://localhost:3000), CHROMIUM (default
// /usr/bin/chromium), TEST_TIMEOUT_SECS (whole run, default 180).

import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, 'screenshots');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const demoUrl = new URL(process.env.DEMO_URL || 'http://localhost:3000');
const totalTimeout = 1000 * Number(process.env.TEST_TIMEOUT_SECS || 180);

const COOKIE = '__Host-session';
const NAME = '<b>ada&co</b>';
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/;
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let passed = 0;
let failed = 0;

function check(name, ok, detail = '') {
  if (ok) {
    passed += 1;
    console.log(`ok   ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
  return ok;
}

function equal(name, actual, expected) {
  return check(name, actual === expected, `got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
}

/** Runs one step; an exception counts as one failure and the flow goes on. */
async function step(name, body) {
  try {
    await body();
  } catch (err) {
    check(name, false, `threw ${err && err.stack ? err.stack.split('\n').slice(0, 3).join(' | ') : err}`);
  }
}

/** Parses the demo's `YYYY-MM-DD hh:mm:ss UTC` into Unix seconds. */
function unix(text) {
  const m = TIME.exec(text);
  if (!m) return NaN;
  return Date.parse(text.replace(' UTC', 'Z').replace(' ', 'T')) / 1000;
}

/** The other loopback name for the same port. */
function otherOrigin(url) {
  const u = new URL(url);
  u.hostname = u.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  return u.origin;
}

/** A well-formed CSRF token (43 base64url characters) of no session. */
function foreignToken() {
  return randomBytes(32).toString('base64url');
}

/** The session cookies the browser holds for `origin`. */
async function sessionCookies(context, origin) {
  return (await context.cookies(origin)).filter((c) => c.name.startsWith(COOKIE));
}

async function sessionTable(page) {
  return page.$$eval('#meta tr', (rows) =>
    rows.map((r) => [r.querySelector('th')?.textContent ?? '', r.querySelector('td')?.textContent ?? '']),
  );
}

/** Clicks `selector` and waits for the page it leads to (after redirects). */
async function clickAndWait(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
  return response;
}

async function shot(page, label, name) {
  await page.screenshot({ path: join(shots, `${label}-${name}.png`), fullPage: true });
}

async function flow(origin) {
  const label = new URL(origin).hostname.replace(/\./g, '_');
  const t = (name) => `[${new URL(origin).host}] ${name}`;
  const profile = mkdtempSync(join(tmpdir(), 'sealed-session-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: LAUNCH_ARGS,
      viewport: { width: 900, height: 900 },
      timeout: 60_000,
    });
    context.setDefaultTimeout(15_000);
    const page = context.pages()[0] ?? (await context.newPage());

    // Anything a user would notice while using the demo as intended.
    const problems = [];
    let expectErrors = false;
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // The demo serves no icon: the browser's request for one is no problem.
      const where = msg.location()?.url ?? '';
      if (msg.type() === 'error' && !expectErrors && !where.endsWith('/favicon.ico')) {
        problems.push(`console error: ${msg.text()} (${where})`);
      }
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !expectErrors) problems.push(`${r.status()} for ${r.request().method()} ${r.url()}`);
    });

    let loggedInCookie;

    await step(t('first visit'), async () => {
      const response = await page.goto(`${origin}/`);
      equal(t('first visit: status 200'), response.status(), 200);
      check(t('first visit: login form shown'), await page.isVisible('#name'));
      check(t('first visit: says not logged in'), (await page.textContent('#status')).includes('not logged in'));
      const token = await page.getAttribute('form[action="/login"] input[name=csrf]', 'value');
      check(t('first visit: login form carries a CSRF token'), /^[A-Za-z0-9_-]{43}$/.test(token ?? ''), token);
      const table = await sessionTable(page);
      check(t('first visit: session table says new session'), table.length === 1 && table[0][1].includes('new session'),
        JSON.stringify(table));
      const cookies = await sessionCookies(context, origin);
      if (equal(t('first visit: one session cookie set'), cookies.length, 1)) {
        const [c] = cookies;
        equal(t('cookie name'), c.name, COOKIE);
        equal(t('cookie secure'), c.secure, true);
        equal(t('cookie httpOnly'), c.httpOnly, true);
        equal(t('cookie sameSite'), c.sameSite, 'Lax');
        equal(t('cookie path'), c.path, '/');
        equal(t('cookie host-only (no Domain)'), c.domain, new URL(origin).hostname);
        check(t('cookie value under 4096 bytes'), c.name.length + c.value.length < 4096, `${c.value.length}`);
        const visible = await page.evaluate(() => document.cookie);
        check(t('cookie hidden from scripts'), !visible.includes(COOKIE), visible);
      }
      await shot(page, label, '01-first-visit');
    });

    await step(t('login'), async () => {
      await page.fill('#name', NAME);
      const response = await clickAndWait(page, '#login');
      equal(t('login: lands on / with 200'), `${new URL(response.url()).pathname} ${response.status()}`, '/ 200');
      equal(t('login: name shown as typed'), await page.textContent('#user'), NAME);
      check(t('login: name escaped (no markup injected)'),
        (await page.$$('#user b, #flash b')).length === 0 && (await page.innerHTML('#user')).includes('&lt;b&gt;'),
        await page.innerHTML('#user'));
      const flash = await page.$('#flash');
      check(t('login: flash shown'), flash !== null && (await flash.textContent()).includes(`Welcome, ${NAME}!`),
        flash ? await flash.textContent() : 'no #flash');
      const table = Object.fromEntries(await sessionTable(page));
      equal(t('login: session table shows key id'), table['key id'], '1');
      loggedInCookie = (await sessionCookies(context, origin))[0]?.value;
      await shot(page, label, '02-logged-in');
    });

    await step(t('flash once'), async () => {
      const response = await page.reload();
      equal(t('reload: status 200'), response.status(), 200);
      check(t('reload: flash gone'), (await page.$('#flash')) === null);
      equal(t('reload: still logged in'), await page.textContent('#user'), NAME);
    });

    await step(t('counter'), async () => {
      for (let i = 1; i <= 3; i += 1) {
        await clickAndWait(page, '#increment');
        equal(t(`counter: after click ${i}`), await page.textContent('#count'), String(i));
      }
      const count = await page.locator('#count').boundingBox();
      const button = await page.locator('#increment').boundingBox();
      check(t('counter: +1 button on the counter\'s line'),
        count && button && Math.abs(count.y + count.height / 2 - (button.y + button.height / 2)) < 12
          && button.x > count.x,
        JSON.stringify({ count, button }));
    });

    await step(t('cart'), async () => {
      for (const item of ['apples', 'tea & <cake>']) {
        await page.fill('#item', item);
        await clickAndWait(page, '#add');
        const flash = await page.$('#flash');
        check(t(`cart: flash for ${item}`), flash !== null && (await flash.textContent()) === `Added ${item} to the cart.`,
          flash ? await flash.textContent() : 'no #flash');
      }
      const items = await page.$$eval('#cart li', (li) => li.map((e) => e.textContent));
      equal(t('cart: two items, escaped'), JSON.stringify(items), JSON.stringify(['apples', 'tea & <cake>']));
      equal(t('cart: counter kept'), await page.textContent('#count'), '3');
      await page.reload();
      check(t('cart: flash gone on reload'), (await page.$('#flash')) === null);
    });

    await step(t('session table'), async () => {
      const table = Object.fromEntries(await sessionTable(page));
      equal(t('table: key id'), table['key id'], '1');
      const issued = unix(table['issued at'] ?? '');
      const last = unix(table['last activity'] ?? '');
      const expires = unix(table['expires at'] ?? '');
      const idle = unix(table['idle deadline'] ?? '');
      const now = Date.now() / 1000;
      check(t('table: times are dates'), [issued, last, expires, idle].every(Number.isFinite), JSON.stringify(table));
      check(t('table: issued at is now'), Math.abs(issued - now) < 600, `${table['issued at']}`);
      check(t('table: last activity >= issued at'), last >= issued && Math.abs(last - now) < 600, `${table['last activity']}`);
      equal(t('table: expires 8 h after issue'), expires - issued, 8 * 3600);
      equal(t('table: idle deadline 30 min after last activity'), idle - last, 30 * 60);
      await shot(page, label, '03-session');
    });

    await step(t('back button'), async () => {
      // Pages are sent with no-store: going back shows the session as it is
      // now, with tokens that work.
      await page.goBack();
      equal(t('back: counter as it is now'), await page.textContent('#count'), '3');
      equal(t('back: cart as it is now'), await page.$$eval('#cart li', (li) => li.length), 2);
      await page.goForward();
      equal(t('forward: counter as it is now'), await page.textContent('#count'), '3');
    });

    await step(t('forged CSRF'), async () => {
      expectErrors = true;
      // A form on the page itself, posted by the browser with its cookie and a
      // token of no session.
      const [response] = await Promise.all([
        page.waitForNavigation(),
        page.evaluate((token) => {
          const form = document.createElement('form');
          form.method = 'post';
          form.action = '/count';
          const input = document.createElement('input');
          input.type = 'hidden';
          input.name = 'csrf';
          input.value = token;
          form.append(input);
          document.body.append(form);
          form.submit();
        }, foreignToken()),
      ]);
      equal(t('forged form POST: 403'), response.status(), 403);
      check(t('forged form POST: says CSRF check failed'), (await page.textContent('body')).includes('CSRF check failed'));
      await shot(page, label, '04-forbidden');
      // The same through the context's request API, which sends the browser's
      // cookies.
      for (const [what, token] of [['wrong token', foreignToken()], ['malformed token', 'x'], ['no token', null]]) {
        const form = token === null ? { item: 'pears' } : { csrf: token, item: 'pears' };
        const r = await context.request.post(`${origin}/cart`, { form, maxRedirects: 0 });
        check(t(`request POST with ${what}: rejected`), token === null ? r.status() >= 400 && r.status() < 500 : r.status() === 403,
          `${r.status()}`);
      }
      expectErrors = false;
      await page.goto(`${origin}/`);
      equal(t('forged POSTs changed nothing: counter'), await page.textContent('#count'), '3');
      equal(t('forged POSTs changed nothing: cart'), await page.$$eval('#cart li', (li) => li.length), 2);
    });

    await step(t('cross-site POST'), async () => {
      // A page on the other loopback name is another site: a form there that
      // posts to this origin, even with a good token, reaches the server
      // without the SameSite=Lax cookie.
      const token = await page.getAttribute('form[action="/count"] input[name=csrf]', 'value');
      const other = await context.newPage();
      try {
        await other.goto(`${otherOrigin(origin)}/`);
        const [response] = await Promise.all([
          other.waitForNavigation(),
          other.evaluate(([action, csrf]) => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = action;
            const input = document.createElement('input');
            input.type = 'hidden';
            input.name = 'csrf';
            input.value = csrf;
            form.append(input);
            document.body.append(form);
            form.submit();
          }, [`${origin}/count`, token]),
        ]);
        equal(t('cross-site form POST: 403'), response.status(), 403);
      } finally {
        await other.close();
      }
      await page.reload();
      equal(t('cross-site POST changed nothing'), await page.textContent('#count'), '3');
      equal(t('cross-site POST: still logged in'), await page.textContent('#user'), NAME);
    });

    await step(t('empty the cart'), async () => {
      await clickAndWait(page, 'form[action="/cart/clear"] button');
      equal(t('cart emptied'), await page.$$eval('#cart li', (li) => li.length), 0);
      equal(t('empty the cart: counter kept'), await page.textContent('#count'), '3');
    });

    await step(t('tampered cookie'), async () => {
      const [c] = await sessionCookies(context, origin);
      const i = Math.floor(c.value.length / 2);
      const swapped = c.value[i] === 'A' ? 'B' : 'A';
      const tampered = c.value.slice(0, i) + swapped + c.value.slice(i + 1);
      // Same name, host, path and attributes: the browser replaces its cookie.
      await context.addCookies([{ ...c, value: tampered }]);
      const jar = await sessionCookies(context, origin);
      check(t('tampered cookie in place'), jar.length === 1 && jar[0].value === tampered && jar[0].path === '/',
        JSON.stringify(jar.map((x) => [x.name, x.path, x.value.length])));
      const response = await page.goto(`${origin}/`);
      equal(t('tampered cookie: status 200'), response.status(), 200);
      check(t('tampered cookie: anonymous page'), (await page.textContent('#status')).includes('not logged in'));
      check(t('tampered cookie: login form shown'), await page.isVisible('#name'));
      const table = await sessionTable(page);
      check(t('tampered cookie: new session'), table.length === 1 && table[0][1].includes('new session'), JSON.stringify(table));
      check(t('tampered cookie: the reason is shown'), table[0]?.[1].includes('refused: authentication_failed'), JSON.stringify(table));
      check(t('tampered cookie: no error shown'), !/error|forbidden|invalid/i.test(await page.textContent('body')));
      const after = await sessionCookies(context, origin);
      check(t('tampered cookie replaced by a fresh one'), after.length === 1 && after[0].value !== tampered);
      await shot(page, label, '05-tampered');
    });

    await step(t('logout'), async () => {
      // Log in again (the tampered cookie left an anonymous session).
      await page.fill('#name', 'grace');
      await clickAndWait(page, '#login');
      equal(t('second login'), await page.textContent('#user'), 'grace');
      equal(t('second login: fresh counter'), await page.textContent('#count'), '0');
      const before = (await sessionCookies(context, origin))[0]?.value;

      // The GET / that follows the logout redirect: the Cookie header the
      // browser really sent with it.
      let afterLogout = null;
      const onRequest = (request) => {
        if (request.redirectedFrom()?.url() === `${origin}/logout`) afterLogout = request;
      };
      page.on('request', onRequest);
      const logoutResponse = page.waitForResponse((r) => r.url() === `${origin}/logout`);
      await clickAndWait(page, '#logout');
      page.off('request', onRequest);
      const setCookie = (await (await logoutResponse).headersArray())
        .filter((h) => h.name.toLowerCase() === 'set-cookie')
        .map((h) => h.value);
      check(t('logout response removes the cookie'),
        setCookie.some((v) => v.startsWith(`${COOKIE}=`) && /max-age=0|expires=thu, 01 jan 1970/i.test(v)),
        JSON.stringify(setCookie));
      const sent = afterLogout ? (await afterLogout.allHeaders()).cookie ?? '' : null;
      check(t('logout: the redirected request carries no session cookie'), sent !== null && !sent.includes(COOKIE),
        String(sent));
      check(t('logout: login form shown'), await page.isVisible('#name'));
      check(t('logout: says not logged in'), (await page.textContent('#status')).includes('not logged in'));
      const table = await sessionTable(page);
      check(t('logout: new session'), table.length === 1 && table[0][1].includes('new session'), JSON.stringify(table));
      const after = await sessionCookies(context, origin);
      check(t('logout: only a fresh anonymous cookie (for the login form token) remains'),
        after.length === 1 && after[0].value !== before && after[0].value !== loggedInCookie);
      await shot(page, label, '06-logged-out');

      // The login form rendered after logout works as is.
      await page.fill('#name', 'ada');
      await clickAndWait(page, '#login');
      equal(t('login after logout'), await page.textContent('#user'), 'ada');

      // Log out once more with the browser's cookies but without following
      // the redirect: the browser's cookie jar is then empty.
      const token = await page.getAttribute('form[action="/logout"] input[name=csrf]', 'value');
      const r = await context.request.post(`${origin}/logout`, { form: { csrf: token }, maxRedirects: 0 });
      check(t('logout (no redirect followed): redirects'), r.status() >= 300 && r.status() < 400, `${r.status()}`);
      const jar = await sessionCookies(context, origin);
      check(t('logout: cookie gone from the browser'), jar.length === 0,
        JSON.stringify(jar.map((c) => [c.name, c.value.length])));
      await page.goto(`${origin}/`);
      check(t('after logout: anonymous page'), (await page.textContent('#status')).includes('not logged in'));
    });

    check(t('no errors during legitimate use'), problems.length === 0, problems.join('; '));
  } finally {
    if (context) await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const origins = [demoUrl.origin, otherOrigin(demoUrl)];
  console.log(`Chromium at ${executablePath}; demo at ${origins.join(' and ')}`);
  for (const origin of origins) {
    await step(`[${new URL(origin).host}] browser flow`, () => flow(origin));
  }
}

const guard = setTimeout(() => {
  check('whole run within the time limit', false, `${totalTimeout / 1000} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(1);
}, totalTimeout);

try {
  await main();
} catch (err) {
  check('run', false, String(err && err.stack ? err.stack : err));
}
clearTimeout(guard);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
