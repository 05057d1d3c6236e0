/*
 * Receipts: the gateway's signed statement about one response (receipt.h,
 * docs/receipts.md).  The payload is a flat JSON object; parsing it back is
 * strict (every member known, every digest 32 bytes of lowercase hex) because
 * a relying party acts on what it says.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/json_tokens.h"
#include "audit/receipt_int.h"
#include "audit/report_tree.h"
#include "veritee/jws.h"
#include "veritee/receipt.h"

const char *const vt__receipt_members[RECEIPT_NMEMBERS] = {
    "receipt", "passport", "environment", "enclave_key", "model", "request_received", "request_forwarded",
    "response", "streamed", "endpoint", "upstream_status", "status", "content_type", "coverage", "verdict",
    "auditors", "usage", "received_ms", "completed_ms", "deployments",
};
const char *const vt__receipt_deployment_members[RECEIPT_NDEPMEMBERS] = { "deployment_type", "environment",
                                                                          "gateway", "node", "passport" };

/* "deployments": at most 16 objects of exactly the five string members (each <= 512 bytes). */
static bool deployments_ok(json_t *a)
{
    size_t i;
    json_t *e;

    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > RECEIPT_DEPLOYMENTS_MAX)
        return false;
    json_array_foreach(a, i, e) {
        if (!json_is_object(e) || json_object_size(e) != RECEIPT_NDEPMEMBERS)
            return false;
        for (size_t k = 0; k < RECEIPT_NDEPMEMBERS; k++) {
            json_t *v = json_object_get(e, vt__receipt_deployment_members[k]);
            if (!json_is_string(v) || json_string_length(v) > RECEIPT_DEPLOYMENT_VALUE_MAX)
                return false;
        }
    }
    return true;
}


vt_status vt_receipt_init(vt_receipt *r, vt_err *err)
{
    uint8_t rnd[16];
    char hex[33];
    vt_status rc;

    memset(r, 0, sizeof(*r));
    r->prompt_tokens = r->completion_tokens = r->total_tokens = -1;
    rc = vt_sortable_id(rnd, sizeof(rnd), err); /* the verifier's log indexes it */
    if (rc != VT_OK)
        return rc;
    vt_hex_encode(hex, rnd, sizeof(rnd));
    snprintf(r->id, sizeof(r->id), "rcpt-%s", hex);
    return VT_OK;
}

void vt_receipt_clear(vt_receipt *r)
{
    if (r == NULL)
        return;
    free(r->auditors);
    free(r->unaudited);
    free(r->deployments);
    memset(r, 0, sizeof(*r));
}

/*
 * The payload is written straight into its buffer, in canonical form: compact,
 * every object's keys in strcmp order (what JSON_SORT_KEYS gives), so the bytes
 * are those of jansson's sorted dump of the same document without building the
 * tree (tests/unit/audit/test_receipt.c checks both).  The auditors and the
 * unaudited fields come from the report itself (vt_receipt_sign_report, the
 * gateway's path) or from JSON text in r (vt_receipt_sign).
 */
typedef struct pw {
    vt_buf *out;
    bool first; /* no member written yet in the innermost object or array */
    vt_status rc;
} pw;

static void pw_raw(pw *w, const char *s, size_t n)
{
    if (w->rc == VT_OK)
        w->rc = vt_buf_append(w->out, s, n, NULL);
}

static void pw_str(pw *w, const char *s)
{
    if (w->rc == VT_OK)
        w->rc = vt__json_put_string(w->out, (const uint8_t *)s, strlen(s), NULL);
}

/* The "," before a member or an item, unless it is the first. */
static void pw_sep(pw *w)
{
    if (!w->first)
        pw_raw(w, ",", 1);
    w->first = false;
}

/* [","] "key": */
static void pw_key(pw *w, const char *key)
{
    pw_sep(w);
    pw_str(w, key);
    pw_raw(w, ":", 1);
}

static void pw_int(pw *w, int64_t v)
{
    if (w->rc == VT_OK)
        w->rc = vt__json_put_int(w->out, v, NULL);
}

static void pw_str_member(pw *w, const char *key, const char *v)
{
    pw_key(w, key);
    pw_str(w, v);
}

