/* The TDX building blocks one by one: quote parser error codes, PCK
 * extension DER, the signed-JSON span finder, TCB Info / QE identity
 * parsing, TCB evaluation and status convergence, and the verify cache.
 * Runs everywhere: quotes come from the simulator. */
#include "test_tdx_util.h"

#include "veritee/sim.h"

#include "tee/cache.h"
#include "tee/tdx_collateral.h"
#include "tee/tdx_pck.h"
#include "tee/tdx_quote.h"

/* ---- helpers ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void sim_quote(vt_buf *q, int version)
{
    char dir[4096];
    vt_sim_tdx_opts o;
    vt_err err = { 0 };

    vt_test_mkdtemp(dir, sizeof(dir));
    memset(&o, 0, sizeof(o));
    o.version = version;
    o.now = vt_test_time("2026-03-01T00:00:00Z");
    o.state_dir = dir;
    vt_buf_init(q);
    if (vt_sim_tdx(q, NULL, &o, &err) != VT_OK)
        fail_msg("%s", err.msg);
    vt_test_rmdir(dir);
}

static vt_status parse_copy(const vt_buf *q, size_t len, void (*edit)(uint8_t *p, size_t sig), vt__tdx_quote *out)
{
    uint8_t *p = malloc(len + 1);
    vt_status rc;
    size_t sig;

    assert_non_null(p);
    memcpy(p, q->data, len < q->len ? len : q->len);
    if (len > q->len)
        memset(p + q->len, 0, len - q->len);
    sig = (size_t)((p[0] == 5) ? 58 + TDX_BODY15_LEN : 636);
    if (edit != NULL)
        edit(p, sig);
    rc = vt__tdx_quote_parse(out, p, len, NULL);
    free(p);
    return rc;
}

/* ---- quote parser ---- */

static void ed_version(uint8_t *p, size_t s) { (void)s; put_u16(p, 3); }
static void ed_keytype(uint8_t *p, size_t s) { (void)s; put_u16(p + 2, 3); }
static void ed_teetype(uint8_t *p, size_t s) { (void)s; put_u32(p + 4, 0); }
static void ed_vendor(uint8_t *p, size_t s) { (void)s; p[12] ^= 1; }
static void ed_certtype(uint8_t *p, size_t s) { put_u16(p + s + 128, 4); }
static void ed_certlen(uint8_t *p, size_t s) { put_u32(p + s + 130, 0xffffffffu); }
static void ed_authlen_big(uint8_t *p, size_t s) { put_u16(p + s + 582, 5000); }
static void ed_authlen_off(uint8_t *p, size_t s) { put_u16(p + s + 582, 33); }
static void ed_inner_type(uint8_t *p, size_t s) { put_u16(p + s + 584 + 32, 4); }
static void ed_inner_len(uint8_t *p, size_t s) { put_u32(p + s + 586 + 32, 20000); }
static void ed_pem_nul(uint8_t *p, size_t s) { p[s + 590 + 32 + 100] = 0; }
static void ed_sig_len(uint8_t *p, size_t s) { put_u32(p + s - 4, 0x7fffffff); }
static void ed_v5_type(uint8_t *p, size_t s) { (void)s; put_u16(p + 48, 1); }
static void ed_v5_size(uint8_t *p, size_t s) { (void)s; put_u32(p + 50, TDX_BODY10_LEN); }

