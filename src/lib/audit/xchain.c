/* External auditors in the chain: their configuration and their place in each phase
 * (xchain.h).  Everything an auditor says goes through external.c's strict reading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_int.h"
#include "base/json.h"

#define MAX_PIECES 65536 /* strings of one stream window, before its fields are joined */

static const char *const builtin_kinds[] = { "pii", "policy", "artifact", "execution" };

void vt__xaud_spec_free(vt_xaud_spec *s)
{
    if (s == NULL)
        return;
    free(s->socket);
    free(s->executable);
    free(s->image_digest);
    for (size_t i = 0; i < s->file_count; i++)
        free(s->files[i]);
    free(s);
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < VT_AUDIT_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool version_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 16 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-+_") == n;
}

/* An absolute path of at most 4095 bytes without a NUL, "..", or control characters. */
static bool abs_path_ok(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = s != NULL ? strlen(s) : 0;

    if (n < 2 || n > 4095 || n != json_string_length(v) || s[0] != '/' || strstr(s, "/../") != NULL ||
        (n >= 3 && strcmp(s + n - 3, "/..") == 0))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            return false;
    return true;
}

static bool hex_ok(const char *s, size_t n)
{
    return s != NULL && strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

static vt_status dup_str(char **out, const char *s, vt_err *err)
{
    *out = strdup(s);
    return *out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
}

/* "measured": {"executable": hex, "files": [hex, ...]}, written by the gateway at boot. */
static vt_status parse_measured(vt_xaud_spec *s, json_t *m, const char *where, vt_err *err)
{
    json_t *exe = json_object_get(m, "executable"), *files = json_object_get(m, "files"), *v;
    const char *k;
    size_t i;

    if (!json_is_object(m))
        return vt_err_set(err, VT_E_FORMAT, "audit: %s.measured must be an object", where);
    json_object_foreach(m, k, v) {
        if (strcmp(k, "executable") != 0 && strcmp(k, "files") != 0 && strcmp(k, "protocol") != 0)
            return vt_err_set(err, VT_E_FORMAT, "audit: %s.measured: unknown member '%.40s'", where, k);
    }
    v = json_object_get(m, "protocol");
    if (v != NULL && !(json_is_string(v) && strcmp(json_string_value(v), VT_XAUD_PROTOCOL) == 0))
        return vt_err_set(err, VT_E_FORMAT, "audit: %s.measured.protocol must be \"%s\"", where, VT_XAUD_PROTOCOL);
    if ((s->executable != NULL) != (exe != NULL) ||
        (exe != NULL && (!hex_ok(json_string_value(exe), 64) ||
                         vt_hex_decode(s->exe_digest, 32, json_string_value(exe), 64, NULL) != VT_OK)))
        return vt_err_set(err, VT_E_FORMAT, "audit: %s.measured.executable must be the executable's SHA-256 (hex)",
                          where);
    if (json_array_size(files) != s->file_count || (files != NULL && !json_is_array(files)))
        return vt_err_set(err, VT_E_FORMAT, "audit: %s.measured.files must hold one SHA-256 per file", where);
    json_array_foreach(files, i, v) {
        if (!hex_ok(json_string_value(v), 64) ||
            vt_hex_decode(s->file_digests[i], 32, json_string_value(v), 64, NULL) != VT_OK)
            return vt_err_set(err, VT_E_FORMAT, "audit: %s.measured.files[%zu] must be a SHA-256 (hex)", where, i);
    }
    s->measured = true;
    return VT_OK;
}

vt_status vt__xaud_parse(vt_xaud_spec **out, json_t *o, size_t idx, vt_err *err)
{
    static const char *const allowed[] = { "name",  "kind",       "version",   "phases", "socket",   "executable",
                                           "image_digest", "files", "timeout_ms", "fail_open", "window_bytes",
                                           "measured" };
    static const char *const phase_names[] = { "artifact", "request", "execution", "response" };
    vt_status rc = VT_E_INTERNAL;
    vt_xaud_spec *s = calloc(1, sizeof(*s));
    const char *name = json_string_value(json_object_get(o, "name")), *ver, *k;
    json_t *v, *ph = json_object_get(o, "phases"), *files = json_object_get(o, "files");
    char where[64];
    size_t i;

    *out = NULL;
    if (s == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    s->index = idx;
    snprintf(where, sizeof(where), "auditors[%zu]", idx);
    json_object_foreach(o, k, v) {
        bool ok = false;
        for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (!ok) {
            rc = vt_err_set(err, VT_E_FORMAT, "audit: %s (external): unknown member '%.40s'", where, k);
            goto out;
        }
    }
    if (name == NULL || !name_ok(name)) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.name must be 1-31 of [a-z0-9_-]", where);
        goto out;
    }
    for (i = 0; i < 4; i++)
        if (strcmp(name, builtin_kinds[i]) == 0) {
            rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.name '%s' is a built-in auditor's", where, name);
            goto out;
        }
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(where, sizeof(where), "auditors[%zu] (%s)", idx, name);
    ver = json_string_value(json_object_get(o, "version"));
    if (ver == NULL || !version_ok(ver)) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.version must be 1-15 of [A-Za-z0-9.+_-]", where);
        goto out;
    }
    snprintf(s->version, sizeof(s->version), "%s", ver);
    if (!json_is_array(ph) || json_array_size(ph) == 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.phases must be a non-empty array", where);
        goto out;
    }
    json_array_foreach(ph, i, v) {
        unsigned bit = 0;
        for (unsigned b = 0; b < 4 && json_is_string(v); b++)
            if (strcmp(json_string_value(v), phase_names[b]) == 0)
                bit = 1u << b;
        if (bit == 0 || (s->phases & bit)) {
            rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.phases[%zu] is not a phase (or repeats one)", where, i);
            goto out;
        }
        s->phases |= bit;
    }
    if (!abs_path_ok(json_object_get(o, "socket"))) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.socket must be the absolute path of its Unix socket", where);
        goto out;
    }
    if (strlen(json_string_value(json_object_get(o, "socket"))) > 107) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.socket is longer than a Unix socket path may be (107)", where);
        goto out;
    }
    rc = dup_str(&s->socket, json_string_value(json_object_get(o, "socket")), err);
    if (rc != VT_OK)
        goto out;
    v = json_object_get(o, "executable");
    if (v != NULL && !abs_path_ok(v)) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.executable must be an absolute path", where);
        goto out;
    }
    rc = v != NULL ? dup_str(&s->executable, json_string_value(v), err) : VT_OK;
    if (rc != VT_OK)
        goto out;
    v = json_object_get(o, "image_digest");
    if (v != NULL && !(json_is_string(v) && strncmp(json_string_value(v), "sha256:", 7) == 0 &&
                       hex_ok(json_string_value(v) + 7, 64))) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.image_digest must be \"sha256:\" and 64 lowercase hex", where);
        goto out;
    }
    rc = v != NULL ? dup_str(&s->image_digest, json_string_value(v), err) : VT_OK;
    if (rc != VT_OK)
        goto out;
    if ((s->executable == NULL) == (s->image_digest == NULL)) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s needs exactly one of executable and image_digest", where);
        goto out;
    }
    if (files != NULL && (!json_is_array(files) || json_array_size(files) > VT_XAUD_MAX_FILES)) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.files must be an array of at most %d paths", where,
                        VT_XAUD_MAX_FILES);
        goto out;
    }
    json_array_foreach(files, i, v) {
        if (!abs_path_ok(v)) {
            rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.files[%zu] must be an absolute path", where, i);
            goto out;
        }
        rc = dup_str(&s->files[i], json_string_value(v), err);
        if (rc != VT_OK)
            goto out;
        s->file_count = i + 1;
    }
    s->timeout_ms = VT_XAUD_DEFAULT_TIMEOUT_MS;
    v = json_object_get(o, "timeout_ms");
    if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
                      json_integer_value(v) > VT_XAUD_MAX_TIMEOUT_MS)) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.timeout_ms must be an integer in 1..%d", where,
                        VT_XAUD_MAX_TIMEOUT_MS);
        goto out;
    }
    if (v != NULL)
        s->timeout_ms = (unsigned)json_integer_value(v);
    v = json_object_get(o, "fail_open");
    if (v != NULL && !json_is_boolean(v)) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.fail_open must be true or false", where);
        goto out;
    }
    s->fail_open = json_is_true(v);
    s->window = VT_XAUD_DEFAULT_WINDOW;
    v = json_object_get(o, "window_bytes");
    if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 64 || json_integer_value(v) > (1 << 20))) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s.window_bytes must be an integer in 64..1048576", where);
        goto out;
    }
    if (v != NULL)
        s->window = (size_t)json_integer_value(v);
    v = json_object_get(o, "measured");
    rc = v != NULL ? parse_measured(s, v, where, err) : VT_OK;
    if (rc != VT_OK)
        goto out;
    *out = s;
    s = NULL;
    rc = VT_OK;
