// What the Observer checks in the browser, with WebCrypto only: JWS signatures
// (passports against the verifier's JWKS, receipts against the passport's cnf
// key), the log's signed checkpoint (C2SP signed-note, Ed25519) and RFC 9162
// inclusion proofs.  Every function answers {ok, why}: the page shows
// "verified in your browser" only when ok is true, and why otherwise.

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function b64urlBytes(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  return b64Bytes(b64);
}

export function b64Bytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesB64(b) {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

export function hex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// Splits a compact JWS; throws on anything but three base64url parts with JSON header and payload.
export function decodeJws(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  const header = JSON.parse(dec.decode(b64urlBytes(parts[0])));
  const payload = JSON.parse(dec.decode(b64urlBytes(parts[1])));
  return { header, payload, signed: enc.encode(parts[0] + '.' + parts[1]), sig: b64urlBytes(parts[2]) };
}

const ALGS = {
  ES256: { crv: 'P-256', hash: 'SHA-256', len: 64 },
  ES384: { crv: 'P-384', hash: 'SHA-384', len: 96 },
};

// Verifies token with the public JWK (EC P-256/P-384).  The key's own alg, when given, must match.
export async function verifyJws(token, jwk) {
  let j;
  try { j = decodeJws(token); } catch (e) { return { ok: false, why: 'malformed token: ' + e.message }; }
  const a = ALGS[j.header.alg];
  if (!a) return { ok: false, why: 'algorithm ' + j.header.alg + ' is not checked here' };
  if (!jwk || jwk.kty !== 'EC' || jwk.crv !== a.crv) return { ok: false, why: 'key does not fit ' + j.header.alg };
  if (jwk.alg && jwk.alg !== j.header.alg) return { ok: false, why: 'key is for ' + jwk.alg };
  if (j.sig.length !== a.len) return { ok: false, why: 'signature has the wrong length' };
  try {
    const key = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y },
      { name: 'ECDSA', namedCurve: a.crv }, false, ['verify']);
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: a.hash }, key, j.sig, j.signed);
    return ok ? { ok: true } : { ok: false, why: 'signature does not verify' };
  } catch (e) {
    return { ok: false, why: 'key not usable: ' + e.message };
  }
}

// What `veritee passport verify` and `veritee receipt verify` require (include/veritee/passport.h,
// receipt.h, src/lib/appraise/passport.c): the header's typ, the EAR profile, and a clock skew
// of a minute for a passport issued "in the future".
export const PASSPORT_TYP = 'JWT';
export const RECEIPT_TYP = 'veritee-receipt+jwt';
export const EAR_PROFILE = 'tag:ietf.org,2026:rats/ear#03';
const SKEW_S = 60;

const isTime = (t) => Number.isSafeInteger(t);

// A passport against the verifier's JWKS: its typ, the signature by the key its kid names, its
// issuer and profile, and its time window (issued no later than a minute from now, not expired).
// The appraisal's status is not judged here: the page shows the signed one beside the badge.
export async function verifyPassport(token, jwks, nowS) {
  let j;
  try { j = decodeJws(token); } catch (e) { return { ok: false, why: 'malformed token: ' + e.message }; }
  if (j.header.typ !== PASSPORT_TYP) return { ok: false, why: 'typ is ' + j.header.typ + ', not a passport\'s' };
  const key = ((jwks && jwks.keys) || []).find((k) => k.kid === j.header.kid);
  if (!key) return { ok: false, why: 'signing key ' + j.header.kid + ' is not in the verifier\'s JWKS' };
  const sig = await verifyJws(token, key);
  if (!sig.ok) return sig;
  if (jwks.issuer && j.payload.iss !== jwks.issuer) return { ok: false, why: 'issuer is ' + j.payload.iss };
  if (j.payload.eat_profile !== EAR_PROFILE) return { ok: false, why: 'eat_profile is ' + j.payload.eat_profile };
  if (!isTime(j.payload.iat) || !isTime(j.payload.exp)) return { ok: false, why: 'iat and exp must be integers' };
  if (j.payload.iat > nowS + SKEW_S) return { ok: false, why: 'not yet valid' };
  if (j.payload.exp <= nowS) return { ok: false, why: 'expired' };
  return { ok: true };
}

