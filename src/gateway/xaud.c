/* External auditors at the gateway: measurement, the socket peer check and the HTTP/1.1 calls
 * (xaud.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gateway/oplog.h"
#include "base/cond.h"
#include "gateway/xaud.h"
#include "veritee/crypto.h"
#include "veritee/http.h"

#define MAX_HEAD 16384
#define SPIN_YIELDS 8

struct xconn {
    int fd;
};

struct xslot {
    vt_gw_xaud *x;
    unsigned loop;
    struct xconn *conns; /* one per external auditor */
};

/* Each call's time, from the request sent to the answer read, per auditor: a Prometheus
 * histogram (bucket upper bounds in seconds; the last is +Inf), written to
 * <state>/metrics/auditors.prom once a second by the metrics thread. */
static const double call_le[] = { 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5 };
#define CALL_BUCKETS (sizeof(call_le) / sizeof(call_le[0]) + 1)

struct xstat {
    atomic_ullong bucket[CALL_BUCKETS]; /* not cumulative here; summed when rendered */
    atomic_ullong sum_ns, failed;
};

struct xcheck {          /* the last process that passed the peer check, per auditor */
    pthread_mutex_t mu;
    int pid;
    unsigned long long start;
    dev_t dev;           /* the file it ran then (an exec() keeps the pid and start time) */
    ino_t ino;
};

struct vt_gw_xaud {
    const vt_audit_chain *c;
    size_t n;
    unsigned nslots;
    struct xslot *slots;
    struct xcheck *checks;
    pthread_mutex_t shared_mu; /* guards the last slot (callers outside the loops) */
    atomic_bool unmeasured;
    char why[256];             /* written once, before unmeasured is set */
    pthread_mutex_t why_mu;
    struct xstat *stats;       /* one per auditor */
    char *metrics_dir;         /* NULL: no metrics file */
    pthread_t metrics_thread;
    bool metrics_started, metrics_stop;
    pthread_mutex_t metrics_mu; /* guards metrics_stop */
    pthread_cond_t metrics_cv;
};

static vt_status file_digest(uint8_t out[32], const char *path, vt_err *err)
{
    vt_digest_ctx *d = NULL;
    uint8_t buf[65536];
    vt_status rc;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return vt_err_set(err, VT_E_IO, "gateway: auditor file %s: %s", path, strerror(errno));
    rc = vt_digest_ctx_new(&d, VT_MD_SHA256, err);
    while (rc == VT_OK && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = vt_err_set(err, VT_E_IO, "gateway: auditor file %s: %s", path, strerror(errno));
        else
            rc = vt_digest_ctx_update(d, buf, (size_t)n, err);
    }
    if (rc == VT_OK)
        rc = vt_digest_ctx_final(d, out, err);
    vt_digest_ctx_free(d);
    close(fd);
    return rc;
}

vt_status vt__gw_xaud_measure(json_t *arr, vt_err *err)
{
    size_t i;
    json_t *a;

    json_array_foreach(arr, i, a) {
        const char *kind = json_string_value(json_object_get(a, "kind"));
        const char *exe = json_string_value(json_object_get(a, "executable"));
        json_t *files = json_object_get(a, "files"), *m, *fd, *f;
        uint8_t d[32];
        char hex[65];
        size_t k;
        vt_status rc;

        if (kind == NULL || strcmp(kind, "external") != 0)
            continue;
        if (json_object_get(a, "measured") != NULL)
            return vt_err_set(err, VT_E_FORMAT, "gateway: auditors[%zu].measured is written by the gateway at boot, "
                              "not configured", i);
        m = json_object();
        fd = json_array();
        if (m == NULL || fd == NULL || json_object_set_new(a, "measured", m) != 0) {
            json_decref(fd);
            return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        }
        if (json_object_set_new(m, "files", fd) != 0 ||
            json_object_set_new(m, "protocol", json_string(VT_XAUD_PROTOCOL)) != 0)
            return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        if (exe != NULL) {
            rc = file_digest(d, exe, err);
            if (rc != VT_OK)
                return rc;
            vt_hex_encode(hex, d, 32);
            json_object_set_new(m, "executable", json_string(hex));
        }
        json_array_foreach(files, k, f) {
            if (!json_is_string(f))
                continue; /* the chain's parser names it */
            rc = file_digest(d, json_string_value(f), err);
            if (rc != VT_OK)
                return rc;
            vt_hex_encode(hex, d, 32);
            json_array_append_new(fd, json_string(hex));
        }
    }
    return VT_OK;
}

