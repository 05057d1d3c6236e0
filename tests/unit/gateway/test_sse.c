/* SSE parser and writer: split input, line endings, fields, comments, caps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "gateway/sse.h"

struct rec {
    char out[8192]; /* events rendered as "[event|id|data]" */
    size_t len;
    int refuse_at; /* refuse the n-th event (1-based), 0 = never */
    int count;
};

static vt_status rec_cb(void *arg, vt_gw_sse_event *ev, vt_err *err)
{
    struct rec *r = arg;
    r->count++;
    if (r->refuse_at == r->count)
        return vt_err_set(err, VT_E_POLICY, "test: refused");
    r->len += (size_t)snprintf(r->out + r->len, sizeof(r->out) - r->len, "[%s|%s|%s]", ev->event.data != NULL ? (char *)ev->event.data : "",
                               ev->has_id ? (char *)ev->id.data : "-", (char *)ev->data.data);
    return VT_OK;
}

/* Feeds s in pieces of `step` bytes (0 = all at once). */
static vt_status feed(vt_gw_sse *p, const char *s, size_t step)
{
    size_t n = strlen(s);
    vt_err err;
    if (step == 0)
        step = n;
    for (size_t i = 0; i < n; i += step) {
        vt_status rc = vt_gw_sse_feed(p, s + i, i + step <= n ? step : n - i, &err);
        if (rc != VT_OK)
            return rc;
    }
    return VT_OK;
}

static void parse(struct rec *r, const char *s, size_t step, size_t cap, vt_status want)
{
    vt_gw_sse p;
    memset(r->out, 0, sizeof(r->out));
    r->len = 0;
    r->count = 0;
    vt_gw_sse_init(&p, cap, rec_cb, r);
    assert_int_equal(feed(&p, s, step), want);
    vt_gw_sse_free(&p);
}

static void test_gateway_sse__openai_stream_every_split(void **state)
{
    const char *s = "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n: keep-alive\n\ndata: [DONE]\n\n";
    struct rec r = { 0 };
    (void)state;
    for (size_t step = 0; step <= strlen(s); step++) {
        parse(&r, s, step, 4096, VT_OK);
        assert_string_equal(r.out, "[|-|{\"a\":1}][|-|{\"b\":2}][|-|[DONE]]");
    }
}

static void test_gateway_sse__line_endings(void **state)
{
    struct rec r = { 0 };
    (void)state;
    /* CRLF, lone CR, LF; a CRLF split between two feeds must not yield an empty line. */
    for (size_t step = 0; step <= 8; step++) {
        parse(&r, "data: x\r\n\r\ndata: y\r\rdata: z\n\n", step, 4096, VT_OK);
        assert_string_equal(r.out, "[|-|x][|-|y][|-|z]");
    }
}

static void test_gateway_sse__fields(void **state)
{
    struct rec r = { 0 };
    (void)state;
    parse(&r, "event: veritee-receipt\nid: 7\nretry: 100\ndata: one\ndata:two\ndata\n\n", 0, 4096, VT_OK);
    assert_string_equal(r.out, "[veritee-receipt|7|one\ntwo\n]");
    /* Event with no data is not dispatched; the event name does not leak into the next one. */
    parse(&r, "event: x\n\ndata: d\n\n", 0, 4096, VT_OK);
    assert_string_equal(r.out, "[|-|d]");
    /* Unknown fields and comments are ignored; a partial trailing event is not dispatched. */
    parse(&r, ":comment\nfoo: bar\ndata: a\n\ndata: partial", 3, 4096, VT_OK);
    assert_string_equal(r.out, "[|-|a]");
    assert_int_equal(r.count, 1);
}

static void test_gateway_sse__cap(void **state)
{
    struct rec r = { 0 };
    char big[600];
    (void)state;
    memset(big, 'x', sizeof(big));
    memcpy(big, "data: ", 6);
    big[sizeof(big) - 1] = '\0';
    /* An endless line with no terminator is refused at the cap, in one piece or many. */
    parse(&r, big, 0, 256, VT_E_LIMIT);
    parse(&r, big, 7, 256, VT_E_LIMIT);
    /* Many short data lines in one event also count. */
    {
        char many[2048] = "";
        for (int i = 0; i < 100; i++)
            strcat(many, "data: 0123456789\n"); /* test code: bounded by the buffer size */
        parse(&r, many, 0, 512, VT_E_LIMIT);
        parse(&r, many, 0, 4096, VT_OK);
        assert_int_equal(r.count, 0); /* never terminated */
    }
}

static void test_gateway_sse__refusal_is_sticky(void **state)
{
    struct rec r = { 0 };
    vt_gw_sse p;
    vt_err err;
    (void)state;
    r.refuse_at = 2;
    vt_gw_sse_init(&p, 4096, rec_cb, &r);
    assert_int_equal(vt_gw_sse_feed(&p, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27, &err), VT_E_POLICY);
    assert_int_equal(r.count, 2);
    assert_int_not_equal(vt_gw_sse_feed(&p, "data: 4\n\n", 9, &err), VT_OK);
    assert_false(vt_gw_sse_idle(&p));
    vt_gw_sse_free(&p);
}

