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

/* Sends r to the gateway on base's loop.  false when it could not be sent
 * (out of memory); then no callback runs. */
bool vt_gw_inner_send(const struct vt_gw_self *self, struct event_base *base, const vt_gw_inner_req *r,
                      const vt_gw_inner_cb *cb, void *arg);
/* True for header names that describe one hop, not the message (never replayed). */
bool vt_gw_inner_hop_by_hop(const char *name, size_t len);
/* Closes base's pooled connections; before event_base_free(base). */
void vt_gw_inner_free(struct event_base *base);

#endif
