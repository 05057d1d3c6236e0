#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time.  Seeds come from the kept
# corpus fuzz/corpus/<target>/ (small, made by our own tools or by hand; see
# fuzz/README.md), from the simulator and from the real vectors (when
# present); what the fuzzer adds stays in fuzz/corpus-run/ (not committed).
set -euo pipefail
build="$1"; secs="${2:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
vectors="${VERITEE_VECTORS:-$root/../shared/vectors}"
work="$root/fuzz/corpus-run"
mkdir -p "$work"
export VERITEE_STATE="$work/state"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp"  # a one-byte leak inside cjose

seed_dir() { mkdir -p "$work/$1"; echo "$work/$1"; }

# Seeds: simulated quotes and collateral, and the real ones when available.
q=$(seed_dir quote); c=$(seed_dir collateral)
for f in "$root"/fuzz/seeds/*; do [ -f "$f" ] && cp "$f" "$q/"; done
if [ -d "$vectors/tdx" ]; then
  i=0
  for f in "$vectors"/tdx/*/quote.bin; do i=$((i+1)); cp "$f" "$q/real-$i.bin"; done
  for f in "$vectors"/tdx/*/collateral-*/*.json "$vectors"/tdx/*/collateral-*/*.pem "$vectors"/tdx/*/collateral-*/*.der; do
    i=$((i+1)); cp "$f" "$c/real-$i"; done
