/* The gateway's attestation round (upkeep.c) against a stand-in verifier on 127.0.0.1 that
 * issues passports as the test bends them, and can hold an attest unanswered: requests are
 * not held behind a round, a round overtaken by a re-measurement installs nothing, and a
 * passport that is not this gateway's for its round (key, environment, measurements, expiry,
 * nonce, signer, status, deployment type) is refused while the one from before keeps serving;
 * with the verifier's keys pinned ("verifier_jwks") a passport is checked against the pin alone,
 * never against a key set fetched from the stand-in, its own and a downstream deployment's alike
 * (the stand-in also answers as a downstream gateway: the booted one's GET /v1/attestation),
 * and a downstream deployment's environment is taken only signed under that same set.
 * Failure cases first. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "vt_test.h"

#include "gateway/config.h"
#include "gateway/deployment.h"
#include "gateway/hooks.h"
#include "gateway/trust.h"

#define SERVED_MS 10000 /* how long a request may take before the test calls it held (a deadline, not a speed) */

/* ---- the stand-in verifier ---- */

/* What the next passports get wrong. */
typedef enum bend {
    BEND_NONE = 0,
    BEND_CNF,      /* cnf names another key */
    BEND_ENV,      /* another environment */
    BEND_MEASURED, /* a model digest the gateway did not measure */
    BEND_EXPIRED,  /* exp already past */
    BEND_NONCE,    /* eat_nonce is not this round's challenge */
    BEND_SIGNER,   /* signed by a key that is not in the verifier's key set */
    BEND_STATUS,   /* the token says warning, the reply around it affirming */
    BEND_DTYPE,    /* the environment is a bridge deployment, the gateway a full one */
    BEND_SERVED,   /* signed by a second key the stand-in serves in its key set (kid standin-2) */
} bend;

#define MAX_CONNS 8

typedef struct conn {
    int fd;
    vt_buf in;
} conn;

typedef struct standin {
    int lfd;
    pthread_t th;
    char url[64];
    vt_pkey *key, *rogue; /* the verifier's signing key; a key outside its set */
    vt_pkey *served;      /* a second key in the set it serves (a pin may leave it out) */
    char *jwks;           /* served: key and served */
    char *pin;            /* key alone, with the issuer: what an operator pinned */
    conn conns[MAX_CONNS];
    char nonce_hex[65];   /* the last challenge */
    pthread_mutex_t mu;   /* guards the fields below */
    pthread_cond_t cv;
    bool hold;            /* hold each attest unanswered until cleared */
    bool held;            /* an attest is held now */
    bool stop;
    bend bend;
    unsigned issued;      /* passports issued */
    unsigned jwks_gets;   /* GET /.well-known/jwks.json answered */
    char last_id[48];     /* the last one's id */
    vt_gw_hooks down;     /* as a downstream deployment: the booted gateway's hooks (on_attestation NULL:
                             none), and the environment it is registered in, served signed only
                             (GET /v1/environments/gw/signed) */
    char env[256];
    bend env_bend;        /* BEND_NONE: the environment signed by key (standin-1); BEND_SERVED: by
                             served (standin-2); BEND_SIGNER: by rogue under kid standin-1 */
} standin;

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return; /* the client went away */
        p += w;
        n -= (size_t)w;
    }
}

static void reply(int fd, int status, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     status, status == 200 ? "OK" : "Error", strlen(body));
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

/* A passport's "measured" for one component, computed here from the log the gateway sent. */
static void measured(char *out, size_t len, const vt_mlog *log, vt_component c)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < vt_mlog_count(log); i++) {
        const vt_mlog_event *e = vt_mlog_get(log, i);
        char hex[2 * VT_MD_MAX + 1];
        if (e->component != c)
            continue;
        vt_hex_encode(hex, e->digest, e->digest_len);
        used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", hex);
    }
}

/* POST /v1/attest: a passport for what the gateway sent, bent as asked; NULL when the request
 * is not what a gateway sends (this runs on the stand-in's thread: no cmocka assertion here). */
