/* The Merkle tree: RFC 9162 / RFC 6962 known answers (rfc6962_vectors.py, an
 * independent hashlib implementation), proof tamper cases, a larger tree, and the
 * frontier (appends and roots without reads) against all of them. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include "rfc6962_vectors.h"

#include "mem_tree.h"

static void rfc_tree(mem_tree *t, unsigned n)
{
    memset(t, 0, sizeof(*t));
    for (unsigned i = 0; i < n; i++) {
        uint8_t b[16];
        size_t l = strlen(rfc_leaf_hex[i]) / 2;
        assert_int_equal(vt_hex_decode(b, l, rfc_leaf_hex[i], 2 * l, NULL), VT_OK);
        mem_append(t, b, l);
    }
}

static void test_tlog_tlog__stored_numbering_matches_go_tlog(void **state)
{
    (void)state;
    /* Go sumdb/tlog order: leaf0, leaf1, node(1,0), leaf2, leaf3, node(1,1), node(2,0), ... */
    assert_int_equal(vt_tlog_stored_index(0, 0), 0);
    assert_int_equal(vt_tlog_stored_index(0, 1), 1);
    assert_int_equal(vt_tlog_stored_index(1, 0), 2);
    assert_int_equal(vt_tlog_stored_index(0, 2), 3);
    assert_int_equal(vt_tlog_stored_index(0, 3), 4);
    assert_int_equal(vt_tlog_stored_index(1, 1), 5);
    assert_int_equal(vt_tlog_stored_index(2, 0), 6);
    assert_int_equal(vt_tlog_stored_index(0, 4), 7);
    assert_int_equal(vt_tlog_stored_count(0), 0);
    assert_int_equal(vt_tlog_stored_count(1), 1);
    assert_int_equal(vt_tlog_stored_count(2), 3);
    assert_int_equal(vt_tlog_stored_count(3), 4);
    assert_int_equal(vt_tlog_stored_count(4), 7);
    assert_int_equal(vt_tlog_stored_count(8), 15);
}

static void test_tlog_tlog__rfc_roots(void **state)
{
    mem_tree t;
    uint8_t root[32];

    (void)state;
    assert_int_equal(vt_tlog_tree_hash(root, 0, NULL, NULL, NULL), VT_OK);
    assert_memory_equal(root, rfc_root[0], 32);
    rfc_tree(&t, 8);
    for (unsigned n = 1; n <= 8; n++) {
        assert_int_equal(vt_tlog_tree_hash(root, n, mem_read, &t, NULL), VT_OK);
        assert_memory_equal(root, rfc_root[n], 32);
    }
    free(t.h);
}

static void test_tlog_tlog__rfc_inclusion_proofs(void **state)
{
    mem_tree t;
    uint8_t proof[VT_TLOG_PROOF_MAX][32], leaf[32];
    size_t count;

    (void)state;
    rfc_tree(&t, 8);
    for (size_t i = 0; i < sizeof(rfc_inclusion) / sizeof(rfc_inclusion[0]); i++) {
        const struct rfc_proof *p = &rfc_inclusion[i];
        assert_int_equal(vt_tlog_prove_inclusion(proof, &count, p->a, p->n, mem_read, &t, NULL), VT_OK);
        assert_int_equal(count, p->count);
        if (count > 0)
            assert_memory_equal(proof, p->hashes, 32 * count);
        memcpy(leaf, t.h[vt_tlog_stored_index(0, p->a)], 32);
        assert_int_equal(vt_tlog_verify_inclusion(leaf, p->a, p->n, (const uint8_t(*)[32])p->hashes, p->count,
                                                  (const uint8_t *)rfc_root[p->n], NULL),
                         VT_OK);
    }
    free(t.h);
}

