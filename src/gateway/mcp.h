/* The gateway's MCP endpoint (mcp.c, docs/mcp.md). */
#ifndef VT_GW_MCP_H
#define VT_GW_MCP_H

#include <event2/event.h>
#include <event2/http.h>
#include <stdint.h>

#include "gateway/config.h"
#include "gateway/hooks.h"

/* What the endpoint needs of the gateway: borrowed, outliving every request. */
typedef struct vt_gw_mcp_env {
    struct event_base *base;   /* the calling event loop's */
    const vt_gw_hooks *hooks;
    const vt_gw_config *cfg;
    const struct vt_gw_self *self; /* how to reach the gateway itself (transport.h) */
    struct vt_connguard *guard;    /* the listeners' guard: a client that leaves cancels its chat */
    struct vt_ratelimit *attest_rl; /* fresh quotes, shared with GET /v1/attestation (limits.attestation_per_sec) */
} vt_gw_mcp_env;

/* Answers POST /mcp (discovery false) or GET /.well-known/mcp (true) on req. */
void vt_gw_mcp_serve(struct evhttp_request *req, const vt_gw_mcp_env *env, bool discovery);
/* Frees what the endpoint built lazily (the scan chain); at gateway shutdown. */
void vt_gw_mcp_free(void);

#endif
