/* The Azure CVM envelope converter (tee/azure_envelope.c) on hand-built
 * envelopes (runs without vectors): v0 byte arrays, v1 hex and base64url, v2's
 * nonce-binding record, each part landing in the container byte for byte;
 * then every refusal with its status: bad JSON, every truncation, wrong
 * versions, unknown and missing members, oversized fields, bad base64url,
 * hex and byte arrays, wrong PCR sizes; the output unchanged each time; and
 * allocation failures (ours and jansson's) refused cleanly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vt_test.h"

#include "tee/azure_envelope.h"
#include "tee/tpm_evidence.h"

#define NPCR 24

static uint8_t msg[122], sig[256], pcrs[NPCR][32], hcl[2600], vcek[900], tdq[5006];

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static int setup(void **state)
{
    (void)state;
    fill(msg, sizeof(msg), 1);
    msg[0] = 0xff; /* the converter does not read TPMS_ATTEST: any bytes travel */
    fill(sig, sizeof(sig), 2);
    for (size_t i = 0; i < NPCR; i++)
        fill(pcrs[i], 32, (uint8_t)(3 + i));
    fill(hcl, sizeof(hcl), 4);
    fill(vcek, sizeof(vcek), 5);
    fill(tdq, sizeof(tdq), 6);
    return 0;
}

static json_t *hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    json_t *j;

    assert_non_null(s);
    vt_hex_encode(s, p, n);
    j = json_string(s);
    free(s);
    return j;
}

static json_t *b64url(const uint8_t *p, size_t n, bool pad)
{
    vt_buf b;
    json_t *j;

    vt_buf_init(&b);
    assert_int_equal(vt_base64_encode(&b, p, n, true, NULL), VT_OK);
    while (pad && b.len % 4 != 0)
        assert_int_equal(vt_buf_append(&b, "=", 1, NULL), VT_OK);
    j = json_stringn((const char *)b.data, b.len);
    vt_buf_free(&b);
    return j;
}

static json_t *bytes(const uint8_t *p, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(p[i]));
    return a;
}

/* version 0: v0 (byte arrays); 1, 2: hex and base64url, with td_quote when tdx. */
static json_t *envelope(int version, bool tdx)
{
    json_t *o = json_object(), *q = json_object(), *pa = json_array();

    for (size_t i = 0; i < NPCR; i++)
        json_array_append_new(pa, version == 0 ? bytes(pcrs[i], 32) : hex(pcrs[i], 32));
    if (version == 0) {
        json_object_set_new(q, "signature", bytes(sig, sizeof(sig)));
        json_object_set_new(q, "message", bytes(msg, sizeof(msg)));
        json_object_set_new(q, "pcrs", pa);
        json_object_set_new(o, "quote", q);
        json_object_set_new(o, "report", bytes(hcl, sizeof(hcl)));
        json_object_set_new(o, "vcek", json_string("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"));
        return o;
    }
    json_object_set_new(o, "version", json_integer(version));
    json_object_set_new(q, "signature", hex(sig, sizeof(sig)));
    json_object_set_new(q, "message", hex(msg, sizeof(msg)));
    json_object_set_new(q, "pcrs", pa);
    json_object_set_new(o, "tpm_quote", q);
    json_object_set_new(o, "hcl_report", b64url(hcl, sizeof(hcl), true));
    if (tdx)
        json_object_set_new(o, "td_quote", b64url(tdq, sizeof(tdq), false));
    else
        json_object_set_new(o, "vcek", b64url(vcek, sizeof(vcek), true));
    return o;
}

static char *dump(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);

    assert_non_null(s);
    json_decref(o);
    return s;
}

static void blob_is(const vt__tpm_blob *b, const void *want, size_t n)
{
    assert_non_null(b->p);
    assert_int_equal(b->len, n);
    assert_memory_equal(b->p, want, n);
}

static void convert_ok(vt_buf *out, const char *text)
{
    vt_err err = { 0 };

    vt_buf_init(out);
    assert_true(vt__azure_envelope_probe((const uint8_t *)text, strlen(text)));
    if (vt__azure_envelope_to_container(out, (const uint8_t *)text, strlen(text), &err) != VT_OK)
        fail_msg("%s", err.msg);
}