/* ---- the peer check ---- */

static void set_unmeasured(vt_gw_xaud *x, const char *why)
{
    pthread_mutex_lock(&x->why_mu);
    if (!atomic_load(&x->unmeasured)) {
        snprintf(x->why, sizeof(x->why), "%s", why);
        atomic_store(&x->unmeasured, true);
    }
    pthread_mutex_unlock(&x->why_mu);
}

const char *vt__gw_xaud_unmeasured(const vt_gw_xaud *x)
{
    return x != NULL && atomic_load(&x->unmeasured) ? x->why : NULL;
}

/* What /proc/<pid>/stat says of pid: field 3 (state), 9 (flags) and 22 (start time, which
 * distinguishes a reused pid).  False when it cannot be read. */
struct proc_stat {
    char state;
    unsigned long flags;
    unsigned long long start;
};

static bool proc_stat(int pid, struct proc_stat *ps)
{
    char p[64], buf[1024], *s;
    ssize_t n;
    int fd;

    memset(ps, 0, sizeof(*ps));
    snprintf(p, sizeof(p), "/proc/%d/stat", pid);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    s = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (s == NULL || s[1] != ' ')
        return false;
    ps->state = s[2];
    for (int field = 2; s != NULL && field < 22; field++) {
        s = strchr(s + 1, ' ');
        if (s != NULL && field == 8)
            ps->flags = strtoul(s + 1, NULL, 10);
    }
    if (s == NULL)
        return false;
    ps->start = strtoull(s + 1, NULL, 10);
    return true;
}

static unsigned long long start_time(int pid)
{
    struct proc_stat ps;

    return proc_stat(pid, &ps) ? ps.start : 0;
}

/* Is process pid, started at start, still running (not exited, exiting: PF_EXITING 0x4, or a
 * zombie)? */
static bool still_running(int pid, unsigned long long start)
{
    struct proc_stat ps;

    return proc_stat(pid, &ps) && ps.state != 'Z' && ps.state != 'X' && ps.state != 'x' && !(ps.flags & 0x4) &&
           ps.start == start;
}

/* Is the process on fd the measured auditor i?  VT_E_POLICY (and the gateway stops serving)
 * when not. */
static vt_status peer_check(vt_gw_xaud *x, size_t i, int fd, vt_err *err)
{
    const vt_xaud_spec *s = vt_xaud_get(x->c, i);
    struct xcheck *ck = &x->checks[i];
    struct ucred cr;
    socklen_t cl = sizeof(cr);
    unsigned long long st;
    struct stat sb;
    vt_status rc = VT_OK;
    char why[256] = "";

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0 || cr.pid <= 0)
        return vt_err_set(err, VT_E_IO, "gateway: auditor %s: no peer credentials on %s", s->name, s->socket);
    st = start_time(cr.pid);
    {
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/exe", (int)cr.pid);
        if (stat(p, &sb) != 0)
            memset(&sb, 0, sizeof(sb));
    }
    pthread_mutex_lock(&ck->mu);
    if (ck->pid == cr.pid && ck->start == st && st != 0 && sb.st_ino != 0 && ck->dev == sb.st_dev &&
        ck->ino == sb.st_ino) {
        pthread_mutex_unlock(&ck->mu);
        return VT_OK;
    }
    if (s->executable != NULL) {
        char p[64];
        uint8_t d[32];
        snprintf(p, sizeof(p), "/proc/%d/exe", (int)cr.pid);
        rc = file_digest(d, p, err);
        if (rc != VT_OK && !still_running((int)cr.pid, st)) {
            /* It exited (a crash) after it took the connection: not running, not another program. */
            pthread_mutex_unlock(&ck->mu);
            return vt_err_set(err, VT_E_IO, "not running (the process on %s exited)", s->socket);
        }
        if (rc != VT_OK)
            snprintf(why, sizeof(why), "auditor %s: cannot read the program of process %d on its socket", s->name,
                     (int)cr.pid);
        else if (!s->measured || !vt_ct_equal(d, s->exe_digest, 32))
            snprintf(why, sizeof(why), "auditor %s: the process on its socket (pid %d) does not run the measured "
                     "program %s", s->name, (int)cr.pid, s->executable);
    }
    for (size_t f = 0; why[0] == '\0' && f < s->file_count; f++) {
        uint8_t d[32];
        if (file_digest(d, s->files[f], NULL) != VT_OK || !s->measured || !vt_ct_equal(d, s->file_digests[f], 32))
            snprintf(why, sizeof(why), "auditor %s: %s changed since it was measured", s->name, s->files[f]);
    }
    if (why[0] == '\0') {
        ck->pid = cr.pid;
        ck->start = st;
        ck->dev = sb.st_dev;
        ck->ino = sb.st_ino;
    }
    pthread_mutex_unlock(&ck->mu);
    if (why[0] != '\0') {
        set_unmeasured(x, why);
        return vt_err_set(err, VT_E_POLICY, "gateway: %s", why);
    }
    return VT_OK;
}

