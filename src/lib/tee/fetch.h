/*
 * Internal: fetching verification collateral over HTTP(S) with a disk cache
 * (docs/formats/sevsnp.md, "Fetching from AMD KDS").  Nothing fetched is
 * trusted: callers verify it like any other collateral.  The cache exists to
 * spare vendor services that rate-limit hard, and to let verification work
 * offline once a certificate has been seen.
 *
 * With a cache directory, for each URL (key: SHA-256 of the URL):
 *   <hex>.bin    the body of the last good answer (written atomically)
 *   <hex>.neg    a remembered failure: not retried before its time is up
 *   <hex>.lock   flock()ed while a request is in flight, so that one
 *                request per URL is in flight across threads and processes
 */
#ifndef VT_TEE_FETCH_H
#define VT_TEE_FETCH_H

#include "veritee/base.h"

#define VT_FETCH_MAX_DEFAULT (64u * 1024u) /* certificates and chains are a few KiB */
#define VT_FETCH_CONNECT_TIMEOUT_S 5
#define VT_FETCH_TOTAL_TIMEOUT_S 20
#define VT_FETCH_URL_MAX 1024

/* Backoff after a failure, in seconds (a 429's Retry-After wins, capped). */
#define VT_FETCH_BACKOFF_NET_S 30       /* connection refused, DNS, timeout */
#define VT_FETCH_BACKOFF_HTTP_S 60      /* 5xx and other statuses */
#define VT_FETCH_BACKOFF_RATE_S 60      /* 429 without Retry-After */
#define VT_FETCH_BACKOFF_NOTFOUND_S 600 /* 404: the same question gets the same answer */
#define VT_FETCH_BACKOFF_BAD_S 600      /* too large, or refused by the check */
#define VT_FETCH_BACKOFF_MAX_S 3600

/* Accepts or refuses a body before it is returned or cached. */
typedef vt_status (*vt__fetch_check_fn)(const uint8_t *p, size_t len, vt_err *err);

typedef struct vt__fetch_opts {
    const char *cache_dir;    /* borrowed; NULL: no disk cache, lock or backoff */
    bool network;             /* false: answer from the cache only */
    size_t max_len;           /* body cap; 0 = VT_FETCH_MAX_DEFAULT */
    long connect_timeout_s;   /* 0 = VT_FETCH_CONNECT_TIMEOUT_S */
    long total_timeout_s;     /* 0 = VT_FETCH_TOTAL_TIMEOUT_S */
    vt__fetch_check_fn check; /* optional */
} vt__fetch_opts;

enum { VT_FETCH_NONE = 0, VT_FETCH_FROM_CACHE = 1, VT_FETCH_FROM_NETWORK = 2 };

/*
 * Appends the body for url to out.  *source (optional) says where it came
 * from.  VT_E_NOTFOUND: not cached and the network is off, or HTTP 404.
 * VT_E_IO: a network failure, an HTTP error, HTTP 429 ("rate-limited"), or a
 * remembered failure whose backoff has not expired.  VT_E_LIMIT: the body is
 * larger than max_len.  VT_E_FORMAT: the check refused the body.  VT_E_ARG:
 * a URL that is not http(s) or too long.  Messages give the reason only (the
 * caller names the service); out is unchanged on failure.
 */
VT_NODISCARD vt_status vt__fetch(vt_buf *out, int *source, const char *url, const vt__fetch_opts *o, vt_err *err);

#endif
