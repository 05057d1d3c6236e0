/*
 * Encrypted model weights (format: include/veritee/weights.h, docs/keys.md).
 * Every segment is one job; worker threads take jobs from an atomic counter
 * and pread, seal or open, hash and pwrite their segment independently, so a
 * single huge shard keeps every core busy with two segment buffers per thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto/crypto_int.h"
#include "veritee/measure.h"
#include "veritee/weights.h"

#define SEG_LOG2 22
#define SEG ((size_t)1 << SEG_LOG2)
#define TAG VT_WEIGHTS_TAG_LEN
#define HDR VT_WEIGHTS_HEADER_LEN
#define HDR_TAG_OFF (HDR - TAG)
#define WEIGHTS_MAX_THREADS 64

_Static_assert(SEG == VT_MEASURE_CHUNK, "a segment is one measure chunk, so its leaf digest is computed in place");

static const char file_key_info[] = "veritee-weights-v1 file key";

/* ---- header ---- */

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void header_encode(uint8_t out[HDR], const vt_weights_header *h)
{
    memset(out, 0, HDR);
    memcpy(out, VT_WEIGHTS_MAGIC, 8);
    put_le(out + 8, h->version, 2);
    put_le(out + 10, h->alg, 2);
    out[12] = h->segment_log2;
    put_le(out + 16, h->size, 8);
    memcpy(out + 24, h->salt, 16);
    memcpy(out + 40, h->nonce_prefix, 7);
    memcpy(out + 48, h->digest, 32);
    memcpy(out + HDR_TAG_OFF, h->tag, TAG);
}

vt_status vt_weights_header_parse(vt_weights_header *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_weights_header h;
    uint8_t magic[8], reserved[3], reserved2;
    vt_rd r;

    memset(out, 0, sizeof(*out));
    memset(&h, 0, sizeof(h));
    if (p == NULL || len < HDR)
        return vt_err_set(err, VT_E_FORMAT, "weights: header truncated (%zu of %d bytes)", p == NULL ? 0 : len, HDR);
    vt_rd_init(&r, p, HDR);
    vt_rd_copy(&r, magic, sizeof(magic));
    h.version = vt_rd_u16le(&r);
    h.alg = vt_rd_u16le(&r);
    h.segment_log2 = vt_rd_u8(&r);
    vt_rd_copy(&r, reserved, sizeof(reserved));
    h.size = vt_rd_u64le(&r);
    vt_rd_copy(&r, h.salt, sizeof(h.salt));
    vt_rd_copy(&r, h.nonce_prefix, sizeof(h.nonce_prefix));
    reserved2 = vt_rd_u8(&r);
    vt_rd_copy(&r, h.digest, sizeof(h.digest));
    vt_rd_copy(&r, h.tag, sizeof(h.tag));
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_INTERNAL, "weights: header layout");
    if (!vt_ct_equal(magic, VT_WEIGHTS_MAGIC, 8))
        return vt_err_set(err, VT_E_FORMAT, "weights: magic is not %s (not an encrypted model file)",
                          VT_WEIGHTS_MAGIC);
    if (h.version != 1)
        return vt_err_set(err, VT_E_UNSUPPORTED, "weights: version %u unsupported (expected 1)", h.version);
    if (h.alg != 1)
        return vt_err_set(err, VT_E_UNSUPPORTED, "weights: alg %u unsupported (expected 1, AES-256-GCM)", h.alg);
    if (h.segment_log2 != SEG_LOG2)
        return vt_err_set(err, VT_E_UNSUPPORTED, "weights: segment_log2 %u unsupported (expected %d)",
                          h.segment_log2, SEG_LOG2);
    if (reserved[0] != 0 || reserved[1] != 0 || reserved[2] != 0 || reserved2 != 0)
        return vt_err_set(err, VT_E_FORMAT, "weights: reserved header bytes are not zero");
    if (h.size > VT_WEIGHTS_MAX_SIZE)
        return vt_err_set(err, VT_E_LIMIT, "weights: size %llu above the %llu-byte maximum",
                          (unsigned long long)h.size, (unsigned long long)VT_WEIGHTS_MAX_SIZE);
    *out = h;
    return VT_OK;
}