out:
    vt__xaud_spec_free(s);
    return rc;
}

size_t vt_xaud_count(const vt_audit_chain *c)
{
    size_t n = 0;

    for (size_t i = 0; i < c->len; i++)
        n += c->a[i].kind == A_EXTERNAL;
    return n;
}

const vt_xaud_spec *vt_xaud_get(const vt_audit_chain *c, size_t i)
{
    for (size_t k = 0; k < c->len; k++)
        if (c->a[k].kind == A_EXTERNAL && i-- == 0)
            return c->a[k].ext;
    return NULL;
}

bool vt_xaud_any(const vt_audit_chain *c, vt_audit_phase phase)
{
    for (size_t i = 0; i < c->len; i++)
        if (c->a[i].kind == A_EXTERNAL && (c->a[i].phases & (unsigned)phase))
            return true;
    return false;
}

/* Index of the first built-in scanner (pii, policy) of phase; c->len when none. */
static size_t first_scanner(const vt_audit_chain *c, vt_audit_phase phase)
{
    for (size_t i = 0; i < c->len; i++)
        if ((c->a[i].kind == A_PII || c->a[i].kind == A_POLICY) && (c->a[i].phases & (unsigned)phase))
            return i;
    return c->len;
}

/* The ordinal of chain entry ai among the external auditors (vt_xaud_get's index). */
static size_t ext_ordinal(const vt_audit_chain *c, size_t ai)
{
    size_t n = 0;

    for (size_t i = 0; i < ai; i++)
        n += c->a[i].kind == A_EXTERNAL;
    return n;
}

