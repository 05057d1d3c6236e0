/*
 * Watching a client whose request waits (gateway/client_watch.c).
 *
 * Once evhttp has dispatched a request it stops reading the client's
 * connection until the reply has been sent, so a client that leaves while its
 * request waits (for the upstream, or for an inner request under OHTTP) would
 * go unnoticed and the work would run to its end for nobody.  A watch is a
 * read event of our own on the client's socket:
 *  - EOF or a reset: the client is gone; the watch stops and calls gone(arg)
 *    (which usually frees the client's connection);
 *  - bytes (a pipelined request): the client is still there; the watch stops
 *    and evhttp reads them after the reply.
 * Once a reply has started, evhttp watches a connection it writes to for the
 * close itself, so a watch is only needed before that.
 */
#ifndef VT_GW_CLIENT_WATCH_H
#define VT_GW_CLIENT_WATCH_H

#include <event2/event.h>
#include <event2/http.h>

typedef struct vt_gw_watch vt_gw_watch;

/* Starts watching evcon's socket on base; NULL (logged) when it cannot.  gone
 * may free the connection; it must not free the watch's memory before
 * returning unless through vt_gw_watch_free (safe there too).  Free with
 * vt_gw_watch_free. */
vt_gw_watch *vt_gw_watch_start(struct event_base *base, struct evhttp_connection *evcon, void (*gone)(void *arg),
                               void *arg);
/* Stops and frees; NULL is fine.  Free it after evhttp re-arms its own
 * reading of the socket (after evhttp_send_reply in the same call), not
 * before: the socket's read interest would drop to nothing and come back, one
 * epoll_ctl each way; freed after, neither change reaches epoll. */
void vt_gw_watch_free(vt_gw_watch *w);

#endif
