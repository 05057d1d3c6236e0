/*
 * AWS Nitro Enclaves attestation document parser (see nitro_doc.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cbor.h>

#include "tee/nitro_doc.h"

/* ---- pre-scan: bounded structural walk before libcbor allocates ---- */

typedef struct scan {
    size_t left;                      /* bytes not yet consumed */
    size_t depth;                     /* open arrays/maps */
    uint64_t pending[NITRO_DEPTH_MAX + 1]; /* items still expected at each level */
    bool failed;
    const char *why;
} scan;

static void scan_fail(scan *s, const char *why)
{
    if (!s->failed) {
        s->failed = true;
        s->why = why;
    }
}

/* One complete item (scalar, string, or a closed container) at the current level. */
static void scan_item_done(scan *s)
{
    while (s->depth > 0) {
        if (s->pending[s->depth] == 0) {
            scan_fail(s, "structure is inconsistent");
            return;
        }
        s->pending[s->depth]--;
        if (s->pending[s->depth] > 0)
            return;
        s->depth--;               /* container closed: it counts as one item of its parent */
    }
    s->pending[0]++;              /* a top-level item completed */
}

static void scan_open(scan *s, uint64_t items)
{
    if (s->depth >= NITRO_DEPTH_MAX) {
        scan_fail(s, "nests deeper than expected");
        return;
    }
    /* Every item takes at least one byte: never believe a larger count. */
    if (items > s->left) {
        scan_fail(s, "declares more items than it has bytes");
        return;
    }
    if (items == 0) {
        scan_item_done(s);
        return;
    }
    s->depth++;
    s->pending[s->depth] = items;
}

static void cb_uint8(void *c, uint8_t v) { (void)v; scan_item_done(c); }
static void cb_uint16(void *c, uint16_t v) { (void)v; scan_item_done(c); }
static void cb_uint32(void *c, uint32_t v) { (void)v; scan_item_done(c); }
static void cb_uint64(void *c, uint64_t v) { (void)v; scan_item_done(c); }
static void cb_string(void *c, cbor_data d, size_t n) { (void)d; (void)n; scan_item_done(c); }
static void cb_null(void *c) { scan_item_done(c); }
static void cb_array(void *c, size_t n) { scan_open(c, n); }
static void cb_map(void *c, size_t n)
{
    scan *s = c;

    if (n > SIZE_MAX / 2) {
        scan_fail(s, "declares more items than it has bytes");
        return;
    }
    scan_open(s, (uint64_t)n * 2);
}
/* The only tag allowed (18, in front) is stripped before scanning. */
static void cb_tag(void *c, uint64_t v)
{
    (void)v;
    scan_fail(c, "has an unexpected CBOR tag");
}
static void cb_indef(void *c) { scan_fail(c, "uses an indefinite length"); }
static void cb_float(void *c, float v) { (void)v; scan_fail(c, "contains a float"); }
static void cb_double(void *c, double v) { (void)v; scan_fail(c, "contains a float"); }
static void cb_undef(void *c) { scan_fail(c, "contains undefined"); }
static void cb_bool(void *c, bool v) { (void)v; scan_fail(c, "contains a boolean"); }

static const struct cbor_callbacks scan_callbacks = {
    .uint8 = cb_uint8, .uint16 = cb_uint16, .uint32 = cb_uint32, .uint64 = cb_uint64,
    .negint8 = cb_uint8, .negint16 = cb_uint16, .negint32 = cb_uint32, .negint64 = cb_uint64,
    .byte_string = cb_string, .byte_string_start = cb_indef,
    .string = cb_string, .string_start = cb_indef,
    .array_start = cb_array, .indef_array_start = cb_indef,
    .map_start = cb_map, .indef_map_start = cb_indef,
    .tag = cb_tag,
    .float2 = cb_float, .float4 = cb_float, .float8 = cb_double,
    .undefined = cb_undef, .null = cb_null, .boolean = cb_bool, .indef_break = cb_indef,
};

