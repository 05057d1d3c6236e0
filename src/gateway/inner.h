/*
 * A request from inside the gateway to its own routes (gateway/inner.c): the
 * one dispatch under Oblivious HTTP (ohttp.c) and the MCP chat tool (mcp.c).
 *
 * The inner request goes through the gateway's front exactly as a client's
 * would (routing, limits, the auditor chain, the receipt): it is sent on a
 * kept-alive connection to the gateway's own listener (transport.h
 * vt_gw_self), taken from a small per-event-loop pool, so a request costs no
 * connect and no TLS handshake once the pool is warm.
 */
#ifndef VT_GW_INNER_H
#define VT_GW_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "veritee/ohttp.h"

struct vt_gw_self;

/* What the caller is told.  ireq is the inner request (its response status,
 * headers and body); evhttp owns it.  done always runs exactly once after a
 * successful vt_gw_inner_send, with ireq NULL or status 0 when no answer came.
 * head and chunk (both or neither) make the request streamed: head once the
 * status and headers arrived, chunk for each piece of body (drained after). */
typedef struct vt_gw_inner_cb {
    void (*head)(struct evhttp_request *ireq, void *arg);
    void (*chunk)(struct evhttp_request *ireq, void *arg);
    void (*done)(struct evhttp_request *ireq, void *arg);
} vt_gw_inner_cb;

typedef struct vt_gw_inner_req {
    enum evhttp_cmd_type cmd;
    const char *path;             /* origin-form, starts with '/' */
    const char *host;             /* Host header; NULL = "localhost" */
    const vt_bhttp_field *fields; /* further headers; hop-by-hop ones are dropped */
    size_t field_count;
    const uint8_t *body;
    size_t body_len;
    int timeout_secs;
    size_t max_body; /* largest response body accepted (0 = libevent's default) */
} vt_gw_inner_req;

/* One inner request in flight (inner.c). */
typedef struct vt_gw_inner_call vt_gw_inner_call;

/* Sends r to the gateway on base's loop.  false when it could not be sent
 * (out of memory); then no callback runs.  *call (may be NULL) is the handle
 * for vt_gw_inner_cancel, valid until done has run. */
bool vt_gw_inner_send(const struct vt_gw_self *self, struct event_base *base, const vt_gw_inner_req *r,
                      const vt_gw_inner_cb *cb, void *arg, vt_gw_inner_call **call);
/* The one who asked is gone: head and chunk run no more, the connection is
 * closed (so the gateway's exchange behind it cancels its upstream request),
 * and done runs with ireq NULL, from the loop, never from inside this call.
 * Safe from any callback, including the call's own; a call whose done already
 * started is left alone. */
void vt_gw_inner_cancel(vt_gw_inner_call *call);
/*
 * A client's request that waits for an inner request (OHTTP, MCP).  evhttp
 * stops reading the client after dispatch, so while it waits a watch on its
 * socket (client_watch.h) and its connection's close callback (through the
 * guard) notice the client leave: then req becomes NULL and the inner request
 * is cancelled, so the exchange behind it cancels the upstream request as for
 * a plain client.  The call's done still runs (with ireq NULL, from the loop).
 */
struct vt_connguard;
struct vt_gw_watch;
typedef struct vt_gw_inner_waiter {
    struct evhttp_request *req;       /* the client's request; NULL once the client is gone */
    struct evhttp_connection *cevcon; /* the client's connection */
    struct vt_connguard *guard;       /* its close callback goes through the guard */
    vt_gw_inner_call *call;           /* pass &call to vt_gw_inner_send; NULL once ended */
    struct vt_gw_watch *watch;        /* EOF on the client's socket, until the reply starts */
} vt_gw_inner_waiter;

/* Starts waiting on req's connection; before vt_gw_inner_send (done may run inside it). */
void vt_gw_inner_wait(vt_gw_inner_waiter *w, struct event_base *base, struct vt_connguard *guard,
                      struct evhttp_request *req);
/* The reply to the client starts (a stream's head): evhttp watches a connection it writes
 * to, so the watch ends; a close still cancels the inner request. */
void vt_gw_inner_wait_replying(vt_gw_inner_waiter *w);
/* Ends waiting, first thing in done (or after a failed send): the client's request to
 * answer (w->req keeps it), NULL when the client left.  The close callback no longer
 * reaches w. */
struct evhttp_request *vt_gw_inner_wait_end(vt_gw_inner_waiter *w);

/* True for header names that describe one hop, not the message (never replayed). */
bool vt_gw_inner_hop_by_hop(const char *name, size_t len);
/*
 * Plaintext in libevent's buffers (docs/transport.md, "What is wiped").  libevent frees its
 * buffers without wiping them, so what an inner request carries (an OHTTP client's prompt,
 * decrypted) and what it brings back are kept out of them where the gateway's code can:
 */
struct evbuffer;
/* Appends a copy of p to b by reference: the copy is the gateway's block, not a libevent
 * buffer, and is wiped before it is freed whenever libevent lets go of it (written out, or
 * the request freed unsent).  false when out of memory (nothing appended). */
bool vt_gw_inner_add_wiped(struct evbuffer *b, const void *p, size_t len);
/* Wiping what libevent's buffers hold where it lies, and taking an answer out of one wiped:
 * http/evwipe.h (vt__http_evwipe, vt__http_evwipe_take), shared with the services' server. */

/* Closes base's pooled connections; before event_base_free(base). */
void vt_gw_inner_free(struct event_base *base);

#endif
