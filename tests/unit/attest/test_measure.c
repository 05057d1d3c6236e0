/* Model measurement: the digest is recomputed here from the format's
 * definition (docs/formats/measure.md), independently of the threaded code. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_file(const char *dir, const char *rel, const uint8_t *p, size_t len)
{
    char path[1024];
    vt_err err = { 0 };

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    assert_int_equal(vt_file_write(path, p, len, 0644, &err), VT_OK);
}

static void sha(uint8_t out[32], const void *const *p, const size_t *len, size_t n)
{
    assert_int_equal(vt_digestv(VT_MD_SHA256, p, len, n, out, NULL), VT_OK);
}

/* file digest = SHA-256(01 || u64le size || SHA-256(00 || chunk_i)...) */
static void expect_file(uint8_t out[32], const uint8_t *data, size_t size)
{
    size_t n = (size + VT_MEASURE_CHUNK - 1) / VT_MEASURE_CHUNK;
    uint8_t *leaves = malloc(32 * (n ? n : 1)), head[9] = { 1 }, zero = 0;

    for (size_t i = 0; i < n; i++) {
        size_t off = i * VT_MEASURE_CHUNK, len = size - off < VT_MEASURE_CHUNK ? size - off : VT_MEASURE_CHUNK;
        const void *p[2] = { &zero, data + off };
        size_t l[2] = { 1, len };
        sha(leaves + 32 * i, p, l, 2);
    }
    for (int b = 0; b < 8; b++)
        head[1 + b] = (uint8_t)((uint64_t)size >> (8 * b));
    {
        const void *p[2] = { head, leaves };
        size_t l[2] = { 9, 32 * n };
        sha(out, p, l, 2);
    }
    free(leaves);
}

struct fx {
    char dir[512];
    uint8_t *big;
    size_t big_len;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char sub[600];
    vt_err err = { 0 };

    vt_test_mkdtemp(f->dir, sizeof(f->dir));
    f->big_len = VT_MEASURE_CHUNK * 2 + 3;
    f->big = malloc(f->big_len);
    for (size_t i = 0; i < f->big_len; i++)
        f->big[i] = (uint8_t)(i * 31 + (i >> 13));
    snprintf(sub, sizeof(sub), "%s/shards", f->dir);
    assert_int_equal(vt_mkdir_p(sub, 0755, &err), VT_OK);
    write_file(f->dir, "config.json", (const uint8_t *)"{\"a\":1}", 7);
    write_file(f->dir, "empty", (const uint8_t *)"", 0);
    write_file(f->dir, "shards/model-00001.safetensors", f->big, f->big_len);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vt_test_rmdir(f->dir);
    free(f->big);
    free(f);
    return 0;
}

static void test_attest_measure__matches_the_format_definition(void **state)
{
    struct fx *f = *state;
    vt_measurement *m = NULL;
    vt_err err = { 0 };
    uint8_t want[3][32], root[32];
    static const char label[] = "veritee-measure-v1";
    const char *names[3] = { "config.json", "empty", "shards/model-00001.safetensors" };
    uint64_t sizes[3];
    vt_digest_ctx *c = NULL;

    assert_int_equal(vt_measure_path(&m, f->dir, NULL, &err), VT_OK);
    expect_file(want[0], (const uint8_t *)"{\"a\":1}", 7);
    expect_file(want[1], NULL, 0);
    expect_file(want[2], f->big, f->big_len);
    sizes[0] = 7;
    sizes[1] = 0;
    sizes[2] = f->big_len;
    assert_int_equal(m->file_count, 3);
    assert_true(m->total_bytes == 7 + f->big_len);
    assert_int_equal(vt_digest_ctx_new(&c, VT_MD_SHA256, NULL), VT_OK);
    assert_int_equal(vt_digest_ctx_update(c, label, sizeof(label), NULL), VT_OK);
    for (int i = 0; i < 3; i++) {
        uint8_t rec[12];
        uint32_t pl = (uint32_t)strlen(names[i]);
        assert_string_equal(m->files[i].path, names[i]);
        assert_memory_equal(m->files[i].digest, want[i], 32);
        for (int b = 0; b < 4; b++)
            rec[b] = (uint8_t)(pl >> (8 * b));
        for (int b = 0; b < 8; b++)
            rec[4 + b] = (uint8_t)(sizes[i] >> (8 * b));
        assert_int_equal(vt_digest_ctx_update(c, rec, 4, NULL), VT_OK);
        assert_int_equal(vt_digest_ctx_update(c, names[i], pl, NULL), VT_OK);
        assert_int_equal(vt_digest_ctx_update(c, rec + 4, 8, NULL), VT_OK);
        assert_int_equal(vt_digest_ctx_update(c, want[i], 32, NULL), VT_OK);
    }
    assert_int_equal(vt_digest_ctx_final(c, root, NULL), VT_OK);
    vt_digest_ctx_free(c);
    assert_memory_equal(m->root, root, 32);
    vt_measurement_free(m);
}

