/* Digests (SHA-2), streaming digests and the CSPRNG. */
#include <limits.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto_int.h"

struct vt_digest_ctx {
    EVP_MD_CTX *ctx; /* owned */
    vt_md md;
    bool done;       /* final was called; further use is refused */
};

/* Fetched once: implicit fetches inside EVP_DigestInit cost a lookup each call. */
static EVP_MD *md_sha256, *md_sha384, *md_sha512, *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch_all(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    md_sha384 = EVP_MD_fetch(NULL, "SHA2-384", NULL);
    md_sha512 = EVP_MD_fetch(NULL, "SHA2-512", NULL);
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

const EVP_MD *vt__md_get(vt_md md)
{
    if (pthread_once(&md_once, md_fetch_all) != 0)
        return NULL;
    switch (md) {
    case VT_MD_SHA256: return md_sha256;
    case VT_MD_SHA384: return md_sha384;
    case VT_MD_SHA512: return md_sha512;
    case VT_MD_SHA1: return md_sha1;
    }
    return NULL;
}

size_t vt_md_len(vt_md md)
{
    switch (md) {
    case VT_MD_SHA256: return 32;
    case VT_MD_SHA384: return 48;
    case VT_MD_SHA512: return 64;
    case VT_MD_SHA1: return 20;
    }
    return 0;
}

const char *vt_md_name(vt_md md)
{
    switch (md) {
    case VT_MD_SHA256: return "sha256";
    case VT_MD_SHA384: return "sha384";
    case VT_MD_SHA512: return "sha512";
    case VT_MD_SHA1: return "sha1";
    }
    return "unknown";
}

static vt_status md_lookup(const EVP_MD **out, vt_md md, vt_err *err)
{
    *out = vt__md_get(md);
    if (*out == NULL) {
        if (vt_md_len(md) == 0)
            return vt_err_set(err, VT_E_ARG, "digest: algorithm %d unknown", (int)md);
        return vt_err_set(err, VT_E_INTERNAL, "digest: %s unavailable in OpenSSL", vt_md_name(md));
    }
    return VT_OK;
}

vt_status vt_digestv(vt_md md, const void *const *p, const size_t *len, size_t count, uint8_t *out,
                     vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const EVP_MD *m = NULL;
    EVP_MD_CTX *ctx = NULL;
    unsigned int n = 0;

    rc = md_lookup(&m, md, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "digest: out of memory");
        goto out;
    }
    if (EVP_DigestInit_ex2(ctx, m, NULL) != 1) {
        vt_err_set(err, rc, "digest: %s init failed", vt_md_name(md));
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        if (len[i] > 0 && EVP_DigestUpdate(ctx, p[i], len[i]) != 1) {
            vt_err_set(err, rc, "digest: %s update failed", vt_md_name(md));
            goto out;
        }
    }
    if (EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != vt_md_len(md)) {
        vt_err_set(err, rc, "digest: %s final failed", vt_md_name(md));
        goto out;
    }
    rc = VT_OK;
out:
    EVP_MD_CTX_free(ctx);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_digest(vt_md md, const void *p, size_t len, uint8_t *out, vt_err *err)
{
    const void *ps[1] = { p };
    size_t ls[1] = { len };

    return vt_digestv(md, ps, ls, 1, out, err);
}

vt_status vt_digest_ctx_new(vt_digest_ctx **out, vt_md md, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const EVP_MD *m = NULL;
    vt_digest_ctx *c = NULL;

    *out = NULL;
    rc = md_lookup(&m, md, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    c = calloc(1, sizeof(*c));
    if (c != NULL)
        c->ctx = EVP_MD_CTX_new();
    if (c == NULL || c->ctx == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "digest: out of memory");
        goto out;
    }
    c->md = md;
    if (EVP_DigestInit_ex2(c->ctx, m, NULL) != 1) {
        vt_err_set(err, rc, "digest: %s init failed", vt_md_name(md));
        goto out;
    }
    *out = c;
    c = NULL;
    rc = VT_OK;
out:
    vt_digest_ctx_free(c);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_digest_ctx_update(vt_digest_ctx *c, const void *p, size_t len, vt_err *err)
{
    if (c == NULL || c->done)
        return vt_err_set(err, VT_E_ARG, "digest: context already finished");
    if (len == 0)
        return VT_OK;
    if (EVP_DigestUpdate(c->ctx, p, len) != 1) {
        ERR_clear_error();
        return vt_err_set(err, VT_E_INTERNAL, "digest: %s update failed", vt_md_name(c->md));
    }
    return VT_OK;
}

vt_status vt_digest_ctx_final(vt_digest_ctx *c, uint8_t *out, vt_err *err)
{
    unsigned int n = 0;

    if (c == NULL || c->done)
        return vt_err_set(err, VT_E_ARG, "digest: context already finished");
    c->done = true;
    if (EVP_DigestFinal_ex(c->ctx, out, &n) != 1 || n != vt_md_len(c->md)) {
        ERR_clear_error();
        return vt_err_set(err, VT_E_INTERNAL, "digest: %s final failed", vt_md_name(c->md));
    }
    return VT_OK;
}

void vt_digest_ctx_free(vt_digest_ctx *c)
{
    if (c == NULL)
        return;
    EVP_MD_CTX_free(c->ctx); /* cleanses the hash state */
    free(c);
}

vt_status vt_random(void *p, size_t len, vt_err *err)
{
    uint8_t *q = p;

    while (len > 0) {
        int n = len > INT_MAX ? INT_MAX : (int)len;

        if (RAND_bytes(q, n) != 1) {
            ERR_clear_error();
            return vt_err_set(err, VT_E_INTERNAL, "random: RAND_bytes failed");
        }
        q += n;
        len -= (size_t)n;
    }
    return VT_OK;
}

/*
 * Identifiers are public and made per request: RAND_bytes per 16-byte id was 2.5% of the
 * audited gateway (the generator's per-call cost, not its output).  A thread draws 1 KiB at
 * once and hands it out; a forked child (pthread_atfork) drops its copy of its parent's
 * block, so an id never repeats across a fork.
 */
#define ID_POOL 1024
#define ID_MAX 64
static __thread uint8_t id_pool[ID_POOL];
static __thread size_t id_left;
static __thread unsigned id_gen;
static atomic_uint id_fork_gen;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;

static void id_after_fork(void)
{
    atomic_fetch_add(&id_fork_gen, 1);
}

static void id_setup(void)
{
    (void)pthread_atfork(NULL, NULL, id_after_fork);
}

vt_status vt_random_id(void *p, size_t len, vt_err *err)
{
    unsigned gen;

    if (len > ID_MAX)
        return vt_random(p, len, err);
    pthread_once(&id_once, id_setup);
    gen = atomic_load(&id_fork_gen);
    if (id_gen != gen) { /* a forked child: its parent's block is not its own */
        id_left = 0;
        id_gen = gen;
    }
    if (id_left < len) {
        vt_status rc = vt_random(id_pool, ID_POOL, err);
        if (rc != VT_OK)
            return rc;
        id_left = ID_POOL;
    }
    memcpy(p, id_pool + (ID_POOL - id_left), len);
    memset(id_pool + (ID_POOL - id_left), 0, len); /* handed out once */
    id_left -= len;
    return VT_OK;
}

vt_status vt_sortable_id(void *p, size_t len, vt_err *err)
{
    uint8_t *b = p;
    uint64_t ms;
    vt_status rc;

    if (len < 8 || len > ID_MAX)
        return vt_err_set(err, VT_E_ARG, "id: a sortable id is 8..%d bytes", ID_MAX);
    rc = vt_random_id(b + 6, len - 6, err);
    if (rc != VT_OK)
        return rc;
    ms = (uint64_t)vt_time_now_ms();
    for (int i = 5; i >= 0; i--, ms >>= 8)
        b[i] = (uint8_t)ms;
    return VT_OK;
}