static char *attest(standin *s, json_t *req)
{
    static const vt_component comp[VT_SUBMOD_COUNT] = { VT_COMPONENT_OTHER, VT_COMPONENT_MODEL,
                                                        VT_COMPONENT_AUDITOR, VT_COMPONENT_RUNTIME,
                                                        VT_COMPONENT_CONFIG };
    vt_passport_claims pc;
    vt_mlog *log = NULL;
    char *logtxt, *token = NULL, *out = NULL;
    const char *nonce = json_string_value(json_object_get(req, "nonce"));
    json_t *r;
    bool ok;
    bend b;

    pthread_mutex_lock(&s->mu);
    if (s->hold) {
        s->held = true;
        pthread_cond_broadcast(&s->cv);
        while (s->hold && !s->stop)
            pthread_cond_wait(&s->cv, &s->mu);
        s->held = false;
        pthread_cond_broadcast(&s->cv);
    }
    b = s->bend;
    pthread_mutex_unlock(&s->mu);

    memset(&pc, 0, sizeof(pc));
    logtxt = json_dumps(json_object_get(req, "log"), JSON_COMPACT);
    ok = nonce != NULL && strcmp(nonce, s->nonce_hex) == 0 && logtxt != NULL &&
         vt_mlog_parse(&log, (const uint8_t *)logtxt, strlen(logtxt), NULL) == VT_OK &&
         vt_passport_new_id(pc.id, NULL) == VT_OK &&
         vt_tee_parse(&pc.tee_type, json_string_value(json_object_get(req, "platform")), NULL) == VT_OK;
    free(logtxt);
    if (ok) {
        pc.nonce_len = strlen(nonce) / 2;
        ok = vt_hex_decode(pc.nonce, pc.nonce_len, nonce, strlen(nonce), NULL) == VT_OK;
    }
    if (ok && b == BEND_CNF)
        ok = vt_jwk_from_pkey(&pc.attester_jwk, s->rogue, NULL, NULL) == VT_OK;
    else if (ok)
        ok = (pc.attester_jwk = json_dumps(json_object_get(req, "public_key"), JSON_COMPACT)) != NULL;
    if (ok) {
        snprintf(pc.environment, sizeof(pc.environment), "%s", b == BEND_ENV ? "other" : "gw");
        if (b == BEND_DTYPE)
            snprintf(pc.deployment_type, sizeof(pc.deployment_type), "bridge");
        snprintf(pc.issuer, sizeof(pc.issuer), "standin");
        snprintf(pc.verifier_build, sizeof(pc.verifier_build), "test");
        if (b == BEND_NONCE)
            pc.nonce[0] ^= 1;
        pc.iat = vt_time_now() - (b == BEND_EXPIRED ? 7200 : 0);
        pc.exp = pc.iat + 3600;
        for (int k = 0; k < VT_SUBMOD_COUNT; k++) {
            pc.appraisal.sub[k].status = VT_EAR_AFFIRMING;
            if (k != VT_SUBMOD_TEE)
                measured(pc.appraisal.sub[k].measured, sizeof(pc.appraisal.sub[k].measured), log, comp[k]);
        }
        if (b == BEND_MEASURED) /* one hex digit of the model's digest */
            pc.appraisal.sub[VT_SUBMOD_MODEL].measured[0] ^= pc.appraisal.sub[VT_SUBMOD_MODEL].measured[0] == '0' ? 1 : 3;
        if (b == BEND_STATUS)
            pc.appraisal.sub[VT_SUBMOD_TEE].status = VT_EAR_WARNING;
        pc.appraisal.status = b == BEND_STATUS ? VT_EAR_WARNING : VT_EAR_AFFIRMING;
        ok = vt_passport_issue(&token, &pc, b == BEND_SIGNER ? s->rogue : b == BEND_SERVED ? s->served : s->key,
                               b == BEND_SERVED ? "standin-2" : "standin-1", NULL) == VT_OK;
    }
    if (ok) {
        r = json_pack("{s:s, s:s, s:s, s:[]}", "token", token, "id", pc.id, "status", "affirming", "reasons");
        out = json_dumps(r, JSON_COMPACT);
        json_decref(r);
        pthread_mutex_lock(&s->mu);
        s->issued++;
        snprintf(s->last_id, sizeof(s->last_id), "%s", pc.id);
        pthread_mutex_unlock(&s->mu);
    }
    free(token);
    vt_passport_claims_clear(&pc);
    vt_mlog_free(log);
    return out;
}

/* One request of c when its bytes are all in: answered, and taken out of c->in.  False when
 * more bytes are needed. */
