/* The "auditors" configuration: strict parsing, per-auditor canonical
 * digests, the set digest, and the compiled Hyperscan database per phase. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit_int.h"

#define AUDITOR_VERSION "1.1.0"

static const char *const builtin_names[T_NBUILTIN] = { "email", "phone", "card", "ssn", "iban", "ip", "secret" };
static const uint8_t builtin_default[T_NBUILTIN] = { ACT_REDACT, ACT_REDACT,   ACT_REDACT, ACT_REDACT,
                                                     ACT_REDACT, ACT_ANNOTATE, ACT_BLOCK };

typedef struct parse_ctx {
    vt_audit_chain *c;
    audit_expr *ex[2]; /* request, response */
    size_t ex_len[2];
    char **owned; /* expression strings built here */
    size_t owned_len;
} parse_ctx;

static bool only_members(json_t *o, const char *const *allowed, size_t n, const char **bad)
{
    const char *k;
    json_t *v;

    json_object_foreach(o, k, v) {
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (!ok) {
            *bad = k;
            return false;
        }
    }
    return true;
}

static vt_status parse_action(uint8_t *out, json_t *v, const char *where, vt_err *err)
{
    static const char *const names[] = { "allow", "annotate", "redact", "block" };
    const char *s = json_string_value(v);

    for (size_t i = 0; s != NULL && i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (uint8_t)i;
            return VT_OK;
        }
    }
    return vt_err_set(err, VT_E_FORMAT, "audit: %s must be \"redact\", \"block\", \"annotate\" or \"allow\"", where);
}

static vt_status parse_phases(unsigned *out, json_t *v, unsigned allowed, unsigned dflt, const char *where,
                              vt_err *err)
{
    static const char *const names[] = { "artifact", "request", "execution", "response" };
    size_t i;
    json_t *p;

    *out = dflt;
    if (v == NULL)
        return VT_OK;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return vt_err_set(err, VT_E_FORMAT, "audit: %s.phases must be a non-empty array", where);
    *out = 0;
    json_array_foreach(v, i, p) {
        const char *s = json_string_value(p);
        unsigned bit = 0;
        for (unsigned k = 0; s != NULL && k < 4; k++)
            if (strcmp(s, names[k]) == 0)
                bit = 1u << k;
        if (bit == 0 || !(bit & allowed))
            return vt_err_set(err, VT_E_FORMAT, "audit: %s.phases[%zu] is not a phase this auditor runs in", where, i);
        *out |= bit;
    }
    return VT_OK;
}

static vt_status add_expr(parse_ctx *p, unsigned phases, const char *re, unsigned flags, audit_det det, vt_err *err)
{
    for (int k = 0; k < 2; k++) {
        audit_expr *n;
        if (!(phases & (k == 0 ? VT_AUDIT_REQUEST : VT_AUDIT_RESPONSE)))
            continue;
        n = realloc(p->ex[k], (p->ex_len[k] + 1) * sizeof(*n));
        if (n == NULL)
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        p->ex[k] = n;
        n[p->ex_len[k]++] = (audit_expr){ re, flags, det };
    }
    return VT_OK;
}

static vt_status own(parse_ctx *p, char *s, vt_err *err)
{
    char **n = realloc(p->owned, (p->owned_len + 1) * sizeof(*n));

    if (n == NULL) {
        free(s);
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    }
    p->owned = n;
    n[p->owned_len++] = s;
    return VT_OK;
}