/* Annotations into the entry's notes: integers and booleans as they are, other numbers
 * in thousandths (name + "_milli" when it fits); strings stay out of receipts. */
static void notes_from(vt_audit_entry *e, const json_t *an)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)an, k, v) {
        if (json_is_integer(v)) {
            vt__audit_entry_note(e, k, (int64_t)json_integer_value(v));
        } else if (json_is_boolean(v)) {
            vt__audit_entry_note(e, k, json_is_true(v) ? 1 : 0);
        } else if (json_is_real(v) && json_real_value(v) > -9e12 && json_real_value(v) < 9e12) {
            char key[VT_AUDIT_NAME_MAX];
            if (strlen(k) + 6 < sizeof(key))
                snprintf(key, sizeof(key), "%s_milli", k);
            else
                snprintf(key, sizeof(key), "%s", k);
            double m = json_real_value(v) * 1000.0;
            vt__audit_entry_note(e, key, (int64_t)(m >= 0 ? m + 0.5 : m - 0.5));
        }
    }
}

/* Appends s to the entry's reason, cut to fit. */
static void append_reason(vt_audit_entry *e, const char *s)
{
    size_t off = strlen(e->reason), n = strlen(s);

    if (off + n >= sizeof(e->reason))
        n = sizeof(e->reason) - off - 1;
    memcpy(e->reason + off, s, n);
    e->reason[off + n] = '\0';
}

/* The auditor failed and the exchange stops: its entry blocks, and the result names it. */
static void fail_closed(vt_audit_report *rep, vt_xaud_result *res, vt_audit_entry *e, const vt_xaud_spec *s,
                        const char *why)
{
    snprintf(e->reason, sizeof(e->reason), "%s: auditor failed: ", s->name);
    append_reason(e, why);
    vt__audit_entry_verdict(rep, e, VT_AUDIT_BLOCK);
    res->failed_closed = true;
    if (res->failed[0] == '\0')
        snprintf(res->failed, sizeof(res->failed), "%s", s->name);
}