static void test_tee_tdx__quote_parse_codes(void **state)
{
    vt_buf q4, q5;
    vt__tdx_quote *p = calloc(1, sizeof(*p));
    static const uint8_t zero[sizeof(vt__tdx_quote)] = { 0 };

    (void)state;
    assert_non_null(p);
    sim_quote(&q4, 4);
    sim_quote(&q5, 5);
    assert_int_equal(parse_copy(&q4, q4.len, NULL, p), VT_OK);
    assert_int_equal(p->version, 4);
    assert_int_equal(p->body_len, TDX_BODY10_LEN);
    assert_int_equal(p->signed_len, 632);
    assert_int_equal(p->qe_auth_len, 32);
    assert_int_equal(p->trailing_len, 0);
    assert_true(p->pck_pem_len + 1 == p->pck_cert_len); /* one trailing NUL dropped */
    assert_int_equal(parse_copy(&q5, q5.len, NULL, p), VT_OK);
    assert_int_equal(p->version, 5);
    assert_int_equal(p->body_type, TDX_V5_BODY_TDX15);
    assert_int_equal(p->signed_len, 54 + TDX_BODY15_LEN);

    assert_int_equal(parse_copy(&q4, q4.len, ed_version, p), VT_E_UNSUPPORTED);
    assert_memory_equal(p, zero, sizeof(*p)); /* cleared on failure */
    assert_int_equal(parse_copy(&q4, q4.len, ed_keytype, p), VT_E_UNSUPPORTED);
    assert_int_equal(parse_copy(&q4, q4.len, ed_teetype, p), VT_E_UNSUPPORTED);
    assert_int_equal(parse_copy(&q4, q4.len, ed_vendor, p), VT_E_UNSUPPORTED);
    assert_int_equal(parse_copy(&q4, q4.len, ed_certtype, p), VT_E_UNSUPPORTED);
    assert_int_equal(parse_copy(&q4, q4.len, ed_certlen, p), VT_E_FORMAT);
    assert_int_equal(parse_copy(&q4, q4.len, ed_authlen_big, p), VT_E_LIMIT);
    assert_int_equal(parse_copy(&q4, q4.len, ed_authlen_off, p), VT_E_FORMAT);
    assert_int_equal(parse_copy(&q4, q4.len, ed_inner_type, p), VT_E_UNSUPPORTED);
    assert_int_equal(parse_copy(&q4, q4.len, ed_inner_len, p), VT_E_FORMAT);
    assert_int_equal(parse_copy(&q4, q4.len, ed_pem_nul, p), VT_E_FORMAT);
    assert_int_equal(parse_copy(&q4, q4.len, ed_sig_len, p), VT_E_FORMAT);
    assert_int_equal(parse_copy(&q5, q5.len, ed_v5_type, p), VT_E_UNSUPPORTED);
    assert_int_equal(parse_copy(&q5, q5.len, ed_v5_size, p), VT_E_FORMAT);
    /* trailing bytes are tolerated; a quote above the limit is not */
    assert_int_equal(parse_copy(&q4, q4.len + 100, NULL, p), VT_OK);
    assert_int_equal(p->trailing_len, 100);
    assert_int_equal(parse_copy(&q4, TDX_QUOTE_MAX + 1, NULL, p), VT_E_LIMIT);
    for (size_t len = 0; len < q5.len; len++)
        assert_int_equal(parse_copy(&q5, len, NULL, p), VT_E_FORMAT);
    assert_int_equal(vt__tdx_quote_parse(p, NULL, 0, NULL), VT_E_FORMAT);
    assert_false(vt__tdx_quote_probe(NULL, 0));
    assert_true(vt__tdx_quote_probe(q5.data, 48));
    free(p);
    vt_buf_free(&q4);
    vt_buf_free(&q5);
}

/* Through the plugin: too large evidence is VT_E_LIMIT with a finding. */
static void test_tee_tdx__verify_limit_and_args(void **state)
{
    vt_buf q;
    uint8_t *big = calloc(1, TDX_QUOTE_MAX + 1);
    vt_result *r = calloc(1, sizeof(*r));
    vt_x509 *root = tdx_test_intel_root();
    vt_err err = { 0 };

    (void)state;
    sim_quote(&q, 4);
    memcpy(big, q.data, q.len);
    assert_int_equal(tdx_test_run(r, big, TDX_QUOTE_MAX + 1, NULL, 1, &root, 1, 1, NULL), VT_E_LIMIT);
    assert_true(tdx_has_error(r, "quote_format"));
    assert_string_equal(r->claims.tcb_status, "unknown");
    assert_int_equal(vt__tee_tdx.verify(NULL, r, &err), VT_E_ARG);
    free(big);
    free(r);
    vt_buf_free(&q);
}

/* ---- PCK extension DER ---- */

typedef struct der {
    uint8_t b[2048];
    size_t n;
} der;

static void der_raw(der *d, const void *p, size_t n)
{
    assert_true(d->n + n <= sizeof(d->b));
    memcpy(d->b + d->n, p, n);
    d->n += n;
}

