/*
 * veritee HTTP helpers: a small server over libevent (routing, JSON replies,
 * limits, access log, metrics) shared by the verifier and the gateway, and a
 * blocking JSON client over libcurl for the CLI.  Documented in
 * docs/verifier.md ("HTTP layer").
 *
 * Handlers are plain functions of (request view, response): they never touch
 * libevent, so tests drive them without sockets (HS-12).
 */
#ifndef VERITEE_HTTP_H
#define VERITEE_HTTP_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_HTTP_MAX_PARAMS 4
#define VT_HTTP_PARAM_MAX 128   /* bytes of one {param} segment */
#define VT_HTTP_MAX_ROUTES 64

/* ---- request and response seen by a handler ---- */
typedef struct vt_http_req {
    const char *method;          /* "GET", "POST", ... */
    const char *path;            /* the path, without the query */
    const char *query;           /* raw query string without '?', or NULL */
    const char *route;           /* the matched route's pattern (metrics label) */
    char params[VT_HTTP_MAX_PARAMS][VT_HTTP_PARAM_MAX]; /* {param} captures, in order */
    size_t param_count;
    const uint8_t *body;         /* borrowed for the call; NUL-terminated */
    size_t body_len;
    const char *authorization;   /* the Authorization header, or NULL */
    const char *client;          /* client address as text */
    const char *request_id;      /* 16 hex chars, also sent as X-Request-Id */
    void *thread_ctx;            /* what opts.thread_init made for this worker */
    void *server_req;            /* the server's own state of this request (vt_http_reply_later);
                                    NULL when no server is behind the call */
    const char *mcp_protocol_version; /* the MCP-Protocol-Version header, or NULL (POST /mcp reads it) */
} vt_http_req;

typedef struct vt_http_resp {
    int status;                  /* 0 = not set yet */
    vt_buf body;                 /* owned by the server; freed after sending */
    const char *content_type;    /* static string; NULL = application/json */
    const char *cache_control;   /* static string; NULL = no-store */
    const char *csp;             /* static Content-Security-Policy; NULL = nothing may load (API answers) */
    char code[48];               /* stable error code of an error reply ("" on success) */
    bool later;                  /* set by vt_http_reply_later: the reply comes from its finish */
} vt_http_resp;

/* Fills resp->body with a copy of json (a complete JSON text). */
VT_NODISCARD VT_API vt_status vt_http_reply_json(vt_http_resp *resp, int status, const char *json, vt_err *err);
/* Plain text reply (metrics). */
VT_NODISCARD VT_API vt_status vt_http_reply_text(vt_http_resp *resp, int status, const char *content_type,
                                                 const char *text, size_t len, vt_err *err);
/* {"error":{"code":code,"message":...}}.  code is a stable lowercase identifier;
 * the message is for people and never contains secrets. */
VT_API void vt_http_reply_error(vt_http_resp *resp, int status, const char *code, const char *fmt, ...)
    VT_PRINTF(4, 5);
/* Decodes the value of one query parameter (application/x-www-form-urlencoded)
 * into out.  VT_E_NOTFOUND when absent, VT_E_LIMIT when longer than out_len-1,
 * VT_E_FORMAT for a bad escape, a NUL, or a parameter given more than once. */
VT_NODISCARD VT_API vt_status vt_http_query_get(char *out, size_t out_len, const char *query, const char *name,
                                                vt_err *err);

/*
 * Replies that wait for another thread.  A handler whose answer waits on
 * something slow that another thread does (the log's commit and its fsync)
 * calls vt_http_reply_later and returns without replying, so its event loop
 * serves other requests meanwhile.  When the answer is ready, any thread calls
 * vt_http_later_wake: finish(resp, arg) then runs on the request's own loop,
 * fills resp as a handler would, and the reply is sent.  finish runs exactly
 * once per later: with resp NULL when nobody is left to answer (the server
 * was freed first), only to release arg.  The request's body stays valid until
 * finish returns; nothing else of req does (copy what finish needs).
 * NULL when no server is behind the call (vt_http_dispatch, in-process calls)
 * or out of memory: the handler then finishes the request itself, at once.
 */
