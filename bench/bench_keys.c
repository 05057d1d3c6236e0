/*
 * Key broker releases per second (docs/keys.md, POST /v1/keys/{id}/release), in
 * one run: in-process on one thread — through the verifier's router with no
 * sockets (admission: passport looked up and compared, the request's ES256
 * signature by the cnf key; then the release: replay record, policy, unwrap,
 * JWE, transparency-log entry), and vf_keys_release alone — then over HTTP with
 * keep-alive connections (1 and 32) to the same verifier code serving the same
 * state in a child process (vf_run).  CPU per release on each side: this
 * thread's in-process, the verifier process's and the client's over HTTP.
 * State: SQLite in a temp dir, a mock passport, one registered 32-byte key.
 * usage: bench_keys [SECONDS per row] (default $BENCH_SECS or 3)
 */
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "verifier/keys.h"

#define ADMIN "bench-admin-token-0123456789abcdef"
#define RES "bench-key"
#define RES_PATH "/v1/keys/" RES "/release"
#define MODEL "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

struct bench {
    char dir[64];
    vf_config cfg;
    vf_service svc;
    void *st;
    vt_pkey *enclave;
    char *passport, passport_id[48];
    int errfd;                   /* the real stderr (fd 2 goes to /dev/null: the admin log) */
};

static void die(const struct bench *b, const char *what, const char *msg)
{
    dprintf(b->errfd, "bench_keys: %s: %s\n", what, msg);
    exit(1);
}

