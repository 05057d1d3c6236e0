/*
 * Added latency of Oblivious HTTP over the plain path, end to end through a
 * running gateway (bench/bench_transport.sh starts it): the same chat
 * request POSTed plain to /v1/chat/completions and, encapsulated (Binary HTTP
 * + HPKE, fresh per request) to /v1/ohttp, decapsulated on return; one
 * kept-alive connection each, alternating, p50 and p90 of each.
 * Usage: bench_ohttp_latency http://HOST:PORT [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "bench_common.h"
#include "veritee/ohttp.h"

static size_t sink(char *p, size_t s, size_t n, void *arg)
{
    vt_buf *b = arg;
    return vt_buf_append(b, p, s * n, NULL) == VT_OK ? s * n : 0;
}

static long post(CURL *c, const char *url, const char *ctype, const uint8_t *body, size_t len, vt_buf *out)
{
    struct curl_slist *h = NULL;
    char ct[128];
    long code = 0;

    snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
    h = curl_slist_append(h, ct);
    out->len = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    return code;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *gw = argc > 1 ? argv[1] : NULL;
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    static const char chat[] = "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hello from the bench\"}]}";
    vt_bhttp_field f = { "content-type", 12, "application/json", 16 };
    vt_ohttp_key_config cfgs[VT_OHTTP_CONFIGS_MAX];
    size_t count = 0;
    double *tp, *to;
    char url[512], ourl[512];
    vt_buf out = { 0 }, req = { 0 }, enc = { 0 }, inner = { 0 };
    CURL *cp, *co;

    if (gw == NULL || n <= 0) {
        fprintf(stderr, "usage: bench_ohttp_latency http://HOST:PORT [N]\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cp = curl_easy_init();
    co = curl_easy_init();
    tp = calloc((size_t)n, sizeof(double));
    to = calloc((size_t)n, sizeof(double));
    snprintf(url, sizeof(url), "%s/.well-known/ohttp-keys", gw);
    curl_easy_setopt(co, CURLOPT_URL, url);
    curl_easy_setopt(co, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(co, CURLOPT_WRITEDATA, &out);
    if (cp == NULL || co == NULL || tp == NULL || to == NULL || curl_easy_perform(co) != CURLE_OK ||
        vt_ohttp_keys_parse(cfgs, &count, VT_OHTTP_CONFIGS_MAX, out.data, out.len, NULL) != VT_OK) {
        fprintf(stderr, "bench_ohttp_latency: cannot fetch the key configuration from %s\n", url);
        return 1;
    }
    curl_easy_setopt(co, CURLOPT_HTTPGET, 0L);
    snprintf(url, sizeof(url), "%s/v1/chat/completions", gw);
    snprintf(ourl, sizeof(ourl), "%s/v1/ohttp", gw);
    for (int i = -50; i < n; i++) { /* 50 warm-up rounds */
        vt_ohttp_ctx *ctx = NULL;
        vt_bhttp_msg *m = NULL;
        double t0 = bench_now(), t1, t2;
        long code = post(cp, url, "application/json", (const uint8_t *)chat, strlen(chat), &out);
        t1 = bench_now();
        req.len = enc.len = inner.len = 0;
        if (code != 200 ||
            vt_bhttp_encode_request(&req, "POST", "https", "gateway", "/v1/chat/completions", &f, 1,
                                    (const uint8_t *)chat, strlen(chat), NULL) != VT_OK ||
            vt_ohttp_encap_request(&enc, &ctx, &cfgs[0], cfgs[0].algs[0], req.data, req.len, NULL, NULL) != VT_OK ||
            post(co, ourl, VT_OHTTP_REQ_MEDIA, enc.data, enc.len, &out) != 200 ||
            vt_ohttp_decap_response(&inner, ctx, out.data, out.len, NULL) != VT_OK ||
            vt_bhttp_parse(&m, inner.data, inner.len, NULL) != VT_OK || m->status != 200) {
            fprintf(stderr, "bench_ohttp_latency: round %d failed (plain %ld)\n", i, code);
            return 1;
        }
        t2 = bench_now();
        vt_bhttp_msg_free(m);
        vt_ohttp_ctx_free(ctx);
        if (i >= 0) {
            tp[i] = (t1 - t0) * 1e3;
            to[i] = (t2 - t1) * 1e3;
        }
    }
    qsort(tp, (size_t)n, sizeof(double), cmp);
    qsort(to, (size_t)n, sizeof(double), cmp);
    printf("{\"rounds\":%d,\"plain_p50_ms\":%.3f,\"plain_p90_ms\":%.3f,\"ohttp_p50_ms\":%.3f,\"ohttp_p90_ms\":%.3f,"
           "\"added_p50_ms\":%.3f}\n",
           n, tp[n / 2], tp[n * 9 / 10], to[n / 2], to[n * 9 / 10], to[n / 2] - tp[n / 2]);
    curl_easy_cleanup(cp);
    curl_easy_cleanup(co);
    free(tp);
    free(to);
    vt_buf_free(&out);
    vt_buf_free(&req);
    vt_buf_free(&enc);
    vt_buf_free(&inner);
    return 0;
}