typedef struct vt_http_later vt_http_later;
typedef void (*vt_http_finish_fn)(vt_http_resp *resp, void *arg);
VT_API vt_http_later *vt_http_reply_later(vt_http_resp *resp, const vt_http_req *req, vt_http_finish_fn finish,
                                          void *arg);
/* From any thread, exactly once per later. */
VT_API void vt_http_later_wake(vt_http_later *l);

/* ---- routing ---- */
typedef void (*vt_http_handler)(vt_http_resp *resp, const vt_http_req *req, void *ctx);

typedef struct vt_http_route {
    const char *method;          /* static; "GET", ... */
    const char *pattern;         /* static; "/v1/passports/{id}"; a final "/" then "*" segment matches any rest */
    vt_http_handler fn;
    void *ctx;                   /* borrowed; passed to fn */
} vt_http_route;

typedef struct vt_http_router {
    vt_http_route routes[VT_HTTP_MAX_ROUTES];
    size_t count;
} vt_http_router;

VT_API void vt_http_router_init(vt_http_router *r);
/* VT_E_LIMIT beyond VT_HTTP_MAX_ROUTES, VT_E_ARG for a malformed pattern. */
VT_NODISCARD VT_API vt_status vt_http_router_add(vt_http_router *r, const char *method, const char *pattern,
                                                 vt_http_handler fn, void *ctx, vt_err *err);
/*
 * Finds the route for method and path and fills req->params / param_count /
 * route.  VT_OK with *route_out set; VT_E_NOTFOUND when no pattern matches the
 * path (404); VT_E_UNSUPPORTED when a pattern matches but not the method (405).
 * A {param} segment matches 1..VT_HTTP_PARAM_MAX-1 bytes without '/'.
 */
VT_NODISCARD VT_API vt_status vt_http_router_match(const vt_http_route **route_out, const vt_http_router *r,
                                                   const char *method, const char *path, vt_http_req *req);

/* ---- per-client token bucket ---- */
typedef struct vt_ratelimit vt_ratelimit; /* caller owns, vt_ratelimit_free(); thread-safe */
/* rate tokens per second, burst = bucket size; at most `clients` buckets are
 * tracked (the least recently seen is evicted). */
VT_NODISCARD VT_API vt_status vt_ratelimit_new(vt_ratelimit **out, double rate, double burst, size_t clients,
                                               vt_err *err);
/* Takes one token for key at time now_ms (monotonic milliseconds); false = over the limit. */
VT_API bool vt_ratelimit_take(vt_ratelimit *rl, const char *key, int64_t now_ms);
VT_API void vt_ratelimit_free(vt_ratelimit *rl);

/* ---- Origin: which browser pages may call a service ----
 *
 * A browser names the page that makes a request in its Origin header; other
 * clients (curl, the SDKs, the CLI) send none.  Both services refuse a request
 * whose Origin is neither a loopback origin nor in the operator's allow-list,
 * before any route runs, so that a page of another site (a cross-site POST
 * that needs no CORS preflight, or a DNS-rebinding page) cannot drive them
 * from a visitor's browser.  The rule and its reasons: src/lib/http/origin.c;
 * for operators: docs/operations.md ("Browsers and the Origin header").
 */
#define VT_ORIGIN_MAX 32         /* entries of one allow-list */
#define VT_ORIGIN_LEN_MAX 255    /* bytes of one origin, header value or entry */

/* scheme://host[:port], normalised: compared field by field. */
typedef struct vt_origin {
    bool https;                       /* else http */
    char host[VT_ORIGIN_LEN_MAX + 1]; /* lowercase; an IPv6 address in its RFC 5952 text, without brackets */
    bool ipv6;
    uint16_t port;                    /* the scheme's default (80, 443) when the text has none */
} vt_origin;

typedef struct vt_origin_list {
    vt_origin entries[VT_ORIGIN_MAX];
    size_t count;
} vt_origin_list;

/*
 * Parses an origin as a browser serialises it (RFC 6454 section 6.1):
 * "http" or "https", "://", a host (a name of [A-Za-z0-9._-], a dotted IPv4
 * address, or [IPv6]) and an optional ":port" (1..65535); nothing else (no
 * path, not even "/", no userinfo, query or space).  Scheme and host are
 * compared without case.  VT_E_LIMIT beyond VT_ORIGIN_LEN_MAX bytes,
 * VT_E_FORMAT for anything else (err names the part); *out is zeroed on failure.
 */