static void pw_int_member(pw *w, const char *key, int64_t v)
{
    pw_key(w, key);
    pw_int(w, v);
}

static void pw_hex_member(pw *w, const char *key, const uint8_t d[32])
{
    char hex[65];

    vt_hex_encode(hex, d, 32);
    pw_str_member(w, key, hex);
}

static void pw_open(pw *w, char c)
{
    pw_raw(w, &c, 1);
    w->first = true;
}

static void pw_close(pw *w, char c)
{
    pw_raw(w, &c, 1);
    w->first = false;
}

/* A tree (from JSON text in r) in the same canonical form. */
static void pw_tree(pw *w, const json_t *t)
{
    if (w->rc == VT_OK && vt__json_dump_buf(w->out, t, JSON_COMPACT | JSON_SORT_KEYS, NULL) != VT_OK)
        w->rc = VT_E_NOMEM;
}

static void pw_phases(pw *w, unsigned bits)
{
    pw_open(w, '[');
    for (size_t i = 0; i < 4; i++)
        if (bits & (unsigned)vt__audit_phase_order[i]) {
            pw_sep(w);
            pw_str(w, vt_audit_phase_name(vt__audit_phase_order[i]));
        }
    pw_close(w, ']');
}

/* An object of integers by name, keys sorted; of equal keys the last is kept, as a tree keeps it. */
typedef struct named_int {
    const char *k;
    int64_t v;
    size_t at;
} named_int;

static int named_order(const void *a, const void *b)
{
    const named_int *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
}

static void pw_named_ints(pw *w, named_int *v, size_t n)
{
    qsort(v, n, sizeof(*v), named_order);
    pw_open(w, '{');
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || strcmp(v[i].k, v[i + 1].k) != 0)
            pw_int_member(w, v[i].k, v[i].v);
    pw_close(w, '}');
}

static void pw_entry(pw *w, const vt_audit_entry *e)
{
    named_int v[VT_AUDIT_MAX_TYPES > VT_AUDIT_MAX_NOTES ? VT_AUDIT_MAX_TYPES : VT_AUDIT_MAX_NOTES];

    pw_open(w, '{');
    for (size_t k = 0; k < e->note_len; k++)
        v[k] = (named_int){ e->notes[k].key, e->notes[k].value, k };
    pw_key(w, "annotations");
    pw_named_ints(w, v, e->note_len);
    pw_hex_member(w, "config_digest", e->config_digest);
    for (size_t k = 0; k < e->count_len; k++)
        v[k] = (named_int){ e->counts[k].type, e->counts[k].count, k };
    pw_key(w, "findings");
    pw_named_ints(w, v, e->count_len);
    pw_str_member(w, "name", e->name);
    pw_str_member(w, "phase", vt_audit_phase_name(e->phase));
    if (e->verdict == VT_AUDIT_BLOCK)
        pw_str_member(w, "reason", e->reason);
    pw_str_member(w, "verdict", vt_audit_verdict_name(e->verdict));
    pw_str_member(w, "version", e->version);
    pw_close(w, '}');
}

/* The payload of r.  The auditors and coverage.unaudited come from rep, or else from the trees
 * aud and un (r's JSON text, parsed); dep: r's deployments, parsed and checked, or NULL. */
