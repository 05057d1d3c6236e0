/* The frontier of a Merkle tree (veritee/tlog.h): the roots of the complete subtrees
 * its leaves split into.  Appending leaf n merges the subtrees of n's trailing one
 * bits (the smallest, at the end of the list) with the new leaf, so the stored
 * hashes an append writes and the tree's root (RFC 9162 §2.1.1: the largest power
 * of two first, folded from the right) come from the list alone. */
#include <string.h>

#include "veritee/tlog.h"

vt_status vt_tlog_frontier_load(vt_tlog_frontier *f, uint64_t size, vt_tlog_reader rd, void *arg, vt_err *err)
{
    uint64_t start = 0;

    memset(f, 0, sizeof(*f));
    if (size > VT_TLOG_SIZE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tlog: tree size %llu is past 2^63 - 1", (unsigned long long)size);
    for (int level = 63; level >= 0; level--) {
        vt_status rc;
        if ((size & ((uint64_t)1 << level)) == 0)
            continue;
        rc = rd(arg, f->h[f->n], vt_tlog_stored_index((unsigned)level, start >> level), err);
        if (rc != VT_OK) {
            memset(f, 0, sizeof(*f));
            return rc;
        }
        f->n++;
        start += (uint64_t)1 << level;
    }
    f->size = size;
    return VT_OK;
}

vt_status vt_tlog_frontier_append(vt_tlog_frontier *f, uint8_t out[VT_TLOG_STORED_MAX][32], size_t *count,
                                  const uint8_t leaf_hash[32], vt_err *err)
{
    size_t n = 1;

    *count = 0;
    if (f->size >= VT_TLOG_SIZE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tlog: a tree of %llu leaves is full (2^63 - 1 at most)",
                          (unsigned long long)f->size);
    memcpy(out[0], leaf_hash, 32);
    /* Each trailing one bit of size is a subtree at the end of the list that the leaf completes. */
    for (uint64_t i = f->size; (i & 1) != 0; i >>= 1, n++) {
        vt_status rc;
        if (f->n == 0)
            return vt_err_set(err, VT_E_INTERNAL, "tlog: frontier shorter than its size says");
        rc = vt_tlog_node_hash(out[n], f->h[f->n - 1], out[n - 1], err);
        if (rc != VT_OK)
            return rc;
        f->n--;
    }
    memcpy(f->h[f->n++], out[n - 1], 32);
    f->size++;
    *count = n;
    return VT_OK;
}

vt_status vt_tlog_frontier_root(uint8_t out[32], const vt_tlog_frontier *f, vt_err *err)
{
    uint8_t r[32];

    if (f->n == 0)
        return vt_digest(VT_MD_SHA256, "", 0, out, err);
    memcpy(r, f->h[f->n - 1], 32);
    for (unsigned i = f->n - 1; i-- > 0;) {
        vt_status rc = vt_tlog_node_hash(r, f->h[i], r, err);
        if (rc != VT_OK)
            return rc;
    }
    memcpy(out, r, 32);
    return VT_OK;
}
