/* Normalized claims and results: recording findings, names, and the JSON
 * form that `veritee verify --json` prints for every platform alike. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/plugin.h"

static const char *const tee_names[] = {
    [VT_TEE_NONE] = "auto", [VT_TEE_MOCK] = "mock",     [VT_TEE_TDX] = "tdx",  [VT_TEE_SEVSNP] = "sevsnp",
    [VT_TEE_NITRO] = "nitro", [VT_TEE_TPM] = "tpm",     [VT_TEE_NVGPU] = "nvgpu", [VT_TEE_COMPOSITE] = "composite",
};

const char *vt_tee_name(vt_tee_kind kind)
{
    if ((size_t)kind < sizeof(tee_names) / sizeof(tee_names[0]) && tee_names[kind] != NULL)
        return tee_names[kind];
    return "unknown";
}

vt_status vt_tee_parse(vt_tee_kind *out, const char *name, vt_err *err)
{
    for (size_t i = 0; i < sizeof(tee_names) / sizeof(tee_names[0]); i++) {
        if (tee_names[i] != NULL && strcmp(name, tee_names[i]) == 0) {
            *out = (vt_tee_kind)i;
            return VT_OK;
        }
    }
    *out = VT_TEE_NONE;
    return vt_err_set(err, VT_E_ARG, "tee: unknown platform '%.32s' (auto, mock, tdx, sevsnp, nitro, tpm, nvgpu, composite)",
                      name);
}

const char *vt_verdict_name(vt_verdict v)
{
    switch (v) {
    case VT_VERDICT_AFFIRMING: return "affirming";
    case VT_VERDICT_WARNING: return "warning";
    case VT_VERDICT_CONTRAINDICATED: return "contraindicated";
    }
    return "contraindicated";
}

VT_PRINTF(4, 0)
static void add_finding(vt_finding *arr, size_t *count, const char *check, const char *fmt, va_list ap)
{
    vt_finding *f;

    if (*count >= VT_FINDINGS_MAX) {
        /* Keep the last slot as a marker that findings were dropped. */
        f = &arr[VT_FINDINGS_MAX - 1];
        snprintf(f->check, sizeof(f->check), "%s", "more");
        snprintf(f->msg, sizeof(f->msg), "%s", "further findings were dropped");
        return;
    }
    f = &arr[(*count)++];
    snprintf(f->check, sizeof(f->check), "%s", check);
    vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
}

void vt__result_fail(vt_result *r, const char *check, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_finding(r->errors, &r->error_count, check, fmt, ap);
    va_end(ap);
}

void vt__result_warn(vt_result *r, const char *check, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_finding(r->warnings, &r->warning_count, check, fmt, ap);
    va_end(ap);
}

void vt__claims_add(vt_claims *c, const char *name, const uint8_t *value, size_t len)
{
    vt_claim *cl;

    if (c->field_count >= VT_CLAIMS_MAX || len > VT_CLAIM_VALUE_MAX)
        return;
    cl = &c->fields[c->field_count++];
    snprintf(cl->name, sizeof(cl->name), "%s", name);
    memcpy(cl->value, value, len);
    cl->len = len;
    cl->text = false;
}

static bool printable(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return len > 0;
}

void vt__claims_add_text(vt_claims *c, const char *name, const char *value)
{
    size_t len = strlen(value), before = c->field_count;

    vt__claims_add(c, name, (const uint8_t *)value, len);
    if (c->field_count > before)
        c->fields[before].text = printable((const uint8_t *)value, len);
}

void vt__claims_copy(vt_claims *c, const char *name, const vt_claim *from)
{
    size_t before = c->field_count;

    vt__claims_add(c, name, from->value, from->len);
    if (c->field_count > before)
        c->fields[before].text = from->text && printable(from->value, from->len);
}

void vt__claims_add_signer(vt_claims *c, const char *role, const char *value)
{
    vt_signer *s;

    if (c->signer_count >= VT_SIGNERS_MAX)
        return;
    s = &c->signers[c->signer_count++];
    snprintf(s->role, sizeof(s->role), "%s", role);
    snprintf(s->value, sizeof(s->value), "%s", value);
}

void vt__claims_window(vt_claims *c, vt_time nb, vt_time na)
{
    if (c->not_before == 0 || nb > c->not_before)
        c->not_before = nb;
    if (c->not_after == 0 || na < c->not_after)
        c->not_after = na;
}