static vt_status payload_write(vt_buf *out, const vt_receipt *r, const vt_audit_report *rep, const json_t *aud,
                               const json_t *un, const json_t *dep)
{
    pw w = { out, true, VT_OK };

    pw_open(&w, '{');
    pw_key(&w, "auditors");
    if (rep != NULL) {
        pw_open(&w, '[');
        for (size_t i = 0; i < rep->entry_len; i++) {
            pw_sep(&w);
            pw_entry(&w, &rep->entries[i]);
        }
        pw_close(&w, ']');
    } else {
        pw_tree(&w, aud);
    }
    pw_int_member(&w, "completed_ms", r->completed_ms);
    pw_str_member(&w, "content_type", r->content_type);
    pw_key(&w, "coverage");
    pw_open(&w, '{');
    pw_key(&w, "audited");
    pw_phases(&w, r->audited);
    pw_key(&w, "failed");
    pw_phases(&w, r->failed);
    pw_key(&w, "unaudited");
    if (rep != NULL) {
        pw_open(&w, '[');
        for (size_t i = 0; i < rep->unaudited_len; i++) {
            pw_sep(&w);
            pw_str(&w, rep->unaudited[i]);
        }
        pw_close(&w, ']');
    } else {
        pw_tree(&w, un);
    }
    pw_close(&w, '}');
    if (dep != NULL) {
        pw_key(&w, "deployments");
        pw_tree(&w, dep);
    }
    pw_str_member(&w, "enclave_key", r->enclave_key);
    pw_str_member(&w, "endpoint", r->endpoint);
    pw_str_member(&w, "environment", r->environment);
    pw_hex_member(&w, "model", r->model);
    pw_str_member(&w, "passport", r->passport);
    pw_str_member(&w, "receipt", r->id);
    pw_int_member(&w, "received_ms", r->received_ms);
    pw_hex_member(&w, "request_forwarded", r->request_forwarded);
    pw_hex_member(&w, "request_received", r->request_received);
    pw_hex_member(&w, "response", r->response);
    pw_int_member(&w, "status", r->status);
    pw_key(&w, "streamed");
    pw_raw(&w, r->streamed ? "true" : "false", r->streamed ? 4 : 5);
    pw_int_member(&w, "upstream_status", r->upstream_status);
    pw_key(&w, "usage");
    if (r->prompt_tokens < 0 && r->completion_tokens < 0 && r->total_tokens < 0) {
        pw_raw(&w, "null", 4);
    } else {
        pw_open(&w, '{');
        pw_int_member(&w, "completion_tokens", r->completion_tokens);
        pw_int_member(&w, "prompt_tokens", r->prompt_tokens);
        pw_int_member(&w, "total_tokens", r->total_tokens);
        pw_close(&w, '}');
    }
    pw_str_member(&w, "verdict", r->verdict);
    pw_close(&w, '}');
    return w.rc;
}

/* r->unaudited as a tree: a JSON array of strings. */
static vt_status unaudited_tree(json_t **out, const vt_receipt *r, vt_err *err)
{
    json_t *un, *v;
    size_t i;

    *out = NULL;
    if (r->unaudited == NULL || r->unaudited[0] == '\0')
        return (*out = json_array()) != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "receipt: out of memory");
    un = json_loads(r->unaudited, JSON_REJECT_DUPLICATES, NULL);
    json_array_foreach(un, i, v) {
        if (!json_is_string(v)) {
            json_decref(un);
            un = NULL;
            break;
        }
    }
    if (!json_is_array(un)) {
        json_decref(un);
        return vt_err_set(err, VT_E_ARG, "receipt: unaudited is not a JSON array of strings");
    }
    *out = un;
    return VT_OK;
}

/* r->auditors as a tree: a JSON array. */
static vt_status auditors_tree(json_t **out, const vt_receipt *r, vt_err *err)
{
    json_t *aud;

    *out = NULL;
    if (r->auditors == NULL || r->auditors[0] == '\0')
        return (*out = json_array()) != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "receipt: out of memory");
    aud = json_loads(r->auditors, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(aud)) {
        json_decref(aud);
        return vt_err_set(err, VT_E_ARG, "receipt: auditors is not a JSON array");
    }
    *out = aud;
    return VT_OK;
}

/* The payload of r onto out (deployments parsed and checked here): see payload_write. */
static vt_status payload_text(vt_buf *out, const vt_receipt *r, const vt_audit_report *rep, const json_t *aud,
                              const json_t *un, vt_err *err)
{
    json_t *dep = NULL;
    vt_status rc = VT_OK;

    if (r->deployments != NULL && r->deployments[0] != '\0') {
        dep = json_loads(r->deployments, JSON_REJECT_DUPLICATES, NULL);
        if (!deployments_ok(dep))
            rc = vt_err_set(err, VT_E_ARG, "receipt: deployments is not an array of 1..%d "
                            "{node, environment, deployment_type, passport, gateway}", RECEIPT_DEPLOYMENTS_MAX);
    }
    if (rc == VT_OK && payload_write(out, r, rep, aud, un, dep) != VT_OK)
        rc = vt_err_set(err, VT_E_NOMEM, "receipt: cannot write the payload (out of memory or not UTF-8)");
    json_decref(dep);
    return rc;
}

