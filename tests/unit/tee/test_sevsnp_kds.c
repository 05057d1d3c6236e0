/* AMD KDS URLs for a report (product line from CPUID, SPLs from
 * REPORTED_TCB, Turin's 8-byte hwID and fmcSPL), and the cache-only path of
 * the fetcher (no network: nothing here opens a socket). */
#include "vt_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tee/fetch.h"
#include "tee/sevsnp_kds.h"
#include "veritee/fetch.h"
#include "veritee/http.h"

static void report(vt__snp_report *r, uint32_t version, uint8_t fam, uint8_t mod)
{
    memset(r, 0, sizeof(*r));
    r->version = version;
    r->cpuid_fam = fam;
    r->cpuid_mod = mod;
    for (int i = 0; i < 64; i++)
        r->chip_id[i] = (uint8_t)(0xA0 + i);
}

static void test_tee_sevsnp_kds__product_from_cpuid(void **state)
{
    vt__snp_report r;

    (void)state;
    report(&r, 2, 0, 0);
    assert_string_equal(vt__snp_kds_product(&r), "Milan");
    report(&r, 3, 0x19, 0x01);
    assert_string_equal(vt__snp_kds_product(&r), "Milan");
    report(&r, 5, 0x19, 0x11);
    assert_string_equal(vt__snp_kds_product(&r), "Genoa");
    report(&r, 5, 0x19, 0xA0);
    assert_string_equal(vt__snp_kds_product(&r), "Genoa");
    report(&r, 5, 0x1A, 0x02);
    assert_string_equal(vt__snp_kds_product(&r), "Turin");
    report(&r, 5, 0x19, 0x60);
    assert_null(vt__snp_kds_product(&r));
    report(&r, 5, 0x17, 0x01);
    assert_null(vt__snp_kds_product(&r));
}

static void test_tee_sevsnp_kds__milan_url(void **state)
{
    static const uint8_t tcb[8] = { 3, 0, 0, 0, 0, 0, 8, 115 };
    vt__snp_report r;
    char url[1024], want[1024], hex[129];
    vt_err err = { 0 };

    (void)state;
    report(&r, 2, 0, 0);
    memcpy(r.reported_tcb, tcb, 8);
    r.current_tcb[7] = 200; /* never used for the lookup */
    vt_hex_encode(hex, r.chip_id, 64);
    snprintf(want, sizeof(want),
             "https://kdsintf.amd.com/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115", hex);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Milan", &r, &err), VT_OK);
    assert_string_equal(url, want);
    /* trailing slashes of a mirror's base are dropped */
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), "https://kdsintf.amd.com//", "Milan", &r, &err), VT_OK);
    assert_string_equal(url, want);
    /* a buffer too small is an error, not a truncated URL */
    assert_int_equal(vt__snp_kds_vcek_url(url, 100, VT_KDS_DEFAULT_URL, "Milan", &r, &err), VT_E_ARG);
    assert_string_equal(url, "");
}

static void test_tee_sevsnp_kds__turin_url(void **state)
{
    static const uint8_t tcb[8] = { 1, 2, 3, 4, 0, 0, 0, 82 };
    vt__snp_report r;
    char url[1024];
    vt_err err = { 0 };

    (void)state;
    report(&r, 5, 0x1A, 0x02);
    memset(r.chip_id + 8, 0, 56);
    memcpy(r.reported_tcb, tcb, 8);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), "http://127.0.0.1:8080/kds", "Turin", &r, &err), VT_OK);
    assert_string_equal(url, "http://127.0.0.1:8080/kds/vcek/v1/Turin/a0a1a2a3a4a5a6a7"
                             "?fmcSPL=01&blSPL=02&teeSPL=03&snpSPL=04&ucodeSPL=82");
    /* a long chip_id is not a Turin hwID (KDS would answer 404) */
    r.chip_id[9] = 1;
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Turin", &r, &err), VT_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "8..63"));
}

static void test_tee_sevsnp_kds__refusals(void **state)
{
    vt__snp_report r;
    char url[1024];
    vt_err err = { 0 };

    (void)state;
    report(&r, 3, 0x19, 0x01);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), "ftp://x", "Milan", &r, &err), VT_E_ARG);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), "https://x/?a=1", "Milan", &r, &err), VT_E_ARG);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Naples", &r, &err), VT_E_ARG);
    memset(r.chip_id, 0, 64); /* MASK_CHIP_KEY */
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Milan", &r, &err), VT_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "masked"));
}

