/* The TDX simulator (tee/tdx_sim.c, tee/sim_root.c): quotes in the real
 * v4/v5 layout, checked here by offset, and collateral in Intel PCS formats
 * with signatures over the exact JSON bytes. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tee/plugin.h"
#include "tee/sim_root.h"
#include "tee/tdx_format.h"

#define T0 1775001600 /* 2026-04-01T00:00:00Z */
#define DAY 86400

static uint16_t u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Where things are in a simulated quote. */
struct layout {
    size_t body, body_len, signed_len, sig; /* sig = start of signature data */
    uint32_t sig_len;
    size_t qe_report, auth, pem;
    uint16_t auth_len;
    uint32_t pem_len;
};

static void layout_of(struct layout *l, const vt_buf *q, int version)
{
    memset(l, 0, sizeof(*l));
    assert_true(q->len > 1024);
    assert_int_equal(u16(q->data), version);
    assert_int_equal(u16(q->data + 2), TDX_ATT_KEY_ECDSA_P256);
    assert_int_equal(u32(q->data + 4), TDX_TEE_TYPE);
    assert_int_equal(u32(q->data + 8), 0);
    assert_memory_equal(q->data + 12, TDX_QE_VENDOR_INTEL, 16);
    if (version == 4) {
        l->body = TDX_HEADER_LEN;
        l->body_len = TDX_BODY10_LEN;
    } else {
        assert_int_equal(u16(q->data + 48), TDX_V5_BODY_TDX15);
        assert_int_equal(u32(q->data + 50), TDX_BODY15_LEN);
        l->body = TDX_HEADER_LEN + 6;
        l->body_len = TDX_BODY15_LEN;
    }
    l->signed_len = l->body + l->body_len;
    l->sig_len = u32(q->data + l->signed_len);
    l->sig = l->signed_len + 4;
    assert_int_equal(q->len, l->sig + l->sig_len); /* no padding after */
    assert_int_equal(u16(q->data + l->sig + 128), TDX_CERT_QE_REPORT);
    assert_int_equal(u32(q->data + l->sig + 130), l->sig_len - 134);
    l->qe_report = l->sig + 134;
    l->auth_len = u16(q->data + l->sig + 582);
    assert_int_equal(l->auth_len, TDX_QE_AUTH_DATA_LEN);
    l->auth = l->sig + 584;
    assert_int_equal(u16(q->data + l->auth + l->auth_len), TDX_CERT_PCK_CHAIN);
    l->pem_len = u32(q->data + l->auth + l->auth_len + 2);
    l->pem = l->auth + l->auth_len + 6;
    assert_int_equal(l->pem + l->pem_len, q->len);
    assert_int_equal(q->data[q->len - 1], 0); /* trailing NUL like real quotes */
}

static void sim_opts(vt_sim_tdx_opts *o, const vt_test_state_dir *f, int version)
{
    memset(o, 0, sizeof(*o));
    o->version = version;
    o->now = T0;
    o->state_dir = f->state;
    for (int i = 0; i < 64; i++)
        o->report_data[i] = (uint8_t)(0xa0 ^ i);
}

static void make(vt_buf *q, vt_collateral **c, const vt_sim_tdx_opts *o)
{
    vt_err err = { 0 };

    vt_buf_init(q);
    if (c != NULL)
        assert_int_equal(vt_collateral_new(c, &err), VT_OK);
    if (vt_sim_tdx(q, c != NULL ? *c : NULL, o, &err) != VT_OK)
        fail_msg("vt_sim_tdx: %s", err.msg);
}

static const uint8_t *coll_get(const vt_collateral *c, const char *want, size_t *len)
{
    for (size_t i = 0; i < vt_collateral_count(c); i++) {
        const char *name = NULL;
        const uint8_t *p = vt_collateral_get(c, i, &name, len);
        if (strcmp(name, want) == 0)
            return p;
    }
    return NULL;
}

static void pem_chain(vt_x509 **out, size_t *n, size_t max, const uint8_t *p, size_t len)
{
    vt_err err = { 0 };

    *n = 0;
    if (vt_x509_list_from_pem(out, n, max, (const char *)p, len, &err) != VT_OK)
        fail_msg("pem: %s", err.msg);
}

static void free_certs(vt_x509 **c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vt_x509_free(c[i]);
}

