/*
 * Binary HTTP messages (RFC 9292, known-length form) and Oblivious HTTP
 * (RFC 9458): key configurations (application/ohttp-keys), request
 * encapsulation and response encapsulation over HPKE (veritee/hpke.h).
 * Documented in docs/transport.md.
 */
#ifndef VERITEE_OHTTP_H
#define VERITEE_OHTTP_H

#include "veritee/base.h"
#include "veritee/hpke.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Binary HTTP (RFC 9292) ---- */
#define VT_BHTTP_MAX (16u * 1024u * 1024u) /* largest message encoded or parsed */
#define VT_BHTTP_FIELDS_MAX 128            /* header or trailer lines per section */
#define VT_BHTTP_CONTROL_MAX 8192          /* bytes of one method/scheme/authority/path */

typedef struct vt_bhttp_field {
    const char *name; /* lowercase; not NUL-terminated */
    size_t name_len;
    const char *value;
    size_t value_len;
} vt_bhttp_field;

/*
 * A parsed message.  Every pointer is borrowed, valid while the message lives
 * (it points into the message's own copy of the input, never into the caller's
 * buffer).  Caller owns, free with vt_bhttp_msg_free().
 */
typedef struct vt_bhttp_msg {
    bool request;
    /* request control data (request only); not NUL-terminated */
    const char *method, *scheme, *authority, *path;
    size_t method_len, scheme_len, authority_len, path_len;
    int status;                     /* final status (response only); informational ones are skipped */
    vt_bhttp_field fields[VT_BHTTP_FIELDS_MAX];
    size_t field_count;
    vt_bhttp_field trailers[VT_BHTTP_FIELDS_MAX];
    size_t trailer_count;
    const uint8_t *content;
    size_t content_len;
    uint8_t *raw_;                  /* owned copy of the input */
    size_t raw_len_;
} vt_bhttp_msg;

/*
 * Parses a known-length request (framing 0) or response (framing 1).  Sections
 * missing at the end are empty (RFC 9292 §3.8); trailing padding must be zero
 * bytes.  Field names must be lowercase tokens and values free of CR, LF and NUL.
 * VT_E_FORMAT names the field that is malformed, VT_E_UNSUPPORTED for the
 * indeterminate-length forms, VT_E_LIMIT beyond the limits above.  On failure
 * *out is NULL.
 */
VT_NODISCARD VT_API vt_status vt_bhttp_parse(vt_bhttp_msg **out, const uint8_t *p, size_t len, vt_err *err);
VT_API void vt_bhttp_msg_free(vt_bhttp_msg *m);
/* The first field named name (lowercase), or NULL. */
VT_API const vt_bhttp_field *vt_bhttp_field_get(const vt_bhttp_msg *m, const char *name);

/* Appends a known-length request.  Empty trailing sections are omitted (§3.8),
 * so a bodiless GET with no fields ends after its control data. */
VT_NODISCARD VT_API vt_status vt_bhttp_encode_request(vt_buf *out, const char *method, const char *scheme,
                                                      const char *authority, const char *path,
                                                      const vt_bhttp_field *fields, size_t field_count,
                                                      const uint8_t *content, size_t content_len, vt_err *err);
/* Appends a known-length response with a final status (200..599). */
VT_NODISCARD VT_API vt_status vt_bhttp_encode_response(vt_buf *out, int status, const vt_bhttp_field *fields,
                                                       size_t field_count, const uint8_t *content,
                                                       size_t content_len, vt_err *err);

/* ---- Oblivious HTTP (RFC 9458) ---- */
#define VT_OHTTP_ALGS_MAX 8      /* symmetric algorithm pairs kept per key configuration */
#define VT_OHTTP_CONFIGS_MAX 8   /* key configurations kept from application/ohttp-keys */
#define VT_OHTTP_MAX (VT_BHTTP_MAX + 256u) /* largest encapsulated message */
#define VT_OHTTP_REQ_MEDIA "message/ohttp-req"
#define VT_OHTTP_RES_MEDIA "message/ohttp-res"
#define VT_OHTTP_KEYS_MEDIA "application/ohttp-keys"

typedef struct vt_ohttp_alg {
    uint16_t kdf, aead;
} vt_ohttp_alg;