/* Refused with code, naming what (a substring of the message), out unchanged. */
static void refused(const char *text, size_t len, vt_status code, const char *what)
{
    static const uint8_t rec[] = { 'V', 'T', 'T', 'P', 'M', 'E', 'V', '1', 4, 0, 0, 0, 0, 0, 1, 0x42 };
    vt_err err = { 0 };
    vt_buf out;

    vt_buf_init(&out);
    assert_int_equal(vt_buf_append(&out, rec, sizeof(rec), NULL), VT_OK);
    assert_int_equal(vt__azure_envelope_to_container(&out, (const uint8_t *)text, len, &err), code);
    if (what != NULL && strstr(err.msg, what) == NULL)
        fail_msg("error \"%s\" does not name \"%s\"", err.msg, what);
    assert_int_equal(out.len, sizeof(rec));
    assert_memory_equal(out.data, rec, sizeof(rec));
    vt_buf_free(&out);
}

static void refused_json(json_t *o, vt_status code, const char *what)
{
    char *s = dump(o);

    refused(s, strlen(s), code, what);
    free(s);
}

static void test_tee_azure_envelope__v1_parts(void **state)
{
    char *s = dump(envelope(1, false));
    vt__tpm_evidence ev;
    vt_buf out;

    (void)state;
    convert_ok(&out, s);
    assert_int_equal(vt__tpm_evidence_parse(&ev, out.data, out.len, NULL), VT_OK);
    assert_int_equal(ev.quote_count, 1);
    blob_is(&ev.attest[0], msg, sizeof(msg));
    blob_is(&ev.sig[0], sig, sizeof(sig));
    assert_int_equal(ev.pcr_bank_count, 1);
    assert_int_equal(ev.pcr_alg[0], 0x000b);
    blob_is(&ev.pcrs[0], pcrs, sizeof(pcrs));
    blob_is(&ev.hcl_report, hcl, sizeof(hcl));
    blob_is(&ev.hw_certs, vcek, sizeof(vcek));
    assert_null(ev.td_quote.p);
    assert_null(ev.event_log.p);
    assert_false(ev.hcl_binds_nonce);
    vt_buf_free(&out);
    free(s);
}

static void test_tee_azure_envelope__v1_tdx_parts(void **state)
{
    char *s = dump(envelope(1, true));
    vt__tpm_evidence ev;
    vt_buf out;

    (void)state;
    convert_ok(&out, s);
    assert_int_equal(vt__tpm_evidence_parse(&ev, out.data, out.len, NULL), VT_OK);
    blob_is(&ev.td_quote, tdq, sizeof(tdq));
    assert_null(ev.hw_certs.p);
    vt_buf_free(&out);
    free(s);
}

static void test_tee_azure_envelope__v2_binds_nonce(void **state)
{
    char *s = dump(envelope(2, false));
    vt__tpm_evidence ev;
    vt_buf out;

    (void)state;
    convert_ok(&out, s);
    assert_int_equal(vt__tpm_evidence_parse(&ev, out.data, out.len, NULL), VT_OK);
    assert_true(ev.hcl_binds_nonce);
    blob_is(&ev.hcl_report, hcl, sizeof(hcl));
    vt_buf_free(&out);
    free(s);
}

static void test_tee_azure_envelope__v0_parts(void **state)
{
    char *s = dump(envelope(0, false));
    vt__tpm_evidence ev;
    vt_buf out;

    (void)state;
    convert_ok(&out, s);
    assert_int_equal(vt__tpm_evidence_parse(&ev, out.data, out.len, NULL), VT_OK);
    blob_is(&ev.attest[0], msg, sizeof(msg));
    blob_is(&ev.sig[0], sig, sizeof(sig));
    blob_is(&ev.pcrs[0], pcrs, sizeof(pcrs));
    blob_is(&ev.hcl_report, hcl, sizeof(hcl));
    assert_non_null(ev.hw_certs.p);
    assert_memory_equal(ev.hw_certs.p, "-----BEGIN CERTIFICATE-----", 27);
    assert_false(ev.hcl_binds_nonce);
    vt_buf_free(&out);
    free(s);
}

/* Appending to an existing container keeps what was there. */
static void test_tee_azure_envelope__appends(void **state)
{
    char *s = dump(envelope(1, false));
    vt__tpm_evidence ev;
    vt_buf out;

    (void)state;
    vt_buf_init(&out);
    assert_int_equal(vt_tpm_evidence_add(&out, VT_TPM_PART_EVENT_LOG, 0, (const uint8_t *)"log", 3, NULL), VT_OK);
    assert_int_equal(vt__azure_envelope_to_container(&out, (const uint8_t *)s, strlen(s), NULL), VT_OK);
    assert_int_equal(vt__tpm_evidence_parse(&ev, out.data, out.len, NULL), VT_OK);
    blob_is(&ev.event_log, "log", 3);
    blob_is(&ev.attest[0], msg, sizeof(msg));
    vt_buf_free(&out);
    free(s);
}

