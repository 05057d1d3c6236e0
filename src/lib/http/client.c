/* A blocking JSON client over libcurl for the CLI: one request per call,
 * a cap on the response size, and errors that say which URL failed and why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "veritee/crypto.h"
#include "veritee/http.h"

#include "curl_int.h"

struct vt_http_conn {
    CURL *c;
};

vt_status vt_http_conn_new(vt_http_conn **out, vt_err *err)
{
    vt_http_conn *k;

    *out = NULL;
    if (vt__curl_start(err) != VT_OK)
        return VT_E_INTERNAL;
    k = calloc(1, sizeof(*k));
    if (k == NULL)
        return vt_err_set(err, VT_E_NOMEM, "http: out of memory");
    k->c = curl_easy_init();
    if (k->c == NULL) {
        free(k);
        return vt_err_set(err, VT_E_NOMEM, "http: libcurl cannot start");
    }
    *out = k;
    return VT_OK;
}

void vt_http_conn_free(vt_http_conn *k)
{
    if (k == NULL)
        return;
    curl_easy_cleanup(k->c);
    free(k);
}

void vt_http_response_clear(vt_http_response *r)
{
    if (r == NULL)
        return;
    vt_buf_free(&r->body);
    r->status = 0;
}

/* ---- TLS: a pinned key, or the key captured for the caller to check ---- */

static void tls_setup(CURL *c, const vt_http_client_opts *o)
{
    if (o == NULL || (o->tls_pin == NULL && o->tls_key_out == NULL))
        return;
    if (o->tls_key_out != NULL)
        memset(o->tls_key_out, 0, 32);
    /* The key, not a CA, is what is trusted: curl checks a pin whatever VERIFYPEER says. */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    if (o->tls_pin != NULL)
        curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, o->tls_pin);
    if (o->tls_key_out != NULL)
        curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
}

/* The server certificate's key digest into o->tls_key_out (https only). */
static vt_status tls_capture(CURL *c, const vt_http_client_opts *o, const char *url, vt_err *err)
{
    struct curl_certinfo *ci = NULL;
    vt_x509 *x[1] = { NULL };
    vt_pkey *k = NULL;
    size_t n = 0;
    vt_status rc = VT_OK;

    if (o == NULL || o->tls_key_out == NULL || strncmp(url, "https://", 8) != 0)
        return VT_OK;
    if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL || ci->num_of_certs < 1)
        return vt_err_set(err, VT_E_CRYPTO, "http: %s: the server's TLS certificate is not available", url);
    for (struct curl_slist *l = ci->certinfo[0]; l != NULL; l = l->next)
        if (strncmp(l->data, "Cert:", 5) == 0)
            rc = vt_x509_list_from_pem(x, &n, 1, l->data + 5, strlen(l->data + 5), err);
    if (rc == VT_OK && n != 1)
        rc = vt_err_set(err, VT_E_CRYPTO, "http: %s: the server's TLS certificate cannot be read", url);
    if (rc == VT_OK)
        rc = vt_x509_pubkey(&k, x[0], err);
    if (rc == VT_OK)
        rc = vt_pkey_spki_sha256(o->tls_key_out, k, err);
    vt_pkey_free(k);
    vt_x509_free(x[0]);
    return rc;
}

