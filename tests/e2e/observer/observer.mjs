// Clicks through the Observer in headless chromium: gateways -> passport detail
// -> receipts -> receipt detail, the log page with a pasted receipt, an admin
// action; then the same pages with a lying server (a flipped signature, a
// forged checkpoint root, a receipt under a passport whose signature fails) must
// show a failed badge, never a verified one.
// A lying server may also answer with another passport or receipt than the one asked for,
// send a status beside the token that the token does not say, or a hostile gateway may have
// logged a receipt with odd fields: none of it may show as verified, nor take a page down.
// Usage: node observer.mjs VERIFIER_URL CHROMIUM SHOT_DIR RECEIPT_ID ADMIN_TOKEN OTHER_RECEIPT_ID
import { chromium } from 'playwright-core';

const [base, exe, shots, rid, adminToken, rid2] = process.argv.slice(2);
const problems = [];
const fail = (m) => { problems.push(m); console.log('FAIL: ' + m); };

async function openPage(browser, tamper) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  // HTTP errors the page expects (a wrong admin token, a receipt not in the log) are
  // shown by the page itself; any other console error (a CSP violation, a script
  // error) is a failure.
  page.on('console', (m) => {
    if (m.type() === 'error' && !tamper && !m.text().startsWith('Failed to load resource')) fail('console error: ' + m.text());
  });
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  if (tamper) await tamper(page);
  return page;
}

async function badge(page, what, want) {
  const sel = want ? `.badge.ok[data-verified="${what}"]` : '.badge.fail';
  try {
    await page.waitForSelector(sel, { timeout: 30000 });
  } catch (e) {
    fail(`${page.url()}: no ${want ? 'verified' : 'failed'} badge for ${what}`);
    return;
  }
  if (!want && await page.$(`.badge.ok[data-verified="${what}"]`)) fail(`${page.url()}: ${what} shown verified despite tampering`);
}

