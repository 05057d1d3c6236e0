/* libFuzzer: Binary HTTP messages (RFC 9292) from untrusted bytes.  A parsed
 * message re-encodes (without trailers) and parses back to the same fields. */
#include <string.h>

#include "veritee/ohttp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, size_t al, const char *b, size_t bl)
{
    return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_bhttp_msg *m = NULL, *m2 = NULL;
    vt_buf b;
    char method[VT_BHTTP_CONTROL_MAX + 1], scheme[VT_BHTTP_CONTROL_MAX + 1], auth[VT_BHTTP_CONTROL_MAX + 1],
        path[VT_BHTTP_CONTROL_MAX + 1];
    vt_status rc;

    if (vt_bhttp_parse(&m, data, size, NULL) != VT_OK)
        return 0;
    vt_buf_init(&b);
    if (m->request) {
        memcpy(method, m->method, m->method_len);
        method[m->method_len] = '\0';
        memcpy(scheme, m->scheme, m->scheme_len);
        scheme[m->scheme_len] = '\0';
        memcpy(auth, m->authority, m->authority_len);
        auth[m->authority_len] = '\0';
        memcpy(path, m->path, m->path_len);
        path[m->path_len] = '\0';
        rc = vt_bhttp_encode_request(&b, method, scheme, auth, path, m->fields, m->field_count, m->content,
                                     m->content_len, NULL);
    } else {
        rc = vt_bhttp_encode_response(&b, m->status, m->fields, m->field_count, m->content, m->content_len, NULL);
    }
    if (rc != VT_OK || vt_bhttp_parse(&m2, b.data, b.len, NULL) != VT_OK)
        __builtin_trap(); /* whatever parses, encodes */
    if (m2->field_count != m->field_count || m2->status != m->status ||
        !same((const char *)m2->content, m2->content_len, (const char *)m->content, m->content_len))
        __builtin_trap();
    for (size_t i = 0; i < m->field_count; i++)
        if (!same(m->fields[i].name, m->fields[i].name_len, m2->fields[i].name, m2->fields[i].name_len) ||
            !same(m->fields[i].value, m->fields[i].value_len, m2->fields[i].value, m2->fields[i].value_len))
            __builtin_trap();
    vt_bhttp_msg_free(m2);
    vt_bhttp_msg_free(m);
    vt_buf_free(&b);
    return 0;
}