static uint64_t segments_of(uint64_t size)
{
    return size == 0 ? 1 : (size + SEG - 1) / SEG;
}

uint64_t vt_weights_encrypted_size(uint64_t size)
{
    return HDR + size + TAG * segments_of(size);
}

/* ---- keys, nonces, associated data ---- */

static vt_status check_name(const char *name, vt_err *err)
{
    size_t n = name == NULL ? 0 : strnlen(name, VT_WEIGHTS_NAME_MAX + 1);

    if (n == 0 || n > VT_WEIGHTS_NAME_MAX)
        return vt_err_set(err, VT_E_ARG, "weights: name must be 1..%d bytes", VT_WEIGHTS_NAME_MAX);
    return VT_OK;
}

static void nonce_of(uint8_t out[12], const uint8_t prefix[7], uint32_t counter, uint8_t flag)
{
    memcpy(out, prefix, 7);
    out[7] = (uint8_t)(counter >> 24);
    out[8] = (uint8_t)(counter >> 16);
    out[9] = (uint8_t)(counter >> 8);
    out[10] = (uint8_t)counter;
    out[11] = flag; /* 0 = a segment, 1 = the last segment, 2 = the header tag */
}

/* head_len bytes of header ‖ u32le(len(name)) ‖ name, hashed (segment aad) or not (header aad). */
static vt_status bound_aad(uint8_t *out, size_t *out_len, const uint8_t *head, size_t head_len, const char *name,
                           bool hash, vt_err *err)
{
    size_t n = strlen(name);
    uint8_t nl[4];
    const void *parts[3] = { head, nl, name };
    size_t lens[3] = { head_len, 4, n };

    put_le(nl, n, 4);
    if (hash) {
        *out_len = 32;
        return vt_digestv(VT_MD_SHA256, parts, lens, 3, out, err);
    }
    memcpy(out, head, head_len);
    memcpy(out + head_len, nl, 4);
    memcpy(out + head_len + 4, name, n);
    *out_len = head_len + 4 + n;
    return VT_OK;
}

/* The header tag: AES-256-GCM over nothing, aad = header[0..80) ‖ name. */
static vt_status header_tag(uint8_t tag[TAG], const uint8_t fkey[32], const uint8_t head[HDR],
                            const uint8_t prefix[7], const char *name, vt_err *err)
{
    uint8_t aad[HDR_TAG_OFF + 4 + VT_WEIGHTS_NAME_MAX], nonce[12];
    size_t aad_len = 0;
    vt_status rc = bound_aad(aad, &aad_len, head, HDR_TAG_OFF, name, false, err);

    nonce_of(nonce, prefix, UINT32_MAX, 2);
    if (rc == VT_OK)
        rc = vt_aead_seal(tag, VT_AEAD_AES_256_GCM, fkey, nonce, aad, aad_len, NULL, 0, err); /* the tag alone */
    return rc;
}

/* ---- I/O ---- */

static vt_status pread_full(int fd, uint8_t *p, size_t len, uint64_t off, const char *what, vt_err *err)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vt_err_set(err, VT_E_IO, "weights: read %s: %s", what, strerror(errno));
        if (n == 0)
            return vt_err_set(err, VT_E_FORMAT, "weights: %s is truncated", what);
        got += (size_t)n;
    }
    return VT_OK;
}

static vt_status pwrite_full(int fd, const uint8_t *p, size_t len, uint64_t off, vt_err *err)
{
    size_t put = 0;

    while (put < len) {
        ssize_t n = pwrite(fd, p + put, len - put, (off_t)(off + put));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return vt_err_set(err, VT_E_IO, "weights: write: %s", n < 0 ? strerror(errno) : "no progress");
        put += (size_t)n;
    }
    return VT_OK;
}

/* ---- the parallel pass ---- */

