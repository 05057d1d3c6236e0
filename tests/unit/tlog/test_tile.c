/* C2SP tlog-tiles: paths (the spec's x001/x234/067 example), strict parsing,
 * tile widths for a tree size (the spec's 70,000 example), entry bundles. */
#include "vt_test.h"

#include <string.h>

static void path_is(int level, uint64_t n, unsigned w, const char *want)
{
    vt_tile t = { level, n, w }, back;
    char p[VT_TILE_PATH_MAX];

    assert_int_equal(vt_tile_path(p, &t, NULL), VT_OK);
    assert_string_equal(p, want);
    assert_int_equal(vt_tile_path_parse(&back, p, strlen(p), NULL), VT_OK);
    assert_int_equal(back.level, level);
    assert_int_equal(back.index, n);
    assert_int_equal(back.width, w);
}

static void test_tlog_tile__paths(void **state)
{
    (void)state;
    path_is(0, 1234067, 256, "tile/0/x001/x234/067");
    path_is(0, 0, 256, "tile/0/000");
    path_is(1, 5, 17, "tile/1/005.p/17");
    path_is(63, 1000, 256, "tile/63/x001/000");
    path_is(VT_TILE_ENTRIES, 999, 1, "tile/entries/999.p/1");
    path_is(VT_TILE_ENTRIES, 18446744073709551615ull, 255, "tile/entries/x018/x446/x744/x073/x709/x551/615.p/255");
}

static void test_tlog_tile__bad_paths_rejected(void **state)
{
    static const char *const bad[] = {
        "tile/", "tile/0/", "tile/00/000", "tile/64/000", "tile/0/x000/005", "tile/0/1234", "tile/0/12",
        "tile/0/x12/345", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/007", "tile/0/000.p/", "tile/0/000/",
        "tile/entries/", "tile/entries/x001", "tile/0/x001/", "tiles/0/000", "tile/a/000", "tile/0/000.p/1x",
        "tile/0/x018/x446/x744/x073/x709/x551/616", "tile/0/x001/x002/x003/x004/x005/x006/x007/008",
    };
    vt_tile t;
    vt_tile bad_w = { 0, 0, 0 };
    char p[VT_TILE_PATH_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(vt_tile_path_parse(&t, bad[i], strlen(bad[i]), NULL), VT_E_FORMAT);
    assert_int_equal(vt_tile_path(p, &bad_w, NULL), VT_E_ARG);
}

static void test_tlog_tile__widths_for_tree_of_70000(void **state)
{
    vt_tile t;

    (void)state;
    vt_tile_for(&t, 0, 272 * 256, 70000);
    assert_int_equal(t.index, 272);
    assert_int_equal(t.width, 256);
    vt_tile_for(&t, 0, 273 * 256, 70000);
    assert_int_equal(t.index, 273);
    assert_int_equal(t.width, 112);
    vt_tile_for(&t, 1, 0, 70000);
    assert_int_equal(t.width, 256);
    vt_tile_for(&t, 1, 256, 70000);
    assert_int_equal(t.width, 17);
    vt_tile_for(&t, 2, 0, 70000);
    assert_int_equal(t.width, 1);
    vt_tile_for(&t, 1, 0, 256);
    assert_int_equal(t.width, 1);
    vt_tile_for(&t, 0, 300, 256);
    assert_int_equal(t.width, 0);
}

static void test_tlog_tile__bundles(void **state)
{
    static const char *const e[] = { "", "a", "hello" };
    uint8_t h[3][32];
    vt_tile t = { VT_TILE_ENTRIES, 0, 3 };
    const uint8_t *p;
    size_t l, n = 0;
    vt_buf b;
    vt_rd r;

    (void)state;
    vt_buf_init(&b);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vt_tile_bundle_append(&b, e[i], strlen(e[i]), NULL), VT_OK);
        assert_int_equal(vt_tlog_leaf_hash(h[i], e[i], strlen(e[i]), NULL), VT_OK);
    }
    assert_int_equal(b.len, 2 + 2 + 1 + 2 + 5);
    assert_memory_equal(b.data, "\0\0\0\001a\0\005hello", b.len);
    vt_rd_init(&r, b.data, b.len);
    while (vt_tile_bundle_next(&r, &p, &l))
        assert_memory_equal(p, e[n++], l);
    assert_int_equal(n, 3);
    assert_true(vt_rd_ok_and_empty(&r));
    assert_int_equal(vt_tile_bundle_check(b.data, b.len, &t, (const uint8_t(*)[32])h, NULL), VT_OK);
    /* every truncation, a wrong width, a changed entry */
    for (size_t i = 0; i < b.len; i++)
        assert_int_not_equal(vt_tile_bundle_check(b.data, i, &t, (const uint8_t(*)[32])h, NULL), VT_OK);
    t.width = 2;
    assert_int_equal(vt_tile_bundle_check(b.data, b.len, &t, (const uint8_t(*)[32])h, NULL), VT_E_FORMAT);
    t.width = 3;
    b.data[b.len - 1] ^= 1;
    assert_int_equal(vt_tile_bundle_check(b.data, b.len, &t, (const uint8_t(*)[32])h, NULL), VT_E_CRYPTO);
    /* an entry past the uint16 length */
    assert_int_equal(vt_tile_bundle_append(&b, b.data, VT_TLOG_ENTRY_MAX + 1, NULL), VT_E_LIMIT);
    vt_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlog_tile__paths),
        cmocka_unit_test(test_tlog_tile__bad_paths_rejected),
        cmocka_unit_test(test_tlog_tile__widths_for_tree_of_70000),
        cmocka_unit_test(test_tlog_tile__bundles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