static void failed(vt_audit_report *rep, vt_xaud_result *res, vt_audit_entry *e, const vt_xaud_spec *s,
                   const char *why)
{
    if (s->fail_open)
        vt__audit_entry_note(e, "failed_open", 1);
    else
        fail_closed(rep, res, e, s, why);
}

/* The places inside a joined text where one document's piece ends and the next one's starts
 * (ascending byte offsets), kept through redactions so each piece can be written back. */
typedef struct bounds {
    size_t *at;
    size_t n;
} bounds;

/* Moves b through the redactions of text k (sorted, not overlapping): a boundary inside a redacted
 * span goes to the end of its replacement, so the replacement stays in the piece where the span
 * starts. */
static void bounds_shift(bounds *b, const vt_xaud_answer *a, size_t k)
{
    for (size_t j = 0; j < b->n; j++) {
        size_t to = b->at[j], added = 0, removed = 0;
        for (size_t r = 0; r < a->redaction_count; r++) {
            const vt_xaud_redaction *d = &a->redactions[r];
            if (d->text != k)
                continue;
            if (d->start >= b->at[j])
                break;
            if (d->end > b->at[j])
                to = d->end;
            added += strlen(d->replacement);
            removed += d->end - d->start;
        }
        b->at[j] = to + added - removed; /* every removed byte lies before `to` */
    }
}

/* Does a rewritten text pass the built-in scanners of phase unchanged (nothing to redact, nothing
 * to block)?  A rewrite that is never audited again must not carry what they would catch. */
static bool recheck_ok(vt_audit_ctx *cx, vt_audit_phase phase, const vt_xaud_text *t)
{
    vt_audit_report *scratch = malloc(sizeof(*scratch));
    vt_buf out;
    bool ok;

    if (scratch == NULL)
        return false;
    vt_audit_report_init(scratch);
    vt_buf_init(&out);
    ok = vt_audit_text(scratch, &out, cx, phase, t->text, t->len, NULL) == VT_OK &&
         scratch->verdict != VT_AUDIT_BLOCK && out.len == t->len && memcmp(out.data, t->text, t->len) == 0;
    vt_buf_free(&out);
    free(scratch);
    return ok;
}

