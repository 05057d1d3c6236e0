/*
 * Hook points of the proxy: where the auditor chain and receipts plug in.
 *
 * One vt_gw_hooks table per gateway, shared by every event loop, so the
 * functions must be thread-safe with respect to `arg` (per-request state
 * belongs in ctx->state).  For each proxied request the proxy calls, on the
 * request's event loop thread:
 *
 *   on_request            once, before anything goes upstream
 *   then either           on_response   once (a non-streamed reply, whole body;
 *                         also an unauditable one: ctx->unauditable, empty body)
 *   or                    on_stream_event per event, then on_stream_end once
 *                         (the upstream answered 2xx with text/event-stream and
 *                         identity encoding; upstream event/id/retry fields and
 *                         veritee-receipt events never reach the hooks or the client)
 *   or                    on_error once, when the gateway answers with an error
 *                         of its own before any reply started (the upstream
 *                         failed, timed out or could not be reached, or a hook
 *                         failed); a stream that fails once started ends with
 *                         an error event and on_stream_end(complete = false)
 *   on_finish             always exactly once at the end (also after a block,
 *                         an upstream failure or a client that went away);
 *                         free ctx->state here.
 *
 * A hook that returns a status other than VT_OK fails the exchange: before
 * the reply has started the client gets a 500 JSON error; once a stream has
 * started it gets a final error event and the stream ends (on_stream_event:
 * VT_E_POLICY means blocked, 403 content_blocked; VT_E_FORMAT or VT_E_LIMIT
 * means the event cannot be audited, 502 upstream_unauditable, and
 * ctx->unauditable is set before on_stream_end).
 */
#ifndef VT_GW_HOOKS_H
#define VT_GW_HOOKS_H

#include <stdbool.h>

#include <stdint.h>

#include "gateway/sse.h"
#include "veritee/base.h"

/* Per-request context (owned by the proxy; valid from on_request to on_finish). */
typedef struct vt_gw_ctx {
    const char *method;  /* "GET" / "POST" */
    const char *path;    /* client request path, e.g. "/v1/chat/completions" (no query) */
    unsigned long id;    /* per-process request number */
    unsigned loop;       /* index of the event loop (thread) serving it: 0 .. vt_gw_loop_count()-1 */
    int upstream_status; /* 0 until the upstream answered */
    bool forwarded;      /* the request was written to a connected upstream connection */
    bool streamed;       /* the reply is an event stream */
    bool auditor_failed; /* on_stream_event's VT_E_POLICY is an auditor that failed closed, not a block */
    /* Set by the proxy when the upstream's reply cannot be audited (a reason such as
     * "Content-Encoding gzip"; static storage); its body is then not forwarded.  on_response
     * clears it when it built the reply itself (a 502 with a receipt); otherwise the proxy
     * answers 502 upstream_unauditable. */
    const char *unauditable;
    void *state;         /* the hooks' own per-request state */
    /* The downstream deployments a workflow routed the request through (deployment.h), as a
     * JSON array for the receipt's "deployments"; NULL when it went to the gateway's own upstream. */
    const char *deployments;
} vt_gw_ctx;

struct vt_gw_headers;
struct json_t;

/* Verdict of on_request. */
typedef struct vt_gw_verdict {
    bool block;        /* true: do not forward; reply status + message */
    int status;        /* HTTP status for a block (e.g. 400, 403) */
    char type[64];     /* OpenAI error "type", e.g. "invalid_request_error" */
    char code[64];     /* OpenAI error "code", e.g. "content_blocked" */
    char message[512]; /* shown to the client */
    /* Optional, for a block: when body.len > 0 it is sent verbatim (JSON) instead of an
     * error built from type/code/message, with these headers added.  Freed by the proxy. */
    struct vt_buf body;
    struct vt_gw_headers *headers;
} vt_gw_verdict;

/* Extra response headers a hook adds (e.g. Veritee-Receipt).  Owned by the proxy. */
#define VT_GW_MAX_EXTRA_HEADERS 8
typedef struct vt_gw_headers {
    size_t count;
    char *name[VT_GW_MAX_EXTRA_HEADERS];  /* owned (malloc) */
    char *value[VT_GW_MAX_EXTRA_HEADERS]; /* owned (malloc) */
} vt_gw_headers;

