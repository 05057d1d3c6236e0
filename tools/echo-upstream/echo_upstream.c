/*
 * veritee-echo-upstream: a TEST AND DEMO STAND-IN for an OpenAI-compatible
 * model server.  It runs no model: /v1/chat/completions answers with the last
 * user message exactly as it arrived (so one can see what "the model" saw
 * after the gateway's auditors), /v1/completions echoes the prompt,
 * /v1/embeddings returns a deterministic vector derived from SHA-256 of the
 * input, /v1/models lists "echo".  Test knobs, by model name or by an
 * "X-Echo" request header with the same suffix:
 *
 *   echo-status-NNN   answer with HTTP status NNN and an OpenAI-shaped error
 *   echo-hang         never answer
 *   echo-slow-MS      wait MS milliseconds before each streamed chunk (and before a plain reply)
 *   echo-rate-N       stream N events per second (one word per event, as models stream tokens)
 *   echo-huge-BYTES   answer with BYTES bytes of content
 *
 * Every response carries "X-Echo-Upstream: veritee test stand-in; not a model".
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#define NOTE "veritee test stand-in; not a model"
#define MAX_BODY (64u << 20)
#define MAX_HUGE (1u << 30)

struct knobs {
    int status;     /* 0: normal */
    bool hang;
    unsigned slow_ms;
    unsigned rate;  /* streamed events per second; 0: as fast as slow_ms allows */
    size_t huge;
};

/* A streamed reply in progress. */
struct stream {
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct event *timer;
    json_t *chunks; /* array of strings (event data), sent in order */
    size_t next;
    unsigned delay_us;
    int64_t start_us; /* monotonic: tick k is due at start_us + k * delay_us */
};

static int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The wait until tick k: against the stream's start, so the rate holds however late a tick ran. */
static struct timeval until_tick(const struct stream *st, size_t k)
{
    int64_t wait = st->start_us + (int64_t)k * st->delay_us - mono_us();
    struct timeval tv = { 0, 0 };

    if (wait > 0) {
        tv.tv_sec = (time_t)(wait / 1000000);
        tv.tv_usec = (suseconds_t)(wait % 1000000);
    }
    return tv;
}

static unsigned long counter;

static void parse_knob(struct knobs *k, const char *s)
{
    if (s == NULL || strncmp(s, "echo-", 5) != 0)
        return;
    s += 5;
    if (strncmp(s, "status-", 7) == 0)
        k->status = (int)strtol(s + 7, NULL, 10);
    else if (strcmp(s, "hang") == 0)
        k->hang = true;
    else if (strncmp(s, "slow-", 5) == 0)
        k->slow_ms = (unsigned)strtoul(s + 5, NULL, 10);
    else if (strncmp(s, "rate-", 5) == 0)
        k->rate = (unsigned)strtoul(s + 5, NULL, 10);
    else if (strncmp(s, "huge-", 5) == 0)
        k->huge = (size_t)strtoull(s + 5, NULL, 10);
    if (k->status < 100 || k->status > 599)
        k->status = 0;
    if (k->huge > MAX_HUGE)
        k->huge = MAX_HUGE;
    if (k->slow_ms > 60000)
        k->slow_ms = 60000;
    if (k->rate > 1000000)
        k->rate = 1000000;
}

static void add_common(struct evhttp_request *req, const char *ct)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", ct);
    evhttp_add_header(h, "X-Echo-Upstream", NOTE);
}

static void send_json(struct evhttp_request *req, int status, json_t *doc)
{
    struct evbuffer *b = evbuffer_new();
    char *s = json_dumps(doc, JSON_COMPACT);

    add_common(req, "application/json");
    if (s != NULL)
        evbuffer_add(b, s, strlen(s));
    evhttp_send_reply(req, status, NULL, b);
    free(s);
    evbuffer_free(b);
    json_decref(doc);
}

static void send_error(struct evhttp_request *req, int status, const char *type, const char *msg)
{
    char code[32];
    snprintf(code, sizeof(code), "echo_status_%d", status);
    if (status == 429)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    send_json(req, status, json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", msg, "type", type, "param",
                                     "code", code));
}