static void test_tee_azure_envelope__probe(void **state)
{
    static const char *const no[] = {
        "", "{", "[]", "{}", "VTTPMEV1", "\"hcl_report\"", "{\"reports\": 1}", "{\"repor\": 1}",
        "{\"format\": \"veritee-composite\", \"parts\": []}", "{\"a\": {\"hcl_report\": 1}}",
        "{\"version\": 1}", "{\"version\": 1, \"format\": 2}", "{\"version\": \"1\", \"hcl_report\": 1}",
        "{\"hcl\\u005freport\": 1}", "{\"tpm_quote_with_a_very_long_name\": 1}",
    };
    static const char *const yes[] = {
        "{\"hcl_report\": 1}", " \n{\"quote\": 1, \"report\": 2}", "{\"report\": []}", "{\"vcek\":",
        "{\"report\"", /* truncated: recognized, so that the converter names what is wrong */
        "{ \"version\" : 2 ,\n \"tpm_quote\": {}}", "{\"version\":-1,\"td_quote\":1}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(vt__azure_envelope_probe((const uint8_t *)no[i], strlen(no[i])));
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(vt__azure_envelope_probe((const uint8_t *)yes[i], strlen(yes[i])));
    assert_false(vt__azure_envelope_probe(NULL, 0));
}

static void test_tee_azure_envelope__bad_json(void **state)
{
    char *s = dump(envelope(1, false));
    size_t n = strlen(s);
    char *t = malloc(n + 8);

    (void)state;
    assert_non_null(t);
    refused("", 0, VT_E_FORMAT, "not a JSON object");
    refused("[1,2]", 5, VT_E_FORMAT, "not a JSON object");
    refused("{\"version\": 1, \"version\": 1}", 28, VT_E_FORMAT, "not a JSON object"); /* duplicate member */
    memcpy(t, s, n);
    memcpy(t + n, " x", 2);
    refused(t, n + 2, VT_E_FORMAT, "not a JSON object"); /* trailing bytes */
    t[0] = '\0';
    refused(t, n, VT_E_FORMAT, NULL); /* embedded NUL */
    free(t);
    free(s);
}

/* Every proper prefix of a valid envelope is refused. */
static void test_tee_azure_envelope__every_truncation(void **state)
{
    char *s = dump(envelope(1, false));
    size_t n = strlen(s);

    (void)state;
    for (size_t i = 0; i < n; i++)
        refused(s, i, VT_E_FORMAT, NULL);
    free(s);
}

static void test_tee_azure_envelope__wrong_version(void **state)
{
    json_t *o;

    (void)state;
    for (int v = -1; v <= 4; v++) {
        if (v == 1 || v == 2)
            continue;
        o = envelope(1, false);
        json_object_set_new(o, "version", json_integer(v));
        refused_json(o, VT_E_UNSUPPORTED, "version");
    }
    o = envelope(1, false);
    json_object_set_new(o, "version", json_string("1"));
    refused_json(o, VT_E_FORMAT, "version is not an integer");
    o = envelope(1, false);
    json_object_set_new(o, "version", json_real(1.0));
    refused_json(o, VT_E_FORMAT, "version is not an integer");
    /* v1 members without a version are not a v0 envelope, nor v0 members with one. */
    o = envelope(1, false);
    json_object_del(o, "version");
    refused_json(o, VT_E_FORMAT, "unknown member");
    o = envelope(0, false);
    json_object_set_new(o, "version", json_integer(1));
    refused_json(o, VT_E_FORMAT, "unknown member");
}

static void test_tee_azure_envelope__members(void **state)
{
    static const char *const top[] = { "tpm_quote", "hcl_report" };
    static const char *const quote[] = { "message", "signature", "pcrs" };
    json_t *o;

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        o = envelope(1, false);
        json_object_del(o, top[i]);
        refused_json(o, VT_E_FORMAT, top[i]);
    }
    for (size_t i = 0; i < 3; i++) {
        o = envelope(1, false);
        json_object_del(json_object_get(o, "tpm_quote"), quote[i]);
        refused_json(o, VT_E_FORMAT, quote[i]);
        o = envelope(0, false);
        json_object_del(json_object_get(o, "quote"), quote[i]);
        refused_json(o, VT_E_FORMAT, quote[i]);
    }
    o = envelope(0, false);
    json_object_del(o, "report");
    refused_json(o, VT_E_FORMAT, "report");
    o = envelope(1, false);
    json_object_set_new(o, "extra", json_true());
    refused_json(o, VT_E_FORMAT, "unknown member \"extra\"");
    o = envelope(1, false);
    json_object_set_new(json_object_get(o, "tpm_quote"), "pcr_bank", json_true());
    refused_json(o, VT_E_FORMAT, "unknown member \"pcr_bank\"");
    o = envelope(1, false);
    json_object_set_new(o, "tpm_quote", json_string("x"));
    refused_json(o, VT_E_FORMAT, "tpm_quote is not an object");
    o = envelope(1, false);
    json_object_set_new(json_object_get(o, "tpm_quote"), "message", json_string(""));
    refused_json(o, VT_E_FORMAT, "empty");
    o = envelope(0, false);
    json_object_set_new(o, "vcek", json_integer(1));
    refused_json(o, VT_E_FORMAT, "vcek is not a PEM string");
}