static vt_status add_type(parse_ctx *p, uint16_t *out, const char *name, uint8_t action, size_t auditor, vt_err *err)
{
    audit_type *t;

    if (p->c->type_len == AUDIT_MAX_TYPES)
        return vt_err_set(err, VT_E_LIMIT, "audit: more than %d finding types", AUDIT_MAX_TYPES);
    t = &p->c->types[p->c->type_len];
    snprintf(t->name, sizeof(t->name), "%s", name);
    for (size_t i = 0; i < sizeof(t->tag) - 1 && name[i] != '\0'; i++)
        t->tag[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    t->action = action;
    t->auditor = (uint8_t)auditor;
    *out = (uint16_t)p->c->type_len++;
    return VT_OK;
}

/* User regexes must match something and have a bounded width within the
 * streaming holdback, so that a match split across deltas is still seen. */
static vt_status check_regex(const char *re, unsigned flags, const char *where, vt_err *err)
{
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *ce = NULL;
    vt_status rc;

    if (hs_expression_info(re, flags, &info, &ce) != HS_SUCCESS) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s does not compile: %s", where,
                        ce != NULL ? ce->message : "unknown error");
        hs_free_compile_error(ce);
        return rc;
    }
    if (info->max_width == UINT_MAX || info->max_width > VT_AUDIT_HOLDBACK)
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s may match more than %d bytes (bound every repeat)", where,
                        VT_AUDIT_HOLDBACK);
    else if (info->min_width == 0)
        rc = vt_err_set(err, VT_E_FORMAT, "audit: %s matches the empty string", where);
    else
        rc = VT_OK;
    free(info);
    return rc;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= VT_AUDIT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static vt_status parse_pii(parse_ctx *p, json_t *o, size_t idx, vt_err *err)
{
    static const char *const allowed[] = { "name", "phases", "actions", "patterns" };
    audit_auditor *a = &p->c->a[idx];
    json_t *acts = json_object_get(o, "actions"), *pats = json_object_get(o, "patterns"), *v;
    uint8_t act[T_NBUILTIN];
    uint16_t tid[T_NBUILTIN];
    const char *bad = NULL, *k;
    const audit_expr *bi;
    size_t nbi = vt__audit_builtin(&bi), i;
    vt_status rc;
    char where[96];

    if (!only_members(o, allowed, 4, &bad))
        return vt_err_set(err, VT_E_FORMAT, "audit: auditors[%zu] (pii): unknown member '%.40s'", idx, bad);
    rc = parse_phases(&a->phases, json_object_get(o, "phases"), VT_AUDIT_REQUEST | VT_AUDIT_RESPONSE,
                      VT_AUDIT_REQUEST | VT_AUDIT_RESPONSE, "pii", err);
    if (rc != VT_OK)
        return rc;
    memcpy(act, builtin_default, sizeof(act));
    if (acts != NULL && !json_is_object(acts))
        return vt_err_set(err, VT_E_FORMAT, "audit: pii.actions must be an object");
    json_object_foreach(acts, k, v) {
        size_t t = 0;
        while (t < T_NBUILTIN && strcmp(k, builtin_names[t]) != 0)
            t++;
        if (t == T_NBUILTIN)
            return vt_err_set(err, VT_E_FORMAT,
                              "audit: pii.actions: unknown type '%.40s' (email, phone, card, ssn, iban, ip, secret)", k);
        snprintf(where, sizeof(where), "pii.actions.%s", k);
        rc = parse_action(&act[t], v, where, err);
        if (rc != VT_OK)
            return rc;
    }
    for (size_t t = 0; t < T_NBUILTIN; t++) {
        rc = add_type(p, &tid[t], builtin_names[t], act[t], idx, err);
        if (rc != VT_OK)
            return rc;
    }
    for (size_t e = 0; e < nbi; e++) {
        audit_det d = bi[e].det;
        size_t bt = d.type == TYPE_MARKER ? T_SECRET : d.type;
        if (act[bt] == ACT_ALLOW)
            continue;
        if (d.type != TYPE_MARKER)
            d.type = tid[bt];
        rc = add_expr(p, a->phases, bi[e].re, bi[e].flags, d, err);
        if (rc != VT_OK)
            return rc;
    }
    if (pats == NULL)
        return VT_OK;
    if (!json_is_array(pats) || json_array_size(pats) > AUDIT_MAX_CUSTOM)
        return vt_err_set(err, VT_E_FORMAT, "audit: pii.patterns must be an array of at most %d patterns",
                          AUDIT_MAX_CUSTOM);
    json_array_foreach(pats, i, v) {
        static const char *const pal[] = { "name", "regex", "action" };
        const char *name = json_string_value(json_object_get(v, "name"));
        const char *re = json_string_value(json_object_get(v, "regex"));
        uint8_t pact = ACT_REDACT;
        uint16_t t;
        char *copy;

        if (!json_is_object(v) || !only_members(v, pal, 3, &bad))
            return vt_err_set(err, VT_E_FORMAT, "audit: pii.patterns[%zu] must be an object of name, regex, action",
                              i);
        if (name == NULL || !valid_name(name))
            return vt_err_set(err, VT_E_FORMAT, "audit: pii.patterns[%zu].name must be 1-31 of [a-z0-9_]", i);
        for (size_t j = 0; j < p->c->type_len; j++)
            if (strcmp(p->c->types[j].name, name) == 0)
                return vt_err_set(err, VT_E_FORMAT, "audit: pii.patterns[%zu].name '%s' is already a type", i, name);
        if (re == NULL || re[0] == '\0')
            return vt_err_set(err, VT_E_FORMAT, "audit: pii.patterns[%zu].regex must be a non-empty string", i);
        snprintf(where, sizeof(where), "pii.patterns[%zu].action", i);
        if (json_object_get(v, "action") != NULL) {
            rc = parse_action(&pact, json_object_get(v, "action"), where, err);
            if (rc != VT_OK)
                return rc;
        }
        snprintf(where, sizeof(where), "pii.patterns[%zu].regex", i);
        rc = check_regex(re, HS_FLAG_SOM_LEFTMOST, where, err);
        if (rc == VT_OK)
            rc = add_type(p, &t, name, pact, idx, err);
        if (rc != VT_OK)
            return rc;
        if (pact == ACT_ALLOW)
            continue;
        copy = strdup(re);
        if (copy == NULL)
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        rc = own(p, copy, err);
        if (rc == VT_OK)
            rc = add_expr(p, a->phases, copy, HS_FLAG_SOM_LEFTMOST, (audit_det){ t, CHK_NONE, 0 }, err);
        if (rc != VT_OK)
            return rc;
    }
    return VT_OK;
}