/* One key configuration (§3.1); plain data. */
typedef struct vt_ohttp_key_config {
    uint8_t key_id;
    uint16_t kem;
    uint8_t pk[VT_HPKE_ENC_MAX];
    size_t pk_len;
    vt_ohttp_alg algs[VT_OHTTP_ALGS_MAX];
    size_t alg_count;
} vt_ohttp_key_config;

/* Appends the bare encoding of one configuration (§3.1). */
VT_NODISCARD VT_API vt_status vt_ohttp_key_config_encode(vt_buf *out, const vt_ohttp_key_config *c, vt_err *err);
/*
 * Parses one bare configuration (all of p).  The KEM must be implemented
 * (VT_E_UNSUPPORTED otherwise); pairs with an unimplemented KDF or AEAD are
 * dropped, and a configuration left with none is VT_E_UNSUPPORTED.
 */
VT_NODISCARD VT_API vt_status vt_ohttp_key_config_parse(vt_ohttp_key_config *out, const uint8_t *p, size_t len,
                                                        vt_err *err);
/* application/ohttp-keys (§3.2): each configuration prefixed by its 2-byte length. */
VT_NODISCARD VT_API vt_status vt_ohttp_keys_encode(vt_buf *out, const vt_ohttp_key_config *c, size_t count,
                                                   vt_err *err);
/* Parses application/ohttp-keys into out[0..*count) (at most max); configurations
 * this side cannot use are skipped.  VT_E_FORMAT when the framing is broken,
 * VT_E_NOTFOUND when no usable configuration remains. */
VT_NODISCARD VT_API vt_status vt_ohttp_keys_parse(vt_ohttp_key_config *out, size_t *count, size_t max,
                                                  const uint8_t *p, size_t len, vt_err *err);

/* State kept between a request and its response, on either side; caller owns,
 * free with vt_ohttp_ctx_free() (wipes). */
typedef struct vt_ohttp_ctx vt_ohttp_ctx;

/*
 * Client: encapsulates a Binary HTTP request to cfg with the pair alg (which
 * cfg must offer).  Appends the Encapsulated Request to out.  eph is the HPKE
 * ephemeral key, NULL for a fresh one (known-answer tests only).
 */
VT_NODISCARD VT_API vt_status vt_ohttp_encap_request(vt_buf *out, vt_ohttp_ctx **ctx, const vt_ohttp_key_config *cfg,
                                                     vt_ohttp_alg alg, const uint8_t *req, size_t req_len,
                                                     const vt_hpke_key *eph, vt_err *err);
/*
 * Gateway: decapsulates an Encapsulated Request addressed to cfg (whose
 * private key is sk).  Appends the Binary HTTP request to out.
 * VT_E_NOTFOUND for another key identifier, VT_E_UNSUPPORTED for a KEM or
 * algorithm pair cfg does not offer, VT_E_FORMAT when truncated, VT_E_CRYPTO
 * when it does not decrypt.  out is unchanged on failure.
 */
VT_NODISCARD VT_API vt_status vt_ohttp_decap_request(vt_buf *out, vt_ohttp_ctx **ctx, const vt_ohttp_key_config *cfg,
                                                     const vt_hpke_key *sk, const uint8_t *enc_req, size_t len,
                                                     vt_err *err);
/* Gateway: appends the Encapsulated Response for resp.  nonce (max(Nn, Nk)
 * bytes) is NULL for a random one (known-answer tests only). */
VT_NODISCARD VT_API vt_status vt_ohttp_encap_response(vt_buf *out, const vt_ohttp_ctx *ctx, const uint8_t *resp,
                                                      size_t resp_len, const uint8_t *nonce, vt_err *err);
/* Client: appends the Binary HTTP response.  VT_E_FORMAT when truncated,
 * VT_E_CRYPTO when it does not decrypt (altered or for another request). */
VT_NODISCARD VT_API vt_status vt_ohttp_decap_response(vt_buf *out, const vt_ohttp_ctx *ctx, const uint8_t *enc_res,
                                                      size_t len, vt_err *err);
VT_API void vt_ohttp_ctx_free(vt_ohttp_ctx *ctx);
/* The exchange is chunked (draft-ietf-ohai-chunked-ohttp). */
VT_API bool vt_ohttp_ctx_chunked(const vt_ohttp_ctx *ctx);