static void set_hex(json_t *o, const char *obj, const char *key, size_t n)
{
    uint8_t *b = calloc(1, n);

    assert_non_null(b);
    json_object_set_new(obj != NULL ? json_object_get(o, obj) : o, key, hex(b, n));
    free(b);
}

static void set_b64(json_t *o, const char *key, size_t n)
{
    uint8_t *b = calloc(1, n);

    assert_non_null(b);
    json_object_set_new(o, key, b64url(b, n, false));
    free(b);
}

static void test_tee_azure_envelope__oversized(void **state)
{
    json_t *o, *pa;
    char *big;

    (void)state;
    o = envelope(1, false);
    set_hex(o, "tpm_quote", "message", VT_AZURE_QUOTE_MAX + 1);
    refused_json(o, VT_E_LIMIT, "tpm_quote.message");
    o = envelope(1, false);
    set_hex(o, "tpm_quote", "signature", VT_AZURE_SIG_MAX + 1);
    refused_json(o, VT_E_LIMIT, "tpm_quote.signature");
    o = envelope(1, false);
    set_b64(o, "hcl_report", VT_AZURE_HCL_MAX + 1);
    refused_json(o, VT_E_LIMIT, "hcl_report");
    o = envelope(1, false);
    set_b64(o, "vcek", VT_AZURE_VCEK_MAX + 1);
    refused_json(o, VT_E_LIMIT, "vcek");
    o = envelope(1, true);
    set_b64(o, "td_quote", VT_AZURE_TD_QUOTE_MAX + 1);
    refused_json(o, VT_E_LIMIT, "td_quote");
    /* At the limit: accepted. */
    {
        vt_buf out;
        char *s;
        o = envelope(1, false);
        set_b64(o, "hcl_report", VT_AZURE_HCL_MAX);
        s = dump(o);
        convert_ok(&out, s);
        vt_buf_free(&out);
        free(s);
    }
    o = envelope(1, false);
    pa = json_object_get(json_object_get(o, "tpm_quote"), "pcrs");
    json_array_append_new(pa, hex(pcrs[0], 32));
    refused_json(o, VT_E_LIMIT, "25 values");
    o = envelope(0, false);
    {
        uint8_t *b = calloc(1, VT_AZURE_HCL_MAX + 1);
        assert_non_null(b);
        json_object_set_new(o, "report", bytes(b, VT_AZURE_HCL_MAX + 1));
        free(b);
    }
    refused_json(o, VT_E_LIMIT, "report");
    o = envelope(0, false);
    big = malloc(VT_AZURE_VCEK_MAX + 2);
    assert_non_null(big);
    memset(big, 'A', VT_AZURE_VCEK_MAX + 1);
    big[VT_AZURE_VCEK_MAX + 1] = '\0';
    json_object_set_new(o, "vcek", json_string(big));
    free(big);
    refused_json(o, VT_E_LIMIT, "vcek");
    /* The whole text: refused before it is parsed. */
    big = malloc(VT_AZURE_ENVELOPE_MAX + 1);
    assert_non_null(big);
    memset(big, ' ', VT_AZURE_ENVELOPE_MAX + 1);
    big[0] = '{';
    assert_false(vt__azure_envelope_probe((const uint8_t *)big, VT_AZURE_ENVELOPE_MAX + 1));
    refused(big, VT_AZURE_ENVELOPE_MAX + 1, VT_E_LIMIT, "envelope is");
    free(big);
}

