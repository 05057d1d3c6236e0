/*
 * The connection guard: what libevent 2.1's evhttp server lacks against
 * connection attacks (slowloris and plain floods), shared by the verifier and
 * the gateway.  See include/veritee/http.h and docs/operations.md.
 *
 * Why it is built this way.  evhttp 2.1 has no connection limit, counts
 * nothing before a request is complete, has only an idle timeout (reset by
 * every byte, so a client trickling one header line every few seconds keeps
 * a connection for ever), has no hook for a new connection (no newreqcb; its
 * evhttp_get_request is static), and its listener logs every failed accept
 * and retries at once, so EMFILE becomes a busy loop that fills the log.
 * The public hooks it does have are enough:
 *  - evhttp_set_bevcb: evhttp asks us for the bufferevent of every accepted
 *    connection.  We make it exactly as evhttp would (a socket bufferevent
 *    without BEV_OPT_CLOSE_ON_FREE, so evhttp closes the fd itself) and keep a
 *    reference to it.  That is the count from accept.
 *  - a zero-delay event run right after the accept callback: by then evhttp
 *    has set the fd and the peer address, and nothing has been read, so the
 *    connection is admitted (caps) or closed before it costs more.
 *  - evhttp_connection_set_closecb: evhttp calls it as it frees a connection,
 *    before it closes the descriptor.  The guard keeps that callback for
 *    itself (a handler sets its own through vt_connguard_set_closecb): it
 *    drops our reference there, so evhttp's own free removes the bufferevent's
 *    events and no registration outlives the descriptor (libevent's epoll table would
 *    otherwise confuse a reused descriptor number with the closed one) and
 *    nothing needs to be looked for per accept.
 *  - bufferevent_getcb: evhttp's callbacks stay set on a live connection and
 *    are cleared by bufferevent_free, so a periodic tick still sees any
 *    connection evhttp closed without that callback (our reference keeps the
 *    object valid) and releases it; the same tick closes connections past
 *    the deadline.
 *  - our gencb wrapper and evhttp_request_set_on_complete_cb say when a
 *    request has been read (the deadline stops) and when its reply has been
 *    sent (a kept-alive connection waits for the next request: the deadline
 *    starts again).
 *  - evconnlistener_set_error_cb on evhttp's listener: accept errors pause
 *    accepting instead of looping.  That callback only gets evhttp's own
 *    argument, so the loop is found in a small table keyed by the listener
 *    (the one piece of process-wide state here, under its own mutex).
 * All per-connection state lives in the loop that owns the connection; the
 * totals and the per-address counts are shared under one mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "http/sechdr.h"
#include "veritee/http.h"

#define TICK_MS 100          /* closed connections are released and deadlines checked this often */
#define EVICT_GRACE_MS 1000  /* a connection still waiting for its request this long may be evicted */
#define WAIT_MS 200          /* at a cap, a new connection may wait this long for room or for its request */
#define WAIT_MAX 1024        /* connections waiting so, per loop (less when descriptors are short) */
#define WAIT_MIN 16
#define EVICT_SCAN 16        /* waiting connections looked at to choose one to close (waiting_victim) */
#define ACCEPT_BATCH 32      /* accepts before the loop serves its other connections (less for a small room) */
#define FD_SPARE_MAX 256     /* descriptors kept for the rest of the process (store, logs, upstreams) */
#define RESERVE 16           /* complete requests admitted beyond each cap when nothing can be evicted */
#define PAUSE_MIN_MS 50      /* first pause of accepting after an accept error */
#define PAUSE_MAX_MS 1000
#define LOG_EVERY_MS 1000    /* at most one summary line per second */
#define ADDR_MAX 48          /* INET6_ADDRSTRLEN and a NUL */

enum slot_state { S_FREE, S_PENDING, S_READING, S_BUSY };

struct slot {
    struct bufferevent *bev; /* our reference; NULL when free */
    int64_t since_ms;        /* accept, or the end of the previous reply */
    enum slot_state state;
    bool counted;            /* admitted: in the totals and the address table */
    char addr[ADDR_MAX];
    int32_t next_free;
    int32_t pprev, pnext; /* S_PENDING: the waiting room in arrival order (-1 = none) */
    int8_t why; /* S_PENDING: the cap it waits for (L_REFUSED_*) */
    vt_connguard_close_fn close_cb; /* the handler's close callback (vt_connguard_set_closecb) */
    void *close_arg;
};

struct gloop {
    struct vt_connguard *g;
    struct event_base *base;
    struct evhttp *http;
    struct evconnlistener *lev; /* evhttp's; NULL once the loop stopped listening */
    vt_connguard_request_fn cb;
    void *arg;
    struct event *admit_ev, *tick_ev, *resume_ev;
    struct slot *slots;
    int32_t nslots, free_head, pending;
    int32_t phead, ptail; /* the waiting room, oldest first (-1 when empty) */
    int32_t *hash; /* bev -> slot index, open addressing, -1 = empty */
    size_t hmask;
    unsigned pause_ms;
    bool attached;
    unsigned batch;        /* accepted since the loop last ran anything else */
    struct event *batch_ev; /* accepting again after a batch */
    vt_connguard_bev_fn new_bev; /* makes each connection's bufferevent (TLS); NULL = a socket one */
    void *new_bev_arg;
};