VT_NODISCARD VT_API vt_status vt_origin_parse(vt_origin *out, const char *s, size_t len, vt_err *err);
/* "scheme://host[:port]" into out (the default port left out, IPv6 in brackets); truncated to fit. */
VT_API void vt_origin_format(char *out, size_t out_len, const vt_origin *o);
/* Whether o names this machine's loopback: localhost, 127.0.0.0/8 or ::1. */
VT_API bool vt_origin_loopback(const vt_origin *o);
/*
 * Whether url ("http://" or "https://", borrowed) goes to this machine's loopback: its scheme,
 * host and port (up to the first '/' after the scheme) parse as an origin (vt_origin_parse) that
 * vt_origin_loopback takes.  false for anything else, and for what does not parse: an address
 * that only maps to the loopback ([::ffff:127.0.0.1]) or a name that may resolve to it is another
 * host.  What `veritee chat` and the gateway's workflow deployments ask of a plain http:// URL.
 */
VT_API bool vt_url_loopback(const char *url);
/* An empty list (loopback origins only). */
VT_API void vt_origin_list_init(vt_origin_list *l);
/*
 * Adds one allowed origin (vt_origin_parse's form; an origin already listed is
 * not added twice).  VT_E_ARG for "null" and "*" (neither can be allowed: every
 * sandboxed page sends null, and * would allow every site), VT_E_LIMIT beyond
 * VT_ORIGIN_MAX entries, else vt_origin_parse's errors.  l unchanged on failure.
 */
VT_NODISCARD VT_API vt_status vt_origin_list_add(vt_origin_list *l, const char *origin, vt_err *err);
/*
 * The decision on one request's Origin header value (NULL when absent): VT_OK
 * for no Origin, a loopback origin (http(s)://localhost, 127.0.0.0/8, [::1],
 * any port) or one in l (NULL = empty list); VT_E_POLICY for anything else,
 * "null", a malformed or an overlong value, with err saying which (an echoed
 * origin is its normalised, printable form; a malformed one is not echoed).
 */
VT_NODISCARD VT_API vt_status vt_origin_check(const vt_origin_list *l, const char *value, vt_err *err);
/*
 * vt_origin_check on the request's Origin header; more than one Origin header
 * is VT_E_POLICY.  What both services call before routing.  req borrowed.
 * value_out (optional): the allowed Origin header's value, borrowed, valid
 * while req lives; NULL when the request has none, and on failure.  It is what
 * CORS echoes (vt_cors_add): a value that passed vt_origin_parse, so only
 * scheme, host and port characters.
 */
struct evhttp_request;
VT_NODISCARD VT_API vt_status vt_origin_check_request(const char **value_out, const vt_origin_list *l,
                                                      struct evhttp_request *req, vt_err *err);

/* ---- Host: which names a service answers (opt-in) ----
 *
 * Same-origin GETs carry no Origin, so after DNS rebinding a page reads a
 * service's GET routes as its own; its browser still sends the attacker's
 * name as Host.  With a list of the names clients use (--allow-host), a
 * request whose Host is neither one of them nor a loopback name (localhost,
 * 127.0.0.0/8, [::1]) is refused 421 host_not_allowed before routing.  No
 * list: nothing is checked.  The rule and its reasons: src/lib/http/host.c;
 * for operators: docs/operations.md ("Browsers and the Origin header").
 */
#define VT_HOST_MAX 32 /* entries of one allow-list */

typedef struct vt_host_list {
    vt_origin entries[VT_HOST_MAX]; /* host, ipv6 and port (0 = any port); https unused */
    size_t count;
} vt_host_list;

/* An empty list (nothing checked). */
VT_API void vt_host_list_init(vt_host_list *l);
/*
 * Adds one allowed NAME[:PORT]: a name of [A-Za-z0-9._-] (compared without
 * case), a dotted IPv4 address or [IPv6], and an optional port 1..65535
 * (none = any port; a Host without a port matches :80 and :443 entries).
 * VT_E_FORMAT for anything else (a scheme, a path, userinfo), VT_E_LIMIT beyond
 * VT_HOST_MAX entries or 248 bytes.  An entry already listed is not added
 * twice; l unchanged on failure.
 */
