/* veritee-auditor/1: building requests, reading answers strictly, applying
 * redactions.  Everything an auditor says is checked before the gateway acts
 * on it: a buggy or hostile auditor can refuse an exchange, never corrupt one. */
#include <stdlib.h>
#include <string.h>

#include "audit/external.h"

#define MAX_COUNT 1000000

static const char *const verdicts[] = { "allow", "annotate", "redact", "block" };

vt_status vt_xaud_request_json(char **out, const vt_xaud_request *rq, vt_err *err)
{
    json_t *texts = json_array(), *j = NULL;

    *out = NULL;
    if (rq->text_count > VT_XAUD_MAX_TEXTS) {
        json_decref(texts);
        return vt_err_set(err, VT_E_LIMIT, "auditor %s: more than %d texts in one request", rq->auditor,
                          VT_XAUD_MAX_TEXTS);
    }
    for (size_t i = 0; texts != NULL && i < rq->text_count; i++)
        if (json_array_append_new(texts, json_pack("{s:s, s:s%}", "path", rq->texts[i].path, "text",
                                                   rq->texts[i].text, rq->texts[i].len)) != 0) {
            json_decref(texts);
            texts = NULL;
        }
    if (texts != NULL)
        j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "protocol", VT_XAUD_PROTOCOL, "auditor", rq->auditor, "phase",
                      vt_audit_phase_name(rq->phase), "exchange", rq->exchange != NULL ? rq->exchange : "",
                      "endpoint", rq->endpoint != NULL ? rq->endpoint : "", "texts", texts);
    if (j != NULL && rq->streamed)
        json_object_set_new(j, "stream", json_pack("{s:I, s:b}", "window", (json_int_t)rq->window, "final",
                                                   rq->final_window));
    if (j != NULL && rq->context != NULL) {
        const vt_xaud_context *c = rq->context;
        json_object_set_new(j, "context", json_pack("{s:s?, s:s?, s:b, s:s?}", "environment", c->environment,
                                                    "platform", c->platform, "hardware_attested",
                                                    c->hardware_attested, "model", c->model));
    }
    if (j != NULL)
        *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return *out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "auditor: out of memory");
}

void vt_xaud_answer_clear(vt_xaud_answer *a)
{
    free(a->redactions);
    json_decref(a->annotations);
    memset(a, 0, sizeof(*a));
}

static bool type_name_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < VT_AUDIT_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* A byte offset that does not cut a UTF-8 sequence. */
static bool boundary(const char *s, size_t len, size_t off)
{
    return off == 0 || off == len || ((unsigned char)s[off] & 0xc0) != 0x80;
}

static vt_status parse_findings(vt_xaud_answer *a, const json_t *f, const char *who, vt_err *err)
{
    const char *k;
    json_t *v;

    if (f == NULL)
        return VT_OK;
    if (!json_is_object(f) || json_object_size(f) > VT_AUDIT_MAX_TYPES)
        return vt_err_set(err, VT_E_FORMAT, "auditor %s: findings must be an object of at most %d types", who,
                          VT_AUDIT_MAX_TYPES);
    json_object_foreach((json_t *)f, k, v)
    {
        if (!type_name_ok(k))
            return vt_err_set(err, VT_E_FORMAT, "auditor %s: finding type \"%.32s\" is not 1..31 of [a-z0-9_]", who, k);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MAX_COUNT)
            return vt_err_set(err, VT_E_FORMAT, "auditor %s: finding %s: count must be an integer 0..%d", who, k,
                              MAX_COUNT);
        memcpy(a->types[a->type_count], k, strlen(k) + 1);
        a->counts[a->type_count++] = (uint32_t)json_integer_value(v);
    }
    return VT_OK;
}

