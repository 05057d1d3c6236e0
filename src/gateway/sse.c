/* Server-sent events: incremental parser and writer (see sse.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sse.h"

void vt_gw_sse_init(vt_gw_sse *p, size_t max_event_bytes, vt_gw_sse_cb cb, void *arg)
{
    memset(p, 0, sizeof(*p));
    p->cb = cb;
    p->arg = arg;
    p->max_event_bytes = max_event_bytes;
    p->ev.retry_ms = -1;
}

void vt_gw_sse_init_upstream(vt_gw_sse *p, size_t max_event_bytes, vt_gw_sse_cb cb, void *arg)
{
    vt_gw_sse_init(p, max_event_bytes, cb, arg);
    p->upstream = true;
}

void vt_gw_sse_free(vt_gw_sse *p)
{
    if (p == NULL)
        return;
    vt_buf_free(&p->line);
    vt_buf_free(&p->ev.event);
    vt_buf_free(&p->ev.data);
    vt_buf_free(&p->ev.id);
}

static void event_reset(vt_gw_sse *p)
{
    p->ev.event.len = 0;
    p->ev.data.len = 0;
    p->ev.id.len = 0;
    p->ev.has_id = false;
    p->ev.retry_ms = -1;
    p->ev.drop = false;
    p->ev.raw = false;
    p->have_data = false;
    p->drop_event = false;
    p->event_bytes = 0;
}

static vt_status set_buf(vt_buf *b, const uint8_t *v, size_t len, vt_err *err)
{
    b->len = 0;
    if (vt_buf_append(b, v, len, err) != VT_OK || vt_buf_terminate(b, err) != VT_OK)
        return vt_err_set(err, VT_E_NOMEM, "sse: out of memory");
    return VT_OK;
}

static vt_status dispatch(vt_gw_sse *p, vt_err *err)
{
    vt_status rc;

    if (!p->have_data || p->drop_event) { /* no data lines: nothing to dispatch (WHATWG) */
        event_reset(p);
        return VT_OK;
    }
    if (p->ev.data.len > 0 && p->ev.data.data[p->ev.data.len - 1] == '\n')
        p->ev.data.len--; /* the '\n' after the last data line is not part of the data */
    if (vt_buf_terminate(&p->ev.data, err) != VT_OK || vt_buf_terminate(&p->ev.event, err) != VT_OK ||
        vt_buf_terminate(&p->ev.id, err) != VT_OK)
        return vt_err_set(err, VT_E_NOMEM, "sse: out of memory");
    p->events++;
    rc = p->cb(p->arg, &p->ev, err);
    event_reset(p);
    return rc;
}

/* One complete line (without its terminator). */
static vt_status process_line(vt_gw_sse *p, const uint8_t *l, size_t n, vt_err *err)
{
    const uint8_t *colon;
    const uint8_t *v;
    size_t flen, vlen;

    if (n == 0)
        return dispatch(p, err);
    if (l[0] == ':')
        return VT_OK; /* comment (often a keep-alive) */
    colon = memchr(l, ':', n);
    flen = colon != NULL ? (size_t)(colon - l) : n;
    v = colon != NULL ? colon + 1 : l + n;
    vlen = colon != NULL ? n - flen - 1 : 0;
    if (vlen > 0 && v[0] == ' ') {
        v++;
        vlen--;
    }
    if (!vt_add_ok(p->event_bytes, n + 1, &p->event_bytes) || p->event_bytes > p->max_event_bytes)
        return vt_err_set(err, VT_E_LIMIT, "sse: event exceeds %zu bytes", p->max_event_bytes);
    if (p->upstream && !(flen == 4 && memcmp(l, "data", 4) == 0)) {
        static const char receipt[] = "veritee-receipt";
        if (flen == 5 && memcmp(l, "event", 5) == 0) {
            p->drop_event |= vlen == sizeof(receipt) - 1 && memcmp(v, receipt, vlen) == 0;
            return VT_OK;
        }
        if ((flen == 2 && memcmp(l, "id", 2) == 0) || (flen == 5 && memcmp(l, "retry", 5) == 0))
            return VT_OK;
        return vt_err_set(err, VT_E_FORMAT, "sse: the upstream sent a line that is not an SSE field");
    }
    if (flen == 4 && memcmp(l, "data", 4) == 0) {
        if (vt_buf_append(&p->ev.data, v, vlen, err) != VT_OK || vt_buf_append(&p->ev.data, "\n", 1, err) != VT_OK)
            return vt_err_set(err, VT_E_NOMEM, "sse: out of memory");
        p->have_data = true;
    } else if (flen == 5 && memcmp(l, "event", 5) == 0) {
        return set_buf(&p->ev.event, v, vlen, err);
    } else if (flen == 2 && memcmp(l, "id", 2) == 0) {
        if (memchr(v, '\0', vlen) != NULL)
            return VT_OK; /* ignored per the specification */
        p->ev.has_id = true;
        return set_buf(&p->ev.id, v, vlen, err);
    } else if (flen == 5 && memcmp(l, "retry", 5) == 0) {
        long ms = 0;
        if (vlen == 0 || vlen > 9)
            return VT_OK;
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return VT_OK;
            ms = ms * 10 + (v[i] - '0');
        }
        p->ev.retry_ms = ms;
    }
    return VT_OK; /* other fields are ignored */
}

