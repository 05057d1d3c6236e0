/* Internal: per-platform detection and collection on Linux guests, wired into
 * the platform plugins' ops tables. */
#ifndef VT_TEE_COLLECT_H
#define VT_TEE_COLLECT_H

#include "tee/plugin.h"

void vt__tdx_detect(vt_hw_entry *hw, const char *sysroot);
vt_status vt__tdx_collect(const vt__collect_req *req, vt_buf *out, vt_err *err);

/* AMD SEV-SNP: present when /dev/sev-guest is there.  Collection goes through
 * configfs-tsm (provider sev_guest) when it is mounted, else through the
 * /dev/sev-guest SNP_GET_REPORT ioctl.  The evidence is the bare 1184-byte
 * report; with opts->certs_out the auxblob certificate table is added there. */
void vt__sevsnp_detect(vt_hw_entry *hw, const char *sysroot);
vt_status vt__sevsnp_collect(const vt__collect_req *req, vt_buf *out, vt_err *err);
/* Adds the VCEK/VLEK/ASK/ARK of a GHCB certificate table (evidence-formats
 * 4.4) to c as DER blobs; other entries are skipped.  VT_E_FORMAT for a table
 * that is not well formed; nothing is added then. */
/* SNP_GET_DERIVED_KEY on <sysroot>/dev/sev-guest: the 32-byte key the
 * firmware derives from the VCEK root, mixing in the fields field_select
 * names (bit 0 guest policy, 3 measurement, ...), at VMPL 0.  The sealing
 * root of seal/seal.c.  out is wiped on failure. */
VT_NODISCARD vt_status vt__sevsnp_derived_key(uint8_t out[32], const char *sysroot, uint64_t field_select,
                                              vt_err *err);
VT_NODISCARD vt_status vt__sevsnp_cert_table(vt_collateral *c, const uint8_t *p, size_t len, vt_err *err);

/* AWS Nitro Enclaves: present when /dev/nsm is there.  Collection sends an
 * NSM Attestation request (nonce = opts->report_data, 64 bytes; user_data and
 * public_key from opts) through NSM_IOCTL_RAW; the evidence is the document,
 * checked to echo what was asked. */
void vt__nitro_detect(vt_hw_entry *hw, const char *sysroot);
vt_status vt__nitro_collect(const vt__collect_req *req, vt_buf *out, vt_err *err);
/* The NSM request {"Attestation": {...}} in CBOR (NULL fields are CBOR null), appended to out. */
VT_NODISCARD vt_status vt__nsm_request(vt_buf *out, const uint8_t *nonce, size_t nonce_len, const uint8_t *user_data,
                                       size_t user_data_len, const uint8_t *public_key, size_t public_key_len,
                                       vt_err *err);
/* The document out of an NSM response; VT_E_IO naming the NSM's error code for {"Error": ...}. */
VT_NODISCARD vt_status vt__nsm_response(vt_buf *doc_out, const uint8_t *p, size_t len, vt_err *err);

/* The NSM's PCRs (16..31 are the enclave's): ExtendPCR sets PCR[index] = SHA-384(PCR[index] ||
 * data) and answers the new value (out, 48 bytes, may be NULL); LockPCR (lock = true, data
 * unused) makes it read-only until the enclave ends.  Through NSM_IOCTL_RAW on <sysroot>/dev/nsm.
 * VT_E_UNSUPPORTED without the device, VT_E_IO naming the NSM's error code (ReadOnlyIndex, ...). */
VT_NODISCARD vt_status vt__nsm_pcr(uint8_t *out, const char *sysroot, bool lock, unsigned index, const uint8_t *data,
                                   size_t len, vt_err *err);
/* Their CBOR: the request appended to out; the response parsed (out: the new value of an extend). */
VT_NODISCARD vt_status vt__nsm_pcr_request(vt_buf *out, bool lock, unsigned index, const uint8_t *data, size_t len,
                                           vt_err *err);
VT_NODISCARD vt_status vt__nsm_pcr_response(uint8_t *out, bool lock, const uint8_t *p, size_t len, vt_err *err);

/* Device-node detection for platforms without a plugin detect; false for an unknown kind. */
bool vt__hw_detect_nodes(vt_hw_entry *hw, vt_tee_kind kind, const char *sysroot);

#endif