static void der_tlv(der *d, uint8_t tag, const der *content)
{
    uint8_t h[4];
    size_t hn = 0;

    h[hn++] = tag;
    if (content->n < 0x80) {
        h[hn++] = (uint8_t)content->n;
    } else if (content->n < 0x100) {
        h[hn++] = 0x81;
        h[hn++] = (uint8_t)content->n;
    } else {
        h[hn++] = 0x82;
        h[hn++] = (uint8_t)(content->n >> 8);
        h[hn++] = (uint8_t)content->n;
    }
    der_raw(d, h, hn);
    der_raw(d, content->b, content->n);
}

static void der_oid(der *d, int a, int b)
{
    static const uint8_t base[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };
    der c = { { 0 }, 0 };

    der_raw(&c, base, sizeof(base));
    c.b[c.n++] = (uint8_t)a;
    if (b >= 0)
        c.b[c.n++] = (uint8_t)b;
    der_tlv(d, 0x06, &c);
}

static void der_entry(der *d, int a, int b, uint8_t tag, const void *val, size_t n)
{
    der e = { { 0 }, 0 }, v = { { 0 }, 0 };

    der_oid(&e, a, b);
    der_raw(&v, val, n);
    der_tlv(&e, tag, &v);
    der_tlv(d, 0x30, &e);
}

/* skip = which entry to leave out (0 none), dup = which to repeat */
static void build_ext(der *out, int skip, int dup, bool neg_svn)
{
    der top = { { 0 }, 0 }, tcb = { { 0 }, 0 }, tcbent = { { 0 }, 0 }, seq = { { 0 }, 0 };
    static const uint8_t ppid[16] = { 1, 2, 3 }, cpusvn[16] = { 9, 9 }, pceid[2] = { 0, 0 },
                         fmspc[6] = { 0x90, 0xc0, 0x6f, 0, 0, 0 };
    uint8_t one = 1, pcesvn[2] = { 0x00, 0x8d }, type = 1;

    if (skip != 1)
        der_entry(&top, 1, -1, 0x04, ppid, 16);
    for (int i = 1; i <= 16; i++) {
        uint8_t svn = (uint8_t)i;
        if (neg_svn && i == 5)
            svn = 0x85;
        der_entry(&tcb, 2, i, 0x02, &svn, 1);
    }
    der_entry(&tcb, 2, 17, 0x02, pcesvn, 2);
    der_entry(&tcb, 2, 18, 0x04, cpusvn, 16);
    if (dup == 2)
        der_entry(&tcb, 2, 3, 0x02, &one, 1);
    der_oid(&tcbent, 2, -1);
    der_tlv(&tcbent, 0x30, &tcb);
    if (skip != 2)
        der_tlv(&top, 0x30, &tcbent);
    if (skip != 3)
        der_entry(&top, 3, -1, 0x04, pceid, 2);
    if (skip != 4)
        der_entry(&top, 4, -1, 0x04, fmspc, 6);
    if (dup == 4)
        der_entry(&top, 4, -1, 0x04, fmspc, 6);
    der_entry(&top, 5, -1, 0x0a, &type, 1);
    der_entry(&top, 6, -1, 0x04, ppid, 16); /* unknown to us: skipped */
    der_tlv(&seq, 0x30, &top);
    *out = seq;
}

