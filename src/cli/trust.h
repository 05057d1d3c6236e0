/* CLI helpers shared by the commands that check passports and receipts
 * (passport, receipt, chat): loading tokens, the verifier's JWK Set, and the
 * checks a relying party makes on a passport before trusting its key. */
#ifndef VT_CLI_TRUST_H
#define VT_CLI_TRUST_H

#include <jansson.h>

#include "veritee/veritee.h"

/* A token given as itself, as a file holding it, or "-" (stdin); trailing
 * whitespace trimmed, NUL-terminated.  out is initialized here; the caller frees it. */
vt_status vt_cli_load_token(vt_buf *out, const char *arg, vt_err *err);
/* Like vt_cli_load_token, and "pass-<hex>" is fetched from verifier_url
 * (GET /v1/passports/ID; verifier_url NULL = a usage error naming --verifier). */
vt_status vt_cli_load_passport(vt_buf *out, const char *arg, const char *verifier_url, vt_err *err);
/* The JWK Set from a file or an http(s) URL.  *out: vt_jwks_free(). */
vt_status vt_cli_load_jwks(vt_jwks **out, const char *src, vt_err *err);
/* Like vt_cli_load_jwks; issuer (issuer_len bytes) gets the set's "issuer"
 * member, the "iss" the verifier's passports carry ("" when it names none). */
vt_status vt_cli_load_jwks_issuer(vt_jwks **out, char *issuer, size_t issuer_len, const char *src, vt_err *err);

/* Relying parties (chat, receipt verify, passport verify) never let a token
 * choose the verifier that vouches for it: the verifier comes from the user's
 * configuration only. */
#define VT_CLI_NO_VERIFIER                                                                                             \
    "no verifier is configured: give --verifier URL (the verifier whose keys you trust), --jwks FILE (its "           \
    "pinned JWK Set) or set VERITEE_VERIFIER; the passport's own issuer is never trusted to name its verifier"
/* The verifier the user trusts: flag, else $VERITEE_VERIFIER, else NULL (no
 * trailing '/').  Borrowed (static). */
const char *vt_cli_trusted_verifier(const char *flag);
/* The configured verifier's keys: jwks_src (file or URL) when given, else
 * <verifier>/.well-known/jwks.json; VT_E_ARG (VT_CLI_NO_VERIFIER) when both
 * are NULL.  issuer as in vt_cli_load_jwks_issuer.  *out: vt_jwks_free(). */
vt_status vt_cli_verifier_keys(vt_jwks **out, char *issuer, size_t issuer_len, const char *verifier,
                               const char *jwks_src, vt_err *err);
/* vt_passport_check_issuer and vt_passport_affirming (veritee/rp.h) are the relying party's
 * issuer and status checks. */
/* The passport's cnf key (attester JWK).  *out: vt_pkey_free(). */
vt_status vt_cli_passport_key(vt_pkey **out, const vt_passport_claims *c, vt_err *err);

/* The checks a command made, for people (one line each on stdout as they
 * pass or fail) or for --json (collected in `checks`). */
typedef struct vt_cli_report {
    bool json;
    bool failed;
    json_t *checks;        /* owned: [{"check","ok","detail"}] */
    char error[704];       /* the first failure's message */
} vt_cli_report;
void vt_cli_report_init(vt_cli_report *r, bool json);
void vt_cli_report_free(vt_cli_report *r);
/* Records one check: passed when rc is VT_OK (detail from fmt), failed
 * otherwise (detail = err's message, also on stderr).  Returns rc == VT_OK. */
bool vt_cli_check(vt_cli_report *r, const char *name, vt_status rc, const vt_err *err, const char *fmt, ...)
    VT_PRINTF(5, 6);
/* A notice that is neither a pass nor a failure (e.g. simulated hardware). */
void vt_cli_note(vt_cli_report *r, const char *name, const char *fmt, ...) VT_PRINTF(3, 4);
/* The receipt's payload as indented JSON on stdout. */
void vt_cli_print_receipt(const vt_receipt *rc);
/* The payload as a JSON value (NULL on failure). */
json_t *vt_cli_receipt_json(const vt_receipt *rc);

#endif