typedef struct pass {
    bool encrypt;
    int in_fd, out_fd;
    uint64_t size, nseg;
    uint8_t fkey[32];
    uint8_t prefix[7];
    uint8_t aad[32];
    uint8_t *leaves; /* 32 bytes per segment (none for an empty file) */
    atomic_uint_fast64_t next;
    atomic_bool failed;
    pthread_mutex_t lock;
    vt_status rc;
    vt_err err;
} pass;

static void pass_fail(pass *ps, vt_status rc, const vt_err *e)
{
    pthread_mutex_lock(&ps->lock);
    if (ps->rc == VT_OK) {
        ps->rc = rc;
        ps->err = *e;
    }
    pthread_mutex_unlock(&ps->lock);
    atomic_store(&ps->failed, true);
}

/* A segment is processed in pieces small enough to stay in the core's cache
 * between the cipher and the hash. */
#define PIECE ((size_t)256 << 10)

static vt_status one_segment(pass *ps, EVP_CIPHER_CTX *c, uint64_t i, uint8_t *pt, uint8_t *ct, vt_err *err)
{
    static const uint8_t leaf_tag = VT_MEASURE_LEAF_TAG;
    uint64_t off = i * SEG;
    size_t len = ps->size - off < SEG ? (size_t)(ps->size - off) : SEG;
    uint64_t ct_off = HDR + i * (SEG + TAG);
    vt_digest_ctx *d = NULL;
    uint8_t nonce[12];
    vt_status rc;

    nonce_of(nonce, ps->prefix, (uint32_t)i, i + 1 == ps->nseg ? 1 : 0);
    if (ps->encrypt)
        rc = pread_full(ps->in_fd, pt, len, off, "the plaintext (it shrank while encrypted)", err);
    else
        rc = pread_full(ps->in_fd, ct, len + TAG, ct_off, "the encrypted file", err);
    if (rc == VT_OK)
        rc = vt__aead_init(c, ps->encrypt, ps->fkey, nonce, ps->aad, 32, err);
    if (rc == VT_OK && len > 0)
        rc = vt_digest_ctx_new(&d, VT_MD_SHA256, err);
    if (rc == VT_OK && len > 0)
        rc = vt_digest_ctx_update(d, &leaf_tag, 1, err);
    for (size_t o = 0; rc == VT_OK && o < len; o += PIECE) {
        size_t n = len - o < PIECE ? len - o : PIECE;
        if (ps->encrypt) {
            rc = vt_digest_ctx_update(d, pt + o, n, err);
            if (rc == VT_OK)
                rc = vt__aead_update(c, ct + o, pt + o, n, err);
        } else {
            rc = vt__aead_update(c, pt + o, ct + o, n, err);
            if (rc == VT_OK)
                rc = vt_digest_ctx_update(d, pt + o, n, err);
        }
    }
    if (rc == VT_OK && vt__aead_final(c, ps->encrypt, ct + len, NULL) != VT_OK) {
        OPENSSL_cleanse(pt, len); /* unauthenticated plaintext goes nowhere */
        rc = vt_err_set(err, VT_E_CRYPTO,
                        "weights: segment %llu of %llu does not authenticate (altered, reordered, or from another "
                        "file)",
                        (unsigned long long)i, (unsigned long long)ps->nseg);
    }
    if (rc == VT_OK && len > 0)
        rc = vt_digest_ctx_final(d, ps->leaves + 32 * i, err);
    if (rc == VT_OK && ps->encrypt)
        rc = pwrite_full(ps->out_fd, ct, len + TAG, ct_off, err);
    else if (rc == VT_OK)
        rc = pwrite_full(ps->out_fd, pt, len, off, err);
    vt_digest_ctx_free(d);
    return rc;
}

