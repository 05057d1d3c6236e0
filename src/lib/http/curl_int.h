/*
 * What the two libcurl clients in http/ share (client.c: the CLI's JSON client;
 * fetch_curl.c: the collateral transport): starting libcurl once, and a body
 * sink that stops a transfer at a size cap.  Internal to src/lib/http/.
 */
#ifndef VT_HTTP_CURL_INT_H
#define VT_HTTP_CURL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "veritee/base.h"

/* curl_global_init once per process (it is not thread-safe in every libcurl
 * this may link with); VT_OK, or why libcurl cannot start. */
vt_status vt__curl_start(vt_err *err);

/* A response body appended to b, at most max bytes.  over or nomem says why a
 * transfer was stopped early (the write callback returned 0). */
typedef struct vt__curl_sink {
    vt_buf *b;
    size_t max;
    bool over, nomem;
} vt__curl_sink;

/* CURLOPT_WRITEFUNCTION for a vt__curl_sink passed as CURLOPT_WRITEDATA. */
size_t vt__curl_sink_write(char *p, size_t size, size_t n, void *sink);

#endif