const vt_claim *vt_claims_get(const vt_claims *c, const char *name)
{
    for (size_t i = 0; i < c->field_count; i++)
        if (strcmp(c->fields[i].name, name) == 0)
            return &c->fields[i];
    return NULL;
}

/* ---- JSON ---- */

json_t *vt__json_hex(const uint8_t *p, size_t n)
{
    char *buf = malloc(2 * n + 1);
    json_t *j;

    if (buf == NULL)
        return json_null();
    vt_hex_encode(buf, p, n);
    j = json_string(buf);
    free(buf);
    return j;
}

static json_t *hex_json(const uint8_t *p, size_t len)
{
    char hex[2 * VT_CLAIM_VALUE_MAX + 1];

    if (len > VT_CLAIM_VALUE_MAX)
        len = VT_CLAIM_VALUE_MAX;
    vt_hex_encode(hex, p, len);
    return json_string(hex);
}

static json_t *time_json(vt_time t)
{
    char s[32];

    if (t == 0)
        return json_null();
    vt_time_format(s, t);
    return json_string(s);
}

static json_t *claims_json(const vt_claims *c)
{
    json_t *o = json_object(), *signers = json_array();

    for (size_t i = 0; i < c->field_count; i++) {
        const vt_claim *f = &c->fields[i];
        json_object_set_new(o, f->name, f->text && printable(f->value, f->len)
                                            ? json_stringn((const char *)f->value, f->len)
                                            : hex_json(f->value, f->len));
    }
    json_object_set_new(o, "report_data", hex_json(c->report_data, sizeof(c->report_data)));
    json_object_set_new(o, "debug", json_boolean(c->debug));
    json_object_set_new(o, "version", json_integer(c->version));
    for (size_t i = 0; i < c->signer_count; i++)
        json_array_append_new(signers, json_pack("{s:s, s:s}", "role", c->signers[i].role, "identity",
                                                 c->signers[i].value));
    json_object_set_new(o, "signers", signers);
    json_object_set_new(o, "valid_from", time_json(c->not_before));
    json_object_set_new(o, "valid_until", time_json(c->not_after));
    return o;
}

static json_t *findings_json(const vt_finding *f, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "check", f[i].check, "message", f[i].msg));
    return a;
}

static vt_status dump(char **out, json_t *o, vt_err *err)
{
    *out = o == NULL ? NULL : json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (*out == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tee: cannot serialize JSON");
    return VT_OK;
}

vt_status vt_claims_to_json(char **json_out, const vt_claims *c, vt_err *err)
{
    return dump(json_out, claims_json(c), err);
}

vt_status vt_result_to_json(char **json_out, const vt_result *r, vt_err *err)
{
    json_t *o = json_object(), *adv = json_array();
    const vt_claims *c = &r->claims;

    for (size_t i = 0; i < c->advisory_count; i++)
        json_array_append_new(adv, json_string(c->advisory_ids[i]));
    json_object_set_new(o, "valid", json_boolean(r->valid));
    json_object_set_new(o, "verdict", json_string(vt_verdict_name(r->verdict)));
    json_object_set_new(o, "platform", json_string(vt_tee_name(c->platform)));
    json_object_set_new(o, "hardware_attested", json_boolean(c->hardware_attested));
    json_object_set_new(o, "signature_valid", json_boolean(r->signature_valid));
    json_object_set_new(o, "chain_valid", json_boolean(r->chain_valid));
    json_object_set_new(o, "collateral_verified", json_boolean(r->collateral_verified));
    json_object_set_new(o, "tcb_status", json_string(c->tcb_status[0] ? c->tcb_status : "unknown"));
    json_object_set_new(o, "advisory_ids", adv);
    json_object_set_new(o, "claims", claims_json(c));
    json_object_set_new(o, "errors", findings_json(r->errors, r->error_count));
    json_object_set_new(o, "warnings", findings_json(r->warnings, r->warning_count));
    return dump(json_out, o, err);
}

void vt__claims_add_advisory(vt_claims *c, const char *id)
{
    for (size_t i = 0; i < c->advisory_count; i++)
        if (strcmp(c->advisory_ids[i], id) == 0)
            return;
    if (c->advisory_count >= VT_ADVISORIES_MAX)
        return;
    snprintf(c->advisory_ids[c->advisory_count++], sizeof(c->advisory_ids[0]), "%s", id);
}
