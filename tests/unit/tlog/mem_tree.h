/* An in-memory Merkle tree for the tlog tests: stored hashes in append order,
 * read back through mem_read (a vt_tlog_reader).  Free t->h when done. */
#ifndef VT_TEST_MEM_TREE_H
#define VT_TEST_MEM_TREE_H

#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

/* An in-memory tree: stored hashes in append order. */
typedef struct mem_tree {
    uint8_t (*h)[32];
    uint64_t count, cap, size;
} mem_tree;

static inline vt_status mem_read(void *arg, uint8_t out[32], uint64_t i, vt_err *err)
{
    mem_tree *t = arg;
    if (i >= t->count)
        return vt_err_set(err, VT_E_NOTFOUND, "no stored hash %llu", (unsigned long long)i);
    memcpy(out, t->h[i], 32);
    return VT_OK;
}

static inline void mem_append(mem_tree *t, const void *entry, size_t len)
{
    uint8_t leaf[32], add[VT_TLOG_STORED_MAX][32];
    size_t n = 0;

    assert_int_equal(vt_tlog_leaf_hash(leaf, entry, len, NULL), VT_OK);
    assert_int_equal(vt_tlog_stored_hashes(add, &n, t->size, leaf, mem_read, t, NULL), VT_OK);
    assert_int_equal(vt_tlog_stored_index(0, t->size), t->count);
    if (t->count + n > t->cap) {
        t->cap = (t->cap + n) * 2;
        t->h = realloc(t->h, t->cap * 32);
        assert_non_null(t->h);
    }
    memcpy(t->h[t->count], add, n * 32);
    t->count += n;
    t->size++;
    assert_int_equal(vt_tlog_stored_count(t->size), t->count);
}

#endif