/* Signs r; the auditors and unaudited fields from rep, or else from the trees aud and un. */
static vt_status sign_payload(char **token_out, vt_receipt *r, const vt_audit_report *rep, const json_t *aud,
                              const json_t *un, const vt_pkey *enclave_key, vt_err *err)
{
    vt_buf text;
    vt_status rc;

    *token_out = NULL;
    vt_buf_init(&text);
    rc = vt_buf_reserve(&text, 4096, err); /* a payload's usual size at once, not six doublings */
    if (rc == VT_OK)
        rc = vt_jwk_thumbprint(r->enclave_key, enclave_key, err);
    if (rc == VT_OK)
        rc = payload_text(&text, r, rep, aud, un, err);
    if (rc == VT_OK)
        rc = vt_jws_sign(token_out, enclave_key, NULL, VT_RECEIPT_TYP, text.data, text.len, err);
    vt_buf_free(&text);
    return rc;
}

vt_status vt_receipt_sign(char **token_out, vt_receipt *r, const vt_pkey *enclave_key, vt_err *err)
{
    json_t *aud = NULL, *un = NULL;
    vt_status rc;

    *token_out = NULL;
    rc = auditors_tree(&aud, r, err);
    if (rc == VT_OK)
        rc = unaudited_tree(&un, r, err);
    if (rc == VT_OK)
        rc = sign_payload(token_out, r, NULL, aud, un, enclave_key, err);
    json_decref(aud);
    json_decref(un);
    return rc;
}

vt_status vt_receipt_sign_report(char **token_out, vt_receipt *r, const vt_audit_report *rep,
                                 const vt_pkey *enclave_key, vt_err *err)
{
    return sign_payload(token_out, r, rep, NULL, NULL, enclave_key, err);
}

static vt_status get_str(char *out, size_t cap, json_t *o, const char *key, vt_err *err)
{
    json_t *v = json_object_get(o, key);
    const char *s = json_string_value(v);

    if (s == NULL)
        return vt_err_set(err, VT_E_FORMAT, "receipt: \"%s\" is missing or not a string", key);
    if (strlen(s) >= cap)
        return vt_err_set(err, VT_E_LIMIT, "receipt: \"%s\" is longer than %zu bytes", key, cap - 1);
    memcpy(out, s, strlen(s) + 1);
    return VT_OK;
}

static vt_status get_hex32(uint8_t out[32], json_t *o, const char *key, vt_err *err)
{
    const char *s = json_string_value(json_object_get(o, key));

    if (s == NULL || strlen(s) != 64 || vt_hex_decode(out, 32, s, 64, NULL) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "receipt: \"%s\" is not a SHA-256 digest in hex", key);
    return VT_OK;
}

static vt_status get_int(int64_t *out, json_t *o, const char *key, vt_err *err)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_integer(v))
        return vt_err_set(err, VT_E_FORMAT, "receipt: \"%s\" is missing or not an integer", key);
    *out = (int64_t)json_integer_value(v);
    return VT_OK;
}

static vt_status parse_usage(vt_receipt *r, json_t *o, vt_err *err)
{
    json_t *u = json_object_get(o, "usage");
    vt_status rc;

    if (json_is_null(u))
        return VT_OK;
    if (!json_is_object(u) || json_object_size(u) != 3)
        return vt_err_set(err, VT_E_FORMAT, "receipt: \"usage\" must be null or {prompt_tokens, "
                                            "completion_tokens, total_tokens}");
    rc = get_int(&r->prompt_tokens, u, "prompt_tokens", err);
    if (rc == VT_OK)
        rc = get_int(&r->completion_tokens, u, "completion_tokens", err);
    if (rc == VT_OK)
        rc = get_int(&r->total_tokens, u, "total_tokens", err);
    return rc;
}

