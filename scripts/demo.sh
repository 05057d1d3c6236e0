#!/usr/bin/env bash
# make demo: the main job end to end on embedded defaults, no hardware needed.
# A verifier hands out a fresh nonce; the simulated TDX machine answers with a
# quote in Intel's real format bound to that nonce; the same code that checks
# real Intel quotes verifies it down to the (simulation) root.
set -euo pipefail
VT="${VERITEE_BIN:-build/veritee}"
work="$(mktemp -d /tmp/veritee-demo-XXXXXX)"
trap 'rm -rf "$work"' EXIT
export VERITEE_STATE="$work/state"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. The relying party makes a fresh nonce and an enclave key is bound to it"
nonce=$(openssl rand -hex 32)
pub=$(openssl rand -hex 65)
echo "nonce   $nonce"
echo "pubkey  ${pub:0:32}...   report_data = SHA-512(nonce || pubkey)"

say "2. The (simulated) TDX guest produces a quote in Intel's v4 format, plus PCS-format collateral"
"$VT" sim tdx --nonce "$nonce" --pubkey "$pub" --out "$work/td"
ls -l "$work/td" "$work/td/collateral" | sed 's/^/  /'

say "3. What the quote claims (parsed, not yet verified)"
"$VT" inspect "$work/td/quote.bin" >"$work/inspect.json"
head -n 24 "$work/inspect.json"

say "4. Verify: signatures, PCK chain, QE binding, collateral, TCB level, nonce binding"
"$VT" verify --trust-sim --collateral "$work/td/collateral" --nonce "$nonce" --pubkey "$pub" "$work/td/quote.bin"

say "5. The same verification as JSON, for scripts"
"$VT" verify --json --trust-sim --collateral "$work/td/collateral" --nonce "$nonce" --pubkey "$pub" \
  "$work/td/quote.bin" >"$work/verify.json"
head -n 12 "$work/verify.json"

say "6. A replayed quote (someone else's nonce) is rejected"
set +e
"$VT" verify --trust-sim --collateral "$work/td/collateral" --nonce "$(openssl rand -hex 32)" --pubkey "$pub" \
  "$work/td/quote.bin" >"$work/out"
rc=$?
grep -E 'REJECTED|error' "$work/out"
echo "(veritee exit status $rc: rejected)"

say "7. One flipped bit in the quote is rejected"
cp "$work/td/quote.bin" "$work/tampered.bin"
printf '\x42' | dd of="$work/tampered.bin" bs=1 seek=190 conv=notrunc 2>/dev/null
"$VT" verify --trust-sim --collateral "$work/td/collateral" "$work/tampered.bin" | grep -E 'REJECTED|error'

say "8. An out-of-date platform is accepted with a warning, and rejected under --strict"
"$VT" sim tdx --out-of-date --nonce "$nonce" --out "$work/old" >/dev/null
"$VT" verify --trust-sim --collateral "$work/old/collateral" "$work/old/quote.bin" | grep -E 'ACCEPTED|tcb status|advisories'
"$VT" verify --strict --trust-sim --collateral "$work/old/collateral" "$work/old/quote.bin" | grep -E 'REJECTED'

vectors="${VERITEE_VECTORS:-../shared/vectors}"
if [ -f "$vectors/tdx/gotdx-v5-tdx15/quote.bin" ]; then
  say "9. A real Intel TDX 1.5 quote, verified to the pinned Intel SGX Root CA at its collateral's time"
  "$VT" verify --at 2026-04-01T00:00:00Z --collateral "$vectors/tdx/gotdx-v5-tdx15/collateral-2026-03-lunal" \
    "$vectors/tdx/gotdx-v5-tdx15/quote.bin" >"$work/real.txt"
  head -n 12 "$work/real.txt"
fi
set -e

say "Done.  Real Intel quotes verify with the same command, without --trust-sim, against the pinned Intel SGX Root CA."
