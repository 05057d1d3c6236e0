/*
 * Internal: the AWS Nitro Enclaves attestation document parser.
 *
 * A document is a COSE_Sign1 (CBOR tag 18 optional): [protected bstr
 * ({1: -35} = ES384), unprotected {} , payload bstr, signature bstr(96)].
 * The payload is a CBOR map (module_id, digest, timestamp, pcrs,
 * certificate, cabundle, public_key, user_data, nonce).  Layout, limits and
 * what each check means: docs/formats/nitro.md.
 *
 * Parsing uses libcbor, but only after a bounded structural pre-scan
 * (libcbor's allocation-free streaming decoder) has rejected indefinite
 * lengths, unexpected tags, floats, nesting deeper than NITRO_DEPTH_MAX and
 * any declared array/map count larger than the bytes left (libcbor 0.8
 * allocates declared counts up front).  The parsed struct copies every field,
 * so nothing points into the input after the call (HS-10).
 */
#ifndef VT_TEE_NITRO_DOC_H
#define VT_TEE_NITRO_DOC_H

#include "veritee/base.h"

#define NITRO_DOC_MAX 16384       /* whole document, checked before decoding */
#define NITRO_DEPTH_MAX 4         /* tag > array > map > map (pcrs) */
#define NITRO_ALG_ES384 (-35)
#define NITRO_SIG_LEN 96          /* raw r||s, P-384 */
#define NITRO_PCR_MAX 32          /* indices 0..31 */
#define NITRO_PCR_LEN 48          /* SHA-384 bank */
#define NITRO_CERT_MAX 2048       /* one DER certificate */
#define NITRO_CABUNDLE_MAX 8      /* root + intermediates */
#define NITRO_MODULE_ID_MAX 128
#define NITRO_OPT_MAX 1024        /* public_key, user_data, nonce */
#define NITRO_TBS_MAX (NITRO_DOC_MAX + 32)

typedef struct vt__nitro_bytes {
    bool present;                 /* false: absent or CBOR null */
    size_t len;
    uint8_t data[NITRO_OPT_MAX];
} vt__nitro_bytes;

typedef struct vt__nitro_cert {
    size_t len;
    uint8_t der[NITRO_CERT_MAX];
} vt__nitro_cert;

typedef struct vt__nitro_doc {
    bool tagged;                  /* CBOR tag 18 in front */
    int64_t alg;                  /* protected header label 1 */
    size_t protected_len;         /* bytes of the protected header bstr */
    size_t payload_len;           /* bytes of the payload bstr */
    char module_id[NITRO_MODULE_ID_MAX + 1];
    char digest[16];
    uint64_t timestamp_ms;
    uint32_t pcr_mask;            /* bit i: PCR i present */
    uint8_t pcrs[NITRO_PCR_MAX][NITRO_PCR_LEN];
    size_t pcr_count;
    vt__nitro_cert certificate;
    vt__nitro_cert cabundle[NITRO_CABUNDLE_MAX]; /* root first */
    size_t cabundle_count;
    vt__nitro_bytes public_key, user_data, nonce;
    uint8_t sig[NITRO_SIG_LEN];
    /* Sig_structure ["Signature1", protected, h'', payload], canonical CBOR:
     * the exact bytes the signature covers. */
    uint8_t tbs[NITRO_TBS_MAX];
    size_t tbs_len;
} vt__nitro_doc;

/* Parses a document into *out (cleared first; left cleared on failure).
 * VT_E_LIMIT when over NITRO_DOC_MAX, VT_E_FORMAT for anything malformed
 * ("nitro: <field> <problem>"), VT_E_UNSUPPORTED for an algorithm other
 * than ES384 or a digest other than SHA384. */
VT_NODISCARD vt_status vt__nitro_doc_parse(vt__nitro_doc *out, const uint8_t *p, size_t len, vt_err *err);

/* Cheap recognition: COSE_Sign1 head (tagged 0xD2 0x84 or untagged 0x84)
 * followed by a byte-string protected header. */
bool vt__nitro_doc_probe(const uint8_t *p, size_t len);

#endif
