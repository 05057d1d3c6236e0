/* Compiled-in certificates pinned by the SHA-256 of their DER: the vendor roots
 * (tee/roots.c) and the GCE vTPM CAs (tee/tpm_roots.c).  Each set is parsed
 * once, on first use, all or nothing: one certificate whose text does not hash
 * to its pin disables the whole set. */
#ifndef VT_TEE_PINNED_H
#define VT_TEE_PINNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "veritee/crypto.h"

typedef struct vt__pin {
    const char *pem;
    size_t len; /* without the terminating NUL */
    const uint8_t *sha256;
} vt__pin;

/* { name_pem, sizeof(name_pem) - 1, name_sha256 } for the pair name_pem / name_sha256. */
#define VT__PIN(name) { name##_pem, sizeof(name##_pem) - 1, name##_sha256 }

typedef struct vt__pinned_set {
    const vt__pin *pins;
    size_t count;
    const char *what; /* for the error: "Intel SGX Root CA" */
    vt_x509 **certs;  /* count slots, filled on load; process lifetime */
    int state;        /* 0 not tried, 1 loaded, -1 failed (atomic) */
} vt__pinned_set;

/* Loads the set once; on success s->certs[0..count) are borrowed, process-lifetime. */
vt_status vt__pinned_load(vt__pinned_set *s, vt_err *err);

#endif