/* over: there were more strings than one request may carry, so no auditor can see them all. */
static vt_status run_texts(vt_audit_report *rep, vt_xaud_result *res, const vt_audit_chain *c, vt_audit_phase phase,
                           vt_xaud_where where, vt_xaud_text *texts, vt_buf *bufs, bounds *bd, size_t n, bool over,
                           const vt_xaud_io *io, vt_err *err)
{
    size_t first = first_scanner(c, phase);
    vt_buf answer, tmp;
    vt_status rc = VT_OK;

    vt_buf_init(&answer);
    vt_buf_init(&tmp);
    for (size_t ai = 0; rc == VT_OK && ai < c->len && !res->blocked && !res->failed_closed; ai++) {
        const audit_auditor *a = &c->a[ai];
        const vt_xaud_spec *s = a->ext;
        vt_xaud_request rq;
        vt_xaud_answer ans;
        vt_audit_entry *e;
        char *req = NULL;
        vt_err cerr = { 0 };

        if (a->kind != A_EXTERNAL || !(a->phases & (unsigned)phase) || (io->only != NULL && strcmp(io->only, a->name) != 0))
            continue;
        if (!((where & VT_XAUD_BEFORE) && ai < first) && !((where & VT_XAUD_AFTER) && ai > first))
            continue;
        e = vt__audit_entry_add(rep, a, phase);
        if (e == NULL) {
            rc = vt_err_set(err, VT_E_LIMIT, "audit: report is full");
            break;
        }
        res->ran = true;
        memset(&rq, 0, sizeof(rq));
        rq.auditor = s->name;
        rq.phase = phase;
        rq.exchange = io->exchange;
        rq.endpoint = io->endpoint;
        rq.streamed = io->streamed;
        rq.window = io->window;
        rq.final_window = io->final_window;
        rq.texts = texts;
        rq.text_count = n;
        rq.context = io->context;
        rc = over ? vt_err_set(&cerr, VT_E_LIMIT, "auditor %s: more than %d texts in one request", s->name,
                               VT_XAUD_MAX_TEXTS)
                  : vt_xaud_request_json(&req, &rq, &cerr);
        if (rc == VT_E_LIMIT) { /* more texts than the protocol carries: the auditor cannot see them all */
            failed(rep, res, e, s, cerr.msg);
            rc = VT_OK;
            continue;
        }
        if (rc != VT_OK) {
            rc = vt_err_set(err, rc, "%s", cerr.msg);
            break;
        }
        answer.len = 0;
        if (io->call(io->arg, ext_ordinal(c, ai), req, strlen(req), &answer, &cerr) != VT_OK ||
            vt_xaud_answer_parse(&ans, &rq, (const char *)answer.data, answer.len, &cerr) != VT_OK) {
            free(req);
            failed(rep, res, e, s, cerr.msg[0] != '\0' ? cerr.msg : "no answer");
            continue;
        }
        free(req);
        for (size_t t = 0; t < ans.type_count && e->count_len < VT_AUDIT_MAX_TYPES; t++) {
            audit_copy_name(e->counts[e->count_len].type, sizeof(e->counts[0].type), ans.types[t]);
            e->counts[e->count_len++].count = ans.counts[t];
        }
        if (ans.annotations != NULL)
            notes_from(e, ans.annotations);
        if (ans.verdict == VT_AUDIT_BLOCK) {
            snprintf(e->reason, sizeof(e->reason), "%s: ", s->name);
            append_reason(e, ans.reason);
            res->blocked = true;
        }
        vt__audit_entry_verdict(rep, e, ans.verdict);
        /* Redactions: what the next auditor (and the model or the client) sees. */
        for (size_t k = 0; rc == VT_OK && ans.verdict == VT_AUDIT_REDACT && k < n; k++) {
            bool touched = false;
            for (size_t r = 0; r < ans.redaction_count && !touched; r++)
                touched = ans.redactions[r].text == k;
            if (!touched)
                continue;
            tmp.len = 0;
            rc = vt_xaud_apply(&tmp, &ans, &rq, k, err);
            if (rc == VT_OK) {
                vt_buf swap = bufs[k];
                bufs[k] = tmp;
                tmp = swap;
                texts[k].text = (const char *)bufs[k].data;
                texts[k].len = bufs[k].len;
                res->changed = true;
                if (bd != NULL)
                    bounds_shift(&bd[k], &ans, k);
            }
            if (rc == VT_OK && io->recheck != NULL && !recheck_ok(io->recheck, phase, &texts[k])) {
                /* Fails closed even when fail_open: the rewrite is what would be sent. */
                fail_closed(rep, res, e, s, "its rewrite does not pass the built-in auditors again");
                break;
            }
        }
        vt_xaud_answer_clear(&ans);
    }
    vt_buf_free(&answer);
    vt_buf_free(&tmp);
    return rc;
}

vt_status vt_xaud_run_texts(vt_audit_report *rep, vt_xaud_result *res, const vt_audit_chain *c, vt_audit_phase phase,
                            vt_xaud_where where, vt_xaud_text *texts, vt_buf *bufs, size_t n, const vt_xaud_io *io,
                            vt_err *err)
{
    return run_texts(rep, res, c, phase, where, texts, bufs, NULL, n, false, io, err);
}

/* ---- JSON documents ---- */

/* Strings left out of the audited view: a request's controls and enums (request.c validates each;
 * its free text, ids and names included, is sent), a response's identifiers and enums, and inline
 * media payloads (a "url" only when it is a data: URL). */
static const char *const skip_request[] = { "model", "role", "type", "detail", "format", "encoding_format",
                                            "reasoning_effort", "verbosity", "service_tier",
                                            "prompt_cache_retention", "data", "file_data", NULL };
static const char *const skip_response[] = { "id", "object", "model", "role", "type", "finish_reason",
                                             "system_fingerprint", "service_tier", "data", NULL };

typedef struct collect {
    vt_xaud_text *texts;
    vt_buf *bufs;
    char **paths;
    json_t **nodes;
    size_t n, cap;
    const char *const *skip;
    bool request; /* skip holds the request's identifiers */
    bool by_index; /* stream events: a choice or tool call is named by its "index", not its place */
    size_t max;    /* strings taken; one more sets over */
    bool over;     /* more strings than one request may carry: the auditors fail */
} collect;

/* Is member key (value m) left out of the view?  Only strings are: an object or array under such a
 * name is walked. */
