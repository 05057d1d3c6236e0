/*
 * The Azure confidential VM attestation envelope (azure_envelope.h,
 * docs/formats/azure-cvm.md) turned into a veritee TPM evidence container.
 * Strict: every member is known, typed and bounded before anything is
 * decoded, and each encoding has one spelling (lowercase or uppercase hex,
 * base64url with correct padding or none, integers 0..255).  Nothing is
 * verified here: the TPM plugin does that on the container.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/azure_envelope.h"

#define SHA256_LEN 32u

typedef enum enc { ENC_BYTES, ENC_HEX, ENC_B64URL } enc;

/* One decoded part, for the container. */
typedef struct part {
    vt_tpm_part type;
    uint16_t alg;
    vt_buf b;
} part;

enum { P_ATTEST, P_SIG, P_PCRS, P_HCL, P_VCEK, P_TD_QUOTE, P_COUNT };

typedef struct envelope {
    json_int_t version; /* 0 when absent */
    part parts[P_COUNT];
    bool present[P_COUNT];
} envelope;

static bool ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The members an envelope may have (the converter refuses any other). */
static bool envelope_member(const uint8_t *k, size_t n)
{
    static const char *const names[] = { "version", "quote", "report", "vcek", "tpm_quote", "hcl_report", "td_quote" };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && memcmp(names[i], k, n) == 0)
            return true;
    return false;
}

/* Reads `"key"` (no escapes, at most 16 bytes) after white space. */
static bool probe_key(vt_rd *r, const uint8_t **k, size_t *n)
{
    while (r->left > 0 && ws(r->p[0]))
        vt_rd_skip(r, 1);
    if (vt_rd_u8(r) != '"')
        return false;
    *k = r->p;
    for (*n = 0; *n <= 16 && r->left > 0 && r->p[0] != '"' && r->p[0] != '\\'; (*n)++)
        vt_rd_skip(r, 1);
    return vt_rd_u8(r) == '"' && vt_rd_ok(r);
}

bool vt__azure_envelope_probe(const uint8_t *p, size_t len)
{
    const uint8_t *k;
    size_t n;
    vt_rd r;

    /* Constant time in the size: the first member must be an envelope's, and
     * when it is "version": <digits>, the second one too. */
    if (p == NULL || len < 2 || len > VT_AZURE_ENVELOPE_MAX)
        return false;
    vt_rd_init(&r, p, len);
    while (r.left > 0 && ws(r.p[0]))
        vt_rd_skip(&r, 1);
    if (vt_rd_u8(&r) != '{' || !probe_key(&r, &k, &n) || !envelope_member(k, n))
        return false;
    if (n != 7 || memcmp(k, "version", 7) != 0)
        return true;
    while (r.left > 0 && (ws(r.p[0]) || r.p[0] == ':' || (r.p[0] >= '0' && r.p[0] <= '9') || r.p[0] == '-'))
        vt_rd_skip(&r, 1);
    return vt_rd_u8(&r) == ',' && probe_key(&r, &k, &n) && envelope_member(k, n) && vt_rd_ok(&r);
}

/* base64url as the attesters write it: its alphabet only, then no padding or
 * the padding that completes the last quantum. */