static void test_attest_measure__same_root_for_any_thread_count(void **state)
{
    struct fx *f = *state;
    vt_measurement *a = NULL, *b = NULL;
    vt_measure_opts o = { 0 };

    o.threads = 1;
    assert_int_equal(vt_measure_path(&a, f->dir, &o, NULL), VT_OK);
    o.threads = 7;
    assert_int_equal(vt_measure_path(&b, f->dir, &o, NULL), VT_OK);
    assert_memory_equal(a->root, b->root, 32);
    vt_measurement_free(a);
    vt_measurement_free(b);
}

static void test_attest_measure__single_file_rechecks_its_entry(void **state)
{
    struct fx *f = *state;
    vt_measurement *m = NULL;
    uint8_t d[32];
    uint64_t size = 0;
    char path[700];

    assert_int_equal(vt_measure_path(&m, f->dir, NULL, NULL), VT_OK);
    snprintf(path, sizeof(path), "%s/shards/model-00001.safetensors", f->dir);
    assert_int_equal(vt_measure_file(d, &size, path, NULL), VT_OK);
    assert_true(size == f->big_len);
    assert_memory_equal(d, m->files[2].digest, 32);
    vt_measurement_free(m);
}

static void test_attest_measure__any_change_moves_the_root(void **state)
{
    struct fx *f = *state;
    vt_measurement *a = NULL, *b = NULL, *c = NULL;
    char from[700], to[700];

    assert_int_equal(vt_measure_path(&a, f->dir, NULL, NULL), VT_OK);
    f->big[VT_MEASURE_CHUNK + 5] ^= 1; /* one bit in the second chunk */
    write_file(f->dir, "shards/model-00001.safetensors", f->big, f->big_len);
    assert_int_equal(vt_measure_path(&b, f->dir, NULL, NULL), VT_OK);
    assert_memory_not_equal(a->root, b->root, 32);
    assert_memory_equal(a->files[0].digest, b->files[0].digest, 32);
    assert_memory_not_equal(a->files[2].digest, b->files[2].digest, 32);
    /* A rename with identical bytes is a different model layout. */
    snprintf(from, sizeof(from), "%s/empty", f->dir);
    snprintf(to, sizeof(to), "%s/empty2", f->dir);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(vt_measure_path(&c, f->dir, NULL, NULL), VT_OK);
    assert_memory_not_equal(b->root, c->root, 32);
    vt_measurement_free(a);
    vt_measurement_free(b);
    vt_measurement_free(c);
}

static void test_attest_measure__refuses_links_missing_and_too_many(void **state)
{
    struct fx *f = *state;
    vt_measurement *m = NULL;
    vt_measure_opts o = { 0 };
    char link[700], missing[700];
    vt_err err = { 0 };

    snprintf(missing, sizeof(missing), "%s/nope", f->dir);
    assert_int_equal(vt_measure_path(&m, missing, NULL, &err), VT_E_NOTFOUND);
    o.max_files = 2;
    assert_int_equal(vt_measure_path(&m, f->dir, &o, &err), VT_E_LIMIT);
    snprintf(link, sizeof(link), "%s/link", f->dir);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    assert_int_equal(vt_measure_path(&m, f->dir, NULL, &err), VT_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_int_equal(vt_measure_path(&m, link, NULL, &err), VT_E_UNSUPPORTED);
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_attest_measure__matches_the_format_definition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_measure__same_root_for_any_thread_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_measure__single_file_rechecks_its_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_measure__any_change_moves_the_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_measure__refuses_links_missing_and_too_many, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
