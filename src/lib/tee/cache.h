/*
 * Internal: the verification cache behind vt_verify_cache (tee.h).  Values
 * are immutable once stored and reference-counted, so a lookup hands back a
 * reference that stays valid after the lock is released, even if the entry
 * is evicted meanwhile.  Entries carry the window [not_before, not_after] in
 * which the cached verification holds; lookups outside it miss.  When full,
 * the least recently used entry is evicted.
 */
#ifndef VT_TEE_CACHE_H
#define VT_TEE_CACHE_H

#include <stdatomic.h>

#include "veritee/tee.h"

#define VT_CACHE_ENTRIES 256

/* Embed as the first member of a cached value. */
typedef struct vt__cached {
    atomic_int refs;
    void (*destroy)(struct vt__cached *self); /* frees the whole value */
} vt__cached;

/* Sets refs to 1 (the creator's reference). */
void vt__cached_init(vt__cached *v, void (*destroy)(vt__cached *self));
/* Drops one reference; destroys at zero.  NULL-safe. */
void vt__cached_release(vt__cached *v);

/* Cache kinds: part of the key, so different platforms never collide. */
enum {
    VT_CACHE_TDX_PCK = 1,
    VT_CACHE_TDX_COLLATERAL = 2,
    VT_CACHE_TDX_ATT_KEY = 3, /* imported attestation keys: a decoded point, no trust */
    VT_CACHE_SNP_CHAIN = 4,   /* SEV-SNP VCEK/VLEK chains verified to an AMD ARK */
    VT_CACHE_NITRO_CHAIN = 5, /* verified Nitro leaf + cabundle chains */
    VT_CACHE_NVGPU_CHAIN = 6, /* NVIDIA GPU/NVSwitch chains verified to the Device Identity CA */
    VT_CACHE_TDX_PCS = 7,     /* TDX collateral fetched from a PCS (unverified bytes, until nextUpdate) */
    VT_CACHE_TDX_PCK_ID = 8,  /* FMSPC and CA named by a PCK leaf (parsed, not trusted) */
    VT_CACHE_TDX_PCK_CA = 9,  /* verified PCK CA + root with their CRLs (new leaves parse only the leaf) */
    VT_CACHE_TPM_AK = 10,     /* TPM: the imported AK and its verified certificate chain (tee/tpm.c) */
    VT_CACHE_TDX_EVAL = 11,   /* TDX: the highest tcbEvaluationDataNumber verified per document (tee/tdx_eval.c) */
};

/* A new reference to the value under (kind, key) when now is inside its
 * window; NULL otherwise or when c is NULL.  Release with vt__cached_release(). */
vt__cached *vt__cache_get(vt_verify_cache *c, uint32_t kind, const uint8_t key[32], vt_time now);
/* Stores v under (kind, key) for [nb, na]: the cache takes its own reference,
 * replaces an equal key, evicts the oldest entry when full.  NULL c: no-op. */
void vt__cache_put(vt_verify_cache *c, uint32_t kind, const uint8_t key[32], vt_time nb, vt_time na, vt__cached *v);
/* Drops every entry of one kind (benchmarks: "a machine never seen"). */
void vt__cache_drop_kind(vt_verify_cache *c, uint32_t kind);
/* Entries currently held (tests). */
size_t vt__cache_count(vt_verify_cache *c);

#endif