/* ---- HTTP/1.1 on the Unix socket ---- */

static void conn_close(struct xconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* deadline: monotonic nanoseconds.  The wait is rounded up to whole milliseconds, so a call
 * never times out before its timeout_ms has passed. */
static vt_status wait_fd(int fd, short ev, int64_t deadline, const char *who, vt_err *err)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = ev };
        int64_t left = deadline - vt_time_mono_ns();
        int r;
        if (left <= 0)
            return vt_err_set(err, VT_E_IO, "timed out");
        r = poll(&p, 1, (int)((left + 999999) / 1000000));
        if (r > 0)
            return VT_OK;
        if (r < 0 && errno != EINTR)
            return vt_err_set(err, VT_E_IO, "%s: poll: %s", who, strerror(errno));
    }
}

static vt_status conn_open(vt_gw_xaud *x, size_t i, struct xconn *c, int64_t deadline, vt_err *err)
{
    const vt_xaud_spec *s = vt_xaud_get(x->c, i);
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    vt_status rc;

    if (fd < 0)
        return vt_err_set(err, VT_E_IO, "socket: %s", strerror(errno));
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->socket);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS && errno != EAGAIN) {
        rc = vt_err_set(err, VT_E_IO, "not running (connect %s: %s)", s->socket, strerror(errno));
        close(fd);
        return rc;
    }
    if (errno == EAGAIN || errno == EINPROGRESS) {
        int e = 0;
        socklen_t el = sizeof(e);
        rc = wait_fd(fd, POLLOUT, deadline, s->name, err);
        if (rc == VT_OK && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0))
            rc = vt_err_set(err, VT_E_IO, "not running (connect %s: %s)", s->socket, strerror(e));
        if (rc != VT_OK) {
            close(fd);
            return rc;
        }
    }
    rc = peer_check(x, i, fd, err);
    if (rc != VT_OK) {
        close(fd);
        return rc;
    }
    c->fd = fd;
    return VT_OK;
}