static int by_position(const void *x, const void *y)
{
    const vt_xaud_redaction *a = x, *b = y;
    if (a->text != b->text)
        return a->text < b->text ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

static vt_status parse_redactions(vt_xaud_answer *a, const json_t *r, const vt_xaud_request *rq, const char *who,
                                  vt_err *err)
{
    size_t n = json_array_size(r), i;
    const json_t *e;

    if (r == NULL)
        return VT_OK;
    if (!json_is_array(r) || n > VT_XAUD_MAX_REDACTIONS)
        return vt_err_set(err, VT_E_FORMAT, "auditor %s: redactions must be an array of at most %d", who,
                          VT_XAUD_MAX_REDACTIONS);
    if (n > 0 && a->verdict != VT_AUDIT_REDACT)
        return vt_err_set(err, VT_E_FORMAT, "auditor %s: redactions come only with the verdict redact", who);
    a->redactions = calloc(n > 0 ? n : 1, sizeof(*a->redactions));
    if (a->redactions == NULL)
        return vt_err_set(err, VT_E_NOMEM, "auditor: out of memory");
    json_array_foreach(r, i, e)
    {
        vt_xaud_redaction *d = &a->redactions[i];
        const json_t *t = json_object_get(e, "text"), *s = json_object_get(e, "start"), *en = json_object_get(e, "end");
        const json_t *rep = json_object_get(e, "replacement");
        const vt_xaud_text *tx;

        if (!json_is_object(e) || json_object_size(e) != 4 || !json_is_integer(t) || !json_is_integer(s) ||
            !json_is_integer(en) || !json_is_string(rep))
            return vt_err_set(err, VT_E_FORMAT, "auditor %s: redactions[%zu] must be {text, start, end, replacement}",
                              who, i);
        if (json_integer_value(t) < 0 || (size_t)json_integer_value(t) >= rq->text_count)
            return vt_err_set(err, VT_E_FORMAT, "auditor %s: redactions[%zu].text is not a text of the request", who, i);
        d->text = (size_t)json_integer_value(t);
        tx = &rq->texts[d->text];
        if (json_integer_value(s) < 0 || json_integer_value(en) <= json_integer_value(s) ||
            (size_t)json_integer_value(en) > tx->len)
            return vt_err_set(err, VT_E_FORMAT, "auditor %s: redactions[%zu]: 0 <= start < end <= %zu required", who, i,
                              tx->len);
        d->start = (size_t)json_integer_value(s);
        d->end = (size_t)json_integer_value(en);
        if (!boundary(tx->text, tx->len, d->start) || !boundary(tx->text, tx->len, d->end))
            return vt_err_set(err, VT_E_FORMAT, "auditor %s: redactions[%zu] cuts a UTF-8 character", who, i);
        if (json_string_length(rep) > VT_XAUD_MAX_REPLACEMENT ||
            strlen(json_string_value(rep)) != json_string_length(rep) ||
            !printable(json_string_value(rep), json_string_length(rep)))
            return vt_err_set(err, VT_E_FORMAT, "auditor %s: redactions[%zu].replacement must be at most %d printable "
                              "bytes", who, i, VT_XAUD_MAX_REPLACEMENT);
        memcpy(d->replacement, json_string_value(rep), json_string_length(rep) + 1);
    }
    a->redaction_count = n;
    qsort(a->redactions, n, sizeof(*a->redactions), by_position);
    for (i = 1; i < n; i++)
        if (a->redactions[i].text == a->redactions[i - 1].text && a->redactions[i].start < a->redactions[i - 1].end)
            return vt_err_set(err, VT_E_FORMAT, "auditor %s: redactions overlap in text %zu", who,
                              a->redactions[i].text);
    return VT_OK;
}

static vt_status parse_annotations(vt_xaud_answer *a, const json_t *an, const char *who, vt_err *err)
{
    const char *k;
    json_t *v;

    if (an == NULL)
        return VT_OK;
    if (!json_is_object(an) || json_object_size(an) > VT_AUDIT_MAX_NOTES)
        return vt_err_set(err, VT_E_FORMAT, "auditor %s: annotations must be an object of at most %d members", who,
                          VT_AUDIT_MAX_NOTES);
    json_object_foreach((json_t *)an, k, v)
    {
        if (!type_name_ok(k) ||
            !(json_is_integer(v) || json_is_real(v) || json_is_boolean(v) ||
              (json_is_string(v) && json_string_length(v) <= 128 &&
               printable(json_string_value(v), json_string_length(v)))))
            return vt_err_set(err, VT_E_FORMAT, "auditor %s: annotation \"%.32s\" must be named [a-z0-9_] and be a "
                              "number, a boolean or a string of at most 128 printable bytes", who, k);
    }
    a->annotations = json_deep_copy(an);
    return a->annotations != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "auditor: out of memory");
}

