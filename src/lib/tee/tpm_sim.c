/*
 * The simulated TPM's attestation key (veritee/sim.h): a software TPM
 * (swtpm, `veritee sim tpm start`) has no AK certificate from a vendor, so
 * its AK is recorded in <state_dir>/sim/tpm_ak_sha256 (the SHA-256 of its
 * SubjectPublicKeyInfo, in hex) and trusted, like the simulation root, only
 * by a verifier told to trust simulation (vt_verify_opts.trust_sim).  A
 * pin is never hardware: such evidence is not hardware_attested.
 */
#include <stdio.h>
#include <string.h>

#include "tee/tpm_sim.h"

#define AK_FILE "sim/tpm_ak_sha256"

static vt_status ak_path(char *out, size_t n, const char *state_dir, vt_err *err)
{
    if (state_dir == NULL || *state_dir == '\0')
        return vt_err_set(err, VT_E_ARG, "sim: the simulated TPM's AK needs a state directory");
    if (snprintf(out, n, "%s/" AK_FILE, state_dir) >= (int)n)
        return vt_err_set(err, VT_E_ARG, "sim: state directory path too long");
    return VT_OK;
}

vt_status vt_sim_tpm_pin_ak(const char *state_dir, const uint8_t ak_sha256[32], vt_err *err)
{
    char path[4200], dir[4200], hex[65];
    vt_status rc = ak_path(path, sizeof(path), state_dir, err);

    if (rc != VT_OK)
        return rc;
    snprintf(dir, sizeof(dir), "%s/sim", state_dir);
    rc = vt_dir_private(dir, err);
    if (rc != VT_OK)
        return rc;
    vt_hex_encode(hex, ak_sha256, 32);
    hex[64] = '\n';
    return vt_file_write(path, hex, sizeof(hex), 0600, err);
}

bool vt__sim_tpm_ak_pinned(const char *state_dir, const uint8_t ak_sha256[32])
{
    char path[4200];
    uint8_t pin[32];
    vt_buf b;
    bool ok = false;

    if (ak_path(path, sizeof(path), state_dir, NULL) != VT_OK)
        return false;
    vt_buf_init(&b);
    if (vt_file_read(&b, path, 65, NULL) == VT_OK && b.len == 65 && b.data[64] == '\n' &&
        vt_hex_decode(pin, sizeof(pin), (const char *)b.data, 64, NULL) == VT_OK)
        ok = vt_ct_equal(pin, ak_sha256, sizeof(pin));
    vt_buf_free(&b);
    return ok;
}