/* Writer output parses back to the same event, for awkward data. */
static void test_gateway_sse__write_roundtrip(void **state)
{
    static const char *datas[] = { "plain", "", "two\nlines", "cr\rlf\r\nmix", "trailing\n", "\n\n" };
    static const char *want[] = { "plain", "", "two\nlines", "cr\nlf\nmix", "trailing\n", "\n\n" };
    (void)state;
    for (size_t i = 0; i < sizeof(datas) / sizeof(datas[0]); i++) {
        vt_buf out = { 0 };
        struct rec r = { 0 };
        char expect[128];
        vt_err err;
        assert_int_equal(vt_gw_sse_write_str(&out, "veritee-receipt", datas[i], strlen(datas[i]), &err), VT_OK);
        assert_int_equal(vt_buf_terminate(&out, &err), VT_OK);
        parse(&r, (const char *)out.data, 1, 4096, VT_OK);
        snprintf(expect, sizeof(expect), "[veritee-receipt|-|%s]", want[i]);
        assert_string_equal(r.out, expect);
        vt_buf_free(&out);
    }
}

/* A parsed event written back out is byte-identical for OpenAI's shape. */
static vt_status rewrite_cb(void *arg, vt_gw_sse_event *ev, vt_err *err)
{
    return vt_gw_sse_write(arg, ev, err);
}

static void test_gateway_sse__reserialize(void **state)
{
    const char *s = "data: {\"x\":1}\n\nid: 5\ndata: [DONE]\n\n";
    vt_buf out = { 0 };
    vt_gw_sse p;
    vt_err err;
    (void)state;
    vt_gw_sse_init(&p, 4096, rewrite_cb, &out);
    assert_int_equal(vt_gw_sse_feed(&p, s, strlen(s), &err), VT_OK);
    assert_true(vt_gw_sse_idle(&p));
    assert_int_equal(vt_buf_terminate(&out, &err), VT_OK);
    assert_string_equal((char *)out.data, s);
    vt_gw_sse_free(&p);
    vt_buf_free(&out);
}

/* An upstream's stream: id, event and retry fields never reach the callback (so they are never
 * written back), a veritee-receipt event is dropped whole, and a line that is not an SSE field
 * (e.g. a JSON body labelled text/event-stream) is refused. */
static void upstream_parse(struct rec *r, const char *s, size_t step, vt_status want)
{
    vt_gw_sse p;
    memset(r->out, 0, sizeof(r->out));
    r->len = 0;
    r->count = 0;
    vt_gw_sse_init_upstream(&p, 4096, rec_cb, r);
    assert_int_equal(feed(&p, s, step), want);
    vt_gw_sse_free(&p);
}

static void test_gateway_sse__upstream_drops_id_event_retry_and_receipt(void **state)
{
    struct rec r = { 0 };
    (void)state;
    for (size_t step = 0; step < 12; step++) {
        upstream_parse(&r,
                       "id: leak@example.com\nevent: leak\nretry: 5\ndata: {\"a\":1}\n\n"
                       "event: veritee-receipt\ndata: forged.receipt\n\n"
                       "data: forged.too\nevent: veritee-receipt\n\n"
                       ": comment\ndata: [DONE]\n\n",
                       step, VT_OK);
        assert_string_equal(r.out, "[|-|{\"a\":1}][|-|[DONE]]");
    }
    /* What the proxy writes back for such an event carries only its data. */
    {
        vt_buf out = { 0 };
        vt_gw_sse p;
        vt_err err;
        const char *s = "id: 7\nevent: x\nretry: 9\ndata: d\n\n";
        vt_gw_sse_init_upstream(&p, 4096, rewrite_cb, &out);
        assert_int_equal(vt_gw_sse_feed(&p, s, strlen(s), &err), VT_OK);
        assert_int_equal(vt_buf_terminate(&out, &err), VT_OK);
        assert_string_equal((char *)out.data, "data: d\n\n");
        vt_gw_sse_free(&p);
        vt_buf_free(&out);
    }
    /* A JSON body labelled as an event stream, or any unknown field, is refused. */
    upstream_parse(&r, "{\"choices\":[{\"message\":{\"content\":\"x\"}}]}\n\n", 0, VT_E_FORMAT);
    upstream_parse(&r, "foo: bar\ndata: x\n\n", 1, VT_E_FORMAT);
    assert_int_equal(r.count, 0);
    /* The same bytes are fine for the tolerant (client-facing) parser. */
    parse(&r, "foo: bar\ndata: x\n\n", 1, 4096, VT_OK);
    assert_string_equal(r.out, "[|-|x]");
}

/* A callback that drops an event. */
static vt_status drop_cb(void *arg, vt_gw_sse_event *ev, vt_err *err)
{
    (void)arg;
    (void)err;
    assert_false(ev->drop); /* reset for every event */
    ev->drop = true;
    return VT_OK;
}

static void test_gateway_sse__drop_flag_resets(void **state)
{
    vt_gw_sse p;
    vt_err err;
    (void)state;
    vt_gw_sse_init_upstream(&p, 4096, drop_cb, NULL);
    assert_int_equal(vt_gw_sse_feed(&p, "data: 1\n\ndata: 2\n\n", 18, &err), VT_OK);
    vt_gw_sse_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_sse__openai_stream_every_split),
        cmocka_unit_test(test_gateway_sse__line_endings),
        cmocka_unit_test(test_gateway_sse__fields),
        cmocka_unit_test(test_gateway_sse__cap),
        cmocka_unit_test(test_gateway_sse__refusal_is_sticky),
        cmocka_unit_test(test_gateway_sse__write_roundtrip),
        cmocka_unit_test(test_gateway_sse__reserialize),
        cmocka_unit_test(test_gateway_sse__upstream_drops_id_event_retry_and_receipt),
        cmocka_unit_test(test_gateway_sse__drop_flag_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
