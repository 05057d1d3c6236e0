/*
 * Collateral fetching over HTTP(S) through the installed transport
 * (veritee/fetch.h: libcurl in the program, none in the bare core), a disk
 * cache keyed by the URL, one request in flight per URL (flock on a lock file, which excludes
 * other threads as well as other processes because each caller opens its own
 * file description), and remembered failures so that a rate-limiting service
 * is never asked the same question in a loop.  See fetch.h.
 */
#include <errno.h>
#include <stdatomic.h>
#include <strings.h>
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
#include "veritee/fetch.h"

#define NEG_MAX 512
#define RSP_MAGIC "VTF1"

static atomic_ulong network_count;

unsigned long vt__fetch_network_count(void)
{
    return atomic_load(&network_count);
}

/* The transport, installed once before verification starts. */
static _Atomic(vt_fetch_transport_fn) transport_fn;
static void *_Atomic transport_ctx;

void vt_fetch_set_transport(vt_fetch_transport_fn fn, void *ctx)
{
    atomic_store(&transport_ctx, ctx);
    atomic_store(&transport_fn, fn);
}

typedef struct fetch_paths {
    char bin[4096], neg[4096], lock[4096];
} fetch_paths;

static vt_status paths_make(fetch_paths *p, const char *dir, const char *url, const vt__fetch_opts *o, vt_err *err)
{
    bool with_header = o->header != NULL;
    uint8_t h[32];
    char hex[65];
    int a, b, c;

    if (o->post == NULL) {
        if (vt_digest(VT_MD_SHA256, url, strlen(url), h, err) != VT_OK)
            return VT_E_INTERNAL;
    } else {
        vt_digest_ctx *d = NULL;
        vt_status rc = vt_digest_ctx_new(&d, VT_MD_SHA256, err);

        if (rc == VT_OK)
            rc = vt_digest_ctx_update(d, url, strlen(url) + 1, err); /* with the NUL */
        if (rc == VT_OK)
            rc = vt_digest_ctx_update(d, o->post, o->post_len, err);
        if (rc == VT_OK)
            rc = vt_digest_ctx_final(d, h, err);
        vt_digest_ctx_free(d);
        if (rc != VT_OK)
            return VT_E_INTERNAL;
    }
    vt_hex_encode(hex, h, sizeof(h));
    a = snprintf(p->bin, sizeof(p->bin), "%s/%s.%s", dir, hex, with_header ? "rsp" : "bin");
    b = snprintf(p->neg, sizeof(p->neg), "%s/%s.neg", dir, hex);
    c = snprintf(p->lock, sizeof(p->lock), "%s/%s.lock", dir, hex);
    if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof(p->bin) || (size_t)b >= sizeof(p->neg) ||
        (size_t)c >= sizeof(p->lock))
        return vt_err_set(err, VT_E_ARG, "cache directory path too long");
    return VT_OK;
}

static size_t hdr_cap(const vt__fetch_opts *o)
{
    return o->header_max > 0 ? o->header_max : VT_FETCH_HDR_MAX_DEFAULT;
}

/* Body and header both acceptable, and the expiry they give (INT64_MAX without an expiry callback). */
static vt_status answer_check(vt_time *until, const vt_buf *body, const vt_buf *hdr, const vt__fetch_opts *o,
                              vt_err *err)
{
    vt_err e = { 0 };

    *until = INT64_MAX;
    if (o->check != NULL && o->check(body->data, body->len, &e) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "unusable response: %s", e.msg);
    if (o->header != NULL && o->header_check != NULL && o->header_check(hdr->data, hdr->len, &e) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "unusable %s header: %s", o->header, e.msg);
    if (o->expiry != NULL && o->expiry(until, body->data, body->len, &e) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "unusable response: %s", e.msg);
    return VT_OK;
}

enum { ENTRY_MISS = 0, ENTRY_FRESH, ENTRY_REFRESH, ENTRY_EXPIRED };

