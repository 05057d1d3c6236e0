/* What the gateway measures at boot (trust.h, docs/gateway.md "Trusted boot"): the models, the
 * auditor set (external auditors' programs included), the gateway binary, its config (and the
 * pinned verifier key set's bytes) and its listeners, each appended to the measurement log and
 * extended into the platform's register; and the model files' boot snapshot, compared on a timer
 * so a changed model is re-measured. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client/client.h"
#include "gateway/deployment.h"
#include "gateway/trust.h"
#include "gateway/xaud.h"

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

/* A snapshot: the files and directories of the models, with their times (t->files). */
struct snap {
    struct gw_model_file *files;
    size_t count;
};

static void snap_free(struct snap *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->files[i].path);
    free(s->files);
    s->files = NULL;
    s->count = 0;
}

static vt_status snap_add(struct snap *s, const char *path, bool *is_dir, vt_err *err)
{
    struct gw_model_file *f, *nf;
    struct stat st;

    if (lstat(path, &st) != 0)
        return vt_err_set(err, VT_E_IO, "gateway: model %s: %s", path, strerror(errno));
    if (is_dir != NULL)
        *is_dir = S_ISDIR(st.st_mode);
    nf = realloc(s->files, (s->count + 1) * sizeof(*s->files));
    if (nf == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    s->files = nf;
    f = &s->files[s->count];
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    if (f->path == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    f->ctime = st.st_ctim;
    s->count++;
    return VT_OK;
}

/* The snapshot of path and, for a directory, of every file and directory under it (a file
 * written in place leaves its directory's times alone; one added to a subdirectory leaves
 * the model directory's alone). */
static vt_status snap_tree(struct snap *s, const char *path, unsigned depth, vt_err *err)
{
    struct dirent *de;
    bool dir = false;
    vt_status rc = snap_add(s, path, &dir, err);
    DIR *d;

    if (rc != VT_OK || !dir)
        return rc;
    if (depth >= 64)
        return vt_err_set(err, VT_E_LIMIT, "gateway: model %s: directories nested too deep", path);
    d = opendir(path);
    if (d == NULL)
        return vt_err_set(err, VT_E_IO, "gateway: model %s: %s", path, strerror(errno));
    while (rc == VT_OK && (de = readdir(d)) != NULL) {
        char p[4096];
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (snprintf(p, sizeof(p), "%s/%s", path, de->d_name) >= (int)sizeof(p))
            rc = vt_err_set(err, VT_E_LIMIT, "gateway: model %s: a path under it is too long", path);
        else
            rc = snap_tree(s, p, depth + 1, err);
    }
    closedir(d);
    return rc;
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
    char changed[4096] = "";

    if (atomic_load(&t->model_changed))
        return true;
    now = vt_time_mono_ms();
    next = atomic_load(&t->next_check_ms);
    if (t->o.cfg->model_check_ms > 0 && now < next)
        return false;
    atomic_store(&t->next_check_ms, now + t->o.cfg->model_check_ms);
    pthread_rwlock_rdlock(&t->files_lock);
    for (size_t i = 0; changed[0] == '\0' && i < t->file_count; i++)
        if (!snap_same(&t->files[i]))
            snprintf(changed, sizeof(changed), "%s", t->files[i].path);
    pthread_rwlock_unlock(&t->files_lock);
    if (changed[0] == '\0')
        return false;
    atomic_store(&t->model_changed, true);
    vt__gw_log("warn", "model_changed", changed);
    pthread_mutex_lock(&t->mu);
    t->model_unknown = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return true;
}

/* Appends an event, then extends the platform's register with it (register.h): a crash in
 * between leaves the log ahead of the register, which the verifier's replay refuses. */
vt_status vt__gw_log_event(vt_gw_trust *t, vt_component c, const char *name, const uint8_t *d, size_t len,
                           vt_err *err)
{
    vt_status rc = vt_mlog_append(t->log, c, name, VT_MD_SHA256, d, len, NULL, err);

    if (rc == VT_OK && t->reg != NULL)
        rc = vt_register_extend_event(t->reg, vt_mlog_get(t->log, vt_mlog_count(t->log) - 1), NULL, err);
    return rc;
}

static vt_status measure_models(vt_gw_trust *t, bool snapshot, vt_err *err)
{
    const vt_gw_config *cfg = t->o.cfg;
    vt_status rc = VT_OK;

    for (size_t i = 0; rc == VT_OK && i < cfg->model_count; i++) {
        vt_measurement *m = NULL;
        char name[VT_MLOG_NAME_MAX];
        /* The path's times, and those of everything under it, before its bytes are hashed: a
         * file changed while (or after) it was read differs from the snapshot at the first check. */
        if (snapshot) {
            struct snap sn = { t->files, t->file_count };
            rc = snap_tree(&sn, cfg->models[i], 0, err);
            t->files = sn.files; /* freed with the trust state */
            t->file_count = sn.count;
        }
        if (rc == VT_OK)
            rc = vt_measure_path(&m, cfg->models[i], NULL, err);
        if (rc != VT_OK)
            break;
        snprintf(name, sizeof(name), "%s", base_name(cfg->models[i]));
        rc = vt__gw_log_event(t, VT_COMPONENT_MODEL, name, m->root, 32, err);
        if (rc == VT_OK && i == 0)
            memcpy(t->model, m->root, 32);
        vt_measurement_free(m);
    }
    return rc;
}

/* The environment's model digests (*out: a new reference to its components.model, a non-empty
 * array), from the verifier's signed environment verified under the pinned key set, else under
 * the set the verifier serves, as the gateway's passports are (upkeep.c): whoever answers as the
 * verifier's URL cannot choose which model the artifact auditor accepts. */
static vt_status env_model_digests(json_t **out, vt_gw_trust *t, vt_err *err)
{
    const vt_gw_config *cfg = t->o.cfg;
    vt_env_token_opts eo;
    vt_jwks *jwks = NULL;
    vt_env *env = malloc(sizeof(*env));
    char issuer[128] = "", *text = NULL;
    json_t *doc = NULL, *models;
    vt_status rc = env != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");

    *out = NULL;
    if (rc == VT_OK && t->pin == NULL)
        rc = vt_gw_verifier_keys(&jwks, issuer, sizeof(issuer), cfg->verifier_url, 10000, err);
    memset(&eo, 0, sizeof(eo));
    eo.jwks = t->pin != NULL ? t->pin : jwks;
    eo.jwks_issuer = t->pin != NULL ? t->pin_issuer : issuer;
    eo.verifier = cfg->verifier_url;
    eo.id = cfg->environment;
    eo.now = vt_time_now();
    if (rc == VT_OK)
        rc = vt__client_env(env, &text, cfg->verifier_url, &eo, 10000, err);
    if (rc == VT_OK)
        doc = json_loads(text, 0, NULL); /* the signed bytes: vt_env_parse took them already */
    models = json_object_get(json_object_get(doc, "components"), "model");
    if (rc == VT_OK && (!json_is_array(models) || json_array_size(models) == 0))
        rc = vt_err_set(err, VT_E_POLICY, "gateway: environment %s lists no model digests for the artifact auditor",
                        cfg->environment);
    if (rc == VT_OK)
        *out = json_incref(models);
    if (rc != VT_OK && err != NULL && strncmp(err->msg, "gateway:", 8) != 0) {
        char m[sizeof(err->msg)];
        snprintf(m, sizeof(m), "%s", err->msg);
        vt_err_set(err, rc, "gateway: the artifact auditor's reference digests: %s", m);
    }
    json_decref(doc);
    free(text);
    free(env);
    vt_jwks_free(jwks);
    return rc;
}

/* The artifact auditor without reference_digests takes the environment's model digests. */
static vt_status auditors_json(char **out, vt_gw_trust *t, vt_err *err)
{
    const vt_gw_config *cfg = t->o.cfg;
    json_t *arr = cfg->auditors != NULL ? json_deep_copy(cfg->auditors) : json_array(), *a, *models = NULL;
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
        if (models == NULL)
            rc = env_model_digests(&models, t, err);
        if (rc == VT_OK && json_object_set(a, "reference_digests", models) != 0)
            rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    json_decref(models);
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

vt_status vt__gw_measure_boot(vt_gw_trust *t, vt_err *err)
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
        rc = vt__gw_log_event(t, VT_COMPONENT_AUDITOR, name, a->config_digest, 32, err);
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
        rc = vt__gw_log_event(t, VT_COMPONENT_RUNTIME, "veritee", m->root, 32, err);
    vt_measurement_free(m);
    if (rc == VT_OK) {
        if (t->o.config_path != NULL) {
            /* What was parsed, not the file read again: it may have changed since (while the
             * models were hashed), and the config in effect is the one measured. */
            rc = t->o.config_text != NULL ? vt_buf_append(&cfgb, t->o.config_text, t->o.config_len, err)
                                          : vt_err_set(err, VT_E_ARG, "gateway: the config's bytes are not given");
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
        rc = vt__gw_log_event(t, VT_COMPONENT_CONFIG, t->o.config_path != NULL ? base_name(t->o.config_path) : "gateway.json",
                       d, 32, err);
    /* The pinned verifier key set, as read and parsed at boot (trust.c): the config names only its
     * path, so whoever can write the file but not the config would change the keys a passport must
     * be signed under unseen.  A config event of its own, appraised with the config's reference
     * values, because with a file the config event is the file's bytes, not the effective config. */
    if (rc == VT_OK && t->pin != NULL)
        rc = vt__gw_log_event(t, VT_COMPONENT_CONFIG, "verifier_jwks", t->pin_sha256, 32, err);
    if (rc == VT_OK && t->o.transport_json != NULL) /* which listeners exist (transport.c) */
        rc = vt_digest(VT_MD_SHA256, t->o.transport_json, strlen(t->o.transport_json), d, err);
    if (rc == VT_OK && t->o.transport_json != NULL)
        rc = vt__gw_log_event(t, VT_COMPONENT_OTHER, "transport", d, 32, err);
    vt_buf_free(&cfgb);
    return rc;
}

/* Re-measures the models after a change and records each one in the log (with t->mu held):
 * every model, as the changed one may be any of them.  The watch then goes on from a snapshot
 * taken before this hashing, so a later change is noticed and measured in its turn. */
void vt__gw_remeasure_locked(vt_gw_trust *t)
{
    const vt_gw_config *cfg = t->o.cfg;
    vt_measurement **ms;
    struct snap sn = { NULL, 0 };
    vt_err e = { 0 };
    vt_status rc = VT_OK;

    pthread_mutex_unlock(&t->mu); /* hashing may take long; the log is appended under the lock below */
    ms = calloc(cfg->model_count > 0 ? cfg->model_count : 1, sizeof(*ms));
    if (ms == NULL)
        rc = vt_err_set(&e, VT_E_NOMEM, "gateway: out of memory");
    for (size_t i = 0; rc == VT_OK && i < cfg->model_count; i++)
        rc = snap_tree(&sn, cfg->models[i], 0, &e);
    for (size_t i = 0; rc == VT_OK && i < cfg->model_count; i++)
        rc = vt_measure_path(&ms[i], cfg->models[i], NULL, &e);
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; rc == VT_OK && i < cfg->model_count; i++) {
        char name[VT_MLOG_NAME_MAX];
        snprintf(name, sizeof(name), "%s", base_name(cfg->models[i]));
        rc = vt__gw_log_event(t, VT_COMPONENT_MODEL, name, ms[i]->root, 32, &e);
    }
    if (rc == VT_OK && cfg->model_count > 0) {
        struct snap old;
        memcpy(t->model, ms[0]->root, 32);
        pthread_rwlock_wrlock(&t->files_lock);
        old.files = t->files;
        old.count = t->file_count;
        t->files = sn.files;
        t->file_count = sn.count;
        pthread_rwlock_unlock(&t->files_lock);
        sn = old; /* freed below */
        t->model_unknown = false;
        atomic_store(&t->model_changed, false);
    }
    snap_free(&sn);
    for (size_t i = 0; ms != NULL && i < cfg->model_count; i++)
        vt_measurement_free(ms[i]);
    free(ms);
    if (rc != VT_OK)
        vt__gw_log("error", "remeasure", e.msg);
    else
        vt__gw_log("warn", "remeasured", "the model changed since boot: new digests logged, re-attesting");
}