static void test_tee_sevsnp_kds__chain_url(void **state)
{
    char url[256];
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt__snp_kds_chain_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Genoa", false, &err), VT_OK);
    assert_string_equal(url, "https://kdsintf.amd.com/vcek/v1/Genoa/cert_chain");
    assert_int_equal(vt__snp_kds_chain_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Turin", true, &err), VT_OK);
    assert_string_equal(url, "https://kdsintf.amd.com/vlek/v1/Turin/cert_chain");
}

static vt_status only_abc(const uint8_t *p, size_t len, vt_err *err)
{
    return len == 3 && memcmp(p, "abc", 3) == 0 ? VT_OK : vt_err_set(err, VT_E_FORMAT, "not abc");
}

/* The fetcher's cache file for a GET of url: dir/<hex SHA-256 of url>.<ext> (fetch.h). */
static void cache_path(char *path, size_t n, const char *dir, const char *url, const char *ext)
{
    uint8_t h[32];
    char hex[65];
    vt_err err = { 0 };

    assert_int_equal(vt_digest(VT_MD_SHA256, url, strlen(url), h, &err), VT_OK);
    vt_hex_encode(hex, h, 32);
    snprintf(path, n, "%s/%s.%s", dir, hex, ext);
}

/* Without the network: cache hits, misses, a refused cache entry, and a
 * remembered failure, all without a socket (127.0.0.1:9 is never dialled). */
static void test_tee_sevsnp_kds__fetch_cache_only(void **state)
{
    const char *url = "http://127.0.0.1:9/x";
    char dir[512], path[1100];
    vt__fetch_opts o;
    vt_buf out;
    vt_err err = { 0 };
    int src = -1;
    char neg[128];

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    memset(&o, 0, sizeof(o));
    o.cache_dir = dir;
    o.check = only_abc;
    vt_buf_init(&out);
    assert_int_equal(vt__fetch(&out, &src, url, &o, &err), VT_E_NOTFOUND);
    assert_non_null(strstr(err.msg, "fetching is off"));
    assert_int_equal(src, VT_FETCH_NONE);
    assert_int_equal(out.len, 0);
    cache_path(path, sizeof(path), dir, url, "bin");
    assert_int_equal(vt_file_write(path, "abc", 3, 0644, &err), VT_OK);
    assert_int_equal(vt__fetch(&out, &src, url, &o, &err), VT_OK);
    assert_int_equal(src, VT_FETCH_FROM_CACHE);
    assert_int_equal(out.len, 3);
    /* an entry the check refuses is dropped, not returned */
    assert_int_equal(vt_file_write(path, "abd", 3, 0644, &err), VT_OK);
    out.len = 0;
    assert_int_equal(vt__fetch(&out, &src, url, &o, &err), VT_E_NOTFOUND);
    assert_int_equal(out.len, 0);
    assert_int_equal(vt_file_read(&out, path, 16, &err), VT_E_NOTFOUND);
    /* a remembered failure answers without asking the network */
    cache_path(path, sizeof(path), dir, url, "neg");
    snprintf(neg, sizeof(neg), "v1 %lld -9 rate-limited (HTTP 429)\n", (long long)vt_time_now() + 100);
    assert_int_equal(vt_file_write(path, neg, strlen(neg), 0600, &err), VT_OK);
    o.network = true;
    assert_int_equal(vt__fetch(&out, &src, url, &o, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "rate-limited (HTTP 429) (remembered failure; next attempt in"));
    /* not an http(s) URL */
    assert_int_equal(vt__fetch(&out, &src, "file:///etc/passwd", &o, &err), VT_E_ARG);
    vt_buf_free(&out);
    vt_test_rmdir(dir);
}

/* ---- one request in flight across threads ---- */

static int srv_fd = -1;
static int srv_hits;

/* Answers "abc" to every request, slowly, so that the clients overlap. */
static void *serve(void *arg)
{
    const struct timespec nap = { 0, 300 * 1000 * 1000 };
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";

    (void)arg;
    for (;;) {
        char buf[2048];
        size_t got = 0;
        int c = accept(srv_fd, NULL, NULL);

        if (c < 0)
            return NULL; /* the listening socket was shut down */
        while (got < sizeof(buf) - 1) {
            ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            buf[got] = '\0';
            if (strstr(buf, "\r\n\r\n") != NULL)
                break;
        }
        __atomic_add_fetch(&srv_hits, 1, __ATOMIC_SEQ_CST);
        nanosleep(&nap, NULL);
        if (write(c, resp, sizeof(resp) - 1) < 0) {
            /* the client gave up: nothing to do */
        }
        close(c);
    }
}

/* The core alone has no transport: a fetch that needs the network fails at
 * once, naming why, and is not remembered as the service's failure (a
 * transport installed later is used on the next call). */
static void test_tee_sevsnp_kds__no_transport(void **state)
{
    const char *url = "http://127.0.0.1:9/y";
    char dir[512], path[1100];
    vt__fetch_opts o;
    vt_buf out;
    vt_err err = { 0 };
    int src = -1;

    (void)state;
    vt_fetch_set_transport(NULL, NULL);
    vt_test_mkdtemp(dir, sizeof(dir));
    memset(&o, 0, sizeof(o));
    o.cache_dir = dir;
    o.network = true;
    vt_buf_init(&out);
    assert_int_equal(vt__fetch(&out, &src, url, &o, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "no network transport"));
    assert_int_equal(src, VT_FETCH_NONE);
    assert_int_equal(out.len, 0);
    cache_path(path, sizeof(path), dir, url, "neg");
    assert_int_not_equal(access(path, F_OK), 0);
    vt_buf_free(&out);
    vt_test_rmdir(dir);
    vt_http_fetch_install();
}

typedef struct client {
    const char *url, *dir;
    vt_status rc;
    int source;
} client;

static void *fetch_one(void *arg)
{
    client *cl = arg;
    vt__fetch_opts o;
    vt_buf out;

    memset(&o, 0, sizeof(o));
    o.cache_dir = cl->dir;
    o.network = true;
    o.check = only_abc;
    vt_buf_init(&out);
    cl->rc = vt__fetch(&out, &cl->source, cl->url, &o, NULL);
    if (cl->rc == VT_OK && (out.len != 3 || memcmp(out.data, "abc", 3) != 0))
        cl->rc = VT_E_INTERNAL;
    vt_buf_free(&out);
    return NULL;
}

static void test_tee_sevsnp_kds__one_request_in_flight(void **state)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    pthread_t srv, th[4];
    client cl[4];
    char dir[512], url[128];
    int net = 0, cache = 0;

    (void)state;
    vt_http_fetch_install(); /* the program's libcurl transport */
    srv_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(srv_fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(srv_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(srv_fd, 8), 0);
    assert_int_equal(getsockname(srv_fd, (struct sockaddr *)&a, &al), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/vcek/v1/Milan/00", (unsigned)ntohs(a.sin_port));
    assert_int_equal(pthread_create(&srv, NULL, serve, NULL), 0);
    vt_test_mkdtemp(dir, sizeof(dir));
    for (int i = 0; i < 4; i++) {
        cl[i] = (client){ url, dir, VT_E_INTERNAL, VT_FETCH_NONE };
        assert_int_equal(pthread_create(&th[i], NULL, fetch_one, &cl[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(cl[i].rc, VT_OK);
        net += cl[i].source == VT_FETCH_FROM_NETWORK;
        cache += cl[i].source == VT_FETCH_FROM_CACHE;
    }
    assert_int_equal(net, 1);
    assert_int_equal(cache, 3);
    assert_int_equal(__atomic_load_n(&srv_hits, __ATOMIC_SEQ_CST), 1);
    shutdown(srv_fd, SHUT_RDWR);
    close(srv_fd);
    assert_int_equal(pthread_join(srv, NULL), 0);
    vt_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_sevsnp_kds__product_from_cpuid),
        cmocka_unit_test(test_tee_sevsnp_kds__milan_url),
        cmocka_unit_test(test_tee_sevsnp_kds__turin_url),
        cmocka_unit_test(test_tee_sevsnp_kds__refusals),
        cmocka_unit_test(test_tee_sevsnp_kds__chain_url),
        cmocka_unit_test(test_tee_sevsnp_kds__fetch_cache_only),
        cmocka_unit_test(test_tee_sevsnp_kds__no_transport),
        cmocka_unit_test(test_tee_sevsnp_kds__one_request_in_flight),
    };

    /* the stand-in server is on 127.0.0.1: no proxy in between */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
