/*
 * veritee_auditor.h: write a veritee external auditor in C as one function.
 * Header-only; needs jansson (-ljansson) and pthreads.  docs/auditors.md has the
 * protocol ("veritee-auditor/1"), this file its auditor side:
 *
 *     #include "veritee_auditor.h"
 *
 *     static json_t *audit(const vta_request *rq, void *arg)
 *     {
 *         for (size_t i = 0; i < rq->text_count; i++)
 *             if (strstr(rq->texts[i].text, "forbidden") != NULL)
 *                 return vta_block("a forbidden topic", "topic_forbidden");
 *         return vta_allow();
 *     }
 *
 *     int main(void)
 *     {
 *         static const char *const phases[] = { "request", NULL };
 *         return vta_serve("/run/veritee/topics.sock", "topics", "1.0.0", phases, audit, NULL);
 *     }
 *
 * The gateway calls POST /v1/audit (and GET /v1/info at boot) over HTTP/1.1
 * keep-alive on the Unix socket (mode 0600).  Each connection is served by its
 * own thread, so the function must be thread-safe with respect to arg.  It
 * returns the answer object (the server takes the reference); NULL means the
 * auditor failed (a 500: the gateway fails closed unless configured to fail
 * open).  The server checks nothing the gateway does not check again: an
 * answer that breaks a rule of the protocol is refused whole by the gateway.
 *
 * Offsets in redactions are UTF-8 byte offsets, as C strings have them.
 */
#ifndef VERITEE_AUDITOR_H
#define VERITEE_AUDITOR_H

/* memmem, accept4: include this header first (or define _GNU_SOURCE yourself). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define VTA_PROTOCOL "veritee-auditor/1"
#define VTA_MAX_REQUEST ((size_t)64 << 20)
#define VTA_MAX_HEAD 16384

typedef struct vta_text {
    const char *path; /* "messages[0].content"; borrowed for the call */
    const char *text; /* UTF-8, NUL-terminated (may hold NULs before len) */
    size_t len;       /* bytes */
} vta_text;

typedef struct vta_request {
    const char *auditor, *phase, *exchange, *endpoint; /* borrowed for the call */
    const vta_text *texts;
    size_t text_count;
    const json_t *context; /* {"environment", "platform", "hardware_attested", "model"} or NULL */
    const json_t *stream;  /* {"window", "final"} for a window of a streamed response, or NULL */
} vta_request;

typedef json_t *(*vta_audit_fn)(const vta_request *rq, void *arg);

/* ---- answers ---- */
static inline json_t *vta_allow(void) { return json_pack("{s:s}", "verdict", "allow"); }

/* A block; finding (a type name of [a-z0-9_], or NULL) is counted once. */
static inline json_t *vta_block(const char *reason, const char *finding)
{
    json_t *a = json_pack("{s:s, s:s}", "verdict", "block", "reason", reason);
    if (a != NULL && finding != NULL)
        json_object_set_new(a, "findings", json_pack("{s:i}", finding, 1));
    return a;
}

/* Counts one more finding of type in the answer. */
static inline void vta_finding(json_t *answer, const char *type)
{
    json_t *f = json_object_get(answer, "findings");
    if (f == NULL) {
        f = json_object();
        json_object_set_new(answer, "findings", f);
    }
    json_object_set_new(f, type, json_integer(json_integer_value(json_object_get(f, type)) + 1));
}

/* An annotation (a number) on the answer; an "allow" becomes "annotate". */
static inline void vta_annotate(json_t *answer, const char *key, double value)
{
    json_t *n = json_object_get(answer, "annotations");
    if (n == NULL) {
        n = json_object();
        json_object_set_new(answer, "annotations", n);
    }
    json_object_set_new(n, key, json_real(value));
    if (strcmp(json_string_value(json_object_get(answer, "verdict")), "allow") == 0)
        json_object_set_new(answer, "verdict", json_string("annotate"));
}

