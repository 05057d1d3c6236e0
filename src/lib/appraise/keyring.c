/*
 * The verifier's signing key ring: a directory with one PKCS#8 PEM per key
 * (<kid>.pem, mode 0600; kid = RFC 7638 thumbprint) and ring.json naming the
 * current key and until when each retired key is published:
 *
 *   {"format":"veritee-keyring-v1","current":"<kid>",
 *    "keys":[{"kid":"...","created":T,"retired":T|0,"publish_until":T|0}]}
 *
 * Every change happens under an exclusive flock on <dir>/.lock and is written
 * with rename, so two processes opening or rotating the same directory at once
 * see one consistent ring.  A process that keeps a ring open sees another's
 * rotation only after it opens the ring again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appraise_int.h"

#define RING_FORMAT "veritee-keyring-v1"
#define RING_MAX_KEYS 32
#define RING_MAX_BYTES ((size_t)64 << 10)
#define KEY_PEM_MAX 8192

typedef struct ring_key {
    char kid[VT_JWS_KID_MAX];
    vt_pkey *key;
    vt_time created;
    vt_time retired;       /* 0 = current */
    vt_time publish_until; /* 0 = current */
} ring_key;

struct vt_keyring {
    char dir[1024];
    ring_key keys[RING_MAX_KEYS];
    size_t count;
    size_t current;
};

static void ring_reset(vt_keyring *kr)
{
    for (size_t i = 0; i < kr->count; i++)
        vt_pkey_free(kr->keys[i].key);
    memset(kr->keys, 0, sizeof(kr->keys));
    kr->count = 0;
    kr->current = 0;
}

void vt_keyring_free(vt_keyring *kr)
{
    if (kr == NULL)
        return;
    ring_reset(kr);
    free(kr);
}

