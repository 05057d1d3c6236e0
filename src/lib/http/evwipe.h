/* Internal: bytes in libevent's buffers wiped where they lie (evwipe.c).  libevent 2.1 frees
 * its buffers without wiping them and has no hook per buffer: what held a secret or a prompt is
 * overwritten before libevent lets go of it (docs/transport.md, "What is wiped"), or, in the
 * services' server, every block libevent frees is (vt__http_evwipe_frees). */
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

struct evkeyvalq;
/* Overwrites with zeros, in place, the value of every header called name (any case) in
 * headers (NULL: nothing): the value then reads "".  For a header read and done with. */
void vt__http_evwipe_header(struct evkeyvalq *headers, const char *name);
/*
 * From now on libevent wipes every block it frees (malloc_usable_size bytes) and every block
 * a realloc moves away from: what it copied from a connection and freed on its own (a header
 * line as it parsed it, its header list's strings, the input buffer's blocks) holds no secret
 * once freed.  Process-wide (event_set_mem_functions); the blocks are malloc's, so blocks
 * allocated before are freed alike.  Called once by the services' server before it makes its
 * event bases (server.c); the cost is a memset of what libevent frees.
 */
void vt__http_evwipe_frees(void);

#endif