// RFC 7638 thumbprint of an EC key, base64url (what receipts name as enclave_key).
export async function jwkThumbprint(jwk) {
  const canon = '{"crv":' + JSON.stringify(jwk.crv) + ',"kty":"EC","x":' + JSON.stringify(jwk.x) +
    ',"y":' + JSON.stringify(jwk.y) + '}';
  return bytesB64(await sha256(enc.encode(canon))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// A receipt against its passport, as `veritee receipt verify` checks it: the passport verified
// against the JWKS at the receipt's time and affirming (its cnf key is only as good as its
// signature and appraisal); the receipt's typ and signature by that cnf key; and the receipt
// naming that passport, key, environment and a model the passport measured, served within the
// passport's validity.
export async function verifyReceipt(token, passportToken, jwks) {
  let r, p;
  try { r = decodeJws(token); p = decodeJws(passportToken); } catch (e) {
    return { ok: false, why: 'malformed token: ' + e.message };
  }
  const rc = r.payload, pc = p.payload, pv = pc.veritee || {};
  if (r.header.typ !== RECEIPT_TYP) return { ok: false, why: 'typ is ' + r.header.typ + ', not a receipt\'s' };
  if (!isTime(rc.received_ms) || !isTime(rc.completed_ms)) {
    return { ok: false, why: 'receipt has no integer received_ms and completed_ms' };
  }
  const pass = await verifyPassport(passportToken, jwks, Math.trunc(rc.received_ms / 1000));
  if (!pass.ok) return { ok: false, why: 'passport: ' + pass.why };
  if (pc.ear_status !== 'affirming') return { ok: false, why: 'passport is ' + pc.ear_status + ', not affirming' };
  const cnf = pc.cnf && pc.cnf.jwk;
  if (!cnf) return { ok: false, why: 'passport has no cnf key' };
  if (rc.passport !== pc.jti) return { ok: false, why: 'receipt names another passport' };
  if (rc.enclave_key !== await jwkThumbprint(cnf)) return { ok: false, why: 'receipt names another key' };
  const sig = await verifyJws(token, cnf);
  if (!sig.ok) return sig;
  if (rc.environment !== pv.environment) return { ok: false, why: 'receipt names another environment' };
  const models = ((pv.submods || {}).model || {}).measured;
  if (!Array.isArray(models) || !models.includes(rc.model)) {
    return { ok: false, why: 'receipt names a model the passport did not measure' };
  }
  if (Math.trunc(rc.received_ms / 1000) < pc.iat - SKEW_S || Math.trunc(rc.completed_ms / 1000) > pc.exp) {
    return { ok: false, why: 'receipt was served outside the passport\'s validity' };
  }
  return { ok: true };
}

// ---- the transparency log ----

// "origin\nsize\nroot\n\n— name base64sig\n..." -> {body, origin, size, root, sigs:[{name, raw}]}
export function parseCheckpoint(text) {
  const cut = text.indexOf('\n\n');
  if (cut < 0) throw new Error('checkpoint has no signature block');
  const body = text.slice(0, cut + 1);
  const lines = body.split('\n');
  if (lines.length < 4 || !/^[0-9]+$/.test(lines[1])) throw new Error('checkpoint body is malformed');
  const sigs = [];
  for (const line of text.slice(cut + 2).split('\n')) {
    if (line === '') continue;
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error('signature line is malformed');
    sigs.push({ name: m[1], raw: b64Bytes(m[2]) });
  }
  return { body, origin: lines[0], size: Number(lines[1]), root: b64Bytes(lines[2]), sigs };
}

// Verifier key "name+hexid+base64(0x01 ‖ ed25519 pub)"; the note signature must come from it.
export async function verifyCheckpoint(cp, vkey) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey.trim());
  if (!m) return { ok: false, why: 'log key is malformed' };
  const keyBytes = b64Bytes(m[3]);
  if (keyBytes.length !== 33 || keyBytes[0] !== 1) return { ok: false, why: 'log key is not Ed25519' };
  const id = (await sha256(concat(enc.encode(m[1] + '\n'), keyBytes))).slice(0, 4);
  if (hex(id) !== m[2]) return { ok: false, why: 'log key id does not match the key' };
  const sig = cp.sigs.find((s) => s.name === m[1] && s.raw.length === 68 && equal(s.raw.slice(0, 4), id));
  if (!sig) return { ok: false, why: 'checkpoint is not signed by the log key' };
  try {
    const key = await crypto.subtle.importKey('raw', keyBytes.slice(1), { name: 'Ed25519' }, false, ['verify']);
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, sig.raw.slice(4), enc.encode(cp.body));
    return ok ? { ok: true } : { ok: false, why: 'checkpoint signature does not verify' };
  } catch (e) {
    return { ok: false, why: 'this browser cannot check Ed25519 (' + e.message + ')' };
  }
}

export async function leafHash(entryBytes) {
  return sha256(concat(new Uint8Array([0]), entryBytes));
}

// RFC 9162 §2.1.3.2: recompute the root from a leaf hash, its index and the proof.
// Indices are integers and every hash 32 bytes: a fractional, negative or string index would
// walk the same path as an integer one and be shown as the entry's position.
export async function verifyInclusion(leaf, index, size, proof, root) {
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) {
    return { ok: false, why: 'index is outside the tree' };
  }
  if (!Array.isArray(proof) || proof.length > 64 || [leaf, root, ...proof].some((x) => !(x instanceof Uint8Array) || x.length !== 32)) {
    return { ok: false, why: 'proof is not a list of SHA-256 hashes' };
  }
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return { ok: false, why: 'proof is too long' };
    if ((fn & 1) === 1 || fn === sn) {
      r = await sha256(concat(new Uint8Array([1]), p, r));
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await sha256(concat(new Uint8Array([1]), r, p));
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return { ok: false, why: 'proof is too short' };
  return equal(r, root) ? { ok: true } : { ok: false, why: 'proof does not lead to the checkpoint\'s root' };
}

// C2SP tlog-tiles path of tile N ("x001/x234/067"), with ".p/W" for a partial tile.
export function tilePath(n, width) {
  let s = String(n % 1000).padStart(3, '0');
  for (n = Math.floor(n / 1000); n > 0; n = Math.floor(n / 1000)) s = 'x' + String(n % 1000).padStart(3, '0') + '/' + s;
  return width < 256 ? s + '.p/' + width : s;
}

// Entry bundle: each entry as a big-endian uint16 length and its bytes.
export function parseBundle(buf) {
  const b = new Uint8Array(buf), out = [];
  for (let i = 0; i < b.length;) {
    if (i + 2 > b.length) throw new Error('entry bundle is truncated');
    const n = (b[i] << 8) | b[i + 1];
    if (i + 2 + n > b.length) throw new Error('entry bundle is truncated');
    out.push(b.slice(i + 2, i + 2 + n));
    i += 2 + n;
  }
  return out;
}

export function utf8(bytes) {
  return dec.decode(bytes);
}
