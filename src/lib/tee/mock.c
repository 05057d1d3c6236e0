/*
 * The mock platform: a software P-256 key in the state directory signs a
 * small documented evidence format (docs/formats/mock.md).  It exercises the
 * whole API on any laptop, and it is never hardware attested: it can never
 * satisfy a policy that requires hardware.
 *
 * Layout (little-endian):
 *   0   8  magic "VTMOCK01"
 *   8   2  version (1)
 *   10  2  reserved (0)
 *   12  64 report_data
 *   76  8  timestamp (unix seconds, the collector's clock)
 *   84  48 mr: the software measurement register
 *   132 64 public key X||Y (P-256)
 *   196 64 signature r||s over bytes [0, 196), ECDSA P-256 / SHA-256
 *   260    total
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "tee/plugin.h"

#define MOCK_MAGIC "VTMOCK01"
#define MOCK_SIGNED_LEN 196
#define MOCK_LEN 260
#define MOCK_MR_LEN 48

struct mock_ev {
    uint16_t version;
    uint8_t report_data[64];
    uint64_t timestamp;
    uint8_t mr[MOCK_MR_LEN];
    uint8_t pub[64];
    uint8_t sig[64];
};

static bool mock_probe(const uint8_t *p, size_t len)
{
    return len >= 8 && memcmp(p, MOCK_MAGIC, 8) == 0;
}

static vt_status mock_parse(struct mock_ev *m, const uint8_t *p, size_t len, vt_err *err)
{
    vt_rd r;

    if (len != MOCK_LEN)
        return vt_err_set(err, VT_E_FORMAT, "mock: evidence is %zu bytes, expected %d", len, MOCK_LEN);
    vt_rd_init(&r, p, len);
    vt_rd_skip(&r, 8);
    m->version = vt_rd_u16le(&r);
    vt_rd_skip(&r, 2);
    vt_rd_copy(&r, m->report_data, sizeof(m->report_data));
    m->timestamp = vt_rd_u64le(&r);
    vt_rd_copy(&r, m->mr, sizeof(m->mr));
    vt_rd_copy(&r, m->pub, sizeof(m->pub));
    vt_rd_copy(&r, m->sig, sizeof(m->sig));
    if (!vt_rd_ok_and_empty(&r) || !mock_probe(p, len))
        return vt_err_set(err, VT_E_FORMAT, "mock: malformed evidence");
    if (m->version != 1)
        return vt_err_set(err, VT_E_UNSUPPORTED, "mock: version %u", m->version);
    return VT_OK;
}

static vt_status mock_key_path(char *out, size_t len, const char *state_dir, const char *file, vt_err *err)
{
    int n;

    if (state_dir == NULL || state_dir[0] == '\0')
        return vt_err_set(err, VT_E_ARG, "mock: no state directory");
    n = snprintf(out, len, "%s/mock/%s", state_dir, file);
    if (n < 0 || (size_t)n >= len)
        return vt_err_set(err, VT_E_ARG, "mock: state directory path too long");
    return VT_OK;
}

/* Loads the mock key, creating it (0600) on first use when create is set. */
static vt_status mock_key_load(vt_pkey **out, const char *state_dir, bool create, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char path[4096], dir[4096];
    vt_buf pem;
    vt_pkey *k = NULL;

    *out = NULL;
    vt_buf_init(&pem);
    rc = mock_key_path(path, sizeof(path), state_dir, "key.pem", err);
    if (rc != VT_OK)
        goto out;
    rc = vt_file_read(&pem, path, 64 * 1024, err);
    if (rc == VT_E_NOTFOUND && create) {
        snprintf(dir, sizeof(dir), "%s/mock", state_dir);
        rc = vt_mkdir_p(dir, 0700, err);
        if (rc == VT_OK)
            rc = vt_pkey_generate(&k, VT_KEY_EC_P256, err);
        if (rc == VT_OK)
            rc = vt_pkey_to_pem(&pem, k, true, err);
        if (rc == VT_OK)
            rc = vt_file_write(path, pem.data, pem.len, 0600, err);
        if (rc != VT_OK)
            goto out;
        *out = k;
        k = NULL;
        goto out;
    }
    if (rc != VT_OK)
        goto out;
    rc = vt_pkey_from_pem(&k, (const char *)pem.data, pem.len, err);
    if (rc != VT_OK)
        goto out;
    if (vt_pkey_type(k) != VT_KEY_EC_P256) {
        rc = vt_err_set(err, VT_E_FORMAT, "mock: %s is not a P-256 key", path);
        goto out;
    }
    *out = k;
    k = NULL;
out:
    vt_pkey_free(k);
    vt_buf_free(&pem);
    return rc;
}