/* Splits a .rsp file into header and body. */
static bool rsp_split(vt_buf *body, vt_buf *hdr, const vt_buf *f, size_t max, size_t hmax)
{
    size_t hl;

    if (f->len < 8 || memcmp(f->data, RSP_MAGIC, 4) != 0)
        return false;
    hl = ((size_t)f->data[4] << 24) | ((size_t)f->data[5] << 16) | ((size_t)f->data[6] << 8) | f->data[7];
    if (hl > hmax || hl > f->len - 8 || f->len - 8 - hl == 0 || f->len - 8 - hl > max)
        return false;
    return vt_buf_append(hdr, f->data + 8, hl, NULL) == VT_OK &&
           vt_buf_append(body, f->data + 8 + hl, f->len - 8 - hl, NULL) == VT_OK;
}

/*
 * A cached answer, if present and acceptable: ENTRY_FRESH, ENTRY_REFRESH
 * (inside the refresh window) or ENTRY_EXPIRED (kept on disk: the next good
 * fetch replaces it).  A bad one is removed (it is only a cache).  body and
 * hdr are filled only for FRESH and REFRESH.
 */
static int cache_get(vt_buf *body, vt_buf *hdr, vt_time *until, const char *path, const vt__fetch_opts *o, size_t max)
{
    vt_buf f, b, h;
    int r = ENTRY_MISS;

    vt_buf_init(&f);
    vt_buf_init(&b);
    vt_buf_init(&h);
    if (vt_file_read(&f, path, max + (o->header != NULL ? 8 + hdr_cap(o) : 0), NULL) != VT_OK || f.len == 0)
        goto out;
    if (o->header != NULL) {
        if (!rsp_split(&b, &h, &f, max, hdr_cap(o))) {
            unlink(path);
            goto out;
        }
    } else if (f.len > max || vt_buf_append(&b, f.data, f.len, NULL) != VT_OK) {
        goto out;
    }
    if (answer_check(until, &b, &h, o, NULL) != VT_OK) {
        unlink(path);
        goto out;
    }
    if (o->expiry != NULL && *until < o->now) {
        r = ENTRY_EXPIRED;
        goto out;
    }
    if (vt_buf_append(body, b.data, b.len, NULL) != VT_OK ||
        (hdr != NULL && vt_buf_append(hdr, h.data, h.len, NULL) != VT_OK)) {
        body->len = 0;
        if (hdr != NULL)
            hdr->len = 0;
        goto out;
    }
    r = ENTRY_FRESH;
    if (o->expiry != NULL && o->refresh_before_s > 0 && o->network && *until - o->refresh_before_s <= o->now)
        r = ENTRY_REFRESH;
out:
    vt_buf_free(&f);
    vt_buf_free(&b);
    vt_buf_free(&h);
    return r;
}

/*
 * A verification time in the future (a request's "at") whose cached copy is
 * the current one, valid now but not then: fetching again would bring the same
 * document, so it is not fetched again before the cached copy expires --
 * otherwise every such request would ask the service, and one client could
 * spend the rate limit of the service for all.
 */
static bool future_stop(int entry, vt_time cuntil, const vt__fetch_opts *o, vt_time real, vt_err *err)
{
    if (entry != ENTRY_EXPIRED || o->now <= real + VT_FETCH_FUTURE_SKEW_S || cuntil < real)
        return false;
    vt_err_set(err, VT_E_NOTFOUND, "the current copy expires before the verification time, which is in the future "
                                   "(not fetched again before it expires)");
    return true;
}

/* True when the fresh answer was issued before the cached copy it would replace (o->issued). */
static bool older_than(const vt_buf *fresh, const vt_buf *cached, const vt__fetch_opts *o)
{
    vt_time a = 0, b = 0;

    return o->issued != NULL && o->issued(&a, fresh->data, fresh->len, NULL) == VT_OK &&
           o->issued(&b, cached->data, cached->len, NULL) == VT_OK && a < b;
}