/* A blocked term becomes a caseless literal: every byte but [A-Za-z0-9] escaped. */
static vt_status term_regex(char **out, const char *term, vt_err *err)
{
    size_t n = strlen(term);
    char *r = malloc(n * 4 + 1), *w = r;

    if (r == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)term[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) {
            *w++ = (char)ch;
        } else {
            w += snprintf(w, 5, "\\x%02x", ch);
        }
    }
    *w = '\0';
    *out = r;
    return VT_OK;
}

static vt_status parse_policy(parse_ctx *p, json_t *o, size_t idx, vt_err *err)
{
    static const char *const allowed[] = { "name",           "phases",          "blocked_terms",
                                           "blocked_patterns", "allowed_models", "max_input_bytes",
                                           "allow_token_ids", "allow_unknown_fields", "allow_media" };
    audit_auditor *a = &p->c->a[idx];
    json_t *terms = json_object_get(o, "blocked_terms"), *pats = json_object_get(o, "blocked_patterns");
    json_t *models = json_object_get(o, "allowed_models"), *max = json_object_get(o, "max_input_bytes"), *v;
    const char *bad = NULL;
    uint16_t tterm = 0, tpat = 0;
    size_t i;
    vt_status rc;
    char where[64];

    if (!only_members(o, allowed, sizeof(allowed) / sizeof(allowed[0]), &bad))
        return vt_err_set(err, VT_E_FORMAT, "audit: auditors[%zu] (policy): unknown member '%.40s'", idx, bad);
    {
        /* What the request walker may let through unaudited (recorded in each report). */
        static const char *const names[] = { "allow_token_ids", "allow_unknown_fields", "allow_media" };
        bool *dst[] = { &a->req_opts.allow_token_ids, &a->req_opts.allow_unknown_fields, &a->req_opts.allow_media };
        for (size_t k = 0; k < 3; k++) {
            json_t *b = json_object_get(o, names[k]);
            if (b != NULL && !json_is_boolean(b))
                return vt_err_set(err, VT_E_FORMAT, "audit: policy.%s must be true or false", names[k]);
            *dst[k] = json_is_true(b);
        }
    }
    rc = parse_phases(&a->phases, json_object_get(o, "phases"), VT_AUDIT_REQUEST | VT_AUDIT_RESPONSE,
                      VT_AUDIT_REQUEST | VT_AUDIT_RESPONSE, "policy", err);
    if (rc == VT_OK)
        rc = add_type(p, &tterm, "blocked_term", ACT_BLOCK, idx, err);
    if (rc == VT_OK)
        rc = add_type(p, &tpat, "blocked_pattern", ACT_BLOCK, idx, err);
    if (rc != VT_OK)
        return rc;
    if (terms != NULL && (!json_is_array(terms) || json_array_size(terms) > AUDIT_MAX_LIST))
        return vt_err_set(err, VT_E_FORMAT, "audit: policy.blocked_terms must be an array of at most %d strings",
                          AUDIT_MAX_LIST);
    json_array_foreach(terms, i, v) {
        const char *s = json_string_value(v);
        char *re = NULL;
        if (s == NULL || s[0] == '\0' || strlen(s) > VT_AUDIT_HOLDBACK || strlen(s) != json_string_length(v))
            return vt_err_set(err, VT_E_FORMAT, "audit: policy.blocked_terms[%zu] must be a string of 1-%d bytes", i,
                              VT_AUDIT_HOLDBACK);
        rc = term_regex(&re, s, err);
        if (rc == VT_OK)
            rc = own(p, re, err);
        if (rc == VT_OK)
            rc = add_expr(p, a->phases, re, HS_FLAG_CASELESS, (audit_det){ tterm, CHK_NONE, (uint16_t)strlen(s) },
                          err);
        if (rc != VT_OK)
            return rc;
    }
    if (pats != NULL && (!json_is_array(pats) || json_array_size(pats) > AUDIT_MAX_LIST))
        return vt_err_set(err, VT_E_FORMAT, "audit: policy.blocked_patterns must be an array of at most %d strings",
                          AUDIT_MAX_LIST);
    json_array_foreach(pats, i, v) {
        const char *s = json_string_value(v);
        char *copy;
        if (s == NULL || s[0] == '\0')
            return vt_err_set(err, VT_E_FORMAT, "audit: policy.blocked_patterns[%zu] must be a non-empty string", i);
        snprintf(where, sizeof(where), "policy.blocked_patterns[%zu]", i);
        rc = check_regex(s, HS_FLAG_SOM_LEFTMOST, where, err);
        if (rc != VT_OK)
            return rc;
        copy = strdup(s);
        if (copy == NULL)
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        rc = own(p, copy, err);
        if (rc == VT_OK)
            rc = add_expr(p, a->phases, copy, HS_FLAG_SOM_LEFTMOST, (audit_det){ tpat, CHK_NONE, 0 }, err);
        if (rc != VT_OK)
            return rc;
    }
    if (models != NULL) {
        if (!json_is_array(models) || json_array_size(models) == 0 || json_array_size(models) > AUDIT_MAX_LIST)
            return vt_err_set(err, VT_E_FORMAT, "audit: policy.allowed_models must be an array of 1-%d strings",
                              AUDIT_MAX_LIST);
        a->models = calloc(json_array_size(models), sizeof(char *));
        if (a->models == NULL)
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        json_array_foreach(models, i, v) {
            const char *s = json_string_value(v);
            if (s == NULL || s[0] == '\0' || strlen(s) != json_string_length(v))
                return vt_err_set(err, VT_E_FORMAT, "audit: policy.allowed_models[%zu] must be a non-empty string", i);
            a->models[i] = strdup(s);
            if (a->models[i] == NULL)
                return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
            a->model_len = i + 1;
        }
    }
    if (max != NULL) {
        json_int_t m = json_integer_value(max);
        if (!json_is_integer(max) || m <= 0 || (uint64_t)m > VT_AUDIT_MAX_BODY)
            return vt_err_set(err, VT_E_FORMAT, "audit: policy.max_input_bytes must be an integer in 1..%zu",
                              VT_AUDIT_MAX_BODY);
        a->max_input = (size_t)m;
    }
    return VT_OK;
}