/* Replaces bytes [start, end) of texts[text] with replacement; the answer becomes "redact". */
static inline void vta_redact(json_t *answer, size_t text, size_t start, size_t end, const char *replacement)
{
    json_t *r = json_object_get(answer, "redactions");
    if (r == NULL) {
        r = json_array();
        json_object_set_new(answer, "redactions", r);
    }
    json_array_append_new(r, json_pack("{s:I, s:I, s:I, s:s}", "text", (json_int_t)text, "start", (json_int_t)start,
                                       "end", (json_int_t)end, "replacement", replacement));
    json_object_set_new(answer, "verdict", json_string("redact"));
}

/* ---- the server ---- */
struct vta__srv {
    const char *name, *version;
    const char *const *phases;
    vta_audit_fn fn;
    void *arg;
};

struct vta__conn {
    struct vta__srv *srv;
    int fd;
};

static int vta__write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int vta__reply(int fd, int status, json_t *doc)
{
    char *body = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    char head[160];
    const char *b = body != NULL ? body : "{\"error\":\"auditor failed\"}";
    int n, rc;

    if (body == NULL)
        status = 500;
    n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                 status, status == 200 ? "OK" : "Error", strlen(b));
    rc = vta__write_all(fd, head, (size_t)n) == 0 && vta__write_all(fd, b, strlen(b)) == 0 ? 0 : -1;
    free(body);
    return rc;
}

static json_t *vta__info(const struct vta__srv *s)
{
    json_t *ph = json_array();
    for (size_t i = 0; s->phases[i] != NULL; i++)
        json_array_append_new(ph, json_string(s->phases[i]));
    return json_pack("{s:s, s:s, s:s, s:o}", "name", s->name, "version", s->version, "protocol", VTA_PROTOCOL,
                     "phases", ph);
}

/* One POST /v1/audit body: parse, call, answer (200), or 400 for a request that is not the protocol. */
static int vta__audit(struct vta__srv *s, int fd, const char *body, size_t len)
{
    json_t *doc = json_loadb(body, len, JSON_ALLOW_NUL, NULL), *texts = json_object_get(doc, "texts"), *t, *ans;
    vta_request rq;
    vta_text *tv = NULL;
    size_t i;
    int rc;

    memset(&rq, 0, sizeof(rq));
    if (!json_is_object(doc) || !json_is_array(texts) ||
        strcmp(json_string_value(json_object_get(doc, "protocol")) ? json_string_value(json_object_get(doc, "protocol"))
                                                                   : "",
               VTA_PROTOCOL) != 0) {
        json_t *e = json_pack("{s:s}", "error", "not a " VTA_PROTOCOL " request");
        rc = vta__reply(fd, 400, e);
        json_decref(e);
        json_decref(doc);
        return rc;
    }
    tv = calloc(json_array_size(texts) + 1, sizeof(*tv));
    json_array_foreach(texts, i, t) {
        tv[i].path = json_string_value(json_object_get(t, "path"));
        tv[i].text = json_string_value(json_object_get(t, "text"));
        tv[i].len = json_string_length(json_object_get(t, "text"));
        if (tv[i].path == NULL)
            tv[i].path = "";
        if (tv[i].text == NULL)
            tv[i].text = "";
    }
    rq.auditor = json_string_value(json_object_get(doc, "auditor"));
    rq.phase = json_string_value(json_object_get(doc, "phase"));
    rq.exchange = json_string_value(json_object_get(doc, "exchange"));
    rq.endpoint = json_string_value(json_object_get(doc, "endpoint"));
    rq.texts = tv;
    rq.text_count = json_array_size(texts);
    rq.context = json_object_get(doc, "context");
    rq.stream = json_object_get(doc, "stream");
    ans = tv != NULL ? s->fn(&rq, s->arg) : NULL;
    rc = vta__reply(fd, 200, ans);
    json_decref(ans);
    free(tv);
    json_decref(doc);
    return rc;
}

