/* POST /verify/tee-attestation: the request and answer shape other "AI
 * passport" services use, as an alias of the stateless POST /v1/verify
 * (docs/verifier.md, "Compatibility"), so code written for them works
 * unchanged.  Every check is /v1/verify's; this file only renames. */
#include <string.h>

#include "base/json.h"
#include "verifier/inproc.h"
#include "verifier/verifier.h"

#define COMPAT_MAX_USER_DATA 64 /* bytes: REPORT_DATA holds the user data, zero-padded */

/* The names those services use, and ours. */
static const struct {
    const char *theirs, *ours;
    const char *firmware[2];     /* claims that carry the platform's firmware / TCB version */
} platforms[] = {
    { "intel-tdx", "tdx", { "tee_tcb_svn", NULL } },
    { "amd-sev-snp", "sevsnp", { "reported_tcb", NULL } },
    { "aws-nitro", "nitro", { "module_id", NULL } },
    { "nvidia-gpu", "nvgpu", { "vbios_version", "driver_version" } },
};

#define NPLATFORMS (sizeof(platforms) / sizeof(platforms[0]))

static void h_tee_attestation(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    json_t *in = NULL, *call = NULL, *res = NULL, *claims, *x;
    size_t k;
    const char *report, *platform, *user, *got, *fw = NULL;
    char *body = NULL, rd_hex[2 * COMPAT_MAX_USER_DATA + 1];
    size_t which = NPLATFORMS;
    bool fresh = false;
    vt_buf ud;
    vt_err e = { 0 };

    vt_buf_init(&ud);
    in = vt__json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
    report = json_string_value(json_object_get(in, "report"));
    platform = json_string_value(json_object_get(in, "platform"));
    user = json_string_value(json_object_get(in, "expected_user_data"));
    if (!json_is_object(in) || report == NULL) {
        vt_http_reply_error(resp, 400, "bad_request", "a JSON object with report (base64) is required");
        goto out;
    }
    for (size_t i = 0; platform != NULL && i < NPLATFORMS; i++)
        if (strcmp(platform, platforms[i].theirs) == 0)
            which = i;
    if (platform != NULL && which == NPLATFORMS) {
        vt_http_reply_error(resp, 400, "bad_request",
                            "platform: one of intel-tdx, amd-sev-snp, aws-nitro, nvidia-gpu (or omitted: detected)");
        goto out;
    }
    call = json_pack("{s:s}", "evidence", report);
    if (call == NULL)
        goto oom;
    if (which < NPLATFORMS)
        json_object_set_new(call, "platform", json_string(platforms[which].ours));
    /* Nitro has no collateral to fetch (its certificates live hours, there is no CRL): its
     * TCB status stays NotApplicable rather than making every Nitro document invalid here. */
    if (which < NPLATFORMS && strcmp(platforms[which].ours, "nitro") == 0)
        json_object_set_new(call, "allow_missing_collateral", json_true());
    if (user != NULL) {
        if (vt_base64_decode(&ud, user, strlen(user), &e) != VT_OK || ud.len == 0 || ud.len > COMPAT_MAX_USER_DATA) {
            vt_http_reply_error(resp, 400, "bad_request", "expected_user_data: base64 of 1..%d bytes",
                                COMPAT_MAX_USER_DATA);
            goto out;
        }
        vt_hex_encode(rd_hex, ud.data, ud.len);
        memset(rd_hex + 2 * ud.len, '0', sizeof(rd_hex) - 1 - 2 * ud.len); /* zero padding to 64 bytes */
        rd_hex[sizeof(rd_hex) - 1] = '\0';
        json_object_set_new(call, "report_data", json_string(rd_hex));
    }
    body = json_dumps(call, JSON_COMPACT);
    if (body == NULL)
        goto oom;
    if (vf_call(&res, ctx, req, "POST", "/v1/verify", NULL, body, &e) != VT_OK) {
        vt_http_reply_error(resp, e.msg[0] != '\0' && strstr(e.msg, "memory") == NULL ? 400 : 503, "bad_request",
                            "%s", e.msg);
        goto out;
    }
    claims = json_object_get(res, "claims");
    got = json_string_value(json_object_get(res, "platform"));
    for (size_t i = 0; got != NULL && which == NPLATFORMS && i < NPLATFORMS; i++)
        if (strcmp(got, platforms[i].ours) == 0)
            which = i;
    for (size_t f = 0; which < NPLATFORMS && f < 2 && fw == NULL; f++)
        if (platforms[which].firmware[f] != NULL)
            fw = json_string_value(json_object_get(claims, platforms[which].firmware[f]));
    /* Fresh: the evidence's signature holds and it binds exactly the caller's user data. */
    fresh = user != NULL && json_is_true(json_object_get(res, "signature_valid"));
    json_array_foreach(json_object_get(res, "errors"), k, x)
    {
        const char *check = json_string_value(json_object_get(x, "check"));
        if (check != NULL && strstr(check, "report_data") != NULL)
            fresh = false;
    }
    json_decref(call);
    call = json_pack("{s:b, s:s?, s:s?, s:b, s:b, s:b}", "valid", json_is_true(json_object_get(res, "valid")),
                     "platform", which < NPLATFORMS ? platforms[which].theirs : NULL,
                     "firmware_version", fw, "signature_verified",
                     json_is_true(json_object_get(res, "signature_valid")), "certificate_chain_verified",
                     json_is_true(json_object_get(res, "chain_valid")), "freshness_verified", fresh);
    if (call == NULL)
        goto oom;
    /* Our own result rides along for whoever wants the detail. */
    json_object_set(call, "veritee", res);
    free(body);
    body = json_dumps(call, JSON_COMPACT);
    if (body == NULL || vt_http_reply_json(resp, 200, body, NULL) != VT_OK)
        goto oom;
    goto out;
oom:
    vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
out:
    vt_buf_free(&ud);
    free(body);
    json_decref(in);
    json_decref(call);
    json_decref(res);
}

vt_status vf_compat_routes(vf_service *svc, vt_err *err);
vt_status vf_compat_routes(vf_service *svc, vt_err *err)
{
    return vt_http_router_add(&svc->router, "POST", "/verify/tee-attestation", h_tee_attestation, svc, err);
}
