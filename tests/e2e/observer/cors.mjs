// CORS in a real browser: headless chromium loads one small page from 127.0.0.1:PAGE_PORT
// under three names (chromium's host resolver maps app.test and evil.test to 127.0.0.1):
//   http://app.test:PAGE_PORT   in the gateway's allowed_origins and the verifier's --allow-origin
//   http://127.0.0.1:PAGE_PORT  a loopback page (allowed without a list; another port, another origin)
//   http://evil.test:PAGE_PORT  listed nowhere
// From each, the page's own script fetch()es a JSON chat through the gateway (a preflight first:
// Content-Type application/json and Authorization), reads the answer and the exposed
// Veritee-Receipt, streams a chat, and posts the receipt to the verifier; then it chats through
// the official OpenAI SDK (npm "openai", its ES modules served from node_modules by the page's
// own server) with the SDK's default headers (x-stainless-*, which the gateway grants and the
// verifier does not).  The listed and the loopback page must get everything; the other page
// nothing (fetch rejects, the model never runs).
// Usage: node cors.mjs VERIFIER_URL GATEWAY_URL CHROMIUM PAGE_PORT
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [verifier, gateway, exe, port] = process.argv.slice(2);
const problems = [];
const fail = (m) => { problems.push(m); console.log('FAIL: ' + m); };
const openaiDir = fileURLToPath(new URL('./node_modules/openai', import.meta.url)); // npm install beside this file

// The page, and the SDK's ES modules under /openai/ (its one bare import mapped: the browser shims).
const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname.startsWith('/openai/')) {
    const f = path.resolve(openaiDir, '.' + u.pathname.slice('/openai'.length));
    if (!f.startsWith(openaiDir + path.sep) || !f.endsWith('.mjs') || !fs.existsSync(f)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
    res.end(fs.readFileSync(f));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end('<!doctype html><title>a web app</title><script type="importmap">' +
          '{"imports":{"openai/_shims/auto/runtime":"/openai/_shims/auto/runtime.mjs"}}</script>' +
          '<p>a web app in front of the gateway</p>');
});
await new Promise((ok, bad) => { server.once('error', bad); server.listen(Number(port), '127.0.0.1', ok); });

// The echo upstream numbers its answers (chatcmpl-echo-N): asked without a browser, before and
// after, it tells whether a refused page's chat reached the model.
async function echoCount() {
  const r = await fetch(gateway + '/v1/chat/completions', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'count' }] }) });
  return Number(((await r.json()).id || '').replace(/.*-/, ''));
}

// What the page's script does, in the page: each step's outcome, or the error fetch threw.
async function appFlow(page, gw, vf) {
  return page.evaluate(async ([gw, vf]) => {
    const out = {};
    const step = async (name, fn) => { try { out[name] = await fn(); } catch (e) { out[name] = { error: String(e) }; } };
    await step('chat', async () => {
      const r = await fetch(gw + '/v1/chat/completions', { method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer sk-from-the-page' },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello from the web app' }] }) });
      const body = await r.json();
      return { status: r.status, content: body.choices?.[0]?.message?.content, receipt: r.headers.get('Veritee-Receipt'),
               date: r.headers.get('Date') };
    });
    await step('stream', async () => {
      const r = await fetch(gw + '/v1/chat/completions', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'echo', stream: true, messages: [{ role: 'user', content: 'one two three' }] }) });
      const reader = r.body.getReader();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return { status: r.status, type: r.headers.get('Content-Type'), text };
    });
    await step('error', async () => { // the gateway's own error, readable too
      const r = await fetch(gw + '/v1/models/.hidden');
      return { status: r.status, code: (await r.json()).error?.code };
    });
    await step('plain', async () => { // a "simple" text/plain POST: no preflight, the Origin rule alone
      const r = await fetch(gw + '/v1/chat/completions', { method: 'POST', headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'plain' }] }) });
      return { status: r.status };
    });
    await step('sdk', async () => { // the SDK's telemetry header: granted by the gateway ...
      const r = await fetch(gw + '/v1/models', { headers: { 'X-Stainless-OS': 'Linux' } });
      return { status: r.status };
    });
    await step('sdk_verifier', async () => { // ... not by the verifier, which keeps its fixed list
      const r = await fetch(vf + '/healthz', { headers: { 'X-Stainless-OS': 'Linux' } });
      return { status: r.status };
    });
    await step('openai', async () => { // the official SDK, its default headers
      const { default: OpenAI } = await import('/openai/index.mjs');
      const client = new OpenAI({ baseURL: gw + '/v1', apiKey: 'sk-from-the-page', dangerouslyAllowBrowser: true,
                                  maxRetries: 0 });
      const c = await client.chat.completions.create({ model: 'echo',
        messages: [{ role: 'user', content: 'hello from the openai sdk' }] });
      return { content: c.choices?.[0]?.message?.content };
    });
    if (out.chat?.receipt) {
      await step('verify', async () => {
        const r = await fetch(vf + '/v1/receipts', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ token: out.chat.receipt }) });
        return { status: r.status, id: r.headers.get('X-Request-Id'), csp: r.headers.get('Content-Security-Policy') };
      });
    }
    return out;
  }, [gw, vf]);
}

