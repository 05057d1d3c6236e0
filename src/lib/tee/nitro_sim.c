/*
 * Nitro simulator: an attestation document as the Nitro Secure Module returns
 * it (untagged COSE_Sign1, protected header {1: -35} = ES384, empty
 * unprotected map, payload map in AWS's key order, raw r||s signature), signed
 * by a fresh P-384 leaf under a fresh "zonal" CA issued by the simulation
 * root.  cabundle[0] is the simulation root byte for byte, so the Nitro
 * verifier (tee/nitro.c) accepts it only with trust_sim and never as hardware.
 * The CBOR is written by hand: canonical heads, definite lengths only.
 */
#include <stdio.h>
#include <string.h>

#include "tee/nitro_doc.h"
#include "tee/nitro_nsm_sim.h"
#include "tee/sim_root.h"
#include "veritee/sim.h"

#define SIM_HOUR 3600
#define VT_SIM_NITRO_ORG "veritee simulation (not AWS, not hardware)"
#define VT_SIM_NITRO_CA_CN "veritee Simulation Nitro zonal CA"
#define VT_SIM_NITRO_LEAF_CN "i-0123456789abcdef0-enc0123456789abcdef.sim.nitro-enclaves"
#define SIM_PCRS 16

/* ---- a minimal canonical CBOR writer ---- */