static int atoi_status(const char *s)
{
    if (s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
        return 0;
    return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* Content-Length and "Connection: close" from the head (lowercased copy). */
static bool parse_head(const char *h, size_t hl, int *status, size_t *clen, bool *close_after)
{
    char *low = strndup(h, hl), *p;
    bool ok;

    if (low == NULL)
        return false;
    for (p = low; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    ok = strncmp(low, "http/1.1 ", 9) == 0 || strncmp(low, "http/1.0 ", 9) == 0;
    *status = ok ? atoi_status(low + 9) : 0;
    p = strstr(low, "\r\ncontent-length:");
    *clen = 0;
    if (p == NULL || strstr(low, "\r\ntransfer-encoding:") != NULL) {
        ok = false;
    } else {
        char *end;
        unsigned long long v = strtoull(p + 17, &end, 10);
        ok = ok && end != p + 17 && v <= VT_XAUD_MAX_ANSWER;
        *clen = (size_t)v;
    }
    *close_after = strstr(low, "\r\nconnection: close") != NULL || strncmp(low, "http/1.0", 8) == 0;
    free(low);
    return ok;
}

/* One request and its answer on an open connection.  *fresh_eof: the peer closed before a byte
 * of the answer came (a kept-alive connection the auditor dropped: worth one retry). */
static vt_status exchange(struct xconn *c, const char *method, const char *path, const char *body, size_t len,
                          int64_t deadline, vt_buf *answer, int *status, bool *fresh_eof, vt_err *err)
{
    char head[256], buf[16384];
    size_t hl, sent = 0, got_head = 0, clen = 0, total;
    vt_buf in;
    bool close_after = false;
    vt_status rc = VT_OK;
    int spins = 0;

    *fresh_eof = false;
    hl = (size_t)snprintf(head, sizeof(head),
                          "%s %s HTTP/1.1\r\nHost: auditor\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          method, path, len);
    total = hl + len;
    while (rc == VT_OK && sent < total) {
        struct iovec iov[2];
        struct msghdr mh;
        ssize_t n;
        int k = 0;
        memset(&mh, 0, sizeof(mh));
        if (sent < hl)
            iov[k++] = (struct iovec){ head + sent, hl - sent };
        if (len > 0)
            iov[k++] = (struct iovec){ (char *)body + (sent > hl ? sent - hl : 0), len - (sent > hl ? sent - hl : 0) };
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)k;
        n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t)n;
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            rc = wait_fd(c->fd, POLLOUT, deadline, "send", err);
        else if (n < 0 && errno == EINTR)
            continue;
        else {
            *fresh_eof = errno == EPIPE || errno == ECONNRESET;
            rc = vt_err_set(err, VT_E_IO, "send: %s", strerror(errno));
        }
    }
    vt_buf_init(&in);
    while (rc == VT_OK) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && spins < SPIN_YIELDS) {
            /* The auditor usually answers within microseconds: hand it the CPU a few times before
             * sleeping in poll (a sleep and wake-up costs more than the call on a loaded host). */
            spins++;
            sched_yield();
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            rc = wait_fd(c->fd, POLLIN, deadline, "recv", err);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *fresh_eof = in.len == 0 && (n == 0 || errno == ECONNRESET);
            rc = vt_err_set(err, VT_E_IO, "the auditor closed the connection mid-answer");
            break;
        }
        rc = vt_buf_append(&in, buf, (size_t)n, err);
        if (rc == VT_OK && got_head == 0) {
            const char *e = in.len >= 4 ? memmem(in.data, in.len, "\r\n\r\n", 4) : NULL;
            if (e == NULL && in.len > MAX_HEAD)
                rc = vt_err_set(err, VT_E_LIMIT, "answer head larger than %d bytes", MAX_HEAD);
            if (e != NULL) {
                got_head = (size_t)(e - (const char *)in.data) + 4;
                if (!parse_head((const char *)in.data, got_head - 2, status, &clen, &close_after))
                    rc = vt_err_set(err, VT_E_FORMAT, "answer is not HTTP/1.1 with a Content-Length of at most %zu",
                                    VT_XAUD_MAX_ANSWER);
            }
        }
        if (rc == VT_OK && got_head > 0 && in.len >= got_head + clen) {
            if (in.len > got_head + clen)
                rc = vt_err_set(err, VT_E_FORMAT, "bytes after the answer");
            else
                rc = vt_buf_append(answer, in.data + got_head, clen, err);
            break;
        }
    }
    vt_buf_free(&in);
    if (rc != VT_OK || close_after)
        conn_close(c);
    return rc;
}

/* Is a kept-alive connection out of step?  Between calls nothing may be waiting on it: bytes there
 * are an answer no call asked for (an auditor that answered twice, or late), which the next call
 * would read as its own; an end or an error means the auditor dropped it. */