static bool serve_one(standin *s, conn *c)
{
    const char *end, *cl;
    char method[8] = "", path[128] = "";
    size_t head, body_len = 0;
    json_t *req;
    char *out = NULL, env[sizeof(s->env)];
    vt_gw_hooks down;
    bend eb;

    if (c->in.len == 0 || vt_buf_terminate(&c->in, NULL) != VT_OK)
        return false;
    end = strstr((const char *)c->in.data, "\r\n\r\n");
    if (end == NULL)
        return false;
    head = (size_t)(end + 4 - (const char *)c->in.data);
    for (cl = (const char *)c->in.data; cl < end; cl = strstr(cl, "\r\n") + 2)
        if (strncasecmp(cl, "Content-Length:", 15) == 0)
            body_len = strtoul(cl + 15, NULL, 10);
    if (c->in.len < head + body_len)
        return false;
    if (sscanf((const char *)c->in.data, "%7s %127s", method, path) != 2)
        path[0] = '\0';
    req = json_loadb((const char *)c->in.data + head, body_len, 0, NULL);
    pthread_mutex_lock(&s->mu);
    down = s->down;
    snprintf(env, sizeof(env), "%s", s->env);
    eb = s->env_bend;
    pthread_mutex_unlock(&s->mu);
    if (strcmp(path, "/v1/challenge") == 0) {
        uint8_t n[32] = { 0 };
        char body[128];
        if (vt_random(n, sizeof(n), NULL) != VT_OK)
            n[0] = 1; /* still a nonce the round must answer */
        vt_hex_encode(s->nonce_hex, n, sizeof(n));
        snprintf(body, sizeof(body), "{\"nonce\":\"%s\"}", s->nonce_hex);
        reply(c->fd, 200, body);
    } else if (strcmp(path, "/v1/attest") == 0 && req != NULL && (out = attest(s, req)) != NULL) {
        reply(c->fd, 200, out);
    } else if (strcmp(path, "/.well-known/jwks.json") == 0) {
        pthread_mutex_lock(&s->mu);
        s->jwks_gets++;
        pthread_mutex_unlock(&s->mu);
        reply(c->fd, 200, s->jwks);
    } else if (strncmp(path, "/v1/attestation?", 16) == 0 && down.on_attestation != NULL) {
        vt_buf b;
        int st = 500;
        vt_buf_init(&b);
        if (down.on_attestation(down.arg, path + 16, &st, &b, NULL) == VT_OK &&
            vt_buf_terminate(&b, NULL) == VT_OK)
            reply(c->fd, st, (const char *)b.data);
        else
            reply(c->fd, 500, "{\"error\":{\"code\":\"gateway_error\",\"message\":\"stand-in: no attestation\"}}");
        vt_buf_free(&b);
    } else if (strcmp(path, "/v1/environments/gw/signed") == 0 && env[0] != '\0' &&
               vt_env_token_issue(&out, env, strlen(env), "standin", vt_time_now(), 1,
                                  eb == BEND_SERVED ? s->served : eb == BEND_SIGNER ? s->rogue : s->key,
                                  eb == BEND_SERVED ? "standin-2" : "standin-1", NULL) == VT_OK) {
        reply(c->fd, 200, out);
    } else {
        reply(c->fd, 400, "{\"error\":{\"code\":\"bad_request\",\"message\":\"stand-in: not a gateway's request\"}}");
    }
    free(out);
    json_decref(req);
    memmove(c->in.data, c->in.data + head + body_len, c->in.len - head - body_len);
    c->in.len -= head + body_len;
    return true;
}

static void *standin_main(void *arg)
{
    standin *s = arg;

    for (;;) {
        struct pollfd p[MAX_CONNS + 1];
        bool stop;

        pthread_mutex_lock(&s->mu);
        stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        p[0].fd = s->lfd;
        p[0].events = POLLIN;
        for (int i = 0; i < MAX_CONNS; i++) {
            p[i + 1].fd = s->conns[i].fd;
            p[i + 1].events = POLLIN;
        }
        if (poll(p, MAX_CONNS + 1, 50) <= 0)
            continue;
        if (p[0].revents & POLLIN) {
            int fd = accept(s->lfd, NULL, NULL);
            for (int i = 0; fd >= 0 && i < MAX_CONNS; i++)
                if (s->conns[i].fd < 0) {
                    s->conns[i].fd = fd;
                    fd = -1;
                }
            if (fd >= 0)
                close(fd);
        }
        for (int i = 0; i < MAX_CONNS; i++) {
            conn *c = &s->conns[i];
            char buf[16384];
            ssize_t n;
            if (c->fd < 0 || !(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            n = read(c->fd, buf, sizeof(buf));
            if (n <= 0) {
                close(c->fd);
                c->fd = -1;
                c->in.len = 0;
                continue;
            }
            if (vt_buf_append(&c->in, buf, (size_t)n, NULL) != VT_OK) {
                close(c->fd);
                c->fd = -1;
                c->in.len = 0;
                continue;
            }
            while (serve_one(s, c)) {
            }
        }
    }
    return NULL;
}

static void standin_start(standin *s)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    char *jwk = NULL, *jwk2 = NULL;
    json_t *set;

    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    for (int i = 0; i < MAX_CONNS; i++) {
        s->conns[i].fd = -1;
        vt_buf_init(&s->conns[i].in);
    }
    assert_int_equal(vt_pkey_generate(&s->key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&s->rogue, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&s->served, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk, s->key, "standin-1", NULL), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk2, s->served, "standin-2", NULL), VT_OK);
    set = json_pack("{s:[o,o], s:s}", "keys", json_loads(jwk, 0, NULL), json_loads(jwk2, 0, NULL), "issuer", "standin");
    s->jwks = json_dumps(set, JSON_COMPACT);
    json_decref(set);
    set = json_pack("{s:[o], s:s}", "keys", json_loads(jwk, 0, NULL), "issuer", "standin");
    s->pin = json_dumps(set, JSON_COMPACT);
    json_decref(set);
    free(jwk);
    free(jwk2);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    assert_int_equal(pthread_create(&s->th, NULL, standin_main, s), 0);
}

