/* Passport and JWKS loading shared by the passport, receipt and chat commands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "remote.h"
#include "trust.h"

static bool looks_like_jws(const char *arg)
{
    const char *dot = strchr(arg, '.');
    return strcmp(arg, "-") != 0 && dot != NULL && strchr(arg, '/') == NULL && strlen(arg) > 40 &&
           dot != strrchr(arg, '.');
}

static bool is_passport_id(const char *arg)
{
    size_t n = strlen(arg);
    return n > 5 && n < 48 && strncmp(arg, "pass-", 5) == 0 && strspn(arg + 5, "0123456789abcdef") == n - 5;
}

vt_status vt_cli_load_token(vt_buf *out, const char *arg, vt_err *err)
{
    vt_status rc;

    vt_buf_init(out);
    if (looks_like_jws(arg))
        rc = vt_buf_append_str(out, arg, err);
    else
        rc = vt_cli_read(out, arg, VT_JWS_MAX + 2, err);
    while (rc == VT_OK && out->len > 0 &&
           (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r' || out->data[out->len - 1] == ' '))
        out->len--;
    if (rc == VT_OK)
        rc = vt_buf_terminate(out, err);
    return rc;
}

vt_status vt_cli_load_passport(vt_buf *out, const char *arg, const char *verifier_url, vt_err *err)
{
    json_t *reply = NULL;
    const char *tok;
    char path[96];
    vt_status rc;

    if (!is_passport_id(arg))
        return vt_cli_load_token(out, arg, err);
    vt_buf_init(out);
    if (verifier_url == NULL)
        return vt_err_set(err, VT_E_ARG, "passport %s: give --verifier URL to fetch it", arg);
    snprintf(path, sizeof(path), "/v1/passports/%s", arg);
    rc = vt_cli_call(&reply, "GET", verifier_url, path, NULL, NULL, err);
    if (rc != VT_OK)
        return rc;
    tok = json_string_value(json_object_get(reply, "token"));
    if (tok == NULL || strlen(tok) > VT_JWS_MAX)
        rc = vt_err_set(err, VT_E_FORMAT, "GET %s%s: no passport token in the reply", verifier_url, path);
    else
        rc = vt_buf_append_str(out, tok, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(out, err);
    json_decref(reply);
    return rc;
}

vt_status vt_cli_load_jwks_issuer(vt_jwks **out, char *issuer, size_t issuer_len, const char *src, vt_err *err)
{
    vt_buf jw;
    vt_status rc;

    *out = NULL;
    if (issuer != NULL && issuer_len > 0)
        issuer[0] = '\0';
    vt_buf_init(&jw);
    rc = vt_cli_fetch_text(&jw, src, (size_t)64 << 10, err);
    if (rc == VT_OK)
        rc = vt_jwks_parse_issuer(out, issuer, issuer_len, (const char *)jw.data, jw.len, err);
    /* A JWKS that cannot be read is bad input, not a rejected passport. */
    if (rc == VT_E_CRYPTO || rc == VT_E_POLICY)
        rc = VT_E_FORMAT;
    vt_buf_free(&jw);
    return rc;
}

vt_status vt_cli_load_jwks(vt_jwks **out, const char *src, vt_err *err)
{
    return vt_cli_load_jwks_issuer(out, NULL, 0, src, err);
}

const char *vt_cli_trusted_verifier(const char *flag)
{
    static char buf[1024];
    const char *v = flag;
    size_t n;

    /* Only the user's own configuration: never a name found in a token. */
    if (v == NULL || *v == '\0')
        v = getenv("VERITEE_VERIFIER");
    if (v == NULL || *v == '\0')
        return NULL;
    snprintf(buf, sizeof(buf), "%s", v);
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '/')
        buf[--n] = '\0';
    return buf;
}

vt_status vt_cli_verifier_keys(vt_jwks **out, char *issuer, size_t issuer_len, const char *verifier,
                               const char *jwks_src, vt_err *err)
{
    char url[1200];

    *out = NULL;
    if (jwks_src == NULL && verifier == NULL)
        return vt_err_set(err, VT_E_ARG, "%s", VT_CLI_NO_VERIFIER);
    if (jwks_src == NULL) {
        if (snprintf(url, sizeof(url), "%s/.well-known/jwks.json", verifier) >= (int)sizeof(url))
            return vt_err_set(err, VT_E_ARG, "--verifier: URL too long");
        jwks_src = url;
    }
    return vt_cli_load_jwks_issuer(out, issuer, issuer_len, jwks_src, err);
}

vt_status vt_cli_passport_key(vt_pkey **out, const vt_passport_claims *c, vt_err *err)
{
    *out = NULL;
    if (c->attester_jwk == NULL)
        return vt_err_set(err, VT_E_POLICY, "passport %s carries no enclave key (cnf.jwk)", c->id);
    return vt_jwk_to_pkey(out, c->attester_jwk, strlen(c->attester_jwk), err);
}

void vt_cli_report_init(vt_cli_report *r, bool json)
{
    memset(r, 0, sizeof(*r));
    r->json = json;
    r->checks = json_array();
}

void vt_cli_report_free(vt_cli_report *r)
{
    json_decref(r->checks);
    r->checks = NULL;
}

static void record(vt_cli_report *r, const char *name, const char *status, const char *detail)
{
    if (r->json)
        json_array_append_new(r->checks, json_pack("{s:s, s:s, s:s}", "check", name, "status", status, "detail", detail));
    else
        printf("  %-4s %-13s %s\n", status, name, detail);
    fflush(stdout);
}

bool vt_cli_check(vt_cli_report *r, const char *name, vt_status rc, const vt_err *err, const char *fmt, ...)
{
    char detail[640];
    va_list ap;

    if (rc == VT_OK) {
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        record(r, name, "ok", detail);
        return true;
    }
    snprintf(detail, sizeof(detail), "%s", err != NULL && err->msg[0] ? err->msg : vt_status_str(rc));
    record(r, name, "FAIL", detail);
    if (!r->failed)
        snprintf(r->error, sizeof(r->error), "%s: %s", name, detail);
    fprintf(stderr, "veritee: %s: %s\n", name, detail);
    r->failed = true;
    return false;
}

void vt_cli_note(vt_cli_report *r, const char *name, const char *fmt, ...)
{
    char detail[640];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    record(r, name, "note", detail);
}

json_t *vt_cli_receipt_json(const vt_receipt *rc)
{
    char *s = NULL;
    json_t *j = NULL;

    if (vt_receipt_to_json(&s, rc, NULL) == VT_OK)
        j = json_loads(s, 0, NULL);
    free(s);
    return j;
}

void vt_cli_print_receipt(const vt_receipt *rc)
{
    char *s = NULL;

    if (vt_receipt_to_json(&s, rc, NULL) == VT_OK)
        printf("%s\n", s);
    free(s);
}