static bool conn_stale(const struct xconn *c)
{
    char b;
    ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* A request to auditor i on a slot's connection: reconnects (and re-checks the peer) when there
 * is none or it is out of step, and retries once when a kept-alive connection turns out closed. */
static vt_status slot_call(struct xslot *sl, size_t i, const char *method, const char *path, const char *body,
                           size_t len, unsigned timeout_ms, vt_buf *answer, vt_err *err)
{
    vt_gw_xaud *x = sl->x;
    struct xconn *c = &sl->conns[i];
    int64_t deadline = vt_time_mono_ns() + (int64_t)timeout_ms * 1000000;
    vt_status rc = VT_E_INTERNAL;
    int status = 0;

    if (atomic_load(&x->unmeasured))
        return vt_err_set(err, VT_E_POLICY, "gateway: %s", x->why);
    if (c->fd >= 0 && conn_stale(c))
        conn_close(c);
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = c->fd >= 0, eof = false;
        size_t before = answer->len;
        if (!reused) {
            rc = conn_open(x, i, c, deadline, err);
            if (rc != VT_OK)
                return rc;
        }
        rc = exchange(c, method, path, body, len, deadline, answer, &status, &eof, err);
        if (rc == VT_OK)
            break;
        answer->len = before;
        if (!(reused && eof))
            return rc;
    }
    if (rc == VT_OK && status != 200)
        rc = vt_err_set(err, VT_E_IO, "answered HTTP %d", status);
    return rc;
}

vt_status vt__gw_xaud_call(void *arg, size_t i, const char *req, size_t len, vt_buf *answer, vt_err *err)
{
    struct xslot *sl = arg;
    const vt_xaud_spec *s;
    vt_status rc;

    if (sl == NULL || (s = vt_xaud_get(sl->x->c, i)) == NULL)
        return vt_err_set(err, VT_E_ARG, "gateway: no external auditor %zu", i);
    if (sl->loop == sl->x->nslots - 1)
        pthread_mutex_lock(&sl->x->shared_mu);
    {
        struct xstat *st = &sl->x->stats[i];
        int64_t t0 = vt_time_mono_ns(), dt;
        size_t b = 0;
        rc = slot_call(sl, i, "POST", "/v1/audit", req, len, s->timeout_ms, answer, err);
        dt = vt_time_mono_ns() - t0;
        while (b < CALL_BUCKETS - 1 && (double)dt > call_le[b] * 1e9)
            b++;
        atomic_fetch_add(&st->bucket[b], 1);
        atomic_fetch_add(&st->sum_ns, (unsigned long long)dt);
        if (rc != VT_OK)
            atomic_fetch_add(&st->failed, 1);
    }
    if (sl->loop == sl->x->nslots - 1)
        pthread_mutex_unlock(&sl->x->shared_mu);
    return rc;
}

vt_status vt__gw_xaud_metrics(const vt_gw_xaud *x, vt_buf *out, vt_err *err)
{
    vt_status rc = VT_OK;

    if (x == NULL)
        return VT_OK;
    rc = vt_buf_append_str(out,
                           "# HELP veritee_gateway_auditor_call_seconds External auditor calls, from the request sent "
                           "to the answer read.\n"
                           "# TYPE veritee_gateway_auditor_call_seconds histogram\n",
                           err);
    for (size_t i = 0; rc == VT_OK && i < x->n; i++) {
        const struct xstat *st = &x->stats[i];
        char name[160], line[800];
        unsigned long long cum = 0;
        vt_metrics_label_escape(name, sizeof(name), vt_xaud_get(x->c, i)->name);
        for (size_t b = 0; rc == VT_OK && b < CALL_BUCKETS; b++) {
            cum += atomic_load(&st->bucket[b]);
            if (b < CALL_BUCKETS - 1)
                snprintf(line, sizeof(line), "veritee_gateway_auditor_call_seconds_bucket{auditor=\"%s\",le=\"%g\"} %llu\n",
                         name, call_le[b], cum);
            else
                snprintf(line, sizeof(line),
                         "veritee_gateway_auditor_call_seconds_bucket{auditor=\"%s\",le=\"+Inf\"} %llu\n"
                         "veritee_gateway_auditor_call_seconds_sum{auditor=\"%s\"} %.9f\n"
                         "veritee_gateway_auditor_call_seconds_count{auditor=\"%s\"} %llu\n",
                         name, cum, name, (double)atomic_load(&st->sum_ns) / 1e9, name, cum);
            rc = vt_buf_append_str(out, line, err);
        }
    }
    if (rc == VT_OK)
        rc = vt_buf_append_str(out,
                               "# HELP veritee_gateway_auditor_call_failures_total External auditor calls that failed "
                               "(not running, timed out, crashed, bad answer).\n"
                               "# TYPE veritee_gateway_auditor_call_failures_total counter\n",
                               err);
    for (size_t i = 0; rc == VT_OK && i < x->n; i++) {
        char name[160], line[320];
        vt_metrics_label_escape(name, sizeof(name), vt_xaud_get(x->c, i)->name);
        snprintf(line, sizeof(line), "veritee_gateway_auditor_call_failures_total{auditor=\"%s\"} %llu\n", name,
                 (unsigned long long)atomic_load(&x->stats[i].failed));
        rc = vt_buf_append_str(out, line, err);
    }
    return rc;
}