static void standin_stop(standin *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    for (int i = 0; i < MAX_CONNS; i++) {
        if (s->conns[i].fd >= 0)
            close(s->conns[i].fd);
        vt_buf_free(&s->conns[i].in);
    }
    close(s->lfd);
    vt_pkey_free(s->key);
    vt_pkey_free(s->rogue);
    vt_pkey_free(s->served);
    free(s->jwks);
    free(s->pin);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

static void standin_set(standin *s, bool hold, bend b)
{
    pthread_mutex_lock(&s->mu);
    s->hold = hold;
    s->bend = b;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Waits (at most SERVED_MS) until an attest is held; true when one is. */
static bool standin_wait_held(standin *s)
{
    struct timespec dl;
    bool held;

    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += SERVED_MS / 1000;
    pthread_mutex_lock(&s->mu);
    while (!s->held && pthread_cond_timedwait(&s->cv, &s->mu, &dl) != ETIMEDOUT) {
    }
    held = s->held;
    pthread_mutex_unlock(&s->mu);
    return held;
}

static bool standin_held(standin *s)
{
    bool held;
    pthread_mutex_lock(&s->mu);
    held = s->held;
    pthread_mutex_unlock(&s->mu);
    return held;
}

/* ---- the gateway ---- */

typedef struct fixture {
    char dir[512], model[600], cfgpath[600], state[600], pinpath[600];
    char text[4096];
    vt_gw_config cfg;
    standin v;
    vt_gw_trust *t;
} fixture;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* One attestation round, as the boot and the upkeep thread run it. */
static vt_status attest_round(vt_gw_trust *t, vt_err *err)
{
    return vt__gw_attest(t, err);
}

static unsigned jwks_gets(standin *s)
{
    unsigned n;
    pthread_mutex_lock(&s->mu);
    n = s->jwks_gets;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* A mock gateway with one model and the pii auditor, booted (measured, keyed, a first passport
 * from the stand-in); with pinned, its config pins the stand-in's first key alone
 * ("verifier_jwks"). */
static int setup_with(void **state, bool pinned)
{
    fixture *fx = calloc(1, sizeof(*fx));
    vt_gw_trust_opts o;
    vt_err err = { 0 };
    char p[700];

    assert_non_null(fx);
    standin_start(&fx->v);
    vt_test_mkdtemp(fx->dir, sizeof(fx->dir));
    snprintf(fx->model, sizeof(fx->model), "%s/model", fx->dir);
    snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
    snprintf(fx->cfgpath, sizeof(fx->cfgpath), "%s/gateway.json", fx->dir);
    snprintf(fx->pinpath, sizeof(fx->pinpath), "%s/verifier-jwks.json", fx->dir);
    write_file(fx->pinpath, fx->v.pin);
    assert_int_equal(mkdir(fx->model, 0700), 0);
    snprintf(p, sizeof(p), "%s/weights.bin", fx->model);
    write_file(p, "0123456789abcdef");
    snprintf(fx->text, sizeof(fx->text),
             "{\"upstream\":\"http://127.0.0.1:9\",\"verifier\":\"%s\",\"environment\":\"gw\",\"models\":[\"%s\"],"
             "\"auditors\":[{\"name\":\"pii\"}]%s%s%s}",
             fx->v.url, fx->model, pinned ? ",\"verifier_jwks\":\"" : "", pinned ? fx->pinpath : "", pinned ? "\"" : "");
    write_file(fx->cfgpath, fx->text);
    vt_gw_config_defaults(&fx->cfg);
    if (vt_gw_config_parse(&fx->cfg, fx->text, strlen(fx->text), &err) != VT_OK)
        fail_msg("config: %s", err.msg);
    memset(&o, 0, sizeof(o));
    o.cfg = &fx->cfg;
    o.config_path = fx->cfgpath;
    o.config_text = (const uint8_t *)fx->text;
    o.config_len = strlen(fx->text);
    o.state_dir = fx->state;
    o.platform = VT_TEE_MOCK;
    o.attest = true;
    if (vt_gw_trust_boot(&fx->t, &o, &err) != VT_OK)
        fail_msg("boot: %s", err.msg);
    assert_true(vt__gw_serving(fx->t));
    assert_string_equal(fx->t->passport_id, fx->v.last_id);
    *state = fx;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, false);
}

static int setup_pinned(void **state)
{
    return setup_with(state, true);
}

static int teardown(void **state)
{
    fixture *fx = *state;

    standin_set(&fx->v, false, BEND_NONE);
    pthread_mutex_lock(&fx->v.mu);
    memset(&fx->v.down, 0, sizeof(fx->v.down)); /* no longer the downstream: its trust state goes */
    pthread_mutex_unlock(&fx->v.mu);
    vt_gw_trust_free(fx->t);
    standin_stop(&fx->v);
    vt_gw_config_free(&fx->cfg);
    vt_test_rmdir(fx->dir);
    free(fx);
    return 0;
}

/* A thread running one round, or one re-measurement, or the requests' reads of the trust state. */
typedef struct job {
    fixture *fx;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    vt_status rc;
    vt_err err;
} job;

static void job_done(job *j, vt_status rc)
{
    pthread_mutex_lock(&j->mu);
    j->rc = rc;
    j->done = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

static void *round_main(void *arg)
{
    job *j = arg;
    job_done(j, attest_round(j->fx->t, &j->err));
    return NULL;
}

/* What requests read under the trust lock: an inference request's start (the model digest and
 * the passport id its receipt names), GET /v1/attestation (the log and the passport, fresh
 * evidence), the measurement log, the passport the receipt sink signs with. */
static void *requests_main(void *arg)
{
    job *j = arg;
    vt_gw_trust *t = j->fx->t;
    static const char chat[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    vt_gw_hooks h;
    vt_gw_ctx ctx;
    vt_gw_verdict v;
    vt_buf body, att;
    char *s = NULL;
    int status = 0;
    vt_status rc;

    vt_gw_trust_hooks(&h, t);
    memset(&ctx, 0, sizeof(ctx));
    memset(&v, 0, sizeof(v));
    ctx.method = "POST";
    ctx.path = "/v1/chat/completions";
    vt_buf_init(&body);
    vt_buf_init(&att);
    rc = vt_buf_append_str(&body, chat, &j->err);
    if (rc == VT_OK)
        rc = h.on_request(h.arg, &ctx, &body, &v, &j->err);
    h.on_finish(h.arg, &ctx);
    if (rc == VT_OK && v.block)
        rc = vt_err_set(&j->err, VT_E_POLICY, "chat blocked: %d %s", v.status, v.message);
    if (rc == VT_OK)
        rc = h.on_attestation(h.arg, "nonce=00112233445566778899aabbccddeeff", &status, &att, &j->err);
    if (rc == VT_OK && status != 200)
        rc = vt_err_set(&j->err, VT_E_INTERNAL, "attestation: %d", status);
    if (rc == VT_OK)
        rc = vt_gw_trust_log_json(&s, t, &j->err);
    free(s);
    vt__gw_passport_for_auth(t, &s);
    if (rc == VT_OK && s == NULL)
        rc = vt_err_set(&j->err, VT_E_INTERNAL, "no passport for the receipt sink");
    free(s);
    vt_buf_free(&v.body);
    vt_buf_free(&body);
    vt_buf_free(&att);
    job_done(j, rc);
    return NULL;
}

/* The upkeep thread's re-measurement of a changed model, as it runs it: with the trust lock held. */
static void *remeasure_main(void *arg)
{
    job *j = arg;
    pthread_mutex_lock(&j->fx->t->mu);
    vt__gw_remeasure_locked(j->fx->t);
    pthread_mutex_unlock(&j->fx->t->mu);
    job_done(j, VT_OK);
    return NULL;
}

static void job_start(job *j, fixture *fx, void *(*fn)(void *))
{
    memset(j, 0, sizeof(*j));
    j->fx = fx;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    assert_int_equal(pthread_create(&j->th, NULL, fn, j), 0);
}

/* Waits at most SERVED_MS for the job; true when it finished. */
static bool job_wait(job *j)
{
    struct timespec dl;
    bool done;

    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += SERVED_MS / 1000;
    pthread_mutex_lock(&j->mu);
    while (!j->done && pthread_cond_timedwait(&j->cv, &j->mu, &dl) != ETIMEDOUT) {
    }
    done = j->done;
    pthread_mutex_unlock(&j->mu);
    return done;
}

static void job_join(job *j)
{
    pthread_join(j->th, NULL);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
}

/* The verifier holds the attest (a slow or dead verifier, up to the client's timeout per call):
 * the requests' reads of the trust state are answered while it still holds it, and the round
 * ends with the passport it then issues. */
static void test_gateway_trust_upkeep__requests_not_held_by_a_round(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };
    job round, req;
    bool held, served, still_held;

    assert_int_equal(vt_gw_trust_start(fx->t, 1, &err), VT_OK); /* the audit contexts, the threads */
    standin_set(&fx->v, true, BEND_NONE);
    job_start(&round, fx, round_main);
    held = standin_wait_held(&fx->v);
    job_start(&req, fx, requests_main);
    served = job_wait(&req);
    still_held = standin_held(&fx->v);
    standin_set(&fx->v, false, BEND_NONE); /* whatever happened: let the round end */
    job_join(&round);
    job_join(&req);
    assert_true(held);
    assert_true(served);     /* answered ... */
    assert_true(still_held); /* ... while the verifier still held the round */
    if (req.rc != VT_OK)
        fail_msg("requests: %s", req.err.msg);
    if (round.rc != VT_OK)
        fail_msg("round: %s", round.err.msg);
    assert_string_equal(fx->t->passport_id, fx->v.last_id);
}

/* The model re-measured while the verifier appraises the round's copy of the log: the passport
 * the round then gets names digests that are no longer the whole log and is not installed; the
 * one from before keeps serving, and the next round installs one for the log as it is. */
static void test_gateway_trust_upkeep__stale_round_not_installed(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };
    char before[48], p[700];
    size_t events;
    job round, rem;
    bool held;

    snprintf(before, sizeof(before), "%s", fx->t->passport_id);
    events = vt_mlog_count(fx->t->log);
    snprintf(p, sizeof(p), "%s/weights.bin", fx->model);
    write_file(p, "changed weights");
    standin_set(&fx->v, true, BEND_NONE);
    job_start(&round, fx, round_main);
    held = standin_wait_held(&fx->v);
    job_start(&rem, fx, remeasure_main);
    (void)job_wait(&rem); /* with the round holding the trust lock it waits for the round */
    standin_set(&fx->v, false, BEND_NONE);
    job_join(&round);
    job_join(&rem);
    assert_true(held);
    assert_int_equal(vt_mlog_count(fx->t->log), events + 1);
    assert_int_equal(round.rc, VT_E_IO);
    assert_non_null(strstr(round.err.msg, "changed while"));
    assert_string_not_equal(fx->v.last_id, before); /* the verifier did issue one ... */
    assert_string_equal(fx->t->passport_id, before); /* ... which is not the one served */
    assert_true(vt__gw_serving(fx->t));

    /* The next round is for the log as it is now. */
    assert_int_equal(attest_round(fx->t, &err), VT_OK);
    assert_string_equal(fx->t->passport_id, fx->v.last_id);
}

/* A round whose passport is bent (b): refused naming why, counted, and nothing changes: the
 * passport from before keeps serving. */
static void refused(fixture *fx, bend b, const char *why)
{
    vt_err err = { 0 };
    char before[48], *token = strdup(fx->t->passport);
    unsigned long long count = atomic_load(&fx->t->passports_refused);

    assert_non_null(token);
    snprintf(before, sizeof(before), "%s", fx->t->passport_id);
    standin_set(&fx->v, false, b);
    assert_int_not_equal(attest_round(fx->t, &err), VT_OK);
    if (strstr(err.msg, why) == NULL)
        fail_msg("refusal does not say \"%s\": %s", why, err.msg);
    assert_string_not_equal(fx->v.last_id, before); /* the verifier did issue one ... */
    assert_string_equal(fx->t->passport_id, before); /* ... which is not installed */
    assert_string_equal(fx->t->passport, token);
    assert_true(vt__gw_serving(fx->t));
    assert_int_equal(atomic_load(&fx->t->passports_refused), count + 1);
    free(token);
}

static void test_gateway_trust_upkeep__other_cnf_refused(void **state)
{
    refused(*state, BEND_CNF, "is not the attested enclave key");
}

static void test_gateway_trust_upkeep__other_environment_refused(void **state)
{
    refused(*state, BEND_ENV, "environment other");
}

static void test_gateway_trust_upkeep__other_measurements_refused(void **state)
{
    refused(*state, BEND_MEASURED, "model: the log measures");
}

static void test_gateway_trust_upkeep__expired_refused(void **state)
{
    refused(*state, BEND_EXPIRED, "expired");
}

static void test_gateway_trust_upkeep__other_nonce_refused(void **state)
{
    refused(*state, BEND_NONCE, "nonce is not this round's challenge");
}

static void test_gateway_trust_upkeep__signer_not_in_key_set_refused(void **state)
{
    refused(*state, BEND_SIGNER, "signature does not verify");
}

static void test_gateway_trust_upkeep__reply_status_not_the_tokens_refused(void **state)
{
    refused(*state, BEND_STATUS, "its token is");
}

static void test_gateway_trust_upkeep__other_deployment_type_refused(void **state)
{
    refused(*state, BEND_DTYPE, "configured as a full deployment");
}

/* Refused once, then a passport that is this gateway's: installed, not counted, served under; the
 * metrics name the refusal. */
static void test_gateway_trust_upkeep__own_passport_installed_after_a_refusal(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };
    vt_buf m;

    refused(fx, BEND_CNF, "is not the attested enclave key");
    standin_set(&fx->v, false, BEND_NONE);
    assert_int_equal(attest_round(fx->t, &err), VT_OK);
    assert_string_equal(fx->t->passport_id, fx->v.last_id);
    assert_int_equal(atomic_load(&fx->t->passports_refused), 1);
    assert_true(vt__gw_serving(fx->t));
    vt_buf_init(&m);
    assert_int_equal(vt__gw_receipt_metrics(fx->t, &m, &err), VT_OK);
    assert_int_equal(vt_buf_terminate(&m, &err), VT_OK);
    assert_non_null(strstr((const char *)m.data, "veritee_gateway_passports_refused_total 1\n"));
    vt_buf_free(&m);
}

/* Without a pin the key set is the verifier's: a passport signed by its second served key is
 * installed (the control for the pinned cases below). */
static void test_gateway_trust_upkeep__unpinned_served_key_installed(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };

    standin_set(&fx->v, false, BEND_SERVED);
    if (attest_round(fx->t, &err) != VT_OK)
        fail_msg("round: %s", err.msg);
    assert_string_equal(fx->t->passport_id, fx->v.last_id);
    assert_true(jwks_gets(&fx->v) >= 2); /* the boot's round and this one fetched it */
}

