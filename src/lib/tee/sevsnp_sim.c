/*
 * SEV-SNP simulator: a version 3 report in the Milan layout (evidence-formats
 * 4.2), signed with ECDSA P-384/SHA-384 by a fresh simulated VCEK.  The VCEK
 * carries AMD's TCB extensions (bl/tee/snp/ucode SPL as DER INTEGERs) equal to
 * REPORTED_TCB and the hwID extension equal to CHIP_ID, and is issued by the
 * simulation ASK (tee/sim_root.c) under the simulation root.  The verifier
 * (tee/sevsnp.c) accepts it only with trust_sim and never as hardware.
 */
#include <stdio.h>
#include <string.h>

#include "tee/sevsnp_report.h"
#include "tee/sim_root.h"
#include "veritee/sim.h"

#define SIM_DAY 86400
#define SIM_VCEK_YEARS 7
#define OID_SPL "1.3.6.1.4.1.3704.1.3."
#define OID_HWID "1.3.6.1.4.1.3704.1.4"
#define OID_PRODUCT "1.3.6.1.4.1.3704.1.2"

/* The simulated platform: Milan, firmware 1.55 build 21, TCB bl 3 tee 0 snp 8 ucode 115. */
enum { SIM_BL = 3, SIM_TEE = 0, SIM_SNP = 8, SIM_UCODE = 115 };
static const uint8_t sim_tcb[8] = { SIM_BL, SIM_TEE, 0, 0, 0, 0, SIM_SNP, SIM_UCODE };

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* DER INTEGER 0..255 into out (3 or 4 bytes); returns the length. */
static size_t der_uint8(uint8_t out[4], uint8_t v)
{
    out[0] = 0x02;
    if (v < 0x80) {
        out[1] = 1;
        out[2] = v;
        return 3;
    }
    out[1] = 2;
    out[2] = 0;
    out[3] = v;
    return 4;
}

static vt_status sim_vcek(vt_x509 **out, vt_pkey **key_out, const vt__sim_ca *ca, const uint8_t chip_id[64],
                          vt_time now, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    static const char product[] = "\x16\x08Milan-B0"; /* IA5String */
    uint8_t spl[4][4];
    size_t spl_len[4];
    const uint8_t vals[4] = { SIM_BL, SIM_TEE, SIM_SNP, SIM_UCODE };
    vt_x509_ext_spec ext[6];
    vt_x509_spec spec;
    vt_pkey *k = NULL;

    *out = NULL;
    *key_out = NULL;
    for (int i = 0; i < 4; i++)
        spl_len[i] = der_uint8(spl[i], vals[i]);
    memset(ext, 0, sizeof(ext));
    ext[0] = (vt_x509_ext_spec){ OID_SPL "1", spl[0], spl_len[0], false };
    ext[1] = (vt_x509_ext_spec){ OID_SPL "2", spl[1], spl_len[1], false };
    ext[2] = (vt_x509_ext_spec){ OID_SPL "3", spl[2], spl_len[2], false };
    ext[3] = (vt_x509_ext_spec){ OID_SPL "8", spl[3], spl_len[3], false };
    ext[4] = (vt_x509_ext_spec){ OID_HWID, chip_id, 64, false }; /* raw octets, as AMD's */
    ext[5] = (vt_x509_ext_spec){ OID_PRODUCT, (const uint8_t *)product, sizeof(product) - 1, false };
    memset(&spec, 0, sizeof(spec));
    spec.subject_cn = "SEV-VCEK";
    spec.subject_o = VT_SIM_SNP_ORG;
    spec.not_before = now - SIM_DAY;
    spec.not_after = now + (vt_time)SIM_VCEK_YEARS * 365 * SIM_DAY;
    spec.pathlen = -1;
    spec.exts = ext;
    spec.ext_count = sizeof(ext) / sizeof(ext[0]);
    rc = vt__sim_random_serial(&spec.serial, err);
    if (rc == VT_OK)
        rc = vt_pkey_generate(&k, VT_KEY_EC_P384, err);
    if (rc == VT_OK)
        rc = vt_x509_issue(out, &spec, k, ca->snp_ask, ca->snp_ask_key, err);
    if (rc != VT_OK)
        goto out;
    *key_out = k;
    k = NULL;
out:
    vt_pkey_free(k);
    return rc;
}

