// Oblivious HTTP interoperability: a request encapsulated with code nobody on
// this project wrote (npm @hpke/core + @hpke/dhkem-x25519 for RFC 9180,
// bhttp-js for RFC 9292), posted to the gateway's /v1/ohttp; the answer is
// decapsulated (RFC 9458 §4.4 with node's own HKDF and AES-GCM) and decoded
// with bhttp-js.  Usage: node interop.mjs GATEWAY_URL PROMPT
import { Aes128Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { BHttpDecoder, BHttpEncoder } from "bhttp-js";
import { createDecipheriv, hkdfSync } from "node:crypto";

const [gateway, prompt] = process.argv.slice(2);
const te = new TextEncoder();
const fail = (m) => { console.error("FAIL: " + m); process.exit(1); };

// The key configuration (application/ohttp-keys: a 2-byte length, then RFC 9458 §3).
const kr = await fetch(gateway + "/.well-known/ohttp-keys");
if (kr.status !== 200) fail("keys: HTTP " + kr.status);
const keys = new Uint8Array(await kr.arrayBuffer());
const cfg = keys.subarray(2, 2 + ((keys[0] << 8) | keys[1]));
const keyId = cfg[0], kemId = (cfg[1] << 8) | cfg[2];
if (kemId !== 0x0020) fail("kem " + kemId);
const pkR = cfg.subarray(3, 3 + 32);
const algs = cfg.subarray(3 + 32 + 2);
let found = false;
for (let i = 0; i + 4 <= algs.length; i += 4)
  if (((algs[i] << 8) | algs[i + 1]) === 1 && ((algs[i + 2] << 8) | algs[i + 3]) === 1) found = true;
if (!found) fail("no HKDF-SHA256 + AES-128-GCM pair");

// The request, Binary HTTP by bhttp-js.
const body = JSON.stringify({ model: "echo", messages: [{ role: "user", content: prompt }] });
const bhttpReq = await new BHttpEncoder().encodeRequest(new Request("https://gateway/v1/chat/completions", {
  method: "POST", headers: { "content-type": "application/json" }, body,
}));

// Encapsulation (RFC 9458 §4.3) with @hpke.
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
const hdr = new Uint8Array([keyId, 0x00, 0x20, 0x00, 0x01, 0x00, 0x01]);
const label = te.encode("message/bhttp request");
const info = new Uint8Array([...label, 0, ...hdr]);
const sender = await suite.createSenderContext({
  recipientPublicKey: await suite.kem.deserializePublicKey(pkR), info,
});
const ct = new Uint8Array(await sender.seal(bhttpReq));
const enc = new Uint8Array(sender.enc);
const encReq = new Uint8Array([...hdr, ...enc, ...ct]);

const r = await fetch(gateway + "/v1/ohttp", {
  method: "POST", headers: { "content-type": "message/ohttp-req" }, body: encReq,
});
if (r.status !== 200 || r.headers.get("content-type") !== "message/ohttp-res")
  fail("POST /v1/ohttp: HTTP " + r.status + " " + r.headers.get("content-type"));
const encRes = new Uint8Array(await r.arrayBuffer());

// Decapsulation (RFC 9458 §4.4): Nk = 16, Nn = 12, so the response nonce is 16 bytes.
const secret = new Uint8Array(await sender.export(te.encode("message/bhttp response"), 16));
const nonce = encRes.subarray(0, 16);
const salt = new Uint8Array([...enc, ...nonce]);
const key = Buffer.from(hkdfSync("sha256", secret, salt, "key", 16));
const iv = Buffer.from(hkdfSync("sha256", secret, salt, "nonce", 12));
const sealed = encRes.subarray(16);
const d = createDecipheriv("aes-128-gcm", key, iv);
d.setAuthTag(sealed.subarray(sealed.length - 16));
const plain = Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);

// The answer, decoded by bhttp-js.
const res = new BHttpDecoder().decodeResponse(new Uint8Array(plain));
if (res.status !== 200) fail("inner status " + res.status);
const text = await res.text();
const answer = JSON.parse(text).choices?.[0]?.message?.content ?? "";
if (!answer.includes(prompt)) fail("the answer does not hold the prompt: " + text.slice(0, 200));
console.log("inner status " + res.status + ", receipt " + (res.headers.get("veritee-receipt") ? "present" : "absent"));
console.log("ok");