/* ---- Binary HTTP indeterminate-length responses (RFC 9292 §3.2), streamed ----
 * head (framing 3, status, header lines, 0), content chunks, end (0, no trailers). */
VT_NODISCARD VT_API vt_status vt_bhttp_encode_response_head(vt_buf *out, int status, const vt_bhttp_field *fields,
                                                            size_t field_count, vt_err *err);
VT_NODISCARD VT_API vt_status vt_bhttp_encode_content_chunk(vt_buf *out, const uint8_t *p, size_t len, vt_err *err);
VT_NODISCARD VT_API vt_status vt_bhttp_encode_response_end(vt_buf *out, vt_err *err);
/* An incremental reader of such a response: zero it, then feed it what has
 * arrived; it consumes whole units only (*used; keep the rest for the next
 * call), calls on_field for each header line and on_content for each content
 * chunk (false aborts: VT_E_IO).  Bounded: names 8 KiB, values and content
 * 16 MiB in all, 256 lines.  VT_E_FORMAT for anything malformed. */
typedef struct vt_bhttp_reader {
    int state;
    int status;          /* once read */
    size_t field_count;
    size_t content_len;
} vt_bhttp_reader;
typedef void (*vt_bhttp_field_fn)(void *arg, const char *name, size_t name_len, const char *value, size_t value_len);
typedef bool (*vt_bhttp_content_fn)(void *arg, const uint8_t *p, size_t len);
VT_NODISCARD VT_API vt_status vt_bhttp_reader_feed(vt_bhttp_reader *rd, const uint8_t *p, size_t len, size_t *used,
                                                   vt_bhttp_field_fn on_field, vt_bhttp_content_fn on_content,
                                                   void *arg, vt_err *err);
/* The whole message was read (trailers included). */
VT_API bool vt_bhttp_reader_done(const vt_bhttp_reader *rd);

/* ---- chunked Oblivious HTTP (draft-ietf-ohai-chunked-ohttp; docs/transport.md) ----
 * The same keys and header under the labels "message/bhttp chunked request" /
 * "... response"; each chunk is length-prefixed (QUIC varint) and sealed, the
 * final one after a 0 indicator, to the end of the stream, with AAD "final". */
#define VT_OHTTP_CHUNKED_REQ_MEDIA "message/ohttp-chunked-req"
#define VT_OHTTP_CHUNKED_RES_MEDIA "message/ohttp-chunked-res"
/* Client: the whole request as one final chunk (ctx: chunked). */
VT_NODISCARD VT_API vt_status vt_ohttp_chunked_encap_request(vt_buf *out, vt_ohttp_ctx **ctx,
                                                             const vt_ohttp_key_config *cfg, vt_ohttp_alg alg,
                                                             const uint8_t *req, size_t req_len, vt_err *err);
/* Gateway: every chunk of a complete chunked request (it must end with its
 * final chunk), appended to out.  Errors as vt_ohttp_decap_request. */
VT_NODISCARD VT_API vt_status vt_ohttp_chunked_decap_request(vt_buf *out, vt_ohttp_ctx **ctx,
                                                             const vt_ohttp_key_config *cfg, const vt_hpke_key *sk,
                                                             const uint8_t *enc_req, size_t len, vt_err *err);
/* Gateway: appends one sealed response chunk (the response nonce first, on the
 * first call); final = the last one (may be empty).  No chunk after it, nor
 * after a chunk that failed to seal (any error ends the response: out is
 * unchanged, and the client finds the answer cut short, never a piece missing). */
VT_NODISCARD VT_API vt_status vt_ohttp_chunked_res_seal(vt_buf *out, vt_ohttp_ctx *ctx, const uint8_t *p, size_t len,
                                                        bool final, vt_err *err);
/* Client: opens the complete chunks at the start of in[0..len) (what has
 * arrived of the response and was not used before), appending their content to
 * out; *used = bytes consumed (keep the rest for the next call).  eof = the
 * stream ended: the final chunk is opened, and a response without one is
 * VT_E_FORMAT (truncated).  *final once the final chunk opened.  VT_E_CRYPTO
 * for an altered, reordered or foreign chunk. */
VT_NODISCARD VT_API vt_status vt_ohttp_chunked_res_open(vt_buf *out, vt_ohttp_ctx *ctx, const uint8_t *in, size_t len,
                                                        bool eof, size_t *used, bool *final, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_OHTTP_H */
