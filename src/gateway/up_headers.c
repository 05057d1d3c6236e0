/* The upstream's response headers, kept flat (up_headers.h). */
#include <stdlib.h>
#include <string.h>

#include "gateway/up_headers.h"

void gwp_uh_init(vt_gw_upheaders *h)
{
    memset(h, 0, sizeof(*h));
    vt_buf_init(&h->text);
}

void gwp_uh_clear(vt_gw_upheaders *h)
{
    h->n = 0;
    h->text.len = 0;
}

void gwp_uh_free(vt_gw_upheaders *h)
{
    vt_buf_free(&h->text);
    free(h->at);
    memset(h, 0, sizeof(*h));
}

bool gwp_uh_add(vt_gw_upheaders *h, const char *name, size_t name_len, const char *value, size_t value_len)
{
    size_t off = h->text.len;

    if (off > UINT32_MAX - name_len - value_len - 2)
        return false;
    if (h->n == h->cap) {
        size_t cap = h->cap < 16 ? 16 : h->cap * 2;
        uint32_t *at = realloc(h->at, cap * sizeof(*at));
        if (at == NULL)
            return false;
        h->at = at;
        h->cap = cap;
    }
    if (vt_buf_reserve(&h->text, name_len + value_len + 2, NULL) != VT_OK)
        return false;
    memcpy(h->text.data + off, name, name_len);
    h->text.data[off + name_len] = '\0';
    memcpy(h->text.data + off + name_len + 1, value, value_len);
    h->text.data[off + name_len + 1 + value_len] = '\0';
    h->text.len = off + name_len + value_len + 2;
    h->at[h->n++] = (uint32_t)off;
    return true;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

const char *gwp_uh_find(const vt_gw_upheaders *h, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < h->n; i++) {
        const char *k = (const char *)h->text.data + h->at[i];
        size_t j = 0;
        while (j < len && k[j] != '\0' && lower((unsigned char)k[j]) == lower((unsigned char)name[j]))
            j++;
        if (j == len && k[j] == '\0')
            return k + len + 1;
    }
    return NULL;
}