/* Writes <metrics_dir>/auditors.prom (for a node-exporter textfile collector). */
static void metrics_write(vt_gw_xaud *x)
{
    char path[4200];
    vt_buf b;
    vt_err e = { 0 };

    vt_buf_init(&b);
    snprintf(path, sizeof(path), "%s/auditors.prom", x->metrics_dir);
    if (vt_mkdir_p(x->metrics_dir, 0700, &e) != VT_OK || vt__gw_xaud_metrics(x, &b, &e) != VT_OK ||
        vt_file_write(path, b.data, b.len, 0600, &e) != VT_OK)
        vt__gw_log("warn", "metrics", e.msg);
    vt_buf_free(&b);
}

static void *metrics_main(void *arg)
{
    vt_gw_xaud *x = arg;

    pthread_mutex_lock(&x->metrics_mu);
    while (!x->metrics_stop) {
        pthread_mutex_unlock(&x->metrics_mu);
        metrics_write(x);
        pthread_mutex_lock(&x->metrics_mu);
        if (!x->metrics_stop)
            (void)vt__cond_wait_ms(&x->metrics_cv, &x->metrics_mu, 1000);
    }
    pthread_mutex_unlock(&x->metrics_mu);
    metrics_write(x); /* the last counts, at shutdown */
    return NULL;
}

void *vt__gw_xaud_arg(vt_gw_xaud *x, unsigned loop)
{
    return x != NULL && loop < x->nslots ? &x->slots[loop] : NULL;
}

/* GET /v1/info: the running auditor speaks the protocol, is the configured version and serves
 * every configured phase. */
static vt_status boot_check(vt_gw_xaud *x, size_t i, unsigned wait_ms, vt_err *err)
{
    static const vt_audit_phase phases[] = { VT_AUDIT_ARTIFACT, VT_AUDIT_REQUEST, VT_AUDIT_EXECUTION,
                                             VT_AUDIT_RESPONSE };
    const vt_xaud_spec *s = vt_xaud_get(x->c, i);
    int64_t until = vt_time_mono_ms() + wait_ms;
    vt_buf b;
    json_t *info = NULL, *ph;
    vt_status rc;

    vt_buf_init(&b);
    for (;;) {
        vt_err e = { 0 };
        b.len = 0;
        rc = slot_call(&x->slots[0], i, "GET", "/v1/info", "", 0, s->timeout_ms > 2000 ? s->timeout_ms : 2000, &b,
                       &e);
        if (rc == VT_OK || rc == VT_E_POLICY || vt_time_mono_ms() >= until) {
            if (rc != VT_OK)
                vt_err_set(err, rc, "gateway: external auditor %s: %s", s->name, e.msg);
            break;
        }
        usleep(50000);
    }
    if (rc == VT_OK)
        info = json_loadb((const char *)b.data, b.len, 0, NULL);
    if (rc == VT_OK && (!json_is_object(info) ||
                        strcmp(json_string_value(json_object_get(info, "protocol")) != NULL
                                   ? json_string_value(json_object_get(info, "protocol"))
                                   : "",
                               VT_XAUD_PROTOCOL) != 0))
        rc = vt_err_set(err, VT_E_FORMAT, "gateway: external auditor %s does not speak %s", s->name,
                        VT_XAUD_PROTOCOL);
    if (rc == VT_OK && (json_string_value(json_object_get(info, "version")) == NULL ||
                        strcmp(json_string_value(json_object_get(info, "version")), s->version) != 0))
        rc = vt_err_set(err, VT_E_POLICY, "gateway: external auditor %s runs version %.32s, configured %s", s->name,
                        json_string_value(json_object_get(info, "version")) != NULL
                            ? json_string_value(json_object_get(info, "version"))
                            : "(none)",
                        s->version);
    ph = json_object_get(info, "phases");
    for (size_t k = 0; rc == VT_OK && k < 4; k++) {
        bool found = false;
        size_t j;
        json_t *v;
        if (!(s->phases & (unsigned)phases[k]))
            continue;
        json_array_foreach(ph, j, v)
            found |= json_is_string(v) && strcmp(json_string_value(v), vt_audit_phase_name(phases[k])) == 0;
        if (!found)
            rc = vt_err_set(err, VT_E_POLICY, "gateway: external auditor %s does not serve the %s phase it is "
                            "configured for", s->name, vt_audit_phase_name(phases[k]));
    }
    json_decref(info);
    vt_buf_free(&b);
    return rc;
}

