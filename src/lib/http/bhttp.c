/*
 * Binary HTTP messages (RFC 9292), known-length form only.  Parsing goes
 * through vt_rd (HS-10): every length is checked against what is left before
 * anything is taken, the message is copied first so no pointer into the
 * caller's buffer survives, and the first failure names the field.
 */
#include <stdlib.h>
#include <string.h>

#include "veritee/ohttp.h"
#include "http/varint.h"

#define rd_varint vt__varint_rd
#define put_varint vt__varint_put

#define INFORMATIONAL_MAX 8

/* QUIC variable-length integer (RFC 9000 §16); 0 with a sticky failure when short. */
uint64_t vt__varint_rd(vt_rd *r)
{
    const uint8_t *p = vt_rd_take(r, 1);
    uint64_t v;
    size_t n;

    if (p == NULL)
        return 0;
    n = (size_t)1 << (p[0] >> 6);
    v = p[0] & 0x3f;
    if (n > 1) {
        const uint8_t *q = vt_rd_take(r, n - 1);
        if (q == NULL)
            return 0;
        for (size_t i = 0; i < n - 1; i++)
            v = (v << 8) | q[i];
    }
    return v;
}

vt_status vt__varint_put(vt_buf *b, uint64_t v, vt_err *err)
{
    uint8_t t[8];
    size_t n;

    if (v < 0x40) {
        n = 1;
    } else if (v < 0x4000) {
        n = 2;
    } else if (v < 0x40000000) {
        n = 4;
    } else if (v < ((uint64_t)1 << 62)) {
        n = 8;
    } else {
        return vt_err_set(err, VT_E_LIMIT, "bhttp: length %llu too large for a varint", (unsigned long long)v);
    }
    for (size_t i = 0; i < n; i++)
        t[n - 1 - i] = (uint8_t)(v >> (8 * i));
    t[0] |= (uint8_t)((n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3) << 6);
    return vt_buf_append(b, t, n, err);
}

static bool is_tchar(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool name_ok(const uint8_t *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar(p[i]) || (p[i] >= 'A' && p[i] <= 'Z'))
            return false;
    return true;
}

static bool value_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
            return false;
    return true;
}

static bool token_ok(const uint8_t *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar(p[i]))
            return false;
    return true;
}

/* Visible ASCII only (authority, path). */
static bool visible_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7f)
            return false;
    return true;
}

/* A length-prefixed string of at most max bytes. */
static const uint8_t *rd_lstr(vt_rd *r, size_t *len, size_t max)
{
    uint64_t n = rd_varint(r);

    *len = 0;
    if (!vt_rd_ok(r))
        return NULL;
    if (n > max || n > r->left) {
        r->failed = true;
        return NULL;
    }
    *len = (size_t)n;
    return vt_rd_take(r, (size_t)n);
}

/* A known-length field section into f[0..*count). */
static vt_status rd_fields(vt_rd *r, vt_bhttp_field *f, size_t *count, const char *what, vt_err *err)
{
    uint64_t len = rd_varint(r);
    vt_rd s;

    *count = 0;
    if (!vt_rd_ok(r) || len > r->left)
        return vt_err_set(err, VT_E_FORMAT, "bhttp: %s section length truncated or past the end", what);
    s = vt_rd_sub(r, (size_t)len);
    while (s.left > 0) {
        size_t nl, vl;
        const uint8_t *n = rd_lstr(&s, &nl, s.left);
        const uint8_t *v = rd_lstr(&s, &vl, s.left);
        if (!vt_rd_ok(&s))
            return vt_err_set(err, VT_E_FORMAT, "bhttp: %s line %zu truncated", what, *count);
        if (*count == VT_BHTTP_FIELDS_MAX)
            return vt_err_set(err, VT_E_LIMIT, "bhttp: %s section has more than %d lines", what,
                              VT_BHTTP_FIELDS_MAX);
        if (!name_ok(n, nl))
            return vt_err_set(err, VT_E_FORMAT, "bhttp: %s line %zu name is not a lowercase token", what, *count);
        if (!value_ok(v, vl))
            return vt_err_set(err, VT_E_FORMAT, "bhttp: %s line %zu value holds CR, LF or NUL", what, *count);
        f[*count].name = (const char *)n;
        f[*count].name_len = nl;
        f[*count].value = (const char *)v;
        f[*count].value_len = vl;
        (*count)++;
    }
    return VT_OK;
}