VT_NODISCARD VT_API vt_status vt_host_list_add(vt_host_list *l, const char *host, vt_err *err);
/* "name[:port]" of an entry (IPv6 in brackets) into out; truncated to fit. */
VT_API void vt_host_format(char *out, size_t out_len, const vt_origin *entry);
/*
 * The decision on one request's Host header value (NULL when absent): VT_OK
 * when l is NULL or empty, for a loopback name, or a name l allows;
 * VT_E_POLICY otherwise (no Host, a malformed or overlong one, another name),
 * with err saying which (a parsed name is echoed normalised; a malformed one is
 * not echoed).
 */
VT_NODISCARD VT_API vt_status vt_host_check(const vt_host_list *l, const char *value, vt_err *err);
/* vt_host_check on req's Host header; more than one is VT_E_POLICY.  req borrowed. */
struct evhttp_request;
VT_NODISCARD VT_API vt_status vt_host_check_request(const vt_host_list *l, struct evhttp_request *req, vt_err *err);

/* ---- CORS: what an allowed page may send and read ----
 *
 * A page whose origin the Origin rule lets through (a loopback page, an
 * allow-listed one) may call the service, but its browser only lets it read an
 * answer that names its origin in Access-Control-Allow-Origin, and sends a
 * request with a JSON body or an Authorization header only after an OPTIONS
 * preflight the service grants.  Both services answer both with one policy
 * each, a vt_cors: the methods of their routes, the request headers they read,
 * the response headers a client needs.  Nothing is echoed but the origin; no
 * Access-Control-Allow-Credentials (neither service reads cookies or other
 * ambient credentials: a client sends its token itself).  Why and how:
 * src/lib/http/cors.c; for operators: docs/operations.md ("Browsers and the
 * Origin header").
 */
#define VT_CORS_MAX_AGE "600"              /* seconds a browser may keep a granted preflight */
#define VT_CORS_REQUEST_HEADERS_LEN_MAX 1024 /* bytes of one Access-Control-Request-Headers value */
#define VT_CORS_PREFIXED_MAX 16              /* headers of vt_cors.prefix one preflight may name */
#define VT_CORS_PREFIXED_NAME_MAX 64         /* bytes of one such header name, the prefix included */
#define VT_CORS_ALLOW_HEADERS_LEN_MAX 2048   /* Access-Control-Allow-Headers as vt_cors_preflight writes it */

typedef struct vt_cors {
    const char *methods; /* borrowed: Access-Control-Allow-Methods, e.g. "GET, POST" (exact, ", " between) */
    const char *headers; /* borrowed: the request headers the service reads, lowercase, ", " between */
    const char *expose;  /* borrowed: Access-Control-Expose-Headers ("Veritee-Receipt, Retry-After"); NULL = none */
    const char *prefix;  /* borrowed: lowercase; request headers named prefix + letters, digits, '-' (up to
                            VT_CORS_PREFIXED_NAME_MAX bytes, VT_CORS_PREFIXED_MAX a preflight) are granted too,
                            each by the name asked ("x-stainless-": the OpenAI SDKs'); NULL = none */
} vt_cors;

/*
 * The decision on one preflight, from its Access-Control-Request-Method and
 * Access-Control-Request-Headers values (headers NULL when absent): VT_OK when
 * method is one of c->methods (compared with case, as methods are) and every
 * name in headers (a comma-separated list of header names, optional spaces
 * and tabs, empty elements ignored) is one of c->headers (compared without
 * case) or, with c->prefix, a name of that prefix (see vt_cors).  VT_E_POLICY
 * for no method, another method or another header, with err naming it (a name
 * that is not a token, or a long one, is not echoed); VT_E_FORMAT for a list
 * with anything but names, commas and spaces; VT_E_LIMIT beyond
 * VT_CORS_REQUEST_HEADERS_LEN_MAX bytes or VT_CORS_PREFIXED_MAX prefixed names.
 */
VT_NODISCARD VT_API vt_status vt_cors_preflight_check(const vt_cors *c, const char *method, const char *headers,
                                                      vt_err *err);
