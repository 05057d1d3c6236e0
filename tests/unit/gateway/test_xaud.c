/* The gateway's calls to an external auditor (gateway/xaud.h) over a real Unix socket, answered by a
 * stand-in auditor on a thread of this process (so the peer check finds this test's own program,
 * which the chain measures): what a misbehaving auditor's extra bytes do to the next call. */
#include "vt_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit/xchain.h"
#include "gateway/xaud.h"

#define INFO "{\"name\":\"s\",\"version\":\"1.0\",\"protocol\":\"veritee-auditor/1\",\"phases\":[\"request\"]}"
#define ALLOW(tag) "{\"verdict\":\"annotate\",\"annotations\":{\"" tag "\":1}}"

/* The stand-in: answers GET /v1/info, and each POST /v1/audit with the next of answers[], on any
 * connection.  After the first POST's answer it waits for `go`, then writes `extra` (a second
 * answer nobody asked for) on the same connection and says so with `extra_sent`. */
typedef struct standin {
    char dir[64], path[128];
    int lfd;
    pthread_t th;
    const char *answers[4];
    size_t posts;
    const char *extra;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool go, extra_sent, stop;
} standin;

static bool write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

static bool reply(int fd, const char *body)
{
    char head[128];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     strlen(body));
    return write_all(fd, head, (size_t)n) && write_all(fd, body, strlen(body));
}

/* One request: its head and its Content-Length of body.  False at the end of the connection. */
static bool read_request(int fd, bool *post)
{
    char buf[65536];
    size_t len = 0, clen = 0;
    char *e = NULL, *cl;

    while (e == NULL) {
        ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (r <= 0)
            return false;
        len += (size_t)r;
        buf[len] = '\0';
        e = strstr(buf, "\r\n\r\n");
    }
    *post = strncmp(buf, "POST ", 5) == 0;
    cl = strstr(buf, "Content-Length: ");
    if (cl != NULL)
        clen = strtoul(cl + 16, NULL, 10);
    for (size_t have = len - (size_t)(e + 4 - buf); have < clen;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r <= 0)
            return false;
        have += (size_t)r;
    }
    return true;
}

static void *standin_main(void *arg)
{
    standin *s = arg;

    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        bool post;
        if (fd < 0)
            return NULL; /* the listener was shut down */
        while (read_request(fd, &post)) {
            size_t k;
            if (!post) {
                (void)reply(fd, INFO);
                continue;
            }
            pthread_mutex_lock(&s->mu);
            k = s->posts++;
            pthread_mutex_unlock(&s->mu);
            (void)reply(fd, s->answers[k < 4 && s->answers[k] != NULL ? k : 0]);
            if (k == 0 && s->extra != NULL) {
                pthread_mutex_lock(&s->mu);
                while (!s->go)
                    pthread_cond_wait(&s->cv, &s->mu);
                pthread_mutex_unlock(&s->mu);
                (void)reply(fd, s->extra);
                pthread_mutex_lock(&s->mu);
                s->extra_sent = true;
                pthread_cond_broadcast(&s->cv);
                pthread_mutex_unlock(&s->mu);
            }
        }
        close(fd);
    }
}

static void standin_start(standin *s)
{
    struct sockaddr_un sa;

    snprintf(s->dir, sizeof(s->dir), "/tmp/vtxaud-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->path, sizeof(s->path), "%s/a.sock", s->dir);
    s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->lfd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1); /* under 40 bytes */
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    assert_int_equal(pthread_create(&s->th, NULL, standin_main, s), 0);
}

static void standin_stop(standin *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    close(s->lfd);
    pthread_join(s->th, NULL);
    unlink(s->path);
    rmdir(s->dir);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
}

/* A chain of one external auditor on s's socket whose program is this test's own, measured. */
static vt_audit_chain *measured_chain(const standin *s)
{
    char exe[4096], *text;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    json_t *arr;
    vt_audit_chain *c = NULL;
    vt_err err = { 0 };

    assert_true(n > 0);
    exe[n] = '\0';
    arr = json_pack("[{s:s, s:s, s:s, s:[s], s:s, s:s, s:i}]", "name", "s", "kind", "external", "version", "1.0",
                    "phases", "request", "socket", s->path, "executable", exe, "timeout_ms", 2000);
    assert_non_null(arr);
    assert_int_equal(vt__gw_xaud_measure(arr, &err), VT_OK);
    text = json_dumps(arr, JSON_COMPACT);
    if (vt_audit_chain_new(&c, text, strlen(text), &err) != VT_OK)
        fail_msg("chain: %s", err.msg);
    free(text);
    json_decref(arr);
    return c;
}

/* An auditor that writes a second answer after the first (a bug, or a late answer to a call that
 * already returned): the bytes wait on the kept-alive connection, and the next call read them as
 * its own answer (an answer to another exchange).  The connection is dropped instead and the call
 * gets the answer to its own request. */
static void test_xaud__stale_answer_not_read_as_the_next(void **state)
{
    standin s = { .answers = { ALLOW("first"), ALLOW("second") }, .extra = ALLOW("stale") };
    vt_audit_chain *c;
    vt_gw_xaud *x = NULL;
    vt_buf a;
    vt_err err = { 0 };
    const char *req = "{}";

    (void)state;
    standin_start(&s);
    c = measured_chain(&s);
    if (vt__gw_xaud_new(&x, c, 1, 2000, NULL, &err) != VT_OK)
        fail_msg("xaud: %s", err.msg);
    vt_buf_init(&a);
    assert_int_equal(vt__gw_xaud_call(vt__gw_xaud_arg(x, 0), 0, req, strlen(req), &a, &err), VT_OK);
    assert_non_null(memmem(a.data, a.len, "first", 5));
    pthread_mutex_lock(&s.mu);
    s.go = true;
    pthread_cond_broadcast(&s.cv);
    while (!s.extra_sent)
        pthread_cond_wait(&s.cv, &s.mu);
    pthread_mutex_unlock(&s.mu);
    a.len = 0;
    assert_int_equal(vt__gw_xaud_call(vt__gw_xaud_arg(x, 0), 0, req, strlen(req), &a, &err), VT_OK);
    if (memmem(a.data, a.len, "second", 6) == NULL)
        fail_msg("the second call read %.*s", (int)a.len, (const char *)a.data);
    assert_null(vt__gw_xaud_unmeasured(x));
    vt_buf_free(&a);
    vt__gw_xaud_free(x);
    vt_audit_chain_free(c);
    standin_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xaud__stale_answer_not_read_as_the_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
