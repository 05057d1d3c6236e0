/*
 * The upstream's response headers, kept flat (up_headers.c): one buffer and
 * one offset table per upstream connection, reused from response to response.
 * evhttp's header list cost three allocations per header and a libevent
 * case-insensitive compare (a call per character) per lookup; `perf` put that
 * at about 5% of the pass-through gateway.  Lookups return the first header of
 * a name, as evhttp_find_header does.
 */
#ifndef VT_GW_UP_HEADERS_H
#define VT_GW_UP_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "veritee/base.h"

typedef struct vt_gw_upheaders {
    vt_buf text;   /* each header as "name\0value\0", in the order received */
    uint32_t *at;  /* where each header's name starts in text */
    size_t n, cap; /* headers held, room for */
} vt_gw_upheaders;

void gwp_uh_init(vt_gw_upheaders *h);
/* Forgets the headers, keeps the memory for the next response. */
void gwp_uh_clear(vt_gw_upheaders *h);
void gwp_uh_free(vt_gw_upheaders *h);
/* Appends one header (name and value as given, no NUL inside).  false: out of memory. */
bool gwp_uh_add(vt_gw_upheaders *h, const char *name, size_t name_len, const char *value, size_t value_len);
/* The value of the first header called name (ASCII case-insensitive), or NULL. */
const char *gwp_uh_find(const vt_gw_upheaders *h, const char *name);

#endif