/* Pinned to the stand-in's first key: a passport signed by a key the stand-in serves in its own
 * key set, but the pin leaves out, is refused, counted, and the one from before keeps serving. */
static void test_gateway_trust_upkeep__pinned_served_key_not_pinned_refused(void **state)
{
    refused(*state, BEND_SERVED, "signing key standin-2 is not in the verifier's JWKS");
}

/* Pinned: the boot's passport and a renewal signed by the pinned key are installed, and the
 * verifier's key set is never fetched. */
static void test_gateway_trust_upkeep__pinned_key_installed_without_fetch(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };
    char before[48];

    snprintf(before, sizeof(before), "%s", fx->t->passport_id);
    standin_set(&fx->v, false, BEND_NONE);
    if (attest_round(fx->t, &err) != VT_OK)
        fail_msg("round: %s", err.msg);
    assert_string_not_equal(fx->t->passport_id, before);
    assert_string_equal(fx->t->passport_id, fx->v.last_id);
    assert_true(vt__gw_serving(fx->t));
    assert_int_equal(atomic_load(&fx->t->passports_refused), 0);
    assert_int_equal(jwks_gets(&fx->v), 0);
}

/* Pinned, a passport the pin refuses, then one it verifies: the round after a refusal installs. */
static void test_gateway_trust_upkeep__pinned_own_passport_installed_after_a_refusal(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };

    refused(fx, BEND_SERVED, "is not in the verifier's JWKS");
    standin_set(&fx->v, false, BEND_NONE);
    if (attest_round(fx->t, &err) != VT_OK)
        fail_msg("round: %s", err.msg);
    assert_string_equal(fx->t->passport_id, fx->v.last_id);
    assert_int_equal(atomic_load(&fx->t->passports_refused), 1);
    assert_int_equal(jwks_gets(&fx->v), 0);
}

