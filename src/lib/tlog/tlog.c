/* RFC 9162 Merkle tree over stored hashes: roots, inclusion and consistency
 * proofs (generation from stored hashes, verification by the RFC's algorithms). */
#include <string.h>

#include "veritee/tlog.h"

vt_status vt_tlog_leaf_hash(uint8_t out[32], const void *entry, size_t len, vt_err *err)
{
    static const uint8_t zero = 0x00;
    const void *p[2] = { &zero, entry };
    size_t l[2] = { 1, len };

    return vt_digestv(VT_MD_SHA256, p, l, 2, out, err);
}

vt_status vt_tlog_node_hash(uint8_t out[32], const uint8_t left[32], const uint8_t right[32], vt_err *err)
{
    uint8_t b[65];

    b[0] = 0x01;
    memcpy(b + 1, left, 32);
    memcpy(b + 33, right, 32);
    return vt_digest(VT_MD_SHA256, b, sizeof(b), out, err);
}

uint64_t vt_tlog_stored_index(unsigned level, uint64_t index)
{
    uint64_t i = 0;

    /* Level L's n-th hash is stored right after level L+1's (2n+1)-th: walk down to level 0,
     * where the n-th leaf hash sits at n + n/2 + n/4 + ..., then add back the levels. */
    for (unsigned l = level; l > 0; l--)
        index = 2 * index + 1;
    for (; index > 0; index >>= 1)
        i += index;
    return i + level;
}

uint64_t vt_tlog_stored_count(uint64_t size)
{
    uint64_t n;

    if (size == 0)
        return 0;
    n = vt_tlog_stored_index(0, size - 1) + 1;
    for (uint64_t i = size - 1; (i & 1) != 0; i >>= 1)
        n++;
    return n;
}

vt_status vt_tlog_stored_hashes(uint8_t out[VT_TLOG_STORED_MAX][32], size_t *count, uint64_t index,
                                const uint8_t leaf_hash[32], vt_tlog_reader rd, void *arg, vt_err *err)
{
    vt_status rc = VT_OK;
    size_t n = 1;
    unsigned level = 0;
    uint8_t left[32];

    *count = 0;
    if (index >= VT_TLOG_SIZE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tlog: leaf %llu would take the tree past 2^63 - 1",
                          (unsigned long long)index);
    memcpy(out[0], leaf_hash, 32);
    /* Each trailing one bit of index is a left sibling this leaf completes a subtree with. */
    for (uint64_t i = index; (i & 1) != 0 && rc == VT_OK; i >>= 1, level++) {
        rc = rd(arg, left, vt_tlog_stored_index(level, i - 1), err);
        if (rc == VT_OK)
            rc = vt_tlog_node_hash(out[n], left, out[n - 1], err);
        n++;
    }
    if (rc == VT_OK)
        *count = n;
    return rc;
}

