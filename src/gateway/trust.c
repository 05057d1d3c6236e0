/* The gateway's trust state (trust.h): boot (measure, key, first passport), the start of its
 * background threads, and teardown.  What is measured is measure.c; the passport's renewal is
 * upkeep.c; receipts go through receipt_sink.c. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/trust.h"
#include "base/cond.h"
#include "gateway/xaud.h"

bool vt_gw_can_simulate(vt_tee_kind k)
{
    return k == VT_TEE_TDX || k == VT_TEE_SEVSNP || k == VT_TEE_NITRO || k == VT_TEE_TPM;
}

vt_status vt_gw_trust_boot(vt_gw_trust **out, const vt_gw_trust_opts *o, vt_err *err)
{
    vt_gw_trust *t = calloc(1, sizeof(*t));
    vt_status rc = VT_OK;

    *out = NULL;
    if (t == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    t->o = *o;
    pthread_mutex_init(&t->attest_mu, NULL);
    pthread_mutex_init(&t->mu, NULL);
    (void)vt__cond_init(&t->cv);
    pthread_mutex_init(&t->qmu, NULL);
    pthread_rwlock_init(&t->files_lock, NULL);
    (void)vt__cond_init(&t->qcv);
    t->kind = o->platform;
    if (t->kind == VT_TEE_NONE) {
        vt_hw_info hw;
        vt_tee_detect(&hw, o->sysroot);
        t->kind = hw.selected;
    }
    if (o->simulate && !vt_gw_can_simulate(t->kind))
        rc = vt_err_set(err, VT_E_ARG, "gateway: --simulate needs --platform tdx, sevsnp, nitro or tpm (not %s)",
                        vt_tee_name(t->kind));
    /* A simulated TPM is a software TPM somewhere else than the machine's /dev/tpmrm0. */
    if (rc == VT_OK && o->simulate && !o->measure_only && t->kind == VT_TEE_TPM &&
        (o->tpm_tcti == NULL || *o->tpm_tcti == '\0'))
        rc = vt_err_set(err, VT_E_ARG,
                        "gateway: --simulate --platform tpm needs VERITEE_TPM_TCTI (veritee sim tpm start --state DIR)");
    if (rc == VT_OK && o->attest && (o->cfg->verifier_url == NULL || o->cfg->environment == NULL))
        rc = vt_err_set(err, VT_E_ARG, "gateway: trusted boot needs \"verifier\" and \"environment\" in the config");
    /* The verifier's keys the operator pinned: every passport is checked against them, not against
     * what the verifier's URL serves (upkeep.c).  Read once, here, also for --measure-only: the
     * bytes parsed are the bytes measured (measure.c), so the log to register names them. */
    if (rc == VT_OK)
        rc = vt_gw_config_load_jwks(&t->pin, t->pin_issuer, sizeof(t->pin_issuer), t->pin_sha256, o->cfg, err);
    t->ao.verifier_url = o->cfg->verifier_url;
    t->ao.environment = o->cfg->environment;
    t->ao.platform = t->kind;
    t->ao.simulate = o->simulate;
    t->ao.state_dir = o->state_dir;
    t->ao.sysroot = o->sysroot;
    t->ao.tpm_tcti = o->tpm_tcti;
    t->ao.tpm_hw_certs = o->tpm_hw_certs;
    t->ao.timeout_ms = 15000;
    if (rc == VT_OK)
        rc = vt_dir_private(o->state_dir, err);
    if (rc == VT_OK)
        rc = vt__gw_measure_boot(t, err);
    /* The boot is measured: Nitro locks PCR 16, which its attestation documents report from then on. */
    if (rc == VT_OK && t->reg != NULL)
        rc = vt_register_lock(t->reg, err);
    if (!o->attest) {
        atomic_store(&t->serving_until, LLONG_MAX);
        atomic_store(&t->serving, true);
    }
    if (rc == VT_OK && o->attest) {
        rc = vt_pkey_generate(&t->key, VT_KEY_EC_P256, err);
        if (rc == VT_OK)
            rc = vt_jwk_from_pkey(&t->jwk, t->key, NULL, err);
        if (rc == VT_OK)
            rc = vt__gw_attest(t, err);
        if (rc == VT_OK) {
            pthread_mutex_lock(&t->mu);
            vt__gw_update_serving(t);
            pthread_mutex_unlock(&t->mu);
        }
        if (rc == VT_OK && !atomic_load(&t->serving) && o->simulate && strstr(t->reason, "sim_root:") != NULL)
            vt__gw_sim_root_hint(o->state_dir); /* trust_sim.c */
        if (rc == VT_OK && !atomic_load(&t->serving))
            rc = vt_err_set(err, VT_E_POLICY, "gateway: passport %s is %s%s%s: refusing to serve (%s--allow-unverified for development)",
                            t->passport_id[0] ? t->passport_id : "(none issued)", t->status, t->reason[0] ? ": " : "",
                            t->reason, strcmp(t->status, "warning") == 0 ? "\"serve_on_warning\": true in the config, or " : "");
        if (rc == VT_OK)
            rc = vt__gw_model_keys_open(t, err); /* model_keys.c: keys from the broker, plaintext in tmpfs */
        if (rc == VT_OK && strcmp(t->status, "warning") == 0 && o->cfg->serve_on_warning)
            vt__gw_log("warn", "warning_passport",
                       "serving under a warning passport (serve_on_warning): clients that require affirming refuse it");
        else if (rc == VT_OK && strcmp(t->status, "affirming") != 0)
            vt__gw_log("error", "unverified",
                       "SERVING WITHOUT AN AFFIRMING PASSPORT (--allow-unverified): clients must not trust this gateway");
    }
    if (rc != VT_OK) {
        vt_gw_trust_free(t);
        return rc;
    }
    *out = t;
    return VT_OK;
}