/* ---- a downstream deployment: the booted gateway, checked as a workflow's node ---- */

/* The stand-in answers as the booted gateway (its GET /v1/attestation) registered in environment
 * gw (its model digest), before any check runs. */
static void standin_as_downstream(fixture *fx)
{
    char hex[65];

    vt_hex_encode(hex, fx->t->model, 32);
    pthread_mutex_lock(&fx->v.mu);
    vt_gw_trust_hooks(&fx->v.down, fx->t);
    snprintf(fx->v.env, sizeof(fx->v.env),
             "{\"id\":\"gw\",\"allow_simulated\":true,\"components\":{\"model\":[\"%s\"]}}", hex);
    pthread_mutex_unlock(&fx->v.mu);
}

/* An app gateway's check of its workflow's one node, the stand-in as that deployment and as the
 * verifier: with pin (its issuer pin_issuer) as cmd_gateway.c hands the trust state's pin to the
 * deployments (d->pin, then routes.c's check options), else none. */
static vt_status deploy_check(fixture *fx, const vt_jwks *pin, const char *pin_issuer, vt_err *err)
{
    char wf[1024];
    json_t *w;
    vt_gw_deploy *d = NULL;
    char *entry = NULL;
    vt_status rc;

    snprintf(wf, sizeof(wf),
             "{\"graph\":{\"name\":\"desk\",\"nodes\":[{\"id\":\"down\",\"environment\":\"gw\",\"type\":\"full\","
             "\"description\":\"the booted gateway\"}],\"edges\":[{\"from\":\"orchestrator\",\"to\":\"down\","
             "\"intent\":\"anything\"}]},\"deployments\":{\"down\":\"%s\"},\"allow_simulated\":true}",
             fx->v.url);
    w = json_loads(wf, 0, NULL);
    assert_non_null(w);
    if (vt_gw_deploy_new(&d, "app", w, err) != VT_OK)
        fail_msg("deploy: %s", err->msg);
    json_decref(w);
    d->pin = pin;
    d->pin_issuer = pin_issuer;
    {
        vt_gw_check_opts co = { fx->v.url, fx->state, 15000, d->pin, d->pin_issuer };
        rc = vt_gw_deploy_check(d, 0, &co, &entry, err);
    }
    if (rc == VT_OK && strstr(entry, fx->t->passport_id) == NULL)
        rc = vt_err_set(err, VT_E_INTERNAL, "the entry %s names another passport than %s", entry, fx->t->passport_id);
    free(entry);
    vt_gw_deploy_free(d);
    return rc;
}

