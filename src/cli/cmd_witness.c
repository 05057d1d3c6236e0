/* veritee log witness: a C2SP tlog-witness for one veritee log.  It keeps, for
 * the log it is told to trust, the latest checkpoint it cosigned (a file in its
 * state directory), and answers POST /add-checkpoint by the protocol: it
 * cosigns a checkpoint only when it is signed by the log's key and provably
 * extends the one it cosigned before.  A log operator runs it, or better,
 * someone independent of the operator (docs/log.md, "Witnesses"). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/owner_lock.h"
#include "cli.h"
#include "logclient.h"

#define STATE_MAX 256

enum { O_LISTEN = 256, O_KEY, O_NAME, O_LOGKEY, O_STATE, O_QUIET };

struct witness {
    vt_note_signer *cosigner;
    vt_note_verifier *log;
    char state_path[4200];
    int lock_fd; /* <state_path>.lock, flock()ed while the witness runs; -1 before */
    pthread_mutex_t mu; /* the check and the persisted state change together */
    vt_witness_state st;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: veritee log witness --log-key VKEY --key FILE --name NAME --state DIR [--listen ADDR]\n\n"
               "A C2SP tlog-witness for the log whose note key is VKEY (its /v1/log/key).  Serves\n"
               "POST /add-checkpoint: cosigns (tlog-cosignature v1, Ed25519) a checkpoint signed by\n"
               "that key when the consistency proof shows it extends the last one it cosigned,\n"
               "which it keeps in DIR.  Refusals follow the protocol: 403 signature, 404 another\n"
               "log, 409 stale old size or a fork at the same size, 422 a proof that fails.\n"
               "Prints its listening address and its cosigner key (give that key to relying\n"
               "parties: veritee receipt verify --witness-key).  Stops on SIGINT or SIGTERM.\n\n"
               "  --key FILE     its Ed25519 private key (PEM); made 0600 when missing\n"
               "  --name NAME    its key name (e.g. witness.example.org/w1)\n"
               "  --state DIR    where it keeps the latest cosigned size and root\n"
               "  --listen ADDR  default 127.0.0.1:8700\n");
}

static vt_status state_load(struct witness *w, vt_err *err)
{
    vt_buf b;
    vt_status rc;
    unsigned long long size = 0;
    char root64[64];

    vt_buf_init(&b);
    rc = vt_file_read(&b, w->state_path, STATE_MAX, err);
    if (rc == VT_E_NOTFOUND) {
        vt_err_clear(err);
        vt_buf_free(&b);
        return VT_OK; /* never cosigned */
    }
    if (rc == VT_OK) {
        vt_buf dec;
        vt_buf_init(&dec);
        if (vt_buf_terminate(&b, err) != VT_OK || sscanf((const char *)b.data, "%llu\n%63s", &size, root64) != 2 ||
            vt_base64_decode(&dec, root64, strlen(root64), NULL) != VT_OK || dec.len != 32)
            rc = vt_err_set(err, VT_E_FORMAT, "witness: %s is not '<size>\\n<base64 root>'", w->state_path);
        else {
            w->st.known = true;
            w->st.size = size;
            memcpy(w->st.root, dec.data, 32);
        }
        vt_buf_free(&dec);
    }
    vt_buf_free(&b);
    return rc;
}

static vt_status state_save(const struct witness *w, const vt_witness_state *st, vt_err *err)
{
    vt_buf b;
    char num[32];
    vt_status rc;

    vt_buf_init(&b);
    snprintf(num, sizeof(num), "%llu\n", (unsigned long long)st->size);
    rc = vt_buf_append_str(&b, num, err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&b, st->root, 32, false, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&b, "\n", err);
    if (rc == VT_OK)
        rc = vt_file_write(w->state_path, b.data, b.len, 0600, err); /* atomic: temp file + rename */
    vt_buf_free(&b);
    return rc;
}