vt_status vt_gw_trust_log_json(char **out, vt_gw_trust *t, vt_err *err)
{
    vt_status rc;
    pthread_mutex_lock(&t->mu);
    rc = vt_mlog_to_json(out, t->log, err);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

vt_status vt_gw_trust_start(vt_gw_trust *t, unsigned nloops, vt_err *err)
{
    vt_status rc = VT_OK;

    t->ctxs = calloc(nloops, sizeof(*t->ctxs));
    if (t->ctxs == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    t->nctx = nloops;
    for (unsigned i = 0; rc == VT_OK && i < nloops; i++)
        rc = vt_audit_ctx_new(&t->ctxs[i], t->chain, err);
    if (rc == VT_OK)
        rc = vt__gw_xaud_new(&t->xaud, t->chain, nloops, 5000, t->o.state_dir, err); /* refuses unless each one runs, measured */
    if (rc != VT_OK)
        return rc;
    if (t->key != NULL) {
        rc = vt__gw_upkeep_start(t, err);
        if (rc == VT_OK)
            rc = vt__gw_sink_start(t, err);
    }
    return rc;
}

void vt_gw_trust_free(vt_gw_trust *t)
{
    if (t == NULL)
        return;
    vt__gw_upkeep_stop(t);
    vt__gw_sink_stop(t);
    for (unsigned i = 0; t->ctxs != NULL && i < t->nctx; i++)
        vt_audit_ctx_free(t->ctxs[i]);
    free(t->ctxs);
    vt__gw_xaud_free(t->xaud);
    vt_audit_chain_free(t->chain);
    vt_pkey_free(t->key); /* wipes the enclave key */
    free(t->jwk);
    vt_jwks_free(t->pin);
    vt_mlog_free(t->log);
    vt_register_free(t->reg);
    vt__gw_model_keys_free(t);
    free(t->passport);
    for (size_t i = 0; i < t->file_count; i++)
        free(t->files[i].path);
    free(t->files);
    pthread_mutex_destroy(&t->attest_mu);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->qmu);
    pthread_rwlock_destroy(&t->files_lock);
    pthread_cond_destroy(&t->qcv);
    free(t);
}
