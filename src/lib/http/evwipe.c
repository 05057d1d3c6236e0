/* Bytes in libevent's buffers wiped where they lie, and what it frees (evwipe.h). */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>

#include "http/evwipe.h"

void vt__http_evwipe(struct evbuffer *b)
{
    struct evbuffer_ptr at;
    struct evbuffer_iovec v[16];
    int n;

    if (b == NULL || evbuffer_ptr_set(b, &at, 0, EVBUFFER_PTR_SET) != 0)
        return;
    /* Every extent in turn, as many as there are (evbuffer_peek from a position). */
    while ((n = evbuffer_peek(b, -1, &at, v, 16)) > 0) {
        size_t done = 0;
        for (int i = 0; i < n && i < 16; i++) {
            vt_wipe(v[i].iov_base, v[i].iov_len);
            done += v[i].iov_len;
        }
        if (n <= 16 || evbuffer_ptr_set(b, &at, done, EVBUFFER_PTR_ADD) != 0)
            break;
    }
}

vt_status vt__http_evwipe_take(vt_buf *out, struct evbuffer *b, vt_err *err)
{
    size_t len = evbuffer_get_length(b);
    vt_status rc = vt_buf_reserve(out, len, err);

    if (rc == VT_OK && len > 0 && evbuffer_copyout(b, out->data + out->len, len) != (ev_ssize_t)len)
        rc = vt_err_set(err, VT_E_INTERNAL, "http: cannot copy a buffer out");
    if (rc == VT_OK)
        out->len += len;
    vt__http_evwipe(b);
    return rc;
}

void vt__http_evwipe_header(struct evkeyvalq *headers, const char *name)
{
    struct evkeyval *h;

    if (headers == NULL)
        return;
    TAILQ_FOREACH(h, headers, next)
        if (h->key != NULL && h->value != NULL && strcasecmp(h->key, name) == 0)
            vt_wipe(h->value, strlen(h->value));
}

/* libevent's free: the whole block wiped first (what malloc gave, not only what was asked). */
static void wipe_free(void *p)
{
    if (p == NULL)
        return;
    vt_wipe(p, malloc_usable_size(p));
    free(p);
}

/* libevent's realloc: a block that grows moves, and the old one is wiped as it is freed. */
static void *wipe_realloc(void *p, size_t n)
{
    size_t old;
    void *q;

    if (p == NULL)
        return malloc(n);
    if (n == 0) {
        wipe_free(p);
        return NULL;
    }
    old = malloc_usable_size(p);
    if (n <= old)
        return p;
    q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old);
    wipe_free(p);
    return q;
}

void vt__http_evwipe_frees(void)
{
    event_set_mem_functions(malloc, wipe_realloc, wipe_free);
}
