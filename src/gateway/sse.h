/*
 * Incremental parser for server-sent events (the WHATWG "event stream"
 * format) as OpenAI-compatible servers stream them, and the writer that puts
 * events back on the wire.
 *
 * Bytes arrive in arbitrary pieces: an event, a line, even a "\r\n" pair may
 * be split across reads.  Lines end in "\r\n", "\n" or "\r"; lines starting
 * with ':' are comments; "data" lines of one event are joined with '\n'; an
 * empty line dispatches the event.  Every event is capped (max_event_bytes)
 * so a peer that never sends the blank line cannot grow memory without bound.
 */
#ifndef VT_GW_SSE_H
#define VT_GW_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "veritee/base.h"

/* One parsed event.  Buffers are owned by the parser and reused; valid only
 * during the callback.  The callback may rewrite data (e.g. a hook). */
typedef struct vt_gw_sse_event {
    vt_buf event; /* event name, "" when absent */
    vt_buf data;  /* data lines joined by '\n', NUL-terminated */
    vt_buf id;    /* last "id" field of this event, when has_id */
    bool has_id;
    long retry_ms; /* -1 when absent */
    bool drop;     /* a callback sets it: the event is not forwarded */
    bool raw;      /* a callback sets it: data is already SSE wire text (one or more events), sent as is */
} vt_gw_sse_event;

/* Returns VT_OK to continue; anything else stops vt_gw_sse_feed with that status. */
typedef vt_status (*vt_gw_sse_cb)(void *arg, vt_gw_sse_event *ev, vt_err *err);

typedef struct vt_gw_sse {
    vt_gw_sse_cb cb;
    void *arg;
    size_t max_event_bytes; /* cap on one event's accumulated fields + pending line */
    size_t event_bytes;     /* bytes accumulated by the current event */
    vt_buf line;            /* the current, unfinished line */
    bool skip_lf;           /* the last byte seen was '\r': a following '\n' belongs to it */
    bool have_data;         /* at least one data line in the current event */
    bool failed;            /* sticky: a limit was hit or the callback refused */
    bool upstream;          /* parsing an upstream's stream: see vt_gw_sse_init_upstream */
    bool drop_event;        /* upstream: the current event is named veritee-receipt */
    vt_gw_sse_event ev;
    unsigned long events;   /* events dispatched so far */
} vt_gw_sse;

/* Prepares p (owned by the caller; release with vt_gw_sse_free). */
void vt_gw_sse_init(vt_gw_sse *p, size_t max_event_bytes, vt_gw_sse_cb cb, void *arg);
/*
 * Same for a stream from the upstream, which must neither forge nor break
 * the gateway's receipt event nor carry text past the auditors: "event",
 * "id" and "retry" fields are dropped (the callback never sees them, so they
 * are never written back), an event named "veritee-receipt" is dropped
 * whole, and a line that is not a comment or one of the four SSE fields is
 * refused with VT_E_FORMAT (e.g. a JSON body labelled text/event-stream).
 */
void vt_gw_sse_init_upstream(vt_gw_sse *p, size_t max_event_bytes, vt_gw_sse_cb cb, void *arg);
void vt_gw_sse_free(vt_gw_sse *p);
/*
 * Feeds len bytes (borrowed for the call).  Calls cb for each completed
 * event.  VT_E_LIMIT when an event passes max_event_bytes; the callback's
 * status when it refuses; failures are sticky.
 */
VT_NODISCARD vt_status vt_gw_sse_feed(vt_gw_sse *p, const void *bytes, size_t len, vt_err *err);
/* True when the stream ended cleanly between events (no partial event). */
bool vt_gw_sse_idle(const vt_gw_sse *p);

/*
 * Appends ev in wire form to out: "event:", "id:", "retry:" when set, then
 * one "data:" line per '\n'-separated line of data, then a blank line.
 */
VT_NODISCARD vt_status vt_gw_sse_write(vt_buf *out, const vt_gw_sse_event *ev, vt_err *err);
/* Same for an event given as strings (event name may be NULL). */
VT_NODISCARD vt_status vt_gw_sse_write_str(vt_buf *out, const char *event, const char *data, size_t data_len,
                                           vt_err *err);

#endif
