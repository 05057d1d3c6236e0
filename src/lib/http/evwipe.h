/* Internal: bytes in libevent's buffers wiped where they lie (evwipe.c).  libevent 2.1 frees
 * its buffers without wiping them and has no hook per buffer: what held a secret or a prompt is
 * overwritten before libevent lets go of it (docs/transport.md, "What is wiped"). */
#ifndef VT_HTTP_EVWIPE_H
#define VT_HTTP_EVWIPE_H

#include "veritee/base.h"

struct evbuffer;

/* Overwrites every byte b holds with zeros where it lies (evbuffer_pullup would copy them
 * into one new block and free the old ones unwiped); b keeps its length.  b's blocks must be
 * writable: an input buffer filled from a connection, not one referring to read-only bytes.
 * b may be NULL. */
void vt__http_evwipe(struct evbuffer *b);
/* Appends b's bytes to out (a vt_buf, wiped when freed; room for a NUL terminator is kept) and
 * wipes b where it lies, also when the copy fails. */
VT_NODISCARD vt_status vt__http_evwipe_take(vt_buf *out, struct evbuffer *b, vt_err *err);

#endif