static bool pow2(uint64_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

/* Largest power of two strictly below n (n >= 2). */
static uint64_t split(uint64_t n)
{
    uint64_t k = (uint64_t)1 << (63 - __builtin_clzll(n - 1));
    return k;
}

/* MTH(D[lo:hi]) where lo is a multiple of the largest power of two below hi - lo (as in every
 * range the RFC's recursions visit), from stored hashes of complete subtrees. */
static vt_status subtree_hash(uint8_t out[32], uint64_t lo, uint64_t hi, vt_tlog_reader rd, void *arg, vt_err *err)
{
    uint64_t n = hi - lo, k;
    uint8_t l[32], r[32];
    vt_status rc;

    if (hi <= lo)
        return vt_err_set(err, VT_E_INTERNAL, "tlog: empty subtree");
    if (pow2(n)) {
        unsigned level = (unsigned)__builtin_ctzll(n);
        if ((lo & (n - 1)) != 0)
            return vt_err_set(err, VT_E_INTERNAL, "tlog: unaligned subtree");
        return rd(arg, out, vt_tlog_stored_index(level, lo >> level), err);
    }
    k = split(n);
    rc = subtree_hash(l, lo, lo + k, rd, arg, err);
    if (rc == VT_OK)
        rc = subtree_hash(r, lo + k, hi, rd, arg, err);
    if (rc == VT_OK)
        rc = vt_tlog_node_hash(out, l, r, err);
    return rc;
}

vt_status vt_tlog_tree_hash(uint8_t out[32], uint64_t size, vt_tlog_reader rd, void *arg, vt_err *err)
{
    if (size == 0)
        return vt_digest(VT_MD_SHA256, "", 0, out, err);
    if (size > VT_TLOG_SIZE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tlog: tree size %llu is past 2^63 - 1", (unsigned long long)size);
    return subtree_hash(out, 0, size, rd, arg, err);
}

static void reverse(uint8_t (*p)[32], size_t n)
{
    uint8_t t[32];

    for (size_t i = 0; i < n / 2; i++) {
        memcpy(t, p[i], 32);
        memcpy(p[i], p[n - 1 - i], 32);
        memcpy(p[n - 1 - i], t, 32);
    }
}

vt_status vt_tlog_prove_inclusion(uint8_t proof[VT_TLOG_PROOF_MAX][32], size_t *count, uint64_t index, uint64_t size,
                                  vt_tlog_reader rd, void *arg, vt_err *err)
{
    uint64_t lo = 0, hi = size, m = index;
    size_t n = 0;
    vt_status rc = VT_OK;

    *count = 0;
    if (index >= size || size > VT_TLOG_SIZE_MAX)
        return vt_err_set(err, VT_E_ARG, "tlog: index %llu is not in a tree of %llu leaves",
                          (unsigned long long)index, (unsigned long long)size);
    /* PATH(m, D[lo:hi]), top-down: each level contributes the sibling subtree. */
    while (hi - lo > 1 && rc == VT_OK) {
        uint64_t k = split(hi - lo);
        if (n == VT_TLOG_PROOF_MAX)
            return vt_err_set(err, VT_E_INTERNAL, "tlog: proof too long");
        if (m < k) {
            rc = subtree_hash(proof[n++], lo + k, hi, rd, arg, err);
            hi = lo + k;
        } else {
            rc = subtree_hash(proof[n++], lo, lo + k, rd, arg, err);
            lo += k;
            m -= k;
        }
    }
    if (rc != VT_OK)
        return rc;
    reverse(proof, n);
    *count = n;
    return VT_OK;
}

vt_status vt_tlog_prove_consistency(uint8_t proof[VT_TLOG_PROOF_MAX][32], size_t *count, uint64_t old_size,
                                    uint64_t size, vt_tlog_reader rd, void *arg, vt_err *err)
{
    uint64_t lo = 0, hi = size, m = old_size;
    bool b = true;
    size_t n = 0;
    vt_status rc = VT_OK;

    *count = 0;
    if (old_size > size || size > VT_TLOG_SIZE_MAX)
        return vt_err_set(err, VT_E_ARG, "tlog: no consistency proof from %llu to %llu leaves",
                          (unsigned long long)old_size, (unsigned long long)size);
    if (old_size == 0 || old_size == size)
        return VT_OK;
    /* SUBPROOF(m, D[lo:hi], b), top-down. */
    while (rc == VT_OK) {
        uint64_t k;
        if (n == VT_TLOG_PROOF_MAX)
            return vt_err_set(err, VT_E_INTERNAL, "tlog: proof too long");
        if (m == hi - lo) {
            if (!b)
                rc = subtree_hash(proof[n++], lo, hi, rd, arg, err);
            break;
        }
        k = split(hi - lo);
        if (m <= k) {
            rc = subtree_hash(proof[n++], lo + k, hi, rd, arg, err);
            hi = lo + k;
        } else {
            rc = subtree_hash(proof[n++], lo, lo + k, rd, arg, err);
            lo += k;
            m -= k;
            b = false;
        }
    }
    if (rc != VT_OK)
        return rc;
    reverse(proof, n);
    *count = n;
    return VT_OK;
}

vt_status vt_tlog_verify_inclusion(const uint8_t leaf_hash[32], uint64_t index, uint64_t size,
                                   const uint8_t (*proof)[32], size_t count, const uint8_t root[32], vt_err *err)
{
    uint64_t fn = index, sn;
    uint8_t r[32];
    vt_status rc;

    if (index >= size)
        return vt_err_set(err, VT_E_CRYPTO, "tlog: index %llu is not in a tree of %llu leaves",
                          (unsigned long long)index, (unsigned long long)size);
    if (count > VT_TLOG_PROOF_MAX)
        return vt_err_set(err, VT_E_CRYPTO, "tlog: inclusion proof of %zu hashes is too long", count);
    sn = size - 1;
    memcpy(r, leaf_hash, 32);
    for (size_t i = 0; i < count; i++) {
        if (sn == 0)
            return vt_err_set(err, VT_E_CRYPTO, "tlog: inclusion proof has %zu hashes, too many", count);
        if ((fn & 1) != 0 || fn == sn) {
            rc = vt_tlog_node_hash(r, proof[i], r, err);
            if ((fn & 1) == 0)
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            rc = vt_tlog_node_hash(r, r, proof[i], err);
        }
        if (rc != VT_OK)
            return rc;
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return vt_err_set(err, VT_E_CRYPTO, "tlog: inclusion proof has %zu hashes, too few", count);
    if (!vt_ct_equal(r, root, 32))
        return vt_err_set(err, VT_E_CRYPTO, "tlog: inclusion proof does not lead to the root");
    return VT_OK;
}

vt_status vt_tlog_verify_consistency(uint64_t old_size, uint64_t size, const uint8_t (*proof)[32], size_t count,
                                     const uint8_t old_root[32], const uint8_t root[32], vt_err *err)
{
    uint64_t fn, sn;
    uint8_t fr[32], sr[32];
    size_t i = 0;
    vt_status rc = VT_OK;

    if (old_size > size)
        return vt_err_set(err, VT_E_CRYPTO, "tlog: tree shrank from %llu to %llu leaves",
                          (unsigned long long)old_size, (unsigned long long)size);
    if (count > VT_TLOG_PROOF_MAX)
        return vt_err_set(err, VT_E_CRYPTO, "tlog: consistency proof of %zu hashes is too long", count);
    if (old_size == size) {
        if (count != 0)
            return vt_err_set(err, VT_E_CRYPTO, "tlog: consistency proof between equal sizes is not empty");
        if (!vt_ct_equal(old_root, root, 32))
            return vt_err_set(err, VT_E_CRYPTO, "tlog: two roots for a tree of %llu leaves",
                              (unsigned long long)size);
        return VT_OK;
    }
    if (old_size == 0) {
        if (count != 0)
            return vt_err_set(err, VT_E_CRYPTO, "tlog: consistency proof from the empty tree is not empty");
        return VT_OK;
    }
    if (count == 0)
        return vt_err_set(err, VT_E_CRYPTO, "tlog: consistency proof is empty");
    /* RFC 9162 §2.1.4.2; when old_size is a power of two the old root is the path's first node. */
    if (pow2(old_size)) {
        memcpy(fr, old_root, 32);
    } else {
        memcpy(fr, proof[0], 32);
        i = 1;
    }
    memcpy(sr, fr, 32);
    fn = old_size - 1;
    sn = size - 1;
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < count && rc == VT_OK; i++) {
        if (sn == 0)
            return vt_err_set(err, VT_E_CRYPTO, "tlog: consistency proof has %zu hashes, too many", count);
        if ((fn & 1) != 0 || fn == sn) {
            rc = vt_tlog_node_hash(fr, proof[i], fr, err);
            if (rc == VT_OK)
                rc = vt_tlog_node_hash(sr, proof[i], sr, err);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            rc = vt_tlog_node_hash(sr, sr, proof[i], err);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (rc != VT_OK)
        return rc;
    if (sn != 0)
        return vt_err_set(err, VT_E_CRYPTO, "tlog: consistency proof has %zu hashes, too few", count);
    if (!vt_ct_equal(fr, old_root, 32))
        return vt_err_set(err, VT_E_CRYPTO, "tlog: consistency proof does not lead to the old root");
    if (!vt_ct_equal(sr, root, 32))
        return vt_err_set(err, VT_E_CRYPTO, "tlog: consistency proof does not lead to the new root");
    return VT_OK;
}