/*
 * One witness process per state file: two would each check a checkpoint against what
 * they last loaded and each save its own, so one could cosign a fork of what the other
 * had just cosigned (or roll the state back).  <state_path>.lock is held until the
 * process ends (base/owner_lock.h), so a second witness of the same log on the same
 * --state fails at start, naming the first.
 */
static vt_status state_lock(struct witness *w, vt_err *err)
{
    char path[sizeof(w->state_path) + 8], pid[VT_OWNER_PID_MAX];
    vt_status rc;

    snprintf(path, sizeof(path), "%s.lock", w->state_path);
    rc = vt__owner_lock(&w->lock_fd, pid, path, err);
    if (rc == VT_E_POLICY)
        return vt_err_set(err, VT_E_POLICY,
                          "%s is in use by another witness%s%s%s; run one witness per log and state directory "
                          "(--state)",
                          w->state_path, pid[0] != '\0' ? " (pid " : "", pid, pid[0] != '\0' ? ")" : "");
    return rc;
}

/* A text answer; a reply that cannot be built becomes the server's 500. */
static void reply(vt_http_resp *resp, int status, const char *type, const char *text, size_t len, vt_err *err)
{
    if (vt_http_reply_text(resp, status, type, text, len, err) != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "out of memory");
}

static void h_add_checkpoint(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    struct witness *w = ctx;
    vt_witness_req r;
    vt_witness_state next;
    size_t tl = 0;
    int status;
    vt_buf line;
    char num[32];
    vt_err e = { 0 };

    if (vt_witness_req_parse(&r, req->body, req->body_len, &e) != VT_OK) {
        reply(resp, 400, "text/plain", e.msg, strlen(e.msg), NULL);
        return;
    }
    vt_buf_init(&line);
    pthread_mutex_lock(&w->mu);
    next = w->st;
    status = vt_witness_check(&next, &tl, &r, w->log, &e);
    if (status == 200 && state_save(w, &next, &e) != VT_OK)
        status = 500;
    if (status == 200)
        w->st = next;
    snprintf(num, sizeof(num), "%llu\n", (unsigned long long)(w->st.known ? w->st.size : 0));
    pthread_mutex_unlock(&w->mu);
    if (status == 200 && vt_note_cosign(&line, (const char *)r.checkpoint, tl, w->cosigner, (uint64_t)vt_time_now(),
                                        &e) == VT_OK) {
        reply(resp, 200, "text/plain; charset=utf-8", (const char *)line.data, line.len, NULL);
    } else if (status == 409) {
        /* The protocol's answer to a stale old size: the size it has, for the log to retry from. */
        reply(resp, 409, "text/x.tlog.size", num, strlen(num), NULL);
    } else {
        reply(resp, status == 200 ? 500 : status, "text/plain", e.msg, strlen(e.msg), NULL);
    }
    vt_buf_free(&line);
}

struct runner {
    vt_http_server *srv;
    vt_status rc;
    vt_err err;
};

static void *serve(void *arg)
{
    struct runner *r = arg;
    r->rc = vt_http_server_run(r->srv, &r->err);
    kill(getpid(), SIGTERM); /* wake the signal wait when the server ends on its own */
    return NULL;
}

