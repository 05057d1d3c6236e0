// The Observer's in-browser checks (web/verify.js) under Node's WebCrypto, with keys made here:
// every token the page must refuse, failure cases first, then the ones it must accept.  A
// passport and a receipt pass only what `veritee passport verify` and `veritee receipt verify`
// pass (typ, profile, time window, the receipt's environment, model and validity), and an
// inclusion proof only with an integer index and 32-byte hashes.
// Usage: node verify_test.mjs VERIFY_MJS (web/verify.js copied under a .mjs name)
import { pathToFileURL } from 'node:url';

const v = await import(pathToFileURL(process.argv[2]).href);
const subtle = globalThis.crypto.subtle;
const enc = new TextEncoder();
const problems = [];
let checks = 0;

const b64u = (b) => Buffer.from(b).toString('base64url');
async function es256() {
  const kp = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const { kty, crv, x, y } = await subtle.exportKey('jwk', kp.publicKey);
  return { priv: kp.privateKey, jwk: { kty, crv, x, y } };
}
async function sign(key, header, payload) {
  const si = b64u(enc.encode(JSON.stringify(header))) + '.' + b64u(enc.encode(JSON.stringify(payload)));
  const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, enc.encode(si));
  return si + '.' + b64u(new Uint8Array(sig));
}
async function expect(want, what, res) {
  checks++;
  const r = await res;
  if (r.ok !== want) problems.push(`${what}: ${r.ok ? 'accepted' : 'refused (' + r.why + ')'}, wanted ${want ? 'accepted' : 'refused'}`);
}

const now = Math.floor(Date.now() / 1000);
const issuer = 'veritee-verifier';
const verifier = await es256();
const enclave = await es256();
const kid = 'k1';
const jwks = { issuer, keys: [{ ...verifier.jwk, kid, alg: 'ES256', use: 'sig' }] };
const model = 'ab'.repeat(32);
const passportClaims = (over = {}) => ({
  eat_profile: v.EAR_PROFILE, iat: now - 100, exp: now + 3600, jti: 'pass-' + '0'.repeat(32), iss: issuer,
  ear_status: 'affirming',
  veritee: { environment: 'prod', tee_type: 'tdx', submods: { model: { measured: [model] } } },
  cnf: { jwk: enclave.jwk }, ...over,
});
const passport = (over = {}, hdr = {}) => sign(verifier.priv, { alg: 'ES256', kid, typ: 'JWT', ...hdr }, passportClaims(over));
const thumb = await v.jwkThumbprint(enclave.jwk);
const receiptClaims = (over = {}) => ({
  receipt: 'rcpt-1', passport: 'pass-' + '0'.repeat(32), environment: 'prod', enclave_key: thumb, model,
  received_ms: (now - 50) * 1000, completed_ms: (now - 49) * 1000, status: 200, auditors: [], ...over,
});
const receipt = (over = {}, hdr = {}) => sign(enclave.priv, { alg: 'ES256', typ: v.RECEIPT_TYP, ...hdr }, receiptClaims(over));

// ---- passports: what the page must refuse ----
await expect(false, 'a token of another type signed by the verifier (typ veritee-kbs+jwt)',
  v.verifyPassport(await passport({}, { typ: 'veritee-kbs+jwt' }), jwks, now));
await expect(false, 'a passport without typ', v.verifyPassport(await passport({}, { typ: undefined }), jwks, now));
await expect(false, 'a passport without the EAR profile', v.verifyPassport(await passport({ eat_profile: undefined }), jwks, now));
await expect(false, 'a passport issued an hour from now', v.verifyPassport(await passport({ iat: now + 3600, exp: now + 7200 }), jwks, now));
await expect(false, 'a passport whose exp is a string', v.verifyPassport(await passport({ exp: String(now + 3600) }), jwks, now));
await expect(false, 'an expired passport', v.verifyPassport(await passport({ exp: now - 1 }), jwks, now));
await expect(false, 'a passport of another issuer', v.verifyPassport(await passport({ iss: 'other' }), jwks, now));
await expect(false, 'a passport signed by a key not in the JWKS',
  v.verifyPassport(await sign(enclave.priv, { alg: 'ES256', kid, typ: 'JWT' }, passportClaims()), jwks, now));