vt_status vt_xaud_answer_parse(vt_xaud_answer *out, const vt_xaud_request *rq, const char *json, size_t len,
                               vt_err *err)
{
    static const char *const keys[] = { "verdict", "findings", "redactions", "annotations", "reason", NULL };
    const char *who = rq->auditor, *verdict, *k;
    json_t *doc = NULL, *v;
    vt_status rc = VT_E_FORMAT;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (len > VT_XAUD_MAX_ANSWER)
        return vt_err_set(err, VT_E_LIMIT, "auditor %s: answer larger than %zu bytes", who, VT_XAUD_MAX_ANSWER);
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        vt_err_set(err, VT_E_FORMAT, "auditor %s: the answer is not a JSON object (or repeats a key)", who);
        goto out;
    }
    json_object_foreach(doc, k, v)
    {
        bool known = false;
        for (i = 0; keys[i] != NULL && !known; i++)
            known = strcmp(k, keys[i]) == 0;
        if (!known) {
            vt_err_set(err, VT_E_FORMAT, "auditor %s: unknown member \"%.32s\" in the answer", who, k);
            goto out;
        }
    }
    verdict = json_string_value(json_object_get(doc, "verdict"));
    for (i = 0; verdict != NULL && i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
        if (strcmp(verdict, verdicts[i]) == 0)
            break;
    if (verdict == NULL || i == sizeof(verdicts) / sizeof(verdicts[0])) {
        vt_err_set(err, VT_E_FORMAT, "auditor %s: verdict must be allow, annotate, redact or block", who);
        goto out;
    }
    out->verdict = (vt_audit_verdict)i;
    v = json_object_get(doc, "reason");
    if (v != NULL && (!json_is_string(v) || json_string_length(v) > VT_XAUD_MAX_REASON ||
                      strlen(json_string_value(v)) != json_string_length(v) ||
                      !printable(json_string_value(v), json_string_length(v)))) {
        vt_err_set(err, VT_E_FORMAT, "auditor %s: reason must be at most %d printable bytes", who, VT_XAUD_MAX_REASON);
        goto out;
    }
    if (v != NULL)
        memcpy(out->reason, json_string_value(v), json_string_length(v) + 1);
    if (out->verdict == VT_AUDIT_BLOCK && out->reason[0] == '\0') {
        vt_err_set(err, VT_E_FORMAT, "auditor %s: a block needs a reason", who);
        goto out;
    }
    if ((rc = parse_findings(out, json_object_get(doc, "findings"), who, err)) != VT_OK ||
        (rc = parse_redactions(out, json_object_get(doc, "redactions"), rq, who, err)) != VT_OK ||
        (rc = parse_annotations(out, json_object_get(doc, "annotations"), who, err)) != VT_OK)
        goto out;
    if (out->verdict == VT_AUDIT_REDACT && out->redaction_count == 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "auditor %s: the verdict redact needs redactions", who);
        goto out;
    }
    rc = VT_OK;
out:
    json_decref(doc);
    if (rc != VT_OK)
        vt_xaud_answer_clear(out);
    return rc;
}

vt_status vt_xaud_apply(vt_buf *out, const vt_xaud_answer *a, const vt_xaud_request *rq, size_t i, vt_err *err)
{
    const vt_xaud_text *t;
    size_t at = 0;
    vt_status rc = VT_OK;

    if (i >= rq->text_count)
        return vt_err_set(err, VT_E_ARG, "auditor: no text %zu", i);
    t = &rq->texts[i];
    for (size_t k = 0; rc == VT_OK && k < a->redaction_count; k++) {
        const vt_xaud_redaction *d = &a->redactions[k];
        if (d->text != i)
            continue;
        rc = vt_buf_append(out, t->text + at, d->start - at, err);
        if (rc == VT_OK)
            rc = vt_buf_append(out, d->replacement, strlen(d->replacement), err);
        at = d->end;
    }
    if (rc == VT_OK)
        rc = vt_buf_append(out, t->text + at, t->len - at, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(out, err);
    return rc;
}
