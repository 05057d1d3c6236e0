/*
 * libevent's log messages as JSON lines (evlog.h).  An operator's log
 * pipeline reads one JSON object per line from the gateway and the verifier,
 * and libevent's default logger writes plain "[warn] ..." text among them.
 *
 * One message is not logged: "Epoll MOD(...) on fd N failed ...: Bad file
 * descriptor" (or ADD).  EBADF means the descriptor is not open: the kernel
 * dropped it from the epoll set when it was closed, so a change libevent
 * still had queued for it has nothing left to change (a reused descriptor
 * number gives ENOENT or EEXIST instead, which libevent handles itself).  The
 * connection guard used to cause it: its reference kept a closed connection's
 * events registered until its next tick, and a reply that had waited for the
 * socket to drain, then closed, left a modification queued.  The guard now
 * drops its reference in evhttp's close callback (connguard.c), so the events
 * go before the descriptor closes and this is a safety net for any other
 * such path.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "http/evlog.h"
#include "veritee/base.h"

static const char *evlog_service = "http";
static vt__http_evlog_fn evlog_sink;
static pthread_once_t evlog_once = PTHREAD_ONCE_INIT;

/* Is msg libevent's report of an epoll change on a descriptor that is not open? */
static bool stale_descriptor(const char *msg)
{
    static const char tail[] = ": Bad file descriptor";
    size_t n = strlen(msg);

    return strncmp(msg, "Epoll ", 6) == 0 && n >= sizeof(tail) - 1 && strcmp(msg + n - (sizeof(tail) - 1), tail) == 0;
}

const char *vt__http_evlog_level(int severity, const char *msg)
{
    if (msg == NULL || stale_descriptor(msg))
        return NULL; /* a closed descriptor's stale registration: see above */
    switch (severity) {
    case EVENT_LOG_DEBUG: return NULL; /* only with libevent's debug logging on, which nothing turns on */
    case EVENT_LOG_MSG: return "info";
    case EVENT_LOG_WARN: return "warn";
    default: return "error";
    }
}

char *vt__http_evlog_line(const char *service, const char *level, const char *msg)
{
    char ts[32], *line;
    json_t *j;

    vt_time_format(ts, vt_time_now());
    j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ts", ts, "level", level, "service", service, "msg", "libevent",
                  "detail", msg);
    line = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    return line;
}

static void evlog_cb(int severity, const char *msg)
{
    const char *level = vt__http_evlog_level(severity, msg);
    char *line;

    if (level == NULL)
        return;
    if (evlog_sink != NULL) {
        evlog_sink(level, msg);
        return;
    }
    line = vt__http_evlog_line(evlog_service, level, msg);
    if (line != NULL)
        fprintf(stderr, "%s\n", line);
    free(line);
}

static void evlog_setup(void)
{
    event_set_log_callback(evlog_cb);
}

void vt__http_evlog_install(const char *service, vt__http_evlog_fn sink)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static bool named;

    pthread_mutex_lock(&mu);
    if (!named) {
        evlog_service = service != NULL ? service : "http";
        evlog_sink = sink;
        named = true;
    }
    pthread_mutex_unlock(&mu);
    pthread_once(&evlog_once, evlog_setup);
}