/* A list of phase names into bits: each known, none twice. */
static vt_status parse_phases(unsigned *out, json_t *a, const char *what, vt_err *err)
{
    size_t i;
    json_t *v;

    *out = 0;
    if (!json_is_array(a))
        return vt_err_set(err, VT_E_FORMAT, "receipt: \"coverage.%s\" is missing or not an array", what);
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        unsigned bit = 0;
        for (size_t k = 0; s != NULL && k < 4; k++)
            if (strcmp(s, vt_audit_phase_name(vt__audit_phase_order[k])) == 0)
                bit = (unsigned)vt__audit_phase_order[k];
        if (bit == 0 || (*out & bit))
            return vt_err_set(err, VT_E_FORMAT, "receipt: \"coverage.%s\" holds an unknown or repeated phase", what);
        *out |= bit;
    }
    return VT_OK;
}

static vt_status parse_coverage(vt_receipt *r, json_t *o, vt_err *err)
{
    json_t *c = json_object_get(o, "coverage"), *un = json_object_get(c, "unaudited"), *v;
    size_t i;
    vt_status rc;

    if (!json_is_object(c) || json_object_size(c) != 3)
        return vt_err_set(err, VT_E_FORMAT, "receipt: \"coverage\" must be {audited, failed, unaudited}");
    rc = parse_phases(&r->audited, json_object_get(c, "audited"), "audited", err);
    if (rc == VT_OK)
        rc = parse_phases(&r->failed, json_object_get(c, "failed"), "failed", err);
    if (rc == VT_OK && (r->audited & r->failed))
        rc = vt_err_set(err, VT_E_FORMAT, "receipt: a phase is both audited and failed");
    if (rc == VT_OK && !json_is_array(un))
        rc = vt_err_set(err, VT_E_FORMAT, "receipt: \"coverage.unaudited\" is missing or not an array");
    json_array_foreach(un, i, v) {
        if (rc == VT_OK && !json_is_string(v))
            rc = vt_err_set(err, VT_E_FORMAT, "receipt: \"coverage.unaudited\" holds a non-string");
    }
    if (rc == VT_OK) {
        r->unaudited = json_dumps(un, JSON_COMPACT);
        if (r->unaudited == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "receipt: out of memory");
    }
    return rc;
}