static vt_status parse_artifact(parse_ctx *p, json_t *o, size_t idx, vt_err *err)
{
    static const char *const allowed[] = { "name", "phases", "reference_digests" };
    audit_auditor *a = &p->c->a[idx];
    json_t *refs = json_object_get(o, "reference_digests"), *v;
    const char *bad = NULL;
    size_t i, n;
    vt_status rc;

    if (!only_members(o, allowed, 3, &bad))
        return vt_err_set(err, VT_E_FORMAT, "audit: auditors[%zu] (artifact): unknown member '%.40s'", idx, bad);
    rc = parse_phases(&a->phases, json_object_get(o, "phases"), VT_AUDIT_ARTIFACT, VT_AUDIT_ARTIFACT, "artifact", err);
    if (rc != VT_OK)
        return rc;
    n = json_array_size(refs);
    if (!json_is_array(refs) || n == 0 || n > AUDIT_MAX_LIST)
        return vt_err_set(err, VT_E_FORMAT, "audit: artifact.reference_digests must be an array of 1-%d hex digests",
                          AUDIT_MAX_LIST);
    a->refs = calloc(n, sizeof(*a->refs));
    a->ref_lens = calloc(n, sizeof(*a->ref_lens));
    if (a->refs == NULL || a->ref_lens == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    json_array_foreach(refs, i, v) {
        const char *s = json_string_value(v);
        size_t len = s != NULL ? strlen(s) : 0;
        if ((len != 64 && len != 96 && len != 128) ||
            vt_hex_decode(a->refs[i], len / 2, s, len, NULL) != VT_OK)
            return vt_err_set(err, VT_E_FORMAT,
                              "audit: artifact.reference_digests[%zu] must be 64, 96 or 128 hex characters", i);
        a->ref_lens[i] = len / 2;
    }
    a->ref_len = n;
    return VT_OK;
}

static vt_status parse_execution(parse_ctx *p, json_t *o, size_t idx, vt_err *err)
{
    static const char *const allowed[] = { "name", "phases" };
    const char *bad = NULL;

    if (!only_members(o, allowed, 2, &bad))
        return vt_err_set(err, VT_E_FORMAT, "audit: auditors[%zu] (execution): unknown member '%.40s'", idx, bad);
    return parse_phases(&p->c->a[idx].phases, json_object_get(o, "phases"), VT_AUDIT_EXECUTION, VT_AUDIT_EXECUTION,
                        "execution", err);
}

static vt_status config_digest(uint8_t out[32], json_t *o, vt_err *err)
{
    char *canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    vt_status rc;

    if (canon == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: cannot serialize the auditor config");
    rc = vt_digest(VT_MD_SHA256, canon, strlen(canon), out, err);
    free(canon);
    return rc;
}

static vt_status set_digest(vt_audit_chain *c, vt_err *err)
{
    static const char label[] = "veritee-auditors-v1";
    vt_buf b = { 0 };
    vt_status rc = vt_buf_append(&b, label, sizeof(label), err);

    for (size_t i = 0; i < c->len && rc == VT_OK; i++) {
        rc = vt_buf_append(&b, c->a[i].name, strlen(c->a[i].name) + 1, err);
        if (rc == VT_OK)
            rc = vt_buf_append(&b, c->a[i].version, strlen(c->a[i].version) + 1, err);
        if (rc == VT_OK)
            rc = vt_buf_append(&b, c->a[i].digest, 32, err);
    }
    if (rc == VT_OK)
        rc = vt_digest(VT_MD_SHA256, b.data, b.len, c->set_digest, err);
    vt_buf_free(&b);
    return rc;
}

vt_status vt_audit_chain_new(vt_audit_chain **out, const char *json, size_t len, vt_err *err)
{
    return vt__audit_chain_parse(out, json, len, true, err);
}

vt_status vt__audit_chain_parse(vt_audit_chain **out, const char *json, size_t len, bool compile, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    parse_ctx p = { 0 };
    json_error_t jerr;
    json_t *doc = NULL, *arr, *o;
    size_t i;

    *out = NULL;
    p.c = calloc(1, sizeof(*p.c));
    if (p.c == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: config is not JSON (line %d: %.80s)", jerr.line, jerr.text);
        goto out;
    }
    arr = json_is_object(doc) ? json_object_get(doc, "auditors") : doc;
    if (!json_is_array(arr)) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: auditors must be an array");
        goto out;
    }
    if (json_array_size(arr) > VT_AUDIT_MAX_AUDITORS) {
        rc = vt_err_set(err, VT_E_LIMIT, "audit: more than %d auditors", VT_AUDIT_MAX_AUDITORS);
        goto out;
    }
    json_array_foreach(arr, i, o) {
        static const char *const kinds[] = { "pii", "policy", "artifact", "execution" };
        const char *name = json_string_value(json_object_get(o, "name"));
        audit_auditor *a = &p.c->a[i];
        size_t k = 0;

        const char *kind = json_string_value(json_object_get(o, "kind"));

        if (!json_is_object(o) || name == NULL) {
            rc = vt_err_set(err, VT_E_FORMAT, "audit: auditors[%zu] must be an object with a string \"name\"", i);
            goto out;
        }
        if (json_object_get(o, "kind") != NULL && (kind == NULL || strcmp(kind, "external") != 0)) {
            rc = vt_err_set(err, VT_E_FORMAT, "audit: auditors[%zu].kind must be \"external\" (or absent for a "
                            "built-in)", i);
            goto out;
        }
        if (kind != NULL)
            k = A_EXTERNAL;
        else
            while (k < 4 && strcmp(name, kinds[k]) != 0)
                k++;
        if (k == 4 && kind == NULL) {
            rc = vt_err_set(err, VT_E_FORMAT,
                            "audit: auditors[%zu].name '%.40s' is not an auditor (pii, policy, artifact, execution)", i,
                            name);
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(p.c->a[j].name, name) == 0) {
                rc = vt_err_set(err, VT_E_FORMAT, "audit: auditors[%zu]: '%s' is configured twice", i, name);
                goto out;
            }
        }
        a->kind = (audit_kind)k;
        snprintf(a->name, sizeof(a->name), "%s", name);
        a->version = AUDITOR_VERSION;
        p.c->len = i + 1;
        if (k == A_EXTERNAL) {
            rc = vt__xaud_parse(&a->ext, o, i, err);
            if (rc == VT_OK) {
                a->version = a->ext->version;
                a->phases = a->ext->phases;
                snprintf(a->name, sizeof(a->name), "%s", a->ext->name);
            }
        } else if (k == A_PII)
            rc = parse_pii(&p, o, i, err);
        else if (k == A_POLICY)
            rc = parse_policy(&p, o, i, err);
        else if (k == A_ARTIFACT)
            rc = parse_artifact(&p, o, i, err);
        else
            rc = parse_execution(&p, o, i, err);
        if (rc == VT_OK)
            rc = config_digest(a->digest, o, err);
        if (rc != VT_OK)
            goto out;
        p.c->info[i].name = a->name;
        p.c->info[i].version = a->version;
        memcpy(p.c->info[i].config_digest, a->digest, 32);
        p.c->info[i].phases = a->phases;
    }
    rc = set_digest(p.c, err);
    if (rc == VT_OK && compile)
        rc = vt__audit_compile(&p.c->req, p.ex[0], p.ex_len[0], err);
    if (rc == VT_OK && compile)
        rc = vt__audit_compile(&p.c->resp, p.ex[1], p.ex_len[1], err);
    if (rc != VT_OK)
        goto out;
    *out = p.c;
    p.c = NULL;
out:
    json_decref(doc);
    free(p.ex[0]);
    free(p.ex[1]);
    for (size_t j = 0; j < p.owned_len; j++)
        free(p.owned[j]);
    free(p.owned);
    vt_audit_chain_free(p.c);
    return rc;
}

void vt_audit_chain_free(vt_audit_chain *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < VT_AUDIT_MAX_AUDITORS; i++) {
        for (size_t j = 0; j < c->a[i].model_len; j++)
            free(c->a[i].models[j]);
        free(c->a[i].models);
        free(c->a[i].refs);
        free(c->a[i].ref_lens);
        vt__xaud_spec_free(c->a[i].ext);
    }
    vt__audit_db_free(&c->req);
    vt__audit_db_free(&c->resp);
    free(c);
}

size_t vt_audit_chain_count(const vt_audit_chain *c)
{
    return c->len;
}

const vt_auditor_info *vt_audit_chain_get(const vt_audit_chain *c, size_t i)
{
    return i < c->len ? &c->info[i] : NULL;
}

void vt_audit_chain_digest(const vt_audit_chain *c, uint8_t out[32])
{
    memcpy(out, c->set_digest, 32);
}
