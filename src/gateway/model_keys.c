/* Encrypted models at boot (docs/keys.md, "Gateway boot"): each entry of "encrypted_models"
 * names an encrypted file (veritee-weights-v1), the name bound into it, the key broker resource
 * holding its key, and a tmpfs directory.  At measure time the plaintext's root (from the
 * header's size and digest) is logged as the model; after the passport, the key is asked of the
 * verifier's broker with a signed, nonce-bound request, the file is decrypted on all cores into
 * tmpfs (never persistent disk), its digest checked against the measured one, the key wiped. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "gateway/trust.h"

#define TMPFS_MAGIC_ 0x01021994
#define RAMFS_MAGIC_ 0x858458f6
#define DEFAULT_INTO "/dev/shm/veritee-models"

struct gw_model_key {
    const char *file, *name, *resource, *into; /* borrowed from the config */
    uint8_t root[32];                          /* the measured model: plaintext root from the header */
    char out[4200];                            /* the plaintext in tmpfs, "" before decryption */
};

struct gw_model_keys {
    struct gw_model_key *m;
    size_t count;
};

/* Checks entry i of encrypted_models and fills k (borrowing the config's strings). */
static vt_status entry(struct gw_model_key *k, json_t *e, size_t i, vt_err *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(e))
        return vt_err_set(err, VT_E_ARG, "gateway config: encrypted_models[%zu] must be an object", i);
    json_object_foreach(e, key, v) {
        if (strcmp(key, "file") != 0 && strcmp(key, "name") != 0 && strcmp(key, "resource") != 0 &&
            strcmp(key, "into") != 0)
            return vt_err_set(err, VT_E_ARG, "gateway config: unknown key encrypted_models[%zu].%.32s", i, key);
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 4000)
            return vt_err_set(err, VT_E_ARG, "gateway config: encrypted_models[%zu].%s must be a string", i, key);
    }
    k->file = json_string_value(json_object_get(e, "file"));
    k->name = json_string_value(json_object_get(e, "name"));
    k->resource = json_string_value(json_object_get(e, "resource"));
    k->into = json_string_value(json_object_get(e, "into"));
    if (k->into == NULL)
        k->into = DEFAULT_INTO;
    if (k->file == NULL || k->name == NULL || k->resource == NULL)
        return vt_err_set(err, VT_E_ARG, "gateway config: encrypted_models[%zu] needs file, name and resource", i);
    if (!vt_env_id_valid(k->resource))
        return vt_err_set(err, VT_E_ARG, "gateway config: encrypted_models[%zu].resource is not a resource id", i);
    if (strchr(k->name, '/') != NULL || strcmp(k->name, ".") == 0 || strcmp(k->name, "..") == 0 ||
        strlen(k->name) > VT_WEIGHTS_NAME_MAX)
        return vt_err_set(err, VT_E_ARG, "gateway config: encrypted_models[%zu].name must be a file name", i);
    return VT_OK;
}