struct addr_ent {
    char addr[ADDR_MAX];
    unsigned count; /* 0 = empty */
};

enum { L_NONE, L_REFUSED_TOTAL, L_REFUSED_CLIENT, L_EVICTED, L_TIMED_OUT, L_ACCEPT_ERR, L_COUNT };

struct vt_connguard {
    vt_connguard_opts o;
    struct gloop *loops;
    unsigned nloops;
    pthread_mutex_t mu; /* open, addrs, log */
    unsigned open;
    struct addr_ent *addrs;
    size_t amask;
    uint64_t logged[L_COUNT]; /* events since the last summary line */
    int last_errno;
    int64_t last_log_ms;
    atomic_uint open_now; /* for readers without the lock */
    int32_t wait_max;     /* connections waiting for admission, per loop */
};

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;

    while (p < n)
        p <<= 1;
    return p;
}

/* ---- logging and metrics ---- */

static const char *const metric_reason[L_COUNT] = { "", "max_connections", "max_per_client", "evicted",
                                                    "request_timeout", "accept_error" };

/* Emits the summary line when a second has passed since the last one and
 * something happened.  Called with g->mu held. */
static void log_flush_locked(struct vt_connguard *g, int64_t now)
{
    json_t *j;
    char *line, ts[32];
    uint64_t any = 0;

    for (int i = 0; i < L_COUNT; i++)
        any |= g->logged[i];
    if (any == 0 || now - g->last_log_ms < LOG_EVERY_MS)
        return;
    g->last_log_ms = now;
    vt_time_format(ts, vt_time_now());
    j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:i}", "ts", ts, "level", "warn", "service",
                  g->o.name != NULL ? g->o.name : "http", "msg", "connection_limits", "refused_max_connections",
                  (json_int_t)g->logged[L_REFUSED_TOTAL], "refused_max_per_client",
                  (json_int_t)g->logged[L_REFUSED_CLIENT], "evicted", (json_int_t)g->logged[L_EVICTED],
                  "request_timeouts", (json_int_t)g->logged[L_TIMED_OUT], "accept_errors",
                  (json_int_t)g->logged[L_ACCEPT_ERR], "open", (int)g->open, "max_connections",
                  (int)g->o.max_connections);
    if (j != NULL && g->logged[L_ACCEPT_ERR] > 0)
        json_object_set_new(j, "accept_error", json_string(strerror(g->last_errno)));
    line = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (line != NULL)
        fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(j);
    memset(g->logged, 0, sizeof(g->logged));
}

static void note(struct vt_connguard *g, int what, int64_t now)
{
    char labels[64];

    pthread_mutex_lock(&g->mu);
    g->logged[what]++;
    log_flush_locked(g, now);
    pthread_mutex_unlock(&g->mu);
    if (g->o.metrics == NULL)
        return;
    if (what == L_ACCEPT_ERR) {
        vt_metrics_inc(g->o.metrics, "http_accept_errors_total", NULL, 1);
        return;
    }
    snprintf(labels, sizeof(labels), "reason=\"%s\"", metric_reason[what]);
    vt_metrics_inc(g->o.metrics, "http_connections_closed_by_server_total", labels, 1);
}

/* ---- the per-address table (guard-wide, under g->mu) ---- */

static size_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

static struct addr_ent *addr_find(struct vt_connguard *g, const char *addr, bool create)
{
    size_t i = str_hash(addr) & g->amask;

    while (g->addrs[i].count != 0) {
        if (strcmp(g->addrs[i].addr, addr) == 0)
            return &g->addrs[i];
        i = (i + 1) & g->amask;
    }
    if (!create)
        return NULL;
    snprintf(g->addrs[i].addr, sizeof(g->addrs[i].addr), "%s", addr);
    return &g->addrs[i];
}

/* Removes an entry whose count fell to 0, shifting back the ones after it. */
static void addr_remove(struct vt_connguard *g, struct addr_ent *e)
{
    size_t i = (size_t)(e - g->addrs), j = i;

    g->addrs[i].count = 0;
    g->addrs[i].addr[0] = '\0';
    for (;;) {
        size_t k;
        j = (j + 1) & g->amask;
        if (g->addrs[j].count == 0)
            return;
        k = str_hash(g->addrs[j].addr) & g->amask;
        /* the entry at j may move to i when its home k is not cyclically in (i, j] */
        if ((i <= j) ? (k <= i || k > j) : (k <= i && k > j)) {
            g->addrs[i] = g->addrs[j];
            g->addrs[j].count = 0;
            g->addrs[j].addr[0] = '\0';
            i = j;
        }
    }
}

/* ---- the per-loop slot table ---- */

static size_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;

    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int32_t slot_find(const struct gloop *L, const struct bufferevent *bev)
{
    size_t i = ptr_hash(bev) & L->hmask;

    while (L->hash[i] >= 0) {
        if (L->slots[L->hash[i]].bev == bev)
            return L->hash[i];
        i = (i + 1) & L->hmask;
    }
    return -1;
}

static void hash_put(struct gloop *L, int32_t idx)
{
    size_t i = ptr_hash(L->slots[idx].bev) & L->hmask;

    while (L->hash[i] >= 0)
        i = (i + 1) & L->hmask;
    L->hash[i] = idx;
}