/* Exactly one well-formed item, within limits, filling all len bytes. */
static vt_status prescan(const uint8_t *p, size_t len, const char *what, vt_err *err)
{
    scan s;
    size_t off = 0;

    memset(&s, 0, sizeof(s));
    while (off < len && !s.failed && s.pending[0] == 0) {
        struct cbor_decoder_result r;

        s.left = len - off;
        r = cbor_stream_decode(p + off, len - off, &scan_callbacks, &s);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || r.read > len - off)
            return vt_err_set(err, VT_E_FORMAT, "nitro: %s is truncated or malformed CBOR", what);
        off += r.read;
        s.left = len - off;
    }
    if (s.failed)
        return vt_err_set(err, VT_E_FORMAT, "nitro: %s %s", what, s.why);
    if (s.pending[0] != 1)
        return vt_err_set(err, VT_E_FORMAT, "nitro: %s is truncated CBOR", what);
    if (off != len)
        return vt_err_set(err, VT_E_FORMAT, "nitro: %s has %zu trailing bytes", what, len - off);
    return VT_OK;
}

/* Pre-scans then loads; *out is a new item (cbor_decref) on VT_OK. */
static vt_status load_item(cbor_item_t **out, const uint8_t *p, size_t len, const char *what, vt_err *err)
{
    struct cbor_load_result lr;
    vt_status rc;

    *out = NULL;
    rc = prescan(p, len, what, err);
    if (rc != VT_OK)
        return rc;
    memset(&lr, 0, sizeof(lr));
    *out = cbor_load(p, len, &lr);
    if (*out == NULL) {
        if (lr.error.code == CBOR_ERR_MEMERROR)
            return vt_err_set(err, VT_E_NOMEM, "nitro: out of memory decoding %s", what);
        return vt_err_set(err, VT_E_FORMAT, "nitro: %s is malformed CBOR", what);
    }
    if (lr.read != len) {
        cbor_decref(out);
        return vt_err_set(err, VT_E_FORMAT, "nitro: %s has trailing bytes", what);
    }
    return VT_OK;
}

/* ---- helpers over decoded items ---- */

static bool is_bstr(const cbor_item_t *it)
{
    return it != NULL && cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it);
}

static bool is_tstr(const cbor_item_t *it)
{
    return it != NULL && cbor_isa_string(it) && cbor_string_is_definite(it);
}

static bool tstr_eq(const cbor_item_t *it, const char *s)
{
    size_t n = strlen(s);

    return is_tstr(it) && cbor_string_length(it) == n && memcmp(cbor_string_handle(it), s, n) == 0;
}

/* Integer value of a uint/negint item, when it fits int64_t. */
static bool get_int(const cbor_item_t *it, int64_t *v)
{
    uint64_t u;

    if (it == NULL || !(cbor_isa_uint(it) || cbor_isa_negint(it)))
        return false;
    u = cbor_get_int(it);
    if (u > (uint64_t)INT64_MAX)
        return false;
    *v = cbor_isa_uint(it) ? (int64_t)u : -1 - (int64_t)u;
    return true;
}

static vt_status get_cert(vt__nitro_cert *out, const cbor_item_t *it, const char *what, vt_err *err)
{
    size_t n;

    if (!is_bstr(it))
        return vt_err_set(err, VT_E_FORMAT, "nitro: %s is not a byte string", what);
    n = cbor_bytestring_length(it);
    if (n == 0 || n > NITRO_CERT_MAX)
        return vt_err_set(err, VT_E_FORMAT, "nitro: %s is %zu bytes (1..%d allowed)", what, n, NITRO_CERT_MAX);
    memcpy(out->der, cbor_bytestring_handle(it), n);
    out->len = n;
    return VT_OK;
}

