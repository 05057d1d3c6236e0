/*
 * veritee encrypted model weights (format "veritee-weights-v1",
 * docs/keys.md): a streaming, chunked AEAD over one file.
 *
 *   header (96 bytes) ‖ segment_0 ‖ … ‖ segment_{n-1}
 *   segment_i = AES-256-GCM(file_key, nonce_i, aad, plaintext_i) ‖ tag(16)
 *
 * Plaintext segments are VT_MEASURE_CHUNK (4 MiB) long, the last one shorter
 * (an empty file has one empty segment).  file_key = HKDF-SHA256(key, salt,
 * "veritee-weights-v1 file key"); nonce_i = prefix(7) ‖ u32be(i) ‖ last(1);
 * aad = SHA-256(header ‖ u32le(len(name)) ‖ name).  So truncation, reordering,
 * segments moved between files, a file renamed to another's name, and any
 * header change all fail.  The header carries the plaintext's measure file
 * digest (veritee measure), recomputed while decrypting and compared.
 * Segments are processed on all cores; memory is bounded by two segments per
 * thread, whatever the file size.
 */
#ifndef VERITEE_WEIGHTS_H
#define VERITEE_WEIGHTS_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_WEIGHTS_FORMAT "veritee-weights-v1"
#define VT_WEIGHTS_MAGIC "VTWGHT01"
#define VT_WEIGHTS_HEADER_LEN 96
#define VT_WEIGHTS_KEY_LEN 32
#define VT_WEIGHTS_TAG_LEN 16
#define VT_WEIGHTS_NAME_MAX 1024
/* Largest plaintext accepted: 4 TiB. */
#define VT_WEIGHTS_MAX_SIZE ((uint64_t)1 << 42)

/* The header's fields (all copied: nothing points into the parsed bytes). */
typedef struct vt_weights_header {
    uint16_t version;        /* 1 */
    uint16_t alg;            /* 1 = AES-256-GCM, HKDF-SHA256 file key */
    uint8_t segment_log2;    /* 22: 4 MiB segments (= VT_MEASURE_CHUNK) */
    uint64_t size;           /* plaintext bytes */
    uint8_t salt[16];        /* per file: HKDF salt of the file key */
    uint8_t nonce_prefix[7]; /* per file */
    uint8_t digest[32];      /* plaintext measure file digest */
    uint8_t tag[16];         /* AES-256-GCM tag over the header and name (empty plaintext) */
} vt_weights_header;

typedef struct vt_weights_opts {
    unsigned threads; /* 0 = the online CPUs (at most 64) */
} vt_weights_opts;

/* What was encrypted or decrypted. */
typedef struct vt_weights_info {
    uint64_t size;      /* plaintext bytes */
    uint64_t segments;
    uint8_t digest[32]; /* plaintext measure file digest: checked against the header when decrypting */
} vt_weights_info;

/* Parses the first VT_WEIGHTS_HEADER_LEN bytes of p (len may be larger: the
 * rest is not looked at).  VT_E_FORMAT / VT_E_UNSUPPORTED / VT_E_LIMIT name
 * the field.  Authenticates nothing: the tag is checked by decryption. */
VT_NODISCARD VT_API vt_status vt_weights_header_parse(vt_weights_header *out, const uint8_t *p, size_t len,
                                                      vt_err *err);
/* Bytes of the encrypted file for a plaintext of size bytes. */
VT_API uint64_t vt_weights_encrypted_size(uint64_t size);

/*
 * Encrypts the regular file in_path into out_path under key, binding name
 * (the file's name in the model, e.g. its relative path; 1..VT_WEIGHTS_NAME_MAX
 * bytes).  The plaintext is measured first, then encrypted; a file that changes
 * in between is refused.  out_path is written through a temporary file in the
 * same directory and renamed only on success.  info may be NULL.  All borrowed.
 */
VT_NODISCARD VT_API vt_status vt_weights_encrypt_file(vt_weights_info *info, const char *out_path, const char *in_path,
                                                      const uint8_t key[VT_WEIGHTS_KEY_LEN], const char *name,
                                                      const vt_weights_opts *opts, vt_err *err);
/*
 * Decrypts in_fd (an encrypted file, read with pread) into out_fd (a regular
 * file or memfd, written with pwrite and truncated to the plaintext size),
 * expecting name.  Every segment is authenticated and the plaintext digest is
 * recomputed and compared with the header's; on any failure VT_E_CRYPTO (or
 * VT_E_FORMAT for a malformed header, VT_E_IO) and out_fd is truncated to zero,
 * so no unauthenticated plaintext remains.  info may be NULL.
 */
VT_NODISCARD VT_API vt_status vt_weights_decrypt_fd(vt_weights_info *info, int out_fd, int in_fd,
                                                    const uint8_t key[VT_WEIGHTS_KEY_LEN], const char *name,
                                                    const vt_weights_opts *opts, vt_err *err);
/* vt_weights_decrypt_fd on paths: out_path is written through a temporary
 * file (mode 0600) renamed only on success. */
VT_NODISCARD VT_API vt_status vt_weights_decrypt_file(vt_weights_info *info, const char *out_path, const char *in_path,
                                                      const uint8_t key[VT_WEIGHTS_KEY_LEN], const char *name,
                                                      const vt_weights_opts *opts, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_WEIGHTS_H */