/* ---- simulation root ---- */

static void test_tee_tdx_sim__root_created_once(void **state)
{
    vt_test_state_dir *f = *state;
    char path[1024], kp[1100];
    vt_x509 *a = NULL, *b = NULL;
    uint8_t fa[32], fb[32];
    struct stat st;
    char cn[128];
    vt_err err = { 0 };

    assert_int_equal(vt_sim_root_path(path, sizeof(path), f->state, &err), VT_OK);
    assert_non_null(strstr(path, "/sim/"));
    assert_int_equal(stat(path, &st), 0);
    snprintf(kp, sizeof(kp), "%s/sim", f->state);
    assert_int_equal(stat(kp, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    static const char *const keys[] = { "root_ca.key", "tdx_pck_platform_ca.key", "tdx_tcb_signing.key",
                                        "tdx_qe_attestation.key" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(kp, sizeof(kp), "%s/sim/%s", f->state, keys[i]);
        assert_int_equal(stat(kp, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    assert_int_equal(vt__sim_root_load(&a, f->state, &err), VT_OK);
    assert_int_equal(vt__sim_root_load(&b, f->state, &err), VT_OK);
    vt_x509_fingerprint(a, fa);
    vt_x509_fingerprint(b, fb);
    assert_memory_equal(fa, fb, 32);
    vt_x509_subject_cn(a, cn, sizeof(cn));
    assert_string_equal(cn, "veritee Simulation Root CA");
    vt_x509_free(a);
    vt_x509_free(b);
    /* A second path lookup changes nothing. */
    assert_int_equal(vt_sim_root_path(kp, sizeof(kp), f->state, &err), VT_OK);
    assert_string_equal(kp, path);
    assert_int_equal(vt_sim_root_path(kp, 8, f->state, &err), VT_E_LIMIT);
    assert_int_equal(vt_sim_root_path(kp, sizeof(kp), NULL, &err), VT_E_ARG);
}

static void test_tee_tdx_sim__root_reused_by_quotes(void **state)
{
    vt_test_state_dir *f = *state;
    vt_sim_tdx_opts o;
    vt_buf q1, q2;
    struct layout l1, l2;
    vt_x509 *c1[3], *c2[3], *root = NULL;
    size_t n1, n2;
    uint8_t a[32], b[32];
    vt_err err = { 0 };

    sim_opts(&o, f, 4);
    make(&q1, NULL, &o);
    make(&q2, NULL, &o);
    layout_of(&l1, &q1, 4);
    layout_of(&l2, &q2, 4);
    pem_chain(c1, &n1, 3, q1.data + l1.pem, l1.pem_len);
    pem_chain(c2, &n2, 3, q2.data + l2.pem, l2.pem_len);
    assert_int_equal(n1, 3);
    assert_int_equal(n2, 3);
    for (size_t i = 1; i < 3; i++) { /* same CA, fresh leaf */
        vt_x509_fingerprint(c1[i], a);
        vt_x509_fingerprint(c2[i], b);
        assert_memory_equal(a, b, 32);
    }
    assert_int_equal(vt__sim_root_load(&root, f->state, &err), VT_OK);
    vt_x509_fingerprint(root, b);
    assert_memory_equal(a, b, 32);
    /* The attestation key is stored, so both quotes carry the same one. */
    assert_memory_equal(q1.data + l1.sig + 64, q2.data + l2.sig + 64, 64);
    vt_x509_free(root);
    free_certs(c1, n1);
    free_certs(c2, n2);
    vt_buf_free(&q1);
    vt_buf_free(&q2);
}

/* Several processes making the CA at once end up with one consistent CA. */
static void test_tee_tdx_sim__root_race(void **state)
{
    vt_test_state_dir *f = *state;
    char dir[600];
    int fds[2];
    pid_t pids[4];
    uint8_t got[4][64], want[64];
    vt__sim_ca ca;
    vt_x509 *chain[1];
    vt_chain_result cr;
    vt_err err = { 0 };

    snprintf(dir, sizeof(dir), "%s/race", f->state);
    assert_int_equal(pipe(fds), 0);
    for (int i = 0; i < 4; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            vt__sim_ca c;
            uint8_t out[64];
            close(fds[0]);
            if (vt__sim_ca_load(&c, dir, NULL) != VT_OK)
                _exit(1);
            vt_x509_fingerprint(c.root, out);
            vt_x509_fingerprint(c.pck_ca, out + 32);
            vt__sim_ca_clear(&c);
            _exit(write(fds[1], out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
        }
    }
    close(fds[1]);
    for (int i = 0; i < 4; i++) {
        int st = 0;
        assert_int_equal(read(fds[0], got[i], 64), 64);
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    close(fds[0]);
    assert_int_equal(vt__sim_ca_load(&ca, dir, &err), VT_OK);
    vt_x509_fingerprint(ca.root, want);
    vt_x509_fingerprint(ca.pck_ca, want + 32);
    for (int i = 0; i < 4; i++)
        assert_memory_equal(got[i], want, 64);
    /* Keys and certificates on disk belong together. */
    chain[0] = ca.pck_ca;
    assert_int_equal(vt_chain_verify(&cr, chain, 1, &ca.root, 1, NULL, 0, T0, &err), VT_OK);
    vt__sim_ca_clear(&ca);
}

/* A certificate without its key is an error that says how to recover, not a silent new CA. */
static void test_tee_tdx_sim__root_missing_key(void **state)
{
    vt_test_state_dir *f = *state;
    char dir[600], path[700];
    vt__sim_ca ca;
    vt_x509 *root = NULL;
    vt_err err = { 0 };

    snprintf(dir, sizeof(dir), "%s/broken", f->state);
    assert_int_equal(vt__sim_ca_load(&ca, dir, &err), VT_OK);
    vt__sim_ca_clear(&ca);
    snprintf(path, sizeof(path), "%s/sim/tdx_pck_platform_ca.key", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(vt__sim_ca_load(&ca, dir, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "no key"));
    assert_null(ca.root);
    /* The root alone (what a verifier needs) still loads. */
    assert_int_equal(vt__sim_root_load(&root, dir, &err), VT_OK);
    vt_x509_free(root);
    /* A state_dir that is a file cannot hold a CA. */
    snprintf(path, sizeof(path), "%s/sim/root_ca.pem", dir);
    assert_int_not_equal(vt__sim_ca_load(&ca, path, &err), VT_OK);
}

/* ---- quote layout and signatures ---- */

static void check_quote(const vt_test_state_dir *f, int version, bool debug)
{
    vt_sim_tdx_opts o;
    vt_buf q, auth_in = { 0 };
    struct layout l;
    vt_pkey *att = NULL, *pck = NULL;
    vt_x509 *chain[3], *roots[1] = { NULL };
    size_t n;
    uint8_t h[32], zero[32] = { 0 };
    const uint8_t *rep;
    vt_chain_result cr;
    char cn[128];
    vt_err err = { 0 };

    sim_opts(&o, f, version);
    o.debug = debug;
    make(&q, NULL, &o);
    layout_of(&l, &q, version);

    /* Body fields by offset. */
    assert_memory_equal(q.data + l.body + TDX_B_REPORTDATA, o.report_data, 64);
    assert_int_equal(q.data[l.body + TDX_B_TD_ATTRIBUTES] & TDX_TD_ATTR_DEBUG, debug ? 1 : 0);
    assert_int_equal(q.data[l.body + TDX_B_TD_ATTRIBUTES + 3], 0x10); /* SEPT_VE_DISABLE */
    assert_int_equal(q.data[l.body + TDX_B_TEE_TCB_SVN + 1], 1);       /* TDX module 1.x */
    assert_memory_equal(q.data + l.body + TDX_B_MRSIGNERSEAM, zero, 32);
    assert_memory_not_equal(q.data + l.body + TDX_B_MRTD, zero, 32);

    /* Quote signature: attestation key over header..body. */
    assert_int_equal(vt_pkey_from_ec_raw(&att, VT_KEY_EC_P256, q.data + l.sig + 64, 64, &err), VT_OK);
    assert_int_equal(vt_ecdsa_verify_raw(att, VT_MD_SHA256, q.data, l.signed_len, q.data + l.sig, 64, &err), VT_OK);
    assert_int_not_equal(vt_ecdsa_verify_raw(att, VT_MD_SHA256, q.data, l.signed_len - 1, q.data + l.sig, 64, NULL),
                         VT_OK);

    /* QE report: ISVPRODID 2, REPORTDATA = SHA-256(att key ‖ auth) ‖ 0^32. */
    rep = q.data + l.qe_report;
    assert_int_equal(u16(rep + SGX_R_ISVPRODID), 2);
    assert_int_equal(rep[SGX_R_ATTRIBUTES], 0x15);
    assert_int_equal(vt_buf_append(&auth_in, q.data + l.sig + 64, 64, &err), VT_OK);
    assert_int_equal(vt_buf_append(&auth_in, q.data + l.auth, l.auth_len, &err), VT_OK);
    assert_int_equal(vt_digest(VT_MD_SHA256, auth_in.data, auth_in.len, h, &err), VT_OK);
    assert_memory_equal(rep + SGX_R_REPORTDATA, h, 32);
    assert_memory_equal(rep + SGX_R_REPORTDATA + 32, zero, 32);

    /* PCK chain: 3 certificates, leaf signs the QE report, anchored in the sim root. */
    pem_chain(chain, &n, 3, q.data + l.pem, l.pem_len);
    assert_int_equal(n, 3);
    vt_x509_subject_cn(chain[0], cn, sizeof(cn));
    assert_string_equal(cn, "veritee Simulation PCK Certificate");
    vt_x509_subject_cn(chain[1], cn, sizeof(cn));
    assert_string_equal(cn, "veritee Simulation PCK Platform CA");
    assert_int_equal(vt_x509_pubkey(&pck, chain[0], &err), VT_OK);
    assert_int_equal(vt_ecdsa_verify_raw(pck, VT_MD_SHA256, rep, TDX_QE_REPORT_LEN, rep + TDX_QE_REPORT_LEN, 64, &err),
                     VT_OK);
    assert_int_equal(vt__sim_root_load(&roots[0], f->state, &err), VT_OK);
    assert_int_equal(vt_chain_verify(&cr, chain, 2, roots, 1, NULL, 0, T0, &err), VT_OK);
    assert_true(cr.not_before <= T0 - DAY);

    vt_x509_free(roots[0]);
    free_certs(chain, n);
    vt_pkey_free(att);
    vt_pkey_free(pck);
    vt_buf_free(&auth_in);
    vt_buf_free(&q);
}

static void test_tee_tdx_sim__v4_quote(void **state) { check_quote(*state, 4, false); }
static void test_tee_tdx_sim__v5_quote(void **state) { check_quote(*state, 5, false); }
static void test_tee_tdx_sim__v4_debug(void **state) { check_quote(*state, 4, true); }
static void test_tee_tdx_sim__v5_debug(void **state) { check_quote(*state, 5, true); }

static void test_tee_tdx_sim__v5_body_tail(void **state)
{
    vt_test_state_dir *f = *state;
    vt_sim_tdx_opts o;
    vt_buf q;
    struct layout l;
    uint8_t zero[48] = { 0 };

    sim_opts(&o, f, 5);
    make(&q, NULL, &o);
    layout_of(&l, &q, 5);
    assert_int_equal(l.sig, 706); /* 58 + 648 */
    assert_memory_equal(q.data + l.body + TDX_B_TEE_TCB_SVN2, q.data + l.body + TDX_B_TEE_TCB_SVN, 16);
    assert_memory_equal(q.data + l.body + TDX_B_MRSERVICETD, zero, 48);
    assert_memory_equal(q.data + 574, o.report_data, 64);
    vt_buf_free(&q);
}

static void test_tee_tdx_sim__pck_extension(void **state)
{
    vt_test_state_dir *f = *state;
    vt_sim_tdx_opts o;
    vt_buf q;
    struct layout l;
    vt_x509 *chain[3];
    size_t n, len = 0;
    const uint8_t *der = NULL;
    /* SEQUENCE { OID 1.2.840.113741.1.13.1.4, OCTET STRING 00ee00000000 } */
    static const uint8_t fmspc[] = { 0x30, 0x14, 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01,
                                     0x04, 0x04, 0x06, 0x00, 0xee, 0x00, 0x00, 0x00, 0x00 };
    /* SEQUENCE { OID ...1.2.17, INTEGER 13 } (PCESVN) */
    static const uint8_t pcesvn[] = { 0x30, 0x10, 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d,
                                      0x01, 0x0d, 0x01, 0x02, 0x11, 0x02, 0x01, 0x0d };
    /* SEQUENCE { OID ...1.2.18, OCTET STRING(16) CPUSVN } */
    static const uint8_t cpusvn_hdr[] = { 0x30, 0x1f, 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d,
                                          0x01, 0x0d, 0x01, 0x02, 0x12, 0x04, 0x10 };
    const uint8_t *cpusvn;
    vt_err err = { 0 };

    sim_opts(&o, f, 4);
    make(&q, NULL, &o);
    layout_of(&l, &q, 4);
    pem_chain(chain, &n, 3, q.data + l.pem, l.pem_len);
    assert_int_equal(vt_x509_ext(chain[0], SGX_EXT_OID, &der, &len, &err), VT_OK);
    assert_int_equal(der[0], 0x30);
    assert_int_equal(len, 554); /* the size of a real Platform-CA PCK extension */
    assert_non_null(memmem(der, len, fmspc, sizeof(fmspc)));
    assert_non_null(memmem(der, len, pcesvn, sizeof(pcesvn)));
    cpusvn = memmem(der, len, cpusvn_hdr, sizeof(cpusvn_hdr));
    assert_non_null(cpusvn);
    /* The CPUSVN in the QE report is the platform's. */
    assert_memory_equal(q.data + l.qe_report + SGX_R_CPUSVN, cpusvn + sizeof(cpusvn_hdr), 16);
    free_certs(chain, n);
    vt_buf_free(&q);
}

/* ---- one simulated machine (same_machine) ---- */

/* The leaf PCK certificate's PEM in a quote. */
static void leaf_pem(vt_buf *out, const vt_buf *q)
{
    struct layout l;
    const char *end = "-----END CERTIFICATE-----";
    const uint8_t *e;
    vt_err err = { 0 };

    layout_of(&l, q, 4);
    e = memmem(q->data + l.pem, l.pem_len, end, strlen(end));
    assert_non_null(e);
    vt_buf_init(out);
    assert_int_equal(vt_buf_append(out, q->data + l.pem, (size_t)(e - (q->data + l.pem)), &err), VT_OK);
}

static bool coll_equal(const vt_collateral *a, const vt_collateral *b)
{
    if (vt_collateral_count(a) != vt_collateral_count(b))
        return false;
    for (size_t i = 0; i < vt_collateral_count(a); i++) {
        const char *na = NULL, *nb = NULL;
        size_t la = 0, lb = 0;
        const uint8_t *pa = vt_collateral_get(a, i, &na, &la), *pb = vt_collateral_get(b, i, &nb, &lb);
        if (strcmp(na, nb) != 0 || la != lb || memcmp(pa, pb, la) != 0)
            return false;
    }
    return true;
}

static void test_tee_tdx_sim__same_machine(void **state)
{
    vt_test_state_dir *f = *state;
    vt_sim_tdx_opts o;
    vt_buf q1, q2, q3, q4, l1, l2, l3, l4;
    vt_collateral *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL;

    sim_opts(&o, f, 4);
    o.same_machine = true;
    make(&q1, &c1, &o);
    o.now = T0 + 600; /* ten minutes later: the same PCK and the same collateral */
    o.report_data[0] ^= 1;
    make(&q2, &c2, &o);
    leaf_pem(&l1, &q1);
    leaf_pem(&l2, &q2);
    assert_int_equal(l1.len, l2.len);
    assert_memory_equal(l1.data, l2.data, l1.len);
    assert_true(coll_equal(c1, c2));
    assert_false(q1.len == q2.len && memcmp(q1.data, q2.data, q1.len) == 0); /* the quote itself is fresh */
    /* The certification data (QE report, its signature by the PCK, the chain) is made once per
     * machine, as a QE certifies its attestation key once: the same bytes in both quotes. */
    {
        struct layout a, b;
        layout_of(&a, &q1, 4);
        layout_of(&b, &q2, 4);
        assert_int_equal(q1.len - a.qe_report, q2.len - b.qe_report);
        assert_memory_equal(q1.data + a.qe_report, q2.data + b.qe_report, q1.len - a.qe_report);
    }

    o.now = T0 + 2 * 3600; /* two hours on: the machine stays, its collateral is reissued */
    make(&q3, &c3, &o);
    leaf_pem(&l3, &q3);
    assert_memory_equal(l1.data, l3.data, l1.len);
    assert_false(coll_equal(c1, c3));

    o.same_machine = false; /* a new machine per call, as before */
    make(&q4, &c4, &o);
    leaf_pem(&l4, &q4);
    assert_false(l4.len == l1.len && memcmp(l4.data, l1.data, l1.len) == 0);
    {
        struct layout a, d;
        layout_of(&a, &q1, 4);
        layout_of(&d, &q4, 4); /* another machine: another QE report signature */
        assert_false(q1.len - a.qe_report == q4.len - d.qe_report &&
                     memcmp(q1.data + a.qe_report, q4.data + d.qe_report, q1.len - a.qe_report) == 0);
    }

    vt_buf_free(&q1), vt_buf_free(&q2), vt_buf_free(&q3), vt_buf_free(&q4);
    vt_buf_free(&l1), vt_buf_free(&l2), vt_buf_free(&l3), vt_buf_free(&l4);
    vt_collateral_free(c1), vt_collateral_free(c2), vt_collateral_free(c3), vt_collateral_free(c4);
}

/* A machine belongs to its simulation root: a new root is a new machine, and a revoked-CRL
 * request is not answered from the cached collateral. */
static void test_tee_tdx_sim__same_machine_new_root(void **state)
{
    vt_test_state_dir *f = *state;
    vt_sim_tdx_opts o;
    vt_buf q1, q2, l1, l2;
    vt_collateral *c1 = NULL, *c2 = NULL;

    sim_opts(&o, f, 4);
    o.same_machine = true;
    make(&q1, &c1, &o);
    o.revoked = true;
    make(&q2, &c2, &o);
    assert_false(coll_equal(c1, c2));
    vt_buf_free(&q2);
    vt_collateral_free(c2);

    vt_test_rmdir(f->state);
    vt_test_mkdtemp(f->state, sizeof(f->state));
    o.state_dir = f->state;
    o.revoked = false;
    make(&q2, NULL, &o);
    leaf_pem(&l1, &q1);
    leaf_pem(&l2, &q2);
    assert_false(l1.len == l2.len && memcmp(l1.data, l2.data, l1.len) == 0);
    vt_buf_free(&q1), vt_buf_free(&q2), vt_buf_free(&l1), vt_buf_free(&l2);
    vt_collateral_free(c1);
}

static void test_tee_tdx_sim__bad_args(void **state)
{
    vt_test_state_dir *f = *state;
    vt_sim_tdx_opts o;
    vt_buf q = { 0 };
    vt_err err = { 0 };

    sim_opts(&o, f, 3);
    assert_int_equal(vt_sim_tdx(&q, NULL, &o, &err), VT_E_ARG);
    sim_opts(&o, f, 4);
    o.now = 0;
    assert_int_equal(vt_sim_tdx(&q, NULL, &o, &err), VT_E_ARG);
    sim_opts(&o, f, 4);
    o.state_dir = NULL;
    assert_int_equal(vt_sim_tdx(&q, NULL, &o, &err), VT_E_ARG);
    assert_int_equal(q.len, 0);
}

/* ---- collateral ---- */

/* Splits {"<key>":<inner>,"signature":"<hex>"} and verifies the signature over inner. */
static void check_signed_json(const uint8_t *p, size_t len, const char *key, const vt_collateral *c,
                              const char *chain_name, json_t **inner_out)
{
    char prefix[64];
    const char *s = (const char *)p, *sig;
    size_t plen, inner_len, chain_len = 0;
    const uint8_t *chain_pem = coll_get(c, chain_name, &chain_len);
    vt_x509 *chain[2];
    size_t n;
    vt_pkey *k = NULL;
    uint8_t rs[64];
    json_error_t je;
    vt_err err = { 0 };

    snprintf(prefix, sizeof(prefix), "{\"%s\":", key);
    plen = strlen(prefix);
    assert_non_null(chain_pem);
    assert_true(len > plen + 150);
    assert_memory_equal(s, prefix, plen);
    assert_memory_equal(s + len - 2, "\"}", 2);
    sig = s + len - 2 - 128;
    assert_memory_equal(sig - 14, ",\"signature\":\"", 14);
    inner_len = (size_t)(sig - 14 - (s + plen));
    assert_int_equal(vt_hex_decode(rs, 64, sig, 128, &err), VT_OK);

    pem_chain(chain, &n, 2, chain_pem, chain_len);
    assert_int_equal(n, 2);
    assert_int_equal(vt_x509_pubkey(&k, chain[0], &err), VT_OK);
    assert_int_equal(vt_ecdsa_verify_raw(k, VT_MD_SHA256, s + plen, inner_len, rs, 64, &err), VT_OK);
    /* One byte less is not what was signed. */
    assert_int_not_equal(vt_ecdsa_verify_raw(k, VT_MD_SHA256, s + plen, inner_len - 1, rs, 64, NULL), VT_OK);
    *inner_out = json_loadb(s + plen, inner_len, 0, &je);
    assert_non_null(*inner_out);
    vt_pkey_free(k);
    free_certs(chain, n);
}

static void test_tee_tdx_sim__collateral_default(void **state)
{
    vt_test_state_dir *f = *state;
    vt_sim_tdx_opts o;
    vt_buf q;
    vt_collateral *c = NULL;
    const uint8_t *p;
    size_t len;
    json_t *ti = NULL, *qi = NULL, *lv;
    char date[32];

    sim_opts(&o, f, 5);
    make(&q, &c, &o);
    assert_int_equal(vt_collateral_count(c), 7);
    p = coll_get(c, "tcb_info_00ee00000000.json", &len);
    assert_non_null(p);
    check_signed_json(p, len, "tcbInfo", c, "tcb_signing_chain.pem", &ti);
    assert_string_equal(json_string_value(json_object_get(ti, "id")), "TDX");
    assert_int_equal(json_integer_value(json_object_get(ti, "version")), 3);
    assert_string_equal(json_string_value(json_object_get(ti, "fmspc")), "00ee00000000");
    vt_time_format(date, T0 - DAY);
    assert_string_equal(json_string_value(json_object_get(ti, "issueDate")), date);
    vt_time_format(date, T0 + 29 * DAY);
    assert_string_equal(json_string_value(json_object_get(ti, "nextUpdate")), date);
    lv = json_array_get(json_object_get(ti, "tcbLevels"), 0);
    assert_string_equal(json_string_value(json_object_get(lv, "tcbStatus")), "UpToDate");
    assert_int_equal(json_array_size(json_object_get(json_object_get(lv, "tcb"), "sgxtcbcomponents")), 16);
    assert_int_equal(json_array_size(json_object_get(json_object_get(lv, "tcb"), "tdxtcbcomponents")), 16);
    lv = json_array_get(json_object_get(ti, "tdxModuleIdentities"), 0);
    assert_string_equal(json_string_value(json_object_get(lv, "id")), "TDX_01");

    p = coll_get(c, "td_qe_identity.json", &len);
    assert_non_null(p);
    check_signed_json(p, len, "enclaveIdentity", c, "qe_identity_signing_chain.pem", &qi);
    assert_string_equal(json_string_value(json_object_get(qi, "id")), "TD_QE");
    assert_int_equal(json_integer_value(json_object_get(qi, "isvprodid")), 2);

    assert_non_null(coll_get(c, "pck_crl_platform.der", &len));
    assert_non_null(coll_get(c, "pck_crl_issuer_chain.pem", &len));
    assert_non_null(coll_get(c, "root_ca_crl.der", &len));
    json_decref(ti);
    json_decref(qi);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static void test_tee_tdx_sim__collateral_out_of_date(void **state)
{
    vt_test_state_dir *f = *state;
    vt_sim_tdx_opts o;
    vt_buf q;
    vt_collateral *c = NULL;
    const uint8_t *p;
    size_t len;
    json_t *ti = NULL, *lv;

    sim_opts(&o, f, 4);
    o.out_of_date = true;
    make(&q, &c, &o);
    p = coll_get(c, "tcb_info_00ee00000000.json", &len);
    assert_non_null(p);
    check_signed_json(p, len, "tcbInfo", c, "tcb_signing_chain.pem", &ti);
    lv = json_array_get(json_object_get(ti, "tcbLevels"), 0);
    assert_string_equal(json_string_value(json_object_get(lv, "tcbStatus")), "UpToDate");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(lv, "tcb"), "pcesvn")), 14);
    lv = json_array_get(json_object_get(ti, "tcbLevels"), 1);
    assert_string_equal(json_string_value(json_object_get(lv, "tcbStatus")), "OutOfDate");
    assert_int_equal(json_array_size(json_object_get(lv, "advisoryIDs")), 2);
    json_decref(ti);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static void check_pck_crl(const vt_test_state_dir *f, bool revoked)
{
    vt_sim_tdx_opts o;
    vt_buf q;
    struct layout l;
    vt_collateral *c = NULL;
    vt_x509 *chain[3], *root = NULL;
    vt_crl *crls[2] = { NULL, NULL };
    size_t n, len;
    const uint8_t *p;
    vt_chain_result cr;
    vt_err err = { 0 };

    sim_opts(&o, f, 4);
    o.revoked = revoked;
    make(&q, &c, &o);
    layout_of(&l, &q, 4);
    pem_chain(chain, &n, 3, q.data + l.pem, l.pem_len);
    p = coll_get(c, "pck_crl_platform.der", &len);
    assert_non_null(p);
    assert_int_equal(vt_crl_parse(&crls[0], p, len, &err), VT_OK);
    p = coll_get(c, "root_ca_crl.der", &len);
    assert_non_null(p);
    assert_int_equal(vt_crl_parse(&crls[1], p, len, &err), VT_OK);
    assert_int_equal(vt__sim_root_load(&root, f->state, &err), VT_OK);
    if (revoked) {
        assert_int_equal(vt_chain_verify(&cr, chain, 3, &root, 1, crls, 2, T0, &err), VT_E_CRYPTO);
    } else {
        assert_int_equal(vt_chain_verify(&cr, chain, 3, &root, 1, crls, 2, T0, &err), VT_OK);
        assert_int_equal(cr.crls_checked, 2);
    }
    vt_crl_free(crls[0]);
    vt_crl_free(crls[1]);
    vt_x509_free(root);
    free_certs(chain, n);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static void test_tee_tdx_sim__crl_not_revoked(void **state) { check_pck_crl(*state, false); }
static void test_tee_tdx_sim__crl_revoked(void **state) { check_pck_crl(*state, true); }

static void test_tee_tdx_sim__no_crl(void **state)
{
    vt_test_state_dir *f = *state;
    vt_sim_tdx_opts o;
    vt_buf q;
    vt_collateral *c = NULL;
    size_t len;

    sim_opts(&o, f, 4);
    o.no_crl = true;
    make(&q, &c, &o);
    assert_int_equal(vt_collateral_count(c), 4);
    assert_null(coll_get(c, "pck_crl_platform.der", &len));
    assert_null(coll_get(c, "root_ca_crl.der", &len));
    assert_non_null(coll_get(c, "tcb_info_00ee00000000.json", &len));
    vt_collateral_free(c);
    vt_buf_free(&q);
}

/* A test with a fresh state directory of its own. */
#define IN_STATE_DIR(t) cmocka_unit_test_setup_teardown(t, vt_test_state_dir_setup, vt_test_state_dir_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_tdx_sim__root_created_once),
        cmocka_unit_test(test_tee_tdx_sim__root_reused_by_quotes),
        cmocka_unit_test(test_tee_tdx_sim__root_race),
        cmocka_unit_test(test_tee_tdx_sim__root_missing_key),
        cmocka_unit_test(test_tee_tdx_sim__v4_quote),
        cmocka_unit_test(test_tee_tdx_sim__v5_quote),
        cmocka_unit_test(test_tee_tdx_sim__v4_debug),
        cmocka_unit_test(test_tee_tdx_sim__v5_debug),
        cmocka_unit_test(test_tee_tdx_sim__v5_body_tail),
        cmocka_unit_test(test_tee_tdx_sim__pck_extension),
        cmocka_unit_test(test_tee_tdx_sim__bad_args),
        cmocka_unit_test(test_tee_tdx_sim__collateral_default),
        cmocka_unit_test(test_tee_tdx_sim__collateral_out_of_date),
        cmocka_unit_test(test_tee_tdx_sim__crl_not_revoked),
        cmocka_unit_test(test_tee_tdx_sim__crl_revoked),
        cmocka_unit_test(test_tee_tdx_sim__no_crl),
        IN_STATE_DIR(test_tee_tdx_sim__same_machine),
        IN_STATE_DIR(test_tee_tdx_sim__same_machine_new_root),
    };
    return cmocka_run_group_tests(tests, vt_test_state_dir_setup, vt_test_state_dir_teardown);
}