static vt_status get_opt(vt__nitro_bytes *out, const cbor_item_t *it, const char *what, vt_err *err)
{
    size_t n;

    if (cbor_is_null(it))
        return VT_OK;
    if (!is_bstr(it))
        return vt_err_set(err, VT_E_FORMAT, "nitro: %s is neither a byte string nor null", what);
    n = cbor_bytestring_length(it);
    if (n > NITRO_OPT_MAX)
        return vt_err_set(err, VT_E_FORMAT, "nitro: %s is %zu bytes (at most %d allowed)", what, n, NITRO_OPT_MAX);
    if (n > 0)
        memcpy(out->data, cbor_bytestring_handle(it), n);
    out->len = n;
    out->present = true;
    return VT_OK;
}

/* ---- protected header ---- */

static vt_status parse_protected(vt__nitro_doc *d, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    cbor_item_t *m = NULL;
    struct cbor_pair *pairs;
    bool have_alg = false;

    if (len == 0)
        return vt_err_set(err, VT_E_FORMAT, "nitro: protected header is empty (alg required)");
    rc = load_item(&m, p, len, "protected header", err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_FORMAT;
    if (!cbor_isa_map(m)) {
        vt_err_set(err, rc, "nitro: protected header is not a map");
        goto out;
    }
    pairs = cbor_map_handle(m);
    for (size_t i = 0; i < cbor_map_size(m); i++) {
        int64_t label, v;

        if (!get_int(pairs[i].key, &label) || label != 1 || have_alg) {
            vt_err_set(err, rc, "nitro: protected header has a label other than one alg (1)");
            goto out;
        }
        if (!get_int(pairs[i].value, &v)) {
            vt_err_set(err, rc, "nitro: protected header alg is not an integer");
            goto out;
        }
        d->alg = v;
        have_alg = true;
    }
    if (!have_alg) {
        vt_err_set(err, rc, "nitro: protected header has no alg (1)");
        goto out;
    }
    if (d->alg != NITRO_ALG_ES384) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "nitro: protected header alg %lld is not ES384 (-35)",
                        (long long)d->alg);
        goto out;
    }
    rc = VT_OK;
out:
    if (m != NULL)
        cbor_decref(&m);
    return rc;
}

/* ---- payload ---- */

enum {
    F_MODULE_ID = 1u << 0, F_DIGEST = 1u << 1, F_TIMESTAMP = 1u << 2, F_PCRS = 1u << 3,
    F_CERTIFICATE = 1u << 4, F_CABUNDLE = 1u << 5, F_PUBLIC_KEY = 1u << 6, F_USER_DATA = 1u << 7,
    F_NONCE = 1u << 8,
};
#define F_REQUIRED (F_MODULE_ID | F_DIGEST | F_TIMESTAMP | F_PCRS | F_CERTIFICATE | F_CABUNDLE)

static vt_status parse_pcrs(vt__nitro_doc *d, const cbor_item_t *m, vt_err *err)
{
    struct cbor_pair *pairs;
    size_t n;

    if (m == NULL || !cbor_isa_map(m))
        return vt_err_set(err, VT_E_FORMAT, "nitro: pcrs is not a map");
    n = cbor_map_size(m);
    if (n == 0 || n > NITRO_PCR_MAX)
        return vt_err_set(err, VT_E_FORMAT, "nitro: pcrs has %zu entries (1..%d allowed)", n, NITRO_PCR_MAX);
    pairs = cbor_map_handle(m);
    for (size_t i = 0; i < n; i++) {
        int64_t idx;

        if (!get_int(pairs[i].key, &idx) || idx < 0 || idx >= NITRO_PCR_MAX)
            return vt_err_set(err, VT_E_FORMAT, "nitro: pcrs index is not an integer 0..%d", NITRO_PCR_MAX - 1);
        if (d->pcr_mask & (1u << idx))
            return vt_err_set(err, VT_E_FORMAT, "nitro: pcrs index %lld appears twice", (long long)idx);
        if (!is_bstr(pairs[i].value) || cbor_bytestring_length(pairs[i].value) != NITRO_PCR_LEN)
            return vt_err_set(err, VT_E_FORMAT, "nitro: pcrs PCR%lld is not a %d-byte SHA-384 value",
                              (long long)idx, NITRO_PCR_LEN);
        memcpy(d->pcrs[idx], cbor_bytestring_handle(pairs[i].value), NITRO_PCR_LEN);
        d->pcr_mask |= 1u << idx;
    }
    d->pcr_count = n;
    for (int i = 0; i < 3; i++)
        if (!(d->pcr_mask & (1u << i)))
            return vt_err_set(err, VT_E_FORMAT, "nitro: pcrs PCR%d is missing", i);
    return VT_OK;
}