vt_status vt__gw_model_keys_measure(vt_gw_trust *t, vt_err *err)
{
    json_t *arr = t->o.cfg->encrypted_models;
    struct gw_model_keys *mk;
    vt_status rc = VT_OK;

    if (arr == NULL || json_array_size(arr) == 0)
        return VT_OK;
    mk = calloc(1, sizeof(*mk));
    if (mk != NULL)
        mk->m = calloc(json_array_size(arr), sizeof(*mk->m));
    if (mk == NULL || mk->m == NULL) {
        free(mk);
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    t->mk = mk;
    for (size_t i = 0; rc == VT_OK && i < json_array_size(arr); i++) {
        struct gw_model_key *k = &mk->m[i];
        uint8_t head[VT_WEIGHTS_HEADER_LEN];
        vt_weights_header h;
        ssize_t n = -1;
        int fd;

        rc = entry(k, json_array_get(arr, i), i, err);
        if (rc != VT_OK)
            break;
        mk->count++;
        fd = open(k->file, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            n = pread(fd, head, sizeof(head), 0);
            close(fd);
        }
        if (n != (ssize_t)sizeof(head)) {
            rc = vt_err_set(err, VT_E_IO, "gateway: encrypted model %s: cannot read its header: %s", k->file,
                            fd < 0 ? strerror(errno) : "too short");
            break;
        }
        rc = vt_weights_header_parse(&h, head, sizeof(head), err);
        if (rc == VT_OK)
            rc = vt_measure_root_one(k->root, k->name, h.size, h.digest, err);
        if (rc == VT_OK)
            rc = vt__gw_log_event(t, VT_COMPONENT_MODEL, k->name, k->root, 32, err);
    }
    return rc;
}

/* The 32-byte key from a released resource: 32 raw bytes, or 64 hex (a 'model keygen' file). */
static vt_status key_of(uint8_t key[32], const vt_buf *b, vt_err *err)
{
    size_t n = b->len;

    while (n > 0 && (b->data[n - 1] == '\n' || b->data[n - 1] == '\r' || b->data[n - 1] == ' '))
        n--;
    if (b->len == 32) {
        memcpy(key, b->data, 32);
        return VT_OK;
    }
    if (n == 64 && vt_hex_decode(key, 32, (const char *)b->data, 64, NULL) == VT_OK)
        return VT_OK;
    return vt_err_set(err, VT_E_FORMAT, "gateway: the released resource is not a 32-byte model key");
}

/* Asks the broker for resource and puts the key in key. */
static vt_status fetch_key(uint8_t key[32], vt_gw_trust *t, const char *resource, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char url[4400], *body = NULL, *authz = NULL, *passport = NULL;
    vt_http_client_opts co;
    vt_http_response r;
    json_t *j = NULL;
    const char *jwe;
    vt_buf plain;

    memset(&r, 0, sizeof(r));
    memset(&co, 0, sizeof(co));
    vt_buf_init(&plain);
    pthread_mutex_lock(&t->mu);
    passport = t->passport != NULL ? strdup(t->passport) : NULL;
    pthread_mutex_unlock(&t->mu);
    if (passport == NULL) {
        rc = vt_err_set(err, VT_E_POLICY, "gateway: no passport to ask the key broker for '%s' with", resource);
        goto out;
    }
    snprintf(url, sizeof(url), "%s/v1/keys/%s/release", t->o.cfg->verifier_url, resource);
    rc = vt_kbs_request_new(&body, err);
    if (rc == VT_OK)
        rc = vt_passport_auth_sign(&authz, passport, t->key, "POST", url, (const uint8_t *)body, strlen(body),
                                   vt_time_now(), err);
    co.authorization = authz;
    co.timeout_ms = 15000;
    if (rc == VT_OK)
        rc = vt_http_request(&r, "POST", url, body, &co, err);
    if (rc != VT_OK)
        goto out;
    j = json_loadb((const char *)r.body.data, r.body.len, 0, NULL);
    jwe = json_string_value(json_object_get(j, "jwe"));
    if (r.status != 200 || jwe == NULL) {
        const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        rc = vt_err_set(err, VT_E_POLICY,
                        "gateway: the key broker did not release '%s' (HTTP %ld: %s): this gateway's passport does "
                        "not meet the resource's policy (its measurements, environment or platform differ), or the "
                        "resource is unknown or revoked; refusing to serve",
                        resource, r.status, m != NULL ? m : "no answer");
        goto out;
    }
    /* The answer names its resource in the JWE's protected header (authenticated with the secret):
     * another resource's key, or one that names none, is refused before it is decrypted. */
    rc = vt_jwe_decrypt_kid(&plain, t->key, resource, jwe, strlen(jwe), err);
    if (rc == VT_E_POLICY) {
        char why[256];
        snprintf(why, sizeof(why), "%s", err != NULL ? err->msg : "");
        rc = vt_err_set(err, VT_E_POLICY,
                        "gateway: the key broker's answer for '%s' is not that resource's key (%s); refusing to serve",
                        resource, why);
    }
    if (rc == VT_OK)
        rc = key_of(key, &plain, err);
out:
    if (plain.data != NULL)
        OPENSSL_cleanse(plain.data, plain.len);
    vt_buf_free(&plain);
    vt_http_response_clear(&r);
    json_decref(j);
    free(passport);
    free(body);
    free(authz);
    return rc;
}

/* The plaintext's directory: this user's alone (created, or tightened to, 0700: whoever else may
 * write it could put other weights in place of the checked plaintext), and only on tmpfs or ramfs
 * (memory, not disk). */
static vt_status memory_dir(const char *dir, vt_err *err)
{
    struct statfs fs;
    vt_status rc = vt_dir_private(dir, err);

    if (rc != VT_OK)
        return rc;
    if (statfs(dir, &fs) != 0)
        return vt_err_set(err, VT_E_IO, "gateway: %s: %s", dir, strerror(errno));
    if ((unsigned long)fs.f_type != TMPFS_MAGIC_ && (unsigned long)fs.f_type != RAMFS_MAGIC_)
        return vt_err_set(err, VT_E_POLICY,
                          "gateway: encrypted model target %s is not on tmpfs or ramfs: plaintext weights never go "
                          "to persistent disk",
                          dir);
    return VT_OK;
}

vt_status vt__gw_model_keys_open(vt_gw_trust *t, vt_err *err)
{
    vt_status rc = VT_OK;

    for (size_t i = 0; t->mk != NULL && rc == VT_OK && i < t->mk->count; i++) {
        struct gw_model_key *k = &t->mk->m[i];
        uint8_t key[32], root[32];
        vt_weights_info info;
        char out[4200], msg[4400], why[256];

        rc = memory_dir(k->into, err);
        if (rc == VT_OK && snprintf(out, sizeof(out), "%s/%s", k->into, k->name) >= (int)sizeof(out))
            rc = vt_err_set(err, VT_E_ARG, "gateway: encrypted model path too long");
        if (rc == VT_OK)
            rc = fetch_key(key, t, k->resource, err);
        if (rc == VT_OK) {
            rc = vt_weights_decrypt_file(&info, out, k->file, key, k->name, NULL, err);
            snprintf(why, sizeof(why), "%s", err != NULL ? err->msg : "");
            if (rc != VT_OK)
                rc = vt_err_set(err, rc, "gateway: encrypted model %.1024s does not decrypt (%s): refusing to serve",
                                k->file, why);
        }
        OPENSSL_cleanse(key, sizeof(key)); /* the key lives only for the decryption */
        if (rc == VT_OK)
            rc = vt_measure_root_one(root, k->name, info.size, info.digest, err);
        if (rc == VT_OK && CRYPTO_memcmp(root, k->root, 32) != 0) {
            unlink(out);
            rc = vt_err_set(err, VT_E_CRYPTO, "gateway: the decrypted %s differs from the measured model", k->name);
        }
        if (rc != VT_OK)
            break;
        snprintf(k->out, sizeof(k->out), "%s", out);
        snprintf(msg, sizeof(msg), "%.2000s -> %.2000s (%llu bytes, digest matches the measured model; key wiped)", k->file,
                 out, (unsigned long long)info.size);
        vt__gw_log("info", "model_decrypted", msg);
    }
    return rc;
}

void vt__gw_model_keys_free(vt_gw_trust *t)
{
    if (t->mk == NULL)
        return;
    for (size_t i = 0; i < t->mk->count; i++)
        if (t->mk->m[i].out[0] != '\0')
            unlink(t->mk->m[i].out); /* the plaintext leaves memory with the gateway */
    free(t->mk->m);
    free(t->mk);
    t->mk = NULL;
}