static vt_status cbor_head(vt_buf *b, unsigned major, uint64_t v, vt_err *err)
{
    uint8_t h[9];
    size_t n;

    if (v < 24) {
        h[0] = (uint8_t)(major << 5 | v);
        n = 1;
    } else if (v <= 0xff) {
        h[0] = (uint8_t)(major << 5 | 24);
        h[1] = (uint8_t)v;
        n = 2;
    } else if (v <= 0xffff) {
        h[0] = (uint8_t)(major << 5 | 25);
        h[1] = (uint8_t)(v >> 8);
        h[2] = (uint8_t)v;
        n = 3;
    } else if (v <= 0xffffffffu) {
        h[0] = (uint8_t)(major << 5 | 26);
        for (int i = 0; i < 4; i++)
            h[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        n = 5;
    } else {
        h[0] = (uint8_t)(major << 5 | 27);
        for (int i = 0; i < 8; i++)
            h[1 + i] = (uint8_t)(v >> (56 - 8 * i));
        n = 9;
    }
    return vt_buf_append(b, h, n, err);
}

static vt_status cbor_bytes(vt_buf *b, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = cbor_head(b, 2, len, err);
    return rc == VT_OK && len > 0 ? vt_buf_append(b, p, len, err) : rc;
}

static vt_status cbor_text(vt_buf *b, const char *s, vt_err *err)
{
    size_t len = strlen(s);
    vt_status rc = cbor_head(b, 3, len, err);
    return rc == VT_OK ? vt_buf_append(b, s, len, err) : rc;
}

/* An optional field: bstr when given, null otherwise (what the NSM sends). */
static vt_status cbor_opt(vt_buf *b, const char *key, const uint8_t *p, size_t len, bool present, vt_err *err)
{
    static const uint8_t null = 0xf6;
    vt_status rc = cbor_text(b, key, err);

    if (rc != VT_OK)
        return rc;
    return present ? cbor_bytes(b, p, len, err) : vt_buf_append(b, &null, 1, err);
}

/* ---- certificates ---- */

static vt_status sim_cert(vt_x509 **out, vt_pkey **key_out, const char *cn, bool ca, vt_time nb, vt_time na,
                          const vt_x509 *issuer, const vt_pkey *issuer_key, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_x509_spec spec;
    vt_pkey *k = NULL;

    *out = NULL;
    *key_out = NULL;
    memset(&spec, 0, sizeof(spec));
    spec.subject_cn = cn;
    spec.subject_o = VT_SIM_NITRO_ORG;
    spec.not_before = nb;
    spec.not_after = na;
    spec.ca = ca;
    spec.pathlen = ca ? 0 : -1;
    rc = vt__sim_random_serial(&spec.serial, err);
    if (rc == VT_OK)
        rc = vt_pkey_generate(&k, VT_KEY_EC_P384, err);
    if (rc == VT_OK)
        rc = vt_x509_issue(out, &spec, k, issuer, issuer_key, err);
    if (rc != VT_OK)
        goto out;
    *key_out = k;
    k = NULL;
out:
    vt_pkey_free(k);
    return rc;
}

/* ---- the document ---- */

static vt_status sim_payload(vt_buf *b, const vt_sim_nitro_opts *o, const vt__nsm_sim *nsm, const vt_x509 *root,
                             const vt_x509 *zonal, const vt_x509 *leaf, vt_err *err)
{
    static const char ptag[] = "veritee/sim/nitro/pcr";
    vt_status rc = VT_E_INTERNAL;
    uint8_t pcr[NITRO_PCR_LEN];
    const uint8_t *der;
    size_t len, locked = 0;

    for (unsigned i = 0; i < VT_NSM_SIM_COUNT; i++)
        locked += (nsm->locked >> (VT_NSM_SIM_FIRST + i)) & 1u;

    rc = cbor_head(b, 5, 9, err); /* map(9) */
    if (rc == VT_OK)
        rc = cbor_text(b, "module_id", err);
    if (rc == VT_OK)
        rc = cbor_text(b, "i-0123456789abcdef0-enc0123456789abcdef", err);
    if (rc == VT_OK)
        rc = cbor_text(b, "digest", err);
    if (rc == VT_OK)
        rc = cbor_text(b, "SHA384", err);
    if (rc == VT_OK)
        rc = cbor_text(b, "timestamp", err);
    if (rc == VT_OK)
        rc = cbor_head(b, 0, (uint64_t)o->now * 1000u, err);
    if (rc == VT_OK)
        rc = cbor_text(b, "pcrs", err);
    if (rc == VT_OK)
        rc = cbor_head(b, 5, SIM_PCRS + locked, err);
    for (unsigned i = 0; rc == VT_OK && i < SIM_PCRS; i++) {
        uint8_t in[sizeof(ptag) + 1];

        memset(pcr, 0, sizeof(pcr));
        memcpy(in, ptag, sizeof(ptag));
        in[sizeof(ptag)] = (uint8_t)i;
        /* PCR0..4 and 8 measured; debug enclaves report zeros for all. */
        if (!o->debug && (i <= 4 || i == 8))
            rc = vt_digest(VT_MD_SHA384, in, sizeof(in), pcr, err);
        if (rc == VT_OK)
            rc = cbor_head(b, 0, i, err);
        if (rc == VT_OK)
            rc = cbor_bytes(b, pcr, sizeof(pcr), err);
    }
    /* The enclave's own PCRs, once locked (the simulated NSM's state). */
    for (unsigned i = 0; rc == VT_OK && i < VT_NSM_SIM_COUNT; i++) {
        if (!((nsm->locked >> (VT_NSM_SIM_FIRST + i)) & 1u))
            continue;
        rc = cbor_head(b, 0, VT_NSM_SIM_FIRST + i, err);
        if (rc == VT_OK)
            rc = cbor_bytes(b, nsm->pcr[i], NITRO_PCR_LEN, err);
    }
    if (rc == VT_OK)
        rc = cbor_text(b, "certificate", err);
    der = vt_x509_der(leaf, &len);
    if (rc == VT_OK)
        rc = cbor_bytes(b, der, len, err);
    if (rc == VT_OK)
        rc = cbor_text(b, "cabundle", err);
    if (rc == VT_OK)
        rc = cbor_head(b, 4, 2, err);
    der = vt_x509_der(root, &len);
    if (rc == VT_OK)
        rc = cbor_bytes(b, der, len, err);
    der = vt_x509_der(zonal, &len);
    if (rc == VT_OK)
        rc = cbor_bytes(b, der, len, err);
    if (rc == VT_OK)
        rc = cbor_opt(b, "public_key", o->public_key, o->public_key_len, o->public_key != NULL, err);
    if (rc == VT_OK)
        rc = cbor_opt(b, "user_data", o->user_data, o->user_data_len, o->user_data != NULL, err);
    if (rc == VT_OK)
        rc = cbor_opt(b, "nonce", o->nonce, o->nonce_len, o->nonce != NULL, err);
    return rc;
}

vt_status vt_sim_nitro(vt_buf *doc_out, const vt_sim_nitro_opts *opts, vt_err *err)
{
    static const uint8_t protected_hdr[] = { 0xa1, 0x01, 0x38, 0x22 }; /* {1: -35} */
    static const uint8_t cose_head[] = { 0x84 };                       /* untagged array(4) */
    static const uint8_t empty_map[] = { 0xa0 };
    vt_status rc = VT_E_INTERNAL;
    vt__sim_ca ca;
    vt__nsm_sim nsm;
    vt_x509 *zonal = NULL, *leaf = NULL;
    vt_pkey *zonal_key = NULL, *leaf_key = NULL;
    vt_buf payload, tbs, sig;
    size_t start;

    memset(&ca, 0, sizeof(ca));
    vt_buf_init(&payload);
    vt_buf_init(&tbs);
    vt_buf_init(&sig);
    if (doc_out == NULL || opts == NULL || opts->now <= 0)
        return vt_err_set(err, VT_E_ARG, "sim: doc_out, opts and a time are required");
    if ((opts->nonce == NULL && opts->nonce_len > 0) || opts->nonce_len > NITRO_OPT_MAX ||
        (opts->user_data == NULL && opts->user_data_len > 0) || opts->user_data_len > NITRO_OPT_MAX ||
        (opts->public_key == NULL && opts->public_key_len > 0) || opts->public_key_len > NITRO_OPT_MAX)
        return vt_err_set(err, VT_E_ARG, "sim: nitro nonce, user_data and public_key are at most %d bytes",
                          NITRO_OPT_MAX);
    start = doc_out->len;
    rc = vt__sim_ca_load(&ca, opts->state_dir, err);
    if (rc == VT_OK)
        rc = vt__nsm_sim_load(&nsm, opts->state_dir, err);
    /* Validity like AWS's: the zonal CA lives days, the leaf three hours. */
    if (rc == VT_OK)
        rc = sim_cert(&zonal, &zonal_key, VT_SIM_NITRO_CA_CN, true, opts->now - 2 * 24 * SIM_HOUR,
                      opts->now + 28 * 24 * SIM_HOUR, ca.root, ca.root_key, err);
    if (rc == VT_OK)
        rc = sim_cert(&leaf, &leaf_key, VT_SIM_NITRO_LEAF_CN, false, opts->now - 60, opts->now + 3 * SIM_HOUR - 60,
                      zonal, zonal_key, err);
    if (rc == VT_OK)
        rc = sim_payload(&payload, opts, &nsm, ca.root, zonal, leaf, err);
    /* Sig_structure ["Signature1", protected, h'', payload] */
    if (rc == VT_OK)
        rc = cbor_head(&tbs, 4, 4, err);
    if (rc == VT_OK)
        rc = cbor_text(&tbs, "Signature1", err);
    if (rc == VT_OK)
        rc = cbor_bytes(&tbs, protected_hdr, sizeof(protected_hdr), err);
    if (rc == VT_OK)
        rc = cbor_bytes(&tbs, NULL, 0, err);
    if (rc == VT_OK)
        rc = cbor_bytes(&tbs, payload.data, payload.len, err);
    if (rc == VT_OK)
        rc = vt_ecdsa_sign_raw(&sig, leaf_key, VT_MD_SHA384, tbs.data, tbs.len, err);
    if (rc == VT_OK && sig.len != NITRO_SIG_LEN)
        rc = vt_err_set(err, VT_E_INTERNAL, "sim: P-384 signature is %zu bytes, not %d", sig.len, NITRO_SIG_LEN);
    if (rc == VT_OK)
        rc = vt_buf_append(doc_out, cose_head, sizeof(cose_head), err);
    if (rc == VT_OK)
        rc = cbor_bytes(doc_out, protected_hdr, sizeof(protected_hdr), err);
    if (rc == VT_OK)
        rc = vt_buf_append(doc_out, empty_map, sizeof(empty_map), err);
    if (rc == VT_OK)
        rc = cbor_bytes(doc_out, payload.data, payload.len, err);
    if (rc == VT_OK)
        rc = cbor_bytes(doc_out, sig.data, sig.len, err);
    if (rc == VT_OK && doc_out->len - start > NITRO_DOC_MAX)
        rc = vt_err_set(err, VT_E_LIMIT, "sim: the document would exceed %d bytes", NITRO_DOC_MAX);
    if (rc != VT_OK)
        doc_out->len = start;
    vt_buf_free(&payload);
    vt_buf_free(&tbs);
    vt_buf_free(&sig);
    vt_x509_free(zonal);
    vt_x509_free(leaf);
    vt_pkey_free(zonal_key); /* wipes the simulated keys: one document per leaf */
    vt_pkey_free(leaf_key);
    vt__sim_ca_clear(&ca);
    return rc;
}

/* ---- the simulated NSM's PCRs 16..31 (nitro_nsm_sim.h) ---- */

#define NSM_SIM_MAGIC "VTNSMSIM"
#define NSM_SIM_LEN (8 + 4 + VT_NSM_SIM_COUNT * 48)

static vt_status nsm_sim_path(char *path, size_t n, const char *state_dir, vt_err *err)
{
    if (state_dir == NULL || *state_dir == '\0')
        return vt_err_set(err, VT_E_ARG, "sim: the simulated NSM needs a state directory");
    if (snprintf(path, n, "%s/sim/nitro_nsm", state_dir) >= (int)n)
        return vt_err_set(err, VT_E_ARG, "sim: state directory path too long");
    return VT_OK;
}

vt_status vt__nsm_sim_load(vt__nsm_sim *out, const char *state_dir, vt_err *err)
{
    char path[4200];
    vt_buf b;
    vt_rd r;
    vt_status rc;
    vt_err e = { 0 };

    memset(out, 0, sizeof(*out));
    if (state_dir == NULL || *state_dir == '\0')
        return VT_OK; /* no state: a fresh enclave */
    rc = nsm_sim_path(path, sizeof(path), state_dir, err);
    if (rc != VT_OK)
        return rc;
    vt_buf_init(&b);
    rc = vt_file_read(&b, path, NSM_SIM_LEN, &e);
    if (rc == VT_E_NOTFOUND) { /* no file yet: a fresh enclave */
        vt_buf_free(&b);
        return VT_OK;
    }
    if (rc != VT_OK)
        vt_err_set(err, rc, "%s", e.msg);
    if (rc == VT_OK) {
        vt_rd_init(&r, b.data, b.len);
        const uint8_t *m = vt_rd_take(&r, 8);
        out->locked = vt_rd_u32le(&r);
        for (unsigned i = 0; i < VT_NSM_SIM_COUNT; i++)
            vt_rd_copy(&r, out->pcr[i], 48);
        if (m == NULL || memcmp(m, NSM_SIM_MAGIC, 8) != 0 || !vt_rd_ok_and_empty(&r) ||
            (out->locked & ((1u << VT_NSM_SIM_FIRST) - 1)) != 0) {
            memset(out, 0, sizeof(*out));
            rc = vt_err_set(err, VT_E_FORMAT, "sim: %s is not a simulated NSM state (%zu bytes)", path, b.len);
        }
    }
    vt_buf_free(&b);
    return rc;
}

static vt_status nsm_sim_store(const vt__nsm_sim *s, const char *state_dir, vt_err *err)
{
    char path[4200], dir[4200];
    uint8_t b[NSM_SIM_LEN];
    vt_status rc = nsm_sim_path(path, sizeof(path), state_dir, err);

    if (rc != VT_OK)
        return rc;
    snprintf(dir, sizeof(dir), "%s/sim", state_dir);
    rc = vt_mkdir_p(dir, 0700, err);
    if (rc != VT_OK)
        return rc;
    memcpy(b, NSM_SIM_MAGIC, 8);
    for (int i = 0; i < 4; i++)
        b[8 + i] = (uint8_t)(s->locked >> (8 * i));
    memcpy(b + 12, s->pcr, sizeof(s->pcr));
    return vt_file_write(path, b, sizeof(b), 0600, err);
}

vt_status vt__nsm_sim_pcr(uint8_t *out, const char *state_dir, bool lock, unsigned index, const uint8_t *data,
                          size_t len, vt_err *err)
{
    vt__nsm_sim s;
    vt_status rc;
    unsigned i = index - VT_NSM_SIM_FIRST;

    if (index < VT_NSM_SIM_FIRST || index >= VT_NSM_SIM_FIRST + VT_NSM_SIM_COUNT)
        return vt_err_set(err, VT_E_IO, "nitro: the NSM refused %s: %s", lock ? "LockPCR" : "ExtendPCR",
                          index < VT_NSM_SIM_FIRST ? "ReadOnlyIndex" : "InvalidIndex");
    if (!lock && (data == NULL || len == 0 || len > NITRO_OPT_MAX))
        return vt_err_set(err, VT_E_IO, "nitro: the NSM refused ExtendPCR: InvalidArgument");
    rc = vt__nsm_sim_load(&s, state_dir, err);
    if (rc != VT_OK)
        return rc;
    if (lock) {
        s.locked |= 1u << index;
    } else if ((s.locked >> index) & 1u) {
        return vt_err_set(err, VT_E_IO, "nitro: the NSM refused ExtendPCR: ReadOnlyIndex");
    } else {
        const void *parts[2] = { s.pcr[i], data };
        size_t lens[2] = { 48, len };
        rc = vt_digestv(VT_MD_SHA384, parts, lens, 2, s.pcr[i], err);
    }
    if (rc == VT_OK)
        rc = nsm_sim_store(&s, state_dir, err);
    if (rc == VT_OK && out != NULL && !lock)
        memcpy(out, s.pcr[i], 48);
    return rc;
}

vt_status vt__nsm_sim_reset(const char *state_dir, vt_err *err)
{
    vt__nsm_sim s;

    memset(&s, 0, sizeof(s));
    return nsm_sim_store(&s, state_dir, err);
}