static vt_status rd_request_control(vt_rd *r, vt_bhttp_msg *m, vt_err *err)
{
    const uint8_t *p;

    p = rd_lstr(r, &m->method_len, VT_BHTTP_CONTROL_MAX);
    if (p == NULL || !token_ok(p, m->method_len))
        return vt_err_set(err, VT_E_FORMAT, "bhttp: method truncated or not a token");
    m->method = (const char *)p;
    p = rd_lstr(r, &m->scheme_len, VT_BHTTP_CONTROL_MAX);
    if (p == NULL || !token_ok(p, m->scheme_len))
        return vt_err_set(err, VT_E_FORMAT, "bhttp: scheme truncated or not a token");
    m->scheme = (const char *)p;
    p = rd_lstr(r, &m->authority_len, VT_BHTTP_CONTROL_MAX);
    if (!vt_rd_ok(r) || !visible_ok(p, m->authority_len))
        return vt_err_set(err, VT_E_FORMAT, "bhttp: authority truncated or holds invisible bytes");
    m->authority = m->authority_len == 0 ? "" : (const char *)p;
    p = rd_lstr(r, &m->path_len, VT_BHTTP_CONTROL_MAX);
    if (p == NULL || m->path_len == 0 || !visible_ok(p, m->path_len))
        return vt_err_set(err, VT_E_FORMAT, "bhttp: path truncated, empty or holds invisible bytes");
    m->path = (const char *)p;
    return VT_OK;
}

static vt_status rd_response_control(vt_rd *r, vt_bhttp_msg *m, vt_err *err)
{
    vt_status rc;

    for (int i = 0;; i++) {
        uint64_t st = rd_varint(r);
        if (!vt_rd_ok(r))
            return vt_err_set(err, VT_E_FORMAT, "bhttp: status truncated");
        if (st >= 200 && st <= 599) {
            m->status = (int)st;
            return VT_OK;
        }
        if (st < 100 || st > 199)
            return vt_err_set(err, VT_E_FORMAT, "bhttp: status %llu out of range", (unsigned long long)st);
        if (i == INFORMATIONAL_MAX)
            return vt_err_set(err, VT_E_LIMIT, "bhttp: more than %d informational responses", INFORMATIONAL_MAX);
        /* Informational responses are read (to check them) and dropped. */
        rc = rd_fields(r, m->trailers, &m->trailer_count, "informational", err);
        m->trailer_count = 0;
        if (rc != VT_OK)
            return rc;
    }
}

vt_status vt_bhttp_parse(vt_bhttp_msg **out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_bhttp_msg *m = NULL;
    uint64_t framing, clen;
    vt_rd r;

    *out = NULL;
    if (len > VT_BHTTP_MAX)
        return vt_err_set(err, VT_E_LIMIT, "bhttp: %zu-byte message passes %u", len, VT_BHTTP_MAX);
    m = calloc(1, sizeof(*m));
    if (m == NULL || (len > 0 && (m->raw_ = malloc(len)) == NULL)) {
        rc = vt_err_set(err, VT_E_NOMEM, "bhttp: out of memory");
        goto out;
    }
    if (len > 0)
        memcpy(m->raw_, p, len);
    m->raw_len_ = len;
    m->content = (const uint8_t *)"";
    vt_rd_init(&r, m->raw_, len);
    framing = rd_varint(&r);
    if (!vt_rd_ok(&r)) {
        rc = vt_err_set(err, VT_E_FORMAT, "bhttp: framing indicator missing");
        goto out;
    }
    if (framing == 2 || framing == 3) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "bhttp: indeterminate-length messages unsupported");
        goto out;
    }
    if (framing > 3) {
        rc = vt_err_set(err, VT_E_FORMAT, "bhttp: framing indicator %llu unknown", (unsigned long long)framing);
        goto out;
    }
    m->request = framing == 0;
    rc = m->request ? rd_request_control(&r, m, err) : rd_response_control(&r, m, err);
    /* Sections missing at the end are empty (§3.8). */
    if (rc == VT_OK && r.left > 0)
        rc = rd_fields(&r, m->fields, &m->field_count, "header", err);
    if (rc == VT_OK && r.left > 0) {
        clen = rd_varint(&r);
        if (!vt_rd_ok(&r) || clen > r.left) {
            rc = vt_err_set(err, VT_E_FORMAT, "bhttp: content length truncated or past the end");
        } else {
            m->content_len = (size_t)clen;
            if (clen > 0)
                m->content = vt_rd_take(&r, (size_t)clen);
        }
    }
    if (rc == VT_OK && r.left > 0)
        rc = rd_fields(&r, m->trailers, &m->trailer_count, "trailer", err);
    if (rc != VT_OK)
        goto out;
    /* Whatever follows is padding and must be zero bytes. */
    while (r.left > 0) {
        if (vt_rd_u8(&r) != 0) {
            rc = vt_err_set(err, VT_E_FORMAT, "bhttp: padding holds a non-zero byte");
            goto out;
        }
    }
    *out = m;
    m = NULL;
    rc = VT_OK;
