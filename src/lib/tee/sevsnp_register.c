/*
 * AMD SEV-SNP without a vTPM: the guest has no register it can extend after
 * launch (MEASUREMENT is fixed at launch; the VMPL0 vTPM of an SVSM or of
 * Azure's paravisor is another platform, tpm).  Nothing is extended here:
 * at every attestation the log's SHA-384 replay is bound into REPORT_DATA
 * (vt_register_bind_report_data, called by the attester), and the verifier
 * recomputes the binding from its nonce, the key and the log it was given.
 *
 * That proves the log was presented by the software holding the guest's
 * attestation capability at the moment of the report, inside a guest whose
 * launch MEASUREMENT the report certifies.  It does not prove the log was
 * recorded as things happened: nothing in the hardware keeps past events, so
 * code that later gains that capability (root in the guest) can present
 * another log.  The log is only as good as the launch-measured image that
 * writes it (docs/formats/registers.md).
 */
#include "tee/register_impl.h"

const vt__register_ops vt__register_sevsnp = {
    .describe = "sevsnp: no register (the log is bound into REPORT_DATA at each attestation)",
    .md = VT_MD_SHA384,
};