static bool kid_ok(const char *kid)
{
    size_t n = strlen(kid);

    if (n == 0 || n >= VT_JWS_KID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = kid[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static vt_status path_of(char *out, size_t n, const vt_keyring *kr, const char *name, vt_err *err)
{
    int w = snprintf(out, n, "%s/%s", kr->dir, name);
    if (w < 0 || (size_t)w >= n)
        return vt_err_set(err, VT_E_ARG, "keyring: path too long");
    return VT_OK;
}

static vt_status lock_dir(int *fd, const vt_keyring *kr, vt_err *err)
{
    char p[1100];
    vt_status rc = path_of(p, sizeof(p), kr, ".lock", err);

    *fd = -1;
    if (rc != VT_OK)
        return rc;
    *fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0)
        return vt_err_set(err, VT_E_IO, "keyring: cannot open %s: %s", p, strerror(errno));
    while (flock(*fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(*fd);
            *fd = -1;
            return vt_err_set(err, VT_E_IO, "keyring: cannot lock %s: %s", p, strerror(errno));
        }
    }
    return VT_OK;
}

static void unlock_dir(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}

static vt_status load_key(ring_key *k, const vt_keyring *kr, vt_err *err)
{
    char p[1100], file[VT_JWS_KID_MAX + 8], thumb[44];
    vt_buf pem;
    vt_status rc;

    snprintf(file, sizeof(file), "%s.pem", k->kid);
    rc = path_of(p, sizeof(p), kr, file, err);
    if (rc != VT_OK)
        return rc;
    /* A signing key others can read is a key others may have copied, and one another user owns is a
     * key another user chose: mode and owner are checked on the descriptor that is read. */
    vt_buf_init(&pem);
    rc = vt_file_read_private(&pem, p, KEY_PEM_MAX, err);
    if (rc == VT_OK)
        rc = vt_pkey_from_pem(&k->key, (const char *)pem.data, pem.len, err);
    vt_buf_free(&pem);
    if (rc == VT_OK && vt_pkey_type(k->key) != VT_KEY_EC_P256 && vt_pkey_type(k->key) != VT_KEY_EC_P384)
        rc = vt_err_set(err, VT_E_FORMAT, "keyring: %s is not a P-256 or P-384 key", p);
    if (rc == VT_OK)
        rc = vt_jwk_thumbprint(thumb, k->key, err);
    if (rc == VT_OK && strcmp(thumb, k->kid) != 0)
        rc = vt_err_set(err, VT_E_FORMAT, "keyring: %s holds another key than its kid says", p);
    return rc;
}

static vt_status get_time(vt_time *out, const json_t *o, const char *name, size_t i, vt_err *err)
{
    const json_t *v = json_object_get(o, name);

    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return vt_err_set(err, VT_E_FORMAT, "keyring: ring.json keys[%zu].%s is not a time", i, name);
    *out = (vt_time)json_integer_value(v);
    return VT_OK;
}

/* Loads ring.json and every key it names.  VT_E_NOTFOUND when there is no ring yet. */
static vt_status ring_load(vt_keyring *kr, vt_err *err)
{
    vt_status rc = VT_E_FORMAT;
    char p[1100];
    vt_buf text;
    json_t *doc = NULL, *keys, *k;
    json_error_t jerr;
    const char *cur;
    size_t i;
    bool found = false;

    ring_reset(kr);
    vt_buf_init(&text);
    rc = path_of(p, sizeof(p), kr, "ring.json", err);
    if (rc == VT_OK)
        rc = vt_file_read(&text, p, RING_MAX_BYTES, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_FORMAT;
    doc = json_loadb((const char *)text.data, text.len, JSON_REJECT_DUPLICATES, &jerr);
    keys = json_object_get(doc, "keys");
    cur = json_string_value(json_object_get(doc, "current"));
    if (doc == NULL || !json_is_object(doc) ||
        !json_is_string(json_object_get(doc, "format")) ||
        strcmp(json_string_value(json_object_get(doc, "format")), RING_FORMAT) != 0 || cur == NULL ||
        !json_is_array(keys) || json_array_size(keys) == 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "keyring: %s is not a %s file", p, RING_FORMAT);
        goto out;
    }
    if (json_array_size(keys) > RING_MAX_KEYS) {
        rc = vt_err_set(err, VT_E_LIMIT, "keyring: %s lists more than %d keys", p, RING_MAX_KEYS);
        goto out;
    }
    json_array_foreach(keys, i, k) {
        ring_key *rk = &kr->keys[kr->count];
        const char *kid = json_string_value(json_object_get(k, "kid"));

        if (kid == NULL || !kid_ok(kid)) {
            rc = vt_err_set(err, VT_E_FORMAT, "keyring: ring.json keys[%zu].kid is not a valid kid", i);
            goto out;
        }
        snprintf(rk->kid, sizeof(rk->kid), "%s", kid);
        rc = get_time(&rk->created, k, "created", i, err);
        if (rc == VT_OK)
            rc = get_time(&rk->retired, k, "retired", i, err);
        if (rc == VT_OK)
            rc = get_time(&rk->publish_until, k, "publish_until", i, err);
        if (rc == VT_OK)
            rc = load_key(rk, kr, err);
        if (rc != VT_OK) {
            vt_pkey_free(rk->key);
            rk->key = NULL;
            goto out;
        }
        kr->count++;
        if (strcmp(kid, cur) == 0) {
            kr->current = kr->count - 1;
            found = true;
        }
    }
    if (!found) {
        rc = vt_err_set(err, VT_E_FORMAT, "keyring: ring.json names current key %.43s which it does not list", cur);
        goto out;
    }
    rc = VT_OK;
out:
    if (rc != VT_OK && rc != VT_E_NOTFOUND)
        ring_reset(kr);
    json_decref(doc);
    vt_buf_free(&text);
    return rc;
}

static vt_status ring_save(const vt_keyring *kr, vt_err *err)
{
    vt_status rc;
    json_t *doc, *keys;
    char *text = NULL, p[1100];

    keys = json_array();
    doc = json_pack("{s:s, s:s, s:o}", "format", RING_FORMAT, "current", kr->keys[kr->current].kid, "keys", keys);
    for (size_t i = 0; doc != NULL && i < kr->count; i++)
        json_array_append_new(keys, json_pack("{s:s, s:I, s:I, s:I}", "kid", kr->keys[i].kid, "created",
                                              (json_int_t)kr->keys[i].created, "retired",
                                              (json_int_t)kr->keys[i].retired, "publish_until",
                                              (json_int_t)kr->keys[i].publish_until));
    text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (text == NULL)
        return vt_err_set(err, VT_E_NOMEM, "keyring: out of memory");
    rc = path_of(p, sizeof(p), kr, "ring.json", err);
    if (rc == VT_OK)
        rc = vt_file_write(p, text, strlen(text), 0600, err);
    free(text);
    return rc;
}

/* Makes a new key, writes its PEM, and appends it as the current key. */
static vt_status add_new_key(vt_keyring *kr, vt_time now, vt_err *err)
{
    vt_status rc;
    ring_key *k;
    vt_buf pem;
    char p[1100], file[VT_JWS_KID_MAX + 8];

    if (kr->count >= RING_MAX_KEYS)
        return vt_err_set(err, VT_E_LIMIT, "keyring: already %d keys; shorten keep", RING_MAX_KEYS);
    k = &kr->keys[kr->count];
    memset(k, 0, sizeof(*k));
    vt_buf_init(&pem);
    rc = vt_pkey_generate(&k->key, VT_KEY_EC_P256, err);
    if (rc == VT_OK)
        rc = vt_jwk_thumbprint(k->kid, k->key, err);
    if (rc == VT_OK)
        rc = vt_pkey_to_pem(&pem, k->key, true, err);
    snprintf(file, sizeof(file), "%s.pem", k->kid);
    if (rc == VT_OK)
        rc = path_of(p, sizeof(p), kr, file, err);
    if (rc == VT_OK)
        rc = vt_file_write(p, pem.data, pem.len, 0600, err);
    vt_buf_free(&pem); /* wipes the private key text */
    if (rc != VT_OK) {
        vt_pkey_free(k->key);
        memset(k, 0, sizeof(*k));
        return rc;
    }
    k->created = now;
    kr->current = kr->count++;
    return VT_OK;
}

vt_status vt_keyring_open(vt_keyring **out, const char *dir, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_keyring *kr = NULL;
    int fd = -1;

    *out = NULL;
    if (dir == NULL || dir[0] == '\0' || strlen(dir) >= sizeof(kr->dir))
        return vt_err_set(err, VT_E_ARG, "keyring: directory missing or too long");
    kr = calloc(1, sizeof(*kr));
    if (kr == NULL)
        return vt_err_set(err, VT_E_NOMEM, "keyring: out of memory");
    snprintf(kr->dir, sizeof(kr->dir), "%s", dir);
    rc = vt_dir_private(dir, err);
    if (rc == VT_OK)
        rc = lock_dir(&fd, kr, err);
    if (rc == VT_OK)
        rc = ring_load(kr, err);
    if (rc == VT_E_NOTFOUND) {
        rc = add_new_key(kr, vt_time_now(), err);
        if (rc == VT_OK)
            rc = ring_save(kr, err);
    }
    unlock_dir(fd);
    if (rc != VT_OK)
        goto out;
    *out = kr;
    kr = NULL;
out:
    vt_keyring_free(kr);
    return rc;
}

vt_status vt_keyring_rotate(vt_keyring *kr, vt_time now, int64_t keep_seconds, vt_err *err)
{
    vt_status rc;
    int fd = -1;
    size_t old, w = 0;
    char p[1100], file[VT_JWS_KID_MAX + 8];

    if (kr == NULL || keep_seconds < 0 || now <= 0)
        return vt_err_set(err, VT_E_ARG, "keyring: rotate needs a time and keep >= 0");
    rc = lock_dir(&fd, kr, err);
    /* Start from what is on disk: another process may have rotated since we opened. */
    if (rc == VT_OK)
        rc = ring_load(kr, err);
    if (rc != VT_OK)
        goto out;
    old = kr->current;
    /* Keys past their publication window are gone for good: drop them and their files. */
    for (size_t i = 0; i < kr->count; i++) {
        ring_key *k = &kr->keys[i];
        if (i != old && k->publish_until != 0 && k->publish_until <= now) {
            snprintf(file, sizeof(file), "%s.pem", k->kid);
            if (path_of(p, sizeof(p), kr, file, NULL) == VT_OK)
                unlink(p);
            vt_pkey_free(k->key);
            continue;
        }
        if (i == old)
            old = w;
        kr->keys[w++] = *k;
    }
    for (size_t i = w; i < kr->count; i++)
        memset(&kr->keys[i], 0, sizeof(kr->keys[i]));
    kr->count = w;
    kr->current = old;
    kr->keys[old].retired = now;
    kr->keys[old].publish_until = now + keep_seconds;
    rc = add_new_key(kr, now, err);
    if (rc == VT_OK)
        rc = ring_save(kr, err);
    if (rc != VT_OK) /* leave the ring as the disk has it */
        (void)ring_load(kr, NULL);
out:
    unlock_dir(fd);
    return rc;
}

vt_status vt_keyring_revoke(vt_keyring *kr, const char *kid, vt_time now, char *new_kid_out, vt_err *err)
{
    vt_status rc;
    int fd = -1;
    size_t i, victim = SIZE_MAX;
    bool was_current;
    char p[1100], file[VT_JWS_KID_MAX + 8];

    if (new_kid_out != NULL)
        new_kid_out[0] = '\0';
    if (kr == NULL || kid == NULL || now <= 0)
        return vt_err_set(err, VT_E_ARG, "keyring: revoke needs a ring, a kid and a time");
    if (!kid_ok(kid))
        return vt_err_set(err, VT_E_ARG, "keyring: '%.64s' is not a valid kid", kid);
    rc = lock_dir(&fd, kr, err);
    if (rc == VT_OK)
        rc = ring_load(kr, err);
    if (rc != VT_OK)
        goto out;
    for (i = 0; i < kr->count && victim == SIZE_MAX; i++)
        if (strcmp(kr->keys[i].kid, kid) == 0)
            victim = i;
    if (victim == SIZE_MAX) {
        rc = vt_err_set(err, VT_E_NOTFOUND, "keyring: no key %s in the ring", kid);
        goto out;
    }
    was_current = victim == kr->current;
    vt_pkey_free(kr->keys[victim].key);
    memmove(&kr->keys[victim], &kr->keys[victim + 1], (kr->count - victim - 1) * sizeof(kr->keys[0]));
    kr->count--;
    memset(&kr->keys[kr->count], 0, sizeof(kr->keys[0]));
    if (kr->current > victim)
        kr->current--;
    /* The current key went: a fresh key signs from now on. */
    if (was_current)
        rc = add_new_key(kr, now, err);
    if (rc == VT_OK)
        rc = ring_save(kr, err);
    /* The PEM goes only once ring.json no longer names it (a crash in between leaves a loadable ring). */
    snprintf(file, sizeof(file), "%s.pem", kid);
    if (rc == VT_OK && path_of(p, sizeof(p), kr, file, err) == VT_OK && unlink(p) != 0 && errno != ENOENT)
        rc = vt_err_set(err, VT_E_IO, "keyring: cannot delete %s: %s", p, strerror(errno));
    if (rc != VT_OK) /* leave the ring as the disk has it */
        (void)ring_load(kr, NULL);
    if (rc == VT_OK && new_kid_out != NULL)
        snprintf(new_kid_out, VT_JWS_KID_MAX, "%s", kr->keys[kr->current].kid);
out:
    unlock_dir(fd);
    return rc;
}

const vt_pkey *vt_keyring_current(const vt_keyring *kr, const char **kid)
{
    if (kr == NULL || kr->count == 0) {
        if (kid != NULL)
            *kid = NULL;
        return NULL;
    }
    if (kid != NULL)
        *kid = kr->keys[kr->current].kid;
    return kr->keys[kr->current].key;
}

vt_status vt_keyring_jwks(char **json_out, const vt_keyring *kr, vt_time now, vt_err *err)
{
    vt_status rc = VT_OK;
    json_t *keys, *doc, *jwk;

    *json_out = NULL;
    if (kr == NULL || kr->count == 0)
        return vt_err_set(err, VT_E_ARG, "keyring: empty ring");
    keys = json_array();
    doc = json_pack("{s:o}", "keys", keys);
    if (doc == NULL)
        return vt_err_set(err, VT_E_NOMEM, "keyring: out of memory");
    /* The current key first, then retired keys still inside their window. */
    for (size_t n = 0; rc == VT_OK && n < kr->count; n++) {
        size_t i = n == 0 ? kr->current : (n <= kr->current ? n - 1 : n);
        const ring_key *k = &kr->keys[i];
        if (i != kr->current && k->publish_until <= now)
            continue;
        rc = vt__jwk_object(&jwk, k->key, k->kid, err);
        if (rc == VT_OK)
            json_array_append_new(keys, jwk);
    }
    if (rc == VT_OK) {
        *json_out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (*json_out == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "keyring: out of memory");
    }
    json_decref(doc);
    return rc;
}