static void test_tee_azure_envelope__bad_base64url(void **state)
{
    static const char *const bad[] = {
        "SENMQQ!A", /* outside the alphabet */
        "SENM+QAA", /* standard alphabet */
        "SENM/QAA",
        "SENMQQ=",  /* padding that does not complete a quantum */
        "SENMQ===", /* too much padding */
        "SENMQ",    /* impossible length */
        "SEN MQQA", /* whitespace */
        "SENMQR==", /* non-zero trailing bits */
        "SE=NMQQA", /* padding inside */
    };
    json_t *o;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = envelope(1, false);
        json_object_set_new(o, "hcl_report", json_string(bad[i]));
        refused_json(o, VT_E_FORMAT, "hcl_report is not base64url");
        o = envelope(1, true);
        json_object_set_new(o, "td_quote", json_string(bad[i]));
        refused_json(o, VT_E_FORMAT, "td_quote is not base64url");
        o = envelope(1, false);
        json_object_set_new(o, "vcek", json_string(bad[i]));
        refused_json(o, VT_E_FORMAT, "vcek is not base64url");
    }
    o = envelope(1, false);
    json_object_set_new(o, "hcl_report", json_integer(7));
    refused_json(o, VT_E_FORMAT, "hcl_report is not a base64url string");
    o = envelope(1, false);
    json_object_set_new(o, "hcl_report", bytes(hcl, 8));
    refused_json(o, VT_E_FORMAT, "hcl_report is not a base64url string");
}

static void test_tee_azure_envelope__bad_hex(void **state)
{
    static const char *const bad[] = { "ff5", "zz", "ff 54", "0x00", "ff54\n" };
    json_t *o;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = envelope(1, false);
        json_object_set_new(json_object_get(o, "tpm_quote"), "message", json_string(bad[i]));
        refused_json(o, VT_E_FORMAT, "tpm_quote.message is not hex");
        o = envelope(1, false);
        json_object_set_new(json_object_get(o, "tpm_quote"), "signature", json_string(bad[i]));
        refused_json(o, VT_E_FORMAT, "tpm_quote.signature is not hex");
        o = envelope(1, false);
        json_array_set_new(json_object_get(json_object_get(o, "tpm_quote"), "pcrs"), 3, json_string(bad[i]));
        refused_json(o, VT_E_FORMAT, "tpm_quote.pcrs[3]");
    }
    o = envelope(1, false);
    json_object_set_new(json_object_get(o, "tpm_quote"), "message", bytes(msg, 4));
    refused_json(o, VT_E_FORMAT, "tpm_quote.message is not a hex string");
}

static void test_tee_azure_envelope__bad_bytes(void **state)
{
    json_t *bad[] = { json_integer(256), json_integer(-1), json_real(1.5), json_string("1"), json_array(), json_null(),
                      json_true() };
    json_t *o;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = envelope(0, false);
        json_array_set(json_object_get(json_object_get(o, "quote"), "message"), 5, bad[i]);
        refused_json(o, VT_E_FORMAT, "quote.message[5] is not an integer 0..255");
        o = envelope(0, false);
        json_array_set(json_object_get(o, "report"), 2599, bad[i]);
        refused_json(o, VT_E_FORMAT, "report[2599]");
        json_decref(bad[i]);
    }
    o = envelope(0, false);
    json_object_set_new(o, "report", json_string("SENMQQ"));
    refused_json(o, VT_E_FORMAT, "report is not an array of bytes");
}

static void test_tee_azure_envelope__pcr_sizes(void **state)
{
    json_t *o, *pa;

    (void)state;
    for (size_t n = 0; n <= 64; n++) {
        if (n == 32)
            continue;
        uint8_t v[64] = { 0 };
        o = envelope(1, false);
        pa = json_object_get(json_object_get(o, "tpm_quote"), "pcrs");
        json_array_set_new(pa, 0, hex(v, n));
        if (n < 32)
            refused_json(o, VT_E_FORMAT, "is not a 32-byte SHA-256 value");
        else
            refused_json(o, VT_E_LIMIT, "tpm_quote.pcrs[0] has");
    }
    o = envelope(1, false);
    json_array_clear(json_object_get(json_object_get(o, "tpm_quote"), "pcrs"));
    refused_json(o, VT_E_FORMAT, "pcrs is empty");
    o = envelope(1, false);
    json_object_set_new(json_object_get(o, "tpm_quote"), "pcrs", json_object());
    refused_json(o, VT_E_FORMAT, "pcrs is not an array");
}

