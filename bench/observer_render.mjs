// First render of the Observer in headless chromium: navigation start to the
// gateways table with its verified badge, and to the receipts table; the floor
// is the same browser loading the verifier's /healthz (one small JSON answer).
// Usage: node observer_render.mjs VERIFIER_URL CHROMIUM LOADS
import { chromium } from 'playwright-core';

const [base, exe, loadsArg] = process.argv.slice(2);
const loads = Number(loadsArg || 10);
const browser = await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
const pct = (a, p) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))];

async function timed(url, selector) {
  const out = [];
  for (let i = 0; i < loads; i++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const t0 = performance.now();
    await page.goto(url);
    if (selector) await page.waitForSelector(selector, { timeout: 20000 });
    out.push(performance.now() - t0);
    await ctx.close();
  }
  return out;
}
const rows = [
  ['floor: GET /healthz in the same browser', await timed(base + '/healthz', null)],
  ['gateways page, passport signature verified', await timed(base + '/', '.badge.ok[data-verified="signature"]')],
  ['receipts page (log tiles read and decoded)', await timed(base + '/#/receipts', 'a[href^="#/receipt/"]')],
];
for (const [what, t] of rows) console.log(`| ${what} | ${pct(t, 0.5).toFixed(1)} | ${pct(t, 0.9).toFixed(1)} |`);
await browser.close();
