/* Default hooks and the extra-header list (see hooks.h). */
#include <stdlib.h>
#include <string.h>

#include "gateway/hooks.h"

static bool header_ok(const char *s, bool name)
{
    if (s == NULL || (name && *s == '\0'))
        return false;
    if (!name) /* a value may hold anything but a line break (strcspn: a receipt is 2 KB) */
        return s[strcspn(s, "\r\n")] == '\0';
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\r' || c == '\n' || (name && (c <= ' ' || c >= 0x7f || c == ':')))
            return false;
    }
    return true;
}

vt_status vt_gw_headers_add(vt_gw_headers *h, const char *name, const char *value, vt_err *err)
{
    char *n, *v;

    if (!header_ok(name, true) || !header_ok(value, false))
        return vt_err_set(err, VT_E_ARG, "gateway: header name or value has a forbidden character");
    if (h->count >= VT_GW_MAX_EXTRA_HEADERS)
        return vt_err_set(err, VT_E_LIMIT, "gateway: more than %d extra headers", VT_GW_MAX_EXTRA_HEADERS);
    n = strdup(name);
    v = strdup(value);
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    h->name[h->count] = n;
    h->value[h->count] = v;
    h->count++;
    return VT_OK;
}

void vt_gw_headers_free(vt_gw_headers *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->count; i++) {
        free(h->name[i]);
        free(h->value[i]);
    }
    memset(h, 0, sizeof(*h));
}

const vt_gw_hooks vt_gw_hooks_passthrough = { 0 };