static void hash_del(struct gloop *L, int32_t idx)
{
    size_t i = ptr_hash(L->slots[idx].bev) & L->hmask, j;

    while (L->hash[i] != idx)
        i = (i + 1) & L->hmask;
    L->hash[i] = -1;
    j = i;
    for (;;) {
        size_t k;
        j = (j + 1) & L->hmask;
        if (L->hash[j] < 0)
            return;
        k = ptr_hash(L->slots[L->hash[j]].bev) & L->hmask;
        if ((i <= j) ? (k <= i || k > j) : (k <= i && k > j)) {
            L->hash[i] = L->hash[j];
            L->hash[j] = -1;
            i = j;
        }
    }
}

/* ---- the waiting room: slots in S_PENDING, oldest first ---- */

static void pend_push(struct gloop *L, int32_t idx)
{
    struct slot *s = &L->slots[idx];

    s->pnext = -1;
    s->pprev = L->ptail;
    if (L->ptail >= 0)
        L->slots[L->ptail].pnext = idx;
    else
        L->phead = idx;
    L->ptail = idx;
    L->pending++;
}

/* Leaves the room (the caller changes the state). */
static void pend_unlink(struct gloop *L, int32_t idx)
{
    struct slot *s = &L->slots[idx];

    if (s->pprev >= 0)
        L->slots[s->pprev].pnext = s->pnext;
    else
        L->phead = s->pnext;
    if (s->pnext >= 0)
        L->slots[s->pnext].pprev = s->pprev;
    else
        L->ptail = s->pprev;
    s->pprev = s->pnext = -1;
    L->pending--;
}

/* Doubles the slot table (and rebuilds the index).  false when out of memory. */
static bool slots_grow(struct gloop *L)
{
    int32_t n = L->nslots > 0 ? L->nslots * 2 : 64;
    size_t hn = pow2_at_least((size_t)n * 2);
    struct slot *s;
    int32_t *h;

    if (L->nslots > INT32_MAX / 4)
        return false;
    s = realloc(L->slots, (size_t)n * sizeof(*s));
    if (s == NULL)
        return false;
    L->slots = s;
    h = malloc(hn * sizeof(*h));
    if (h == NULL)
        return false; /* the bigger slot array is kept; nslots is unchanged */
    memset(s + L->nslots, 0, (size_t)(n - L->nslots) * sizeof(*s));
    for (int32_t i = n - 1; i >= L->nslots; i--) {
        s[i].next_free = L->free_head;
        L->free_head = i;
    }
    L->nslots = n;
    free(L->hash);
    L->hash = h;
    L->hmask = hn - 1;
    memset(h, 0xff, hn * sizeof(*h));
    for (int32_t i = 0; i < n; i++)
        if (s[i].state != S_FREE)
            hash_put(L, i);
    return true;
}

/* Forgets a connection evhttp no longer has (or never will): uncounts it and
 * drops our reference. */
static void slot_release(struct gloop *L, int32_t idx)
{
    struct slot *s = &L->slots[idx];
    struct vt_connguard *g = L->g;

    if (s->counted) {
        struct addr_ent *e;
        pthread_mutex_lock(&g->mu);
        g->open--;
        atomic_store(&g->open_now, g->open);
        e = addr_find(g, s->addr, false);
        if (e != NULL && --e->count == 0)
            addr_remove(g, e);
        pthread_mutex_unlock(&g->mu);
        if (g->o.metrics != NULL)
            vt_metrics_inc(g->o.metrics, "http_connections_open", NULL, -1);
    }
    if (s->state == S_PENDING)
        pend_unlink(L, idx);
    hash_del(L, idx);
    bufferevent_decref(s->bev);
    memset(s, 0, sizeof(*s));
    s->next_free = L->free_head;
    L->free_head = idx;
}

/* The evhttp connection behind a live slot, NULL when evhttp has freed it. */
static struct evhttp_connection *slot_evcon(const struct slot *s)
{
    bufferevent_event_cb ecb = NULL;
    void *arg = NULL;

    bufferevent_getcb(s->bev, NULL, NULL, &ecb, &arg);
    return ecb != NULL ? arg : NULL;
}

/* Closes a live connection that has not sent a complete request, with a short
 * best-effort reply so that a real client learns why. */
static void slot_close(struct gloop *L, int32_t idx, int status, const char *code, const char *msg)
{
    struct evhttp_connection *evcon = slot_evcon(&L->slots[idx]);
    char reply[512], sec[128];
    int n;

    if (evcon != NULL) {
        evutil_socket_t fd = bufferevent_getfd(L->slots[idx].bev);
        (void)vt__http_sechdr_raw(sec, sizeof(sec));
        n = snprintf(reply, sizeof(reply),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nConnection: close\r\n%sContent-Length: "
                     "%zu\r\n\r\n{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                     status, status == 408 ? "Request Timeout" : "Service Unavailable", sec,
                     strlen(code) + strlen(msg) + 32, code, msg);
        if (fd >= 0 && n > 0 && (size_t)n < sizeof(reply))
            (void)send(fd, reply, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        evhttp_connection_free(evcon); /* on_close releases the slot */
    }
    if (L->slots[idx].state != S_FREE)
        slot_release(L, idx);
}

/*
 * evhttp frees a connection (its close callback, before it closes the
 * descriptor): the handler's callback runs and the slot is released.  evhttp's
 * bufferevent_free right after is then the last reference, which removes the
 * bufferevent's events before the descriptor closes (our reference, held any
 * longer, would keep them registered on the closed descriptor).
 */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
    struct gloop *L = arg;
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    int32_t idx = bev != NULL ? slot_find(L, bev) : -1;
    vt_connguard_close_fn cb;
    void *cb_arg;

    if (idx < 0)
        return;
    cb = L->slots[idx].close_cb;
    cb_arg = L->slots[idx].close_arg;
    L->slots[idx].close_cb = NULL;
    if (cb != NULL)
        cb(evcon, cb_arg);
    if (L->slots[idx].state != S_FREE && L->slots[idx].bev == bev)
        slot_release(L, idx);
}

