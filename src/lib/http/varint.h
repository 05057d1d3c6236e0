/* QUIC variable-length integers (RFC 9000 §16), shared by Binary HTTP and
 * chunked Oblivious HTTP (bhttp.c).  Internal (HS-1). */
#ifndef VT_HTTP_VARINT_H
#define VT_HTTP_VARINT_H

#include "veritee/base.h"

/* 0 with a sticky failure of r when short. */
uint64_t vt__varint_rd(vt_rd *r);
/* VT_E_LIMIT for 2^62 and beyond. */
vt_status vt__varint_put(vt_buf *b, uint64_t v, vt_err *err);

#endif
