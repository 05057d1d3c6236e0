/*
 * Collateral fetching over HTTP(S) with libcurl, a disk cache keyed by the
 * URL, one request in flight per URL (flock on a lock file, which excludes
 * other threads as well as other processes because each caller opens its own
 * file description), and remembered failures so that a rate-limiting service
 * is never asked the same question in a loop.  See fetch.h.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "tee/fetch.h"
#include "veritee/crypto.h"

#define NEG_MAX 512

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* curl_global_init is not thread-safe in every libcurl this may link with. */
static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct fetch_paths {
    char bin[4096], neg[4096], lock[4096];
} fetch_paths;

static vt_status paths_make(fetch_paths *p, const char *dir, const char *url, vt_err *err)
{
    uint8_t h[32];
    char hex[65];
    int a, b, c;

    if (vt_digest(VT_MD_SHA256, url, strlen(url), h, err) != VT_OK)
        return VT_E_INTERNAL;
    vt_hex_encode(hex, h, sizeof(h));
    a = snprintf(p->bin, sizeof(p->bin), "%s/%s.bin", dir, hex);
    b = snprintf(p->neg, sizeof(p->neg), "%s/%s.neg", dir, hex);
    c = snprintf(p->lock, sizeof(p->lock), "%s/%s.lock", dir, hex);
    if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof(p->bin) || (size_t)b >= sizeof(p->neg) ||
        (size_t)c >= sizeof(p->lock))
        return vt_err_set(err, VT_E_ARG, "cache directory path too long");
    return VT_OK;
}

/* A cached body, if present and acceptable; a bad one is removed (it is
 * only a cache: the next fetch replaces it). */
static bool cache_get(vt_buf *out, const char *path, const vt__fetch_opts *o, size_t max)
{
    vt_buf b;
    bool ok;

    vt_buf_init(&b);
    ok = vt_file_read(&b, path, max, NULL) == VT_OK && b.len > 0;
    if (ok && o->check != NULL && o->check(b.data, b.len, NULL) != VT_OK) {
        ok = false;
        unlink(path);
    }
    if (ok)
        ok = vt_buf_append(out, b.data, b.len, NULL) == VT_OK;
    vt_buf_free(&b);
    return ok;
}

/* A remembered failure "v1 <until> <status> <message>": true while it holds. */
static bool neg_get(const char *path, vt_time now, vt_time *until, vt_status *code, char *msg, size_t msg_len)
{
    vt_buf b;
    char *p, *end;
    long long u, c;
    bool ok = false;

    vt_buf_init(&b);
    if (vt_file_read(&b, path, NEG_MAX, NULL) != VT_OK || b.len < 4 || memcmp(b.data, "v1 ", 3) != 0)
        goto out;
    p = (char *)b.data + 3; /* vt_file_read terminates */
    errno = 0;
    u = strtoll(p, &end, 10);
    if (errno != 0 || end == p || *end != ' ')
        goto out;
    p = end + 1;
    c = strtoll(p, &end, 10);
    if (errno != 0 || end == p || *end != ' ' || c > 0 || c < VT_E_NOTFOUND)
        goto out;
    p = end + 1;
    p[strcspn(p, "\n")] = '\0';
    *until = (vt_time)u;
    *code = (vt_status)c;
    snprintf(msg, msg_len, "%s", p);
    ok = (vt_time)u > now;
out:
    vt_buf_free(&b);
    return ok;
}

static void neg_put(const char *path, vt_time until, vt_status code, const char *msg)
{
    char line[NEG_MAX];
    int n = snprintf(line, sizeof(line), "v1 %lld %d %s\n", (long long)until, (int)code, msg);

    if (n > 0 && vt_file_write(path, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, 0600, NULL) != VT_OK) {
        /* best effort: without the record the next caller asks the service once more */
    }
}