/* The oldest connection of this loop still waiting for its request for at
 * least min_ms (from addr when addr is not NULL), or -1. */
static int32_t oldest_idle(const struct gloop *L, const char *addr, int64_t now, int64_t min_ms)
{
    int32_t best = -1;

    for (int32_t i = 0; i < L->nslots; i++) {
        const struct slot *s = &L->slots[i];
        if (s->state != S_READING || now - s->since_ms < min_ms)
            continue;
        if (addr != NULL && strcmp(s->addr, addr) != 0)
            continue;
        if (best < 0 || s->since_ms < L->slots[best].since_ms)
            best = i;
    }
    return best;
}

/* Bytes a connection has sent that the loop has not parsed yet: what its
 * bufferevent holds and what waits in its socket's receive queue (FIONREAD;
 * for TLS, records not yet decrypted). */
static size_t slot_unread(const struct slot *s)
{
    size_t n = evbuffer_get_length(bufferevent_get_input(s->bev));
    evutil_socket_t fd = bufferevent_getfd(s->bev);
    int queued = 0;

    if (fd >= 0 && ioctl(fd, FIONREAD, &queued) == 0 && queued > 0)
        n += (size_t)queued;
    return n;
}

/*
 * Which connection leaves the full waiting room: the one waiting longest that
 * has nothing unread, else the one with the least unread (the oldest of
 * those), or -1.  The room is in arrival order, and connections the loop has
 * served since they arrived have had their bytes parsed: a connection with
 * bytes unread is one whose request (a health check's, whole) came in while
 * the loop was accepting, and it is the one most likely to be answered at
 * once, so it is not the one to close.  Only the EVICT_SCAN oldest are looked
 * at: this runs for every accept while the room is full (a flood), and each
 * look is a system call, so the cost per accept stays fixed instead of growing
 * with the room.  That is enough: a request sits unread only until the loop's
 * next pass (after at most an accept batch), and to have it closed first an
 * attacker needs every other one of the EVICT_SCAN oldest to have more bytes
 * unread than that whole request at that moment.  A connection not yet set up
 * (no address: accepted in this batch) is never chosen; one evhttp has freed
 * already is, first.
 */
static int32_t waiting_victim(const struct gloop *L)
{
    int32_t best = -1;
    size_t best_unread = SIZE_MAX;
    unsigned looked = 0;

    for (int32_t i = L->phead; i >= 0 && looked < EVICT_SCAN; i = L->slots[i].pnext, looked++) {
        size_t n;
        if (L->slots[i].addr[0] == '\0')
            continue;
        if (slot_evcon(&L->slots[i]) == NULL)
            return i;
        n = slot_unread(&L->slots[i]);
        if (n == 0)
            return i;
        if (n < best_unread) {
            best = i;
            best_unread = n;
        }
    }
    return best;
}

/* L_NONE admitted, else the L_* reason it was refused; extra: how far beyond
 * the caps it may go.  Takes the lock. */
static int try_count(struct vt_connguard *g, const char *addr, unsigned extra)
{
    struct addr_ent *e;
    int why = L_NONE;

    pthread_mutex_lock(&g->mu);
    e = addr_find(g, addr, false);
    if (g->open >= g->o.max_connections + extra)
        why = L_REFUSED_TOTAL;
    else if (e != NULL && e->count >= g->o.max_per_client + extra)
        why = L_REFUSED_CLIENT;
    if (why == L_NONE) {
        e = addr_find(g, addr, true);
        e->count++;
        g->open++;
        atomic_store(&g->open_now, g->open);
    }
    pthread_mutex_unlock(&g->mu);
    return why;
}

/*
 * Admission at the caps.  A connection that has waited EVICT_GRACE_MS without
 * sending a complete request is the likeliest attacker, so it makes room for
 * a new one.  Otherwise the new connection waits (uncounted, up to WAIT_MS,
 * wait_max per loop) for such room or for its own request: one that arrives
 * complete (a health check, any normal client) then takes the place of the
 * oldest connection still sending its request, whatever its age, or failing
 * that one of RESERVE places beyond the caps.  A slow client therefore never
 * locks out a fast one.  ready: the request is
 * complete.  Returns false when the connection was refused (and closed, unless
 * ready: the caller replies then).
 */
