/* An auditor report as JSON: the names of verdicts and phases, and the report's
 * tree, shared by its text form and the receipt.  In the core library (no
 * Hyperscan here): receipts are signed and checked there. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/report_tree.h"
#include "veritee/crypto.h"

const char *vt_audit_verdict_name(vt_audit_verdict v)
{
    static const char *const names[] = { "allow", "annotate", "redact", "block" };
    return (unsigned)v < 4 ? names[v] : "unknown";
}

const char *vt_audit_phase_name(vt_audit_phase p)
{
    switch (p) {
    case VT_AUDIT_ARTIFACT:
        return "artifact";
    case VT_AUDIT_REQUEST:
        return "request";
    case VT_AUDIT_EXECUTION:
        return "execution";
    case VT_AUDIT_RESPONSE:
        return "response";
    }
    return "unknown";
}

const vt_audit_phase vt__audit_phase_order[4] = { VT_AUDIT_ARTIFACT, VT_AUDIT_REQUEST, VT_AUDIT_EXECUTION,
                                                  VT_AUDIT_RESPONSE };

json_t *vt__audit_phase_list(unsigned bits)
{
    const vt_audit_phase *order = vt__audit_phase_order;
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < 4; i++)
        if ((bits & (unsigned)order[i]) && json_array_append_new(a, json_string(vt_audit_phase_name(order[i]))) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The report as one tree, for its JSON text (report_tree.h).  NULL when out of memory. */
json_t *vt__audit_report_tree(const vt_audit_report *r)
{
    json_t *o = json_object(), *arr = json_array(), *cov = json_object(), *un = json_array();

    if (o == NULL || arr == NULL || cov == NULL || un == NULL) {
        json_decref(o);
        json_decref(arr);
        json_decref(cov);
        json_decref(un);
        return NULL;
    }
    json_object_set_new(o, "verdict", json_string(vt_audit_verdict_name(r->verdict)));
    for (size_t i = 0; i < r->entry_len; i++) {
        const vt_audit_entry *e = &r->entries[i];
        json_t *a = json_object(), *f = json_object(), *n = json_object();
        char hex[65];

        if (json_array_append_new(arr, a) != 0 || f == NULL || n == NULL) { /* append takes a, even NULL */
            json_decref(f);
            json_decref(n);
            goto nomem;
        }
        vt_hex_encode(hex, e->config_digest, 32);
        json_object_set_new(a, "name", json_string(e->name));
        json_object_set_new(a, "phase", json_string(vt_audit_phase_name(e->phase)));
        json_object_set_new(a, "version", json_string(e->version));
        json_object_set_new(a, "config_digest", json_string(hex));
        json_object_set_new(a, "verdict", json_string(vt_audit_verdict_name(e->verdict)));
        for (size_t k = 0; k < e->count_len; k++)
            json_object_set_new(f, e->counts[k].type, json_integer(e->counts[k].count));
        json_object_set_new(a, "findings", f);
        for (size_t k = 0; k < e->note_len; k++)
            json_object_set_new(n, e->notes[k].key, json_integer(e->notes[k].value));
        json_object_set_new(a, "annotations", n);
        if (e->verdict == VT_AUDIT_BLOCK)
            json_object_set_new(a, "reason", json_string(e->reason));
        /* jansson drops a member whose value failed to allocate: count them. */
        if (json_object_size(a) != (e->verdict == VT_AUDIT_BLOCK ? 8u : 7u))
            goto nomem;
    }
    for (size_t i = 0; i < r->unaudited_len; i++)
        if (json_array_append_new(un, json_string(r->unaudited[i])) != 0)
            goto nomem;
    json_object_set_new(cov, "audited", vt__audit_phase_list(r->audited));
    json_object_set_new(cov, "failed", vt__audit_phase_list(r->failed));
    json_object_set_new(cov, "unaudited", un);
    un = NULL;
    json_object_set_new(o, "auditors", arr);
    arr = NULL;
    json_object_set_new(o, "coverage", cov);
    cov = NULL;
    if (json_object_size(o) == 3 && json_object_size(json_object_get(o, "coverage")) == 3)
        return o;
nomem:
    json_decref(o);
    json_decref(arr);
    json_decref(cov);
    json_decref(un);
    return NULL;
}

vt_status vt_audit_report_json(vt_buf *out, const vt_audit_report *r, vt_err *err)
{
    json_t *o = vt__audit_report_tree(r);
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    vt_status rc;

    json_decref(o);
    if (s == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: cannot serialize the report");
    rc = vt_buf_append(out, s, strlen(s), err);
    free(s);
    return rc;
}