/*
 * vt_cors_preflight_check, and on VT_OK the Access-Control-Allow-Headers value
 * of the grant in allow_out (allow_len bytes, NUL-terminated): c->headers,
 * then each prefixed name asked for, lowercase, once, in the order asked.
 * VT_E_LIMIT when it does not fit (VT_CORS_ALLOW_HEADERS_LEN_MAX does for a
 * c->headers of up to 900 bytes).  allow_out is "" on failure.
 */
VT_NODISCARD VT_API vt_status vt_cors_preflight_grant(char *allow_out, size_t allow_len, const vt_cors *c,
                                                      const char *method, const char *headers, vt_err *err);
/* Is req an OPTIONS request with an Access-Control-Request-Method header (a preflight, when it has an Origin)? */
VT_API bool vt_cors_is_preflight(struct evhttp_request *req);
/*
 * Answers the preflight req of the allowed origin (vt_origin_check_request's
 * value_out): vt_cors_preflight_check on its headers; granted, adds
 * Access-Control-Allow-Origin: origin, Vary: Origin, Access-Control-Allow-Methods,
 * -Allow-Headers, -Max-Age (VT_CORS_MAX_AGE) and, when the preflight asks
 * (Access-Control-Request-Private-Network: true), Access-Control-Allow-Private-Network:
 * true to req's output headers, and the caller replies 204 without a body.
 * Refused: only Vary: Origin is added, the caller replies 403 with err.
 */
VT_NODISCARD VT_API vt_status vt_cors_preflight(const vt_cors *c, struct evhttp_request *req, const char *origin,
                                                vt_err *err);
/*
 * An answer to an allowed origin's request (not a preflight): adds
 * Access-Control-Allow-Origin: origin, Vary: Origin and, with c->expose,
 * Access-Control-Expose-Headers to headers (a request's output headers).  Call
 * again after anything that clears them.
 */
struct evkeyvalq;
VT_API void vt_cors_add(const vt_cors *c, struct evkeyvalq *headers, const char *origin);

/* ---- Security headers: on every reply of both services ----
 *
 * X-Content-Type-Options: nosniff (a browser never runs or renders an answer
 * as another type than its Content-Type) and Referrer-Policy: no-referrer.
 * The verifier's server, the gateway (proxied answers, its own errors, OHTTP,
 * MCP) and the connection guard's own replies add them with this one
 * function; why: src/lib/http/sechdr.c.
 */
/* Adds the security headers to headers (a request's output headers).  Call again after anything
 * that clears them. */
VT_API void vt_http_sechdr_add(struct evkeyvalq *headers);

/* ---- Prometheus metrics ---- */
typedef struct vt_metrics vt_metrics; /* caller owns, vt_metrics_free(); thread-safe */
VT_NODISCARD VT_API vt_status vt_metrics_new(vt_metrics **out, vt_err *err);
VT_API void vt_metrics_free(vt_metrics *m);
/* Declares a family: type "counter", "gauge" or "histogram"; name/help static
 * strings.  Histograms use fixed latency buckets (seconds, 0.0005 .. 10); a
 * gauge moves with vt_metrics_inc by positive or negative amounts. */
VT_NODISCARD VT_API vt_status vt_metrics_declare(vt_metrics *m, const char *name, const char *type, const char *help,
                                                 vt_err *err);
/* labels: rendered label pairs without braces, e.g. `route="/x",code="200"`
 * (values must already be escaped; vt_metrics_label_escape helps).  A series
 * is created on first use; at most 1024 series in all (then ignored). */
VT_API void vt_metrics_inc(vt_metrics *m, const char *name, const char *labels, double v);
VT_API void vt_metrics_observe(vt_metrics *m, const char *name, const char *labels, double seconds);
/* Copies s into out escaping '\\', '"' and newlines; truncates to fit. */
VT_API void vt_metrics_label_escape(char *out, size_t out_len, const char *s);
/* The text exposition format (version 0.0.4), appended to out. */
VT_NODISCARD VT_API vt_status vt_metrics_render(vt_buf *out, vt_metrics *m, vt_err *err);