out:
    vt_bhttp_msg_free(m);
    return rc;
}

void vt_bhttp_msg_free(vt_bhttp_msg *m)
{
    if (m == NULL)
        return;
    if (m->raw_ != NULL) {
        vt_wipe(m->raw_, m->raw_len_); /* prompts and answers do not linger in freed memory */
        free(m->raw_);
    }
    free(m);
}

const vt_bhttp_field *vt_bhttp_field_get(const vt_bhttp_msg *m, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < m->field_count; i++)
        if (m->fields[i].name_len == n && memcmp(m->fields[i].name, name, n) == 0)
            return &m->fields[i];
    return NULL;
}

/* ---- encoding ---- */

static vt_status put_lstr(vt_buf *b, const void *p, size_t n, vt_err *err)
{
    vt_status rc = put_varint(b, n, err);
    return rc == VT_OK ? vt_buf_append(b, p, n, err) : rc;
}

static size_t varint_len(uint64_t v)
{
    return v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x40000000 ? 4 : 8;
}

static vt_status put_fields(vt_buf *b, const vt_bhttp_field *f, size_t count, vt_err *err)
{
    size_t total = 0;
    vt_status rc;

    if (count > VT_BHTTP_FIELDS_MAX)
        return vt_err_set(err, VT_E_LIMIT, "bhttp: more than %d fields", VT_BHTTP_FIELDS_MAX);
    for (size_t i = 0; i < count; i++) {
        if (!name_ok((const uint8_t *)f[i].name, f[i].name_len))
            return vt_err_set(err, VT_E_ARG, "bhttp: field %zu name is not a lowercase token", i);
        if (!value_ok((const uint8_t *)f[i].value, f[i].value_len))
            return vt_err_set(err, VT_E_ARG, "bhttp: field %zu value holds CR, LF or NUL", i);
        /* Each term is bounded, so the sum cannot overflow before the check. */
        if (f[i].name_len > VT_BHTTP_MAX || f[i].value_len > VT_BHTTP_MAX || total > VT_BHTTP_MAX)
            return vt_err_set(err, VT_E_LIMIT, "bhttp: field section too large");
        total += varint_len(f[i].name_len) + f[i].name_len + varint_len(f[i].value_len) + f[i].value_len;
    }
    rc = put_varint(b, total, err);
    for (size_t i = 0; rc == VT_OK && i < count; i++) {
        rc = put_lstr(b, f[i].name, f[i].name_len, err);
        if (rc == VT_OK)
            rc = put_lstr(b, f[i].value, f[i].value_len, err);
    }
    return rc;
}

/* Header section, content; trailing empty sections omitted. */
static vt_status put_rest(vt_buf *b, size_t start, const vt_bhttp_field *fields, size_t field_count,
                          const uint8_t *content, size_t content_len, vt_err *err)
{
    vt_status rc = VT_OK;

    if (field_count > 0 || content_len > 0)
        rc = put_fields(b, fields, field_count, err);
    if (rc == VT_OK && content_len > 0)
        rc = put_lstr(b, content, content_len, err);
    if (rc == VT_OK && b->len - start > VT_BHTTP_MAX)
        rc = vt_err_set(err, VT_E_LIMIT, "bhttp: message passes %u bytes", VT_BHTTP_MAX);
    return rc;
}