static void test_tee_tdx__pck_extension(void **state)
{
    der d;
    vt__tdx_pck_ext e;

    (void)state;
    build_ext(&d, 0, 0, false);
    assert_int_equal(vt__tdx_pck_ext_parse(&e, d.b, d.n, NULL), VT_OK);
    assert_int_equal(e.comp_svn[0], 1);
    assert_int_equal(e.comp_svn[15], 16);
    assert_int_equal(e.pcesvn, 0x8d);
    assert_int_equal(e.cpusvn[1], 9);
    assert_int_equal(e.fmspc[0], 0x90);
    assert_int_equal(e.sgx_type, 1);
    for (size_t len = 0; len < d.n; len++)
        assert_int_not_equal(vt__tdx_pck_ext_parse(&e, d.b, len, NULL), VT_OK);
    for (int skip = 1; skip <= 4; skip++) {
        build_ext(&d, skip, 0, false);
        assert_int_equal(vt__tdx_pck_ext_parse(&e, d.b, d.n, NULL), VT_E_FORMAT);
    }
    build_ext(&d, 0, 2, false);
    assert_int_equal(vt__tdx_pck_ext_parse(&e, d.b, d.n, NULL), VT_E_FORMAT);
    build_ext(&d, 0, 4, false);
    assert_int_equal(vt__tdx_pck_ext_parse(&e, d.b, d.n, NULL), VT_E_FORMAT);
    build_ext(&d, 0, 0, true); /* negative INTEGER */
    assert_int_equal(vt__tdx_pck_ext_parse(&e, d.b, d.n, NULL), VT_E_FORMAT);
    /* trailing byte after the SEQUENCE */
    build_ext(&d, 0, 0, false);
    d.b[d.n++] = 0;
    assert_int_equal(vt__tdx_pck_ext_parse(&e, d.b, d.n, NULL), VT_E_FORMAT);
    /* non-minimal long-form length */
    {
        static const uint8_t bad[] = { 0x30, 0x81, 0x03, 0x02, 0x01, 0x00 };
        assert_int_equal(vt__tdx_pck_ext_parse(&e, bad, sizeof(bad), NULL), VT_E_FORMAT);
    }
    assert_int_equal(vt__tdx_pck_ext_parse(&e, NULL, 0, NULL), VT_E_FORMAT);
}

/* ---- signed JSON spans ---- */

#define SIG128 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" \
               "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static vt_status split(const char *json, vt__tdx_signed_doc *d)
{
    return vt__tdx_signed_doc_split(d, (const uint8_t *)json, strlen(json), "tcbInfo", NULL);
}

static void expect_span(const char *json, const char *want)
{
    vt__tdx_signed_doc d;

    assert_int_equal(split(json, &d), VT_OK);
    assert_int_equal(d.value_len, strlen(want));
    assert_memory_equal(d.value, want, d.value_len);
    assert_int_equal(d.sig[1], 0x11);
}

static void test_tee_tdx__signed_span(void **state)
{
    vt__tdx_signed_doc d;
    const char *ok = "{\"tcbInfo\":{\"a\":\"}{\\\"x\"},\"signature\":\"" SIG128 "\"}";

    (void)state;
    expect_span(ok, "{\"a\":\"}{\\\"x\"}");
    expect_span(" { \"tcbInfo\" : {\"a\": [1, 2, {\"b\": null}]} ,\n \"signature\" : \"" SIG128 "\" }\n",
                "{\"a\": [1, 2, {\"b\": null}]}");
    expect_span("{\"x\":{\"tcbInfo\":{}},\"tcbInfo\":{\"a\":1},\"signature\":\"" SIG128 "\"}", "{\"a\":1}");
    expect_span("{\"signature\":\"" SIG128 "\",\"tcbInfo\":{\"k\":\"\\\\\"}}", "{\"k\":\"\\\\\"}");
    assert_int_equal(split("{\"enclaveIdentity\":{},\"signature\":\"" SIG128 "\"}", &d), VT_E_NOTFOUND);
    assert_int_equal(split("{}", &d), VT_E_NOTFOUND);
    assert_int_equal(split("{\"tcbInfo\":{},\"tcbInfo\":{},\"signature\":\"" SIG128 "\"}", &d), VT_E_FORMAT);
    assert_int_equal(split("{\"tcbInfo\":{},\"signature\":\"" SIG128 "\"}x", &d), VT_E_FORMAT);
    assert_int_equal(split("{\"tcbInfo\":{},\"signature\":\"0011\"}", &d), VT_E_FORMAT);
    assert_int_equal(split("{\"tcbInfo\":{},\"signature\":\"" SIG128 "\",\"signature\":\"" SIG128 "\"}", &d),
                     VT_E_FORMAT);
    assert_int_equal(split("[1]", &d), VT_E_FORMAT);
    assert_int_equal(split("{\"tcbInfo\":{]}", &d), VT_E_FORMAT);
    for (size_t len = 0; len < strlen(ok); len++)
        assert_int_not_equal(vt__tdx_signed_doc_split(&d, (const uint8_t *)ok, len, "tcbInfo", NULL), VT_OK);
}

/* ---- TCB info / QE identity ---- */

