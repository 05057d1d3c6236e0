/* Internal: libevent's own messages as the services' JSON log lines (evlog.c). */
#ifndef VT_HTTP_EVLOG_H
#define VT_HTTP_EVLOG_H

/* Writes one log line of the service's own format (level "info", "warn" or "error"). */
typedef void (*vt__http_evlog_fn)(const char *level, const char *msg);

/*
 * Routes libevent's warnings and errors to sink, or when sink is NULL to
 * stderr as {"ts","level","service","msg":"libevent","detail"}, instead of
 * libevent's plain "[warn] ..." text among the JSON lines.  Process-wide
 * (libevent has one log callback): the first call decides; service is a
 * static string.  Call before the first event loop starts.
 */
void vt__http_evlog_install(const char *service, vt__http_evlog_fn sink);

/* The level a libevent message (severity as EVENT_LOG_*) is logged at, or NULL
 * when it is not logged. */
const char *vt__http_evlog_level(int severity, const char *msg);
/* The default line for one message; free() it (NULL: out of memory). */
char *vt__http_evlog_line(const char *service, const char *level, const char *msg);

#endif