/* ---- the connection guard (both services' evhttp fronts) ----
 *
 * Counts every accepted connection (also those still sending headers)
 * against a total and a per-address cap, closes a connection that has not
 * sent a complete request within request_timeout_ms of accept (or of its
 * previous reply; the deadline is not reset by trickled bytes), refuses
 * requests with ambiguous framing (RFC 9112 6.3: 400), and pauses accepting
 * after an accept error (EMFILE, ENFILE, ...) instead of retrying in a loop.
 * The caps are fitted to the open-file limit at creation (the soft limit is
 * raised towards the hard one; where that is not enough the total cap is
 * lowered, with a warning), and a loop stops accepting while its room for
 * connections waiting for admission is full, so descriptors stay bounded.
 * At a cap, a connection that has waited over a second without a complete
 * request is evicted to make room for the new one, so slow clients cannot
 * lock out fresh ones (health checks).  Refused, evicted and timed-out
 * connections get a one-line 503/408 JSON reply where the socket takes it,
 * one summary log line per second at most ("connection_limits" with counts),
 * and the metrics http_connections_open (gauge),
 * http_connections_closed_by_server_total{reason} and http_accept_errors_total.
 * Documented in docs/operations.md.
 */
struct event_base;
struct bufferevent;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;

typedef struct vt_connguard_opts {
    unsigned loops;              /* event loops that will attach (indexes 0..loops-1); 0 = 1 */
    unsigned max_connections;    /* all loops together; 0 = 512 */
    unsigned max_per_client;     /* from one client address; 0 = 64 */
    unsigned request_timeout_ms; /* accept (or previous reply) to a complete request; 0 = 10000 */
    unsigned fds_per_conn;       /* descriptors one connection may hold (the gateway: 2, with its
                                    upstream); the caps are fitted to RLIMIT_NOFILE with it; 0 = 1 */
    const char *name;            /* static; service name in log lines */
    vt_metrics *metrics;         /* borrowed, optional; must outlive the guard */
    /* Browsers: the service's Origin allow-list (NULL = loopback origins only) and CORS policy
     * (NULL = no CORS headers), both borrowed, outliving the guard.  A reply the guard writes to
     * a request it has read (400 for ambiguous framing, 503 for a complete request refused at a
     * cap) carries vt_cors_add's headers when vt_origin_check_request allows the request's
     * Origin, so the page sees the status instead of a network error; never for a refused
     * Origin.  A connection closed before its request was read (timeout, eviction) gets none. */
    const vt_origin_list *origins;
    const vt_cors *cors;
} vt_connguard_opts;

typedef struct vt_connguard vt_connguard; /* caller owns, vt_connguard_free(); shared by the loops */
typedef void (*vt_connguard_request_fn)(struct evhttp_request *req, void *arg);

VT_NODISCARD VT_API vt_status vt_connguard_new(vt_connguard **out, const vt_connguard_opts *opts, vt_err *err);
/*
 * Guards the evhttp http served by event loop base (one thread), accepting on
 * bound.  Takes over evhttp's bevcb and gencb (cb with arg gets every complete,
 * well-framed request; do not call evhttp_set_gencb/bevcb afterwards, nor
 * evhttp_request_set_on_complete_cb on its requests), the listener's error
 * callback, and adds a 100 ms timer to base.  Call before base runs.  All
 * pointers are borrowed and must outlive the guard, except bound: call
 * vt_connguard_unlisten before removing it.  VT_E_ARG for a bad or reused index.
 */
VT_NODISCARD VT_API vt_status vt_connguard_attach(vt_connguard *g, unsigned index, struct event_base *base,
                                                  struct evhttp *http, struct evhttp_bound_socket *bound,
                                                  vt_connguard_request_fn cb, void *arg, vt_err *err);
/* Makes loop index's connections with fn(arg, base) instead of a socket
 * bufferevent (a TLS listener: vt_tls_server_bev); call after attach, before
 * base runs.  fn's bufferevent must carry BEV_OPT_CLOSE_ON_FREE or leave the
 * socket to evhttp, as a socket bufferevent without it does. */