/* Text of a message's content: a string, or the text parts of an array. */
static char *content_text(json_t *content)
{
    size_t i;
    json_t *part;
    char *out;
    size_t len = 0;

    if (json_is_string(content))
        return strdup(json_string_value(content));
    if (!json_is_array(content))
        return strdup("");
    json_array_foreach(content, i, part) len += json_string_length(json_object_get(part, "text")) + 1;
    out = calloc(1, len + 1);
    if (out == NULL)
        return NULL;
    json_array_foreach(content, i, part)
    {
        const char *t = json_string_value(json_object_get(part, "text"));
        if (t == NULL)
            continue;
        if (out[0] != '\0')
            strncat(out, "\n", len - strlen(out));
        strncat(out, t, len - strlen(out));
    }
    return out;
}

static unsigned words(const char *s)
{
    unsigned n = 0;
    bool in = false;
    for (; *s != '\0'; s++) {
        bool sp = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';
        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

static char *huge_text(size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + (i % 26));
    s[n] = '\0';
    return s;
}

static void stream_free(struct stream *st)
{
    if (st->evcon != NULL && st->req != NULL)
        evhttp_connection_set_closecb(st->evcon, NULL, NULL);
    if (st->timer != NULL)
        event_free(st->timer);
    json_decref(st->chunks);
    free(st);
}

static void stream_closed(struct evhttp_connection *evcon, void *arg)
{
    struct stream *st = arg;
    (void)evcon;
    if (st->req != NULL && evhttp_request_get_connection(st->req) == NULL)
        evhttp_request_free(st->req);
    st->req = NULL;
    stream_free(st);
}

static void stream_tick(evutil_socket_t fd, short what, void *arg)
{
    struct stream *st = arg;
    struct evbuffer *b = evbuffer_new();
    (void)fd;
    (void)what;

    /* Without a delay every chunk goes out now; with one, one chunk per tick. */
    do {
        const char *d = json_string_value(json_array_get(st->chunks, st->next));
        evbuffer_add_printf(b, "data: %s\n\n", d);
        st->next++;
    } while (st->delay_us == 0 && st->next < json_array_size(st->chunks));
    evhttp_send_reply_chunk(st->req, b);
    evbuffer_free(b);
    if (st->next >= json_array_size(st->chunks)) {
        struct evhttp_request *req = st->req;
        evhttp_connection_set_closecb(st->evcon, NULL, NULL);
        st->req = NULL;
        evhttp_send_reply_end(req);
        stream_free(st);
        return;
    }
    {
        struct timeval tv = until_tick(st, st->next + 1);
        evtimer_add(st->timer, &tv);
    }
}

static void start_stream(struct evhttp_request *req, json_t *chunks, unsigned delay_us)
{
    struct stream *st = calloc(1, sizeof(*st));
    struct timeval tv = { delay_us / 1000000, delay_us % 1000000 };

    st->req = req;
    st->evcon = evhttp_request_get_connection(req);
    st->chunks = chunks;
    st->delay_us = delay_us;
    st->start_us = mono_us();
    st->timer = evtimer_new(evhttp_connection_get_base(st->evcon), stream_tick, st);
    json_array_append_new(chunks, json_string("[DONE]"));
    add_common(req, "text/event-stream");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-cache");
    evhttp_connection_set_closecb(st->evcon, stream_closed, st);
    evhttp_send_reply_start(req, 200, "OK");
    evtimer_add(st->timer, &tv);
}

/* Splits text into pieces of about one word (or 16 KiB for big content). */
static json_t *pieces(const char *text)
{
    json_t *a = json_array();
    size_t len = strlen(text), i = 0;

    while (i < len) {
        size_t j = i;
        if (len > 65536) {
            j = i + 16384 < len ? i + 16384 : len;
        } else {
            while (j < len && text[j] == ' ')
                j++;
            while (j < len && text[j] != ' ')
                j++;
        }
        json_array_append_new(a, json_stringn(text + i, j - i));
        i = j;
    }
    return a;
}

static json_t *usage(unsigned p, unsigned c)
{
    return json_pack("{s:i, s:i, s:i}", "prompt_tokens", p, "completion_tokens", c, "total_tokens", p + c);
}

struct delayed {
    struct evhttp_request *req;
    json_t *doc;
    struct event *ev;
};

static void delayed_fire(evutil_socket_t fd, short what, void *arg)
{
    struct delayed *d = arg;
    (void)fd;
    (void)what;
    send_json(d->req, 200, d->doc);
    event_free(d->ev);
    free(d);
}

static void reply_maybe_slow(struct evhttp_request *req, json_t *doc, unsigned slow_ms)
{
    struct delayed *d;
    struct timeval tv = { slow_ms / 1000, (slow_ms % 1000) * 1000 };

    if (slow_ms == 0) {
        send_json(req, 200, doc);
        return;
    }
    d = calloc(1, sizeof(*d));
    d->req = req;
    d->doc = doc;
    d->ev = evtimer_new(evhttp_connection_get_base(evhttp_request_get_connection(req)), delayed_fire, d);
    evtimer_add(d->ev, &tv);
}

static void chat(struct evhttp_request *req, json_t *body, const struct knobs *k, bool legacy)
{
    const char *model = json_string_value(json_object_get(body, "model"));
    bool stream = json_is_true(json_object_get(body, "stream"));
    bool include_usage = json_is_true(json_object_get(json_object_get(body, "stream_options"), "include_usage"));
    char *text = NULL;
    unsigned prompt_words = 0;
    char id[64];
    long created = (long)time(NULL);

    if (model == NULL)
        model = "echo";
    if (legacy) {
        json_t *p = json_object_get(body, "prompt");
        if (json_is_array(p))
            p = json_array_get(p, 0);
        text = strdup(json_is_string(p) ? json_string_value(p) : "");
        prompt_words = words(text);
    } else {
        json_t *msgs = json_object_get(body, "messages"), *m;
        size_t i;
        if (!json_is_array(msgs)) {
            send_error(req, 400, "invalid_request_error", "echo upstream: messages must be an array");
            return;
        }
        json_array_foreach(msgs, i, m)
        {
            char *t = content_text(json_object_get(m, "content"));
            if (t == NULL)
                continue;
            prompt_words += words(t);
            if (strcmp(json_string_value(json_object_get(m, "role")) ? json_string_value(json_object_get(m, "role"))
                                                                     : "",
                       "user") == 0) {
                free(text);
                text = t;
            } else {
                free(t);
            }
        }
        if (text == NULL)
            text = strdup("");
    }
    if (k->huge > 0) {
        free(text);
        text = huge_text(k->huge);
    }
    snprintf(id, sizeof(id), "%s-echo-%lu", legacy ? "cmpl" : "chatcmpl", __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    if (!stream) {
        json_t *choice = legacy ? json_pack("{s:i, s:s, s:n, s:s}", "index", 0, "text", text, "logprobs",
                                            "finish_reason", "stop")
                                : json_pack("{s:i, s:{s:s, s:s}, s:n, s:s}", "index", 0, "message", "role",
                                            "assistant", "content", text, "logprobs", "finish_reason", "stop");
        json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:s, s:[o], s:o}", "id", id, "object",
                                legacy ? "text_completion" : "chat.completion", "created", created, "model", model,
                                "system_fingerprint", "veritee-echo-upstream", "choices", choice, "usage",
                                usage(prompt_words, words(text)));
        reply_maybe_slow(req, doc, k->slow_ms);
    } else {
        json_t *chunks = json_array(), *parts = pieces(text), *p;
        size_t i;
        const char *obj = legacy ? "text_completion" : "chat.completion.chunk";
        if (!legacy) {
            json_t *c0 = json_pack("{s:s, s:s, s:i, s:s, s:[{s:i, s:{s:s, s:s}, s:n}]}", "id", id, "object", obj,
                                   "created", created, "model", model, "choices", "index", 0, "delta", "role",
                                   "assistant", "content", "", "finish_reason");
            char *s0 = json_dumps(c0, JSON_COMPACT);
            json_array_append_new(chunks, json_string(s0));
            free(s0);
            json_decref(c0);
        }
        json_array_foreach(parts, i, p)
        {
            json_t *c = legacy ? json_pack("{s:s, s:s, s:i, s:s, s:[{s:i, s:O, s:n}]}", "id", id, "object", obj,
                                           "created", created, "model", model, "choices", "index", 0, "text", p,
                                           "finish_reason")
                               : json_pack("{s:s, s:s, s:i, s:s, s:[{s:i, s:{s:O}, s:n}]}", "id", id, "object", obj,
                                           "created", created, "model", model, "choices", "index", 0, "delta",
                                           "content", p, "finish_reason");
            char *s = json_dumps(c, JSON_COMPACT);
            json_array_append_new(chunks, json_string(s));
            free(s);
            json_decref(c);
        }
        {
            json_t *c = legacy ? json_pack("{s:s, s:s, s:i, s:s, s:[{s:i, s:s, s:s}]}", "id", id, "object", obj,
                                           "created", created, "model", model, "choices", "index", 0, "text", "",
                                           "finish_reason", "stop")
                               : json_pack("{s:s, s:s, s:i, s:s, s:[{s:i, s:{}, s:s}]}", "id", id, "object", obj,
                                           "created", created, "model", model, "choices", "index", 0, "delta",
                                           "finish_reason", "stop");
            char *s = json_dumps(c, JSON_COMPACT);
            json_array_append_new(chunks, json_string(s));
            free(s);
            json_decref(c);
        }
        if (include_usage) {
            json_t *c = json_pack("{s:s, s:s, s:i, s:s, s:[], s:o}", "id", id, "object", obj, "created", created,
                                  "model", model, "choices", "usage", usage(prompt_words, words(text)));
            char *s = json_dumps(c, JSON_COMPACT);
            json_array_append_new(chunks, json_string(s));
            free(s);
            json_decref(c);
        }
        json_decref(parts);
        start_stream(req, chunks, k->rate > 0 ? 1000000u / k->rate : k->slow_ms * 1000u);
    }
    free(text);
}

