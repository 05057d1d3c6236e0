/*
 * Internal: Intel TDX collateral from an Intel PCS v4-compatible service
 * (Intel PCS, a PCCS, a mirror) through tee/fetch.c (docs/collateral.md).
 *
 *   {base}/tdx/certification/v4/tcb?fmspc=HEX   TCB-Info-Issuer-Chain
 *   {base}/tdx/certification/v4/qe/identity     SGX-Enclave-Identity-Issuer-Chain
 *   {base}/sgx/certification/v4/pckcrl?ca=platform|processor&encoding=der
 *                                                SGX-PCK-CRL-Issuer-Chain
 *   {base}/sgx/certification/v4/rootcacrl       (PCCS; Intel's own PCS: the
 *                                                certificates host, DER)
 *
 * Issuer chains come URL-encoded (PEM) in the named response header.  Nothing
 * fetched is trusted: the bodies and decoded chains become collateral blobs
 * that tdx_collateral.c recognises by content and verifies like any other.
 */
#ifndef VT_TEE_TDX_PCS_H
#define VT_TEE_TDX_PCS_H

#include "tee/cache.h"
#include "veritee/base.h"
#include "veritee/tee.h"

#define VT_PCS_DEFAULT_URL "https://api.trustedservices.intel.com"
#define VT_PCS_INTEL_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
#define VT_PCS_BASE_MAX 256
#define VT_PCS_JSON_MAX (256u * 1024u) /* a TCB info is ~2-7 KiB */
#define VT_PCS_CRL_MAX (1024u * 1024u) /* a PCK CRL grows with revocations: ~3 KiB today */
#define VT_PCS_HDR_MAX (16u * 1024u)   /* 2-3 certificates, URL-encoded PEM: ~4 KiB */
#define VT_PCS_CHAIN_MAX 4

#define VT_PCS_HDR_TCB "TCB-Info-Issuer-Chain"
#define VT_PCS_HDR_QE "SGX-Enclave-Identity-Issuer-Chain"
#define VT_PCS_HDR_CRL "SGX-PCK-CRL-Issuer-Chain"

/*
 * An issuer-chain header value: percent-decoded ("%2B" -> '+'; '+' stays
 * '+'), it must be PEM text of 1..VT_PCS_CHAIN_MAX certificates and nothing
 * but whitespace around them.  Appends the PEM text to pem.  VT_E_FORMAT
 * names what is wrong; VT_E_LIMIT past VT_PCS_HDR_MAX.  pem unchanged on failure.
 */
VT_NODISCARD vt_status vt__pcs_chain_decode(vt_buf *pem, const uint8_t *hdr, size_t len, vt_err *err);

/* The base URL the options name (without a trailing '/'), or the default; VT_E_ARG when malformed. */
VT_NODISCARD vt_status vt__pcs_base(char *out, size_t cap, const vt_verify_opts *o, vt_err *err);

/* Fetched collateral for one FMSPC and PCK CA: immutable once built (cacheable in memory). */
typedef struct vt__tdx_pcs_set {
    vt__cached base;
    vt_collateral *coll; /* owned: bodies and decoded issuer chains */
    uint8_t digest[32];  /* of coll, as vt__collateral_digest gives it */
    vt_time until;       /* earliest nextUpdate of what it holds */
    unsigned fetched;    /* answers that came from the network (0: all from the disk cache) */
    char ca[12];         /* "platform" or "processor": whose PCK CRL */
    char urls[4][VT_PCS_BASE_MAX + 96];
} vt__tdx_pcs_set;

void vt__tdx_pcs_set_release(vt__tdx_pcs_set *s);

/*
 * The TCB info for fmspc, the TD QE identity, the PCK CRL of `ca`
 * ("platform" or "processor") and the Root CA CRL, with their issuer
 * chains, from o->fetch_cache_dir or (o->fetch) the PCS.  Cached answers are
 * used until their own nextUpdate at o->now, never after.  On failure err
 * names the URL and what went wrong; *out is NULL.
 */
VT_NODISCARD vt_status vt__tdx_pcs_get(vt__tdx_pcs_set **out, const vt_verify_opts *o, const uint8_t fmspc[6],
                                       const char *ca, vt_err *err);

/*
 * Each answer of s on its own, whatever quote it is for and whatever the
 * verification time: the TCB info is for fmspc and the QE identity is TD_QE,
 * each signed by the TCB signing certificate of its issuer-chain header, the
 * PCK CRL by the CA of its header (the PCK CA asked for), the Root CA CRL by
 * a trusted root; chains
 * verify to roots at the document's issueDate (thisUpdate).  What fails here
 * is a bad answer (forget it); what passes here and fails later is a problem
 * of the quote or the time.  -1 when all four pass, else the index of the
 * first that fails (err names it and its URL, why says only what is wrong).
 */
int vt__tdx_pcs_check(const vt__tdx_pcs_set *s, const uint8_t fmspc[6], vt_x509 *const *roots, size_t root_count,
                      size_t prod_root_count, char *why, size_t why_len, vt_err *err);

/* Drops the disk-cached answer `which` of s (vt__tdx_pcs_check refused it) and
 * remembers the failure so that the service is not asked again at once. */
void vt__tdx_pcs_forget_one(const vt__tdx_pcs_set *s, const vt_verify_opts *o, int which, const char *why);

#endif