static void test_tlog_tlog__rfc_consistency_proofs(void **state)
{
    mem_tree t;
    uint8_t proof[VT_TLOG_PROOF_MAX][32];
    size_t count;

    (void)state;
    rfc_tree(&t, 8);
    for (size_t i = 0; i < sizeof(rfc_consistency) / sizeof(rfc_consistency[0]); i++) {
        const struct rfc_proof *p = &rfc_consistency[i];
        assert_int_equal(vt_tlog_prove_consistency(proof, &count, p->a, p->n, mem_read, &t, NULL), VT_OK);
        assert_int_equal(count, p->count);
        assert_memory_equal(proof, p->hashes, 32 * count);
        assert_int_equal(vt_tlog_verify_consistency(p->a, p->n, (const uint8_t(*)[32])p->hashes, p->count,
                                                    (const uint8_t *)rfc_root[p->a],
                                                    (const uint8_t *)rfc_root[p->n], NULL),
                         VT_OK);
    }
    /* Trivial cases: from the empty tree and to the same size. */
    assert_int_equal(vt_tlog_prove_consistency(proof, &count, 0, 5, mem_read, &t, NULL), VT_OK);
    assert_int_equal(count, 0);
    assert_int_equal(vt_tlog_verify_consistency(0, 5, NULL, 0, (const uint8_t *)rfc_root[0],
                                                (const uint8_t *)rfc_root[5], NULL), VT_OK);
    assert_int_equal(vt_tlog_verify_consistency(5, 5, NULL, 0, (const uint8_t *)rfc_root[5],
                                                (const uint8_t *)rfc_root[5], NULL), VT_OK);
    assert_int_equal(vt_tlog_verify_consistency(5, 5, NULL, 0, (const uint8_t *)rfc_root[5],
                                                (const uint8_t *)rfc_root[6], NULL), VT_E_CRYPTO);
    assert_int_equal(vt_tlog_prove_consistency(proof, &count, 6, 5, mem_read, &t, NULL), VT_E_ARG);
    free(t.h);
}

static void test_tlog_tlog__tampered_inclusion_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rfc_inclusion) / sizeof(rfc_inclusion[0]); i++) {
        const struct rfc_proof *p = &rfc_inclusion[i];
        uint8_t proof[VT_TLOG_PROOF_MAX + 1][32], leaf[32], b[16];
        const uint8_t *root = (const uint8_t *)rfc_root[p->n];
        size_t l = strlen(rfc_leaf_hex[p->a]) / 2;
        vt_err err = { 0 };

        assert_int_equal(vt_hex_decode(b, l, rfc_leaf_hex[p->a], 2 * l, NULL), VT_OK);
        assert_int_equal(vt_tlog_leaf_hash(leaf, b, l, NULL), VT_OK);
        memcpy(proof, p->hashes, 32 * p->count);
        /* every bit of every proof hash */
        for (size_t j = 0; j < 32 * p->count; j++)
            for (int bit = 0; bit < 8; bit += 7) {
                proof[j / 32][j % 32] ^= (uint8_t)(1 << bit);
                assert_int_equal(vt_tlog_verify_inclusion(leaf, p->a, p->n, (const uint8_t(*)[32])proof, p->count,
                                                          root, &err),
                                 VT_E_CRYPTO);
                proof[j / 32][j % 32] ^= (uint8_t)(1 << bit);
            }
        /* the leaf, the index, the size, the root, a hash short, a hash more */
        leaf[0] ^= 1;
        assert_int_equal(vt_tlog_verify_inclusion(leaf, p->a, p->n, (const uint8_t(*)[32])proof, p->count, root,
                                                  NULL), VT_E_CRYPTO);
        leaf[0] ^= 1;
        if (p->n > 1)
            assert_int_equal(vt_tlog_verify_inclusion(leaf, (p->a + 1) % p->n, p->n, (const uint8_t(*)[32])proof,
                                                      p->count, root, NULL), VT_E_CRYPTO);
        /* (a size with the same path shape and this root can verify: the checkpoint's signature binds the two) */
        assert_int_equal(vt_tlog_verify_inclusion(leaf, p->n, p->n, (const uint8_t(*)[32])proof, p->count, root,
                                                  NULL), VT_E_CRYPTO);
        assert_int_equal(vt_tlog_verify_inclusion(leaf, p->a, p->n, (const uint8_t(*)[32])proof, p->count,
                                                  (const uint8_t *)rfc_root[p->n - 1], NULL), VT_E_CRYPTO);
        if (p->count > 0)
            assert_int_equal(vt_tlog_verify_inclusion(leaf, p->a, p->n, (const uint8_t(*)[32])proof, p->count - 1,
                                                      root, NULL), VT_E_CRYPTO);
        memcpy(proof[p->count], rfc_root[1], 32);
        assert_int_equal(vt_tlog_verify_inclusion(leaf, p->a, p->n, (const uint8_t(*)[32])proof, p->count + 1, root,
                                                  NULL), VT_E_CRYPTO);
    }
}