vt_status vt__receipt_parse_tree(vt_receipt *r, const uint8_t *p, size_t len, vt_err *err)
{
    json_error_t je;
    json_t *o = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &je), *aud;
    const char *key;
    json_t *v;
    int64_t st = 0;
    vt_status rc = VT_OK;

    memset(r, 0, sizeof(*r));
    r->prompt_tokens = r->completion_tokens = r->total_tokens = -1;
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        return vt_err_set(err, VT_E_FORMAT, "receipt: payload is not a JSON object");
    }
    json_object_foreach(o, key, v) {
        size_t i, known = 0;
        for (i = 0; i < RECEIPT_NMEMBERS; i++)
            known |= strcmp(key, vt__receipt_members[i]) == 0;
        if (!known) {
            rc = vt_err_set(err, VT_E_FORMAT, "receipt: unknown member \"%.40s\"", key);
            break;
        }
    }
    if (rc == VT_OK)
        rc = get_str(r->id, sizeof(r->id), o, "receipt", err);
    if (rc == VT_OK)
        rc = get_str(r->passport, sizeof(r->passport), o, "passport", err);
    if (rc == VT_OK)
        rc = get_str(r->environment, sizeof(r->environment), o, "environment", err);
    if (rc == VT_OK)
        rc = get_str(r->enclave_key, sizeof(r->enclave_key), o, "enclave_key", err);
    if (rc == VT_OK)
        rc = get_hex32(r->model, o, "model", err);
    if (rc == VT_OK)
        rc = get_hex32(r->request_received, o, "request_received", err);
    if (rc == VT_OK)
        rc = get_hex32(r->request_forwarded, o, "request_forwarded", err);
    if (rc == VT_OK)
        rc = get_hex32(r->response, o, "response", err);
    if (rc == VT_OK && !json_is_boolean(json_object_get(o, "streamed")))
        rc = vt_err_set(err, VT_E_FORMAT, "receipt: \"streamed\" is missing or not a boolean");
    if (rc == VT_OK) {
        r->streamed = json_is_true(json_object_get(o, "streamed"));
        rc = get_str(r->endpoint, sizeof(r->endpoint), o, "endpoint", err);
    }
    if (rc == VT_OK)
        rc = get_int(&st, o, "upstream_status", err);
    if (rc == VT_OK && (st < 0 || st > 999))
        rc = vt_err_set(err, VT_E_FORMAT, "receipt: \"upstream_status\" %lld is not an HTTP status", (long long)st);
    r->upstream_status = (int)st;
    if (rc == VT_OK)
        rc = get_int(&st, o, "status", err);
    if (rc == VT_OK && (st < 100 || st > 599))
        rc = vt_err_set(err, VT_E_FORMAT, "receipt: \"status\" %lld is not an HTTP status", (long long)st);
    r->status = (int)st;
    if (rc == VT_OK)
        rc = get_str(r->content_type, sizeof(r->content_type), o, "content_type", err);
    if (rc == VT_OK)
        rc = parse_coverage(r, o, err);
    if (rc == VT_OK)
        rc = get_str(r->verdict, sizeof(r->verdict), o, "verdict", err);
    if (rc == VT_OK)
        rc = parse_usage(r, o, err);
    if (rc == VT_OK)
        rc = get_int(&r->received_ms, o, "received_ms", err);
    if (rc == VT_OK)
        rc = get_int(&r->completed_ms, o, "completed_ms", err);
    v = json_object_get(o, "deployments");
    if (rc == VT_OK && v != NULL) {
        if (!deployments_ok(v))
            rc = vt_err_set(err, VT_E_FORMAT, "receipt: \"deployments\" must be an array of 1..%d "
                            "{node, environment, deployment_type, passport, gateway} strings", RECEIPT_DEPLOYMENTS_MAX);
        else if ((r->deployments = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "receipt: out of memory");
    }
    aud = json_object_get(o, "auditors");
    if (rc == VT_OK && !json_is_array(aud))
        rc = vt_err_set(err, VT_E_FORMAT, "receipt: \"auditors\" is missing or not an array");
    if (rc == VT_OK) {
        r->auditors = json_dumps(aud, JSON_COMPACT | JSON_SORT_KEYS);
        if (r->auditors == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "receipt: out of memory");
        else if (strlen(r->auditors) > RECEIPT_AUDITORS_MAX)
            rc = vt_err_set(err, VT_E_LIMIT, "receipt: auditors exceed %zu bytes", RECEIPT_AUDITORS_MAX);
    }
    json_decref(o);
    if (rc != VT_OK)
        vt_receipt_clear(r);
    return rc;
}

/* The token road when it can decide (receipt_tokens.c: a gateway's payloads, no tree), else the tree. */
static vt_status parse_payload(vt_receipt *r, const uint8_t *p, size_t len, vt_err *err)
{
    if (vt__receipt_payload_tokens(r, p, len))
        return VT_OK;
    return vt__receipt_parse_tree(r, p, len, err);
}

static vt_status parse_token(vt_jws *j, const char *token, size_t len, vt_err *err)
{
    vt_status rc;

    if (len > VT_RECEIPT_MAX)
        return vt_err_set(err, VT_E_LIMIT, "receipt: token is larger than %zu bytes", VT_RECEIPT_MAX);
    rc = vt_jws_parse(j, token, len, err);
    if (rc == VT_OK && strcmp(j->typ, VT_RECEIPT_TYP) != 0)
        rc = vt_err_set(err, VT_E_FORMAT, "receipt: header typ is \"%s\", expected \"%s\"", j->typ,
                        VT_RECEIPT_TYP);
    return rc;
}

vt_status vt_receipt_decode(vt_receipt *out, const char *token, size_t len, vt_err *err)
{
    vt_jws j;
    vt_status rc;

    memset(out, 0, sizeof(*out));
    rc = parse_token(&j, token, len, err);
    if (rc == VT_OK)
        rc = parse_payload(out, j.payload.data, j.payload.len, err);
    vt_jws_clear(&j);
    return rc;
}

