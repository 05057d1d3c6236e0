/* The collateral fetcher (tee/fetch.c) under a transport installed here, which
 * answers from memory and counts what it is asked: a verification time in the
 * future (a request's "at") makes one request, not one per verification. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee/fetch.h"
#include "veritee/fetch.h"

static int asked;
static vt_time answer_until;  /* the expiry of the document the service hands out */
static vt_time answer_issued; /* and when it was issued */

/* Answers "until=<seconds> issued=<seconds>" to every request. */
static vt_status transport(void *ctx, const vt_fetch_request *rq, vt_fetch_reply *rp, vt_buf *body, vt_buf *hdr,
                           vt_err *err)
{
    char b[96];
    int n = snprintf(b, sizeof(b), "until=%lld issued=%lld", (long long)answer_until, (long long)answer_issued);

    (void)ctx;
    (void)rq;
    (void)hdr;
    asked++;
    rp->status = 200;
    return vt_buf_append(body, b, (size_t)n, err);
}

static vt_status expiry(vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    char b[64];
    long long u;

    if (len >= sizeof(b))
        return vt_err_set(err, VT_E_FORMAT, "too long");
    memcpy(b, p, len);
    b[len] = '\0';
    if (sscanf(b, "until=%lld", &u) != 1)
        return vt_err_set(err, VT_E_FORMAT, "no until");
    *until = (vt_time)u;
    return VT_OK;
}

static vt_status issued(vt_time *at, const uint8_t *p, size_t len, vt_err *err)
{
    char b[96];
    const char *s;
    long long u;

    if (len >= sizeof(b))
        return vt_err_set(err, VT_E_FORMAT, "too long");
    memcpy(b, p, len);
    b[len] = '\0';
    s = strstr(b, "issued=");
    if (s == NULL || sscanf(s, "issued=%lld", &u) != 1)
        return vt_err_set(err, VT_E_FORMAT, "no issued");
    *at = (vt_time)u;
    return VT_OK;
}

static vt_status get_body(vt__fetch_opts *o, const char *url, int *src, vt_time *issued_at)
{
    vt_buf out;
    vt_status rc;

    vt_buf_init(&out);
    rc = vt__fetch(&out, src, url, o, NULL);
    if (rc == VT_OK && issued_at != NULL)
        assert_int_equal(issued(issued_at, out.data, out.len, NULL), VT_OK);
    vt_buf_free(&out);
    return rc;
}

static vt_status get(vt__fetch_opts *o, const char *url, int *src)
{
    return get_body(o, url, src, NULL);
}

/* Options over the transport above, with a fresh cache directory (dir) and the question count at 0. */
static void opts_init(vt__fetch_opts *o, char *dir, size_t dir_len, vt_time now)
{
    vt_fetch_set_transport(transport, NULL);
    vt_test_mkdtemp(dir, dir_len);
    memset(o, 0, sizeof(*o));
    o->cache_dir = dir;
    o->network = true;
    o->expiry = expiry;
    o->now = now;
    asked = 0;
}

/* Renewing ahead of expiry, an older document handed out again (a stale mirror, a replay) is not taken. */
static void test_tee_fetch__refresh_never_goes_back(void **state)
{
    const char *url = "http://127.0.0.1:9/crl";
    vt_time real = vt_time_now(), at = 0;
    vt__fetch_opts o;
    char dir[512];
    int src = -1;

    (void)state;
    opts_init(&o, dir, sizeof(dir), real);
    o.issued = issued;
    o.refresh_before_s = 10 * 86400;
    answer_until = real + 5 * 86400; /* inside the refresh window from the start */
    answer_issued = real - 86400;
    assert_int_equal(get_body(&o, url, &src, &at), VT_OK);
    assert_int_equal(src, VT_FETCH_FROM_NETWORK);
    /* The service now hands out a document issued before the one cached: the cached one answers. */
    answer_until = real + 20 * 86400;
    answer_issued = real - 3 * 86400;
    assert_int_equal(get_body(&o, url, &src, &at), VT_OK);
    assert_int_equal(asked, 2);
    assert_int_equal(src, VT_FETCH_FROM_CACHE);
    assert_int_equal(at, real - 86400);
    /* ... and stays: a later call without the network gets it too. */
    o.network = false;
    assert_int_equal(get_body(&o, url, &src, &at), VT_OK);
    assert_int_equal(at, real - 86400);
    /* A newer one replaces it. */
    o.network = true;
    answer_issued = real;
    assert_int_equal(get_body(&o, url, &src, &at), VT_OK);
    assert_int_equal(src, VT_FETCH_FROM_NETWORK);
    assert_int_equal(at, real);
    vt_test_rmdir(dir);
    vt_fetch_set_transport(NULL, NULL);
}

static void test_tee_fetch__future_time_asks_once(void **state)
{
    const char *url = "http://127.0.0.1:9/tcb";
    vt_time real = vt_time_now();
    vt__fetch_opts o;
    char dir[512];
    int src = -1;

    (void)state;
    opts_init(&o, dir, sizeof(dir), real + 40 * 86400); /* beyond what the service's current document covers */
    answer_until = real + 30 * 86400;
    /* The first asks the service (and is handed a document the caller will refuse as expired then). */
    assert_int_equal(get(&o, url, &src), VT_OK);
    assert_int_equal(src, VT_FETCH_FROM_NETWORK);
    assert_int_equal(asked, 1);
    /* The next ones do not ask again: the same document would come back. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(get(&o, url, &src), VT_E_NOTFOUND);
    assert_int_equal(asked, 1);
    /* At the real time, the document kept is used. */
    o.now = real;
    assert_int_equal(get(&o, url, &src), VT_OK);
    assert_int_equal(src, VT_FETCH_FROM_CACHE);
    assert_int_equal(asked, 1);
    vt_test_rmdir(dir);
    vt_fetch_set_transport(NULL, NULL);
}

/* A cached copy expired at the real time too is fetched again, future verification time or not. */
static void test_tee_fetch__future_time_expired_copy_refreshed(void **state)
{
    const char *url = "http://127.0.0.1:9/qe";
    vt_time real = vt_time_now();
    vt__fetch_opts o;
    char dir[512];
    int src = -1;

    (void)state;
    opts_init(&o, dir, sizeof(dir), real - 2 * 86400); /* a past time caches a document since expired */
    answer_until = real - 86400;
    assert_int_equal(get(&o, url, &src), VT_OK);
    assert_int_equal(asked, 1);
    o.now = real + 86400;
    answer_until = real + 30 * 86400;
    assert_int_equal(get(&o, url, &src), VT_OK);
    assert_int_equal(src, VT_FETCH_FROM_NETWORK);
    assert_int_equal(asked, 2);
    assert_int_equal(get(&o, url, &src), VT_OK);
    assert_int_equal(src, VT_FETCH_FROM_CACHE);
    assert_int_equal(asked, 2);
    vt_test_rmdir(dir);
    vt_fetch_set_transport(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_fetch__future_time_asks_once),
        cmocka_unit_test(test_tee_fetch__future_time_expired_copy_refreshed),
        cmocka_unit_test(test_tee_fetch__refresh_never_goes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