static void test_tlog_tlog__tampered_consistency_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rfc_consistency) / sizeof(rfc_consistency[0]); i++) {
        const struct rfc_proof *p = &rfc_consistency[i];
        uint8_t proof[VT_TLOG_PROOF_MAX + 1][32];
        const uint8_t *r1 = (const uint8_t *)rfc_root[p->a], *r2 = (const uint8_t *)rfc_root[p->n];

        memcpy(proof, p->hashes, 32 * p->count);
        for (size_t j = 0; j < 32 * p->count; j++) {
            proof[j / 32][j % 32] ^= 0x80;
            assert_int_equal(vt_tlog_verify_consistency(p->a, p->n, (const uint8_t(*)[32])proof, p->count, r1, r2,
                                                        NULL), VT_E_CRYPTO);
            proof[j / 32][j % 32] ^= 0x80;
        }
        /* swapped roots, a wrong old size, empty, short and long proofs, the other direction */
        assert_int_equal(vt_tlog_verify_consistency(p->a, p->n, (const uint8_t(*)[32])proof, p->count, r2, r1, NULL),
                         VT_E_CRYPTO);
        if (p->a > 1)
            assert_int_equal(vt_tlog_verify_consistency(p->a - 1, p->n, (const uint8_t(*)[32])proof, p->count, r1,
                                                        r2, NULL), VT_E_CRYPTO);
        assert_int_equal(vt_tlog_verify_consistency(p->a, p->n, (const uint8_t(*)[32])proof, 0, r1, r2, NULL),
                         VT_E_CRYPTO);
        assert_int_equal(vt_tlog_verify_consistency(p->a, p->n, (const uint8_t(*)[32])proof, p->count - 1, r1, r2,
                                                    NULL), VT_E_CRYPTO);
        memcpy(proof[p->count], rfc_root[1], 32);
        assert_int_equal(vt_tlog_verify_consistency(p->a, p->n, (const uint8_t(*)[32])proof, p->count + 1, r1, r2,
                                                    NULL), VT_E_CRYPTO);
        assert_int_equal(vt_tlog_verify_consistency(p->n, p->a, (const uint8_t(*)[32])proof, p->count, r2, r1, NULL),
                         VT_E_CRYPTO);
    }
}

/* Plain recursive MTH over leaf hashes, as the RFC defines it. */
static void ref_mth(uint8_t out[32], uint8_t (*leaf)[32], uint64_t n)
{
    uint64_t k = 1;
    uint8_t l[32], r[32];

    if (n == 1) {
        memcpy(out, leaf[0], 32);
        return;
    }
    while (k * 2 < n)
        k *= 2;
    ref_mth(l, leaf, k);
    ref_mth(r, leaf + k, n - k);
    assert_int_equal(vt_tlog_node_hash(out, l, r, NULL), VT_OK);
}