static vt_status parse_cabundle(vt__nitro_doc *d, const cbor_item_t *a, vt_err *err)
{
    cbor_item_t **items;
    size_t n;
    char what[32];
    vt_status rc;

    if (a == NULL || !cbor_isa_array(a) || !cbor_array_is_definite(a))
        return vt_err_set(err, VT_E_FORMAT, "nitro: cabundle is not an array");
    n = cbor_array_size(a);
    if (n == 0 || n > NITRO_CABUNDLE_MAX)
        return vt_err_set(err, VT_E_FORMAT, "nitro: cabundle has %zu certificates (1..%d allowed)", n,
                          NITRO_CABUNDLE_MAX);
    items = cbor_array_handle(a);
    for (size_t i = 0; i < n; i++) {
        snprintf(what, sizeof(what), "cabundle[%zu]", i);
        rc = get_cert(&d->cabundle[i], items[i], what, err);
        if (rc != VT_OK)
            return rc;
    }
    d->cabundle_count = n;
    return VT_OK;
}

/* One key/value of the payload map; *seen guards against duplicates. */
static vt_status parse_field(vt__nitro_doc *d, const cbor_item_t *k, const cbor_item_t *v, uint32_t *seen,
                             vt_err *err)
{
    static const struct { const char *name; uint32_t flag; } fields[] = {
        { "module_id", F_MODULE_ID }, { "digest", F_DIGEST }, { "timestamp", F_TIMESTAMP },
        { "pcrs", F_PCRS }, { "certificate", F_CERTIFICATE }, { "cabundle", F_CABUNDLE },
        { "public_key", F_PUBLIC_KEY }, { "user_data", F_USER_DATA }, { "nonce", F_NONCE },
    };
    uint32_t flag = 0;
    size_t n;

    if (!is_tstr(k))
        return vt_err_set(err, VT_E_FORMAT, "nitro: payload has a key that is not a text string");
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (tstr_eq(k, fields[i].name))
            flag = fields[i].flag;
    if (flag == 0)
        return vt_err_set(err, VT_E_FORMAT, "nitro: payload has an unknown key");
    if (*seen & flag)
        return vt_err_set(err, VT_E_FORMAT, "nitro: payload has a key twice");
    *seen |= flag;
    switch (flag) {
    case F_MODULE_ID:
        if (!is_tstr(v))
            return vt_err_set(err, VT_E_FORMAT, "nitro: module_id is not a text string");
        n = cbor_string_length(v);
        if (n == 0 || n > NITRO_MODULE_ID_MAX)
            return vt_err_set(err, VT_E_FORMAT, "nitro: module_id is %zu bytes (1..%d allowed)", n,
                              NITRO_MODULE_ID_MAX);
        memcpy(d->module_id, cbor_string_handle(v), n);
        d->module_id[n] = '\0';
        if (strlen(d->module_id) != n)
            return vt_err_set(err, VT_E_FORMAT, "nitro: module_id contains a NUL byte");
        return VT_OK;
    case F_DIGEST:
        if (!is_tstr(v))
            return vt_err_set(err, VT_E_FORMAT, "nitro: digest is not a text string");
        if (!tstr_eq(v, "SHA384"))
            return vt_err_set(err, VT_E_UNSUPPORTED, "nitro: digest is not \"SHA384\"");
        snprintf(d->digest, sizeof(d->digest), "%s", "SHA384");
        return VT_OK;
    case F_TIMESTAMP:
        if (v == NULL || !cbor_isa_uint(v) || cbor_get_int(v) == 0 || cbor_get_int(v) > (uint64_t)INT64_MAX)
            return vt_err_set(err, VT_E_FORMAT, "nitro: timestamp is not a positive integer (milliseconds)");
        d->timestamp_ms = cbor_get_int(v);
        return VT_OK;
    case F_PCRS:
        return parse_pcrs(d, v, err);
    case F_CERTIFICATE:
        return get_cert(&d->certificate, v, "certificate", err);
    case F_CABUNDLE:
        return parse_cabundle(d, v, err);
    case F_PUBLIC_KEY:
        return get_opt(&d->public_key, v, "public_key", err);
    case F_USER_DATA:
        return get_opt(&d->user_data, v, "user_data", err);
    default:
        return get_opt(&d->nonce, v, "nonce", err);
    }
}