/* Without a pin the downstream's passport is checked under the key set fetched from the verifier
 * (the control for the pinned cases below). */
static void test_gateway_trust_upkeep__deployment_unpinned_fetches_keys(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };
    unsigned before;

    standin_as_downstream(fx);
    before = jwks_gets(&fx->v);
    if (deploy_check(fx, NULL, NULL, &err) != VT_OK)
        fail_msg("check: %s", err.msg);
    assert_int_equal(jwks_gets(&fx->v), before + 1);
}

/* Pinned, the gateway checks a downstream deployment's passport under its pin (the trust state's,
 * as cmd_gateway.c hands it to the deployments): it passes and the verifier's key set is never
 * fetched, at boot, for the gateway's own passport or for the deployment's. */
static void test_gateway_trust_upkeep__deployment_pinned_checked_without_fetch(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };

    standin_as_downstream(fx);
    assert_non_null(fx->t->pin);
    if (deploy_check(fx, fx->t->pin, fx->t->pin_issuer, &err) != VT_OK)
        fail_msg("check: %s", err.msg);
    assert_int_equal(jwks_gets(&fx->v), 0);
}

/* A downstream passport signed by a key the verifier's URL serves but the pin leaves out: refused
 * under the pin, with nothing fetched (the key the URL serves is not consulted); accepted by a
 * gateway without a pin, which fetches that key. */