static bool admit(struct gloop *L, int32_t idx, int64_t now, bool ready)
{
    struct slot *s = &L->slots[idx];
    struct evhttp_connection *evcon = slot_evcon(s);
    int why;

    if (evcon == NULL) {
        slot_release(L, idx);
        return false;
    }
    evhttp_connection_set_closecb(evcon, on_close, L);
    if (s->addr[0] == '\0') {
        char *host = NULL;
        ev_uint16_t port = 0;
        evhttp_connection_get_peer(evcon, &host, &port);
        snprintf(s->addr, sizeof(s->addr), "%s", host != NULL ? host : "unknown");
    }
    why = try_count(L->g, s->addr, 0);
    for (int tries = 0; why != L_NONE && tries < 4; tries++) {
        const char *scope = why == L_REFUSED_CLIENT ? s->addr : NULL;
        int32_t victim = oldest_idle(L, scope, now, ready ? 0 : EVICT_GRACE_MS);
        if (victim < 0)
            break;
        slot_close(L, victim, 503, "too_many_connections", "evicted: no complete request while at the limit");
        note(L->g, L_EVICTED, now);
        why = try_count(L->g, s->addr, 0);
    }
    /* The connections to evict may all be on other loops: a complete request
     * still gets in, within a small reserve (the place kept for health checks). */
    if (why != L_NONE && ready)
        why = try_count(L->g, s->addr, RESERVE);
    if (why == L_NONE) {
        s->counted = true;
        pend_unlink(L, idx);
        s->state = ready ? S_BUSY : S_READING;
        if (L->g->o.metrics != NULL)
            vt_metrics_inc(L->g->o.metrics, "http_connections_open", NULL, 1);
        return true;
    }
    if (!ready && now - s->since_ms < WAIT_MS) {
        s->why = (int8_t)why; /* waits; the tick or its request decides */
        return true;
    }
    note(L->g, why, now);
    if (ready) {
        pend_unlink(L, idx);
        s->state = S_BUSY; /* uncounted; the caller answers 503 and closes */
        return false;
    }
    slot_close(L, idx, 503, "too_many_connections",
               why == L_REFUSED_CLIENT ? "too many connections from this address" : "too many connections");
    return false;
}

static void admit_all(struct gloop *L)
{
    int64_t now = vt_time_mono_ms();

    for (int32_t i = L->phead; i >= 0;) {
        int32_t next = L->slots[i].pnext; /* admit may take i out of the room, or close it */
        (void)admit(L, i, now, false);
        i = next;
    }
}

static void on_admit(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    admit_all(arg);
}

/* evhttp asks for the bufferevent of a connection it has just accepted. */
static struct bufferevent *on_new_bev(struct event_base *base, void *arg)
{
    struct gloop *L = arg;
    struct bufferevent *bev = L->new_bev != NULL ? L->new_bev(L->new_bev_arg, base)
                                                 : bufferevent_socket_new(base, -1, 0); /* as evhttp makes it */
    int32_t idx;

    if (bev == NULL)
        return NULL; /* evhttp tries itself and fails the same way: the connection is dropped */
    /* The waiting room is full: one leaves (the newest has had no time to send
     * anything), so descriptors stay within the caps plus the room; the oldest
     * that sent nothing since the loop last read it (waiting_victim). */
    if (L->pending >= L->g->wait_max) {
        int32_t old = waiting_victim(L);
        if (old >= 0) {
            note(L->g, L->slots[old].why, vt_time_mono_ms());
            slot_close(L, old, 503, "too_many_connections", "too many connections");
        }
    }
    if (L->free_head < 0 && !slots_grow(L)) {
        bufferevent_free(bev);
        return NULL;
    }
    idx = L->free_head;
    L->free_head = L->slots[idx].next_free;
    L->slots[idx].bev = bev;
    L->slots[idx].state = S_PENDING;
    L->slots[idx].since_ms = vt_time_mono_ms();
    L->slots[idx].counted = false;
    bufferevent_incref(bev);
    hash_put(L, idx);
    L->slots[idx].why = L_REFUSED_TOTAL;
    pend_push(L, idx);
    L->pause_ms = 0; /* accepting works again */
    event_active(L->admit_ev, EV_TIMEOUT, 0);
    /* libevent accepts until the backlog is empty before anything else runs:
     * in a flood, the requests of connections already waiting (a health
     * check) would not be read before the flood pushes them out of the room.
     * So accepting stops after a batch and resumes once the loop has served
     * its other events. */
    if (++L->batch >= (unsigned)(L->g->wait_max / 4 < ACCEPT_BATCH ? L->g->wait_max / 4 : ACCEPT_BATCH) &&
        L->lev != NULL) {
        evconnlistener_disable(L->lev);
        event_active(L->batch_ev, EV_TIMEOUT, 0);
    }
    return bev;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct gloop *L = arg;
    int64_t now = vt_time_mono_ms();
    int64_t limit = (int64_t)L->g->o.request_timeout_ms;

    (void)fd;
    (void)what;
    for (int32_t i = 0; i < L->nslots; i++) {
        struct slot *s = &L->slots[i];
        if (s->state == S_FREE)
            continue;
        if (slot_evcon(s) == NULL) {
            slot_release(L, i);
        } else if (s->state == S_PENDING) {
            (void)admit(L, i, now, false);
        } else if (s->state == S_READING && now - s->since_ms >= limit) {
            slot_close(L, i, 408, "request_timeout", "no complete request in time");
            note(L->g, L_TIMED_OUT, now);
        }
    }
    pthread_mutex_lock(&L->g->mu);
    log_flush_locked(L->g, now);
    pthread_mutex_unlock(&L->g->mu);
}