/* Takes the per-URL lock, waiting at most wait_s for a request in flight. */
static int lock_take(const char *path, long wait_s, vt_err *err)
{
    const struct timespec nap = { 0, 20 * 1000 * 1000 };
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        vt_err_set(err, VT_E_IO, "cannot open lock file %s: %s", path, strerror(errno));
        return -1;
    }
    for (long i = 0;; i++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            vt_err_set(err, VT_E_IO, "cannot lock %s: %s", path, strerror(errno));
            break;
        }
        if (i >= wait_s * 50) {
            vt_err_set(err, VT_E_IO, "another request for the same URL is still in flight after %ld s", wait_s);
            break;
        }
        nanosleep(&nap, NULL);
    }
    close(fd);
    return -1;
}

typedef struct sink {
    vt_buf *b;
    size_t max;
    bool too_big, nomem;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t len = size * n; /* size is always 1 */

    if (len > s->max || s->b->len > s->max - len) {
        s->too_big = true;
        return 0; /* aborts the transfer */
    }
    if (vt_buf_append(s->b, p, len, NULL) != VT_OK) {
        s->nomem = true;
        return 0;
    }
    return len;
}

/* One GET.  On failure *backoff says how long not to ask again. */
static vt_status http_get(vt_buf *body, const char *url, const vt__fetch_opts *o, size_t max, long *backoff,
                          vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char ebuf[CURL_ERROR_SIZE];
    sink s = { body, max, false, false };
    CURL *h = NULL;
    CURLcode cr;
    long code = 0;
    curl_off_t retry = 0;

    *backoff = VT_FETCH_BACKOFF_NET_S;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return vt_err_set(err, VT_E_INTERNAL, "libcurl did not initialize: %s", curl_easy_strerror(curl_init_rc));
    h = curl_easy_init();
    if (h == NULL)
        return vt_err_set(err, VT_E_NOMEM, "libcurl: out of memory");
    ebuf[0] = '\0';
    if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s > 0 ? o->connect_timeout_s
                                                                             : (long)VT_FETCH_CONNECT_TIMEOUT_S) !=
            CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT,
                         o->total_timeout_s > 0 ? o->total_timeout_s : (long)VT_FETCH_TOTAL_TIMEOUT_S) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_USERAGENT, "veritee") != CURLE_OK) {
        rc = vt_err_set(err, VT_E_INTERNAL, "libcurl refused an option");
        goto out;
    }
    cr = curl_easy_perform(h);
    if (s.too_big || cr == CURLE_FILESIZE_EXCEEDED) {
        *backoff = VT_FETCH_BACKOFF_BAD_S;
        rc = vt_err_set(err, VT_E_LIMIT, "response larger than %zu bytes, refused", max);
        goto out;
    }
    if (s.nomem) {
        rc = vt_err_set(err, VT_E_NOMEM, "out of memory");
        goto out;
    }
    if (cr != CURLE_OK) {
        rc = vt_err_set(err, VT_E_IO, "%s", ebuf[0] != '\0' ? ebuf : curl_easy_strerror(cr));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200 && body->len > 0) {
        rc = VT_OK;
        goto out;
    }
    if (code == 200) {
        *backoff = VT_FETCH_BACKOFF_BAD_S;
        rc = vt_err_set(err, VT_E_FORMAT, "empty response");
    } else if (code == 404) {
        *backoff = VT_FETCH_BACKOFF_NOTFOUND_S;
        rc = vt_err_set(err, VT_E_NOTFOUND, "HTTP 404: not found");
    } else if (code == 429) {
        if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry) != CURLE_OK || retry <= 0)
            retry = VT_FETCH_BACKOFF_RATE_S;
        *backoff = retry > VT_FETCH_BACKOFF_MAX_S ? VT_FETCH_BACKOFF_MAX_S : (long)retry;
        rc = vt_err_set(err, VT_E_IO, "rate-limited (HTTP 429); not asking again for %ld s", *backoff);
    } else {
        *backoff = VT_FETCH_BACKOFF_HTTP_S;
        rc = vt_err_set(err, VT_E_IO, "HTTP %ld", code);
    }
out:
    curl_easy_cleanup(h);
    return rc;
}