fi
n=$(seed_dir nitro)
if [ -d "$vectors/nitro" ]; then
  for f in "$vectors"/nitro/*.cbor; do cp "$f" "$n/"; done
fi
# Seeds for the auditor JSON walker: chat, completions, embeddings, responses.
a=$(seed_dir audit)
printf '%s' '{"model":"m","messages":[{"role":"user","content":"mail a\u0040example.com card 4111 1111 1111 1111"}]}' >"$a/chat"
printf '%s' '{"model":"m","messages":[{"content":[{"type":"text","text":"ip 10.0.0.1 AKIAIOSFODNN7EXAMPLE"}]}]}' >"$a/parts"
printf '%s' '{"prompt":["DE89 3704 0044 0532 0130 00","+1 415 555 2671"],"input":"123-45-6789"}' >"$a/prompt"
printf '%s\n%s\n' '{"choices":[{"index":0,"delta":{"content":"a bob.sm","tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}' \
  '{"choices":[{"index":0,"delta":{"content":"ith@example.com"},"finish_reason":"stop"}],"x":{"k@example.com":1}}' >"$a/stream"
# Chunks as models stream them (the stream auditor's fast path): a marker split across events.
printf '%s\n' '{"id":"c-1","object":"chat.completion.chunk","created":1733000000,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}' \
  '{"id":"c-1","object":"chat.completion.chunk","created":1733000000,"model":"m","choices":[{"index":0,"delta":{"content":"mail bob.sm"},"finish_reason":null}],"usage":null}' \
  '{"id":"c-1","created":1.5e3,"choices":[{"delta":{"content":"ith@exa\u006dple.com caf\u00e9 \ud83d\ude00"}},{"index":1,"text":"10.0.0.1 x"}]}' \
  '{"id":"c-1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}' >"$a/stream_chunks"
# Streamed tool calls: arguments held per call and audited decoded when complete (an escape cut
# between two events, a card with \n escapes, a second call that starts with its name alone, another
# choice's legacy function_call, usage).
printf '%s\n' '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"send","arguments":"{\"to\":\"jane.doe\\u00"}}]}}]}' \
  '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"40example.com\",\"card\":\"4111\\n1111\\n1111\\n1111\"}"}}]}}]}' \
  '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"c2","type":"function","function":{"name":"note"}}]}},{"index":1,"delta":{"function_call":{"name":"f","arguments":"{\"a\":[1,"}}}]}' \
  '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"t\":\"x\\u0040y.com\"}"}}]}}]}' \
  '{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"total_tokens":3}}' >"$a/stream_tool_args"
printf '%s' '{"choices":[{"message":{"content":"-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----"}},{"text":"fe80::1ff:fe23:4567:890a"}]}' >"$a/resp"
# Unicode look-alikes and separators the scanner folds (NBSP, U+202F, full-width digits, '＠', '．').
printf '%s' '{"messages":[{"content":"card 4111\u00a01111\u00a01111\u00a01111, +44\u202f20\u202f7946\u202f0958"}]}' >"$a/nbsp"
printf 'jane\xef\xbc\xa0example\xef\xbc\x8ecom \xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 1111 1111 1111\t415/555/2671 caf\xc3\xa9\xef\xbc' >"$a/fullwidth"
# Seeds for the request walker: a selector byte (route, allow options) then a body.
r=$(seed_dir audit_request)
printf '\x00%s' '{"model":"m","messages":[{"role":"user","content":["a@b.example.com",{"type":"text","text":"x"}],"name":"n"},{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{\"k\":[1,\"4111111111111111\"]}"}}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{"properties":{"a@b.example.com":{"type":"string"}}}}}],"logit_bias":{"5":1},"temperature":0.5}' >"$r/chat"
printf '\x01%s' '{"model":"m","prompt":["x 10.0.0.1",["no"]],"suffix":"s","stop":["a"]}' >"$r/completions"
printf '\x05%s' '{"model":"m","prompt":[[1,2],[3]],"extra":{"a":"b"}}' >"$r/tokens"
printf '\x06%s' '{"model":"m","input":["a","b"],"encoding_format":"base64"}' >"$r/embeddings"
printf '\x04%s' '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:x"}}]}],"metadata":{"k":"v"}}' >"$r/media"
# SEV-SNP certificate tables: one made of placeholder blobs, and one per real
# VCEK/VLEK (GUID entries, terminator, then the DER) when the vectors exist.
t=$(seed_dir certtable)
python3 - "$vectors/sevsnp" "$t" <<'PY' || true
import glob, os, struct, sys
src, out = sys.argv[1], sys.argv[2]
G = {"vcek": "63da758de6644564adc5f4b93be8accd", "vlek": "a8074bc2a25a483eaae639c045a0b8a1",
     "ask": "4ab7b379bbac4fe4a02f05aef327c782", "ark": "c0b406a4a803495297433fb6014cd0ae"}
def table(blobs):
    off = 24 * (len(blobs) + 1); hdr = b""; body = b""
    for kind, data in blobs:
        hdr += bytes.fromhex(G[kind]) + struct.pack("<II", off + len(body), len(data)); body += data
    return hdr + b"\0" * 24 + body
open(os.path.join(out, "placeholder"), "wb").write(table([("vcek", b"V" * 40), ("ask", b"A" * 30), ("ark", b"R" * 20)]))
for i, f in enumerate(sorted(glob.glob(os.path.join(src, "*", "v*ek.der")))):
    kind = os.path.basename(f)[:4]
    open(os.path.join(out, "real-%d" % i), "wb").write(table([(kind, open(f, "rb").read())]))
PY
# TPM seeds: quotes, signatures and AK public areas behind a selector byte; event
# logs; containers (VTTPMEV1 records) built from the vector directories.
tp=$(seed_dir tpm)
python3 - "$vectors/tpm" "$tp" <<'PY' || true
import glob, os, struct, sys
src, out = sys.argv[1], sys.argv[2]
for sub in ("attest", "eventlog", "container"): os.makedirs(os.path.join(out, sub), exist_ok=True)
def w(sub, name, b): open(os.path.join(out, sub, name), "wb").write(b)
parts = [("quote_sha256.attest", 1), ("quote_sha256.sig", 2), ("tpm_quote.attest", 1), ("tpm_quote.sig", 2),
         ("ak_pub.tpmt", 5), ("ak_cert.der", 6), ("hcl_report.bin", 7)]
for i, d in enumerate(sorted(glob.glob(os.path.join(src, "*")))):
    rec = b"VTTPMEV1"
    for f, t in parts:
        p = os.path.join(d, f)
        if os.path.exists(p):
            b = open(p, "rb").read()
            rec += struct.pack(">BHI", t, 0, len(b)) + b
            sel = {1: 0, 2: 1, 5: 2}.get(t)
            if sel is not None: w("attest", "%d-%s" % (i, f), bytes([sel]) + b)
            if t == 7: w("container", "hcl-%d" % i, b"\x01" + b)
    p = os.path.join(d, "pcrs_sha256.bin")
    if os.path.exists(p):
        b = open(p, "rb").read(); rec += struct.pack(">BHI", 3, 0x0b, len(b)) + b
    w("container", "%d" % i, b"\x00" + rec)
    p = os.path.join(d, "event_log.bin")
    if os.path.exists(p): w("eventlog", "%d" % i, open(p, "rb").read())
PY
# PCK leaves: the first certificate of the PCK chain in each quote seed (the real
# quotes copied above), as DER, and each chain's PEM text.
pl=$(seed_dir pck_leaf)
python3 - "$q" "$pl" <<'PY' || true
import base64, glob, os, re, sys
src, out = sys.argv[1], sys.argv[2]
for f in sorted(glob.glob(os.path.join(src, "*"))):
    b = open(f, "rb").read()
    m = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----(\s*-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----)*", b, re.S)
    if not m: continue
    name = os.path.basename(f)
    open(os.path.join(out, name + ".pem"), "wb").write(m.group(0))
    body = re.search(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", m.group(0), re.S).group(1)
    open(os.path.join(out, name + ".der"), "wb").write(base64.b64decode(b"".join(body.split())))
PY
status=0
for t in "$build"/fuzz/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t"); corpus=$(seed_dir "$name")
  [ -d "$root/fuzz/corpus/$name" ] && cp -n "$root/fuzz/corpus/$name"/* "$corpus/" 2>/dev/null || true
  case "$name" in *collateral*) cp -n "$c"/* "$corpus/" 2>/dev/null || true ;;
    *nitro*) cp -n "$n"/* "$corpus/" 2>/dev/null || true ;;
    *audit_request*) cp -n "$r"/* "$corpus/" 2>/dev/null || true ;;
    *audit*) cp -n "$a"/* "$corpus/" 2>/dev/null || true ;;
    *sse*) printf '\x05data: {"choices":[{"delta":{"content":"hi"}}]}\n\n: c\r\nevent: x\rdata: [DONE]\n\n' >"$corpus/seed" ;;
    *checkpoint*) printf 'If you think cryptography is the answer to your problem,\nthen you don'"'"'t know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n' >"$corpus/note"
      printf 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n' >"$corpus/checkpoint" ;;
    *composite*|*jws*|*receipt*|*config*|*http*) ;; # the kept corpus only
    *tile*) printf 'tile/0/x001/x234/067.p/17' >"$corpus/path"; printf '\0\0\0\001a\0\005hello' >"$corpus/bundle" ;;
    *bhttp*) python3 -c 'import sys; open(sys.argv[1] + "/req", "wb").write(bytes.fromhex("0003474554056874747073000a2f68656c6c6f2e747874406c0a757365722d6167656e74346375726c2f372e31362e33206c69626375726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e3304686f73740f7777772e6578616d706c652e636f6d0f6163636570742d6c616e677561676506656e2c206d690000")); open(sys.argv[1] + "/res", "wb").write(bytes.fromhex("0140c8001d5468697320636f6e74656e7420636f6e7461696e732043524c462e0d0a0d07747261696c65720474657874"))' "$corpus" ;;
    *ohttp_chunked*) printf '\x03\x40\xc8\x0ccontent-type\x11text/event-stream\x00\x0fdata: event 0\n\n\x00\x00' >"$corpus/answer" ;;
    *ohttp*) python3 -c 'import sys; open(sys.argv[1] + "/req", "wb").write(bytes.fromhex("010020000100014b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b4726374e469135906992e1268c594d2a10c695d858c40a026e7965e7d86b83dd440b2c0185204b4d63525")); open(sys.argv[1] + "/keys", "wb").write(bytes.fromhex("002d01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003"))' "$corpus" ;;
    *weights*)
      k="$work/weights.key"; printf '4242424242424242424242424242424242424242424242424242424242424242\n' >"$k"; chmod 600 "$k"
      for n in 0 1 100 5000; do head -c "$n" /dev/urandom >"$work/m"
        "$build"/veritee model encrypt --key "$k" --name m "$work/m" "$corpus/seed-$n" >/dev/null || true; done ;;
    *seal*) head -c 80 /dev/urandom >"$corpus/seed" ;;
    *certtable*) cp -n "$work/certtable"/* "$corpus/" 2>/dev/null || true ;;
    *tpm_attest*) cp -n "$tp/attest"/* "$corpus/" 2>/dev/null || true ;;
    *tpm_eventlog*) cp -n "$tp/eventlog"/* "$corpus/" 2>/dev/null || true ;;
    *tpm_pb*) cp -n "$vectors"/tpm/*/attestation.pb "$corpus/" 2>/dev/null || true ;;
    *azure_envelope*) for f in "$vectors"/tpm/*/evidence.orig.json; do
        [ -f "$f" ] && cp -n "$f" "$corpus/$(basename "$(dirname "$f")").json"; done ;;
    *tpm*) cp -n "$tp/container"/* "$corpus/" 2>/dev/null || true ;;
    *nvgpu_rim*) cp -n "$vectors"/nvgpu/*/*.swidtag "$corpus/" 2>/dev/null || true ;;
    *pck_leaf*) cp -n "$pl"/* "$corpus/" 2>/dev/null || true ;;
    *pcs_answers*) printf '\001v1 18 1773700000\n' >"$corpus/floor"
      python3 - "$vectors/tdx/gotdx-v5-tdx15" "$corpus/answers" <<'PY' || true
import os, re, sys
d, out = sys.argv[1], sys.argv[2]
c = os.path.join(d, "collateral-2026-03-lunal")
if os.path.isdir(c):
    r = lambda n: open(os.path.join(c, n), "rb").read()
    certs = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?", open(os.path.join(d, "quote.bin"), "rb").read(), re.S)
    parts = [r("tcb_info_90c06f000000.json"), r("tcb_signing_chain.pem"), r("td_qe_identity.json"),
             r("qe_identity_signing_chain.pem"), r("pck_crl_platform.der"), b"".join(certs[1:]), r("root_ca_crl.der")]
    open(out, "wb").write(b"\0" + b"\n@@\n".join(parts))
PY
      ;;
    *) cp -n "$q"/* "$corpus/" 2>/dev/null || true ;; esac
  # Kept seed corpora (small, written by hand or by our own tools): fuzz/corpus/<target>/.
  if [ -d "$root/fuzz/corpus/$name" ]; then cp -n "$root/fuzz/corpus/$name"/* "$corpus/" 2>/dev/null || true; fi
  echo "fuzz: $name for ${secs}s"
  if ! "$t" -max_total_time="$secs" -max_len=65536 -artifact_prefix="$work/$name-" -print_final_stats=1 "$corpus" >"$work/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; see $work/$name.log"; tail -30 "$work/$name.log"; status=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss' "$work/$name.log" | sed "s/^/  $name /"
  fi
done
exit $status