static void test_tlog_tlog__tree_of_600_every_size(void **state)
{
    enum { N = 600 };
    mem_tree t;
    uint8_t (*leaf)[32] = calloc(N, 32), root[N + 1][32], proof[VT_TLOG_PROOF_MAX][32], want[32];
    size_t count;

    (void)state;
    assert_non_null(leaf);
    memset(&t, 0, sizeof(t));
    for (uint32_t i = 0; i < N; i++) {
        mem_append(&t, &i, sizeof(i));
        memcpy(leaf[i], t.h[vt_tlog_stored_index(0, i)], 32);
        assert_int_equal(vt_tlog_tree_hash(root[i + 1], i + 1, mem_read, &t, NULL), VT_OK);
        ref_mth(want, leaf, i + 1);
        assert_memory_equal(root[i + 1], want, 32);
    }
    for (uint64_t n = 1; n <= N; n += 37)
        for (uint64_t i = 0; i < n; i += 5) {
            assert_int_equal(vt_tlog_prove_inclusion(proof, &count, i, n, mem_read, &t, NULL), VT_OK);
            assert_int_equal(vt_tlog_verify_inclusion(leaf[i], i, n, (const uint8_t(*)[32])proof, count, root[n],
                                                      NULL), VT_OK);
            assert_int_equal(vt_tlog_prove_consistency(proof, &count, i + 1, n, mem_read, &t, NULL), VT_OK);
            assert_int_equal(vt_tlog_verify_consistency(i + 1, n, (const uint8_t(*)[32])proof, count, root[i + 1],
                                                        root[n], NULL), VT_OK);
        }
    assert_int_equal(vt_tlog_prove_inclusion(proof, &count, N, N, mem_read, &t, NULL), VT_E_ARG);
    /* A store that lost a hash: the error comes back, no proof. */
    t.count = 10;
    assert_int_equal(vt_tlog_prove_inclusion(proof, &count, 0, N, mem_read, &t, NULL), VT_E_NOTFOUND);
    assert_int_equal(count, 0);
    free(leaf);
    free(t.h);
}

/* The frontier gives the RFC roots, and at every size of a larger tree the same stored
 * hashes as vt_tlog_stored_hashes and the same root as vt_tlog_tree_hash; loading it at any
 * size gives the frontier grown to that size. */
static void test_tlog_tlog__frontier_matches_stored_hashes(void **state)
{
    enum { N = 1100 };
    mem_tree t;
    vt_tlog_frontier f, g;
    uint8_t add[VT_TLOG_STORED_MAX][32], root[32], want[32];
    size_t n = 0;

    (void)state;
    assert_int_equal(vt_tlog_frontier_load(&f, 0, mem_read, NULL, NULL), VT_OK);
    assert_int_equal(vt_tlog_frontier_root(root, &f, NULL), VT_OK);
    assert_memory_equal(root, rfc_root[0], 32);
    rfc_tree(&t, 8);
    for (unsigned k = 1; k <= 8; k++) {
        assert_int_equal(vt_tlog_frontier_load(&f, k, mem_read, &t, NULL), VT_OK);
        assert_int_equal(vt_tlog_frontier_root(root, &f, NULL), VT_OK);
        assert_memory_equal(root, rfc_root[k], 32);
    }
    free(t.h);

    memset(&t, 0, sizeof(t));
    memset(&f, 0, sizeof(f));
    for (uint32_t i = 0; i < N; i++) {
        uint8_t leaf[32];
        uint64_t at = t.count;
        assert_int_equal(vt_tlog_leaf_hash(leaf, &i, sizeof(i), NULL), VT_OK);
        assert_int_equal(vt_tlog_frontier_append(&f, add, &n, leaf, NULL), VT_OK);
        mem_append(&t, &i, sizeof(i));
        assert_int_equal(n, t.count - at);
        assert_memory_equal(add, t.h[at], n * 32);
        assert_int_equal(f.size, i + 1);
        assert_int_equal(f.n, (unsigned)__builtin_popcountll(f.size));
        assert_int_equal(vt_tlog_frontier_root(root, &f, NULL), VT_OK);
        assert_int_equal(vt_tlog_tree_hash(want, i + 1, mem_read, &t, NULL), VT_OK);
        assert_memory_equal(root, want, 32);
        if (i % 97 == 0 || i == N - 1) {
            assert_int_equal(vt_tlog_frontier_load(&g, i + 1, mem_read, &t, NULL), VT_OK);
            assert_int_equal(g.n, f.n);
            assert_memory_equal(g.h, f.h, f.n * 32);
        }
    }
    /* A store that lost one of its hashes: loading fails, the frontier is left empty. */
    t.count = vt_tlog_stored_index(10, 0); /* 1100 = 1024+64+8+4: the largest subtree, (10,0), is lost */
    assert_int_equal(vt_tlog_frontier_load(&g, N, mem_read, &t, NULL), VT_E_NOTFOUND);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.size, 0);
    free(t.h);
    /* A frontier that does not match its size is refused, not read past; sizes past 2^63 too. */
    memset(&g, 0, sizeof(g));
    g.size = 3; /* two subtrees, none kept */
    assert_int_equal(vt_tlog_frontier_append(&g, add, &n, root, NULL), VT_E_INTERNAL);
    assert_int_equal(n, 0);
    assert_int_equal(vt_tlog_frontier_load(&g, (uint64_t)1 << 63, mem_read, NULL, NULL), VT_E_LIMIT);
    g.size = ((uint64_t)1 << 63) - 1;
    assert_int_equal(vt_tlog_frontier_append(&g, add, &n, root, NULL), VT_E_LIMIT);
}