static void embeddings(struct evhttp_request *req, json_t *body)
{
    json_t *input = json_object_get(body, "input"), *data = json_array(), *list;
    json_int_t dims = json_integer_value(json_object_get(body, "dimensions"));
    const char *model = json_string_value(json_object_get(body, "model"));
    const char *enc = json_string_value(json_object_get(body, "encoding_format"));
    bool b64 = enc != NULL && strcmp(enc, "base64") == 0; /* float32 little-endian, base64 (the npm client's default) */
    size_t i;
    json_t *item;
    unsigned tokens = 0;

    if (dims <= 0 || dims > 4096)
        dims = 16;
    list = json_is_array(input) ? json_incref(input) : json_pack("[O]", input != NULL ? input : json_string(""));
    json_array_foreach(list, i, item)
    {
        char *s = json_is_string(item) ? strdup(json_string_value(item)) : json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *vec = json_array();
        unsigned char d[32];
        for (json_int_t j = 0; j < dims; j++) {
            if (j % 32 == 0) { /* SHA-256(counter || input): deterministic, spread over [-1, 1] */
                size_t sl = s != NULL ? strlen(s) : 0;
                unsigned char *m = malloc(sl + 4);
                uint32_t ctr = (uint32_t)(j / 32);
                memcpy(m, &ctr, 4);
                if (sl > 0)
                    memcpy(m + 4, s, sl);
                SHA256(m, sl + 4, d);
                free(m);
            }
            json_array_append_new(vec, json_real(d[j % 32] / 127.5 - 1.0));
        }
        if (b64) {
            size_t nd = json_array_size(vec);
            float *f = calloc(nd, sizeof(float));
            unsigned char *o = malloc(4 * ((nd * sizeof(float) + 2) / 3) + 1);
            for (size_t j = 0; j < nd; j++)
                f[j] = (float)json_real_value(json_array_get(vec, j));
            EVP_EncodeBlock(o, (const unsigned char *)f, (int)(nd * sizeof(float)));
            json_decref(vec);
            vec = json_string((const char *)o);
            free(f);
            free(o);
        }
        tokens += s != NULL ? words(s) : 0;
        free(s);
        json_array_append_new(data, json_pack("{s:s, s:i, s:o}", "object", "embedding", "index", (json_int_t)i,
                                              "embedding", vec));
    }
    json_decref(list);
    send_json(req, 200, json_pack("{s:s, s:o, s:s, s:{s:i, s:i}}", "object", "list", "data", data, "model",
                                  model != NULL ? model : "echo", "usage", "prompt_tokens", tokens, "total_tokens",
                                  tokens));
}