/* ---- accept errors ---- */

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct reg_ent {
    const struct evconnlistener *lev;
    struct gloop *L;
} *reg;
static size_t reg_count, reg_cap;

static bool reg_add(struct gloop *L)
{
    bool ok = true;

    pthread_mutex_lock(&reg_mu);
    if (reg_count == reg_cap) {
        size_t n = reg_cap > 0 ? reg_cap * 2 : 16;
        struct reg_ent *r = realloc(reg, n * sizeof(*r));
        if (r == NULL)
            ok = false;
        else {
            reg = r;
            reg_cap = n;
        }
    }
    if (ok) {
        reg[reg_count].lev = L->lev;
        reg[reg_count].L = L;
        reg_count++;
    }
    pthread_mutex_unlock(&reg_mu);
    return ok;
}

static void reg_del(const struct gloop *L)
{
    pthread_mutex_lock(&reg_mu);
    for (size_t i = 0; i < reg_count; i++)
        if (reg[i].L == L) {
            reg[i] = reg[--reg_count];
            break;
        }
    if (reg_count == 0) {
        free(reg);
        reg = NULL;
        reg_cap = 0;
    }
    pthread_mutex_unlock(&reg_mu);
}

static struct gloop *reg_find(const struct evconnlistener *lev)
{
    struct gloop *L = NULL;

    pthread_mutex_lock(&reg_mu);
    for (size_t i = 0; i < reg_count && L == NULL; i++)
        if (reg[i].lev == lev)
            L = reg[i].L;
    pthread_mutex_unlock(&reg_mu);
    return L;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    struct gloop *L = arg;

    (void)fd;
    (void)what;
    if (L->lev != NULL)
        evconnlistener_enable(L->lev);
}

/* A batch of accepts is over and the loop has served its other connections:
 * accept again, unless an accept error paused it (the resume timer decides). */
static void on_batch(evutil_socket_t fd, short what, void *arg)
{
    struct gloop *L = arg;

    (void)fd;
    (void)what;
    L->batch = 0;
    if (L->lev != NULL && !evtimer_pending(L->resume_ev, NULL))
        evconnlistener_enable(L->lev);
}

/* libevent calls this for an accept error it does not retry itself (EMFILE,
 * ENFILE, ENOBUFS, ...).  Left alone it would log and retry at once, for ever:
 * accepting pauses instead, longer while the errors go on. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    int e = EVUTIL_SOCKET_ERROR();
    struct gloop *L = reg_find(lev);
    struct timeval tv;

    (void)arg; /* evhttp's */
    if (L == NULL) {
        evconnlistener_disable(lev); /* cannot happen; never spin */
        return;
    }
    L->pause_ms = L->pause_ms == 0 ? PAUSE_MIN_MS : L->pause_ms * 2;
    if (L->pause_ms > PAUSE_MAX_MS)
        L->pause_ms = PAUSE_MAX_MS;
    evconnlistener_disable(lev);
    tv.tv_sec = L->pause_ms / 1000;
    tv.tv_usec = (L->pause_ms % 1000) * 1000;
    evtimer_add(L->resume_ev, &tv);
    pthread_mutex_lock(&L->g->mu);
    L->g->last_errno = e;
    pthread_mutex_unlock(&L->g->mu);
    note(L->g, L_ACCEPT_ERR, vt_time_mono_ms());
}

/* ---- requests ---- */

static int32_t req_slot(struct gloop *L, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;

    return bev != NULL ? slot_find(L, bev) : -1;
}

/* The reply went out: a kept-alive connection now waits for its next request. */
static void on_reply_done(struct evhttp_request *req, void *arg)
{
    struct gloop *L = arg;
    int32_t idx = req_slot(L, req);

    if (idx >= 0 && L->slots[idx].state == S_BUSY) {
        L->slots[idx].state = S_READING;
        L->slots[idx].since_ms = vt_time_mono_ms();
    }
}

/* RFC 9112 section 6.3: a request with more than one Content-Length, or with
 * both Content-Length and Transfer-Encoding, has no trustworthy framing
 * (evhttp would silently use the first); refuse it and close.  The second case
 * never gets here with the libevent we run on (Debian's 2.1.12 security update):
 * evhttp_read_header refuses Transfer-Encoding with Content-Length itself, right
 * after parsing the headers and before any callback, with its own HTML 400, and
 * 2.1 has no hook for that page (docs/operations.md, "Framing").  The check stays
 * for a libevent without that update, which reads such a request as chunked. */
static const char *framing_problem(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    struct evkeyval *kv;
    unsigned cl = 0, te = 0;

    TAILQ_FOREACH (kv, h, next) {
        if (strcasecmp(kv->key, "Content-Length") == 0)
            cl++;
        else if (strcasecmp(kv->key, "Transfer-Encoding") == 0)
            te++;
    }
    if (cl > 1)
        return "more than one Content-Length header";
    if (cl > 0 && te > 0)
        return "both Content-Length and Transfer-Encoding";
    return NULL;
}

/* The headers of a reply the guard writes to a request it has read: for a page whose Origin the
 * service allows, the service's CORS answer headers (cors.c), so that the page's browser shows it
 * the status instead of a network error; nothing of CORS for a refused Origin. */