static vt_status parse_payload(vt__nitro_doc *d, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    cbor_item_t *m = NULL;
    struct cbor_pair *pairs;
    uint32_t seen = 0;

    rc = load_item(&m, p, len, "payload", err);
    if (rc != VT_OK)
        goto out;
    if (!cbor_isa_map(m)) {
        rc = vt_err_set(err, VT_E_FORMAT, "nitro: payload is not a map");
        goto out;
    }
    pairs = cbor_map_handle(m);
    for (size_t i = 0; i < cbor_map_size(m); i++) {
        rc = parse_field(d, pairs[i].key, pairs[i].value, &seen, err);
        if (rc != VT_OK)
            goto out;
    }
    if ((seen & F_REQUIRED) != F_REQUIRED) {
        rc = vt_err_set(err, VT_E_FORMAT, "nitro: payload lacks a required field (%s)",
                        !(seen & F_MODULE_ID) ? "module_id" : !(seen & F_DIGEST) ? "digest"
                        : !(seen & F_TIMESTAMP) ? "timestamp" : !(seen & F_PCRS) ? "pcrs"
                        : !(seen & F_CERTIFICATE) ? "certificate" : "cabundle");
        goto out;
    }
    rc = VT_OK;
out:
    if (m != NULL)
        cbor_decref(&m);
    return rc;
}

/* ---- Sig_structure ---- */

static bool tbs_put(vt__nitro_doc *d, size_t n)
{
    if (n == 0 || n > sizeof(d->tbs) - d->tbs_len)
        return false;
    d->tbs_len += n;
    return true;
}

static vt_status build_tbs(vt__nitro_doc *d, const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                           size_t payload_len, vt_err *err)
{
    static const char ctx[] = "Signature1";
    bool ok;

    d->tbs_len = 0;
    ok = tbs_put(d, cbor_encode_array_start(4, d->tbs, sizeof(d->tbs)));
    ok = ok && tbs_put(d, cbor_encode_string_start(sizeof(ctx) - 1, d->tbs + d->tbs_len, sizeof(d->tbs) - d->tbs_len));
    if (ok && sizeof(ctx) - 1 <= sizeof(d->tbs) - d->tbs_len) {
        memcpy(d->tbs + d->tbs_len, ctx, sizeof(ctx) - 1);
        d->tbs_len += sizeof(ctx) - 1;
    } else {
        ok = false;
    }
    ok = ok && tbs_put(d, cbor_encode_bytestring_start(prot_len, d->tbs + d->tbs_len, sizeof(d->tbs) - d->tbs_len));
    if (ok && prot_len <= sizeof(d->tbs) - d->tbs_len) {
        memcpy(d->tbs + d->tbs_len, prot, prot_len);
        d->tbs_len += prot_len;
    } else {
        ok = false;
    }
    ok = ok && tbs_put(d, cbor_encode_bytestring_start(0, d->tbs + d->tbs_len, sizeof(d->tbs) - d->tbs_len));
    ok = ok && tbs_put(d, cbor_encode_bytestring_start(payload_len, d->tbs + d->tbs_len, sizeof(d->tbs) - d->tbs_len));
    if (ok && payload_len <= sizeof(d->tbs) - d->tbs_len) {
        memcpy(d->tbs + d->tbs_len, payload, payload_len);
        d->tbs_len += payload_len;
    } else {
        ok = false;
    }
    if (!ok)
        return vt_err_set(err, VT_E_LIMIT, "nitro: Sig_structure does not fit %d bytes", NITRO_TBS_MAX);
    return VT_OK;
}

