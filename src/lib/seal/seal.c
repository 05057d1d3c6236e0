/* Sealing to the platform (format: include/veritee/seal.h, docs/keys.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tee/collect.h"
#include "veritee/crypto.h"
#include "veritee/seal.h"

#define SEAL_NONCE VT_AEAD_NONCE_LEN
#define SEAL_TAG VT_AEAD_TAG_LEN
/* SNP guest field select: bit 0 guest policy, bit 3 measurement (SEV-SNP ABI, MSG_KEY_REQ). */
#define SNP_FIELDS_POLICY_MEASUREMENT ((uint64_t)0x9)

static const char seal_label[] = "veritee-seal-v1";

const char *vt_seal_platform_tag(vt_seal_platform p)
{
    switch (p) {
    case VT_SEAL_MOCK: return "mock";
    case VT_SEAL_SEVSNP: return "sevsnp";
    case VT_SEAL_TPM: return "tpm";
    }
    return "unknown";
}

void vt_seal_root_wipe(vt_seal_root *r)
{
    if (r != NULL)
        OPENSSL_cleanse(r, sizeof(*r));
}

vt_status vt_seal_root_sevsnp(vt_seal_root *out, const char *sysroot, vt_err *err)
{
    vt_status rc;

    memset(out, 0, sizeof(*out));
    rc = vt__sevsnp_derived_key(out->key, sysroot, SNP_FIELDS_POLICY_MEASUREMENT, err);
    if (rc != VT_OK) {
        vt_seal_root_wipe(out);
        return rc;
    }
    out->platform = VT_SEAL_SEVSNP;
    out->hardware = true;
    return VT_OK;
}

vt_status vt_seal_root_mock(vt_seal_root *out, const char *state_dir, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t fresh[32];
    char path[4096];
    vt_buf b;
    int n;

    memset(out, 0, sizeof(*out));
    vt_buf_init(&b);
    n = snprintf(path, sizeof(path), "%s/seal-root.key", state_dir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return vt_err_set(err, VT_E_ARG, "seal: state directory path too long");
    rc = vt_dir_private(state_dir, err);
    if (rc != VT_OK)
        goto out;
    if (access(path, F_OK) != 0) {
        rc = vt_random(fresh, sizeof(fresh), err);
        if (rc == VT_OK)
            rc = vt_file_create(NULL, path, fresh, sizeof(fresh), 0600, err); /* or the one made meanwhile */
        if (rc != VT_OK)
            goto out;
    }
    rc = vt_file_read_private(&b, path, 64, err);
    if (rc != VT_OK)
        goto out;
    if (b.len != 32) {
        rc = vt_err_set(err, VT_E_FORMAT, "seal: %s is not a 32-byte key", path);
        goto out;
    }
    memcpy(out->key, b.data, 32);
    out->platform = VT_SEAL_MOCK;
    out->hardware = false;
    rc = VT_OK;
out:
    OPENSSL_cleanse(fresh, sizeof(fresh));
    if (b.data != NULL)
        OPENSSL_cleanse(b.data, b.len);
    vt_buf_free(&b);
    return rc;
}

/* key = HKDF-SHA256(root, info = "veritee-seal-v1" 0 key_id 0 platform_tag) */
static vt_status seal_key(uint8_t key[32], const vt_seal_root *root, const char *key_id, vt_err *err)
{
    uint8_t info[sizeof(seal_label) + VT_SEAL_KEY_ID_MAX + 1 + 16];
    const char *tag = vt_seal_platform_tag(root->platform);
    size_t idl = key_id == NULL ? 0 : strnlen(key_id, VT_SEAL_KEY_ID_MAX + 1), tl = strlen(tag), n = 0;

    if (idl == 0 || idl > VT_SEAL_KEY_ID_MAX)
        return vt_err_set(err, VT_E_ARG, "seal: key_id must be 1..%d bytes", VT_SEAL_KEY_ID_MAX);
    if (root->platform != VT_SEAL_MOCK && root->platform != VT_SEAL_SEVSNP && root->platform != VT_SEAL_TPM)
        return vt_err_set(err, VT_E_ARG, "seal: unknown sealing platform %d", (int)root->platform);
    memcpy(info, seal_label, sizeof(seal_label)); /* with its NUL */
    n = sizeof(seal_label);
    memcpy(info + n, key_id, idl);
    n += idl;
    info[n++] = 0;
    memcpy(info + n, tag, tl);
    n += tl;
    return vt_hkdf_sha256(key, 32, root->key, sizeof(root->key), NULL, 0, info, n, err);
}

vt_status vt_seal(vt_buf *out, const vt_seal_root *root, const char *key_id, const uint8_t *p, size_t len,
                  vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t key[32], *dst;
    size_t start = out->len;

    if (len > VT_SEAL_MAX || (p == NULL && len > 0))
        return vt_err_set(err, VT_E_LIMIT, "seal: plaintext of %zu bytes is above the %zu-byte maximum", len,
                          VT_SEAL_MAX);
    rc = seal_key(key, root, key_id, err);
    if (rc == VT_OK)
        rc = vt_buf_reserve(out, len + VT_SEAL_OVERHEAD, err);
    if (rc != VT_OK)
        goto out;
    dst = out->data + start;
    rc = vt_random(dst, SEAL_NONCE, err);
    if (rc == VT_OK)
        rc = vt_aead_seal(dst + SEAL_NONCE, VT_AEAD_AES_256_GCM, key, dst, NULL, 0, p, len, err); /* ct ‖ tag */
    if (rc == VT_OK)
        out->len = start + len + VT_SEAL_OVERHEAD;
out:
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

vt_status vt_unseal(vt_buf *out, const vt_seal_root *root, const char *key_id, const uint8_t *blob, size_t len,
                    vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t key[32];
    size_t start = out->len, n;

    if (blob == NULL || len < VT_SEAL_OVERHEAD)
        return vt_err_set(err, VT_E_FORMAT, "seal: blob of %zu bytes is shorter than nonce and tag (%d)",
                          blob == NULL ? 0 : len, VT_SEAL_OVERHEAD);
    if (len > VT_SEAL_MAX + VT_SEAL_OVERHEAD)
        return vt_err_set(err, VT_E_LIMIT, "seal: blob of %zu bytes is above the maximum", len);
    n = len - VT_SEAL_OVERHEAD;
    rc = seal_key(key, root, key_id, err);
    if (rc == VT_OK)
        rc = vt_buf_reserve(out, n + 1, err);
    if (rc != VT_OK)
        goto out;
    if (vt_aead_open(out->data + start, VT_AEAD_AES_256_GCM, key, blob, NULL, 0, blob + SEAL_NONCE,
                     n + VT_AEAD_TAG_LEN, NULL) != VT_OK) {
        rc = vt_err_set(err, VT_E_CRYPTO,
                        "seal: blob does not open under key id \"%.64s\" on platform %s (sealed under another key "
                        "id, platform or measurement, or altered)",
                        key_id, vt_seal_platform_tag(root->platform));
        goto out;
    }
    out->len = start + n;
    rc = VT_OK;
out:
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}