static json_t *model_obj(const char *id)
{
    return json_pack("{s:s, s:s, s:i, s:s}", "id", id, "object", "model", "created", 0, "owned_by",
                     "veritee-echo-upstream (" NOTE ")");
}

static void handle(struct evhttp_request *req, void *arg)
{
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    struct knobs k = { 0 };
    json_t *body = NULL;
    json_error_t jerr;
    (void)arg;

    if (path == NULL)
        path = "/";
    {
        const char *x = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Echo");
        if (x != NULL) {
            char buf[80];
            snprintf(buf, sizeof(buf), "echo-%s", x);
            parse_knob(&k, buf);
        }
    }
    if (cmd == EVHTTP_REQ_POST) {
        size_t n = evbuffer_get_length(in);
        body = json_loadb((const char *)evbuffer_pullup(in, (ev_ssize_t)n), n, 0, &jerr);
        if (body == NULL || !json_is_object(body)) {
            json_decref(body);
            send_error(req, 400, "invalid_request_error", "echo upstream: the body is not a JSON object");
            return;
        }
        parse_knob(&k, json_string_value(json_object_get(body, "model")));
    }
    if (k.hang) {
        json_decref(body);
        return; /* never answered: the request stays with evhttp until the process ends */
    }
    if (k.status != 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "echo upstream: status %d requested by a test knob", k.status);
        json_decref(body);
        send_error(req, k.status, k.status >= 500 ? "server_error" : "invalid_request_error", msg);
        return;
    }
    if (cmd == EVHTTP_REQ_GET && strcmp(path, "/v1/models") == 0) {
        send_json(req, 200, json_pack("{s:s, s:[o]}", "object", "list", "data", model_obj("echo")));
    } else if (cmd == EVHTTP_REQ_GET && strncmp(path, "/v1/models/", 11) == 0) {
        send_json(req, 200, model_obj(path + 11));
    } else if (cmd == EVHTTP_REQ_GET && strcmp(path, "/healthz") == 0) {
        send_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "note", NOTE));
    } else if (cmd == EVHTTP_REQ_POST && strcmp(path, "/v1/chat/completions") == 0) {
        chat(req, body, &k, false);
    } else if (cmd == EVHTTP_REQ_POST && strcmp(path, "/v1/completions") == 0) {
        chat(req, body, &k, true);
    } else if (cmd == EVHTTP_REQ_POST && strcmp(path, "/v1/embeddings") == 0) {
        embeddings(req, body);
    } else {
        send_error(req, 404, "invalid_request_error", "echo upstream: unknown URL");
    }
    json_decref(body);
}