vt_status vt__gw_xaud_new(vt_gw_xaud **out, const vt_audit_chain *c, unsigned nloops, unsigned boot_wait_ms,
                          const char *state_dir, vt_err *err)
{
    vt_gw_xaud *x = NULL;
    vt_status rc = VT_OK;
    size_t n = vt_xaud_count(c);

    *out = NULL;
    if (n == 0)
        return VT_OK;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    x->c = c;
    x->n = n;
    x->nslots = nloops + 1;
    pthread_mutex_init(&x->shared_mu, NULL);
    pthread_mutex_init(&x->why_mu, NULL);
    pthread_mutex_init(&x->metrics_mu, NULL);
    (void)vt__cond_init(&x->metrics_cv);
    x->slots = calloc(x->nslots, sizeof(*x->slots));
    x->checks = calloc(n, sizeof(*x->checks));
    x->stats = calloc(n, sizeof(*x->stats));
    if (x->slots == NULL || x->checks == NULL || x->stats == NULL) {
        vt__gw_xaud_free(x);
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        pthread_mutex_init(&x->checks[i].mu, NULL);
    for (unsigned l = 0; l < x->nslots; l++) {
        x->slots[l].x = x;
        x->slots[l].loop = l;
        x->slots[l].conns = calloc(n, sizeof(struct xconn));
        if (x->slots[l].conns == NULL) {
            vt__gw_xaud_free(x);
            return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        }
        for (size_t i = 0; i < n; i++)
            x->slots[l].conns[i].fd = -1;
    }
    for (size_t i = 0; rc == VT_OK && i < n; i++)
        rc = boot_check(x, i, boot_wait_ms, err);
    if (rc == VT_OK && state_dir != NULL) {
        size_t dl = strlen(state_dir) + sizeof("/metrics");
        x->metrics_dir = malloc(dl);
        if (x->metrics_dir == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        if (rc == VT_OK) {
            snprintf(x->metrics_dir, dl, "%s/metrics", state_dir);
            if (pthread_create(&x->metrics_thread, NULL, metrics_main, x) != 0)
                rc = vt_err_set(err, VT_E_INTERNAL, "gateway: cannot start the auditor metrics thread");
            else
                x->metrics_started = true;
        }
    }
    if (rc != VT_OK) {
        vt__gw_xaud_free(x);
        return rc;
    }
    *out = x;
    return VT_OK;
}

void vt__gw_xaud_free(vt_gw_xaud *x)
{
    if (x == NULL)
        return;
    if (x->metrics_started) {
        pthread_mutex_lock(&x->metrics_mu);
        x->metrics_stop = true;
        pthread_cond_broadcast(&x->metrics_cv);
        pthread_mutex_unlock(&x->metrics_mu);
        pthread_join(x->metrics_thread, NULL);
    }
    for (unsigned l = 0; x->slots != NULL && l < x->nslots; l++) {
        for (size_t i = 0; x->slots[l].conns != NULL && i < x->n; i++)
            conn_close(&x->slots[l].conns[i]);
        free(x->slots[l].conns);
    }
    for (size_t i = 0; x->checks != NULL && i < x->n; i++)
        pthread_mutex_destroy(&x->checks[i].mu);
    free(x->slots);
    free(x->checks);
    free(x->stats);
    free(x->metrics_dir);
    pthread_mutex_destroy(&x->shared_mu);
    pthread_mutex_destroy(&x->why_mu);
    pthread_mutex_destroy(&x->metrics_mu);
    pthread_cond_destroy(&x->metrics_cv);
    free(x);
}