static bool b64url_strict(const char *s, size_t n)
{
    size_t pad = 0;

    while (pad < n && s[n - 1 - pad] == '=')
        pad++;
    if (pad > 2 || (pad > 0 && n % 4 != 0))
        return false;
    for (size_t i = 0; i < n - pad; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* A JSON array of integers 0..255. */
static vt_status bytes_array(vt_buf *out, json_t *v, size_t max, const char *name, vt_err *err)
{
    size_t n = json_array_size(v);
    vt_status rc;

    if (n > max)
        return vt_err_set(err, VT_E_LIMIT, "azure: %s has %zu bytes, over %zu", name, n, max);
    rc = vt_buf_reserve(out, n, err);
    for (size_t i = 0; rc == VT_OK && i < n; i++) {
        json_t *e = json_array_get(v, i);
        json_int_t b = json_is_integer(e) ? json_integer_value(e) : -1;
        uint8_t byte;

        if (b < 0 || b > 255)
            return vt_err_set(err, VT_E_FORMAT, "azure: %s[%zu] is not an integer 0..255", name, i);
        byte = (uint8_t)b;
        rc = vt_buf_append(out, &byte, 1, err);
    }
    return rc;
}

/* The bytes of one member, in the envelope version's encoding, at most max. */
static vt_status field_bytes(vt_buf *out, json_t *v, enc e, size_t max, const char *name, vt_err *err)
{
    const char *s;
    size_t n;
    vt_err sub = { 0 };

    if (e == ENC_BYTES) {
        if (!json_is_array(v))
            return vt_err_set(err, VT_E_FORMAT, "azure: %s is not an array of bytes", name);
        return bytes_array(out, v, max, name, err);
    }
    if (!json_is_string(v))
        return vt_err_set(err, VT_E_FORMAT, "azure: %s is not a %s string", name, e == ENC_HEX ? "hex" : "base64url");
    s = json_string_value(v);
    n = json_string_length(v);
    if (e == ENC_HEX) {
        if (n / 2 > max)
            return vt_err_set(err, VT_E_LIMIT, "azure: %s has %zu bytes, over %zu", name, n / 2, max);
        if (vt_hex_decode_buf(out, s, n, max, &sub) != VT_OK)
            return vt_err_set(err, VT_E_FORMAT, "azure: %s is not hex (%s)", name, sub.msg);
        return VT_OK;
    }
    if (n / 4 * 3 > max + 3)
        return vt_err_set(err, VT_E_LIMIT, "azure: %s has about %zu bytes, over %zu", name, n / 4 * 3, max);
    if (!b64url_strict(s, n) || vt_base64_decode(out, s, n, &sub) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "azure: %s is not base64url%s%s%s", name, sub.msg[0] ? " (" : "", sub.msg,
                          sub.msg[0] ? ")" : "");
    if (out->len > max)
        return vt_err_set(err, VT_E_LIMIT, "azure: %s has %zu bytes, over %zu", name, out->len, max);
    return VT_OK;
}

/* Refuses members other than the names given (NULL-terminated). */
static vt_status only_members(json_t *o, const char *const *names, const char *where, vt_err *err)
{
    const char *key;
    json_t *v;

    json_object_foreach(o, key, v) {
        size_t i = 0;
        while (names[i] != NULL && strcmp(names[i], key) != 0)
            i++;
        if (names[i] == NULL)
            return vt_err_set(err, VT_E_FORMAT, "azure: %s has an unknown member \"%.40s\"", where, key);
    }
    return VT_OK;
}

static vt_status member(json_t **out, json_t *o, const char *key, const char *where, vt_err *err)
{
    *out = json_object_get(o, key);
    if (*out == NULL)
        return vt_err_set(err, VT_E_FORMAT, "azure: %s has no \"%s\"", where, key);
    return VT_OK;
}

/* The quote object: message (TPMS_ATTEST), signature, and the SHA-256 PCRs. */
static vt_status quote_parts(envelope *ev, json_t *q, enc e, const char *qname, vt_err *err)
{
    static const char *const names[] = { "message", "signature", "pcrs", NULL };
    vt_status rc;
    json_t *msg, *sig, *pcrs, *it;
    char name[48];
    size_t i, n;

    if (!json_is_object(q))
        return vt_err_set(err, VT_E_FORMAT, "azure: %s is not an object", qname);
    rc = only_members(q, names, qname, err);
    if (rc == VT_OK)
        rc = member(&msg, q, "message", qname, err);
    if (rc == VT_OK)
        rc = member(&sig, q, "signature", qname, err);
    if (rc == VT_OK)
        rc = member(&pcrs, q, "pcrs", qname, err);
    if (rc != VT_OK)
        return rc;
    snprintf(name, sizeof(name), "%s.message", qname);
    rc = field_bytes(&ev->parts[P_ATTEST].b, msg, e, VT_AZURE_QUOTE_MAX, name, err);
    snprintf(name, sizeof(name), "%s.signature", qname);
    if (rc == VT_OK)
        rc = field_bytes(&ev->parts[P_SIG].b, sig, e, VT_AZURE_SIG_MAX, name, err);
    if (rc != VT_OK)
        return rc;
    if (ev->parts[P_ATTEST].b.len == 0 || ev->parts[P_SIG].b.len == 0)
        return vt_err_set(err, VT_E_FORMAT, "azure: %s message or signature is empty", qname);
    if (!json_is_array(pcrs))
        return vt_err_set(err, VT_E_FORMAT, "azure: %s.pcrs is not an array", qname);
    n = json_array_size(pcrs);
    if (n == 0)
        return vt_err_set(err, VT_E_FORMAT, "azure: %s.pcrs is empty", qname);
    if (n > VT_AZURE_PCRS_MAX)
        return vt_err_set(err, VT_E_LIMIT, "azure: %s.pcrs has %zu values, over %u", qname, n, VT_AZURE_PCRS_MAX);
    json_array_foreach(pcrs, i, it) {
        size_t before = ev->parts[P_PCRS].b.len;

        snprintf(name, sizeof(name), "%s.pcrs[%zu]", qname, i);
        rc = field_bytes(&ev->parts[P_PCRS].b, it, e, SHA256_LEN, name, err);
        if (rc != VT_OK)
            return rc;
        if (ev->parts[P_PCRS].b.len - before != SHA256_LEN)
            return vt_err_set(err, VT_E_FORMAT, "azure: %s is not a 32-byte SHA-256 value", name);
    }
    ev->present[P_ATTEST] = ev->present[P_SIG] = ev->present[P_PCRS] = true;
    return VT_OK;
}

static vt_status envelope_v0(envelope *ev, json_t *root, vt_err *err)
{
    static const char *const names[] = { "quote", "report", "vcek", NULL };
    vt_status rc;
    json_t *q, *report, *vcek;

    rc = only_members(root, names, "v0 envelope", err);
    if (rc == VT_OK)
        rc = member(&q, root, "quote", "v0 envelope", err);
    if (rc == VT_OK)
        rc = member(&report, root, "report", "v0 envelope", err);
    if (rc == VT_OK)
        rc = quote_parts(ev, q, ENC_BYTES, "quote", err);
    if (rc == VT_OK)
        rc = field_bytes(&ev->parts[P_HCL].b, report, ENC_BYTES, VT_AZURE_HCL_MAX, "report", err);
    if (rc != VT_OK)
        return rc;
    ev->present[P_HCL] = true;
    vcek = json_object_get(root, "vcek");
    if (vcek == NULL)
        return VT_OK;
    if (!json_is_string(vcek))
        return vt_err_set(err, VT_E_FORMAT, "azure: vcek is not a PEM string");
    if (json_string_length(vcek) > VT_AZURE_VCEK_MAX)
        return vt_err_set(err, VT_E_LIMIT, "azure: vcek has %zu bytes, over %u", json_string_length(vcek),
                          VT_AZURE_VCEK_MAX);
    ev->present[P_VCEK] = true;
    return vt_buf_append(&ev->parts[P_VCEK].b, json_string_value(vcek), json_string_length(vcek), err);
}

static vt_status envelope_v1(envelope *ev, json_t *root, vt_err *err)
{
    static const char *const names[] = { "version", "tpm_quote", "hcl_report", "vcek", "td_quote", NULL };
    vt_status rc;
    json_t *q, *hcl, *v;

    rc = only_members(root, names, "envelope", err);
    if (rc == VT_OK)
        rc = member(&q, root, "tpm_quote", "envelope", err);
    if (rc == VT_OK)
        rc = member(&hcl, root, "hcl_report", "envelope", err);
    if (rc == VT_OK)
        rc = quote_parts(ev, q, ENC_HEX, "tpm_quote", err);
    if (rc == VT_OK)
        rc = field_bytes(&ev->parts[P_HCL].b, hcl, ENC_B64URL, VT_AZURE_HCL_MAX, "hcl_report", err);
    if (rc != VT_OK)
        return rc;
    ev->present[P_HCL] = true;
    v = json_object_get(root, "vcek");
    if (v != NULL) {
        rc = field_bytes(&ev->parts[P_VCEK].b, v, ENC_B64URL, VT_AZURE_VCEK_MAX, "vcek", err);
        ev->present[P_VCEK] = true;
    }
    v = json_object_get(root, "td_quote");
    if (rc == VT_OK && v != NULL) {
        rc = field_bytes(&ev->parts[P_TD_QUOTE].b, v, ENC_B64URL, VT_AZURE_TD_QUOTE_MAX, "td_quote", err);
        ev->present[P_TD_QUOTE] = true;
    }
    return rc;
}

static vt_status envelope_parse(envelope *ev, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    json_error_t je;
    json_t *root = NULL, *ver;

    if (len > VT_AZURE_ENVELOPE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "azure: envelope is %zu bytes, over %u", len, VT_AZURE_ENVELOPE_MAX);
    root = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL || !json_is_object(root)) {
        rc = vt_err_set(err, VT_E_FORMAT, "azure: envelope is not a JSON object%s%.80s", root == NULL ? ": " : "",
                        root == NULL ? je.text : "");
        goto out;
    }
    ver = json_object_get(root, "version");
    if (ver != NULL && !json_is_integer(ver)) {
        rc = vt_err_set(err, VT_E_FORMAT, "azure: envelope version is not an integer");
        goto out;
    }
    ev->version = ver == NULL ? 0 : json_integer_value(ver);
    if (ver != NULL && ev->version != 1 && ev->version != 2) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "azure: envelope version %lld is not supported (1 or 2, or none)",
                        (long long)ev->version);
        goto out;
    }
    rc = ver == NULL ? envelope_v0(ev, root, err) : envelope_v1(ev, root, err);
