/*
 * vt_verify_cache: verified PCK chains and verified collateral, keyed by a
 * SHA-256 of their bytes (plus the roots and CRLs they were verified with),
 * bounded (VT_CACHE_ENTRIES, oldest evicted first), guarded by one mutex.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tee/cache.h"

typedef struct cache_slot {
    bool used;
    uint32_t kind;
    uint8_t key[32];
    vt_time not_before, not_after;
    uint64_t seq; /* insertion order, for eviction */
    vt__cached *val;
} cache_slot;

struct vt_verify_cache {
    pthread_mutex_t mu;
    uint64_t next_seq;
    cache_slot slots[VT_CACHE_ENTRIES];
};

void vt__cached_init(vt__cached *v, void (*destroy)(vt__cached *self))
{
    atomic_init(&v->refs, 1);
    v->destroy = destroy;
}

void vt__cached_release(vt__cached *v)
{
    if (v == NULL)
        return;
    if (atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1)
        v->destroy(v);
}

static vt__cached *cached_ref(vt__cached *v)
{
    atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
    return v;
}

vt_status vt_verify_cache_new(vt_verify_cache **out, vt_err *err)
{
    vt_verify_cache *c;

    if (out == NULL)
        return vt_err_set(err, VT_E_ARG, "cache: out is NULL");
    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return vt_err_set(err, VT_E_NOMEM, "cache: out of memory");
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return vt_err_set(err, VT_E_INTERNAL, "cache: mutex init failed");
    }
    *out = c;
    return VT_OK;
}

void vt_verify_cache_free(vt_verify_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < VT_CACHE_ENTRIES; i++)
        if (c->slots[i].used)
            vt__cached_release(c->slots[i].val);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static cache_slot *find(vt_verify_cache *c, uint32_t kind, const uint8_t key[32])
{
    for (size_t i = 0; i < VT_CACHE_ENTRIES; i++) {
        cache_slot *s = &c->slots[i];
        if (s->used && s->kind == kind && memcmp(s->key, key, 32) == 0)
            return s;
    }
    return NULL;
}

vt__cached *vt__cache_get(vt_verify_cache *c, uint32_t kind, const uint8_t key[32], vt_time now)
{
    vt__cached *v = NULL;
    cache_slot *s;

    if (c == NULL)
        return NULL;
    pthread_mutex_lock(&c->mu);
    s = find(c, kind, key);
    if (s != NULL && now >= s->not_before && now <= s->not_after) {
        v = cached_ref(s->val);
        s->seq = c->next_seq++; /* least recently used goes first: shared entries outlive per-machine ones */
    }
    pthread_mutex_unlock(&c->mu);
    return v;
}

void vt__cache_put(vt_verify_cache *c, uint32_t kind, const uint8_t key[32], vt_time nb, vt_time na, vt__cached *v)
{
    cache_slot *s;
    vt__cached *old = NULL;

    if (c == NULL || v == NULL || nb > na)
        return;
    pthread_mutex_lock(&c->mu);
    s = find(c, kind, key);
    if (s == NULL) {
        for (size_t i = 0; i < VT_CACHE_ENTRIES && s == NULL; i++)
            if (!c->slots[i].used)
                s = &c->slots[i];
    }
    if (s == NULL) {
        s = &c->slots[0];
        for (size_t i = 1; i < VT_CACHE_ENTRIES; i++)
            if (c->slots[i].seq < s->seq)
                s = &c->slots[i];
    }
    if (s->used)
        old = s->val;
    s->used = true;
    s->kind = kind;
    memcpy(s->key, key, 32);
    s->not_before = nb;
    s->not_after = na;
    s->seq = c->next_seq++;
    s->val = cached_ref(v);
    pthread_mutex_unlock(&c->mu);
    vt__cached_release(old); /* outside the lock: destroy may be slow */
}

size_t vt__cache_count(vt_verify_cache *c)
{
    size_t n = 0;

    if (c == NULL)
        return 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < VT_CACHE_ENTRIES; i++)
        n += c->slots[i].used ? 1 : 0;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void vt__cache_drop_kind(vt_verify_cache *c, uint32_t kind)
{
    vt__cached *old[VT_CACHE_ENTRIES];
    size_t n = 0;

    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < VT_CACHE_ENTRIES; i++) {
        if (c->slots[i].used && c->slots[i].kind == kind) {
            old[n++] = c->slots[i].val;
            c->slots[i].used = false;
            c->slots[i].val = NULL;
        }
    }
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < n; i++)
        vt__cached_release(old[i]);
}