/* Any stored hash: a reader for trees far too large to store, counting its reads. */
static vt_status any_read(void *arg, uint8_t out[32], uint64_t i, vt_err *err)
{
    (void)i;
    (void)err;
    memset(out, 0x5a, 32);
    (*(unsigned *)arg)++;
    return VT_OK;
}

static void test_tlog_tlog__sizes_past_max_refused(void **state)
{
    uint8_t out[32], proof[VT_TLOG_PROOF_MAX][32], add[VT_TLOG_STORED_MAX][32], leaf[32] = { 1 };
    const uint64_t past = VT_TLOG_SIZE_MAX + 1; /* 2^63 */
    unsigned reads = 0;
    size_t n = 1;

    (void)state;
    /* One past the largest tree: refused before anything is read. */
    assert_int_equal(vt_tlog_tree_hash(out, past, any_read, &reads, NULL), VT_E_LIMIT);
    assert_int_equal(vt_tlog_prove_inclusion(proof, &n, 0, past, any_read, &reads, NULL), VT_E_ARG);
    assert_int_equal(n, 0);
    n = 1;
    assert_int_equal(vt_tlog_prove_consistency(proof, &n, 1, past, any_read, &reads, NULL), VT_E_ARG);
    assert_int_equal(n, 0);
    n = 1;
    /* Appending leaf 2^63 - 1 would make a tree of 2^63. */
    assert_int_equal(vt_tlog_stored_hashes(add, &n, VT_TLOG_SIZE_MAX, leaf, any_read, &reads, NULL), VT_E_LIMIT);
    assert_int_equal(n, 0);
    assert_int_equal(reads, 0);
    /* The largest tree itself is still served: 63 complete subtrees, one read each. */
    assert_int_equal(vt_tlog_tree_hash(out, VT_TLOG_SIZE_MAX, any_read, &reads, NULL), VT_OK);
    assert_int_equal(reads, 63);
    assert_int_equal(vt_tlog_prove_inclusion(proof, &n, VT_TLOG_SIZE_MAX - 1, VT_TLOG_SIZE_MAX, any_read, &reads,
                                             NULL),
                     VT_OK);
    assert_int_equal(n, 62);
    assert_int_equal(vt_tlog_stored_hashes(add, &n, VT_TLOG_SIZE_MAX - 1, leaf, any_read, &reads, NULL), VT_OK);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlog_tlog__stored_numbering_matches_go_tlog),
        cmocka_unit_test(test_tlog_tlog__rfc_roots),
        cmocka_unit_test(test_tlog_tlog__rfc_inclusion_proofs),
        cmocka_unit_test(test_tlog_tlog__rfc_consistency_proofs),
        cmocka_unit_test(test_tlog_tlog__tampered_inclusion_rejected),
        cmocka_unit_test(test_tlog_tlog__tampered_consistency_rejected),
        cmocka_unit_test(test_tlog_tlog__tree_of_600_every_size),
        cmocka_unit_test(test_tlog_tlog__frontier_matches_stored_hashes),
        cmocka_unit_test(test_tlog_tlog__sizes_past_max_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