typedef struct bufferevent *(*vt_connguard_bev_fn)(void *arg, struct event_base *base);
VT_API void vt_connguard_set_bev(vt_connguard *g, unsigned index, vt_connguard_bev_fn fn, void *arg);
/* Forgets loop index's listener (on that loop's thread, before evhttp_del_accept_socket). */
VT_API void vt_connguard_unlisten(vt_connguard *g, unsigned index);
/*
 * evhttp_connection_set_closecb for a connection the guard serves (on its
 * loop's thread): the guard keeps evhttp's close callback of each connection
 * for itself (it removes the connection's events before evhttp closes the
 * descriptor, and releases it at once) and calls cb from it.  cb NULL clears.
 * A connection the guard does not know gets evhttp_connection_set_closecb.
 * Handlers must not call evhttp_connection_set_closecb on guarded connections.
 */
struct evhttp_connection;
typedef void (*vt_connguard_close_fn)(struct evhttp_connection *evcon, void *arg);
VT_API void vt_connguard_set_closecb(vt_connguard *g, struct evhttp_connection *evcon, vt_connguard_close_fn cb,
                                     void *arg);
/* Connections counted now (all loops). */
VT_API unsigned vt_connguard_open(const vt_connguard *g);
/* Order: evhttp_free every guarded evhttp, then this, then event_base_free. NULL-safe. */
VT_API void vt_connguard_free(vt_connguard *g);

/* ---- the server ---- */
typedef struct vt_http_server_opts {
    const char *listen;          /* "127.0.0.1:8600", "[::1]:0", "localhost:0"; port 0 = any free */
    unsigned threads;            /* event loops (workers); 0 = 2 */
    size_t max_body;             /* bytes; 0 = 1 MiB */
    size_t max_headers;          /* bytes of the request line + headers; 0 = 16 KiB */
    int timeout_s;               /* a complete request (headers and body) must arrive within this
                                    many seconds of accept, or of the previous reply on a kept-alive
                                    connection; also the idle timeout while replying; 0 = 10 */
    unsigned max_connections;    /* open connections in all, counted from accept; 0 = 512 */
    unsigned max_per_client;     /* open connections from one client address; 0 = 64 */
    const char *name;            /* service name in the access log ("verifier") */
    bool access_log;             /* one JSON line per request on stderr */
    vt_metrics *metrics;         /* borrowed; optional: http_requests_total and
                                    http_request_duration_seconds are kept in it */
    /* Optional per-worker state (e.g. a database connection): made on the
     * worker's thread before it serves, freed after it stops. */
    vt_status (*thread_init)(void **tctx, void *arg, unsigned index, vt_err *err);
    void (*thread_fini)(void *tctx, void *arg);
    void *thread_arg;
    /* Browsers (vt_origin_check): a request whose Origin is not allowed is answered 403
     * origin_not_allowed before routing.  origins borrowed, outliving the server; NULL = loopback
     * origins only.  origin_hint (static, optional) tells the refused page's operator how to allow
     * an origin ("start the verifier with --allow-origin ORIGIN"). */
    const vt_origin_list *origins;
    const char *origin_hint;
    /* DNS rebinding (vt_host_check): with a non-empty list, a request whose Host is not in it (nor
     * a loopback name) is answered 421 host_not_allowed before anything else.  hosts borrowed,
     * outliving the server; NULL or empty = nothing checked.  host_hint as origin_hint. */
    const vt_host_list *hosts;
    const char *host_hint;
} vt_http_server_opts;

typedef struct vt_http_server vt_http_server; /* caller owns, vt_http_server_free() */

/* Binds and prepares the workers (nothing is served until run). router is
 * borrowed and must outlive the server. */
VT_NODISCARD VT_API vt_status vt_http_server_new(vt_http_server **out, const vt_http_server_opts *opts,
                                                 const vt_http_router *router, vt_err *err);
/* The bound port (the chosen one when the listen port was 0). */
VT_API int vt_http_server_port(const vt_http_server *s);
/* Serves until vt_http_server_stop(); then waits for the workers.  Calls thread_init on each worker. */
VT_NODISCARD VT_API vt_status vt_http_server_run(vt_http_server *s, vt_err *err);
/* Asks every worker to stop after the requests in progress.  Safe from any thread (not from a signal handler). */
VT_API void vt_http_server_stop(vt_http_server *s);
VT_API void vt_http_server_free(vt_http_server *s);

/* Dispatches one request through the router with the same error handling as
 * the server (404/405 JSON, handler that forgot to reply → 500).  For tests. */
VT_API void vt_http_dispatch(vt_http_resp *resp, const vt_http_router *r, vt_http_req *req);