static void *vta__serve_conn(void *p)
{
    struct vta__conn *c = p;
    char *buf = malloc(VTA_MAX_HEAD);
    size_t have = 0;

    while (buf != NULL) {
        char *end = have >= 4 ? (char *)memmem(buf, have, "\r\n\r\n", 4) : NULL, *cl, *body;
        size_t head, clen = 0;
        ssize_t n;
        int route;

        if (end == NULL) {
            if (have == VTA_MAX_HEAD)
                break;
            n = recv(c->fd, buf + have, VTA_MAX_HEAD - have, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            have += (size_t)n;
            continue;
        }
        head = (size_t)(end - buf) + 4;
        end[2] = '\0';
        for (cl = buf; *cl != '\0'; cl++)
            if (*cl >= 'A' && *cl <= 'Z')
                *cl = (char)(*cl + 32);
        cl = strstr(buf, "\r\ncontent-length:");
        if (cl != NULL)
            clen = strtoul(cl + 17, NULL, 10);
        if (clen > VTA_MAX_REQUEST)
            break;
        route = strncmp(buf, "get /v1/info ", 13) == 0 ? 1 : strncmp(buf, "post /v1/audit ", 15) == 0 ? 2 : 0;
        body = malloc(clen + 1);
        if (body == NULL)
            break;
        memcpy(body, buf + head, have - head < clen ? have - head : clen);
        {
            size_t got = have - head < clen ? have - head : clen;
            while (got < clen) {
                n = recv(c->fd, body + got, clen - got, 0);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    break;
                got += (size_t)n;
            }
            if (got < clen) {
                free(body);
                break;
            }
            /* Bytes past this request (a pipelined next one) stay in buf. */
            if (have - head > clen)
                memmove(buf, buf + head + clen, have - head - clen);
            have = have - head > clen ? have - head - clen : 0;
        }
        if (route == 1) {
            json_t *info = vta__info(c->srv);
            int rc = vta__reply(c->fd, 200, info);
            json_decref(info);
            free(body);
            if (rc != 0)
                break;
        } else if (route == 2) {
            int rc = vta__audit(c->srv, c->fd, body, clen);
            free(body);
            if (rc != 0)
                break;
        } else {
            json_t *e = json_pack("{s:s}", "error", "unknown path");
            int rc = vta__reply(c->fd, 404, e);
            json_decref(e);
            free(body);
            if (rc != 0)
                break;
        }
    }
    free(buf);
    close(c->fd);
    free(c);
    return NULL;
}

/*
 * Listens on socket_path (replacing a stale socket; mode 0600) and serves forever.
 * phases: NULL-terminated.  Prints "<name> <version> (veritee-auditor/1) listening on <path>"
 * on stdout.  Returns 1 (with a message on stderr) when it cannot listen.
 */
static inline int vta_serve(const char *socket_path, const char *name, const char *version,
                            const char *const *phases, vta_audit_fn fn, void *arg)
{
    static struct vta__srv srv;
    struct sockaddr_un sa;
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    srv.name = name;
    srv.version = version;
    srv.phases = phases;
    srv.fn = fn;
    srv.arg = arg;
    signal(SIGPIPE, SIG_IGN);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (lfd < 0 || strlen(socket_path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "%s: cannot listen on %s\n", name, socket_path);
        return 1;
    }
    memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
    unlink(socket_path);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(socket_path, 0600) != 0 || listen(lfd, 64) != 0) {
        fprintf(stderr, "%s: cannot listen on %s: %s\n", name, socket_path, strerror(errno));
        close(lfd);
        return 1;
    }
    printf("%s %s (%s) listening on %s\n", name, version, VTA_PROTOCOL, socket_path);
    fflush(stdout);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        struct vta__conn *c;
        pthread_t th;
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
                continue;
            break;
        }
        c = malloc(sizeof(*c));
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->srv = &srv;
        c->fd = fd;
        if (pthread_create(&th, NULL, vta__serve_conn, c) != 0) {
            close(fd);
            free(c);
            continue;
        }
        pthread_detach(th);
    }
    close(lfd);
    return 1;
}

#endif
