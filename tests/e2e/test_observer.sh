#!/usr/bin/env bash
# The Observer (the verifier's dashboard at /) in a real browser: Debian's
# chromium driven headless by playwright-core (npm), against a verifier, a
# gateway under the TDX simulator and the echo upstream started here.  Without
# chromium or the npm package (offline) the browser half is skipped; the HTTP
# half (pages, headers, no inline script) always runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
[ -x "$ECHO_BIN" ] || { echo "skipped: $ECHO_BIN not built"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"

TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --quiet \
  >"$TMP/v.out" 2>"$TMP/v.log" &
PIDS="$PIDS $!"
V="http://$(wait_addr "$TMP/v.out")" || { echo "FAIL: verifier did not start"; cat "$TMP/v.log"; exit 1; }
for _ in $(seq 100); do grep -q listening "$TMP/v.out" && break; sleep 0.05; done

# --- the pages over plain HTTP ---
expect 0 "GET / answers" -- curl -sf -D "$TMP/h" -o "$TMP/index.html" "$V/"

grep -qi '^content-security-policy:.*script-src .self.' "$TMP/h" && grep -qi "frame-ancestors 'none'" "$TMP/h" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the page lacks its Content-Security-Policy"; cat "$TMP/h"; }
grep -qi '^content-type: text/html' "$TMP/h" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: / is not HTML"; }
# No inline script or handler anywhere: everything loads from this origin under the CSP.
if grep -Eqi '<script>|<script [^>]*>[^<]|on(click|load|error)=' "$TMP/index.html" "$HERE"/../../web/*.html "$HERE"/../../web/*.js; then
  failed=$((failed + 1)); echo "FAIL: inline script in the Observer"; else passed=$((passed + 1)); fi
for f in app.js verify.js style.css; do
  expect 0 "GET /$f" -- curl -sf -o /dev/null "$V/$f"
done
expect 0 "an unknown page is 404" -- bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' '$V/secrets.txt') = 404 ]"
expect 0 "API answers carry a CSP that loads nothing" -- bash -c \
  "curl -sI '$V/healthz' | grep -qi \"^content-security-policy: default-src 'none'\""

# --- some real data: a gateway earns a passport, two chats leave receipts ---
start_echo echo
mkdir -p "$TMP/gwmodel"
printf 'tiny test model\n' >"$TMP/gwmodel/m.gguf"
cat >"$TMP/gw.json" <<JSON
{"upstream": "http://$ECHO", "verifier": "$V", "environment": "obs",
 "models": ["$TMP/gwmodel"],
 "auditors": [{"name": "pii", "phases": ["request", "response"], "actions": {"email": "redact", "card": "redact"}}]}
JSON
"$VT" gateway --config "$TMP/gw.json" --platform tdx --simulate --measure-only >"$TMP/gw-m.json" 2>"$TMP/gw-m.err" ||
  { echo "FAIL: gateway --measure-only"; cat "$TMP/gw-m.err"; exit 1; }
mapfile -t envargs < <(jq -r '.events[] | "--\(.component)\n\(.digest)"' "$TMP/gw-m.json")
mapfile -t image < <(sim_tdx_image_args)
"$VT" env create obs --verifier "$V" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
  --description "observer test" "${envargs[@]}" "${image[@]}" >/dev/null || { echo "FAIL: env create"; exit 1; }
start_gateway gw "$TMP/gw.json" --platform tdx --simulate --threads 1
for _ in $(seq 200); do grep -q listening "$TMP/gw.out" 2>/dev/null && break; sleep 0.05; done
for i in 1 2; do
  expect 0 "chat $i" -- "$VT" chat --gateway "http://$GW" --verifier "$V" --environment obs --trust-sim --model echo \
    --save-receipt "$TMP/r$i.jwt" "Write to jane.doe@example.com about order $i"
done
RID=$(jq -r .receipt <("$VT" receipt show --json "$TMP/r1.jwt"))
for _ in $(seq 100); do curl -sf "$V/v1/receipts/$RID" >/dev/null && break; sleep 0.05; done

# --- the browser ---
CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ] || ! command -v npm >/dev/null; then
  echo "browser half skipped: chromium or npm not installed"
  finish; exit $?
fi
cache="${VERITEE_BUILD:-$TMP}/npm-observer"
mkdir -p "$cache"
cp "$HERE/observer/package.json" "$HERE/observer/observer.mjs" "$cache/"
if [ ! -d "$cache/node_modules/playwright-core" ]; then
  (cd "$cache" && timeout 120 npm install --no-audit --no-fund --silent >"$TMP/npm.log" 2>&1) ||
    { echo "browser half skipped: npm install playwright-core failed (offline?)"; tail -5 "$TMP/npm.log"; finish; exit $?; }
fi
shots="${VERITEE_SCREENSHOTS:-$TMP/shots}"
mkdir -p "$shots"
expect 0 "the Observer in chromium" -- timeout 120 node "$cache/observer.mjs" "$V" "$CHROMIUM" "$shots" "$RID" "$TOKEN"
contains "ok" "browser checks"
[ "$failed" -eq 0 ] || cat "$TMP/out"
finish