vt_status vt_http_request(vt_http_response *out, const char *method, const char *url, const char *body,
                          const vt_http_client_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    CURL *c = NULL;
    CURLcode cc;
    struct curl_slist *hdr = NULL;
    vt__curl_sink sink = { 0 };
    char auth[1100], ebuf[CURL_ERROR_SIZE] = "";
    char *authz = NULL;
    long timeout = opts != NULL && opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    bool kept = opts != NULL && opts->conn != NULL;

    memset(out, 0, sizeof(*out));
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return vt_err_set(err, VT_E_ARG, "http: URL must start with http:// or https:// (got '%s')",
                          url != NULL ? url : "");
    if (vt__curl_start(err) != VT_OK)
        return VT_E_INTERNAL;
    if (kept) {
        c = opts->conn->c; /* its connection cache survives the reset */
        curl_easy_reset(c);
    } else {
        c = curl_easy_init();
    }
    if (c == NULL)
        return vt_err_set(err, VT_E_NOMEM, "http: libcurl cannot start");
    sink.b = &out->body;
    sink.max = opts != NULL && opts->max_response > 0 ? opts->max_response : (size_t)8 << 20;
    hdr = curl_slist_append(hdr, "Accept: application/json");
    if (body != NULL)
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (opts != NULL && opts->authorization != NULL) {
        size_t n = strlen(opts->authorization) + sizeof("Authorization: ");
        if (strchr(opts->authorization, '\r') != NULL || strchr(opts->authorization, '\n') != NULL ||
            n > ((size_t)64 << 10)) {
            rc = vt_err_set(err, VT_E_ARG, "http: authorization value too long or not one line");
            goto out;
        }
        authz = malloc(n);
        if (authz == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "http: out of memory");
            goto out;
        }
        snprintf(authz, n, "Authorization: %s", opts->authorization);
        hdr = curl_slist_append(hdr, authz);
    } else if (opts != NULL && opts->bearer != NULL) {
        if (snprintf(auth, sizeof(auth), "Authorization: Bearer %s", opts->bearer) >= (int)sizeof(auth)) {
            rc = vt_err_set(err, VT_E_ARG, "http: bearer token too long");
            goto out;
        }
        hdr = curl_slist_append(hdr, auth);
        vt_wipe(auth, sizeof(auth));
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, vt__curl_sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    tls_setup(c, opts);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    cc = curl_easy_perform(c);
    if (sink.over) {
        rc = vt_err_set(err, VT_E_LIMIT, "http: %s: response exceeds %zu bytes", url, sink.max);
        goto out;
    }
    if (sink.nomem) {
        rc = vt_err_set(err, VT_E_NOMEM, "http: %s: out of memory", url);
        goto out;
    }
    if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
        rc = vt_err_set(err, VT_E_IO, "cannot connect to %s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = vt_err_set(err, VT_E_IO, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    rc = tls_capture(c, opts, url, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&out->body, err);
out:
    if (rc != VT_OK)
        vt_http_response_clear(out);
    curl_slist_free_all(hdr);
    free(authz);
    if (!kept)
        curl_easy_cleanup(c);
    return rc;
}

void vt_http_response_error(char *out, size_t out_len, const vt_http_response *r)
{
    json_t *j = NULL;
    const char *code = NULL, *msg = NULL;

    if (r->body.data != NULL)
        j = json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
    if (j != NULL && json_unpack(j, "{s:{s:s, s:s}}", "error", "code", &code, "message", &msg) == 0)
        snprintf(out, out_len, "%s: %s", code, msg);
    else
        snprintf(out, out_len, "HTTP %ld", r->status);
    json_decref(j);
}

/* ---- streaming responses ---- */
#define HEADER_CAPTURE_MAX ((size_t)64 << 10)

struct stream_sink {
    const vt_http_stream_opts *so;
    vt_buf *b;
    size_t max;
    bool over, aborted, header_over;
};

static size_t on_stream_data(char *p, size_t size, size_t n, void *arg)
{
    struct stream_sink *s = arg;
    size_t len = size * n;

    if (s->so->keep_body) {
        if (s->b->len + len > s->max) {
            s->over = true;
            return 0;
        }
        if (vt_buf_append(s->b, p, len, NULL) != VT_OK)
            return 0;
    }
    if (s->so->on_chunk != NULL && !s->so->on_chunk(s->so->arg, (const uint8_t *)p, len)) {
        s->aborted = true;
        return 0;
    }
    return len;
}

/* curl hands each header line "Name: value\r\n" separately, also those of
 * interim (1xx) responses: the last match wins. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct stream_sink *s = arg;
    size_t len = size * n, nl = strlen(s->so->header), i;

    if (len > nl && p[nl] == ':' && strncasecmp(p, s->so->header, nl) == 0) {
        i = nl + 1;
        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        while (len > i && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        s->so->header_value->len = 0;
        if (len - i > HEADER_CAPTURE_MAX) {
            s->header_over = true;
            return 0;
        }
        if (vt_buf_append(s->so->header_value, p + i, len - i, NULL) != VT_OK ||
            vt_buf_terminate(s->so->header_value, NULL) != VT_OK)
            return 0;
    }
    return size * n;
}

vt_status vt_http_request_stream(vt_http_response *out, const char *method, const char *url,
                                 const vt_http_stream_opts *so, const vt_http_client_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    CURL *c = NULL;
    CURLcode cc;
    struct curl_slist *hdr = NULL;
    struct stream_sink sink;
    char line[1100], ebuf[CURL_ERROR_SIZE] = "";
    long timeout = opts != NULL && opts->timeout_ms > 0 ? opts->timeout_ms : 30000;

    memset(out, 0, sizeof(*out));
    if (so == NULL || method == NULL || (so->header != NULL && (so->header_value == NULL || so->header[0] == '\0')))
        return vt_err_set(err, VT_E_ARG, "http: stream options are incomplete");
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return vt_err_set(err, VT_E_ARG, "http: URL must start with http:// or https:// (got '%s')",
                          url != NULL ? url : "");
    if (vt__curl_start(err) != VT_OK)
        return VT_E_INTERNAL;
    c = curl_easy_init();
    if (c == NULL)
        return vt_err_set(err, VT_E_NOMEM, "http: libcurl cannot start");
    memset(&sink, 0, sizeof(sink));
    sink.so = so;
    sink.b = &out->body;
    sink.max = opts != NULL && opts->max_response > 0 ? opts->max_response : (size_t)8 << 20;
    snprintf(line, sizeof(line), "Accept: %.1000s", so->accept != NULL ? so->accept : "application/json");
    hdr = curl_slist_append(hdr, line);
    if (so->body != NULL) {
        snprintf(line, sizeof(line), "Content-Type: %.1000s",
                 so->content_type != NULL ? so->content_type : "application/json");
        hdr = curl_slist_append(hdr, line);
    }
    if (opts != NULL && opts->bearer != NULL) {
        if (snprintf(line, sizeof(line), "Authorization: Bearer %s", opts->bearer) >= (int)sizeof(line)) {
            rc = vt_err_set(err, VT_E_ARG, "http: bearer token too long");
            goto out;
        }
        hdr = curl_slist_append(hdr, line);
        vt_wipe(line, sizeof(line));
    }
    if (so->header_value != NULL)
        so->header_value->len = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    if (so->header != NULL) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
    }
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    /* The bytes hashed by the caller must be the bytes on the wire: no
     * transparent decompression. */
    curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    tls_setup(c, opts);
    if (so->body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)so->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)so->body_len);
    }
    cc = curl_easy_perform(c);
    if (sink.over || sink.header_over) {
        rc = vt_err_set(err, VT_E_LIMIT, "http: %s: response %s exceeds %zu bytes", url,
                        sink.over ? "body" : "header", sink.over ? sink.max : HEADER_CAPTURE_MAX);
        goto out;
    }
    if (sink.aborted) {
        rc = vt_err_set(err, VT_E_IO, "%s: aborted", url);
        goto out;
    }
    if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
        rc = vt_err_set(err, VT_E_IO, "cannot connect to %s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = vt_err_set(err, VT_E_IO, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    rc = tls_capture(c, opts, url, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&out->body, err);
out:
    if (rc != VT_OK)
        vt_http_response_clear(out);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return rc;
}
