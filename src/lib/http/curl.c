/* libcurl start-up and the capped body sink shared by http/'s clients (curl_int.h). */
#include <pthread.h>

#include <curl/curl.h>

#include "curl_int.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

vt_status vt__curl_start(vt_err *err)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return vt_err_set(err, VT_E_INTERNAL, "http: libcurl cannot start: %s", curl_easy_strerror(curl_init_rc));
    return VT_OK;
}

size_t vt__curl_sink_write(char *p, size_t size, size_t n, void *sink)
{
    vt__curl_sink *s = sink;
    size_t len = size * n; /* size is always 1 */

    if (len > s->max || s->b->len > s->max - len) {
        s->over = true;
        return 0; /* aborts the transfer */
    }
    if (vt_buf_append(s->b, p, len, NULL) != VT_OK) {
        s->nomem = true;
        return 0;
    }
    return len;
}