static void test_gateway_trust_upkeep__deployment_served_key_not_pinned_refused(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };
    vt_gw_config pc;
    vt_jwks *pin = NULL;
    char issuer[128];
    uint8_t sha[32];
    unsigned before;

    standin_set(&fx->v, false, BEND_SERVED); /* the downstream (unpinned) installs one signed by standin-2 */
    if (attest_round(fx->t, &err) != VT_OK)
        fail_msg("round: %s", err.msg);
    assert_string_equal(fx->t->passport_id, fx->v.last_id);
    standin_as_downstream(fx);
    vt_gw_config_defaults(&pc);
    pc.verifier_jwks = strdup(fx->pinpath); /* the stand-in's first key alone */
    assert_non_null(pc.verifier_jwks);
    if (vt_gw_config_load_jwks(&pin, issuer, sizeof(issuer), sha, &pc, &err) != VT_OK)
        fail_msg("pin: %s", err.msg);
    before = jwks_gets(&fx->v);
    assert_int_equal(deploy_check(fx, pin, issuer, &err), VT_E_POLICY);
    if (strstr(err.msg, "standin-2 is not in the verifier's JWKS") == NULL)
        fail_msg("refusal does not name the key: %s", err.msg);
    assert_non_null(strstr(err.msg, "downstream deployment down"));
    assert_int_equal(jwks_gets(&fx->v), before);
    if (deploy_check(fx, NULL, NULL, &err) != VT_OK)
        fail_msg("unpinned check: %s", err.msg);
    assert_int_equal(jwks_gets(&fx->v), before + 1);
    vt_jwks_free(pin);
    vt_gw_config_free(&pc);
}

/* The environment a downstream deployment is checked against is taken only signed under the key
 * set its passport is checked under (the stand-in serves it signed only, never the plain document): one signed by a key outside the verifier's set (what whoever
 * answers as the verifier's URL can make) is refused, pinned or not; one signed by a key the URL
 * serves but the pin leaves out is refused under the pin and taken without one. */
static void test_gateway_trust_upkeep__deployment_environment_signer_outside_key_set_refused(void **state)
{
    fixture *fx = *state;
    vt_err err = { 0 };

    standin_as_downstream(fx);
    pthread_mutex_lock(&fx->v.mu);
    fx->v.env_bend = BEND_SIGNER;
    pthread_mutex_unlock(&fx->v.mu);
    assert_int_equal(deploy_check(fx, fx->t->pin, fx->t->pin_issuer, &err), VT_E_POLICY);
    if (strstr(err.msg, "environment: jws: ES256 signature does not verify with key standin-1") == NULL)
        fail_msg("refusal does not name the environment's signature: %s", err.msg);
    assert_int_equal(deploy_check(fx, NULL, NULL, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "environment: jws: ES256 signature does not verify"));
    pthread_mutex_lock(&fx->v.mu);
    fx->v.env_bend = BEND_SERVED;
    pthread_mutex_unlock(&fx->v.mu);
    assert_int_equal(deploy_check(fx, fx->t->pin, fx->t->pin_issuer, &err), VT_E_POLICY);
    if (strstr(err.msg, "environment: signing key standin-2 is not in the verifier's JWKS") == NULL)
        fail_msg("refusal does not name the key: %s", err.msg);
    if (deploy_check(fx, NULL, NULL, &err) != VT_OK)
        fail_msg("unpinned check: %s", err.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__requests_not_held_by_a_round, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__stale_round_not_installed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__other_cnf_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__other_environment_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__other_measurements_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__expired_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__other_nonce_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__signer_not_in_key_set_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__reply_status_not_the_tokens_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__other_deployment_type_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__own_passport_installed_after_a_refusal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__unpinned_served_key_installed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__pinned_served_key_not_pinned_refused, setup_pinned,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__pinned_key_installed_without_fetch, setup_pinned,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__pinned_own_passport_installed_after_a_refusal,
                                        setup_pinned, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__deployment_unpinned_fetches_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__deployment_pinned_checked_without_fetch,
                                        setup_pinned, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_trust_upkeep__deployment_served_key_not_pinned_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_gateway_trust_upkeep__deployment_environment_signer_outside_key_set_refused, setup_pinned, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
