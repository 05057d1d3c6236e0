/*
 * Internal: the AMD SEV-SNP attestation report (SEV-SNP ABI, report versions
 * 2..5), read with vt_rd into a struct that copies every field.  Layout and
 * the must-be-zero ranges are in docs/formats/sevsnp.md.
 */
#ifndef VT_TEE_SEVSNP_REPORT_H
#define VT_TEE_SEVSNP_REPORT_H

#include "veritee/base.h"

#define SNP_REPORT_LEN 0x4A0u  /* 1184 bytes, always */
#define SNP_SIGNED_LEN 0x2A0u  /* ECDSA P-384/SHA-384 covers [0, 0x2A0) */
#define SNP_SIG_ALGO_ECDSA_P384_SHA384 1u
#define SNP_VERSION_MIN 2u
#define SNP_VERSION_MAX 5u

/* POLICY bits. */
#define SNP_POLICY_SMT (1ull << 16)
#define SNP_POLICY_RESERVED_ONE (1ull << 17)
#define SNP_POLICY_MIGRATE_MA (1ull << 18)
#define SNP_POLICY_DEBUG (1ull << 19)
#define SNP_POLICY_MBZ (~((1ull << 26) - 1)) /* bits 63:26 */

/* Signer info word at 0x48. */
#define SNP_INFO_AUTHOR_KEY_EN 0x1u
#define SNP_INFO_MASK_CHIP_KEY 0x2u
#define SNP_INFO_SIGNING_KEY(w) (((w) >> 2) & 0x7u)
#define SNP_INFO_MBZ 0xFFFFFFE0u
#define SNP_SIGNING_VCEK 0u
#define SNP_SIGNING_VLEK 1u
#define SNP_SIGNING_NONE 7u

typedef struct vt__snp_report {
    uint8_t raw[SNP_REPORT_LEN]; /* a copy of the whole report: the signed bytes and claims come from here */
    uint32_t version;
    uint32_t guest_svn;
    uint64_t policy;
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint32_t vmpl;
    uint32_t sig_algo;
    uint8_t current_tcb[8];      /* TCB_VERSION bytes as stored; decoding depends on the product */
    uint64_t platform_info;
    uint32_t signer_info;
    uint8_t report_data[64];
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t id_key_digest[48];
    uint8_t author_key_digest[48];
    uint8_t report_id[32];
    uint8_t report_id_ma[32];
    uint8_t reported_tcb[8];
    uint8_t cpuid_fam, cpuid_mod, cpuid_step; /* v3+; zero in v2 */
    uint8_t chip_id[64];
    uint8_t committed_tcb[8];
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    uint8_t launch_tcb[8];
    uint64_t launch_mit_vector;  /* v5; zero before */
    uint64_t current_mit_vector; /* v5; zero before */
    uint8_t sig_rs[96];          /* r || s, big-endian, 48 bytes each (converted from the LE fields) */
} vt__snp_report;

/* SPL values of a TCB_VERSION.  Byte layout per product line: Milan/Genoa
 * [bl, tee, 0, 0, 0, 0, snp, ucode]; Turin [fmc, bl, tee, snp, 0, 0, 0, ucode]. */
typedef struct vt__snp_tcb {
    uint8_t fmc, bl, tee, snp, ucode; /* fmc: Turin only */
} vt__snp_tcb;

vt__snp_tcb vt__snp_tcb_decode(const uint8_t b[8], bool turin);

/*
 * Parses exactly SNP_REPORT_LEN bytes.  VT_E_FORMAT for any other length or a
 * non-zero must-be-zero range (including the unsigned 0x330..0x4A0 and the
 * upper 24 bytes of R and S); VT_E_UNSUPPORTED for a version outside 2..5 or
 * a signature algorithm other than 1.  On failure *out is zeroed.
 */
VT_NODISCARD vt_status vt__snp_report_parse(vt__snp_report *out, const uint8_t *p, size_t len, vt_err *err);

/* Cheap recognition for the registry: length, version, signature algorithm. */
bool vt__snp_report_probe(const uint8_t *p, size_t len);

#endif