vt_status vt_bhttp_encode_request(vt_buf *out, const char *method, const char *scheme, const char *authority,
                                  const char *path, const vt_bhttp_field *fields, size_t field_count,
                                  const uint8_t *content, size_t content_len, vt_err *err)
{
    size_t start = out->len;
    vt_status rc;

    if (!token_ok((const uint8_t *)method, strlen(method)) || !token_ok((const uint8_t *)scheme, strlen(scheme)) ||
        !visible_ok((const uint8_t *)authority, strlen(authority)) || *path == '\0' ||
        !visible_ok((const uint8_t *)path, strlen(path)) || strlen(path) > VT_BHTTP_CONTROL_MAX ||
        strlen(authority) > VT_BHTTP_CONTROL_MAX)
        return vt_err_set(err, VT_E_ARG, "bhttp: request control data malformed");
    rc = put_varint(out, 0, err);
    if (rc == VT_OK)
        rc = put_lstr(out, method, strlen(method), err);
    if (rc == VT_OK)
        rc = put_lstr(out, scheme, strlen(scheme), err);
    if (rc == VT_OK)
        rc = put_lstr(out, authority, strlen(authority), err);
    if (rc == VT_OK)
        rc = put_lstr(out, path, strlen(path), err);
    if (rc == VT_OK)
        rc = put_rest(out, start, fields, field_count, content, content_len, err);
    if (rc != VT_OK)
        out->len = start;
    return rc;
}

vt_status vt_bhttp_encode_response(vt_buf *out, int status, const vt_bhttp_field *fields, size_t field_count,
                                   const uint8_t *content, size_t content_len, vt_err *err)
{
    size_t start = out->len;
    vt_status rc;

    if (status < 200 || status > 599)
        return vt_err_set(err, VT_E_ARG, "bhttp: final status %d out of range", status);
    rc = put_varint(out, 1, err);
    if (rc == VT_OK)
        rc = put_varint(out, (uint64_t)status, err);
    if (rc == VT_OK)
        rc = put_rest(out, start, fields, field_count, content, content_len, err);
    if (rc != VT_OK)
        out->len = start;
    return rc;
}

/* ---- indeterminate-length responses (§3.2), for streamed answers ---- */

vt_status vt_bhttp_encode_response_head(vt_buf *out, int status, const vt_bhttp_field *fields, size_t field_count,
                                        vt_err *err)
{
    size_t start = out->len;
    vt_status rc;

    if (status < 200 || status > 599)
        return vt_err_set(err, VT_E_ARG, "bhttp: final status %d out of range", status);
    if (field_count > VT_BHTTP_FIELDS_MAX)
        return vt_err_set(err, VT_E_LIMIT, "bhttp: more than %d fields", VT_BHTTP_FIELDS_MAX);
    rc = put_varint(out, 3, err);
    if (rc == VT_OK)
        rc = put_varint(out, (uint64_t)status, err);
    for (size_t i = 0; rc == VT_OK && i < field_count; i++) {
        if (fields[i].name_len == 0 || !name_ok((const uint8_t *)fields[i].name, fields[i].name_len) ||
            !value_ok((const uint8_t *)fields[i].value, fields[i].value_len))
            rc = vt_err_set(err, VT_E_ARG, "bhttp: field %zu malformed", i);
        if (rc == VT_OK)
            rc = put_lstr(out, fields[i].name, fields[i].name_len, err);
        if (rc == VT_OK)
            rc = put_lstr(out, fields[i].value, fields[i].value_len, err);
    }
    if (rc == VT_OK)
        rc = put_varint(out, 0, err); /* end of the header section */
    if (rc != VT_OK)
        out->len = start;
    return rc;
}

vt_status vt_bhttp_encode_content_chunk(vt_buf *out, const uint8_t *p, size_t len, vt_err *err)
{
    if (len == 0 || len > VT_BHTTP_MAX)
        return vt_err_set(err, VT_E_ARG, "bhttp: content chunk of %zu bytes", len);
    return put_lstr(out, p, len, err);
}

vt_status vt_bhttp_encode_response_end(vt_buf *out, vt_err *err)
{
    vt_status rc = put_varint(out, 0, err); /* end of the content */
    return rc == VT_OK ? put_varint(out, 0, err) : rc; /* no trailers */
}