/* Adds a header (copies name and value).  VT_E_LIMIT past VT_GW_MAX_EXTRA_HEADERS,
 * VT_E_ARG when either has a CR, LF or NUL. */
VT_NODISCARD vt_status vt_gw_headers_add(vt_gw_headers *h, const char *name, const char *value, vt_err *err);
void vt_gw_headers_free(vt_gw_headers *h);

/* Read-only view of the upstream's response headers. */
typedef struct vt_gw_header_view {
    /* Returns the value of the first header named name (case-insensitive), or NULL. */
    const char *(*get)(const struct vt_gw_header_view *v, const char *name);
    const void *impl;
} vt_gw_header_view;

typedef struct vt_gw_hooks {
    void *arg; /* borrowed; lives as long as the gateway */
    /* body: in/out, the client's request body; rewrite it to forward something else. */
    vt_status (*on_request)(void *arg, vt_gw_ctx *ctx, vt_buf *body, vt_gw_verdict *verdict, vt_err *err);
    /* status, body: in/out, the upstream's status and whole body; extra: headers to add to the reply. */
    vt_status (*on_response)(void *arg, vt_gw_ctx *ctx, int *status, const vt_gw_header_view *headers, vt_buf *body,
                             vt_gw_headers *extra, vt_err *err);
    /* ev: in/out; ev->data is the event's data (e.g. one chat.completion.chunk, or "[DONE]"). */
    vt_status (*on_stream_event)(void *arg, vt_gw_ctx *ctx, vt_gw_sse_event *ev, vt_err *err);
    /* out: SSE text to send before the stream ends (use vt_gw_sse_write_str); the
     * receipt goes here as `event: veritee-receipt`.  complete: the upstream finished; false: the
     * stream failed and its error event is already out, so nothing but the receipt may follow. */
    vt_status (*on_stream_end)(void *arg, vt_gw_ctx *ctx, bool complete, vt_buf *out, vt_err *err);
    void (*on_finish)(void *arg, vt_gw_ctx *ctx);
    /* The gateway answers an error of its own instead of a reply (see above): status and body
     * (one OpenAI-shaped error JSON and a newline) are exactly what the client gets; extra:
     * headers to add (the receipt).  Not called after on_response, nor for an on_request block. */
    vt_status (*on_error)(void *arg, vt_gw_ctx *ctx, int status, const vt_buf *body, vt_gw_headers *extra,
                          vt_err *err);
    /* Every byte of a streamed reply as it is queued for the client (events, error events,
     * what on_stream_end added), so a hook can digest exactly what was sent. */
    void (*on_stream_bytes)(void *arg, vt_gw_ctx *ctx, const uint8_t *p, size_t len);
    /* GET /v1/attestation?<query>: fill *status and body (JSON).  NULL = 404. */
    vt_status (*on_attestation)(void *arg, const char *query, int *status, vt_buf *body, vt_err *err);
    /* Routes served beside the proxy (Oblivious HTTP, gateway/ohttp.h), asked first for every
     * request: evreq is the struct evhttp_request, base its loop's struct event_base, port the
     * gateway's.  Returns true when it took the request.  NULL = none. */
    bool (*on_front)(void *arg, void *evreq, void *base, uint16_t port);
    void *front_arg; /* on_front's arg; borrowed, lives as long as the gateway */
    /* One auditor of the chain (by name) on one text in one phase (request or response), for MCP's
     * audit_check: *result (caller owns) = {auditor, phase, verdict, entry, text}.  NULL = none. */
    vt_status (*on_audit_check)(void *arg, const char *auditor, const char *phase, const char *text, size_t len,
                                struct json_t **result, vt_err *err);
} vt_gw_hooks;

/* Pass-through: forwards everything unchanged.  Any function pointer in a
 * table may also be NULL, which means the same. */
extern const vt_gw_hooks vt_gw_hooks_passthrough;

#endif
