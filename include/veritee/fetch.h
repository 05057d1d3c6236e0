/*
 * How libveritee reaches collateral services (Intel PCS, AMD KDS, NVIDIA RIM
 * and OCSP): through a transport the program installs.  The verify-only core
 * links no HTTP client: without a transport it verifies offline, from the
 * collateral given to it and its on-disk cache, and a fetch that would need
 * the network fails with VT_E_IO "no network transport".  The veritee
 * program installs its libcurl transport (vt_http_fetch_install() in
 * veritee/http.h); an embedder installs its own, or that one by linking the
 * services.  What is fetched is verified the same way whoever fetched it.
 */
#ifndef VERITEE_FETCH_H
#define VERITEE_FETCH_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One request.  All pointers are borrowed for the call. */
typedef struct vt_fetch_request {
    const char *url;           /* http:// or https:// */
    const uint8_t *post;       /* NULL: GET; else POST these bytes */
    size_t post_len;
    const char *post_type;     /* Content-Type of post */
    const char *header;        /* one response header to capture (case-insensitive), NULL = none */
    size_t header_max;         /* bytes of its value */
    size_t max_len;            /* bytes of the body */
    long connect_timeout_s;
    long total_timeout_s;
} vt_fetch_request;

/* What came back, when a response came back. */
typedef struct vt_fetch_reply {
    long status;               /* HTTP status of the final response */
    long retry_after_s;        /* Retry-After in seconds (HTTP 429), 0 when absent */
    bool header_seen;          /* the requested header was present (once) */
} vt_fetch_reply;

/*
 * Performs one request without following redirects.  Appends the body to
 * body and the requested header's value (trimmed) to hdr.  VT_OK whenever a
 * response arrived, whatever its status.  VT_E_LIMIT: the body exceeds
 * max_len, or the header is repeated or exceeds header_max.  VT_E_IO: no
 * response (err names the reason only).  VT_E_NOMEM.  Called from any thread.
 */
typedef vt_status (*vt_fetch_transport_fn)(void *ctx, const vt_fetch_request *rq, vt_fetch_reply *rp, vt_buf *body,
                                           vt_buf *hdr, vt_err *err);

/* Installs the transport (NULL: none, offline).  Call before verification
 * starts on any thread; ctx is borrowed for as long as it is installed. */
VT_API void vt_fetch_set_transport(vt_fetch_transport_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_FETCH_H */