let browser;
try {
  browser = await chromium.launch({ executablePath: exe, headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
           '--host-resolver-rules=MAP app.test 127.0.0.1, MAP evil.test 127.0.0.1',
           '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable'] });
} catch (e) {
  console.log('skipped: chromium does not start: ' + e.message.split('\n')[0]);
  server.close();
  process.exit(3);
}
try {
  for (const origin of [`http://app.test:${port}`, `http://127.0.0.1:${port}`]) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(origin + '/');
    const o = await appFlow(page, gateway, verifier);
    const c = o.chat || {};
    if (c.status !== 200 || !String(c.content).includes('hello from the web app'))
      fail(`${origin}: the JSON chat was not read: ${JSON.stringify(c)}`);
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(c.receipt || ''))
      fail(`${origin}: the page cannot read Veritee-Receipt: ${JSON.stringify(c.receipt)}`);
    if (c.date !== null) fail(`${origin}: a header not exposed (Date) was readable`);
    const s = o.stream || {};
    if (s.status !== 200 || s.type !== 'text/event-stream' || !String(s.text).includes('data: [DONE]') ||
        !String(s.text).includes(' three'))
      fail(`${origin}: the streamed chat was not read: ${JSON.stringify(s).slice(0, 300)}`);
    if (o.error?.status !== 400 || o.error?.code !== 'invalid_model_id')
      fail(`${origin}: the gateway's error was not readable: ${JSON.stringify(o.error)}`);
    if (o.plain?.status !== 200) fail(`${origin}: a text/plain POST: ${JSON.stringify(o.plain)}`);
    if (o.sdk?.status !== 200) fail(`${origin}: X-Stainless-OS was not granted by the gateway: ${JSON.stringify(o.sdk)}`);
    if (!o.sdk_verifier?.error)
      fail(`${origin}: the verifier granted X-Stainless-OS: ${JSON.stringify(o.sdk_verifier)}`);
    if (!String(o.openai?.content).includes('hello from the openai sdk'))
      fail(`${origin}: the OpenAI SDK's chat: ${JSON.stringify(o.openai).slice(0, 300)}`);
    const v = o.verify || {};
    if (v.status !== 200 && v.status !== 201) fail(`${origin}: the verifier did not take the receipt: ${JSON.stringify(v)}`);
    if (!/^[0-9a-f]{16}$/.test(v.id || '')) fail(`${origin}: the page cannot read X-Request-Id: ${JSON.stringify(v)}`);
    if (v.csp !== null && v.csp !== undefined) fail(`${origin}: a header not exposed (CSP) was readable`);
    await page.context().close();
  }
  // A page of a site in no list: every request fails in the browser, none reaches the model.
  const before = await echoCount();
  const page = await (await browser.newContext()).newPage();
  await page.goto(`http://evil.test:${port}/`);
  const o = await appFlow(page, gateway, verifier);
  for (const k of ['chat', 'stream', 'error', 'plain', 'sdk', 'openai'])
    if (!o[k]?.error) fail(`http://evil.test:${port}: ${k} was not refused: ${JSON.stringify(o[k]).slice(0, 300)}`);
  const vr = await page.evaluate(async (vf) => {
    try { const r = await fetch(vf + '/v1/passports'); return { status: r.status }; } catch (e) { return { error: String(e) }; }
  }, verifier);
  if (!vr.error) fail(`http://evil.test:${port}: the verifier answered the page: ${JSON.stringify(vr)}`);
  const after = await echoCount();
  if (!(before > 0) || after !== before + 1) fail(`the model ran for the refused page (echo ${before} then ${after})`);
} finally {
  await browser.close();
  server.close();
}
if (problems.length === 0)
  console.log('ok: the listed and the loopback page chatted through the gateway and read its receipt; the other page got nothing');
process.exit(problems.length === 0 ? 0 : 1);