static vt_status mock_collect(const vt__collect_req *req, vt_buf *out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const vt_collect_opts *o = req->opts;
    vt_pkey *k = NULL;
    vt_buf body, pub, sig, mr;
    char path[4096];
    uint64_t ts = (uint64_t)vt_time_now();
    uint8_t ts_le[8];

    vt_buf_init(&body);
    vt_buf_init(&pub);
    vt_buf_init(&sig);
    vt_buf_init(&mr);
    rc = mock_key_load(&k, o->state_dir, true, err);
    if (rc != VT_OK)
        goto out;
    rc = vt_pkey_public_raw(&pub, k, err);
    if (rc == VT_OK && pub.len != 64)
        rc = vt_err_set(err, VT_E_INTERNAL, "mock: public key is %zu bytes", pub.len);
    if (rc != VT_OK)
        goto out;
    /* The software register, extended by the measurement log when one exists. */
    rc = mock_key_path(path, sizeof(path), o->state_dir, "mr", err);
    if (rc != VT_OK)
        goto out;
    if (vt_file_read(&mr, path, MOCK_MR_LEN, NULL) != VT_OK || mr.len != MOCK_MR_LEN) {
        mr.len = 0;
        rc = vt_buf_reserve(&mr, MOCK_MR_LEN, err);
        if (rc != VT_OK)
            goto out;
        memset(mr.data, 0, MOCK_MR_LEN);
        mr.len = MOCK_MR_LEN;
    }
    for (int i = 0; i < 8; i++)
        ts_le[i] = (uint8_t)(ts >> (8 * i));
    rc = vt_buf_append(&body, MOCK_MAGIC, 8, err);
    if (rc == VT_OK)
        rc = vt_buf_append_u16le(&body, 1, err);
    if (rc == VT_OK)
        rc = vt_buf_append_u16le(&body, 0, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&body, o->report_data, VT_REPORT_DATA_LEN, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&body, ts_le, sizeof(ts_le), err);
    if (rc == VT_OK)
        rc = vt_buf_append(&body, mr.data, MOCK_MR_LEN, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&body, pub.data, pub.len, err);
    if (rc == VT_OK)
        rc = vt_ecdsa_sign_raw(&sig, k, VT_MD_SHA256, body.data, body.len, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&body, sig.data, sig.len, err);
    if (rc == VT_OK && body.len != MOCK_LEN)
        rc = vt_err_set(err, VT_E_INTERNAL, "mock: built %zu bytes", body.len);
    if (rc == VT_OK)
        rc = vt_buf_append(out, body.data, body.len, err);
out:
    vt_pkey_free(k);
    vt_buf_free(&body);
    vt_buf_free(&pub);
    vt_buf_free(&sig);
    vt_buf_free(&mr);
    return rc;
}

static vt_status mock_verify(const vt__verify_req *req, vt_result *res, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    struct mock_ev m;
    vt_pkey *k = NULL, *trusted = NULL;
    vt_buf tpub;
    vt_claims *c = &res->claims;
    char hex[129];

    vt_buf_init(&tpub);
    rc = mock_parse(&m, req->evidence, req->len, err);
    if (rc != VT_OK)
        goto out;
    c->platform = VT_TEE_MOCK;
    c->hardware_attested = false;
    c->version = m.version;
    memcpy(c->report_data, m.report_data, sizeof(c->report_data));
    vt__claims_add(c, "mr", m.mr, sizeof(m.mr));
    vt__claims_add(c, "public_key", m.pub, sizeof(m.pub));
    /* Mock evidence has no TCB to rate: not "unknown", which means missing collateral. */
    snprintf(c->tcb_status, sizeof(c->tcb_status), "%s", "none");
    vt_hex_encode(hex, m.pub, 32);
    vt__claims_add_signer(c, "mock_key", hex);

    rc = vt_pkey_from_ec_raw(&k, VT_KEY_EC_P256, m.pub, sizeof(m.pub), NULL);
    if (rc == VT_OK &&
        vt_ecdsa_verify_raw(k, VT_MD_SHA256, req->evidence, MOCK_SIGNED_LEN, m.sig, sizeof(m.sig), NULL) == VT_OK)
        res->signature_valid = true;
    else
        vt__result_fail(res, "signature", "mock: signature does not verify with the embedded key");
    rc = VT_OK;

    if (!req->opts->trust_sim) {
        vt__result_fail(res, "mock_key", "mock: mock evidence is trusted only with trust_sim (--trust-sim)");
    } else if (mock_key_load(&trusted, req->opts->state_dir, false, NULL) != VT_OK ||
               vt_pkey_public_raw(&tpub, trusted, NULL) != VT_OK || tpub.len != sizeof(m.pub) ||
               !vt_ct_equal(tpub.data, m.pub, sizeof(m.pub))) {
        vt__result_fail(res, "mock_key", "mock: signing key is not this state directory's mock key");
    } else {
        res->chain_valid = true;
    }
out:
    vt_pkey_free(k);
    vt_pkey_free(trusted);
    vt_buf_free(&tpub);
    return rc;
}

static vt_status mock_inspect(const uint8_t *p, size_t len, char **json_out, vt_err *err)
{
    struct mock_ev m;
    char rd[129], mr[97], pub[129], sig[129];
    json_t *o;
    vt_status rc = mock_parse(&m, p, len, err);

    *json_out = NULL;
    if (rc != VT_OK)
        return rc;
    vt_hex_encode(rd, m.report_data, 64);
    vt_hex_encode(mr, m.mr, 48);
    vt_hex_encode(pub, m.pub, 64);
    vt_hex_encode(sig, m.sig, 64);
    o = json_pack("{s:s, s:i, s:s, s:I, s:s, s:s, s:s, s:b}", "platform", "mock", "version", (int)m.version,
                  "report_data", rd, "timestamp", (json_int_t)m.timestamp, "mr", mr, "public_key", pub,
                  "signature", sig, "hardware_attested", 0);
    *json_out = o == NULL ? NULL : json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *json_out == NULL ? vt_err_set(err, VT_E_NOMEM, "mock: cannot serialize") : VT_OK;
}

const vt__tee_ops vt__tee_mock = {
    .abi = VT_TEE_OPS_ABI,
    .kind = VT_TEE_MOCK,
    .name = "mock",
    .caps = VT_TEE_CAN_COLLECT | VT_TEE_CAN_VERIFY,
    .probe = mock_probe,
    .detect = NULL,
    .collect = mock_collect,
    .verify = mock_verify,
    .inspect = mock_inspect,
};
