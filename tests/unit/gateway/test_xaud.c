/* The gateway's calls to an external auditor (gateway/xaud.h) over a real Unix socket, answered by a
 * stand-in auditor on a thread of this process (so the peer check finds this test's own program,
 * which the chain measures): what a misbehaving auditor's extra bytes do to the next call. */
#include "vt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
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

/* The auditor after its exec(): a Python server on the inherited listening socket, ready once it
 * says so on the pipe. */
static const char exec_server[] =
    "import os, socket, sys\n"
    "l = socket.socket(fileno=int(sys.argv[1]))\n"
    "os.write(int(sys.argv[2]), b'r')\n"
    "while True:\n"
    "    c, _ = l.accept()\n"
    "    b = b''\n"
    "    while b'\\r\\n\\r\\n' not in b:\n"
    "        d = c.recv(65536)\n"
    "        if not d: break\n"
    "        b += d\n"
    "    a = b'{\"verdict\":\"annotate\",\"annotations\":{\"exec\":1}}'\n"
    "    c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n' % len(a) + a)\n";

/* The forked auditor: this program (the measured one) answers the boot check on one connection,
 * then, when told, runs python3 in its place (same pid, same start time) on the same socket. */
static void exec_child(int lfd, int go, int ready)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    bool post;
    char b, lfds[16], readys[16];

    if (fd < 0 || !read_request(fd, &post) || !reply(fd, INFO) || read(go, &b, 1) != 1)
        _exit(2);
    snprintf(lfds, sizeof(lfds), "%d", lfd);
    snprintf(readys, sizeof(readys), "%d", ready);
    dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), 1); /* not the test's output */
    fcntl(lfd, F_SETFD, 0); /* inherited by the program that follows */
    fcntl(ready, F_SETFD, 0);
    execlp("python3", "python3", "-c", exec_server, lfds, readys, (char *)NULL);
    _exit(3);
}

/* A checked process that exec()s another program keeps its pid and start time, which is all the
 * check remembered: the next connection was taken as the measured auditor's, and the other
 * program's answers used.  It is checked again, and the gateway stops serving. */
static void test_xaud__exec_checked_again(void **state)
{
    standin s = { 0 };
    int go[2], ready[2];
    pid_t pid;
    vt_audit_chain *c;
    vt_gw_xaud *x = NULL;
    vt_buf a;
    vt_err err = { 0 };
    char b, why[256];
    vt_status rc;

    (void)state;
    if (system("python3 -c '' 2>/dev/null") != 0)
        skip();
    snprintf(s.dir, sizeof(s.dir), "/tmp/vtxaud-XXXXXX");
    assert_non_null(mkdtemp(s.dir));
    snprintf(s.path, sizeof(s.path), "%s/a.sock", s.dir);
    assert_int_equal(pipe2(go, O_CLOEXEC), 0);
    assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the child listens: the peer check names the process that called listen() */
        struct sockaddr_un sa;
        int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        memcpy(sa.sun_path, s.path, strlen(s.path) + 1); /* under 40 bytes */
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 8) != 0)
            _exit(1);
        exec_child(lfd, go[0], ready[1]);
    }
    close(ready[1]);
    c = measured_chain(&s);
    if (vt__gw_xaud_new(&x, c, 1, 5000, NULL, &err) != VT_OK)
        fail_msg("xaud: %s", err.msg);
    assert_int_equal(write(go[1], "x", 1), 1);
    assert_int_equal(read(ready[0], &b, 1), 1); /* python3 runs, on the same socket */
    vt_buf_init(&a);
    rc = vt__gw_xaud_call(vt__gw_xaud_arg(x, 0), 0, "{}", 2, &a, &err);
    snprintf(why, sizeof(why), "%s", vt__gw_xaud_unmeasured(x) != NULL ? vt__gw_xaud_unmeasured(x) : "");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(go[0]);
    close(go[1]);
    close(ready[0]);
    unlink(s.path);
    rmdir(s.dir);
    if (rc == VT_OK)
        fail_msg("the exec'd program's answer was taken: %.*s", (int)a.len, (const char *)a.data);
    if (rc != VT_E_POLICY || strstr(why, "does not run the measured program") == NULL)
        fail_msg("call: %d %s; unmeasured: %s", rc, err.msg, why);
    vt_buf_free(&a);
    vt__gw_xaud_free(x);
    vt_audit_chain_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xaud__stale_answer_not_read_as_the_next),
        cmocka_unit_test(test_xaud__exec_checked_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
