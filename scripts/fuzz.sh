#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time.  Seeds come from the simulator
# (always) and from the real vectors (when present); nothing is committed.
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
status=0
for t in "$build"/fuzz/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t"); corpus=$(seed_dir "$name")
  case "$name" in *collateral*) cp -n "$c"/* "$corpus/" 2>/dev/null || true ;;
    *nitro*) cp -n "$n"/* "$corpus/" 2>/dev/null || true ;;
    *audit_request*) cp -n "$r"/* "$corpus/" 2>/dev/null || true ;;
    *audit*) cp -n "$a"/* "$corpus/" 2>/dev/null || true ;;
    *sse*) printf '\x05data: {"choices":[{"delta":{"content":"hi"}}]}\n\n: c\r\nevent: x\rdata: [DONE]\n\n' >"$corpus/seed" ;;
    *checkpoint*) printf 'If you think cryptography is the answer to your problem,\nthen you don'"'"'t know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n' >"$corpus/note"
      printf 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n' >"$corpus/checkpoint" ;;
    *tile*) printf 'tile/0/x001/x234/067.p/17' >"$corpus/path"; printf '\0\0\0\001a\0\005hello' >"$corpus/bundle" ;;
    *weights*)
      k="$work/weights.key"; printf '4242424242424242424242424242424242424242424242424242424242424242\n' >"$k"; chmod 600 "$k"
      for n in 0 1 100 5000; do head -c "$n" /dev/urandom >"$work/m"
        "$build"/veritee model encrypt --key "$k" --name m "$work/m" "$corpus/seed-$n" >/dev/null || true; done ;;
    *seal*) head -c 80 /dev/urandom >"$corpus/seed" ;;
    *certtable*) cp -n "$work/certtable"/* "$corpus/" 2>/dev/null || true ;;
    *) cp -n "$q"/* "$corpus/" 2>/dev/null || true ;; esac
  echo "fuzz: $name for ${secs}s"
  if ! "$t" -max_total_time="$secs" -max_len=65536 -artifact_prefix="$work/$name-" -print_final_stats=1 "$corpus" >"$work/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; see $work/$name.log"; tail -30 "$work/$name.log"; status=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss' "$work/$name.log" | sed "s/^/  $name /"
  fi
done
exit $status
