/* Admission: who calls (anonymous by address, or a gateway by its passport) and how often (verifier.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verifier/verifier.h"

vt_status vf_admit_init(vf_service *svc, bool (*wants_call)(vt_http_handler fn), vt_err *err)
{
    double gr = svc->cfg.gateway_rate > 0 ? svc->cfg.gateway_rate : 1000;
    vt_status rc = vt_ratelimit_new(&svc->rl, svc->cfg.rate, svc->cfg.burst > 0 ? svc->cfg.burst : 2 * svc->cfg.rate + 1,
                                    4096, err);

    if (rc == VT_OK)
        rc = vt_ratelimit_new(&svc->rl_gateway, gr, svc->cfg.gateway_burst > 0 ? svc->cfg.gateway_burst : 2 * gr + 1,
                              256, err);
    if (rc == VT_OK)
        rc = vt_metrics_declare(svc->metrics, "verifier_admission_total", "counter",
                                "Requests by caller (anonymous, gateway) and admission (ok, unauthorized, rate_limited).",
                                err);
    for (size_t i = 0; rc == VT_OK && i < svc->router.count; i++) {
        vt_http_route *rt = &svc->router.routes[i];
        struct vf_guard *g = &svc->guards[i];
        if (rt->fn == vf_guarded)
            continue;
        g->svc = svc;
        g->fn = rt->fn;
        g->ctx = rt->ctx;
        g->wants_call = wants_call != NULL && wants_call(rt->fn);
        g->limited = strcmp(rt->pattern, "/healthz") != 0; /* health answers under load */
        rt->fn = vf_guarded;
        rt->ctx = g;
    }
    return rc;
}

void vf_admit_fini(vf_service *svc)
{
    vt_ratelimit_free(svc->rl);
    vt_ratelimit_free(svc->rl_gateway);
    svc->rl = NULL;
    svc->rl_gateway = NULL;
}

/* The passport in a is one this verifier issued, still valid, and it signed this request. */
static vt_status gateway_check(struct vf_call *call, const vt_passport_auth *a, const vt_http_req *req, vt_err *err)
{
    vs_store *st = req->thread_ctx;
    vt_passport_claims pc;
    vs_passport p;
    vt_time now = vt_time_now();
    vt_status rc = VT_E_INTERNAL;
    size_t n = strlen(a->passport);

    memset(&pc, 0, sizeof(pc));
    memset(&p, 0, sizeof(p));
    rc = vt_passport_decode(&pc, a->passport, n, err);
    if (rc == VT_OK && st != NULL)
        rc = st->ops->passport_get(st, &p, pc.id, err);
    else if (rc == VT_OK)
        rc = vt_err_set(err, VT_E_INTERNAL, "verifier: no store");
    if (rc == VT_E_NOTFOUND)
        rc = vt_err_set(err, VT_E_POLICY, "gateway auth: passport '%.64s' was not issued here", pc.id);
    /* Bytes equal to what was issued: nothing in it is taken on the caller's word. */
    if (rc == VT_OK && (p.token == NULL || strlen(p.token) != n || !vt_ct_equal(p.token, a->passport, n)))
        rc = vt_err_set(err, VT_E_POLICY, "gateway auth: passport '%.64s' differs from the one issued", pc.id);
    if (rc == VT_OK && now >= p.expires_at)
        rc = vt_err_set(err, VT_E_POLICY, "gateway auth: passport '%.64s' expired", pc.id);
    if (rc == VT_OK && strcmp(p.status, "affirming") != 0 && strcmp(p.status, "warning") != 0)
        rc = vt_err_set(err, VT_E_POLICY, "gateway auth: passport '%.64s' is %s", pc.id, p.status);
    if (rc == VT_OK)
        rc = vt_passport_auth_check(a, pc.attester_jwk, req->method, req->path, req->body, req->body_len, now, err);
    if (rc == VT_OK) {
        call->gateway = true;
        snprintf(call->passport_id, sizeof(call->passport_id), "%s", pc.id);
    }
    vs_passport_clear(&p);
    vt_passport_claims_clear(&pc);
    return rc;
}

void vf_guarded(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    const struct vf_guard *g = ctx;
    struct vf_call call;
    vt_passport_auth a;
    vt_err e = { 0 };
    vt_status rc;
    char key[64];

    memset(&call, 0, sizeof(call));
    call.svc = g->svc;
    if (req->authorization != NULL) {
        rc = vt_passport_auth_parse(&a, req->authorization, strlen(req->authorization), &e);
        if (rc == VT_OK) {
            rc = gateway_check(&call, &a, req, &e);
            vt_passport_auth_clear(&a);
        }
        if (rc != VT_OK && rc != VT_E_NOTFOUND) { /* the scheme was claimed and failed */
            vt_metrics_inc(g->svc->metrics, "verifier_admission_total", "caller=\"gateway\",result=\"unauthorized\"", 1);
            vt_http_reply_error(resp, rc == VT_E_INTERNAL || rc == VT_E_NOMEM || rc == VT_E_IO ? 503 : 401,
                                "gateway_unauthorized", "%s", e.msg);
            return;
        }
    }
    if (g->limited) {
        bool ok;
        if (call.gateway) {
            snprintf(key, sizeof(key), "gw:%s", call.passport_id);
            ok = vt_ratelimit_take(g->svc->rl_gateway, key, vt_time_mono_ms());
        } else {
            ok = vt_ratelimit_take(g->svc->rl, req->client != NULL ? req->client : "", vt_time_mono_ms());
        }
        if (!ok) {
            vt_metrics_inc(g->svc->metrics, "verifier_admission_total",
                           call.gateway ? "caller=\"gateway\",result=\"rate_limited\""
                                        : "caller=\"anonymous\",result=\"rate_limited\"",
                           1);
            if (call.gateway)
                vt_http_reply_error(resp, 429, "rate_limited", "too many requests from gateway %s; slow down",
                                    call.passport_id);
            else
                vt_http_reply_error(resp, 429, "rate_limited", "too many requests from %s; slow down",
                                    req->client != NULL ? req->client : "this client");
            return;
        }
    }
    if (call.gateway)
        vt_metrics_inc(g->svc->metrics, "verifier_admission_total", "caller=\"gateway\",result=\"ok\"", 1);
    g->fn(resp, req, g->wants_call ? &call : g->ctx);
}