/* ---- the document ---- */

bool vt__nitro_doc_probe(const uint8_t *p, size_t len)
{
    size_t i = 0;

    if (p == NULL || len < 5)
        return false;
    if (p[0] == 0xd2)
        i = 1;
    else if (p[0] == 0xd8 && p[1] == 18)
        i = 2;
    /* array(4), then a definite byte string (major type 2, lengths 0..23 or 1/2-byte). */
    return p[i] == 0x84 && p[i + 1] >= 0x40 && p[i + 1] <= 0x59;
}

static vt_status parse_doc(vt__nitro_doc *d, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    cbor_item_t *root = NULL, *arr, **items;
    const uint8_t *prot, *payload;
    size_t prot_len, payload_len;

    if (p == NULL || len == 0)
        return vt_err_set(err, VT_E_FORMAT, "nitro: document is empty");
    if (len > NITRO_DOC_MAX)
        return vt_err_set(err, VT_E_LIMIT, "nitro: document is %zu bytes (at most %d)", len, NITRO_DOC_MAX);
    /* Tag 18 (COSE_Sign1) in front: stripped here, because libcbor 0.8's
     * streaming decoder rejects the one-byte tag heads 0xc6..0xd4. */
    if (p[0] == 0xd2) {
        d->tagged = true;
        p++;
        len--;
    } else if (len >= 2 && p[0] == 0xd8 && p[1] == 18) {
        d->tagged = true;
        p += 2;
        len -= 2;
    }
    if (len == 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "nitro: document is truncated CBOR");
        goto out;
    }
    rc = load_item(&root, p, len, "document", err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_FORMAT;
    arr = root;
    if (arr == NULL || !cbor_isa_array(arr) || cbor_array_size(arr) != 4) {
        vt_err_set(err, rc, "nitro: document is not a COSE_Sign1 array of 4");
        goto out;
    }
    items = cbor_array_handle(arr);
    if (!is_bstr(items[0])) {
        vt_err_set(err, rc, "nitro: protected header is not a byte string");
        goto out;
    }
    if (items[1] == NULL || !cbor_isa_map(items[1]) || cbor_map_size(items[1]) != 0) {
        vt_err_set(err, rc, "nitro: unprotected header is not an empty map");
        goto out;
    }
    if (!is_bstr(items[2]) || cbor_bytestring_length(items[2]) == 0) {
        vt_err_set(err, rc, "nitro: payload is not a non-empty byte string");
        goto out;
    }
    if (!is_bstr(items[3]) || cbor_bytestring_length(items[3]) != NITRO_SIG_LEN) {
        vt_err_set(err, rc, "nitro: signature is not a %d-byte ES384 r||s", NITRO_SIG_LEN);
        goto out;
    }
    prot = cbor_bytestring_handle(items[0]);
    prot_len = cbor_bytestring_length(items[0]);
    payload = cbor_bytestring_handle(items[2]);
    payload_len = cbor_bytestring_length(items[2]);
    memcpy(d->sig, cbor_bytestring_handle(items[3]), NITRO_SIG_LEN);
    d->protected_len = prot_len;
    d->payload_len = payload_len;
    rc = parse_protected(d, prot, prot_len, err);
    if (rc == VT_OK)
        rc = parse_payload(d, payload, payload_len, err);
    if (rc == VT_OK)
        rc = build_tbs(d, prot, prot_len, payload, payload_len, err);
out:
    if (root != NULL)
        cbor_decref(&root);
    return rc;
}

vt_status vt__nitro_doc_parse(vt__nitro_doc *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;

    memset(out, 0, sizeof(*out));
    rc = parse_doc(out, p, len, err);
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}