vt_status vt_receipt_verify_with(vt_receipt *out, const char *token, size_t len, vt_receipt_key_fn key_for,
                                 void *arg, vt_err *err)
{
    const vt_pkey *key = NULL;
    const char *thumb = NULL;
    vt_jws j;
    vt_status rc;

    memset(out, 0, sizeof(*out));
    rc = parse_token(&j, token, len, err);
    if (rc == VT_OK)
        rc = parse_payload(out, j.payload.data, j.payload.len, err);
    if (rc == VT_OK) /* the payload is not trusted yet: only its passport id picks the key */
        rc = key_for(&key, &thumb, out, arg, err);
    if (rc == VT_OK && (key == NULL || thumb == NULL))
        rc = vt_err_set(err, VT_E_INTERNAL, "receipt: no verifying key");
    if (rc == VT_OK)
        rc = vt_jws_verify(&j, key, err);
    if (rc == VT_OK && strcmp(thumb, out->enclave_key) != 0)
        rc = vt_err_set(err, VT_E_CRYPTO, "receipt: enclave_key %s does not name the verifying key %s",
                        out->enclave_key, thumb);
    if (rc != VT_OK)
        vt_receipt_clear(out);
    vt_jws_clear(&j);
    return rc;
}

struct fixed_key {
    const vt_pkey *key;
    char thumb[44];
};

static vt_status fixed_key_for(const vt_pkey **key, const char **thumb, const vt_receipt *r, void *arg, vt_err *err)
{
    struct fixed_key *k = arg;

    (void)r;
    (void)err;
    *key = k->key;
    *thumb = k->thumb;
    return VT_OK;
}

vt_status vt_receipt_verify(vt_receipt *out, const char *token, size_t len, const vt_pkey *enclave_key,
                            vt_err *err)
{
    struct fixed_key k = { .key = enclave_key };
    vt_status rc = vt_jwk_thumbprint(k.thumb, enclave_key, err);

    if (rc != VT_OK) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    return vt_receipt_verify_with(out, token, len, fixed_key_for, &k, err);
}

/* Is hex digest `d` one of the comma-separated digests in `list`? */
static bool in_list(const char *list, const char *d)
{
    size_t n = strlen(d);

    while (*list != '\0') {
        const char *end = strchr(list, ',');
        size_t len = end != NULL ? (size_t)(end - list) : strlen(list);
        if (len == n && vt_ct_equal(list, d, n))
            return true;
        list += len;
        if (*list == ',')
            list++;
    }
    return false;
}

vt_status vt_receipt_check_passport(const vt_receipt *r, const vt_passport_claims *p, vt_err *err)
{
    char model[65];

    if (strcmp(r->passport, p->id) != 0)
        return vt_err_set(err, VT_E_POLICY, "receipt: issued under passport %s, not %s", r->passport, p->id);
    if (strcmp(r->environment, p->environment) != 0)
        return vt_err_set(err, VT_E_POLICY, "receipt: environment %s differs from the passport's %s",
                          r->environment, p->environment);
    vt_hex_encode(model, r->model, 32);
    if (!in_list(p->appraisal.sub[VT_SUBMOD_MODEL].measured, model))
        return vt_err_set(err, VT_E_POLICY, "receipt: model %.16s… is not the model the passport measured", model);
    if (r->received_ms / 1000 < p->iat - 60 || r->completed_ms / 1000 > p->exp)
        return vt_err_set(err, VT_E_POLICY, "receipt: served outside the passport's validity");
    return VT_OK;
}

vt_status vt_receipt_to_json(char **json_out, const vt_receipt *r, vt_err *err)
{
    json_t *o = NULL, *aud = NULL, *un = NULL;
    vt_buf text = { 0 };
    vt_status rc = auditors_tree(&aud, r, err);

    *json_out = NULL;
    if (rc == VT_OK)
        rc = unaudited_tree(&un, r, err);
    if (rc == VT_OK)
        rc = payload_text(&text, r, NULL, aud, un, err);
    if (rc == VT_OK && (o = json_loadb((const char *)text.data, text.len, 0, NULL)) == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "receipt: out of memory");
    if (rc == VT_OK && (*json_out = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "receipt: out of memory");
    json_decref(o);
    json_decref(aud);
    json_decref(un);
    vt_buf_free(&text);
    return rc;
}