static bool skipped(const collect *cl, const char *key, const json_t *m)
{
    if (!json_is_string(m))
        return false;
    if (strcmp(key, "url") == 0)
        return json_string_length(m) >= 5 && strncmp(json_string_value(m), "data:", 5) == 0;
    for (size_t i = 0; cl->skip[i] != NULL; i++)
        if (strcmp(key, cl->skip[i]) == 0)
            return true;
    return false;
}

/* Whether member k (value m, in the object at path) of a request is free-form JSON the model
 * reads (request.c's v_free members): in there no key names an identifier. */
static bool request_free(const char *path, size_t plen, const char *k, const json_t *m)
{
    static const char *const free_form[] = { "metadata", "parameters", "schema", "annotations", "format", NULL };
    static const char at[] = "allowed_tools";

    if (!json_is_object(m) && !json_is_array(m))
        return false;
    for (size_t i = 0; free_form[i] != NULL; i++)
        if (strcmp(k, free_form[i]) == 0)
            return true;
    return strcmp(k, "tools") == 0 && plen >= sizeof(at) - 1 && strcmp(path + plen - (sizeof(at) - 1), at) == 0;
}

static vt_status add_text(collect *cl, const char *path, json_t *node, vt_err *err)
{
    if (cl->n == cl->cap) {
        size_t cap = cl->cap ? cl->cap * 2 : 16;
        vt_xaud_text *t = realloc(cl->texts, cap * sizeof(*t));
        if (t != NULL)
            cl->texts = t;
        vt_buf *b = t != NULL ? realloc(cl->bufs, cap * sizeof(*b)) : NULL;
        if (b != NULL)
            cl->bufs = b;
        char **p = b != NULL ? realloc(cl->paths, cap * sizeof(*p)) : NULL;
        if (p != NULL)
            cl->paths = p;
        json_t **nd = p != NULL ? realloc(cl->nodes, cap * sizeof(*nd)) : NULL;
        if (nd == NULL)
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        cl->nodes = nd;
        cl->cap = cap;
    }
    cl->paths[cl->n] = strdup(path);
    if (cl->paths[cl->n] == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    vt_buf_init(&cl->bufs[cl->n]);
    cl->nodes[cl->n] = node;
    cl->texts[cl->n].path = cl->paths[cl->n];
    cl->texts[cl->n].text = json_string_value(node);
    cl->texts[cl->n].len = json_string_length(node);
    cl->n++;
    return VT_OK;
}

/* in_free: v is in free-form JSON of a request, where every string is sent.  Elsewhere the strings
 * under a skip key are left out. */
/* Element i of the array under key: "[i]", or in stream events, for choices and tool calls,
 * "[<index>]" (the place of one choice moves from event to event). */
static int element_name(const collect *cl, const char *key, size_t i, const json_t *m, char *out, size_t cap)
{
    const json_t *ix = json_object_get(m, "index");

    if (cl->by_index && key != NULL && (strcmp(key, "choices") == 0 || strcmp(key, "tool_calls") == 0) &&
        json_is_integer(ix) && json_integer_value(ix) >= 0 && json_integer_value(ix) <= 1023)
        return snprintf(out, cap, "[%d]", (int)json_integer_value(ix));
    return snprintf(out, cap, "[%zu]", i);
}

/* A string taken under the path path[0..at) (the text parts of one message's content share their
 * list's path, so they are joined as one text). */
static vt_status take(collect *cl, json_t *v, char *path, size_t at, vt_err *err)
{
    char save = path[at];
    vt_status rc;

    if (cl->n >= cl->max) {
        cl->over = true;
        return VT_OK;
    }
    path[at] = '\0';
    rc = add_text(cl, path, v, err);
    path[at] = save;
    return rc;
}

/*
 * key: the member v is (NULL for the root and array elements).  parts: v is an element of a
 * request message's content list, whose path is path[0..parts): a string there, or the text of a
 * text part, is taken under that path (a chat template prints the parts one after the other, so
 * a term split between two parts is one term to the model); 0 elsewhere.
 */
static vt_status walk(collect *cl, json_t *v, const char *key, char *path, size_t plen, size_t cap, int depth,
                      bool in_free, size_t parts, vt_err *err)
{
    vt_status rc = VT_OK;

    if (depth > 64)
        return vt_err_set(err, VT_E_FORMAT, "audit: nesting deeper than 64");
    if (json_is_string(v))
        return take(cl, v, path, parts > 0 ? parts : plen, err);
    if (json_is_object(v)) {
        const char *k, *type = json_string_value(json_object_get(v, "type"));
        json_t *m;
        json_object_foreach(v, k, m) {
            int w;
            bool f = in_free || (cl->request && request_free(path, plen, k, m));
            bool joined = parts > 0 && type != NULL && strcmp(type, "text") == 0 && strcmp(k, "text") == 0;
            if (!in_free && skipped(cl, k, m))
                continue;
            w = snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", k);
            if (w < 0 || (size_t)w >= cap - plen)
                w = (int)(cap - plen - 1);
            rc = walk(cl, m, k, path, plen + (size_t)w, cap, depth + 1, f, joined ? parts : 0, err);
            path[plen] = '\0';
            if (rc != VT_OK)
                return rc;
        }
    } else if (json_is_array(v)) {
        bool list = cl->request && !in_free && key != NULL && strcmp(key, "content") == 0;
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) {
            int w = element_name(cl, key, i, m, path + plen, cap - plen);
            if (w < 0 || (size_t)w >= cap - plen)
                w = (int)(cap - plen - 1);
            rc = walk(cl, m, NULL, path, plen + (size_t)w, cap, depth + 1, in_free, list ? plen : 0, err);
            path[plen] = '\0';
            if (rc != VT_OK)
                return rc;
        }
    }
    return rc;
}

