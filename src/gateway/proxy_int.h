/*
 * The proxy's internals shared by proxy.c (loops, listeners), routes.c (the front),
 * exchange.c (one request's lifecycle) and upstream.c (the upstream client and pool).
 * Not a public interface: only the proxy's own files and its unit tests include it.
 */
#ifndef VT_GW_PROXY_INT_H
#define VT_GW_PROXY_INT_H

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>

#include "gateway/client_watch.h"
#include "gateway/deployment.h"
#include "gateway/inner.h"
#include "gateway/mcp.h"
#include "gateway/oplog.h"
#include "gateway/proxy.h"
#include "gateway/transport.h"
#include "gateway/up_headers.h"
#include "veritee/http.h"
#include "veritee/tls.h"

#define POOL_IDLE_SECS 60 /* an idle upstream connection is closed after this */
#define MAX_LINE 8192     /* one status, header or chunk-size line from the upstream */

struct gw_loop;

enum up_state {
    UP_IDLE,       /* in the pool */
    UP_STATUS,     /* waiting for the status line */
    UP_HEADERS,
    UP_BODY_LEN,   /* Content-Length body */
    UP_BODY_CLOSE, /* body delimited by the connection closing */
    UP_CHUNK_SIZE,
    UP_CHUNK_DATA,
    UP_CHUNK_CRLF,
    UP_TRAILERS,
};

struct upconn {
    struct gw_loop *loop;
    struct bufferevent *bev;
    struct upconn *next; /* pool list */
    struct exchange *ex; /* NULL while pooled */
    const vt_gw_target *tgt; /* a workflow's downstream deployment; NULL = the upstream */
    enum up_state st;
    bool connected;
    bool reused;    /* came from the pool: a failure before any byte may be a stale connection */
    bool got_bytes; /* some response byte arrived for the current request */
    bool keepalive;
    int status;
    vt_gw_upheaders headers;
    size_t hdr_bytes;
    uint64_t remaining;
};

struct exchange {
    struct gw_loop *loop;
    struct evhttp_request *req;        /* NULL once the client is gone or answered */
    struct evhttp_connection *cevcon;  /* the client's connection */
    vt_gw_watch *watch;                /* EOF on the client's socket before the reply starts */
    struct upconn *up;
    vt_gw_ctx ctx;
    char method[8];
    char path[256];
    vt_buf body;     /* request body as forwarded */
    char *target;    /* upstream request-target (owned) */
    struct evbuffer *resp; /* non-streamed body */
    struct evbuffer *out;  /* streamed events waiting to go to the client */
    vt_gw_sse sse;
    vt_buf scratch;
    bool streaming;
    bool paused;
    char why[256];   /* ctx.unauditable points here */
    const vt_gw_target *tgt; /* a workflow's downstream deployment; NULL = the upstream */
    char *deployments;       /* ctx.deployments (owned) */
    bool retried;
    bool answered;   /* on_response ran, or on_request blocked: on_error is not called */
};

struct gw_loop {
    vt_gw *gw;
    unsigned index;
    struct event_base *base;
    struct evhttp *http;
    evutil_socket_t fd;
    pthread_t thread;
    bool thread_started;
    struct upconn *idle;
    unsigned idle_count;
    struct event *sig[2];
    struct evhttp_bound_socket *bound;
    struct evhttp *http_plain; /* the plain listener beside an HTTPS one (cfg->listen_plain_host) */
    evutil_socket_t fd_plain;
    struct evhttp_bound_socket *bound_plain;
    struct evbuffer *upreq; /* an upstream request being written at once (upstream.c); NULL until first use */
    char date[64];          /* the replies' Date, formatted once a second (exchange.c) */
    time_t date_at;
};

struct vt_gw {
    const vt_gw_config *cfg;
    const vt_gw_hooks *hooks;
    unsigned nloops;
    struct gw_loop *loops;
    uint16_t port;
    uint16_t plain_port;
    vt_gw_self self; /* how the gateway reaches itself (transport.c) */
    atomic_uint inflight;
    atomic_ulong next_id;
    vt_ratelimit *attest_rl; /* fresh quotes: one bucket for the whole gateway */
    struct sockaddr_storage up_addr;
    socklen_t up_addrlen;
    char host_header[300];
    struct timeval up_connect_tv, up_idle_tv, pool_tv;
    vt_connguard *guard; /* client connection caps and request deadline (shared with the verifier) */
};

/* What the gateway answers browsers (routes.c; http/cors.c). */
extern const vt_cors gwp_cors;

enum route { R_NONE, R_CHAT, R_COMPLETIONS, R_EMBEDDINGS, R_MODELS, R_MODEL, R_HEALTH, R_ATTESTATION };
#define MODEL_ID_MAX 128

void gwp_client_closed(struct evhttp_connection *evcon, void *arg);
bool gwp_ex_body(struct exchange *ex, struct evbuffer *in, size_t n);
void gwp_ex_complete(struct exchange *ex, bool reusable);
void gwp_ex_fail(struct exchange *ex, int status, const char *type, const char *code, const char *msg);
void gwp_ex_finish(struct exchange *ex);
bool gwp_ex_headers(struct exchange *ex, struct upconn *c);
void gwp_ex_start_upstream(struct exchange *ex);
struct evhttp_request *gwp_ex_take_req(struct exchange *ex);
void gwp_flush_now(struct bufferevent *bev, bool more);
bool gwp_framing(struct upconn *c, bool *no_body);
void gwp_handle(struct evhttp_request *req, void *arg);
bool gwp_model_id_ok(const char *s);
bool gwp_parse_header(struct upconn *c, char *l);
bool gwp_parse_status(struct upconn *c, const char *l);
void gwp_reply_error(struct evhttp_request *req, int status, const char *type, const char *code, const char *msg);
enum route gwp_route_of(const char *path, bool *post);
void gwp_up_free(struct upconn *c);
void gwp_up_process(struct upconn *c);
void gwp_up_release(struct upconn *c, bool reusable);
void gwp_watch_start(struct exchange *ex);

#endif
