/* The scanner's folding of Unicode look-alikes: every listed character
 * folds to its ASCII form, nothing else does (ill-formed UTF-8 included),
 * text without them is not copied, and offsets map back exactly. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include "audit/normalise.h"

static size_t enc(uint8_t *o, uint32_t cp)
{
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xc0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* The fold of one code point, or 0. */
static uint8_t fold(uint32_t cp)
{
    uint8_t b[4];
    size_t n = enc(b, cp), k = 0;
    uint8_t c = vt__audit_fold_at(b, n, 0, &k);

    if (c != 0)
        assert_int_equal(k, n);
    return c;
}

static void test_audit_normalise__listed_characters_fold(void **state)
{
    static const struct {
        uint32_t cp;
        char ascii;
    } cases[] = {
        { 0xa0, ' ' }, { 0x1680, ' ' }, { 0x2000, ' ' }, { 0x2005, ' ' }, { 0x200a, ' ' }, { 0x202f, ' ' },
        { 0x205f, ' ' }, { 0x3000, ' ' }, { 0x2028, '\n' }, { 0x2029, '\n' }, { 0x2010, '-' }, { 0x2011, '-' },
        { 0x2012, '-' }, { 0x2013, '-' }, { 0x2212, '-' }, { 0x2024, '.' }, { 0x3002, '.' }, { 0xff61, '.' },
        { 0xff01, '!' }, { 0xff0e, '.' }, { 0xff10, '0' }, { 0xff19, '9' }, { 0xff20, '@' }, { 0xff21, 'A' },
        { 0xff5a, 'z' }, { 0xff5e, '~' }, { 0xfe52, '.' }, { 0xfe6b, '@' }, { 0xfe63, '-' }, { 0xfe62, '+' },
        { 0xfe59, '(' }, { 0xfe5a, ')' }, { 0xfe4d, '_' }, { 0x1d400, 'A' }, { 0x1d41a, 'a' }, { 0x1d433, 'z' },
        { 0x1d434, 'A' }, { 0x1d6a3, 'z' }, { 0x1d7ce, '0' }, { 0x1d7d7, '9' }, { 0x1d7d8, '0' }, { 0x1d7ff, '9' },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (fold(cases[i].cp) != (uint8_t)cases[i].ascii)
            fail_msg("U+%04X: got 0x%02x, want '%c'", cases[i].cp, fold(cases[i].cp), cases[i].ascii);
    for (uint32_t cp = 0xff01; cp <= 0xff5e; cp++)
        assert_int_equal(fold(cp), cp - 0xff01 + 0x21);
}

/* Characters outside the table stay: other scripts' digits, homoglyph
 * letters, superscripts, circled digits, em dash, middle dot, U+FE51. */
static void test_audit_normalise__others_do_not_fold(void **state)
{
    static const uint32_t cps[] = {
        0x80,   0x9f,   0xa1,   0xb2,   0xb7,   0xe9,    0x0430, 0x03bf, 0x0660, 0x0669, 0x06f4, 0x0966,
        0x1681, 0x200b, 0x2014, 0x2015, 0x2027, 0x202a,  0x2030, 0x205e, 0x2070, 0x2079, 0x2460, 0x3001,
        0x3003, 0xfe50 + 1, 0xfe53, 0xfe58, 0xfe67, 0xfe6c, 0xff00, 0xff5f, 0xff60, 0xff62, 0x1d6a4, 0x1d7cd,
        0x1d800, 0x1f642, 0x10ffff,
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++)
        if (fold(cps[i]) != 0)
            fail_msg("U+%04X folds to 0x%02x", cps[i], fold(cps[i]));
}

/* Truncated, overlong, stray and surrogate sequences never fold. */
static void test_audit_normalise__ill_formed_never_folds(void **state)
{
    static const struct {
        const char *b;
        size_t n;
    } cases[] = {
        { "\xc2", 1 },          { "\xc2\x20", 2 },          { "\xef\xbc", 2 },         { "\xef\xbc\x20", 3 },
        { "\xef\x20\xa0", 3 },  { "\xf0\x9d\x9f", 3 },      { "\xf0\x8f\xbc\xa0", 4 }, /* overlong U+FF20 */
        { "\xe0\x82\xa0", 3 }, /* overlong U+00A0 */         { "\xc1\xa0", 2 },         { "\xa0", 1 },
        { "\xed\xa0\x80", 3 },  { "\xf0\x9d\x9f\xc0", 4 },  { "\xff\xa0", 2 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t k = 99;
        assert_int_equal(vt__audit_fold_at((const uint8_t *)cases[i].b, cases[i].n, 0, &k), 0);
    }
}

static void test_audit_normalise__nothing_to_fold_is_not_copied(void **state)
{
    static const char *const texts[] = { "", "plain ASCII 4111 1111 1111 1111", "caf\xc3\xa9 \xe2\x80\x94 ok \xf0\x9f\x99\x82",
                                         "\xc2", "\xef\xbc" };
    audit_norm nm = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        assert_int_equal(vt__audit_norm(&nm, (const uint8_t *)texts[i], strlen(texts[i]), NULL), VT_OK);
        assert_false(nm.folded);
        assert_int_equal(nm.text.len, 0);
    }
    vt__audit_norm_free(&nm);
}

/* "a" NBSP "b" ＠ "c" é ＿ -> "a b@c" é "_": each folded offset maps to the
 * start of its original character, the end to the end of the text. */
static void test_audit_normalise__offsets_map_back(void **state)
{
    static const char in[] = "a\xc2\xa0" "b\xef\xbc\xa0" "c\xc3\xa9\xef\xbc\xbf";
    static const size_t orig[] = { 0, 1, 3, 4, 7, 8, 9, 10, 13 };
    audit_norm nm = { 0 };

    (void)state;
    assert_int_equal(vt__audit_norm(&nm, (const uint8_t *)in, strlen(in), NULL), VT_OK);
    assert_true(nm.folded);
    assert_int_equal(nm.text.len, 8);
    assert_memory_equal(nm.text.data, "a b@c\xc3\xa9_", 8);
    for (size_t i = 0; i <= 8; i++)
        assert_int_equal(vt__audit_norm_orig(&nm, i), orig[i]);
    /* reused: a second text replaces the first */
    assert_int_equal(vt__audit_norm(&nm, (const uint8_t *)"\xe3\x80\x80x", 4, NULL), VT_OK);
    assert_true(nm.folded);
    assert_int_equal(nm.text.len, 2);
    assert_int_equal(vt__audit_norm_orig(&nm, 0), 0);
    assert_int_equal(vt__audit_norm_orig(&nm, 1), 3);
    assert_int_equal(vt__audit_norm_orig(&nm, 2), 4);
    vt__audit_norm_free(&nm);
}

/* Long texts of folded characters only (the map grows past its first
 * allocation), and folded characters at both text edges. */
static void test_audit_normalise__long_and_edges(void **state)
{
    enum { N = 5000 };
    uint8_t *in = malloc(N * 4);
    audit_norm nm = { 0 };
    size_t len = 0;

    (void)state;
    for (size_t i = 0; i < N; i++)
        len += enc(in + len, i % 2 ? 0x1d7ce + i % 10 : 0x3000);
    assert_int_equal(vt__audit_norm(&nm, in, len, NULL), VT_OK);
    assert_true(nm.folded);
    assert_int_equal(nm.text.len, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(nm.text.data[i], i % 2 ? '0' + i % 10 : ' ');
        assert_int_equal(vt__audit_norm_orig(&nm, i), (i / 2) * 7 + (i % 2) * 3);
    }
    assert_int_equal(vt__audit_norm_orig(&nm, N), len);
    vt__audit_norm_free(&nm);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_normalise__listed_characters_fold),
        cmocka_unit_test(test_audit_normalise__others_do_not_fold),
        cmocka_unit_test(test_audit_normalise__ill_formed_never_folds),
        cmocka_unit_test(test_audit_normalise__nothing_to_fold_is_not_copied),
        cmocka_unit_test(test_audit_normalise__offsets_map_back),
        cmocka_unit_test(test_audit_normalise__long_and_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