static vt_status fetch_checked(vt_buf *body, const char *url, const vt__fetch_opts *o, size_t max, long *backoff,
                               vt_err *err)
{
    vt_status rc = http_get(body, url, o, max, backoff, err);
    vt_err e = { 0 };

    if (rc == VT_OK && o->check != NULL && o->check(body->data, body->len, &e) != VT_OK) {
        *backoff = VT_FETCH_BACKOFF_BAD_S;
        rc = vt_err_set(err, VT_E_FORMAT, "unusable response: %s", e.msg);
    }
    return rc;
}

vt_status vt__fetch(vt_buf *out, int *source, const char *url, const vt__fetch_opts *o, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    size_t max = o == NULL || o->max_len == 0 ? VT_FETCH_MAX_DEFAULT : o->max_len;
    bool cached = o != NULL && o->cache_dir != NULL && o->cache_dir[0] != '\0';
    fetch_paths *p = NULL;
    vt_buf body;
    vt_time now, until = 0;
    vt_status ncode = VT_E_IO;
    char nmsg[NEG_MAX];
    long backoff = 0;
    int fd = -1;
    vt_err e = { 0 };

    vt_buf_init(&body);
    if (source != NULL)
        *source = VT_FETCH_NONE;
    if (out == NULL || url == NULL || o == NULL)
        return vt_err_set(err, VT_E_ARG, "fetch: out, url and options are required");
    if (strlen(url) >= VT_FETCH_URL_MAX || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return vt_err_set(err, VT_E_ARG, "not an http(s) URL of at most %d bytes", VT_FETCH_URL_MAX - 1);
    if (cached) {
        p = calloc(1, sizeof(*p));
        if (p == NULL)
            return vt_err_set(err, VT_E_NOMEM, "out of memory");
        rc = paths_make(p, o->cache_dir, url, err);
        if (rc != VT_OK)
            goto out;
        if (cache_get(out, p->bin, o, max)) {
            rc = VT_OK;
            if (source != NULL)
                *source = VT_FETCH_FROM_CACHE;
            goto out;
        }
    }
    if (!o->network) {
        rc = vt_err_set(err, VT_E_NOTFOUND, "not cached, and fetching is off");
        goto out;
    }
    if (!cached) {
        rc = fetch_checked(&body, url, o, max, &backoff, err);
        goto done;
    }
    rc = vt_mkdir_p(o->cache_dir, 0700, err);
    if (rc != VT_OK)
        goto out;
    fd = lock_take(p->lock,
                   (o->connect_timeout_s > 0 ? o->connect_timeout_s : VT_FETCH_CONNECT_TIMEOUT_S) +
                       (o->total_timeout_s > 0 ? o->total_timeout_s : VT_FETCH_TOTAL_TIMEOUT_S) + 5,
                   err);
    if (fd < 0) {
        rc = VT_E_IO;
        goto out;
    }
    /* Whoever held the lock may have fetched it, or failed, meanwhile. */
    if (cache_get(out, p->bin, o, max)) {
        rc = VT_OK;
        if (source != NULL)
            *source = VT_FETCH_FROM_CACHE;
        goto out;
    }
    now = vt_time_now();
    if (neg_get(p->neg, now, &until, &ncode, nmsg, sizeof(nmsg))) {
        rc = vt_err_set(err, ncode, "%s (remembered failure; next attempt in %lld s)", nmsg,
                        (long long)(until - now));
        goto out;
    }
    rc = fetch_checked(&body, url, o, max, &backoff, &e);
    if (rc == VT_OK) {
        if (vt_file_write(p->bin, body.data, body.len, 0644, NULL) != VT_OK) {
            /* a cache that cannot be written is no reason to fail: the next run asks again */
        }
        unlink(p->neg);
    } else {
        if (rc != VT_E_NOMEM && rc != VT_E_INTERNAL)
            neg_put(p->neg, now + backoff, rc, e.msg);
        vt_err_set(err, rc, "%s", e.msg);
    }
done:
    if (rc == VT_OK) {
        rc = vt_buf_append(out, body.data, body.len, err);
        if (rc == VT_OK && source != NULL)
            *source = VT_FETCH_FROM_NETWORK;
    }
out:
    if (fd >= 0)
        close(fd); /* releases the lock */
    vt_buf_free(&body);
    free(p);
    return rc;
}