static void cache_put(const char *path, const vt_buf *body, const vt_buf *hdr, const vt__fetch_opts *o)
{
    vt_buf f;
    uint8_t n[8] = { 'V', 'T', 'F', '1', 0, 0, 0, 0 };

    vt_buf_init(&f);
    if (o->header == NULL) {
        if (vt_file_write(path, body->data, body->len, 0644, NULL) != VT_OK) {
            /* a cache that cannot be written is no reason to fail: the next run asks again */
        }
        return;
    }
    n[4] = (uint8_t)(hdr->len >> 24);
    n[5] = (uint8_t)(hdr->len >> 16);
    n[6] = (uint8_t)(hdr->len >> 8);
    n[7] = (uint8_t)hdr->len;
    if (vt_buf_append(&f, n, sizeof(n), NULL) == VT_OK && vt_buf_append(&f, hdr->data, hdr->len, NULL) == VT_OK &&
        vt_buf_append(&f, body->data, body->len, NULL) == VT_OK &&
        vt_file_write(path, f.data, f.len, 0644, NULL) != VT_OK) {
        /* as above */
    }
    vt_buf_free(&f);
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

/* Takes the per-URL lock, waiting at most wait_s for a request in flight (wait_s < 0: not at all). */
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
        if (wait_s < 0) {
            vt_err_set(err, VT_E_IO, "a request for the same URL is in flight");
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

/* One GET (or POST) through the transport, its status mapped to an error.
 * On failure *backoff says how long not to ask again (0: not remembered). */
static vt_status http_get(vt_buf *body, vt_buf *hdr, const char *url, const vt__fetch_opts *o, size_t max,
                         long *backoff, vt_err *err)
{
    vt_fetch_transport_fn fn = atomic_load(&transport_fn);
    vt_fetch_request rq = { 0 };
    vt_fetch_reply rp = { 0 };
    vt_status rc;

    *backoff = VT_FETCH_BACKOFF_NET_S;
    if (fn == NULL) {
        *backoff = 0;
        return vt_err_set(err, VT_E_IO, "no network transport (this program verifies offline; see veritee/fetch.h)");
    }
    rq.url = url;
    rq.post = o->post;
    rq.post_len = o->post_len;
    rq.post_type = o->post != NULL ? (o->post_type != NULL ? o->post_type : "application/octet-stream") : NULL;
    rq.header = o->header;
    rq.header_max = hdr_cap(o);
    rq.max_len = max;
    rq.connect_timeout_s = o->connect_timeout_s > 0 ? o->connect_timeout_s : VT_FETCH_CONNECT_TIMEOUT_S;
    rq.total_timeout_s = o->total_timeout_s > 0 ? o->total_timeout_s : VT_FETCH_TOTAL_TIMEOUT_S;
    atomic_fetch_add(&network_count, 1);
    rc = fn(atomic_load(&transport_ctx), &rq, &rp, body, hdr, err);
    if (rc == VT_E_LIMIT)
        *backoff = VT_FETCH_BACKOFF_BAD_S;
    if (rc != VT_OK)
        return rc;
    if (rp.status == 200 && body->len > 0 && o->header != NULL && !rp.header_seen) {
        *backoff = VT_FETCH_BACKOFF_BAD_S;
        return vt_err_set(err, VT_E_FORMAT, "HTTP 200 without the %s header", o->header);
    }
    if (rp.status == 200 && body->len > 0)
        return VT_OK;
    if (rp.status == 200) {
        *backoff = VT_FETCH_BACKOFF_BAD_S;
        return vt_err_set(err, VT_E_FORMAT, "empty response");
    }
    if (rp.status == 404) {
        *backoff = VT_FETCH_BACKOFF_NOTFOUND_S;
        return vt_err_set(err, VT_E_NOTFOUND, "HTTP 404: not found");
    }
    if (rp.status == 429) {
        long retry = rp.retry_after_s > 0 ? rp.retry_after_s : VT_FETCH_BACKOFF_RATE_S;
        *backoff = retry > VT_FETCH_BACKOFF_MAX_S ? VT_FETCH_BACKOFF_MAX_S : retry;
        return vt_err_set(err, VT_E_IO, "rate-limited (HTTP 429); not asking again for %ld s", *backoff);
    }
    *backoff = VT_FETCH_BACKOFF_HTTP_S;
    return vt_err_set(err, VT_E_IO, "HTTP %ld", rp.status);
}

static vt_status fetch_checked(vt_buf *body, vt_buf *hdr, vt_time *until, const char *url, const vt__fetch_opts *o,
                               size_t max, long *backoff, vt_err *err)
{
    vt_status rc = http_get(body, hdr, url, o, max, backoff, err);

    if (rc == VT_OK) {
        rc = answer_check(until, body, hdr, o, err);
        if (rc != VT_OK)
            *backoff = VT_FETCH_BACKOFF_BAD_S;
    }
    return rc;
}

static vt_status hand_over(vt_buf *out, vt_buf *hdr_out, const vt_buf *body, const vt_buf *hdr, vt_err *err)
{
    vt_status rc = vt_buf_append(out, body->data, body->len, err);

    if (rc == VT_OK && hdr_out != NULL) {
        rc = vt_buf_append(hdr_out, hdr->data, hdr->len, err);
        if (rc != VT_OK)
            out->len -= body->len;
    }
    return rc;
}

vt_status vt__fetch_ex(vt_buf *out, vt_buf *hdr_out, vt_time *until_out, int *source, const char *url,
                       const vt__fetch_opts *o, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    size_t max = o == NULL || o->max_len == 0 ? VT_FETCH_MAX_DEFAULT : o->max_len;
    bool cached = o != NULL && o->cache_dir != NULL && o->cache_dir[0] != '\0';
    fetch_paths *p = NULL;
    vt_buf body, hdr, cbody, chdr;
    vt_time now, until = INT64_MAX, cuntil = INT64_MAX, nuntil = 0;
    vt_status ncode = VT_E_IO;
    char nmsg[NEG_MAX];
    long backoff = 0;
    int fd = -1, entry = ENTRY_MISS, src = VT_FETCH_NONE;
    vt_err e = { 0 };

    vt_buf_init(&body);
    vt_buf_init(&hdr);
    vt_buf_init(&cbody);
    vt_buf_init(&chdr);
    if (source != NULL)
        *source = VT_FETCH_NONE;
    if (until_out != NULL)
        *until_out = INT64_MAX;
    if (out == NULL || url == NULL || o == NULL || (o->header != NULL && hdr_out == NULL))
        return vt_err_set(err, VT_E_ARG, "fetch: out, url and options (and hdr_out with a header) are required");
    if (strlen(url) >= VT_FETCH_URL_MAX || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return vt_err_set(err, VT_E_ARG, "not an http(s) URL of at most %d bytes", VT_FETCH_URL_MAX - 1);
    if (cached) {
        p = calloc(1, sizeof(*p));
        if (p == NULL)
            return vt_err_set(err, VT_E_NOMEM, "out of memory");
        rc = paths_make(p, o->cache_dir, url, o, err);
        if (rc != VT_OK)
            goto out;
        entry = cache_get(&cbody, &chdr, &cuntil, p->bin, o, max);
        if (entry == ENTRY_FRESH)
            goto use_cached;
        if (o->network && future_stop(entry, cuntil, o, vt_time_now(), err)) {
            rc = VT_E_NOTFOUND;
            goto out;
        }
    }
    if (!o->network) {
        rc = entry == ENTRY_EXPIRED ? vt_err_set(err, VT_E_NOTFOUND, "cached copy expired, and fetching is off")
                                    : vt_err_set(err, VT_E_NOTFOUND, "not cached, and fetching is off");
        goto out;
    }
    if (!cached) {
        rc = fetch_checked(&body, &hdr, &until, url, o, max, &backoff, err);
        if (rc == VT_OK)
            src = VT_FETCH_FROM_NETWORK;
        goto done;
    }
    rc = vt_mkdir_p(o->cache_dir, 0700, err);
    if (rc != VT_OK)
        goto out;
    /* Refreshing ahead of expiry never makes anyone wait: who finds the lock taken uses the cached copy. */
    fd = lock_take(p->lock,
                   entry == ENTRY_REFRESH ? -1
                                          : (o->connect_timeout_s > 0 ? o->connect_timeout_s : VT_FETCH_CONNECT_TIMEOUT_S) +
                                                (o->total_timeout_s > 0 ? o->total_timeout_s : VT_FETCH_TOTAL_TIMEOUT_S) + 5,
                   entry == ENTRY_REFRESH ? NULL : err);
    if (fd < 0) {
        if (entry == ENTRY_REFRESH)
            goto use_cached;
        rc = VT_E_IO;
        goto out;
    }
    /* Whoever held the lock may have fetched it, or failed, meanwhile. */
    if (entry != ENTRY_REFRESH) {
        cbody.len = 0;
        chdr.len = 0;
        entry = cache_get(&cbody, &chdr, &cuntil, p->bin, o, max);
        if (entry == ENTRY_FRESH)
            goto use_cached;
    }
    now = vt_time_now();
    if (future_stop(entry, cuntil, o, now, err)) {
        rc = VT_E_NOTFOUND;
        goto out;
    }
    if (neg_get(p->neg, now, &nuntil, &ncode, nmsg, sizeof(nmsg))) {
        if (entry == ENTRY_REFRESH)
            goto use_cached;
        rc = vt_err_set(err, ncode, "%s (remembered failure; next attempt in %lld s)", nmsg,
                        (long long)(nuntil - now));
        goto out;
    }
    rc = fetch_checked(&body, &hdr, &until, url, o, max, &backoff, &e);
    if (rc == VT_OK && entry == ENTRY_REFRESH && older_than(&body, &cbody, o)) {
        unlink(p->neg);
        goto use_cached; /* never back in time: the cached copy is newer, and good until its expiry */
    }
    if (rc == VT_OK) {
        src = VT_FETCH_FROM_NETWORK;
        /* An answer already past its expiry is not kept (at a verification time in the future: one
         * still good now is, so that the next such request finds it and does not ask again). */
        if (o->expiry == NULL || until >= (o->now < now ? o->now : now))
            cache_put(p->bin, &body, &hdr, o);
        unlink(p->neg);
    } else {
        if (rc != VT_E_NOMEM && rc != VT_E_INTERNAL && backoff > 0)
            neg_put(p->neg, now + backoff, rc, e.msg);
        if (entry == ENTRY_REFRESH)
            goto use_cached; /* still good until its expiry */
        vt_err_set(err, rc, "%s", e.msg);
    }
    goto done;
use_cached:
    rc = VT_OK;
    src = VT_FETCH_FROM_CACHE;
    vt_buf_free(&body);
    vt_buf_free(&hdr);
    body = cbody;
    hdr = chdr;
    vt_buf_init(&cbody);
    vt_buf_init(&chdr);
    until = cuntil;
done:
    if (rc == VT_OK) {
        rc = hand_over(out, hdr_out, &body, &hdr, err);
        if (rc == VT_OK) {
            if (source != NULL)
                *source = src;
            if (until_out != NULL)
                *until_out = until;
        }
    }
out:
    if (fd >= 0)
        close(fd); /* releases the lock */
    vt_buf_free(&body);
    vt_buf_free(&hdr);
    vt_buf_free(&cbody);
    vt_buf_free(&chdr);
    free(p);
    return rc;
}

vt_status vt__fetch(vt_buf *out, int *source, const char *url, const vt__fetch_opts *o, vt_err *err)
{
    if (o != NULL && o->header != NULL)
        return vt_err_set(err, VT_E_ARG, "fetch: a header is kept only through vt__fetch_ex");
    return vt__fetch_ex(out, NULL, NULL, source, url, o, err);
}

void vt__fetch_forget(const char *url, const vt__fetch_opts *o, const char *why)
{
    fetch_paths p;

    if (o == NULL || url == NULL || o->cache_dir == NULL || o->cache_dir[0] == '\0' ||
        paths_make(&p, o->cache_dir, url, o, NULL) != VT_OK)
        return;
    unlink(p.bin);
    neg_put(p.neg, vt_time_now() + VT_FETCH_BACKOFF_BAD_S, VT_E_FORMAT, why);
}