static void *worker(void *arg)
{
    pass *ps = arg;
    uint8_t *pt = malloc(SEG), *ct = malloc(SEG + TAG);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    vt_err e = { 0 };

    if (pt == NULL || ct == NULL || c == NULL) {
        vt_err_set(&e, VT_E_NOMEM, "weights: out of memory for segment buffers");
        pass_fail(ps, VT_E_NOMEM, &e);
    }
    while (pt != NULL && ct != NULL && c != NULL) {
        uint64_t i = atomic_fetch_add(&ps->next, 1);
        vt_status rc;

        if (i >= ps->nseg || atomic_load(&ps->failed))
            break;
        rc = one_segment(ps, c, i, pt, ct, &e);
        if (rc != VT_OK) {
            pass_fail(ps, rc, &e);
            break;
        }
    }
    if (pt != NULL)
        OPENSSL_cleanse(pt, SEG);
    EVP_CIPHER_CTX_free(c); /* wipes the key schedule */
    free(pt);
    free(ct);
    return NULL;
}

static unsigned thread_count(const vt_weights_opts *o, uint64_t jobs)
{
    long n = o != NULL && o->threads > 0 ? (long)o->threads : sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        n = 1;
    if (n > WEIGHTS_MAX_THREADS)
        n = WEIGHTS_MAX_THREADS;
    if ((uint64_t)n > jobs)
        n = (long)jobs;
    return (unsigned)n;
}

/* Runs every segment of ps, then compares the plaintext digest with digest. */
static vt_status run_pass(pass *ps, const uint8_t digest[32], uint8_t computed[32], const vt_weights_opts *o,
                          vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    pthread_t th[WEIGHTS_MAX_THREADS];
    unsigned nt = thread_count(o, ps->nseg), started = 0;
    size_t nleaves = ps->size == 0 ? 0 : (size_t)ps->nseg;

    ps->rc = VT_OK;
    atomic_init(&ps->next, 0);
    atomic_init(&ps->failed, false);
    pthread_mutex_init(&ps->lock, NULL);
    ps->leaves = malloc(nleaves ? 32 * nleaves : 1);
    if (ps->leaves == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "weights: out of memory");
        goto out;
    }
    for (unsigned t = 0; t < nt; t++) {
        if (pthread_create(&th[t], NULL, worker, ps) != 0)
            break;
        started++;
    }
    if (started == 0)
        worker(ps); /* no threads to be had: do it here */
    for (unsigned t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    if (ps->rc != VT_OK) {
        rc = ps->rc;
        if (err != NULL)
            *err = ps->err;
        goto out;
    }
    rc = vt_measure_file_digest(computed, ps->size, ps->leaves, nleaves, err);
    if (rc == VT_OK && !vt_ct_equal(computed, digest, 32))
        rc = vt_err_set(err, VT_E_CRYPTO,
                        ps->encrypt ? "weights: the plaintext changed while it was encrypted"
                                    : "weights: plaintext digest differs from the header's");
out:
    free(ps->leaves);
    ps->leaves = NULL;
    pthread_mutex_destroy(&ps->lock);
    return rc;
}

static vt_status file_key(uint8_t out[32], const uint8_t key[32], const uint8_t salt[16], vt_err *err)
{
    return vt_hkdf_sha256(out, 32, key, 32, salt, 16, (const uint8_t *)file_key_info, sizeof(file_key_info) - 1,
                          err);
}

/* ---- temporary output files ---- */

static vt_status temp_open(int *fd, char *tmp, size_t tmp_len, const char *out_path, vt_err *err)
{
    int n = snprintf(tmp, tmp_len, "%s.partial-XXXXXX", out_path);

    *fd = -1;
    if (n < 0 || (size_t)n >= tmp_len)
        return vt_err_set(err, VT_E_ARG, "weights: output path too long");
    *fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (*fd < 0)
        return vt_err_set(err, VT_E_IO, "weights: cannot create %s: %s", tmp, strerror(errno));
    return VT_OK;
}

static vt_status temp_commit(int fd, const char *tmp, const char *out_path, vt_err *err)
{
    if (fsync(fd) != 0)
        return vt_err_set(err, VT_E_IO, "weights: fsync %s: %s", tmp, strerror(errno));
    if (rename(tmp, out_path) != 0)
        return vt_err_set(err, VT_E_IO, "weights: rename to %s: %s", out_path, strerror(errno));
    return VT_OK;
}

