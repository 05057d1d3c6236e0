/* Watching a client whose request waits (see client_watch.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event_struct.h>

#include "gateway/client_watch.h"
#include "gateway/oplog.h"

struct vt_gw_watch {
    struct event ev; /* embedded: one allocation per watch */
    void (*gone)(void *arg);
    void *arg;
};

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    vt_gw_watch *w = arg;
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

    (void)what;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    event_del(&w->ev);
    if (n > 0) /* more bytes (a pipelined request): evhttp reads them after the reply */
        return;
    w->gone(w->arg); /* EOF or a reset; w may be freed from here on */
}

vt_gw_watch *vt_gw_watch_start(struct event_base *base, struct evhttp_connection *evcon, void (*gone)(void *arg),
                               void *arg)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
    vt_gw_watch *w = fd >= 0 ? calloc(1, sizeof(*w)) : NULL;

    if (w != NULL) {
        w->gone = gone;
        w->arg = arg;
        if (event_assign(&w->ev, base, fd, EV_READ | EV_PERSIST, on_readable, w) != 0 || event_add(&w->ev, NULL) != 0) {
            free(w);
            w = NULL;
        }
    }
    if (w == NULL && fd >= 0)
        vt__gw_log("warn", "client_watch", "gateway: cannot watch the client's connection");
    return w;
}

void vt_gw_watch_free(vt_gw_watch *w)
{
    if (w == NULL)
        return;
    event_del(&w->ev);
    free(w);
}