int vt_cmd_log_witness(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "listen", required_argument, NULL, O_LISTEN }, { "key", required_argument, NULL, O_KEY },
        { "name", required_argument, NULL, O_NAME },     { "log-key", required_argument, NULL, O_LOGKEY },
        { "state", required_argument, NULL, O_STATE },   { "quiet", no_argument, NULL, O_QUIET },
        { "help", no_argument, NULL, 'h' },              { NULL, 0, NULL, 0 },
    };
    const char *listen = "127.0.0.1:8700", *keyp = NULL, *name = NULL, *logkey = NULL, *state = NULL;
    bool quiet = false;
    struct witness w;
    vt_http_router router;
    vt_http_server_opts o;
    vt_http_server *srv = NULL;
    struct runner run;
    pthread_t th;
    sigset_t set;
    vt_pkey *key = NULL;
    vt_buf vkey;
    uint8_t oh[32];
    char ohex[65];
    vt_err err = { 0 };
    int c, ex = 1;

    memset(&w, 0, sizeof(w));
    w.lock_fd = -1;
    memset(&run, 0, sizeof(run));
    pthread_mutex_init(&w.mu, NULL);
    vt_buf_init(&vkey);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: listen = optarg; break;
        case O_KEY: keyp = optarg; break;
        case O_NAME: name = optarg; break;
        case O_LOGKEY: logkey = optarg; break;
        case O_STATE: state = optarg; break;
        case O_QUIET: quiet = true; break;
        case 'h': usage(stdout); return VT_EXIT_OK;
        default: usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (keyp == NULL || name == NULL || logkey == NULL || state == NULL || optind != argc)
        return vt_cli_usage_error("log witness: --log-key, --key, --name and --state are required (--help)");
    if (vt_note_verifier_parse(&w.log, logkey, strlen(logkey), &err) != VT_OK ||
        vt_dir_private(state, &err) != VT_OK || vt_pkey_load_or_create(&key, keyp, VT_KEY_ED25519, &err) != VT_OK ||
        vt_note_cosigner_new(&w.cosigner, name, key, &err) != VT_OK ||
        vt_note_signer_vkey(&vkey, w.cosigner, &err) != VT_OK) {
        fprintf(stderr, "veritee: log witness: %s\n", err.msg);
        ex = err.code == VT_E_ARG || err.code == VT_E_FORMAT ? VT_EXIT_USAGE : 1;
        goto out;
    }
    /* One state file per log, named by its origin's digest. */
    if (vt_digest(VT_MD_SHA256, vt_note_verifier_name(w.log), strlen(vt_note_verifier_name(w.log)), oh, &err) !=
        VT_OK)
        goto fail;
    vt_hex_encode(ohex, oh, 16);
    snprintf(w.state_path, sizeof(w.state_path), "%s/%s.witness", state, ohex);
    if (state_lock(&w, &err) != VT_OK || state_load(&w, &err) != VT_OK)
        goto fail;

    vt_http_router_init(&router);
    if (vt_http_router_add(&router, "POST", "/add-checkpoint", h_add_checkpoint, &w, &err) != VT_OK)
        goto fail;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    memset(&o, 0, sizeof(o));
    o.listen = listen;
    o.threads = 1;
    o.max_body = VT_NOTE_MAX + 4096;
    o.name = "witness";
    o.access_log = !quiet;
    if (vt_http_server_new(&srv, &o, &router, &err) != VT_OK)
        goto fail;
    printf("veritee witness listening on http://%.*s:%d\nwitness key %s\n",
           (int)(strrchr(listen, ':') != NULL ? strrchr(listen, ':') - listen : 0), listen,
           vt_http_server_port(srv), (const char *)vkey.data);
    fflush(stdout);
    run.srv = srv;
    if (pthread_create(&th, NULL, serve, &run) != 0) {
        vt_err_set(&err, VT_E_INTERNAL, "cannot start the server thread");
        goto fail;
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) == 0 && (sig == SIGTERM || sig == SIGINT))
            break;
    }
    vt_http_server_stop(srv);
    pthread_join(th, NULL);
    if (run.rc != VT_OK) {
        err = run.err;
        goto fail;
    }
    ex = VT_EXIT_OK;
    goto out;
fail:
    fprintf(stderr, "veritee: log witness: %s\n", err.msg);
    ex = 1;
out:
    vt_http_server_free(srv);
    vt_note_signer_free(w.cosigner);
    vt_note_verifier_free(w.log);
    vt_pkey_free(key);
    vt_buf_free(&vkey);
    pthread_mutex_destroy(&w.mu);
    if (w.lock_fd >= 0)
        close(w.lock_fd); /* lets the state go */
    return ex;
}