static vt_status open_regular(int *fd, uint64_t *size, const char *path, vt_err *err)
{
    struct stat st;

    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (*fd < 0)
        return vt_err_set(err, errno == ENOENT ? VT_E_NOTFOUND : VT_E_IO, "weights: cannot open %s: %s", path,
                          strerror(errno));
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return vt_err_set(err, VT_E_ARG, "weights: %s is not a regular file", path);
    }
    *size = (uint64_t)st.st_size;
    return VT_OK;
}

/* ---- encrypt ---- */

vt_status vt_weights_encrypt_file(vt_weights_info *info, const char *out_path, const char *in_path,
                                  const uint8_t key[VT_WEIGHTS_KEY_LEN], const char *name,
                                  const vt_weights_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_weights_header h;
    uint8_t head[HDR], computed[32];
    char tmp[4096];
    uint64_t st_size = 0;
    size_t aad_len = 0;
    int out_fd = -1;
    pass ps;

    memset(&ps, 0, sizeof(ps));
    memset(&h, 0, sizeof(h));
    ps.in_fd = -1;
    tmp[0] = '\0';
    if (info != NULL)
        memset(info, 0, sizeof(*info));
    rc = check_name(name, err);
    if (rc == VT_OK)
        rc = open_regular(&ps.in_fd, &st_size, in_path, err);
    /* The digest goes in the header, and the header is every segment's aad: measure first. */
    if (rc == VT_OK)
        rc = vt_measure_file(h.digest, &h.size, in_path, err);
    if (rc == VT_OK && h.size != st_size)
        rc = vt_err_set(err, VT_E_IO, "weights: %s changed size while it was measured", in_path);
    if (rc == VT_OK && h.size > VT_WEIGHTS_MAX_SIZE)
        rc = vt_err_set(err, VT_E_LIMIT, "weights: %s is larger than %llu bytes", in_path,
                        (unsigned long long)VT_WEIGHTS_MAX_SIZE);
    if (rc != VT_OK)
        goto out;
    h.version = 1;
    h.alg = 1;
    h.segment_log2 = SEG_LOG2;
    rc = vt_random(h.salt, sizeof(h.salt), err);
    if (rc == VT_OK)
        rc = vt_random(h.nonce_prefix, sizeof(h.nonce_prefix), err);
    if (rc == VT_OK)
        rc = file_key(ps.fkey, key, h.salt, err);
    if (rc == VT_OK) {
        header_encode(head, &h);
        rc = header_tag(h.tag, ps.fkey, head, h.nonce_prefix, name, err);
    }
    if (rc == VT_OK) {
        header_encode(head, &h);
        rc = bound_aad(ps.aad, &aad_len, head, HDR, name, true, err);
    }
    if (rc == VT_OK)
        rc = temp_open(&out_fd, tmp, sizeof(tmp), out_path, err);
    if (rc == VT_OK)
        rc = pwrite_full(out_fd, head, HDR, 0, err);
    if (rc != VT_OK)
        goto out;
    ps.encrypt = true;
    ps.out_fd = out_fd;
    ps.size = h.size;
    ps.nseg = segments_of(h.size);
    memcpy(ps.prefix, h.nonce_prefix, 7);
    rc = run_pass(&ps, h.digest, computed, opts, err);
    if (rc == VT_OK)
        rc = temp_commit(out_fd, tmp, out_path, err);
    if (rc != VT_OK)
        goto out;
    tmp[0] = '\0';
    if (info != NULL) {
        info->size = h.size;
        info->segments = ps.nseg;
        memcpy(info->digest, h.digest, 32);
    }
out:
    if (out_fd >= 0)
        close(out_fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    if (ps.in_fd >= 0)
        close(ps.in_fd);
    OPENSSL_cleanse(ps.fkey, sizeof(ps.fkey));
    return rc;
}

/* ---- decrypt ---- */

vt_status vt_weights_decrypt_fd(vt_weights_info *info, int out_fd, int in_fd, const uint8_t key[VT_WEIGHTS_KEY_LEN],
                                const char *name, const vt_weights_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_weights_header h;
    uint8_t head[HDR], tag[TAG], computed[32];
    struct stat st;
    size_t aad_len = 0;
    bool wrote = false;
    pass ps;

    memset(&ps, 0, sizeof(ps));
    if (info != NULL)
        memset(info, 0, sizeof(*info));
    rc = check_name(name, err);
    if (rc == VT_OK && fstat(in_fd, &st) != 0)
        rc = vt_err_set(err, VT_E_IO, "weights: stat the encrypted file: %s", strerror(errno));
    if (rc == VT_OK && (uint64_t)st.st_size < HDR)
        rc = vt_err_set(err, VT_E_FORMAT, "weights: header truncated (%llu of %d bytes)",
                        (unsigned long long)st.st_size, HDR);
    if (rc == VT_OK)
        rc = pread_full(in_fd, head, HDR, 0, "the encrypted file", err);
    if (rc == VT_OK)
        rc = vt_weights_header_parse(&h, head, HDR, err);
    if (rc == VT_OK)
        rc = file_key(ps.fkey, key, h.salt, err);
    if (rc == VT_OK)
        rc = header_tag(tag, ps.fkey, head, h.nonce_prefix, name, err);
    if (rc == VT_OK && !vt_ct_equal(tag, h.tag, TAG))
        rc = vt_err_set(err, VT_E_CRYPTO,
                        "weights: header does not authenticate under this key and name \"%.100s\" (wrong key, wrong "
                        "name, or an altered header)",
                        name);
    if (rc == VT_OK && (uint64_t)st.st_size != vt_weights_encrypted_size(h.size))
        rc = vt_err_set(err, VT_E_CRYPTO, "weights: the encrypted file is %s: %llu bytes, the header implies %llu",
                        (uint64_t)st.st_size < vt_weights_encrypted_size(h.size) ? "truncated" : "too long",
                        (unsigned long long)st.st_size, (unsigned long long)vt_weights_encrypted_size(h.size));
    if (rc == VT_OK)
        rc = bound_aad(ps.aad, &aad_len, head, HDR, name, true, err);
    if (rc != VT_OK)
        goto out;
    wrote = true;
    if (ftruncate(out_fd, 0) != 0 || ftruncate(out_fd, (off_t)h.size) != 0) {
        rc = vt_err_set(err, VT_E_IO, "weights: cannot size the output: %s", strerror(errno));
        goto out;
    }
    ps.in_fd = in_fd;
    ps.out_fd = out_fd;
    ps.size = h.size;
    ps.nseg = segments_of(h.size);
    memcpy(ps.prefix, h.nonce_prefix, 7);
    rc = run_pass(&ps, h.digest, computed, opts, err);
    if (rc != VT_OK)
        goto out;
    if (info != NULL) {
        info->size = h.size;
        info->segments = ps.nseg;
        memcpy(info->digest, computed, 32);
    }
out:
    if (rc != VT_OK && wrote && ftruncate(out_fd, 0) != 0)
        rc = vt_err_set(err, VT_E_IO, "weights: cannot discard the partial output: %s", strerror(errno));
    OPENSSL_cleanse(ps.fkey, sizeof(ps.fkey));
    return rc;
}

vt_status vt_weights_decrypt_file(vt_weights_info *info, const char *out_path, const char *in_path,
                                  const uint8_t key[VT_WEIGHTS_KEY_LEN], const char *name,
                                  const vt_weights_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char tmp[4096];
    uint64_t size = 0;
    int in_fd = -1, out_fd = -1;

    tmp[0] = '\0';
    rc = open_regular(&in_fd, &size, in_path, err);
    if (rc == VT_OK)
        rc = temp_open(&out_fd, tmp, sizeof(tmp), out_path, err);
    if (rc == VT_OK)
        rc = vt_weights_decrypt_fd(info, out_fd, in_fd, key, name, opts, err);
    if (rc == VT_OK)
        rc = temp_commit(out_fd, tmp, out_path, err);
    if (rc == VT_OK)
        tmp[0] = '\0';
    if (out_fd >= 0)
        close(out_fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    if (in_fd >= 0)
        close(in_fd);
    return rc;
}