static void usage_text(FILE *f)
{
    fprintf(f, "usage: veritee-echo-upstream [--listen HOST:PORT] [--threads N]\n\n"
               "A TEST AND DEMO STAND-IN for an OpenAI-compatible model server: it runs no model.\n"
               "/v1/chat/completions answers with the last user message exactly as received (plain, or\n"
               "streamed as server-sent events with stream:true), /v1/completions echoes the prompt,\n"
               "/v1/embeddings returns a deterministic SHA-256-derived vector, /v1/models lists \"echo\".\n\n"
               "Test knobs, as the model name or as an X-Echo header without the 'echo-' prefix:\n"
               "  echo-status-NNN  reply with HTTP status NNN and an OpenAI-shaped error body\n"
               "  echo-hang        never reply\n"
               "  echo-slow-MS     wait MS ms before each streamed chunk (or before a plain reply)\n"
               "  echo-rate-N      stream N events per second, one word per event\n"
               "  echo-huge-BYTES  reply with BYTES bytes of content\n\n"
               "  --listen HOST:PORT  default 127.0.0.1:8000 (port 0: pick one; printed on stdout)\n"
               "  --threads N         event loops sharing the port (default 1)\n");
}

struct loop {
    struct event_base *base;
    struct evhttp *http;
    pthread_t th;
};