static void own_reply_headers(const struct vt_connguard *g, struct evhttp_request *req)
{
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    const char *origin = NULL;

    evhttp_add_header(oh, "Content-Type", "application/json");
    evhttp_add_header(oh, "Connection", "close");
    vt_http_sechdr_add(oh);
    if (g->o.cors != NULL && vt_origin_check_request(&origin, g->o.origins, req, NULL) == VT_OK && origin != NULL)
        vt_cors_add(g->o.cors, oh, origin);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct gloop *L = arg;
    int32_t idx = req_slot(L, req);
    const char *bad = NULL;
    bool full = false;

    if (idx >= 0) {
        evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, L);
        if (L->slots[idx].state == S_PENDING)
            full = !admit(L, idx, vt_time_mono_ms(), true); /* waited at a cap; its request is complete */
        L->slots[idx].state = S_BUSY;
        evhttp_request_set_on_complete_cb(req, on_reply_done, L);
    }
    if (!full)
        bad = framing_problem(req);
    if (full) {
        struct evbuffer *b = evbuffer_new();
        own_reply_headers(L->g, req);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
        if (b != NULL)
            evbuffer_add_printf(b, "{\"error\":{\"code\":\"too_many_connections\",\"type\":\"server_error\","
                                   "\"message\":\"http: too many connections; retry later\"}}\n");
        evhttp_send_reply(req, 503, "Service Unavailable", b);
        if (b != NULL)
            evbuffer_free(b);
        return;
    }
    if (bad != NULL) {
        struct evbuffer *b = evbuffer_new();
        own_reply_headers(L->g, req);
        if (b != NULL)
            evbuffer_add_printf(b,
                                "{\"error\":{\"code\":\"bad_request\",\"type\":\"invalid_request_error\","
                                "\"message\":\"http: %s\"}}\n",
                                bad);
        evhttp_send_reply(req, 400, "Bad Request", b);
        if (b != NULL)
            evbuffer_free(b);
        return;
    }
    L->cb(req, L->arg);
}

/* ---- lifecycle ---- */

/*
 * The caps must be reachable before the process runs out of descriptors:
 * otherwise accept() fails (EMFILE) while the caps, and with them eviction,
 * never act, and one address holds every descriptor until its deadline.  So
 * the soft RLIMIT_NOFILE is raised towards the hard limit as far as the caps
 * need, and where that is not enough the total cap is lowered to what fits
 * (one warning line at start).  Per connection fds_per_conn descriptors (the
 * gateway's requests hold an upstream connection too), plus the waiting room
 * of each loop, the reserve beyond the caps, and a spare for the rest of the
 * process.
 */
static void fit_descriptors(struct vt_connguard *g)
{
    const char *name = g->o.name != NULL ? g->o.name : "http";
    uint64_t per = g->o.fds_per_conn, loops = g->nloops, want, budget, spare, cap;
    struct rlimit rl;

    g->wait_max = WAIT_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return;
    want = ((uint64_t)g->o.max_connections + RESERVE) * per + loops * WAIT_MAX + FD_SPARE_MAX;
    if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = rl;
        up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? (rlim_t)want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl = up;
    }
    spare = rl.rlim_cur / 4 < FD_SPARE_MAX ? rl.rlim_cur / 4 : FD_SPARE_MAX;
    budget = rl.rlim_cur - spare;
    g->wait_max = (int32_t)(budget / (4 * loops) > WAIT_MAX ? WAIT_MAX : budget / (4 * loops));
    if (g->wait_max < WAIT_MIN)
        g->wait_max = WAIT_MIN;
    cap = budget > loops * (uint64_t)g->wait_max + RESERVE * per ? (budget - loops * (uint64_t)g->wait_max) / per - RESERVE
                                                                  : 0;
    if (cap < 16)
        cap = 16;
    if (cap < g->o.max_connections) {
        fprintf(stderr,
                "{\"level\":\"warn\",\"service\":\"%s\",\"msg\":\"open-file limit %llu is too low for "
                "max_connections %u; %llu are allowed (raise ulimit -n, docs/operations.md)\"}\n",
                name, (unsigned long long)rl.rlim_cur, g->o.max_connections, (unsigned long long)cap);
        g->o.max_connections = (unsigned)cap;
    }
    if (g->o.max_per_client > g->o.max_connections)
        g->o.max_per_client = g->o.max_connections;
}

vt_status vt_connguard_new(vt_connguard **out, const vt_connguard_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    struct vt_connguard *g = NULL;
    *out = NULL;
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        return vt_err_set(err, VT_E_NOMEM, "http: out of memory");
    pthread_mutex_init(&g->mu, NULL);
    g->o = *opts;
    if (g->o.loops == 0)
        g->o.loops = 1;
    if (g->o.max_connections == 0)
        g->o.max_connections = 512;
    if (g->o.max_per_client == 0)
        g->o.max_per_client = 64;
    if (g->o.request_timeout_ms == 0)
        g->o.request_timeout_ms = 10000;
    if (g->o.fds_per_conn == 0)
        g->o.fds_per_conn = 1;
    if (g->o.max_connections > (1u << 24)) {
        rc = vt_err_set(err, VT_E_ARG, "http: max_connections above %u", 1u << 24);
        goto out;
    }
    g->nloops = g->o.loops;
    g->loops = calloc(g->nloops, sizeof(*g->loops));
    g->amask = pow2_at_least((size_t)g->o.max_connections * 2) - 1;
    g->addrs = calloc(g->amask + 1, sizeof(*g->addrs));
    if (g->loops == NULL || g->addrs == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "http: out of memory");
        goto out;
    }
    if (g->o.metrics != NULL) {
        rc = vt_metrics_declare(g->o.metrics, "http_connections_open", "gauge",
                                "Client connections open now, counted from accept.", err);
        if (rc == VT_OK)
            rc = vt_metrics_declare(g->o.metrics, "http_connections_closed_by_server_total", "counter",
                                    "Client connections the server closed before a complete request, by reason.",
                                    err);
        if (rc == VT_OK)
            rc = vt_metrics_declare(g->o.metrics, "http_accept_errors_total", "counter",
                                    "Failed accept() calls (each pauses accepting briefly).", err);
        if (rc != VT_OK)
            goto out;
    }
    fit_descriptors(g);
    *out = g;
    g = NULL;
    rc = VT_OK;