/* ---- the blocking client (CLI) ---- */
/* A connection kept open between requests (HTTP keep-alive) for a caller that
 * talks to one service often.  Caller owns, vt_http_conn_free(); used by one
 * thread at a time. */
typedef struct vt_http_conn vt_http_conn;
VT_NODISCARD VT_API vt_status vt_http_conn_new(vt_http_conn **out, vt_err *err);
VT_API void vt_http_conn_free(vt_http_conn *c);

typedef struct vt_http_client_opts {
    const char *bearer;          /* borrowed; Authorization: Bearer <bearer>; NULL = none */
    long timeout_ms;             /* whole request; 0 = 30000 */
    size_t max_response;         /* bytes; 0 = 8 MiB */
    const char *authorization;   /* borrowed; the whole Authorization value (instead of bearer); NULL = none */
    vt_http_conn *conn;          /* borrowed; reuse its connection (keep-alive); NULL = a fresh one */
    /* https only (docs/transport.md).  tls_pin (borrowed): "sha256//<base64 SHA-256 of the
     * SubjectPublicKeyInfo>": the server must present exactly this key, which replaces the CA
     * check (a self-signed certificate is fine).  tls_key_out (32 bytes): the CA check is skipped
     * and the SHA-256 of the server key's SubjectPublicKeyInfo is written here, for a caller that
     * authenticates that key itself before trusting the answer (attestation evidence binding it);
     * all zero when the URL is http.  Both NULL: the usual CA check. */
    const char *tls_pin;
    uint8_t *tls_key_out;
} vt_http_client_opts;

typedef struct vt_http_response {
    long status;                 /* HTTP status */
    vt_buf body;                 /* NUL-terminated (terminator not counted); free with vt_http_response_clear */
} vt_http_response;

/*
 * method "GET", "POST", "PUT", "DELETE"; body (JSON text) optional.  Any HTTP
 * status is VT_OK (look at out->status); VT_E_IO with "cannot connect to
 * <url>: <reason>" or "<url>: <reason>" when no response came; VT_E_LIMIT when
 * the response exceeds max_response; VT_E_ARG for a URL that is not http(s).
 */
VT_NODISCARD VT_API vt_status vt_http_request(vt_http_response *out, const char *method, const char *url,
                                              const char *body, const vt_http_client_opts *opts, vt_err *err);
VT_API void vt_http_response_clear(vt_http_response *r);
/*
 * A request whose response body is handed to on_chunk piece by piece as it
 * arrives (server-sent events), for callers that must show or hash the bytes
 * exactly as received.  The request body is sent byte for byte as given.
 */
typedef bool (*vt_http_chunk_fn)(void *arg, const uint8_t *p, size_t len); /* false aborts */

typedef struct vt_http_stream_opts {
    const uint8_t *body;         /* borrowed; NULL = none */
    size_t body_len;
    const char *content_type;    /* of body; NULL = application/json */
    const char *accept;          /* NULL = application/json */
    vt_http_chunk_fn on_chunk;   /* optional; called with every piece of the body */
    void *arg;
    bool keep_body;              /* also collect the body in out->body (capped by max_response) */
    const char *header;          /* one response header to capture (case-insensitive), NULL = none */
    vt_buf *header_value;        /* borrowed: its value (trimmed) is appended here; left empty when absent */
} vt_http_stream_opts;

/* As vt_http_request, with the above.  VT_E_IO "...: aborted" when on_chunk
 * returned false; VT_E_LIMIT when the kept body or the header exceeds the caps
 * (max_response; header 64 KiB). */
VT_NODISCARD VT_API vt_status vt_http_request_stream(vt_http_response *out, const char *method, const char *url,
                                                     const vt_http_stream_opts *sopts,
                                                     const vt_http_client_opts *opts, vt_err *err);
/* For an error reply: "<code>: <message>" from the JSON error body, else "HTTP <status>". */
VT_API void vt_http_response_error(char *out, size_t out_len, const vt_http_response *r);

/* Installs the libcurl transport for collateral fetching (veritee/fetch.h):
 * what a program that fetches Intel PCS, AMD KDS or NVIDIA collateral calls
 * once at start, before any verification. */
VT_API void vt_http_fetch_install(void);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_HTTP_H */
