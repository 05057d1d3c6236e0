/* Digests, streaming digests, the CSPRNG and identifiers. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void hex_is(const uint8_t *got, size_t len, const char *want)
{
    char h[2 * VT_MD_MAX + 1];

    assert_true(len <= VT_MD_MAX);
    vt_hex_encode(h, got, len);
    assert_string_equal(h, want);
}

static const char abc256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char abc384[] = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                             "8086072ba1e7cc2358baeca134c825a7";
static const char abc512[] = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

static void test_crypto_digest__abc_known_answers(void **state)
{
    uint8_t d[VT_MD_MAX];
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_digest(VT_MD_SHA256, "abc", 3, d, &err), VT_OK);
    hex_is(d, 32, abc256);
    assert_int_equal(vt_digest(VT_MD_SHA384, "abc", 3, d, &err), VT_OK);
    hex_is(d, 48, abc384);
    assert_int_equal(vt_digest(VT_MD_SHA512, "abc", 3, d, &err), VT_OK);
    hex_is(d, 64, abc512);
}

static void test_crypto_digest__empty_input(void **state)
{
    uint8_t d[VT_MD_MAX];

    (void)state;
    assert_int_equal(vt_digest(VT_MD_SHA256, NULL, 0, d, NULL), VT_OK);
    hex_is(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_crypto_digest__lengths_and_names(void **state)
{
    (void)state;
    assert_int_equal(vt_md_len(VT_MD_SHA256), 32);
    assert_int_equal(vt_md_len(VT_MD_SHA384), 48);
    assert_int_equal(vt_md_len(VT_MD_SHA512), 64);
    assert_int_equal(vt_md_len((vt_md)0), 0);
    assert_int_equal(vt_md_len((vt_md)99), 0);
    assert_string_equal(vt_md_name(VT_MD_SHA256), "sha256");
    assert_string_equal(vt_md_name(VT_MD_SHA384), "sha384");
    assert_string_equal(vt_md_name(VT_MD_SHA512), "sha512");
}

static void test_crypto_digest__unknown_algorithm(void **state)
{
    uint8_t d[VT_MD_MAX];
    vt_digest_ctx *c = (vt_digest_ctx *)&c;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_digest((vt_md)7, "abc", 3, d, &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "digest:"));
    assert_int_equal(vt_digest_ctx_new(&c, (vt_md)7, &err), VT_E_ARG);
    assert_null(c);
}

static void test_crypto_digest__pieces_match_one_shot(void **state)
{
    const void *p[4] = { "a", "", "b", "c" };
    size_t l[4] = { 1, 0, 1, 1 };
    uint8_t d[VT_MD_MAX];

    (void)state;
    for (vt_md md = VT_MD_SHA256; md <= VT_MD_SHA512; md++) {
        uint8_t want[VT_MD_MAX];

        assert_int_equal(vt_digest(md, "abc", 3, want, NULL), VT_OK);
        assert_int_equal(vt_digestv(md, p, l, 4, d, NULL), VT_OK);
        assert_memory_equal(d, want, vt_md_len(md));
    }
    /* zero pieces = empty message */
    assert_int_equal(vt_digestv(VT_MD_SHA256, NULL, NULL, 0, d, NULL), VT_OK);
    hex_is(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_crypto_digest__streaming(void **state)
{
    vt_digest_ctx *c = NULL;
    uint8_t d[VT_MD_MAX];
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_digest_ctx_new(&c, VT_MD_SHA384, &err), VT_OK);
    assert_int_equal(vt_digest_ctx_update(c, "a", 1, &err), VT_OK);
    assert_int_equal(vt_digest_ctx_update(c, NULL, 0, &err), VT_OK);
    assert_int_equal(vt_digest_ctx_update(c, "bc", 2, &err), VT_OK);
    assert_int_equal(vt_digest_ctx_final(c, d, &err), VT_OK);
    hex_is(d, 48, abc384);
    /* a finished context refuses more work */
    assert_int_equal(vt_digest_ctx_update(c, "x", 1, &err), VT_E_ARG);
    assert_int_equal(vt_digest_ctx_final(c, d, &err), VT_E_ARG);
    vt_digest_ctx_free(c);
    vt_digest_ctx_free(NULL);
}

