/*
 * Internal: Intel TDX quote v4/v5 parser (layout in tdx_format.h and
 * docs/formats/tdx.md).  The parsed struct holds copies of every fixed
 * field; the only pointer into the input is the borrowed view of the PEM
 * PCK chain (`pck_pem`), valid while the quote bytes live.
 */
#ifndef VT_TEE_TDX_QUOTE_H
#define VT_TEE_TDX_QUOTE_H

#include "veritee/base.h"
#include "tee/tdx_format.h"

/* Longest signed region: header + v5 type/size + TDX 1.5 body. */
#define TDX_SIGNED_MAX (TDX_HEADER_LEN + 6 + TDX_BODY15_LEN)

typedef struct vt__tdx_quote {
    /* header */
    uint16_t version;      /* 4 or 5 */
    uint16_t att_key_type; /* 2 */
    uint32_t tee_type;     /* 0x81 */
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    /* body */
    uint16_t body_type;    /* v5: 2 or 3; v4: 2 */
    uint32_t body_len;     /* 584 or 648 */
    uint8_t body[TDX_BODY15_LEN];
    /* exactly the bytes covered by the quote signature */
    uint8_t signed_bytes[TDX_SIGNED_MAX];
    size_t signed_len;
    /* signature data */
    uint32_t sig_data_len;
    uint8_t sig[TDX_SIG_LEN];         /* r||s big-endian */
    uint8_t att_key[TDX_ATT_KEY_LEN]; /* X||Y big-endian */
    uint16_t cert_type;               /* 6 */
    uint32_t cert_len;
    uint8_t qe_report[TDX_QE_REPORT_LEN];
    uint8_t qe_report_sig[TDX_QE_REPORT_SIG_LEN];
    uint16_t qe_auth_len;
    uint8_t qe_auth[TDX_QE_AUTH_MAX];
    uint16_t pck_cert_type;           /* 5 */
    uint32_t pck_cert_len;
    const char *pck_pem;              /* borrowed view into the quote bytes */
    size_t pck_pem_len;               /* without one trailing NUL */
    size_t trailing_len;              /* bytes after the signature data (padding) */
} vt__tdx_quote;

/*
 * Parses a quote.  VT_E_LIMIT above TDX_QUOTE_MAX, VT_E_FORMAT when
 * truncated or when a length disagrees, VT_E_UNSUPPORTED for a well-formed
 * but unsupported version / key type / TEE type / vendor / certification
 * data type.  On failure *q is zeroed and err names the field.
 */
VT_NODISCARD vt_status vt__tdx_quote_parse(vt__tdx_quote *q, const uint8_t *buf, size_t len, vt_err *err);

/* Cheap recognition: header looks like a TDX quote (no allocation, no crypto). */
bool vt__tdx_quote_probe(const uint8_t *buf, size_t len);

/* Field accessors over the copied body. */
static inline const uint8_t *vt__tdx_body(const vt__tdx_quote *q, size_t off) { return q->body + off; }

#endif