/* This thread's user + system CPU seconds (RUSAGE_THREAD) or the process's. */
static double cpu_seconds(int who)
{
    struct rusage ru;

    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds of process pid so far (utime + stime from /proc/PID/stat). */
static double proc_cpu(pid_t pid)
{
    char path[64], line[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL || fgets(line, sizeof(line), f) == NULL || (p = strrchr(line, ')')) == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        ut = st = 0;
    if (f != NULL)
        fclose(f);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A fresh signed release request: its body ({"nonce": ...}) and Authorization value (free both). */
static void request(const struct bench *b, char **body, char **authz)
{
    vt_err err = { 0 };

    if (vt_kbs_request_new(body, &err) != VT_OK ||
        vt_passport_auth_sign(authz, b->passport, b->enclave, "POST", RES_PATH, (const uint8_t *)*body,
                              strlen(*body), vt_time_now(), &err) != VT_OK)
        die(b, "signing a request", err.msg);
}

/* One route called in-process as the HTTP server would; returns the status. */
static int dispatch(struct bench *b, const char *method, const char *path, const char *body, const char *authz)
{
    vt_http_resp resp;
    vt_http_req r;

    memset(&r, 0, sizeof(r));
    memset(&resp, 0, sizeof(resp));
    r.method = method;
    r.path = path;
    r.body = (const uint8_t *)body;
    r.body_len = strlen(body);
    r.authorization = authz;
    r.client = "127.0.0.1";
    r.request_id = "0000000000000000";
    r.thread_ctx = b->st;
    vt_http_dispatch(&resp, &b->svc.router, &r);
    if (resp.status != 200)
        die(b, path, resp.body.data != NULL ? (const char *)resp.body.data : "no answer");
    vt_buf_free(&resp.body);
    return resp.status;
}

/* The verifier's state: signing key, a stored affirming mock passport for our enclave key
 * (model measured as MODEL), and resource RES released to it by policy. */
static void setup(struct bench *b)
{
    vt_passport_claims pc;
    vs_passport row;
    vs_store *st;
    const char *kid = NULL;
    char *body, *authz;
    vt_err err = { 0 };

    if (vf_service_init(&b->svc, &b->cfg, &err) != VT_OK || vf_thread_init(&b->st, &b->svc, 0, &err) != VT_OK ||
        (vt_keyring_current(b->svc.kr, NULL) == NULL && vf_rotate(&b->svc, &err) != VT_OK) ||
        vt_pkey_generate(&b->enclave, VT_KEY_EC_P256, &err) != VT_OK)
        die(b, "verifier setup", err.msg);
    st = b->st;
    memset(&pc, 0, sizeof(pc));
    memset(&row, 0, sizeof(row));
    if (vt_passport_new_id(pc.id, &err) != VT_OK || vt_jwk_from_pkey(&pc.attester_jwk, b->enclave, NULL, &err) != VT_OK)
        die(b, "passport", err.msg);
    snprintf(pc.environment, sizeof(pc.environment), "bench");
    snprintf(pc.issuer, sizeof(pc.issuer), "veritee-verifier");
    pc.tee_type = VT_TEE_MOCK;
    pc.iat = vt_time_now() - 10;
    pc.exp = vt_time_now() + 3600;
    /* The release reads the signed claims, not the row's columns: they say the same. */
    pc.appraisal.status = VT_EAR_AFFIRMING;
    for (int i = 0; i < VT_SUBMOD_COUNT; i++)
        pc.appraisal.sub[i].status = VT_EAR_AFFIRMING;
    snprintf(pc.appraisal.sub[VT_SUBMOD_MODEL].measured, sizeof(pc.appraisal.sub[VT_SUBMOD_MODEL].measured), MODEL);
    snprintf(pc.appraisal.tcb_status, sizeof(pc.appraisal.tcb_status), "UpToDate");
    const vt_pkey *signer = vt_keyring_current(b->svc.kr, &kid);
    if (vt_passport_issue(&b->passport, &pc, signer, kid, &err) != VT_OK)
        die(b, "passport", err.msg);
    snprintf(b->passport_id, sizeof(b->passport_id), "%s", pc.id);
    snprintf(row.id, sizeof(row.id), "%s", pc.id);
    snprintf(row.environment, sizeof(row.environment), "bench");
    snprintf(row.status, sizeof(row.status), "affirming");
    snprintf(row.tee_type, sizeof(row.tee_type), "mock");
    row.issued_at = pc.iat;
    row.expires_at = pc.exp;
    row.token = b->passport;
    row.components = (char *)"{\"model\":{\"digest\":\"" MODEL "\"}}";
    if (st->ops->passport_put(st, &row, &err) != VT_OK)
        die(b, "passport store", err.msg);
    vt_passport_claims_clear(&pc);
    dispatch(b, "PUT", "/v1/admin/resources/" RES,
             "{\"kind\":\"key\",\"value\":\"a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleS0=\",\"policy\":{"
             "\"environment\":\"bench\",\"hardware_attested\":false,\"min_tcb_status\":\"any\","
             "\"measurements\":{\"model\":\"" MODEL "\"}}}",
             "Bearer " ADMIN);
    /* one release end to end before anything is timed */
    request(b, &body, &authz);
    dispatch(b, "POST", RES_PATH, body, authz);
    free(body);
    free(authz);
}

struct rate {
    long n;
    double secs, cpu;            /* time and CPU spent in the measured calls only */
};

/* In-process, one thread: through the router (admission + release) or vf_keys_release alone.
 * Signing the requests is the client's work, outside the measured calls. */
static struct rate inprocess(struct bench *b, bool router, double secs)
{
    struct vf_call call = { .svc = &b->svc, .gateway = true };
    struct rate r = { 0 };

    snprintf(call.passport_id, sizeof(call.passport_id), "%s", b->passport_id);
    while (r.secs < secs) {
        char *body, *authz;
        double t0, c0;
        request(b, &body, &authz);
        t0 = bench_now();
        c0 = cpu_seconds(RUSAGE_THREAD);
        if (router) {
            dispatch(b, "POST", RES_PATH, body, authz);
        } else {
            vf_release out;
            vt_err err = { 0 };
            vf_keys_release(&out, &call, b->st, RES, (const uint8_t *)body, strlen(body), &err);
            if (out.status != 200)
                die(b, "vf_keys_release", err.msg);
            vf_release_clear(&out);
        }
        r.cpu += cpu_seconds(RUSAGE_THREAD) - c0;
        r.secs += bench_now() - t0;
        r.n++;
        free(body);
        free(authz);
    }
    return r;
}

struct client {
    pthread_t t;
    const struct bench *b;
    char url[128];
    double until;
    long ok, failed;
    char why[256];
};

/* One keep-alive connection releasing as fast as the answers come. */
static void *client_run(void *arg)
{
    struct client *c = arg;
    vt_http_client_opts o = { .timeout_ms = 30000 };
    vt_err err = { 0 };

    if (vt_http_conn_new(&o.conn, &err) != VT_OK) {
        snprintf(c->why, sizeof(c->why), "%s", err.msg);
        return NULL;
    }
    while (bench_now() < c->until) {
        vt_http_response resp;
        char *body, *authz;
        request(c->b, &body, &authz);
        o.authorization = authz;
        memset(&resp, 0, sizeof(resp));
        if (vt_http_request(&resp, "POST", c->url, body, &o, &err) == VT_OK && resp.status == 200) {
            c->ok++;
        } else {
            c->failed++;
            if (resp.status != 0)
                vt_http_response_error(c->why, sizeof(c->why), &resp);
            else
                snprintf(c->why, sizeof(c->why), "%s", err.msg);
        }
        vt_http_response_clear(&resp);
        free(body);
        free(authz);
    }
    vt_http_conn_free(o.conn);
    return NULL;
}

/* conns connections for secs against the verifier at url (pid): releases/s, and the verifier's
 * and this process's CPU per release. */
static struct rate over_http(const struct bench *b, const char *url, pid_t pid, unsigned conns, double secs,
                             double *client_cpu)
{
    struct client *c = calloc(conns, sizeof(*c));
    struct rate r = { 0 };
    double t0 = bench_now(), v0 = proc_cpu(pid), c0 = cpu_seconds(RUSAGE_SELF);

    for (unsigned i = 0; c != NULL && i < conns; i++) {
        c[i].b = b;
        c[i].until = t0 + secs;
        snprintf(c[i].url, sizeof(c[i].url), "%s" RES_PATH, url);
        pthread_create(&c[i].t, NULL, client_run, &c[i]);
    }
    for (unsigned i = 0; c != NULL && i < conns; i++) {
        pthread_join(c[i].t, NULL);
        r.n += c[i].ok;
        if (c[i].failed > 0)
            dprintf(b->errfd, "bench_keys: %ld releases failed over HTTP: %s\n", c[i].failed, c[i].why);
    }
    r.secs = bench_now() - t0;
    r.cpu = proc_cpu(pid) - v0;
    *client_cpu = cpu_seconds(RUSAGE_SELF) - c0;
    free(c);
    return r;
}

/* The verifier serving b's state in a child process; *url its address.  Returns its pid. */
static pid_t serve(struct bench *b, char *url, size_t url_len)
{
    int fds[2];
    pid_t pid;
    char line[512] = "", *p;
    FILE *f;

    if (pipe(fds) != 0 || (pid = fork()) < 0)
        die(b, "fork", "cannot start the verifier");
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        _exit(vf_run(&b->cfg));
    }
    close(fds[1]);
    f = fdopen(fds[0], "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL && strstr(line, "listening") == NULL)
        ;
    if ((p = strstr(line, "http://")) == NULL)
        die(b, "verifier", "did not start");
    snprintf(url, url_len, "%.*s", (int)strcspn(p, " \n"), p);
    fclose(f);
    return pid;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void row(const char *what, const struct rate *r, double limit, const char *cpu)
{
    double rate = r->secs > 0 ? (double)r->n / r->secs : 0;
    printf("| %s | %.0f | %s | %.0f%% |\n", what, rate, cpu, limit > 0 ? 100.0 * rate / limit : 100.0);
}

int main(int argc, char **argv)
{
    const char *env_secs = getenv("BENCH_SECS");
    double secs = argc > 1 ? atof(argv[1]) : env_secs != NULL ? atof(env_secs) : 3.0, ccpu1, ccpu32, limit;
    struct bench b;
    struct rate full, core, h1, h32;
    char url[128], cpu[160];
    pid_t pid;
    int status = 0;

    memset(&b, 0, sizeof(b));
    snprintf(b.dir, sizeof(b.dir), "/tmp/vt-bench-keys-XXXXXX");
    if (secs <= 0 || mkdtemp(b.dir) == NULL)
        return 2;
    b.errfd = dup(2);
    dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), 2); /* the admin log: one JSON line per release */
    signal(SIGPIPE, SIG_IGN);
    b.cfg.listen = "127.0.0.1:0";
    b.cfg.state_dir = b.dir;
    b.cfg.offline = true;
    b.cfg.quiet = true;
    b.cfg.admin_token = (const uint8_t *)ADMIN;
    b.cfg.admin_token_len = strlen(ADMIN);
    b.cfg.rate = 1e6;
    b.cfg.gateway_rate = 1e9;
    b.cfg.max_per_client = 256;

    setup(&b);
    full = inprocess(&b, true, secs);
    core = inprocess(&b, false, secs);
    vf_thread_fini(b.st, &b.svc);
    vf_service_fini(&b.svc);

    pid = serve(&b, url, sizeof(url));
    h1 = over_http(&b, url, pid, 1, secs, &ccpu1);
    h32 = over_http(&b, url, pid, 32, secs, &ccpu32);
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);

    limit = full.secs > 0 ? (double)full.n / full.secs : 0;
    printf("Key broker releases (POST /v1/keys/{id}/release), SQLite, %ld cores, %.0f s a row\n",
           sysconf(_SC_NPROCESSORS_ONLN), secs);
    printf("| measurement | releases/s | CPU per release | vs in-process |\n|---|---:|---|---:|\n");
    snprintf(cpu, sizeof(cpu), "%.2f ms", full.n > 0 ? 1000.0 * full.cpu / (double)full.n : 0);
    row("in-process, 1 thread: admission (passport + PoP) + release, through the router", &full, limit, cpu);
    snprintf(cpu, sizeof(cpu), "%.2f ms", core.n > 0 ? 1000.0 * core.cpu / (double)core.n : 0);
    row("in-process, 1 thread: `vf_keys_release` alone (replay, policy, unwrap, JWE, log)", &core, limit, cpu);
    snprintf(cpu, sizeof(cpu), "verifier %.2f ms, client %.2f ms", h1.n > 0 ? 1000.0 * h1.cpu / (double)h1.n : 0,
             h1.n > 0 ? 1000.0 * ccpu1 / (double)h1.n : 0);
    row("over HTTP, keep-alive, 1 connection", &h1, limit, cpu);
    snprintf(cpu, sizeof(cpu), "verifier %.2f ms, client %.2f ms", h32.n > 0 ? 1000.0 * h32.cpu / (double)h32.n : 0,
             h32.n > 0 ? 1000.0 * ccpu32 / (double)h32.n : 0);
    row("over HTTP, keep-alive, 32 connections", &h32, limit, cpu);
    vt_pkey_free(b.enclave);
    free(b.passport);
    nftw(b.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && h1.n > 0 && h32.n > 0 ? 0 : 1;
}