out:
    json_decref(root);
    return rc;
}

vt_status vt__azure_envelope_to_container(vt_buf *out, const uint8_t *p, size_t len, vt_err *err)
{
    static const vt_tpm_part types[P_COUNT] = { VT_TPM_PART_ATTEST,     VT_TPM_PART_SIG,      VT_TPM_PART_PCRS,
                                                VT_TPM_PART_HCL_REPORT, VT_TPM_PART_HW_CERTS, VT_TPM_PART_TD_QUOTE };
    vt_status rc = VT_E_INTERNAL;
    size_t start;
    envelope *ev = NULL;

    if (out == NULL || (p == NULL && len > 0))
        return vt_err_set(err, VT_E_ARG, "azure: no envelope or no output buffer");
    start = out->len;
    ev = calloc(1, sizeof(*ev));
    if (ev == NULL)
        return vt_err_set(err, VT_E_NOMEM, "azure: out of memory");
    for (size_t i = 0; i < P_COUNT; i++) {
        vt_buf_init(&ev->parts[i].b);
        ev->parts[i].type = types[i];
    }
    ev->parts[P_PCRS].alg = VT_TPM_ALG_SHA256; /* the bank the attesters quote */
    rc = envelope_parse(ev, p, len, err);
    /* The quote and its signature first and together, as the container wants. */
    for (size_t i = 0; rc == VT_OK && i < P_COUNT; i++)
        if (ev->present[i])
            rc = vt_tpm_evidence_add(out, ev->parts[i].type, ev->parts[i].alg, ev->parts[i].b.data,
                                     ev->parts[i].b.len, err);
    if (rc == VT_OK && ev->version >= 2)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_HCL_BINDS_NONCE, 0, NULL, 0, err);
    if (rc != VT_OK)
        out->len = start;
    for (size_t i = 0; i < P_COUNT; i++)
        vt_buf_free(&ev->parts[i].b);
    free(ev);
    return rc;
}
