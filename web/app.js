// The Observer: a read-only view of this verifier's passports, environments,
// receipts and transparency log, built only from its public API.  Every value
// from the server reaches the page through textContent (never as markup), and
// the admin token lives in this page's memory only.
import * as v from './verify.js';

const POLL_MS = 5000;
const RECEIPTS_SHOWN = 100;
const state = { logKey: null, adminToken: '' };
const main = () => document.getElementById('main');

// ---- small DOM helpers ----
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, val] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = val;
    else if (k === 'on') for (const [ev, fn] of Object.entries(val)) e.addEventListener(ev, fn);
    else e.setAttribute(k, val);
  }
  for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}
// Replaces root's children, skipping absent (null) parts.
const put = (root, ...kids) => root.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined));
const link = (href, text) => h('a', { href }, text);
const short = (s, n = 16) => (s && s.length > n ? s.slice(0, n) + '\u2026' : s || '');
// A time, or '' for one no Date can hold (a receipt's fields are the gateway's to choose).
function when(t) {
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace('.000Z', 'Z');
}
function status(s) { return h('span', { class: 'status ' + String(s).replace(/[^a-z]/gi, '') }, s); }
function badge(r, what) {
  if (!r) return h('span', { class: 'badge pending' }, 'checking\u2026');
  return r.ok ? h('span', { class: 'badge ok', 'data-verified': what }, '\u2713 ' + what + ' verified in your browser')
    : h('span', { class: 'badge fail', title: r.why }, '\u2717 ' + what + ' not verified: ' + r.why);
}
function table(head, rows) {
  return h('table', {}, h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}
function dl(pairs) {
  return h('dl', {}, pairs.filter((p) => p).map(([k, val]) => [h('dt', {}, k), h('dd', {}, val)]));
}
function error(msg) { return h('p', { class: 'error', role: 'alert' }, msg); }

async function api(path, opts) {
  const r = await fetch(path, Object.assign({ cache: 'no-store' }, opts));
  const type = r.headers.get('content-type') || '';
  const body = type.startsWith('application/json') ? await r.json() : await r.arrayBuffer();
  if (!r.ok) throw new Error((body && body.error && body.error.message) || 'HTTP ' + r.status);
  return body;
}
const text = async (path) => new TextDecoder().decode(await api(path));

// Fetched for every view and refresh: a key revoked meanwhile must stop verifying what it signed.
const jwks = () => api('/.well-known/jwks.json');
const nowS = () => Math.floor(Date.now() / 1000);

// ---- passports and gateways ----

// One row per gateway: the newest passport of each enclave key (the passport's cnf).
async function gateways(passports) {
  const seen = new Map();
  for (const p of passports) {
    let tp = p.id;
    try { tp = await v.jwkThumbprint(v.decodeJws(p.token).payload.cnf.jwk); } catch (e) { /* no cnf: own row */ }
    if (!seen.has(tp)) seen.set(tp, p);
  }
  return [...seen.entries()];
}

// What the passport's signature covers: its claims are shown from the token, never from the
// fields the server sends beside it (the status included: the signed ear_status).
function signed(p) {
  try { return v.decodeJws(p.token).payload; } catch (e) { return {}; }
}
const primary = (m) => (m && m.name ? m.name + ':' + m.value : '');

function measurementCells(s) {
  const sub = s.submods || {}, mine = (s.veritee || {}).submods || {};
  return ['model', 'auditors', 'runtime', 'config'].map((c) =>
    sub[c] ? h('span', { title: ((mine[c] || {}).measured || []).join(' ') }, status(sub[c].ear_status)) : '\u2014');
}

async function viewGateways(root) {
  const [list, keys] = await Promise.all([api('/v1/passports?limit=200'), jwks()]);
  const rows = await gateways(list.passports);
  put(root, h('h2', {}, 'Gateways and their current passports'),
    rows.length === 0 ? h('p', {}, 'No passports issued yet.') : null);
  if (rows.length === 0) return;
  const checks = await Promise.all(rows.map(([, p]) => v.verifyPassport(p.token, keys, nowS())));
  root.append(table(['gateway key', 'passport', 'environment', 'platform', 'hardware', 'TCB', 'status',
    'model', 'auditors', 'runtime', 'config', 'expires', 'signature'],
  rows.map(([tp, p], i) => {
    const s = signed(p), x = s.veritee || {};
    return [h('code', {}, short(tp, 12)), link('#/passport/' + s.jti, short(String(s.jti), 18)),
      link('#/environments/' + x.environment, x.environment), x.tee_type,
      x.hardware_attested === true ? 'yes' : 'no (simulated)', x.tcb_status || 'unknown', status(s.ear_status || 'none'),
      ...measurementCells(s), s.exp ? when(s.exp) : '', badge(checks[i], 'signature')];
  })));
}

async function viewPassport(root, id) {
  const p = await api('/v1/passports/' + encodeURIComponent(id) + '?attestation=1');
  const keys = await jwks();
  const j = v.decodeJws(p.token);
  const vt = j.payload.veritee || {};
  const pc = vt.platform_claims;
  const env = await api('/v1/environments/' + encodeURIComponent(vt.environment)).catch(() => null);
  // The token verified must be the passport asked for, not another one the server answered with.
  const check = j.payload.jti !== id ? { ok: false, why: 'the verifier answered with passport ' + j.payload.jti }
    : await v.verifyPassport(p.token, keys, nowS());
  const ref = (env && env.components) || {};
  put(root, h('h2', {}, 'Passport ', h('code', {}, id)), badge(check, 'passport signature'),
    dl([['status', status(j.payload.ear_status || 'none')], ['environment', link('#/environments/' + vt.environment, vt.environment)],
      ['platform', vt.tee_type], ['hardware attested', vt.hardware_attested === true ? 'yes' : 'no (simulated)'],
      ['TCB status', vt.tcb_status || 'unknown'], ['issued', when(j.payload.iat)], ['expires', when(j.payload.exp)],
      ['primary measurement', h('code', {}, primary(vt.measurement))], ['issuer', j.payload.iss],
      ['signing key', h('code', {}, j.header.kid)]]),
    h('h3', {}, 'Measurements against the environment\'s reference values'),
    table(['component', 'status', 'measured', 'reference values', 'reason'],
      ['tee', 'model', 'auditors', 'runtime', 'config'].map((c) => {
        const sub = (j.payload.submods || {})[c] || {};
        const mine = (vt.submods || {})[c] || {};
        let measured = mine.measured || [], refs = ref[c] || [];
        if (c === 'tee') { // the TEE's registers: the quote's values beside the environment's pins
          const pins = Object.entries((env && env.registers) || {});
          measured = pins.map(([r]) => r + ': ' + ((pc || {})[r] || 'absent'));
          refs = pins.map(([r, val]) => r + ': ' + val);
        }
        return [c, status(sub.ear_status || 'none'),
          h('div', {}, measured.map((d) => h('code', { class: 'digest' }, d))),
          h('div', {}, refs.map((d) => h('code', { class: 'digest' }, d))), mine.reason || ''];
      })),
    h('h3', {}, 'Evidence chain to the vendor root'), chain(pc),
    h('h3', {}, 'Platform claims'), claims(pc),
    h('h3', {}, 'EAR claims (the signed token)'), h('pre', {}, JSON.stringify(j.payload, null, 2)));
}

function chain(pc) {
  const signers = (pc && pc.signers) || [];
  if (signers.length === 0) return h('p', {}, 'No signer chain recorded for this platform.');
  return h('ol', { class: 'chain' }, signers.map((s) => h('li', {}, h('b', {}, s.role), ' ', s.identity)),
    h('li', {}, h('b', {}, 'root'), ' ', pc.root || 'the vendor root pinned by the verifier'));
}

function claims(pc) {
  if (!pc) return h('p', {}, 'None.');
  const rows = Object.entries(pc).filter(([, val]) => typeof val !== 'object');
  return table(['claim', 'value'], rows.map(([k, val]) => [k, h('code', { class: 'digest' }, String(val))]));
}

// ---- environments ----
async function viewEnvironments(root, id) {
  if (id) {
    const env = await api('/v1/environments/' + encodeURIComponent(id));
    put(root, h('h2', {}, 'Environment ', h('code', {}, env.id)),
      h('p', {}, env.description || ''), h('pre', {}, JSON.stringify(env, null, 2)));
    return;
  }
  const list = await api('/v1/environments');
  const envs = list.environments || [];
  put(root, h('h2', {}, 'Environments'), envs.length === 0 ? h('p', {}, 'None yet.') :
    table(['id', 'description', 'platforms', 'minimum TCB', 'simulated allowed', 'passport lifetime'],
      envs.map((e) => [link('#/environments/' + e.id, e.id), e.description || '',
        (e.platforms || []).join(', ') || 'any', e.min_tcb_status, e.allow_simulated ? 'yes' : 'no',
        (e.passport_lifetime || 0) + ' s'])));
}

// ---- the transparency log ----
async function checkpoint() {
  const cp = v.parseCheckpoint(await text('/v1/log/checkpoint'));
  if (!state.logKey) state.logKey = (await text('/v1/log/key')).trim();
  cp.check = await v.verifyCheckpoint(cp, state.logKey);
  return cp;
}

// The newest entries of the log, read from its public tiles (newest first).
async function newestEntries(size, max) {
  const out = [];
  for (let n = Math.floor((size - 1) / 256); n >= 0 && out.length < max; n--) {
    const width = Math.min(256, size - n * 256);
    const bundle = v.parseBundle(await api('/v1/log/tile/entries/' + v.tilePath(n, width)));
    for (let i = bundle.length - 1; i >= 0 && out.length < max; i--) out.push({ index: n * 256 + i, bytes: bundle[i] });
  }
  return out;
}

function receiptOf(bytes) {
  try {
    const j = v.decodeJws(v.utf8(bytes));
    return j.header.typ === 'veritee-receipt+jwt' ? j.payload : null;
  } catch (e) { return null; }
}

// A receipt's auditors as the page reads them: objects only (a logged receipt's fields are the
// gateway's to choose, and one odd entry must not take the whole list down).
const auditorsOf = (r) => (Array.isArray(r.auditors) ? r.auditors : []).filter((a) => a !== null && typeof a === 'object');
const findingsOf = (a) => (a.findings !== null && typeof a.findings === 'object' ? Object.entries(a.findings) : []);

function findingCount(r) {
  let n = 0;
  for (const a of auditorsOf(r)) for (const [, c] of findingsOf(a)) n += Number(c) || 0;
  return n;
}

function receiptRow(index, r) {
  const audited = (r.coverage !== null && typeof r.coverage === 'object' && Array.isArray(r.coverage.audited))
    ? r.coverage.audited : [];
  return [link('#/receipt/' + r.receipt, short(String(r.receipt), 18)), index,
    when(r.completed_ms / 1000), r.endpoint, r.status,
    auditorsOf(r).map((a) => a.name + '/' + a.phase + ': ' + a.verdict).join(', '), findingCount(r),
    audited.join('+') || 'none', link('#/passport/' + r.passport, short(String(r.passport), 18))];
}

async function viewReceipts(root) {
  const cp = await checkpoint();
  const entries = cp.size > 0 ? await newestEntries(cp.size, 512) : [];
  const rows = entries.map((e) => ({ index: e.index, r: receiptOf(e.bytes) })).filter((x) => x.r)
    .slice(0, RECEIPTS_SHOWN);
  put(root, h('h2', {}, 'Receipts'),
    h('p', {}, 'The newest receipts in the transparency log (verdicts and finding counts only; receipts never hold content).'),
    rows.length === 0 ? h('p', {}, 'No receipts logged yet.') :
      table(['receipt', 'log index', 'when', 'endpoint', 'status', 'verdicts', 'findings', 'coverage', 'passport'],
        rows.map(({ index, r }) => receiptRow(index, r))));
}

async function inclusion(token) {
  const cp = await checkpoint();
  const leaf = await v.leafHash(new TextEncoder().encode(token));
  const proof = await api('/v1/log/proof?size=' + cp.size + '&hash=' + encodeURIComponent(v.bytesB64(leaf)));
  const res = await v.verifyInclusion(leaf, proof.index, cp.size, proof.hashes.map(v.b64Bytes), cp.root);
  return { cp, proof, res: res.ok && !cp.check.ok ? { ok: false, why: 'checkpoint: ' + cp.check.why } : res };
}

async function viewReceipt(root, id) {
  const r = await api('/v1/receipts/' + encodeURIComponent(id));
  const payload = v.decodeJws(r.token).payload;
  // What is shown is the signed receipt's, and it must be the receipt asked for.
  const p = await api('/v1/passports/' + encodeURIComponent(payload.passport)).catch(() => null);
  const sig = payload.receipt !== id ? { ok: false, why: 'the verifier answered with receipt ' + payload.receipt }
    : p ? await v.verifyReceipt(r.token, p.token, await jwks()) : { ok: false, why: 'passport not found' };
  const inc = await inclusion(r.token);
  put(root, h('h2', {}, 'Receipt ', h('code', {}, id)), badge(sig, 'receipt signature'), ' ',
    badge(inc.res, 'log inclusion'),
    dl([['passport', link('#/passport/' + payload.passport, payload.passport)], ['log index', inc.proof.index],
      ['checkpoint', 'size ' + inc.cp.size]]),
    h('h3', {}, 'Auditors'), table(['auditor', 'phase', 'verdict', 'findings'],
      auditorsOf(payload).map((a) => [a.name, a.phase, status(a.verdict),
        findingsOf(a).map(([k, n]) => k + ': ' + n).join(', ') || 'none'])),
    h('h3', {}, 'Signed receipt'), h('pre', {}, JSON.stringify(payload, null, 2)));
}

async function viewLog(root) {
  const cp = await checkpoint();
  const out = h('div', { id: 'inclusion' });
  const area = h('textarea', { id: 'paste', rows: '4', placeholder: 'Paste a receipt or passport token (eyJ\u2026)' });
  const check = async () => {
    out.replaceChildren(h('span', { class: 'badge pending' }, 'checking\u2026'));
    try {
      const { cp: at, proof, res } = await inclusion(area.value.trim());
      out.replaceChildren(badge(res, 'inclusion'), dl([['index', proof.index], ['tree size', at.size]]));
    } catch (e) { out.replaceChildren(error('Not in the log: ' + e.message)); }
  };
  put(root, h('h2', {}, 'Transparency log'), badge(cp.check, 'checkpoint signature'),
    dl([['origin', cp.origin], ['size', cp.size], ['root hash', h('code', {}, v.bytesB64(cp.root))],
      ['log key', h('code', {}, state.logKey)]]),
    h('h3', {}, 'Is this receipt in the log?'), area,
    h('button', { id: 'check-inclusion', type: 'button', on: { click: check } }, 'Check inclusion'), out);
}

// ---- admin ----
function viewAdmin(root) {
  const token = h('input', { id: 'admin-token', type: 'password', autocomplete: 'off', placeholder: 'admin token' });
  token.value = state.adminToken;
  token.addEventListener('input', () => { state.adminToken = token.value; });
  const envId = h('input', { id: 'env-id', placeholder: 'environment id' });
  const envJson = h('textarea', { id: 'env-json', rows: '8', placeholder: '{"components": {...}, "min_tcb_status": "UpToDate"}' });
  const kid = h('input', { id: 'kid', placeholder: 'signing key id (kid)' });
  const out = h('div', { id: 'admin-out' });
  const call = async (method, path, body) => {
    try {
      const r = await api(path, { method, body, headers: { Authorization: 'Bearer ' + state.adminToken,
        'Content-Type': 'application/json' } });
      out.replaceChildren(h('p', { class: 'ok' }, 'Done.'), h('pre', {}, JSON.stringify(r, null, 2)));
    } catch (e) { out.replaceChildren(error(e.message)); }
  };
  put(root, h('h2', {}, 'Administration'),
    h('p', {}, 'These actions need the verifier\'s admin token. It stays in this page\'s memory and is sent only to this verifier.'),
    token, h('h3', {}, 'Create or replace an environment'), envId, envJson,
    h('button', { type: 'button', on: { click: () => call('PUT', '/v1/environments/' + encodeURIComponent(envId.value), envJson.value) } }, 'Save environment'),
    h('h3', {}, 'Revoke a signing key'), kid,
    h('button', { type: 'button', on: { click: () => call('POST', '/v1/admin/keys/' + encodeURIComponent(kid.value) + '/revoke', '') } }, 'Revoke key'),
    out);
}

// ---- routing and live updates ----
const routes = [
  [/^#?\/?$/, viewGateways, true],
  [/^#\/passport\/([^/]+)$/, viewPassport, true],
  [/^#\/environments(?:\/([^/]+))?$/, viewEnvironments, true],
  [/^#\/receipts$/, viewReceipts, true],
  [/^#\/receipt\/([^/]+)$/, viewReceipt, false],
  [/^#\/log$/, viewLog, false],
  [/^#\/admin$/, viewAdmin, false],
];
let timer = null;
let generation = 0;

async function render() {
  const gen = ++generation;
  clearTimeout(timer);
  const hash = location.hash || '#/';
  for (const a of document.querySelectorAll('nav a')) {
    const href = a.getAttribute('href');
    a.classList.toggle('here', href === '#/' ? hash === '#/' || hash.startsWith('#/passport') : hash.startsWith(href));
  }
  const route = routes.find(([re]) => re.test(hash));
  const root = h('section', {});
  try {
    if (!route) throw new Error('no such page');
    const m = route[0].exec(hash);
    await route[1](root, m[1] && decodeURIComponent(m[1]));
    if (gen !== generation) return;
    main().replaceChildren(root);
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    if (route[2]) timer = setTimeout(render, POLL_MS);
  } catch (e) {
    if (gen !== generation) return;
    main().replaceChildren(error(e.message));
    timer = setTimeout(render, POLL_MS);
  }
}

window.addEventListener('hashchange', render);
render();