static void collect_free(collect *cl)
{
    for (size_t i = 0; i < cl->n; i++) {
        vt_buf_free(&cl->bufs[i]);
        free(cl->paths[i]);
    }
    free(cl->texts);
    free(cl->bufs);
    free(cl->paths);
    free(cl->nodes);
}

typedef struct piece_ref {
    const char *path;
    size_t i;
} piece_ref;

static int by_path(const void *x, const void *y)
{
    const piece_ref *a = x, *b = y;
    int d = strcmp(a->path, b->path);

    return d != 0 ? d : a->i < b->i ? -1 : a->i > b->i;
}

typedef struct group_ref {
    size_t lead; /* its first piece */
    size_t from; /* its pieces: order[from .. from + count) */
    size_t count;
} group_ref;

static int by_lead(const void *x, const void *y)
{
    const group_ref *a = x, *b = y;

    return a->lead < b->lead ? -1 : a->lead > b->lead;
}

/*
 * A stream window: the pieces of one field (the same path in several events, a choice by its
 * index) joined into one text, as the client joins them, so a term the model streamed over
 * several events is seen whole.  Each piece gets what its part of the joined text became.
 */
static vt_status run_joined(vt_audit_report *rep, vt_xaud_result *res, const vt_audit_chain *c, vt_audit_phase phase,
                            vt_xaud_where where, collect *cl, const vt_xaud_io *io, vt_err *err)
{
    size_t n = cl->n, ng = 0, slots = n > 0 ? n : 1;
    piece_ref *order = calloc(slots, sizeof(*order));
    group_ref *gr = calloc(slots, sizeof(*gr));
    vt_xaud_text *gt = calloc(slots, sizeof(*gt));
    vt_buf *joined = calloc(slots, sizeof(*joined)), *gb = calloc(slots, sizeof(*gb));
    bounds *bd = calloc(slots, sizeof(*bd));
    size_t *at = calloc(slots, sizeof(*at));
    vt_status rc = VT_OK;

    if (order == NULL || gr == NULL || gt == NULL || joined == NULL || gb == NULL || bd == NULL || at == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (piece_ref){ cl->paths[i], i };
    qsort(order, n, sizeof(*order), by_path); /* a path's pieces together, in event order */
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(order[i].path, order[i - 1].path) != 0)
            gr[ng++] = (group_ref){ order[i].i, i, 0 };
        gr[ng - 1].count++;
    }
    qsort(gr, ng, sizeof(*gr), by_lead); /* the fields in the order they first came */
    for (size_t g = 0, used = 0; rc == VT_OK && g < ng; g++) {
        bd[g].at = at + used;
        for (size_t k = 0; rc == VT_OK && k < gr[g].count; k++) {
            const vt_xaud_text *t = &cl->texts[order[gr[g].from + k].i];
            if (k > 0)
                bd[g].at[bd[g].n++] = joined[g].len;
            rc = vt_buf_append(&joined[g], t->text, t->len, err);
        }
        used += bd[g].n;
        if (rc == VT_OK)
            rc = vt_buf_terminate(&joined[g], err);
        gt[g].path = cl->paths[gr[g].lead];
        gt[g].text = (const char *)joined[g].data;
        gt[g].len = joined[g].len;
    }
    if (rc == VT_OK)
        rc = run_texts(rep, res, c, phase, where, gt, gb, bd, ng, cl->over, io, err);
    for (size_t g = 0; rc == VT_OK && g < ng; g++) {
        if (gb[g].data == NULL)
            continue; /* not rewritten: its pieces stay as they came */
        for (size_t k = 0; rc == VT_OK && k < gr[g].count; k++) {
            size_t from = k == 0 ? 0 : bd[g].at[k - 1], to = k < bd[g].n ? bd[g].at[k] : gb[g].len;
            if (json_string_setn(cl->nodes[order[gr[g].from + k].i], (const char *)gb[g].data + from, to - from) != 0)
                rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        }
    }