static const char tcb_ok[] =
    "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"2026-03-01T00:00:00Z\",\"nextUpdate\":\"2026-04-01T00:00:00Z\","
    "\"fmspc\":\"90C06F000000\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":18,"
    "\"tdxModule\":{\"mrsigner\":\"" "000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000\",\"attributes\":\"0000000000000000\","
    "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
    "\"tdxModuleIdentities\":[{\"id\":\"TDX_0b\",\"mrsigner\":\"" "000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000\",\"attributes\":\"0000000000000000\","
    "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":3},\"tcbDate\":\"2025-01-01T00:00:00Z\","
    "\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":1},\"tcbDate\":\"2024-01-01T00:00:00Z\","
    "\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00001\"]}]}],"
    "\"tcbLevels\":[%s]}";

#define COMP16(v) "[{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "}," \
    "{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "}," \
    "{\"svn\":" v "},{\"svn\":" v "},{\"svn\":" v "}]"
#define LEVEL(sgx, pce, tdx, status, adv) "{\"tcb\":{\"sgxtcbcomponents\":" COMP16(sgx) ",\"pcesvn\":" pce \
    ",\"tdxtcbcomponents\":" COMP16(tdx) "},\"tcbDate\":\"2025-01-01T00:00:00Z\",\"tcbStatus\":\"" status "\"" adv "}"

static vt__tdx_tcb_info *tcb_parse(const char *levels, vt_status want)
{
    char *json = malloc(16384);
    vt__tdx_tcb_info *t = calloc(1, sizeof(*t));

    assert_non_null(json);
    assert_non_null(t);
    snprintf(json, 16384, tcb_ok, levels);
    assert_int_equal(vt__tdx_tcb_info_parse(t, (const uint8_t *)json, strlen(json), NULL), want);
    free(json);
    return t;
}

static void test_tee_tdx__tcb_info_parse(void **state)
{
    vt__tdx_tcb_info *t;

    (void)state;
    t = tcb_parse(LEVEL("3", "11", "4", "UpToDate", "") "," LEVEL("2", "10", "2", "SWHardeningNeeded",
                  ",\"advisoryIDs\":[\"INTEL-SA-00615\",\"INTEL-SA-00657\"]"), VT_OK);
    assert_int_equal(t->level_count, 2);
    assert_int_equal(t->levels[0].sgx_comp[0], 3);
    assert_int_equal(t->levels[0].pcesvn, 11);
    assert_int_equal(t->levels[1].status, TDX_ST_SW_HARDENING_NEEDED);
    assert_int_equal(t->levels[1].adv.count, 2);
    assert_int_equal(t->module_count, 1);
    assert_int_equal(t->modules[0].level_count, 2);
    assert_int_equal(t->fmspc[0], 0x90);
    free(t);
    free(tcb_parse(LEVEL("3", "11", "4", "Great", ""), VT_E_FORMAT));
    free(tcb_parse(LEVEL("3", "-1", "4", "UpToDate", ""), VT_E_FORMAT));
    free(tcb_parse(LEVEL("256", "1", "4", "UpToDate", ""), VT_E_FORMAT));
    free(tcb_parse(LEVEL("3", "11", "4", "UpToDate", ",\"advisoryIDs\":[1]"), VT_E_FORMAT));
    free(tcb_parse("", VT_E_FORMAT)); /* no levels */
    {
        const char *sgx = "{\"id\":\"SGX\",\"version\":3}";
        vt__tdx_tcb_info *u = calloc(1, sizeof(*u));
        assert_int_equal(vt__tdx_tcb_info_parse(u, (const uint8_t *)sgx, strlen(sgx), NULL), VT_E_UNSUPPORTED);
        assert_int_equal(vt__tdx_tcb_info_parse(u, (const uint8_t *)"[]", 2, NULL), VT_E_FORMAT);
        free(u);
    }
}

static const char qe_ok[] =
    "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"2026-03-01T00:00:00Z\",\"nextUpdate\":\"2026-04-01T00:00:00Z\","
    "\"tcbEvaluationDataNumber\":18,\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
    "\"attributes\":\"11000000000000000000000000000000\",\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
    "\"mrsigner\":\"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5\",\"isvprodid\":2,"
    "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2024-11-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
    "{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2023-11-13T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
    "\"advisoryIDs\":[\"INTEL-SA-00002\"]}]}";

static void tcb_input(vt__tdx_tcb_input *in)
{
    static const uint8_t mrsigner[32] = { 0xdc, 0x9e, 0x2a, 0x7c, 0x6f, 0x94, 0x8f, 0x17, 0x47, 0x4e, 0x34,
                                          0xa7, 0xfc, 0x43, 0xed, 0x03, 0x0f, 0x7c, 0x15, 0x63, 0xf1, 0xba,
                                          0xbd, 0xdf, 0x63, 0x40, 0xc8, 0x2e, 0x0e, 0x54, 0xa8, 0xc5 };

    memset(in, 0, sizeof(*in));
    memset(in->pck_comp_svn, 3, 16);
    in->pck_pcesvn = 11;
    memset(in->tee_tcb_svn, 4, 16);
    memcpy(in->qe_mrsigner, mrsigner, 32);
    in->qe_attributes[0] = 0x11;
    in->qe_attributes[8] = 0xff; /* masked out */
    in->qe_isvprodid = 2;
    in->qe_isvsvn = 4;
}

static void test_tee_tdx__tcb_evaluate(void **state)
{
    vt__tdx_tcb_info *t = tcb_parse(
        LEVEL("3", "11", "4", "UpToDate", "") "," LEVEL("2", "10", "2", "SWHardeningNeeded",
        ",\"advisoryIDs\":[\"INTEL-SA-00615\"]") "," LEVEL("1", "5", "1", "ConfigurationNeeded",
        ",\"advisoryIDs\":[\"INTEL-SA-00615\",\"INTEL-SA-00001\"]") "," LEVEL("0", "0", "0", "OutOfDate",
        ",\"advisoryIDs\":[\"INTEL-SA-00009\"]"), VT_OK);
    vt__tdx_qe_identity *qe = calloc(1, sizeof(*qe));
    vt__tdx_tcb_input in;
    vt__tdx_tcb_eval ev;

    (void)state;
    assert_int_equal(vt__tdx_qe_identity_parse(qe, (const uint8_t *)qe_ok, strlen(qe_ok), NULL), VT_OK);
    /* TDX 1.0 (TEE_TCB_SVN[1] == 0): all 16 TDX components compared, no module identity */
    tcb_input(&in);
    in.tee_tcb_svn[1] = 0;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_int_equal(ev.platform, TDX_ST_OUT_OF_DATE); /* index 1 (0) compared: only the last level fits */
    assert_int_equal(ev.module, TDX_ST_UP_TO_DATE);
    assert_string_equal(ev.module_id, "");
    assert_true(ev.module_ok);
    assert_true(ev.qe_ok);
    assert_int_equal(ev.combined, TDX_ST_OUT_OF_DATE);
    assert_int_equal(ev.advisory_count, 1);
    assert_string_equal(ev.advisories[0], "INTEL-SA-00009");
    in.tee_tcb_svn[0] = 0;
    in.tee_tcb_svn[2] = 1;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_int_equal(ev.platform, TDX_ST_OUT_OF_DATE);
    /* TDX 1.5: indices 0 and 1 skipped, module TDX_0B looked up case-insensitively */
    tcb_input(&in);
    in.tee_tcb_svn[0] = 2;
    in.tee_tcb_svn[1] = 0x0b;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_int_equal(ev.platform, TDX_ST_UP_TO_DATE);
    assert_string_equal(ev.module_id, "TDX_0B");
    assert_int_equal(ev.module, TDX_ST_OUT_OF_DATE); /* isvsvn 2 < 3 */
    assert_int_equal(ev.combined, TDX_ST_OUT_OF_DATE);
    assert_int_equal(ev.advisory_count, 1);
    assert_string_equal(ev.advisories[0], "INTEL-SA-00001");
    /* module id absent from the TCB info: no match */
    in.tee_tcb_svn[1] = 0x0c;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_int_equal(ev.module, TDX_ST_NO_MATCH);
    assert_int_equal(ev.combined, TDX_ST_NO_MATCH);
    /* PCESVN below every level, and one SGX component below */
    tcb_input(&in);
    in.pck_pcesvn = 4;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_int_equal(ev.platform, TDX_ST_OUT_OF_DATE); /* only the catch-all level */
    tcb_input(&in);
    in.pck_comp_svn[15] = 0;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_int_equal(ev.platform, TDX_ST_OUT_OF_DATE);
    {
        vt__tdx_tcb_info *t1 = tcb_parse(LEVEL("3", "11", "4", "UpToDate", ""), VT_OK);
        tcb_input(&in);
        in.tee_tcb_svn[1] = 0x0b;
        vt__tdx_tcb_evaluate(&ev, t1, qe, &in);
        assert_int_equal(ev.combined, TDX_ST_UP_TO_DATE);
        in.pck_pcesvn = 10;
        vt__tdx_tcb_evaluate(&ev, t1, qe, &in);
        assert_int_equal(ev.platform, TDX_ST_NO_MATCH);
        assert_int_equal(ev.combined, TDX_ST_NO_MATCH);
        tcb_input(&in);
        in.tee_tcb_svn[1] = 0x0b;
        in.pck_comp_svn[15] = 2;
        vt__tdx_tcb_evaluate(&ev, t1, qe, &in);
        assert_int_equal(ev.platform, TDX_ST_NO_MATCH);
        tcb_input(&in);
        in.tee_tcb_svn[1] = 0x0b;
        in.tee_tcb_svn[15] = 3;
        vt__tdx_tcb_evaluate(&ev, t1, qe, &in);
        assert_int_equal(ev.platform, TDX_ST_NO_MATCH);
        free(t1);
    }
    /* config level + outdated QE converge to OutOfDateConfigurationNeeded, advisories de-duplicated */
    tcb_input(&in);
    memset(in.pck_comp_svn, 1, 16);
    in.tee_tcb_svn[1] = 0x0b;
    in.qe_isvsvn = 3;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_int_equal(ev.platform, TDX_ST_CONFIGURATION_NEEDED);
    assert_int_equal(ev.qe, TDX_ST_OUT_OF_DATE);
    assert_int_equal(ev.combined, TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED);
    assert_int_equal(ev.advisory_count, 3);
    /* QE below every level */
    tcb_input(&in);
    in.qe_isvsvn = 1;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_int_equal(ev.qe, TDX_ST_NO_MATCH);
    /* identity mismatches */
    tcb_input(&in);
    in.qe_mrsigner[0] ^= 1;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_false(ev.qe_ok);
    assert_non_null(strstr(ev.qe_problem, "mrsigner"));
    tcb_input(&in);
    in.qe_isvprodid = 1;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_false(ev.qe_ok);
    tcb_input(&in);
    in.qe_attributes[0] = 0x13; /* 0x15 would pass: bit 2 is masked out */
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_false(ev.qe_ok);
    tcb_input(&in);
    in.mrsignerseam[47] = 1;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_false(ev.module_ok);
    tcb_input(&in);
    in.seam_attributes[0] = 1;
    vt__tdx_tcb_evaluate(&ev, t, qe, &in);
    assert_false(ev.module_ok);
    free(qe);
    free(t);
}

static void test_tee_tdx__status_combine(void **state)
{
    static const struct {
        vt__tdx_status a, b, want;
    } cases[] = {
        { TDX_ST_UP_TO_DATE, TDX_ST_UP_TO_DATE, TDX_ST_UP_TO_DATE },
        { TDX_ST_UP_TO_DATE, TDX_ST_OUT_OF_DATE, TDX_ST_OUT_OF_DATE },
        { TDX_ST_SW_HARDENING_NEEDED, TDX_ST_OUT_OF_DATE, TDX_ST_OUT_OF_DATE },
        { TDX_ST_CONFIGURATION_NEEDED, TDX_ST_OUT_OF_DATE, TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED },
        { TDX_ST_CONFIGURATION_AND_SW_HARDENING_NEEDED, TDX_ST_UP_TO_DATE,
          TDX_ST_CONFIGURATION_AND_SW_HARDENING_NEEDED },
        { TDX_ST_SW_HARDENING_NEEDED, TDX_ST_CONFIGURATION_NEEDED, TDX_ST_CONFIGURATION_AND_SW_HARDENING_NEEDED },
        { TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED, TDX_ST_UP_TO_DATE, TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED },
        { TDX_ST_REVOKED, TDX_ST_UP_TO_DATE, TDX_ST_REVOKED },
        { TDX_ST_NO_MATCH, TDX_ST_UP_TO_DATE, TDX_ST_NO_MATCH },
        { TDX_ST_NO_MATCH, TDX_ST_REVOKED, TDX_ST_REVOKED },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(vt__tdx_status_combine(cases[i].a, cases[i].b), cases[i].want);
        assert_int_equal(vt__tdx_status_combine(cases[i].b, cases[i].a), cases[i].want);
    }
    assert_string_equal(vt__tdx_status_name(TDX_ST_NO_MATCH), "NoMatchingTcbLevel");
    assert_string_equal(vt__tdx_status_name(TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED), "OutOfDateConfigurationNeeded");
    assert_string_equal(vt__tdx_status_name((vt__tdx_status)99), "unknown");
}

/* ---- cache ---- */

typedef struct cval {
    vt__cached base;
    int id;
} cval;

static int destroyed;

static void cval_destroy(vt__cached *b)
{
    destroyed++;
    free(b);
}

static cval *cval_new(int id)
{
    cval *v = calloc(1, sizeof(*v));

    assert_non_null(v);
    vt__cached_init(&v->base, cval_destroy);
    v->id = id;
    return v;
}

static void key_of(uint8_t key[32], int i)
{
    memset(key, 0, 32);
    put_u32(key, (uint32_t)i);
}

static void test_tee_tdx__cache(void **state)
{
    vt_verify_cache *c = NULL;
    uint8_t k[32];
    cval *v, *got;

    (void)state;
    destroyed = 0;
    assert_int_equal(vt_verify_cache_new(&c, NULL), VT_OK);
    assert_null(vt__cache_get(NULL, 1, k, 0));
    key_of(k, 1);
    v = cval_new(1);
    vt__cache_put(c, 1, k, 100, 200, &v->base);
    vt__cached_release(&v->base); /* the cache holds its own reference */
    assert_null(vt__cache_get(c, 1, k, 99));  /* before the window */
    assert_null(vt__cache_get(c, 1, k, 201)); /* after */
    assert_null(vt__cache_get(c, 2, k, 150)); /* other kind */
    got = (cval *)vt__cache_get(c, 1, k, 150);
    assert_non_null(got);
    assert_int_equal(got->id, 1);
    /* replacing the key keeps our reference alive */
    v = cval_new(2);
    vt__cache_put(c, 1, k, 100, 200, &v->base);
    vt__cached_release(&v->base);
    assert_int_equal(destroyed, 0);
    assert_int_equal(got->id, 1);
    vt__cached_release(&got->base);
    assert_int_equal(destroyed, 1);
    /* bounded: the oldest goes first */
    for (int i = 2; i < VT_CACHE_ENTRIES + 10; i++) {
        key_of(k, i);
        v = cval_new(i);
        vt__cache_put(c, 1, k, 0, 10, &v->base);
        vt__cached_release(&v->base);
    }
    assert_int_equal(vt__cache_count(c), VT_CACHE_ENTRIES);
    key_of(k, 1);
    assert_null(vt__cache_get(c, 1, k, 150));
    key_of(k, VT_CACHE_ENTRIES + 9);
    got = (cval *)vt__cache_get(c, 1, k, 5);
    assert_non_null(got);
    vt__cached_release(&got->base);
    vt_verify_cache_free(c);
    assert_int_equal(destroyed, VT_CACHE_ENTRIES + 10);
    vt_verify_cache_free(NULL);
    assert_int_equal(vt_verify_cache_new(NULL, NULL), VT_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_tdx__quote_parse_codes),
        cmocka_unit_test(test_tee_tdx__verify_limit_and_args),
        cmocka_unit_test(test_tee_tdx__pck_extension),
        cmocka_unit_test(test_tee_tdx__signed_span),
        cmocka_unit_test(test_tee_tdx__tcb_info_parse),
        cmocka_unit_test(test_tee_tdx__tcb_evaluate),
        cmocka_unit_test(test_tee_tdx__status_combine),
        cmocka_unit_test(test_tee_tdx__cache),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