/* Fills the report fields; the signature is added afterwards. */
static vt_status sim_body(uint8_t rep[SNP_REPORT_LEN], const vt_sim_sevsnp_opts *opts, const uint8_t chip_id[64],
                          vt_err *err)
{
    static const char mtag[] = "veritee/sim/sevsnp/measurement";
    uint64_t policy = SNP_POLICY_SMT | SNP_POLICY_RESERVED_ONE | (1ull << 8); /* ABI 1.0 */
    vt_status rc;

    memset(rep, 0, SNP_REPORT_LEN);
    if (opts->debug)
        policy |= SNP_POLICY_DEBUG;
    if (opts->no_smt)
        policy &= ~SNP_POLICY_SMT;
    if (opts->migrate_ma)
        policy |= SNP_POLICY_MIGRATE_MA;
    if (opts->vmpl > 3)
        return vt_err_set(err, VT_E_ARG, "sim: sevsnp vmpl %u is above 3", opts->vmpl);
    put_u32(rep + 0x000, 3);                              /* VERSION */
    put_u32(rep + 0x004, 1);                              /* GUEST_SVN */
    put_u64(rep + 0x008, policy);                         /* POLICY */
    put_u32(rep + 0x030, opts->vmpl);                     /* VMPL */
    put_u32(rep + 0x034, SNP_SIG_ALGO_ECDSA_P384_SHA384); /* SIGNATURE_ALGO */
    memcpy(rep + 0x038, sim_tcb, 8);                      /* CURRENT_TCB */
    put_u64(rep + 0x040, opts->no_smt ? 0x0 : 0x1);       /* PLATFORM_INFO: SMT_EN */
    put_u32(rep + 0x048, SNP_SIGNING_VCEK << 2);          /* signer info: VCEK, chip key not masked */
    memcpy(rep + 0x050, opts->report_data, 64);           /* REPORT_DATA */
    rc = vt_digest(VT_MD_SHA384, mtag, sizeof(mtag) - 1, rep + 0x090, err); /* MEASUREMENT */
    if (rc == VT_OK)
        rc = vt_random(rep + 0x140, 32, err);             /* REPORT_ID */
    if (rc != VT_OK)
        return rc;
    memset(rep + 0x160, 0xff, 32);                        /* REPORT_ID_MA: no migration agent */
    memcpy(rep + 0x180, sim_tcb, 8);                      /* REPORTED_TCB */
    rep[0x188] = 0x19;                                    /* CPUID family: Milan */
    rep[0x189] = 0x01;
    rep[0x18A] = 0x01;
    memcpy(rep + 0x1A0, chip_id, 64);                     /* CHIP_ID */
    memcpy(rep + 0x1E0, sim_tcb, 8);                      /* COMMITTED_TCB */
    rep[0x1E8] = 21;                                      /* CURRENT build/minor/major */
    rep[0x1E9] = 55;
    rep[0x1EA] = 1;
    rep[0x1EC] = 21;                                      /* COMMITTED build/minor/major */
    rep[0x1ED] = 55;
    rep[0x1EE] = 1;
    memcpy(rep + 0x1F0, sim_tcb, 8);                      /* LAUNCH_TCB */
    return VT_OK;
}

/* ECDSA P-384 over [0, 0x2A0); R and S stored little-endian in 72-byte fields. */
static vt_status sim_sign(uint8_t rep[SNP_REPORT_LEN], const vt_pkey *vcek_key, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf sig;

    vt_buf_init(&sig);
    rc = vt_ecdsa_sign_raw(&sig, vcek_key, VT_MD_SHA384, rep, SNP_SIGNED_LEN, err);
    if (rc == VT_OK && sig.len != 96)
        rc = vt_err_set(err, VT_E_INTERNAL, "sim: P-384 signature is %zu bytes, not 96", sig.len);
    if (rc == VT_OK) {
        for (size_t i = 0; i < 48; i++) {
            rep[0x2A0 + i] = sig.data[47 - i];
            rep[0x2E8 + i] = sig.data[95 - i];
        }
    }
    vt_buf_free(&sig);
    return rc;
}

static vt_status add_pem(vt_collateral *c, const char *name, const vt_x509 *x, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf b;

    vt_buf_init(&b);
    rc = vt_x509_to_pem(&b, x, err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, name, b.data, b.len, err);
    vt_buf_free(&b);
    return rc;
}

vt_status vt_sim_sevsnp(vt_buf *report_out, vt_collateral *coll_out, const vt_sim_sevsnp_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__sim_ca ca;
    vt_x509 *vcek = NULL;
    vt_pkey *vcek_key = NULL;
    uint8_t chip_id[64];
    uint8_t rep[SNP_REPORT_LEN];

    memset(&ca, 0, sizeof(ca));
    if (report_out == NULL || opts == NULL)
        return vt_err_set(err, VT_E_ARG, "sim: report_out and opts are required");
    rc = vt__sim_ca_load(&ca, opts->state_dir, err);
    if (rc == VT_OK)
        rc = vt_random(chip_id, sizeof(chip_id), err);
    if (rc == VT_OK)
        rc = sim_vcek(&vcek, &vcek_key, &ca, chip_id, opts->now, err);
    if (rc == VT_OK)
        rc = sim_body(rep, opts, chip_id, err);
    if (rc == VT_OK)
        rc = sim_sign(rep, vcek_key, err);
    if (rc == VT_OK && coll_out != NULL)
        rc = add_pem(coll_out, "vcek.pem", vcek, err);
    if (rc == VT_OK && coll_out != NULL)
        rc = add_pem(coll_out, "ask.pem", ca.snp_ask, err);
    if (rc == VT_OK)
        rc = vt_buf_append(report_out, rep, sizeof(rep), err);
    vt_x509_free(vcek);
    vt_pkey_free(vcek_key); /* wipes the simulated VCEK: one report per key */
    vt__sim_ca_clear(&ca);
    return rc;
}