let browser;
try {
  browser = await chromium.launch({ executablePath: exe, headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
} catch (e) {
  // A machine whose chromium cannot start at all (no display libraries, no /dev/shm) skips;
  // everything after a successful start is a test.
  console.log('skipped: chromium does not start: ' + e.message.split('\n')[0]);
  process.exit(3);
}
try {
  const page = await openPage(browser);
  // Gateways
  await page.goto(base + '/');
  await page.waitForSelector('a[href^="#/passport/"]', { timeout: 30000 });
  await badge(page, 'signature', true);
  await page.screenshot({ path: shots + '/observer-gateways.png', fullPage: true });
  // Passport detail
  await page.click('a[href^="#/passport/"]');
  await page.waitForSelector('text=Measurements against the environment', { timeout: 30000 });
  await badge(page, 'passport signature', true);
  for (const t of ['affirming', 'tdx', 'Evidence chain to the vendor root']) {
    if (!(await page.textContent('main')).includes(t)) fail('passport page lacks ' + t);
  }
  await page.screenshot({ path: shots + '/observer-passport.png', fullPage: true });
  // Receipts -> receipt detail
  await page.click('nav a[href="#/receipts"]');
  await page.waitForSelector(`a[href="#/receipt/${rid}"]`, { timeout: 30000 });
  const listText = await page.textContent('main');
  if (listText.includes('jane.doe')) fail('receipts page shows prompt content');
  await page.screenshot({ path: shots + '/observer-receipts.png', fullPage: true });
  await page.click(`a[href="#/receipt/${rid}"]`);
  await badge(page, 'receipt signature', true);
  await badge(page, 'log inclusion', true);
  await page.screenshot({ path: shots + '/observer-receipt.png', fullPage: true });
  // The log page: checkpoint signature, inclusion of a pasted receipt
  const token = (await (await fetch(`${base}/v1/receipts/${rid}`)).json()).token;
  await page.click('nav a[href="#/log"]');
  await badge(page, 'checkpoint signature', true);
  await page.fill('#paste', token);
  await page.click('#check-inclusion');
  await badge(page, 'inclusion', true);
  await page.screenshot({ path: shots + '/observer-log.png', fullPage: true });
  await page.fill('#paste', token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA'));
  await page.click('#check-inclusion');
  await page.waitForSelector('#inclusion .error', { timeout: 30000 }).catch(() => fail('an altered receipt was not refused'));
  // Admin: a wrong token is refused, the right one creates an environment
  await page.click('nav a[href="#/admin"]');
  await page.fill('#admin-token', 'wrong-token');
  await page.fill('#env-id', 'from-browser');
  await page.fill('#env-json', '{"description": "made in the Observer", "allow_simulated": true}');
  await page.click('text=Save environment');
  await page.waitForSelector('#admin-out .error', { timeout: 30000 }).catch(() => fail('a wrong admin token was not refused'));
  await page.fill('#admin-token', adminToken);
  await page.click('text=Save environment');
  await page.waitForSelector('#admin-out .ok', { timeout: 30000 }).catch(() => fail('the admin action failed'));
  const env = await fetch(`${base}/v1/environments/from-browser`);
  if (env.status !== 200) fail('the environment made in the browser is not there');

  // A lying server: the passport's signature altered in transit
  const lie1 = await openPage(browser, (p) => p.route('**/v1/passports**', async (route) => {
    const r = await route.fetch();
    const body = await r.text();
    await route.fulfill({ response: r, body: body.replace(/("token": ?"[^".]+\.[^".]+\.)(.)/g, (m, a, c) => a + (c === 'A' ? 'B' : 'A')) });
  }));
  await lie1.goto(base + '/');
  await badge(lie1, 'signature', false);
  // A receipt's signature is only as good as the key that checked it: the cnf key
  // of a passport whose own signature fails proves nothing.
  const lie3 = await openPage(browser, (p) => p.route('**/v1/passports/**', async (route) => {
    const r = await route.fetch();
    const body = await r.text();
    await route.fulfill({ response: r, body: body.replace(/("token": ?"[^".]+\.[^".]+\.)(.)/g, (m, a, c) => a + (c === 'A' ? 'B' : 'A')) });
  }));
  await lie3.goto(base + '/#/receipt/' + rid);
  const shown = await lie3.waitForSelector('.badge:not(.pending):has-text("receipt signature")', { timeout: 30000 })
    .catch(() => null);
  if (!shown || !(await shown.getAttribute('class')).includes('fail'))
    fail('receipt signature shown verified under a passport whose signature does not verify');
  // A lying server: a simulated passport's envelope says hardware attested (the signed token
  // says not): the page shows what was signed, beside the green badge.
  const lie4 = await openPage(browser, (p) => p.route('**/v1/passports**', async (route) => {
    const r = await route.fetch();
    await route.fulfill({ response: r, body: (await r.text()).replace(/"hardware_attested": ?false/g, '"hardware_attested":true') });
  }));
  await lie4.goto(base + '/');
  await badge(lie4, 'signature', true);
  if (!(await lie4.textContent('main')).includes('no (simulated)')) fail('gateways: a forged hardware_attested shown');
  await lie4.click('a[href^="#/passport/"]');
  await badge(lie4, 'passport signature', true);
  if (!(await lie4.textContent('main')).includes('no (simulated)')) fail('passport: a forged hardware_attested shown');
  // A lying server: a checkpoint whose root hash was replaced
  const lie2 = await openPage(browser, (p) => p.route('**/v1/log/checkpoint', async (route) => {
    const r = await route.fetch();
    const lines = (await r.text()).split('\n');
    lines[2] = Buffer.alloc(32, 7).toString('base64');
    await route.fulfill({ response: r, body: lines.join('\n') });
  }));
  await lie2.goto(base + '/#/log');
  await badge(lie2, 'checkpoint signature', false);
  await lie2.goto(base + '/#/receipt/' + rid);
  await badge(lie2, 'log inclusion', false);

  // A lying server: the status beside each passport says contraindicated, the signed token says
  // affirming: the page shows what was signed.
  const lie5 = await openPage(browser, (p) => p.route('**/v1/passports**', async (route) => {
    const r = await route.fetch();
    await route.fulfill({ response: r, body: (await r.text()).replace(/"status": ?"affirming"/g, '"status":"contraindicated"') });
  }));
  await lie5.goto(base + '/');
  await badge(lie5, 'signature', true);
  if ((await lie5.textContent('main')).includes('contraindicated')) fail('gateways: the server\'s status shown, not the signed one');
  await lie5.click('a[href^="#/passport/"]');
  await badge(lie5, 'passport signature', true);
  if ((await lie5.textContent('dl')).includes('contraindicated')) fail('passport: the server\'s status shown, not the signed one');
  // A lying server: asked for one receipt, it answers with another (validly signed, logged) one.
  const lie6 = await openPage(browser, (p) => p.route(`**/v1/receipts/${rid}`, async (route) => {
    const r = await route.fetch({ url: `${base}/v1/receipts/${rid2}` });
    await route.fulfill({ response: r });
  }));
  await lie6.goto(base + '/#/receipt/' + rid);
  await badge(lie6, 'receipt signature', false);
  // ... asked for a passport it never issued, it answers with one it did.
  const fake = 'pass-' + 'f'.repeat(32);
  const lie7 = await openPage(browser, (p) => p.route(`**/v1/passports/${fake}**`, async (route) => {
    const pid = (await (await fetch(`${base}/v1/passports?limit=1`)).json()).passports[0].id;
    const r = await route.fetch({ url: `${base}/v1/passports/${pid}?attestation=1` });
    await route.fulfill({ response: r });
  }));
  await lie7.goto(base + '/#/passport/' + fake);
  await badge(lie7, 'passport signature', false);
  // A hostile gateway's receipt in the log (its fields are the gateway's to choose): an auditor
  // that is null, findings that are not an object, a time no Date holds.  The list still shows
  // every other receipt.
  const odd = (payload) => ['{"alg":"ES256","typ":"veritee-receipt+jwt"}', JSON.stringify(payload)]
    .map((x) => Buffer.from(x).toString('base64url')).join('.') + '.AAAA';
  const hostile = [odd({ receipt: 'rcpt-odd1', auditors: [null], completed_ms: 1e300 }),
    odd({ receipt: 'rcpt-odd2', auditors: [{ name: 'pii', findings: null }], coverage: { audited: 'all' } }),
    odd({ receipt: 'rcpt-odd3', auditors: 7, coverage: null, completed_ms: 'soon' })];
  const lie8 = await openPage(browser, (p) => p.route('**/v1/log/tile/entries/**', async (route) => {
    const r = await route.fetch();
    const parts = [await r.body()];
    for (const t of hostile) {
      const b = Buffer.from(t);
      parts.push(Buffer.from([b.length >> 8, b.length & 255]), b);
    }
    await route.fulfill({ response: r, body: Buffer.concat(parts) });
  }));
  await lie8.goto(base + '/#/receipts');
  await lie8.waitForSelector(`a[href="#/receipt/${rid}"]`, { timeout: 30000 })
    .catch(() => fail('receipts: a hostile logged receipt took the list down'));

  // A signing key revoked while the page is open: its passports stop showing verified at the
  // next refresh, without a reload (last: the key is gone for good).
  const pass = (await (await fetch(`${base}/v1/passports?limit=1`)).json()).passports[0];
  const kid = JSON.parse(Buffer.from(pass.token.split('.')[0], 'base64url').toString()).kid;
  const watch = await openPage(browser);
  await watch.goto(base + '/#/passport/' + pass.id);
  await badge(watch, 'passport signature', true);
  const rv = await fetch(`${base}/v1/admin/keys/${encodeURIComponent(kid)}/revoke`,
    { method: 'POST', headers: { Authorization: 'Bearer ' + adminToken } });
  if (rv.status !== 200) fail('revoke: HTTP ' + rv.status);
  await watch.waitForSelector('.badge.fail', { timeout: 15000 })
    .catch(() => fail('a passport under a revoked key still shown verified after the page refreshed'));
} finally {
  await browser.close();
}
if (problems.length === 0) console.log('ok: every page rendered, verified what it showed, and refused what was forged');
process.exit(problems.length === 0 ? 0 : 1);
