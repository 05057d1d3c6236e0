/*
 * Internal: AMD Key Distribution Service (KDS) URLs for SEV-SNP and fetching
 * through tee/fetch.c (docs/formats/sevsnp.md, "Fetching from AMD KDS").
 * What comes back is collateral: the plugin still verifies it to a pinned ARK.
 */
#ifndef VT_TEE_SEVSNP_KDS_H
#define VT_TEE_SEVSNP_KDS_H

#include "tee/sevsnp_report.h"
#include "veritee/tee.h"

#define VT_KDS_DEFAULT_URL "https://kdsintf.amd.com"
#define VT_KDS_BASE_MAX 256
#define VT_KDS_VCEK_MAX (16u * 1024u)  /* a VCEK is ~1.4 KiB of DER */
#define VT_KDS_CHAIN_MAX (32u * 1024u) /* ASK + ARK, PEM: ~4.6 KiB */
#define VT_KDS_CRL_MAX (64u * 1024u)   /* the ARK's CRL (revoked ASKs/ASVKs), DER: ~1 KiB today */

/* The base URL the options name (without a trailing '/'), or the default. */
const char *vt__snp_kds_base(const vt_verify_opts *o);

/* The KDS product line ("Milan", "Genoa", "Turin") from the report's CPUID
 * family and model (v3+).  Version 2 reports carry no CPUID: "Milan", the
 * only line that made them in the field.  NULL for a family/model KDS does
 * not serve. */
const char *vt__snp_kds_product(const vt__snp_report *r);

/* {base}/vcek/v1/{product}/{hwid}?[fmcSPL=..&]blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..
 * with the SPLs of REPORTED_TCB; hwid = hex CHIP_ID (its first 8 bytes on
 * Turin).  VT_E_UNSUPPORTED when CHIP_ID is masked (all zero) or, on Turin,
 * bytes 8..63 are not zero; VT_E_ARG for a bad base or a short buffer. */
VT_NODISCARD vt_status vt__snp_kds_vcek_url(char *out, size_t cap, const char *base, const char *product,
                                            const vt__snp_report *r, vt_err *err);
/* {base}/{vcek|vlek}/v1/{product}/cert_chain: ASK (or ASVK) then ARK, PEM. */
VT_NODISCARD vt_status vt__snp_kds_chain_url(char *out, size_t cap, const char *base, const char *product, bool vlek,
                                             vt_err *err);

/* {base}/{vcek|vlek}/v1/{product}/crl: the ARK's CRL, DER. */
VT_NODISCARD vt_status vt__snp_kds_crl_url(char *out, size_t cap, const char *base, const char *product, bool vlek,
                                           vt_err *err);

/* The VCEK (DER, subject CN SEV-VCEK) or the chain (PEM, 1..4 certificates)
 * at url, from opts->fetch_cache_dir or, when opts->fetch, the network.
 * Errors as vt__fetch() (tee/fetch.h). */
VT_NODISCARD vt_status vt__snp_kds_get_vcek(vt_buf *der, int *source, const char *url, const vt_verify_opts *o,
                                            vt_err *err);
VT_NODISCARD vt_status vt__snp_kds_get_chain(vt_buf *pem, int *source, const char *url, const vt_verify_opts *o,
                                             vt_err *err);
/* The CRL at url (DER; only a body that parses as a CRL with a nextUpdate is
 * returned or cached), reused from the cache until its nextUpdate (with
 * opts->refresh_before_s: fetched anew that long before).  Its signature is
 * checked by the chain verification, against the pinned ARK. */
VT_NODISCARD vt_status vt__snp_kds_get_crl(vt_buf *der, int *source, const char *url, const vt_verify_opts *o,
                                           vt_err *err);

/* Drops the cached answer for url (it proved bad on its own) and remembers the
 * failure, so that KDS is asked again after the backoff. */
void vt__snp_kds_forget(const char *url, const vt_verify_opts *o, const char *why);

#endif
