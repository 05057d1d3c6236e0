#!/usr/bin/env bash
# The Observer (the verifier's dashboard at /) in a real browser: Debian's
# chromium driven headless by playwright-core (npm), against a verifier, a
# gateway under the TDX simulator and the echo upstream started here.  Then
# CORS in the same browser (observer/cors.mjs): a web app's page on another
# origin chats through the gateway and reads its receipt (also through the
# official OpenAI SDK, with its x-stainless-* headers), a page of an unlisted
# site gets nothing.  Without chromium or the npm package (offline) the browser
# half is skipped; the HTTP half (pages, headers, no inline script) always runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
[ -x "$ECHO_BIN" ] || { echo "skipped: $ECHO_BIN not built"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"

. "$HERE/deploy_lib.sh"
# The web app's pages are served from 127.0.0.1 on a port of their own (cors.mjs), as
# http://app.test:PORT: the origin both services list.
PAGE_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DEPLOY_ORIGIN="http://app.test:$PAGE_PORT"
deploy_sim obs

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

# --- some real data: the gateway earned a passport; two chats leave receipts ---
for i in 1 2; do
  expect 0 "chat $i" -- "$VT" chat --gateway "http://$GW" --verifier "$V" --environment obs --trust-sim --model echo \
    --save-receipt "$TMP/r$i.jwt" "Write to jane.doe@example.com about order $i"
done
RID=$(jq -r .receipt <("$VT" receipt show --json "$TMP/r1.jwt"))
RID2=$(jq -r .receipt <("$VT" receipt show --json "$TMP/r2.jwt"))
for r in "$RID" "$RID2"; do
  for _ in $(seq 100); do curl -sf "$V/v1/receipts/$r" >/dev/null && break; sleep 0.05; done
done

# --- the browser ---
CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ] || ! command -v npm >/dev/null; then
  echo "browser half skipped: chromium or npm not installed"
  finish; exit $?
fi
cache="${VERITEE_BUILD:-$TMP}/npm-observer"
mkdir -p "$cache"
cp "$HERE/observer/package.json" "$HERE/observer/observer.mjs" "$HERE/observer/cors.mjs" "$cache/"
if [ ! -d "$cache/node_modules/playwright-core" ] || [ ! -d "$cache/node_modules/openai" ]; then
  (cd "$cache" && timeout 120 npm install --no-audit --no-fund --silent >"$TMP/npm.log" 2>&1) ||
    { echo "browser half skipped: npm install playwright-core openai failed (offline?)"; tail -5 "$TMP/npm.log"; finish; exit $?; }
fi
shots="${VERITEE_SCREENSHOTS:-$TMP/shots}"
mkdir -p "$shots"
timeout 240 node "$cache/observer.mjs" "$V" "$CHROMIUM" "$shots" "$RID" "$TOKEN" "$RID2" >"$TMP/out" 2>&1
st=$?
if [ "$st" -eq 3 ]; then cat "$TMP/out"; echo "browser half skipped"; finish; exit $?; fi
if [ "$st" -eq 0 ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: the Observer in chromium: exit $st"; fi
contains "ok" "browser checks"
[ "$failed" -eq 0 ] || cat "$TMP/out"
cp "$TMP/out" "$TMP/observer.out"
timeout 120 node "$cache/cors.mjs" "$V" "http://$GW" "$CHROMIUM" "$PAGE_PORT" >"$TMP/out" 2>&1
st=$?
if [ "$st" -eq 3 ]; then cat "$TMP/out"; echo "CORS browser half skipped"; finish; exit $?; fi
if [ "$st" -eq 0 ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: CORS in chromium: exit $st"; cat "$TMP/out"; fi
contains "ok: the listed and the loopback page" "CORS browser checks"
finish