/* The nonce-binding record: empty, once; the container refuses it otherwise. */
static void test_tee_azure_envelope__binding_record(void **state)
{
    static const uint8_t one = 1;
    char *s = dump(envelope(2, false));
    vt__tpm_evidence ev;
    vt_buf out;

    (void)state;
    convert_ok(&out, s);
    assert_int_equal(vt_tpm_evidence_add(&out, VT_TPM_PART_HCL_BINDS_NONCE, 0, NULL, 0, NULL), VT_OK);
    assert_int_equal(vt__tpm_evidence_parse(&ev, out.data, out.len, NULL), VT_E_FORMAT); /* twice */
    vt_buf_free(&out);
    vt_buf_init(&out);
    free(s);
    s = dump(envelope(1, false));
    convert_ok(&out, s);
    assert_int_equal(vt_tpm_evidence_add(&out, VT_TPM_PART_HCL_BINDS_NONCE, 0, &one, 1, NULL), VT_OK);
    assert_int_equal(vt__tpm_evidence_parse(&ev, out.data, out.len, NULL), VT_E_FORMAT); /* not empty */
    assert_int_equal(vt_tpm_evidence_add(&out, (vt_tpm_part)(VT_TPM_PART_HCL_BINDS_NONCE + 1), 0, NULL, 0, NULL),
                     VT_E_ARG);
    vt_buf_free(&out);
    free(s);
}

/* ---- allocation failures: the Nth allocation (ours or jansson's) fails ---- */

static long alloc_countdown = -1;
static long alloc_seen;

static bool alloc_fails(void)
{
    alloc_seen++;
    return alloc_countdown >= 0 && alloc_countdown-- == 0;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n)
{
    return alloc_fails() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m)
{
    return alloc_fails() ? NULL : __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
    return alloc_fails() ? NULL : __real_realloc(p, n);
}
static void *j_malloc(size_t n)
{
    return alloc_fails() ? NULL : __real_malloc(n);
}

static void test_tee_azure_envelope__alloc_failures(void **state)
{
    char *s = dump(envelope(2, true));
    size_t n = strlen(s), ok_at = 0;
    vt_buf want, out;
    vt_status rc;

    (void)state;
    convert_ok(&want, s);
    json_set_alloc_funcs(j_malloc, free);
    for (long k = 0; k < 100000; k += 3) {
        vt_err err = { 0 };
        vt_buf_init(&out);
        alloc_countdown = k;
        rc = vt__azure_envelope_to_container(&out, (const uint8_t *)s, n, &err);
        alloc_countdown = -1;
        if (rc == VT_OK) {
            assert_int_equal(out.len, want.len);
            assert_memory_equal(out.data, want.data, want.len);
            vt_buf_free(&out);
            ok_at = (size_t)k;
            break;
        }
        /* jansson reports its allocation failure as a parse error. */
        assert_true(rc == VT_E_NOMEM || rc == VT_E_FORMAT);
        assert_int_equal(out.len, 0);
        vt_buf_free(&out);
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(ok_at > 0);
    vt_buf_free(&want);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_azure_envelope__v1_parts),
        cmocka_unit_test(test_tee_azure_envelope__v1_tdx_parts),
        cmocka_unit_test(test_tee_azure_envelope__v2_binds_nonce),
        cmocka_unit_test(test_tee_azure_envelope__v0_parts),
        cmocka_unit_test(test_tee_azure_envelope__appends),
        cmocka_unit_test(test_tee_azure_envelope__probe),
        cmocka_unit_test(test_tee_azure_envelope__bad_json),
        cmocka_unit_test(test_tee_azure_envelope__every_truncation),
        cmocka_unit_test(test_tee_azure_envelope__wrong_version),
        cmocka_unit_test(test_tee_azure_envelope__members),
        cmocka_unit_test(test_tee_azure_envelope__oversized),
        cmocka_unit_test(test_tee_azure_envelope__bad_base64url),
        cmocka_unit_test(test_tee_azure_envelope__bad_hex),
        cmocka_unit_test(test_tee_azure_envelope__bad_bytes),
        cmocka_unit_test(test_tee_azure_envelope__pcr_sizes),
        cmocka_unit_test(test_tee_azure_envelope__binding_record),
        cmocka_unit_test(test_tee_azure_envelope__alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