await expect(false, 'alg none', v.verifyPassport((await passport()).replace(/^[^.]*/, b64u(enc.encode(JSON.stringify({ alg: 'none', kid, typ: 'JWT' })))), jwks, now));
// ... and accept
await expect(true, 'a good passport', v.verifyPassport(await passport(), jwks, now));
await expect(true, 'a passport issued within the minute of skew', v.verifyPassport(await passport({ iat: now + 30 }), jwks, now));

// ---- receipts ----
const P = await passport();
await expect(false, 'a receipt of another type (typ JWT)', v.verifyReceipt(await receipt({}, { typ: 'JWT' }), P, jwks));
await expect(false, 'a receipt naming another environment', v.verifyReceipt(await receipt({ environment: 'dev' }), P, jwks));
await expect(false, 'a receipt naming a model the passport did not measure',
  v.verifyReceipt(await receipt({ model: 'cd'.repeat(32) }), P, jwks));
await expect(false, 'a receipt dated before its passport was issued',
  v.verifyReceipt(await receipt({ received_ms: (now - 1000) * 1000 }), P, jwks));
await expect(false, 'a receipt completed after its passport expired',
  v.verifyReceipt(await receipt({ completed_ms: (now + 7200) * 1000 }), P, jwks));
await expect(false, 'a receipt without completed_ms', v.verifyReceipt(await receipt({ completed_ms: undefined }), P, jwks));
await expect(false, 'a receipt under a contraindicated passport',
  v.verifyReceipt(await receipt(), await passport({ ear_status: 'contraindicated' }), jwks));
await expect(false, 'a receipt naming another passport', v.verifyReceipt(await receipt({ passport: 'pass-' + '1'.repeat(32) }), P, jwks));
await expect(false, 'a receipt signed by another key',
  v.verifyReceipt(await sign(verifier.priv, { alg: 'ES256', typ: v.RECEIPT_TYP }, receiptClaims()), P, jwks));
await expect(false, 'a receipt under a token that is not a passport',
  v.verifyReceipt(await receipt(), await passport({}, { typ: 'veritee-kbs+jwt' }), jwks));
await expect(true, 'a good receipt', v.verifyReceipt(await receipt(), P, jwks));

// ---- inclusion proofs: a tree of three leaves ----
const h = async (...parts) => new Uint8Array(await subtle.digest('SHA-256', Buffer.concat(parts.map((p) => Buffer.from(p)))));
const leaves = await Promise.all([0, 1, 2].map((i) => v.leafHash(enc.encode('entry ' + i))));
const n01 = await h([1], leaves[0], leaves[1]);
const root = await h([1], n01, leaves[2]);
await expect(false, 'index as a fraction', v.verifyInclusion(leaves[1], 1.5, 3, [leaves[0], leaves[2]], root));
await expect(false, 'index as a string', v.verifyInclusion(leaves[1], '1', 3, [leaves[0], leaves[2]], root));
await expect(false, 'a negative index', v.verifyInclusion(leaves[2], -1, 3, [n01], root));
await expect(false, 'index past the tree', v.verifyInclusion(leaves[2], 3, 3, [n01], root));
await expect(false, 'a proof hash of 31 bytes', v.verifyInclusion(leaves[2], 2, 3, [n01.slice(1)], root));
await expect(false, 'a root of 31 bytes', v.verifyInclusion(leaves[2], 2, 3, [n01], root.slice(1)));
await expect(false, 'another leaf', v.verifyInclusion(leaves[0], 2, 3, [n01], root));
await expect(true, 'leaf 1', v.verifyInclusion(leaves[1], 1, 3, [leaves[0], leaves[2]], root));
await expect(true, 'leaf 2', v.verifyInclusion(leaves[2], 2, 3, [n01], root));

for (const p of problems) console.log('FAIL: ' + p);
console.log(`${checks - problems.length} passed, ${problems.length} failed`);
process.exit(problems.length === 0 ? 0 : 1);