vt_status vt_gw_sse_feed(vt_gw_sse *p, const void *bytes, size_t len, vt_err *err)
{
    const uint8_t *s = bytes;
    vt_status rc = VT_OK;

    if (p->failed)
        return vt_err_set(err, VT_E_ARG, "sse: parser already failed");
    while (len > 0) {
        size_t i = 0;

        if (p->skip_lf) {
            p->skip_lf = false;
            if (s[0] == '\n') {
                s++;
                len--;
                continue;
            }
        }
        while (i < len && s[i] != '\n' && s[i] != '\r')
            i++;
        if (i == len) { /* no terminator yet: keep the piece */
            if (p->line.len + len + p->event_bytes > p->max_event_bytes) {
                rc = vt_err_set(err, VT_E_LIMIT, "sse: event exceeds %zu bytes", p->max_event_bytes);
                break;
            }
            if (vt_buf_append(&p->line, s, len, err) != VT_OK) {
                rc = vt_err_set(err, VT_E_NOMEM, "sse: out of memory");
                break;
            }
            break;
        }
        if (p->line.len > 0) {
            if (p->line.len + i + p->event_bytes > p->max_event_bytes) {
                rc = vt_err_set(err, VT_E_LIMIT, "sse: event exceeds %zu bytes", p->max_event_bytes);
                break;
            }
            if (vt_buf_append(&p->line, s, i, err) != VT_OK) {
                rc = vt_err_set(err, VT_E_NOMEM, "sse: out of memory");
                break;
            }
            rc = process_line(p, p->line.data, p->line.len, err);
            p->line.len = 0;
        } else {
            rc = process_line(p, s, i, err);
        }
        if (rc != VT_OK)
            break;
        if (s[i] == '\r')
            p->skip_lf = true;
        s += i + 1;
        len -= i + 1;
    }
    if (rc != VT_OK)
        p->failed = true;
    return rc;
}

bool vt_gw_sse_idle(const vt_gw_sse *p)
{
    return !p->failed && p->line.len == 0 && !p->have_data;
}

static vt_status put(vt_buf *out, const void *s, size_t n, vt_err *err)
{
    if (vt_buf_append(out, s, n, err) != VT_OK)
        return vt_err_set(err, VT_E_NOMEM, "sse: out of memory");
    return VT_OK;
}

/* Writes "name: value\n" for each line of value; "\r\n", "\r" and "\n" all end a line on
 * the wire, so each becomes a separate field line and the parser joins them with '\n'. */
static vt_status put_lines(vt_buf *out, const char *name, const uint8_t *v, size_t n, vt_err *err)
{
    size_t nlen = strlen(name);

    for (;;) {
        size_t l = 0, skip = 1;
        while (l < n && v[l] != '\n' && v[l] != '\r')
            l++;
        if (put(out, name, nlen, err) != VT_OK || put(out, ": ", 2, err) != VT_OK || put(out, v, l, err) != VT_OK ||
            put(out, "\n", 1, err) != VT_OK)
            return VT_E_NOMEM;
        if (l == n)
            return VT_OK;
        if (v[l] == '\r' && l + 1 < n && v[l + 1] == '\n')
            skip = 2;
        v += l + skip;
        n -= l + skip;
    }
}

vt_status vt_gw_sse_write_str(vt_buf *out, const char *event, const char *data, size_t data_len, vt_err *err)
{
    if (event != NULL && event[0] != '\0' && put_lines(out, "event", (const uint8_t *)event, strlen(event), err) != VT_OK)
        return VT_E_NOMEM;
    if (put_lines(out, "data", (const uint8_t *)data, data_len, err) != VT_OK)
        return VT_E_NOMEM;
    return put(out, "\n", 1, err);
}

vt_status vt_gw_sse_write(vt_buf *out, const vt_gw_sse_event *ev, vt_err *err)
{
    char num[32];

    if (ev->event.len > 0 && put_lines(out, "event", ev->event.data, ev->event.len, err) != VT_OK)
        return VT_E_NOMEM;
    if (ev->has_id && put_lines(out, "id", ev->id.data != NULL ? ev->id.data : (const uint8_t *)"", ev->id.len,
                                err) != VT_OK)
        return VT_E_NOMEM;
    if (ev->retry_ms >= 0) {
        int n = snprintf(num, sizeof(num), "retry: %ld\n", ev->retry_ms);
        if (put(out, num, (size_t)n, err) != VT_OK)
            return VT_E_NOMEM;
    }
    if (put_lines(out, "data", ev->data.data != NULL ? ev->data.data : (const uint8_t *)"", ev->data.len, err) !=
        VT_OK)
        return VT_E_NOMEM;
    return put(out, "\n", 1, err);
}