static void *run_loop(void *arg)
{
    struct loop *l = arg;
    event_base_dispatch(l->base);
    return NULL;
}

static void on_sig(evutil_socket_t s, short w, void *arg)
{
    (void)s;
    (void)w;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = { { "listen", required_argument, NULL, 'l' },
                                          { "threads", required_argument, NULL, 't' },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };
    const char *listen_s = "127.0.0.1:8000";
    char host[256];
    unsigned port = 0, threads = 1;
    struct sockaddr_in sa;
    struct loop *loops;
    struct event *sigs[2];
    int c, one = 1;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'l')
            listen_s = optarg;
        else if (c == 't')
            threads = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 'h') {
            usage_text(stdout);
            return 0;
        } else {
            usage_text(stderr);
            return 2;
        }
    }
    if (threads == 0 || threads > 64)
        threads = 1;
    {
        const char *colon = strrchr(listen_s, ':');
        size_t hl = colon != NULL ? (size_t)(colon - listen_s) : 0;
        if (colon == NULL || hl >= sizeof(host)) {
            fprintf(stderr, "veritee-echo-upstream: --listen must be HOST:PORT\n");
            return 2;
        }
        memcpy(host, listen_s, hl);
        host[hl] = '\0';
        port = (unsigned)strtoul(colon + 1, NULL, 10);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, host[0] ? host : "127.0.0.1", &sa.sin_addr) != 1 || port > 65535) {
        fprintf(stderr, "veritee-echo-upstream: --listen takes an IPv4 address and a port\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    loops = calloc(threads, sizeof(*loops));
    for (unsigned i = 0; i < threads; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        socklen_t sl = sizeof(sa);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
        /* As model servers do (uvicorn, Node): without it a streamed reply's first chunk waits
         * behind the headers for the client's delayed ACK (Nagle), 40 ms per stream. Accepted
         * sockets inherit it. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        sa.sin_port = htons((uint16_t)port);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1024) != 0) {
            fprintf(stderr, "veritee-echo-upstream: cannot listen on %s: %s\n", listen_s, strerror(errno));
            return 1;
        }
        getsockname(fd, (struct sockaddr *)&sa, &sl);
        port = ntohs(sa.sin_port);
        {
            struct event_config *ec = event_config_new();
            event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
            loops[i].base = event_base_new_with_config(ec);
            event_config_free(ec);
        }
        loops[i].http = evhttp_new(loops[i].base);
        evhttp_set_max_body_size(loops[i].http, MAX_BODY);
        evhttp_set_gencb(loops[i].http, handle, NULL);
        evhttp_accept_socket_with_handle(loops[i].http, fd);
    }
    printf("veritee-echo-upstream (%s) listening on http://%s:%u\n", NOTE, host[0] ? host : "127.0.0.1", port);
    fflush(stdout);
    sigs[0] = evsignal_new(loops[0].base, SIGINT, on_sig, loops[0].base);
    sigs[1] = evsignal_new(loops[0].base, SIGTERM, on_sig, loops[0].base);
    event_add(sigs[0], NULL);
    event_add(sigs[1], NULL);
    for (unsigned i = 1; i < threads; i++)
        pthread_create(&loops[i].th, NULL, run_loop, &loops[i]);
    event_base_dispatch(loops[0].base);
    for (unsigned i = 1; i < threads; i++)
        event_base_loopbreak(loops[i].base);
    for (unsigned i = 1; i < threads; i++)
        pthread_join(loops[i].th, NULL);
    event_free(sigs[0]);
    event_free(sigs[1]);
    for (unsigned i = 0; i < threads; i++) {
        evhttp_free(loops[i].http);
        event_base_free(loops[i].base);
    }
    free(loops);
    return 0;
}
