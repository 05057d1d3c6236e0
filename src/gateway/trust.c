/* Trusted boot, passport upkeep, model watch, receipts sink and the attestation endpoint (trust.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gateway/trust.h"
#include "gateway/xaud.h"

void vt__gw_log(const char *level, const char *event, const char *detail)
{
    json_t *o = json_object();
    char ts[32], *s;

    if (o == NULL)
        return;
    vt_time_format(ts, vt_time_now());
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(level));
    json_object_set_new(o, "component", json_string("gateway"));
    json_object_set_new(o, "event", json_string(event));
    if (detail != NULL)
        json_object_set_new(o, "detail", json_string(detail));
    s = json_dumps(o, JSON_COMPACT);
    if (s != NULL)
        fprintf(stderr, "%s\n", s);
    free(s);
    json_decref(o);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *base_name(const char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    while (n > 0 && p[n - 1] != '/')
        n--;
    return p + n;
}

/* ---- the model files' boot snapshot ---- */

static vt_status snap_add(vt_gw_trust *t, const char *path, vt_err *err)
{
    struct gw_model_file *f, *nf;
    struct stat st;

    if (lstat(path, &st) != 0)
        return vt_err_set(err, VT_E_IO, "gateway: model %s: %s", path, strerror(errno));
    nf = realloc(t->files, (t->file_count + 1) * sizeof(*t->files));
    if (nf == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    t->files = nf;
    f = &t->files[t->file_count];
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    if (f->path == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    f->ctime = st.st_ctim;
    t->file_count++;
    return VT_OK;
}

static bool snap_same(const struct gw_model_file *f)
{
    struct stat st;
    if (lstat(f->path, &st) != 0)
        return false;
    return st.st_dev == f->dev && st.st_ino == f->ino && st.st_size == f->size &&
           st.st_mtim.tv_sec == f->mtime.tv_sec && st.st_mtim.tv_nsec == f->mtime.tv_nsec &&
           st.st_ctim.tv_sec == f->ctime.tv_sec && st.st_ctim.tv_nsec == f->ctime.tv_nsec;
}

bool vt__gw_model_check(vt_gw_trust *t)
{
    int64_t now, next;

    if (atomic_load(&t->model_changed))
        return true;
    now = now_ms();
    next = atomic_load(&t->next_check_ms);
    if (t->o.model_check_ms > 0 && now < next)
        return false;
    atomic_store(&t->next_check_ms, now + t->o.model_check_ms);
    for (size_t i = 0; i < t->file_count; i++) {
        if (!snap_same(&t->files[i])) {
            atomic_store(&t->model_changed, true);
            vt__gw_log("warn", "model_changed", t->files[i].path);
            pthread_mutex_lock(&t->mu);
            t->model_unknown = true;
            pthread_cond_broadcast(&t->cv);
            pthread_mutex_unlock(&t->mu);
            return true;
        }
    }
    return false;
}

/* ---- measurement ---- */

/* Appends an event, then extends the platform's register with it (register.h): a crash in
 * between leaves the log ahead of the register, which the verifier's replay refuses. */
static vt_status log_event(vt_gw_trust *t, vt_component c, const char *name, const uint8_t *d, size_t len,
                           vt_err *err)
{
    vt_status rc = vt_mlog_append(t->log, c, name, VT_MD_SHA256, d, len, NULL, err);

    if (rc == VT_OK && t->reg != NULL)
        rc = vt_register_extend_event(t->reg, vt_mlog_get(t->log, vt_mlog_count(t->log) - 1), NULL, err);
    return rc;
}

vt_status vt__gw_log_event(vt_gw_trust *t, vt_component c, const char *name, const uint8_t *d, size_t len,
                           vt_err *err)
{
    return log_event(t, c, name, d, len, err);
}

static vt_status measure_models(vt_gw_trust *t, bool snapshot, vt_err *err)
{
    const vt_gw_config *cfg = t->o.cfg;
    vt_status rc = VT_OK;

    for (size_t i = 0; rc == VT_OK && i < cfg->model_count; i++) {
        vt_measurement *m = NULL;
        char name[VT_MLOG_NAME_MAX];
        rc = vt_measure_path(&m, cfg->models[i], NULL, err);
        if (rc != VT_OK)
            break;
        snprintf(name, sizeof(name), "%s", base_name(cfg->models[i]));
        rc = log_event(t, VT_COMPONENT_MODEL, name, m->root, 32, err);
        if (rc == VT_OK && i == 0)
            memcpy(t->model, m->root, 32);
        if (rc == VT_OK && snapshot) {
            rc = snap_add(t, cfg->models[i], err);
            for (size_t k = 0; rc == VT_OK && k < m->file_count && m->file_count > 1; k++) {
                char p[4096];
                if (snprintf(p, sizeof(p), "%s/%s", cfg->models[i], m->files[k].path) < (int)sizeof(p))
                    rc = snap_add(t, p, err);
            }
        }
        vt_measurement_free(m);
    }
    return rc;
}

/* The artifact auditor without reference_digests takes the environment's model digests. */
static vt_status auditors_json(char **out, vt_gw_trust *t, vt_err *err)
{
    const vt_gw_config *cfg = t->o.cfg;
    json_t *arr = cfg->auditors != NULL ? json_deep_copy(cfg->auditors) : json_array(), *a;
    vt_status rc = arr == NULL ? vt_err_set(err, VT_E_NOMEM, "gateway: out of memory") : VT_OK;
    size_t i;

    json_array_foreach(arr, i, a) {
        const char *n = json_string_value(json_object_get(a, "name"));
        if (rc != VT_OK || n == NULL || strcmp(n, "artifact") != 0 || json_object_get(a, "reference_digests") != NULL)
            continue;
        if (cfg->verifier_url == NULL || cfg->environment == NULL) {
            rc = vt_err_set(err, VT_E_ARG,
                            "gateway: the artifact auditor has no reference_digests and there is no verifier/environment to take them from");
            break;
        }
        {
            vt_http_response r;
            vt_http_client_opts co;
            char url[2048];
            json_t *env = NULL, *models;
            memset(&co, 0, sizeof(co));
            co.timeout_ms = 10000;
            memset(&r, 0, sizeof(r));
            snprintf(url, sizeof(url), "%s/v1/environments/%s", cfg->verifier_url, cfg->environment);
            rc = vt_http_request(&r, "GET", url, NULL, &co, err);
            if (rc == VT_OK && r.status != 200) {
                char m[300];
                vt_http_response_error(m, sizeof(m), &r);
                rc = vt_err_set(err, VT_E_IO, "gateway: GET %s: %s", url, m);
            }
            if (rc == VT_OK)
                env = json_loadb((const char *)r.body.data, r.body.len, 0, NULL);
            models = json_object_get(json_object_get(env, "components"), "model");
            if (rc == VT_OK && (!json_is_array(models) || json_array_size(models) == 0))
                rc = vt_err_set(err, VT_E_POLICY, "gateway: environment %s lists no model digests for the artifact auditor",
                                cfg->environment);
            if (rc == VT_OK)
                json_object_set(a, "reference_digests", models);
            json_decref(env);
            vt_http_response_clear(&r);
        }
    }
    if (rc == VT_OK)
        rc = vt__gw_xaud_measure(arr, err); /* external auditors: their programs and files */
    if (rc == VT_OK) {
        *out = json_dumps(arr, JSON_COMPACT);
        if (*out == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    json_decref(arr);
    return rc;
}

static vt_status measure_all(vt_gw_trust *t, vt_err *err)
{
    char exe[4096], *aj = NULL;
    vt_measurement *m = NULL;
    vt_buf cfgb;
    uint8_t d[32];
    vt_status rc;
    ssize_t n;

    vt_buf_init(&cfgb);
    rc = auditors_json(&aj, t, err);
    if (rc == VT_OK)
        rc = vt_audit_chain_new(&t->chain, aj, strlen(aj), err);
    free(aj);
    if (rc == VT_OK)
        rc = vt_mlog_new(&t->log, err);
    if (rc == VT_OK && !t->o.measure_only) {
        /* A boot starts from a reset register where the platform lets software reset it (mock,
         * TPM PCR 23, the simulated NSM); a TD's RTMR3 and a real NSM's PCR 16 start zeroed. */
        vt_register_opts ro;
        memset(&ro, 0, sizeof(ro));
        ro.platform = t->kind;
        ro.simulate = t->o.simulate;
        ro.state_dir = t->o.state_dir;
        ro.sysroot = t->o.sysroot;
        ro.tpm_tcti = t->o.tpm_tcti;
        rc = vt_register_open(&t->reg, &ro, err);
        if (rc == VT_OK)
            rc = vt_register_reset(t->reg, err);
        if (rc == VT_OK)
            vt__gw_log("info", "register", vt_register_describe(t->reg));
    }
    if (rc == VT_OK)
        rc = measure_models(t, true, err);
    if (rc == VT_OK)
        rc = vt__gw_model_keys_measure(t, err); /* model_keys.c */
    for (size_t i = 0; rc == VT_OK && i < vt_audit_chain_count(t->chain); i++) {
        const vt_auditor_info *a = vt_audit_chain_get(t->chain, i);
        char name[VT_MLOG_NAME_MAX];
        snprintf(name, sizeof(name), "%s@%s", a->name, a->version);
        rc = log_event(t, VT_COMPONENT_AUDITOR, name, a->config_digest, 32, err);
    }
    if (rc == VT_OK) {
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
            rc = vt_err_set(err, VT_E_IO, "gateway: /proc/self/exe: %s", strerror(errno));
        else
            exe[n] = '\0';
    }
    if (rc == VT_OK)
        rc = vt_measure_path(&m, exe, NULL, err);
    if (rc == VT_OK)
        rc = log_event(t, VT_COMPONENT_RUNTIME, "veritee", m->root, 32, err);
    vt_measurement_free(m);
    if (rc == VT_OK) {
        if (t->o.config_path != NULL) {
            rc = vt_file_read(&cfgb, t->o.config_path, 1 << 20, err);
        } else {
            char *s = NULL;
            rc = vt_gw_config_to_json(&s, t->o.cfg, err);
            if (rc == VT_OK)
                rc = vt_buf_append_str(&cfgb, s, err);
            free(s);
        }
    }
    if (rc == VT_OK)
        rc = vt_digest(VT_MD_SHA256, cfgb.data, cfgb.len, d, err);
    if (rc == VT_OK)
        rc = log_event(t, VT_COMPONENT_CONFIG, t->o.config_path != NULL ? base_name(t->o.config_path) : "gateway.json",
                       d, 32, err);
    if (rc == VT_OK && t->o.transport_json != NULL) /* which listeners exist (transport.c) */
        rc = vt_digest(VT_MD_SHA256, t->o.transport_json, strlen(t->o.transport_json), d, err);
    if (rc == VT_OK && t->o.transport_json != NULL)
        rc = log_event(t, VT_COMPONENT_OTHER, "transport", d, 32, err);
    vt_buf_free(&cfgb);
    return rc;
}

/* ---- passports ---- */

/* Called with t->mu held; releases it while talking to the verifier. */
static vt_status attest_locked(vt_gw_trust *t, vt_err *err)
{
    vt_attester_result ar;
    vt_passport_claims pc;
    vt_status rc;
    char msg[400];

    /* Renewal is signed under the current passport (the verifier limits it per gateway, not
     * per address); a first attestation, an expired passport or one the verifier no longer
     * takes goes anonymously. */
    t->ao.auth_passport = t->passport != NULL && vt_time_now() < t->exp && !t->auth_refused ? t->passport : NULL;
    t->ao.auth_key = t->key;
    rc = vt_attester_run(&ar, &t->ao, t->log, t->key, err);
    t->ao.auth_passport = NULL;
    if (rc == VT_E_POLICY && err != NULL && strstr(err->msg, "gateway_unauthorized") != NULL) {
        t->auth_refused = true;
        vt__gw_log("warn", "reattest", "the verifier refused the passport as authorization: retrying anonymously");
    } else if (rc == VT_OK) {
        t->auth_refused = false;
    }
    if (rc == VT_E_POLICY && strcmp(ar.status, "contraindicated") == 0) {
        /* Refused, no passport: stop serving under the previous one. */
        free(t->passport);
        t->passport = NULL;
        t->passport_id[0] = '\0';
        snprintf(t->status, sizeof(t->status), "%s", ar.status);
        snprintf(t->reason, sizeof(t->reason), "%s", ar.reason);
        snprintf(msg, sizeof(msg), "contraindicated, no passport (%s evidence, environment %s)%s%s",
                 vt_tee_name(ar.kind), t->ao.environment, ar.reason[0] ? ": " : "", ar.reason);
        vt__gw_log("error", "passport", msg);
        vt_attester_result_clear(&ar);
        return VT_OK;
    }
    if (rc != VT_OK) {
        vt_attester_result_clear(&ar);
        return rc;
    }
    memset(&pc, 0, sizeof(pc));
    rc = vt_passport_decode(&pc, ar.token, strlen(ar.token), err);
    if (rc == VT_OK) {
        free(t->passport);
        t->passport = ar.token;
        ar.token = NULL;
        snprintf(t->passport_id, sizeof(t->passport_id), "%s", ar.id);
        snprintf(t->status, sizeof(t->status), "%s", ar.status);
        snprintf(t->reason, sizeof(t->reason), "%s", ar.reason);
        t->iat = pc.iat;
        t->exp = pc.exp;
        snprintf(msg, sizeof(msg), "%s %s (%s evidence, environment %s)%s%s", ar.id, ar.status, vt_tee_name(ar.kind),
                 t->ao.environment, ar.reason[0] ? ": " : "", ar.reason);
        vt__gw_log(strcmp(ar.status, "affirming") == 0 ? "info" : "error", "passport", msg);
    }
    vt_passport_claims_clear(&pc);
    vt_attester_result_clear(&ar);
    return rc;
}

static void update_serving(vt_gw_trust *t)
{
    bool ok = t->passport != NULL && vt_time_now() < t->exp &&
              (strcmp(t->status, "affirming") == 0 ||
               (t->o.cfg->serve_on_warning && strcmp(t->status, "warning") == 0));
    atomic_store(&t->serving, ok || t->o.allow_unverified);
}

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
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    pthread_mutex_init(&t->qmu, NULL);
    pthread_cond_init(&t->qcv, NULL);
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
        rc = measure_all(t, err);
    /* The boot is measured: Nitro locks PCR 16, which its attestation documents report from then on. */
    if (rc == VT_OK && t->reg != NULL)
        rc = vt_register_lock(t->reg, err);
    if (!o->attest)
        atomic_store(&t->serving, true);
    if (rc == VT_OK && o->attest) {
        rc = vt_pkey_generate(&t->key, VT_KEY_EC_P256, err);
        if (rc == VT_OK)
            rc = vt_jwk_from_pkey(&t->jwk, t->key, NULL, err);
        if (rc == VT_OK) {
            pthread_mutex_lock(&t->mu);
            rc = attest_locked(t, err);
            update_serving(t);
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

/* Re-measures the changed model and records it in the log (with t->mu held). */
static void remeasure_locked(vt_gw_trust *t)
{
    vt_err e = { 0 };
    vt_status rc;

    pthread_mutex_unlock(&t->mu); /* hashing may take long; the log is appended under the lock below */
    {
        vt_measurement *m = NULL;
        rc = t->o.cfg->model_count > 0 ? vt_measure_path(&m, t->o.cfg->models[0], NULL, &e) : VT_OK;
        pthread_mutex_lock(&t->mu);
        if (rc == VT_OK && m != NULL) {
            memcpy(t->model, m->root, 32);
            t->model_unknown = false;
            rc = log_event(t, VT_COMPONENT_MODEL, base_name(t->o.cfg->models[0]), m->root, 32, &e);
        }
        vt_measurement_free(m);
    }
    if (rc != VT_OK)
        vt__gw_log("error", "remeasure", e.msg);
    else
        vt__gw_log("warn", "remeasured", "the model changed since boot: new digest logged, re-attesting");
}

static void *upkeep_main(void *arg)
{
    vt_gw_trust *t = arg;
    unsigned backoff = 1;
    bool remeasured = false;
    vt_time next;

    pthread_mutex_lock(&t->mu);
    next = t->iat + (t->exp - t->iat) * 2 / 3;
    while (!t->stop) {
        struct timespec ts;
        vt_time now = vt_time_now();
        if (t->model_unknown && !remeasured) {
            remeasure_locked(t);
            remeasured = true;
            next = now;
        }
        if (now >= next) {
            vt_err e = { 0 };
            if (attest_locked(t, &e) == VT_OK) {
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
            update_serving(t);
            if (!atomic_load(&t->serving))
                vt__gw_log("error", "not_serving", "no affirming, unexpired passport: requests get 503");
        }
        update_serving(t);
        clock_gettime(CLOCK_REALTIME, &ts);
        {
            vt_time wake = next < t->exp ? next : t->exp;
            long wait_s = (long)(wake - vt_time_now());
            if (wait_s < 1)
                wait_s = 1;
            if (t->o.model_check_ms > 0 && t->file_count > 0 && (long)t->o.model_check_ms < wait_s * 1000) {
                long ms = (long)t->o.model_check_ms;
                ts.tv_sec += ms / 1000;
                ts.tv_nsec += (ms % 1000) * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
            } else {
                ts.tv_sec += wait_s;
            }
        }
        pthread_cond_timedwait(&t->cv, &t->mu, &ts);
        if (!t->stop && t->o.model_check_ms > 0 && !atomic_load(&t->model_changed)) {
            pthread_mutex_unlock(&t->mu);
            (void)vt__gw_model_check(t);
            pthread_mutex_lock(&t->mu);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
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
        rc = vt__gw_xaud_new(&t->xaud, t->chain, nloops, 5000, err); /* refuses unless each one runs, measured */
    if (rc != VT_OK)
        return rc;
    if (t->key != NULL) {
        if (pthread_create(&t->thread, NULL, upkeep_main, t) != 0)
            return vt_err_set(err, VT_E_INTERNAL, "gateway: cannot start the upkeep thread");
        t->thread_started = true;
        rc = vt__gw_sink_start(t, err);
    }
    return rc;
}

void vt_gw_trust_free(vt_gw_trust *t)
{
    if (t == NULL)
        return;
    if (t->thread_started) {
        pthread_mutex_lock(&t->mu);
        t->stop = true;
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
        pthread_join(t->thread, NULL);
    }
    vt__gw_sink_stop(t);
    for (unsigned i = 0; t->ctxs != NULL && i < t->nctx; i++)
        vt_audit_ctx_free(t->ctxs[i]);
    free(t->ctxs);
    vt__gw_xaud_free(t->xaud);
    vt_audit_chain_free(t->chain);
    vt_pkey_free(t->key); /* wipes the enclave key */
    free(t->jwk);
    vt_mlog_free(t->log);
    vt_register_free(t->reg);
    vt__gw_model_keys_free(t);
    free(t->passport);
    for (size_t i = 0; i < t->file_count; i++)
        free(t->files[i].path);
    free(t->files);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->qmu);
    pthread_cond_destroy(&t->qcv);
    free(t);
}