enum { RD_FRAMING, RD_STATUS, RD_FIELDS, RD_CONTENT, RD_TRAILERS, RD_DONE };

vt_status vt_bhttp_reader_feed(vt_bhttp_reader *rd, const uint8_t *p, size_t len, size_t *used,
                               vt_bhttp_field_fn on_field, vt_bhttp_content_fn on_content, void *arg, vt_err *err)
{
    vt_rd r;

    *used = 0;
    vt_rd_init(&r, p, len);
    while (r.left > 0) {
        vt_rd t = r; /* one unit at a time: it is consumed only once it is all there */
        uint64_t v;
        if (rd->state == RD_DONE) { /* padding */
            if (vt_rd_u8(&t) != 0)
                return vt_err_set(err, VT_E_FORMAT, "bhttp: padding holds a non-zero byte");
            r = t;
            continue;
        }
        v = rd_varint(&t);
        if (!vt_rd_ok(&t))
            break;
        switch (rd->state) {
        case RD_FRAMING:
            if (v != 3)
                return vt_err_set(err, VT_E_FORMAT, "bhttp: framing indicator %llu is not an indeterminate-length "
                                  "response", (unsigned long long)v);
            rd->state = RD_STATUS;
            break;
        case RD_STATUS:
            if (v < 200 || v > 599) /* informational responses are not expected here */
                return vt_err_set(err, VT_E_FORMAT, "bhttp: status %llu out of range", (unsigned long long)v);
            rd->status = (int)v;
            rd->state = RD_FIELDS;
            break;
        case RD_FIELDS:
        case RD_TRAILERS:
            if (v == 0) {
                rd->state = rd->state == RD_FIELDS ? RD_CONTENT : RD_DONE;
                break;
            }
            {
                const uint8_t *n, *val;
                size_t vl;
                uint64_t vlen;
                if (v > VT_BHTTP_CONTROL_MAX)
                    return vt_err_set(err, VT_E_LIMIT, "bhttp: field name of %llu bytes", (unsigned long long)v);
                n = vt_rd_take(&t, (size_t)v);
                vlen = rd_varint(&t);
                if (!vt_rd_ok(&t))
                    goto more;
                if (vlen > VT_BHTTP_MAX)
                    return vt_err_set(err, VT_E_LIMIT, "bhttp: field value of %llu bytes", (unsigned long long)vlen);
                vl = (size_t)vlen;
                val = vt_rd_take(&t, vl);
                if (!vt_rd_ok(&t))
                    goto more;
                if (++rd->field_count > 2 * VT_BHTTP_FIELDS_MAX)
                    return vt_err_set(err, VT_E_LIMIT, "bhttp: more than %d fields", 2 * VT_BHTTP_FIELDS_MAX);
                if (!name_ok(n, (size_t)v) || !value_ok(val, vl))
                    return vt_err_set(err, VT_E_FORMAT, "bhttp: field %zu malformed", rd->field_count);
                if (rd->state == RD_FIELDS && on_field != NULL)
                    on_field(arg, (const char *)n, (size_t)v, (const char *)val, vl);
            }
            break;
        case RD_CONTENT:
            if (v == 0) {
                rd->state = RD_TRAILERS;
                break;
            }
            if (v > VT_BHTTP_MAX || rd->content_len + v > VT_BHTTP_MAX)
                return vt_err_set(err, VT_E_LIMIT, "bhttp: content passes %u bytes", VT_BHTTP_MAX);
            {
                const uint8_t *c = vt_rd_take(&t, (size_t)v);
                if (c == NULL)
                    goto more;
                rd->content_len += (size_t)v;
                if (on_content != NULL && !on_content(arg, c, (size_t)v))
                    return vt_err_set(err, VT_E_IO, "bhttp: content refused by the reader");
            }
            break;
        default:
            return vt_err_set(err, VT_E_INTERNAL, "bhttp: reader state %d", rd->state);
        }
        r = t;
    }
more:
    *used = len - r.left;
    return VT_OK;
}

bool vt_bhttp_reader_done(const vt_bhttp_reader *rd)
{
    return rd->state == RD_DONE;
}