out:
    vt_connguard_free(g);
    return rc;
}

vt_status vt_connguard_attach(vt_connguard *g, unsigned index, struct event_base *base, struct evhttp *http,
                              struct evhttp_bound_socket *bound, vt_connguard_request_fn cb, void *arg, vt_err *err)
{
    struct gloop *L;
    struct timeval tick = { 0, TICK_MS * 1000 };

    if (index >= g->nloops || base == NULL || http == NULL || bound == NULL || cb == NULL)
        return vt_err_set(err, VT_E_ARG, "http: connection guard: bad loop %u", index);
    L = &g->loops[index];
    if (L->attached)
        return vt_err_set(err, VT_E_ARG, "http: connection guard: loop %u attached twice", index);
    L->g = g;
    L->base = base;
    L->http = http;
    L->cb = cb;
    L->arg = arg;
    L->free_head = -1;
    L->phead = L->ptail = -1;
    L->lev = evhttp_bound_socket_get_listener(bound);
    L->admit_ev = event_new(base, -1, 0, on_admit, L);
    L->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, L);
    L->resume_ev = evtimer_new(base, on_resume, L);
    L->batch_ev = event_new(base, -1, 0, on_batch, L);
    if (L->lev == NULL || L->admit_ev == NULL || L->tick_ev == NULL || L->resume_ev == NULL || L->batch_ev == NULL ||
        !slots_grow(L) ||
        event_add(L->tick_ev, &tick) != 0)
        return vt_err_set(err, VT_E_NOMEM, "http: connection guard: cannot set up loop %u", index);
    if (!reg_add(L))
        return vt_err_set(err, VT_E_NOMEM, "http: connection guard: out of memory");
    L->attached = true;
    evconnlistener_set_error_cb(L->lev, on_accept_error);
    evhttp_set_bevcb(http, on_new_bev, L);
    evhttp_set_gencb(http, on_request, L);
    return VT_OK;
}

void vt_connguard_set_bev(vt_connguard *g, unsigned index, vt_connguard_bev_fn fn, void *arg)
{
    if (g == NULL || index >= g->nloops)
        return;
    g->loops[index].new_bev = fn;
    g->loops[index].new_bev_arg = arg;
}

void vt_connguard_unlisten(vt_connguard *g, unsigned index)
{
    if (g == NULL || index >= g->nloops)
        return;
    if (g->loops[index].attached)
        reg_del(&g->loops[index]);
    g->loops[index].attached = false;
    g->loops[index].lev = NULL;
    if (g->loops[index].resume_ev != NULL)
        evtimer_del(g->loops[index].resume_ev);
    if (g->loops[index].batch_ev != NULL)
        event_del(g->loops[index].batch_ev);
}

void vt_connguard_set_closecb(vt_connguard *g, struct evhttp_connection *evcon, vt_connguard_close_fn cb, void *arg)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    struct event_base *base = evhttp_connection_get_base(evcon);

    for (unsigned i = 0; g != NULL && bev != NULL && i < g->nloops; i++) {
        struct gloop *L = &g->loops[i];
        int32_t idx = L->base == base && L->slots != NULL ? slot_find(L, bev) : -1;
        if (idx >= 0) {
            L->slots[idx].close_cb = cb;
            L->slots[idx].close_arg = arg;
            evhttp_connection_set_closecb(evcon, on_close, L);
            return;
        }
    }
    evhttp_connection_set_closecb(evcon, cb, arg); /* not a connection the guard serves */
}

unsigned vt_connguard_open(const vt_connguard *g)
{
    return atomic_load(&((vt_connguard *)g)->open_now);
}

void vt_connguard_free(vt_connguard *g)
{
    if (g == NULL)
        return;
    for (unsigned i = 0; g->loops != NULL && i < g->nloops; i++) {
        struct gloop *L = &g->loops[i];
        if (L->attached)
            reg_del(L);
        for (int32_t k = 0; k < L->nslots; k++)
            if (L->slots[k].state != S_FREE)
                bufferevent_decref(L->slots[k].bev);
        if (L->admit_ev != NULL)
            event_free(L->admit_ev);
        if (L->tick_ev != NULL)
            event_free(L->tick_ev);
        if (L->resume_ev != NULL)
            event_free(L->resume_ev);
        if (L->batch_ev != NULL)
            event_free(L->batch_ev);
        free(L->slots);
        free(L->hash);
    }
    free(g->loops);
    free(g->addrs);
    pthread_mutex_destroy(&g->mu);
    free(g);
}
