/* The gateway's passport upkeep (trust.h): attestation rounds to the verifier (the lock order
 * and what a round holds are in trust.h) and the checks of the passport a round gets before it
 * is installed, whether the gateway may serve under its current passport, and the background
 * thread that renews the passport before it expires (retrying with jittered backoff) and
 * re-measures a changed model. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cond.h"
#include "gateway/deployment.h"
#include "gateway/trust.h"

/* What one attestation round is made for, copied under t->mu: the measurement log (append-only,
 * so its length says whether it is still the log) and the passport its requests are signed under. */
struct round {
    vt_mlog *log;  /* owned: the copy the evidence and the verifier's appraisal are of */
    size_t count;  /* events in t->log when it was copied */
    char *auth;    /* owned: the current passport when it may sign the requests, else NULL */
};

static void round_clear(struct round *r)
{
    vt_mlog_free(r->log);
    free(r->auth);
    memset(r, 0, sizeof(*r));
}

static vt_status round_snapshot(struct round *r, vt_gw_trust *t, vt_err *err)
{
    vt_status rc;

    memset(r, 0, sizeof(*r));
    pthread_mutex_lock(&t->mu);
    r->count = vt_mlog_count(t->log);
    rc = vt_mlog_new(&r->log, err);
    for (size_t i = 0; rc == VT_OK && i < r->count; i++) {
        const vt_mlog_event *e = vt_mlog_get(t->log, i);
        rc = vt_mlog_append(r->log, e->component, e->name, e->alg, e->digest, e->digest_len, NULL, err);
    }
    /* Renewal is signed under the current passport (the verifier limits it per gateway, not
     * per address); a first attestation, an expired passport or one the verifier no longer
     * takes goes anonymously. */
    if (rc == VT_OK && t->passport != NULL && vt_time_now() < t->exp && !t->auth_refused &&
        (r->auth = strdup(t->passport)) == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* The passport the verifier returned is this gateway's, from this round, before it is installed
 * (*pc: its claims): signed under the configured verifier's key set and issuer (pinned or fetched), unexpired, the
 * status and id the reply gives, its cnf the enclave key, its environment and deployment type the
 * configured ones, its TEE the evidence's, its nonce this round's challenge, its measured digests
 * the log the round sent.  VT_E_POLICY (or the signature's VT_E_CRYPTO) naming the first finding. */
static vt_status passport_check(vt_passport_claims *pc, vt_gw_trust *t, const struct round *r,
                                const vt_attester_result *ar, const vt_jwks *jwks, const char *issuer, vt_err *err)
{
    /* A warning passport is installed; whether it is served under is the config's (serve_on_warning). */
    vt_passport_verify_opts vo = { .accept_warning = true };
    vt_status rc = vt_passport_verify_with(pc, ar->token, strlen(ar->token), jwks, vt_time_now(), &vo, err);

    if (rc == VT_OK)
        rc = vt_passport_check_issuer(pc, issuer, t->ao.verifier_url, err);
    if (rc == VT_OK &&
        (strcmp(pc->id, ar->id) != 0 || strcmp(vt_ear_status_name(pc->appraisal.status), ar->status) != 0))
        rc = vt_err_set(err, VT_E_POLICY, "the reply names passport %s %s, its token is %s %s", ar->id, ar->status,
                        pc->id, vt_ear_status_name(pc->appraisal.status));
    if (rc == VT_OK)
        rc = vt_passport_check_key(pc, t->key, err);
    if (rc == VT_OK && strcmp(pc->environment, t->ao.environment) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "it is for environment %s, this gateway's is %s", pc->environment,
                        t->ao.environment);
    if (rc == VT_OK)
        rc = vt_gw_deploy_check_passport(t->o.cfg->deployment_type, ar->token, err);
    if (rc == VT_OK && pc->tee_type != ar->kind)
        rc = vt_err_set(err, VT_E_POLICY, "it is for a %s TEE, the evidence sent was %s", vt_tee_name(pc->tee_type),
                        vt_tee_name(ar->kind));
    if (rc == VT_OK && (ar->nonce_len == 0 || pc->nonce_len != ar->nonce_len ||
                        !vt_ct_equal(pc->nonce, ar->nonce, ar->nonce_len)))
        rc = vt_err_set(err, VT_E_POLICY, "its nonce is not this round's challenge");
    if (rc == VT_OK)
        rc = vt_passport_check_log(pc, r->log, err);
    return rc;
}

vt_status vt__gw_attest(vt_gw_trust *t, vt_err *err)
{
    vt_attester_result ar;
    vt_attester_opts ao;
    vt_passport_claims pc;
    vt_jwks *jwks = NULL;
    struct round r;
    vt_status rc;
    vt_err ce = { 0 };
    bool stale = false, dropped = false;
    char msg[400], issuer[128];

    memset(&ar, 0, sizeof(ar));
    memset(&pc, 0, sizeof(pc));
    /* One round at a time (the evidence is collected for, and the passport installed over, the
     * log as this round copied it); t->mu only for the copy and the install, so requests are not
     * held behind the verifier (up to its timeout per call) or the evidence collection. */
    pthread_mutex_lock(&t->attest_mu);
    rc = round_snapshot(&r, t, err);
    if (rc == VT_OK) {
        ao = t->ao; /* t->ao itself is read by the attestation route: never written after boot */
        ao.auth_passport = r.auth;
        ao.auth_key = t->key;
        rc = vt_attester_run(&ar, &ao, r.log, t->key, err);
    }
    pthread_mutex_lock(&t->mu);
    if (rc == VT_E_POLICY && err != NULL && strstr(err->msg, "gateway_unauthorized") != NULL) {
        t->auth_refused = true;
        vt__gw_log("warn", "reattest", "the verifier refused the passport as authorization: retrying anonymously");
    } else if (rc == VT_OK) {
        t->auth_refused = false;
    }
    if (rc == VT_E_POLICY && strcmp(ar.status, "contraindicated") == 0) {
        /* Refused, no passport: stop serving under the previous one (whatever the log did in
         * between: a verdict that takes trust away is never stale). */
        free(t->passport);
        t->passport = NULL;
        t->passport_id[0] = '\0';
        snprintf(t->status, sizeof(t->status), "%s", ar.status);
        snprintf(t->reason, sizeof(t->reason), "%s", ar.reason);
        vt__gw_update_serving(t);
        dropped = true;
    }
    pthread_mutex_unlock(&t->mu);
    if (dropped) {
        snprintf(msg, sizeof(msg), "contraindicated, no passport (%s evidence, environment %s)%s%s",
                 vt_tee_name(ar.kind), t->ao.environment, ar.reason[0] ? ": " : "", ar.reason);
        vt__gw_log("error", "passport", msg);
        rc = VT_OK;
        goto out;
    }
    /* The pinned key set when the operator configured one (whoever answers as the verifier's URL
     * cannot name its own key then), else the one the verifier serves. */
    if (rc == VT_OK && t->pin == NULL)
        rc = vt_gw_verifier_keys(&jwks, issuer, sizeof(issuer), t->ao.verifier_url, t->ao.timeout_ms, err);
    if (rc != VT_OK)
        goto out;
    rc = passport_check(&pc, t, &r, &ar, t->pin != NULL ? t->pin : jwks, t->pin != NULL ? t->pin_issuer : issuer,
                        &ce);
    if (rc != VT_OK) {
        /* Not this gateway's passport for this round: nothing changes, the one serving serves
         * until it expires, and the upkeep thread asks again (with backoff). */
        atomic_fetch_add(&t->passports_refused, 1);
        rc = vt_err_set(err, VT_E_POLICY, "gateway: passport %s from the verifier refused, not installed: %s", ar.id,
                        ce.msg);
        vt__gw_log("error", "passport_refused", err != NULL ? err->msg : ce.msg);
        goto out;
    }
    pthread_mutex_lock(&t->mu);
    /* A re-measurement while the verifier appraised the copy: this passport names digests that
     * are no longer the whole log, and must not replace the one serving now. */
    stale = vt_mlog_count(t->log) != r.count;
    if (!stale) {
        free(t->passport);
        t->passport = ar.token;
        ar.token = NULL;
        snprintf(t->passport_id, sizeof(t->passport_id), "%s", ar.id);
        snprintf(t->status, sizeof(t->status), "%s", ar.status);
        snprintf(t->reason, sizeof(t->reason), "%s", ar.reason);
        t->iat = pc.iat;
        t->exp = pc.exp;
        vt__gw_update_serving(t);
    }
    pthread_mutex_unlock(&t->mu);
    if (stale) {
        rc = vt_err_set(err, VT_E_IO, "gateway: passport %s not installed: the measurement log changed while the "
                        "verifier appraised it (a re-measurement); attesting again", ar.id);
        vt__gw_log("warn", "passport_stale", err != NULL ? err->msg : "passport not installed");
        goto out;
    }
    snprintf(msg, sizeof(msg), "%s %s (%s evidence, environment %s)%s%s", ar.id, ar.status, vt_tee_name(ar.kind),
             t->ao.environment, ar.reason[0] ? ": " : "", ar.reason);
    vt__gw_log(strcmp(ar.status, "affirming") == 0 ? "info" : "error", "passport", msg);
out:
    pthread_mutex_unlock(&t->attest_mu);
    vt_jwks_free(jwks);
    vt_passport_claims_clear(&pc);
    vt_attester_result_clear(&ar);
    round_clear(&r);
    return rc;
}

void vt__gw_update_serving(vt_gw_trust *t)
{
    bool ok = t->passport != NULL && vt_time_now() < t->exp &&
              (strcmp(t->status, "affirming") == 0 ||
               (t->o.cfg->serve_on_warning && strcmp(t->status, "warning") == 0));
    atomic_store(&t->serving_until, t->o.allow_unverified ? LLONG_MAX : ok ? (long long)t->exp : 0);
    atomic_store(&t->serving, ok || t->o.allow_unverified);
}

bool vt__gw_serving(vt_gw_trust *t)
{
    return atomic_load(&t->serving) && (long long)vt_time_now() < atomic_load(&t->serving_until);
}

/* Re-attests at ~2/3 of the passport's lifetime, re-measures a changed model, and keeps
 * t->serving current; stops when t->stop is set. */
static void *upkeep_main(void *arg)
{
    vt_gw_trust *t = arg;
    unsigned backoff = 1;
    bool remeasured = false;
    vt_time next;

    pthread_mutex_lock(&t->mu);
    next = t->iat + (t->exp - t->iat) * 2 / 3;
    while (!t->stop) {
        vt_time now = vt_time_now();
        if (t->model_unknown && !remeasured) {
            vt__gw_remeasure_locked(t);
            remeasured = t->model_unknown; /* failed: not again; done: the next change is measured too */
            next = now;
        }
        if (now >= next) {
            vt_err e = { 0 };
            vt_status arc;
            pthread_mutex_unlock(&t->mu); /* the round takes it only to copy the log and to install */
            arc = vt__gw_attest(t, &e);
            pthread_mutex_lock(&t->mu);
            if (arc == VT_OK) {
                if (backoff > 1) /* the verifier is back: its receipts need not wait out their backoff */
                    vt__gw_sink_kick(t);
                backoff = 1;
                next = t->iat + (t->exp - t->iat) * 2 / 3;
                if (next <= now)
                    next = now + 1;
            } else {
                /* 429, 5xx, no connection: keep serving under the passport while it is valid
                 * and retry with jittered exponential backoff (at most 60 s). */
                char m[400];
                long wait_s = (vt__gw_jitter_ms((long)backoff * 1000) + 999) / 1000;
                snprintf(m, sizeof(m), "%s (retry in %ld s; serving under passport %s until it expires)", e.msg,
                         wait_s, t->passport_id[0] ? t->passport_id : "(none)");
                vt__gw_log("error", "reattest", m);
                next = now + wait_s;
                backoff = backoff < 60 ? backoff * 2 : 60;
            }
            vt__gw_update_serving(t);
            if (!atomic_load(&t->serving))
                vt__gw_log("error", "not_serving", "no affirming, unexpired passport: requests get 503");
        }
        vt__gw_update_serving(t);
        {
            vt_time wake = next < t->exp ? next : t->exp;
            int64_t wait_ms = (int64_t)(wake - vt_time_now()) * 1000, check_ms = (int64_t)t->o.cfg->model_check_ms;
            if (wait_ms < 1000)
                wait_ms = 1000;
            /* The deadlines are wall-clock times (the passport's); the wait is monotonic, so a
             * clock step does not stretch it, and it ends at least once a minute to read the
             * wall clock again (a clock set forward, a VM resumed after a pause). */
            if (wait_ms > 60000)
                wait_ms = 60000;
            if (check_ms > 0 && t->file_count > 0 && check_ms < wait_ms)
                wait_ms = check_ms;
            (void)vt__cond_wait_ms(&t->cv, &t->mu, wait_ms);
        }
        if (!t->stop && t->o.cfg->model_check_ms > 0 && !atomic_load(&t->model_changed)) {
            pthread_mutex_unlock(&t->mu);
            (void)vt__gw_model_check(t);
            pthread_mutex_lock(&t->mu);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

vt_status vt__gw_upkeep_start(vt_gw_trust *t, vt_err *err)
{
    if (pthread_create(&t->thread, NULL, upkeep_main, t) != 0)
        return vt_err_set(err, VT_E_INTERNAL, "gateway: cannot start the upkeep thread");
    t->thread_started = true;
    return VT_OK;
}

void vt__gw_upkeep_stop(vt_gw_trust *t)
{
    if (!t->thread_started)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    t->thread_started = false;
}

void vt__gw_passport_for_auth(vt_gw_trust *t, char **passport_out)
{
    *passport_out = NULL;
    pthread_mutex_lock(&t->mu);
    if (t->passport != NULL && vt_time_now() < t->exp && !t->auth_refused)
        *passport_out = strdup(t->passport);
    pthread_mutex_unlock(&t->mu);
}

long vt__gw_jitter_ms(long base)
{
    uint16_t r = 0;

    if (base < 2)
        return base;
    if (vt_random(&r, sizeof(r), NULL) != VT_OK)
        r = 0x8000;
    return base / 2 + (long)((uint64_t)(base - base / 2) * r / 0xffff);
}
