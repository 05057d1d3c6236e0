/*
 * Internal: fetching verification collateral over HTTP(S) with a disk cache
 * (docs/formats/sevsnp.md, "Fetching from AMD KDS").  Nothing fetched is
 * trusted: callers verify it like any other collateral.  The cache exists to
 * spare vendor services that rate-limit hard, and to let verification work
 * offline once a certificate has been seen.
 *
 * With a cache directory, for each URL (key: SHA-256 of the URL, or of the
 * URL, a NUL and the body for a POST):
 *   <hex>.bin    the body of the last good answer (written atomically)
 *   <hex>.rsp    instead of .bin when a response header is kept with the
 *                body (Intel PCS issuer chains): "VTF1", the header's length
 *                (4 bytes, big-endian), the header, the body -- one file, so
 *                body and header are always replaced together
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
#define VT_FETCH_FUTURE_SKEW_S 300 /* a verification time further ahead than this is "in the future" */

/* Accepts or refuses a body before it is returned or cached. */
typedef vt_status (*vt__fetch_check_fn)(const uint8_t *p, size_t len, vt_err *err);
/* Accepts or refuses the captured header (raw, as received). */
typedef vt_status (*vt__fetch_hdr_check_fn)(const uint8_t *p, size_t len, vt_err *err);
/* When a body stops being usable (its nextUpdate); VT_OK with *until set. */
typedef vt_status (*vt__fetch_expiry_fn)(vt_time *until, const uint8_t *p, size_t len, vt_err *err);
/* When a body was issued (its issueDate, thisUpdate); VT_OK with *issued set. */
typedef vt_status (*vt__fetch_issued_fn)(vt_time *issued, const uint8_t *p, size_t len, vt_err *err);

typedef struct vt__fetch_opts {
    const char *cache_dir;    /* borrowed; NULL: no disk cache, lock or backoff */
    bool network;             /* false: answer from the cache only */
    size_t max_len;           /* body cap; 0 = VT_FETCH_MAX_DEFAULT */
    long connect_timeout_s;   /* 0 = VT_FETCH_CONNECT_TIMEOUT_S */
    long total_timeout_s;     /* 0 = VT_FETCH_TOTAL_TIMEOUT_S */
    vt__fetch_check_fn check; /* optional */
    /* Optional: a response header kept with the body (case-insensitive name,
     * e.g. "TCB-Info-Issuer-Chain").  A response without it is refused. */
    const char *header;
    size_t header_max;            /* 0 = VT_FETCH_HDR_MAX_DEFAULT */
    vt__fetch_hdr_check_fn header_check; /* optional */
    /* Optional: expiry.  A cached answer whose expiry is before `now` is not
     * used (it is fetched again, or VT_E_NOTFOUND when the network is off);
     * within refresh_before_s of its expiry and with the network on, the
     * first caller that finds the lock free fetches a new one and, when that
     * fails, still answers with the cached copy; other callers meanwhile get
     * the cached copy without waiting.  A fresh answer already past its
     * expiry is returned (the caller's own checks reject it) but not cached,
     * unless now is in the future and it is still good at the real time.  With
     * now in the future and a cached copy good at the real time but not at
     * now, nothing is fetched (VT_E_NOTFOUND): it would be the same document. */
    vt__fetch_expiry_fn expiry;
    vt_time now;                  /* with expiry: the verification time */
    int64_t refresh_before_s;     /* with expiry; 0 = no refresh ahead */
    /* Optional, with refresh ahead: a refreshed answer issued before the cached
     * copy it would replace (an older document served again, by a stale mirror
     * or whoever sits on the way) is not taken; the cached copy is answered and
     * kept.  A cached document never goes back in time. */
    vt__fetch_issued_fn issued;
    /* Optional: POST this body (borrowed) with this Content-Type instead of a
     * GET (OCSP).  The cache key is then the URL and the body together. */
    const uint8_t *post;
    size_t post_len;
    const char *post_type;
} vt__fetch_opts;

#define VT_FETCH_HDR_MAX_DEFAULT (16u * 1024u) /* an URL-encoded PEM chain of 2-3 certificates is ~3-5 KiB */

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

/* As vt__fetch(), and: the header named by o->header is appended to hdr_out
 * (required when o->header is set); *until (optional) gets the expiry the
 * o->expiry callback gave (INT64_MAX without one). */
VT_NODISCARD vt_status vt__fetch_ex(vt_buf *out, vt_buf *hdr_out, vt_time *until, int *source, const char *url,
                                    const vt__fetch_opts *o, vt_err *err);

/* Forgets the cached answer for url (with or without a kept header) and
 * remembers `why` as a failure for VT_FETCH_BACKOFF_BAD_S: for answers that
 * were fetched fine but then failed verification. */
void vt__fetch_forget(const char *url, const vt__fetch_opts *o, const char *why);

/* Fetches made over the network by this process (benchmarks, tests). */
unsigned long vt__fetch_network_count(void);

#endif