out:
    for (size_t g = 0; joined != NULL && gb != NULL && g < ng; g++) {
        vt_buf_free(&joined[g]);
        vt_buf_free(&gb[g]);
    }
    free(order);
    free(gr);
    free(gt);
    free(joined);
    free(gb);
    free(bd);
    free(at);
    return rc;
}

vt_status vt_xaud_run_docs(vt_audit_report *rep, vt_xaud_result *res, const vt_audit_chain *c, vt_audit_phase phase,
                           vt_xaud_where where, json_t **docs, size_t ndocs, const vt_xaud_io *io, vt_err *err)
{
    collect cl = { 0 };
    char path[512];
    vt_status rc = VT_OK;

    cl.skip = phase == VT_AUDIT_REQUEST ? skip_request : skip_response;
    cl.request = phase == VT_AUDIT_REQUEST;
    cl.by_index = io->streamed;
    cl.max = io->streamed || cl.request ? MAX_PIECES : VT_XAUD_MAX_TEXTS;
    for (size_t d = 0; rc == VT_OK && d < ndocs; d++) {
        path[0] = '\0';
        rc = walk(&cl, docs[d], NULL, path, 0, sizeof(path), 0, false, 0, err);
    }
    if (rc == VT_OK && (io->streamed || cl.request)) {
        rc = run_joined(rep, res, c, phase, where, &cl, io, err);
    } else if (rc == VT_OK) {
        rc = run_texts(rep, res, c, phase, where, cl.texts, cl.bufs, NULL, cl.n, cl.over, io, err);
        for (size_t i = 0; rc == VT_OK && i < cl.n; i++)
            if (cl.bufs[i].data != NULL &&
                json_string_setn(cl.nodes[i], (const char *)cl.bufs[i].data, cl.bufs[i].len) != 0)
                rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    }
    collect_free(&cl);
    return rc;
}

vt_status vt_xaud_run_body(vt_audit_report *rep, vt_xaud_result *res, const vt_audit_chain *c, vt_audit_phase phase,
                           vt_xaud_where where, vt_buf *body, const vt_xaud_io *io, vt_err *err)
{
    json_t *doc;
    vt_buf out;
    vt_status rc;

    if (body->len > VT_AUDIT_MAX_BODY)
        return VT_OK; /* the built-in walker refuses it */
    doc = json_loadb((const char *)body->data, body->len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return VT_OK;
    }
    rc = vt_xaud_run_docs(rep, res, c, phase, where, &doc, 1, io, err);
    vt_buf_init(&out);
    if (rc == VT_OK && res->changed) {
        if (vt__json_dump_buf(&out, doc, JSON_COMPACT | JSON_PRESERVE_ORDER, NULL) != VT_OK) {
            rc = vt_err_set(err, VT_E_NOMEM, "audit: cannot serialise the audited body");
        } else {
            vt_buf swap = *body;
            *body = out;
            out = swap;
        }
    }
    vt_buf_free(&out);
    json_decref(doc);
    return rc;
}