static void test_crypto_digest__million_a(void **state)
{
    static uint8_t block[1000];
    vt_digest_ctx *c = NULL;
    uint8_t d[VT_MD_MAX];

    (void)state;
    memset(block, 'a', sizeof(block));
    assert_int_equal(vt_digest_ctx_new(&c, VT_MD_SHA256, NULL), VT_OK);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(vt_digest_ctx_update(c, block, sizeof(block), NULL), VT_OK);
    assert_int_equal(vt_digest_ctx_final(c, d, NULL), VT_OK);
    vt_digest_ctx_free(c);
    hex_is(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_crypto_digest__random(void **state)
{
    uint8_t a[64], b[64], zero[64] = { 0 };

    (void)state;
    assert_int_equal(vt_random(a, sizeof(a), NULL), VT_OK);
    assert_int_equal(vt_random(b, sizeof(b), NULL), VT_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_int_equal(vt_random(a, 0, NULL), VT_OK);
}

/* Identifiers: never twice (thousands of them, across several refills of a thread's block),
 * never all zero, longer ones straight from the generator, and a forked child's next ids are
 * not its parent's next ids (the child drops the block it inherited). */
static int cmp16(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

static void test_crypto_digest__random_ids(void **state)
{
    enum { N = 4096 };
    uint8_t (*ids)[16] = malloc(N * 16), zero[16] = { 0 }, big[100], child[16], parent[16];
    int fds[2];
    pid_t pid;

    (void)state;
    assert_non_null(ids);
    for (int i = 0; i < N; i++) {
        assert_int_equal(vt_random_id(ids[i], 16, NULL), VT_OK);
        assert_memory_not_equal(ids[i], zero, 16);
    }
    qsort(ids, N, 16, cmp16);
    for (int i = 1; i < N; i++)
        assert_memory_not_equal(ids[i - 1], ids[i], 16);
    assert_int_equal(vt_random_id(big, sizeof(big), NULL), VT_OK);
    assert_int_equal(vt_random_id(big, 0, NULL), VT_OK);
    /* fork with part of a block left: the child must not hand out what the parent will */
    assert_int_equal(vt_random_id(parent, 8, NULL), VT_OK);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint8_t id[16];
        ssize_t w = -1;
        if (vt_random_id(id, sizeof(id), NULL) == VT_OK)
            w = write(fds[1], id, sizeof(id));
        _exit(w == (ssize_t)sizeof(id) ? 0 : 1);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], child, sizeof(child)), (ssize_t)sizeof(child));
    close(fds[0]);
    {
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(vt_random_id(parent, sizeof(parent), NULL), VT_OK);
    assert_memory_not_equal(child, parent, sizeof(child));
    free(ids);
}

/* Sortable ids: the time in front (now, to the millisecond), later ids sort after, the random
 * tail differs, and the length is bounded. */
static void test_crypto_digest__sortable_ids(void **state)
{
    uint8_t a[16], b[16], c[16];
    struct timespec ts, pause = { 0, 3 * 1000000L };
    uint64_t now_ms, got = 0;
    vt_err err = { 0 };

    (void)state;
    clock_gettime(CLOCK_REALTIME, &ts);
    now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    assert_int_equal(vt_sortable_id(a, sizeof(a), &err), VT_OK);
    for (int i = 0; i < 6; i++)
        got = got << 8 | a[i];
    assert_true(got + 10000 >= now_ms && got <= now_ms + 10000); /* a clock reading, not random */
    assert_int_equal(vt_sortable_id(b, sizeof(b), &err), VT_OK);
    assert_memory_not_equal(a + 6, b + 6, 10);
    nanosleep(&pause, NULL);
    assert_int_equal(vt_sortable_id(c, sizeof(c), &err), VT_OK);
    assert_true(memcmp(a, c, 6) < 0 && memcmp(b, c, 6) < 0); /* made later: sorts after */
    assert_int_equal(vt_sortable_id(c, 7, &err), VT_E_ARG);
    assert_int_equal(vt_sortable_id(c, 65, &err), VT_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_digest__sortable_ids),
        cmocka_unit_test(test_crypto_digest__abc_known_answers),
        cmocka_unit_test(test_crypto_digest__empty_input),
        cmocka_unit_test(test_crypto_digest__lengths_and_names),
        cmocka_unit_test(test_crypto_digest__unknown_algorithm),
        cmocka_unit_test(test_crypto_digest__pieces_match_one_shot),
        cmocka_unit_test(test_crypto_digest__streaming),
        cmocka_unit_test(test_crypto_digest__million_a),
        cmocka_unit_test(test_crypto_digest__random),
        cmocka_unit_test(test_crypto_digest__random_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
