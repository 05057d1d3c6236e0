/*
 * The libcurl transport behind collateral fetching (veritee/fetch.h): one
 * request per call, no redirects, http and https only, the body and one
 * response header capped while they arrive.  The cache, locking, backoff and
 * status handling stay in the core (tee/fetch.c); this file only moves bytes.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "veritee/fetch.h"
#include "veritee/http.h"

#include "curl_int.h"

typedef struct hsink {
    const char *name;
    vt_buf *b;
    size_t max;
    bool seen, too_big, nomem;
} hsink;

/* One header line "Name: value\r\n" (the status line of each response resets:
 * only the final response's header counts). */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    hsink *h = ud;
    size_t len = size * n, nl = strlen(h->name);
    const char *v, *end = p + len;

    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        h->b->len = 0;
        h->seen = false;
        return len;
    }
    if (len <= nl || p[nl] != ':' || strncasecmp(p, h->name, nl) != 0)
        return len;
    if (h->seen) {
        h->too_big = true; /* two of the same: refuse rather than pick one */
        return 0;
    }
    h->seen = true;
    v = p + nl + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if ((size_t)(end - v) > h->max) {
        h->too_big = true;
        return 0;
    }
    if (vt_buf_append(h->b, v, (size_t)(end - v), NULL) != VT_OK) {
        h->nomem = true;
        return 0;
    }
    return len;
}

static vt_status curl_transport(void *ctx, const vt_fetch_request *rq, vt_fetch_reply *rp, vt_buf *body,
                                vt_buf *hdr, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char ebuf[CURL_ERROR_SIZE];
    vt__curl_sink s = { body, rq->max_len, false, false };
    hsink hs = { rq->header, hdr, rq->header_max, false, false, false };
    CURL *h = NULL;
    struct curl_slist *hl = NULL;
    char ctype[128];
    CURLcode cr;
    curl_off_t retry = 0;

    (void)ctx;
    memset(rp, 0, sizeof(*rp));
    if (vt__curl_start(err) != VT_OK)
        return VT_E_INTERNAL;
    h = curl_easy_init();
    if (h == NULL)
        return vt_err_set(err, VT_E_NOMEM, "libcurl: out of memory");
    ebuf[0] = '\0';
    if (curl_easy_setopt(h, CURLOPT_URL, rq->url) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, rq->connect_timeout_s) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT, rq->total_timeout_s) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->max_len) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, vt__curl_sink_write) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_USERAGENT, "veritee") != CURLE_OK) {
        rc = vt_err_set(err, VT_E_INTERNAL, "libcurl refused an option");
        goto out;
    }
    if (rq->post != NULL) {
        snprintf(ctype, sizeof(ctype), "Content-Type: %.100s",
                 rq->post_type != NULL ? rq->post_type : "application/octet-stream");
        hl = curl_slist_append(NULL, ctype);
        if (hl == NULL || curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)rq->post) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->post_len) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl) != CURLE_OK) {
            rc = vt_err_set(err, VT_E_INTERNAL, "libcurl refused an option");
            goto out;
        }
    }
    if (rq->header != NULL && (curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
                               curl_easy_setopt(h, CURLOPT_HEADERDATA, &hs) != CURLE_OK)) {
        rc = vt_err_set(err, VT_E_INTERNAL, "libcurl refused an option");
        goto out;
    }
    cr = curl_easy_perform(h);
    if (hs.too_big) {
        rc = vt_err_set(err, VT_E_LIMIT, "%s header repeated or larger than %zu bytes, refused", rq->header,
                        hs.max);
        goto out;
    }
    if (hs.nomem || s.nomem) {
        rc = vt_err_set(err, VT_E_NOMEM, "out of memory");
        goto out;
    }
    if (s.over || cr == CURLE_FILESIZE_EXCEEDED) {
        rc = vt_err_set(err, VT_E_LIMIT, "response larger than %zu bytes, refused", rq->max_len);
        goto out;
    }
    if (cr != CURLE_OK) {
        rc = vt_err_set(err, VT_E_IO, "%s", ebuf[0] != '\0' ? ebuf : curl_easy_strerror(cr));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rp->status);
    if (rp->status == 429 && curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0)
        rp->retry_after_s = retry > 86400 ? 86400 : (long)retry;
    rp->header_seen = hs.seen;
    rc = VT_OK;
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(hl);
    return rc;
}

void vt_http_fetch_install(void)
{
    vt_fetch_set_transport(curl_transport, NULL);
}
