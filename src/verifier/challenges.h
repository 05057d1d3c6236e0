/*
 * The verifier's challenges (challenges.c): issuing a nonce writes nothing,
 * taking one records it once.
 *
 * A nonce carries what checking it needs: 12 random bytes, the second it was
 * issued (u32be) and a tag, the first 16 bytes of HMAC-SHA256 under the
 * challenge key.  Taking a nonce checks the tag (constant time: a nonce not
 * issued under this key is unknown), its age against the lifetime, and then
 * records the tag as taken until the nonce would have expired; a second take
 * finds it there.  So each nonce is good once.
 *
 * Where the key and the taken tags live:
 * - SQLite (one process): in memory.  The key is made at start and never
 *   written, so a restart forgets every outstanding nonce (an attester that
 *   asked just before gets "unknown" and asks again).  The taken set holds at
 *   most max_taken tags at once: past that, taking is refused (VT_E_LIMIT)
 *   until older ones expire.
 * - PostgreSQL (replicas, whose challenge and attest may reach different
 *   ones): in the database (store.h challenge_key, challenge_spend), one
 *   insert per take.
 * Either way a tag is recorded only for a genuine nonce (the tag is checked
 * first).  Thread-safe.
 */
#ifndef VT_VERIFIER_CHALLENGES_H
#define VT_VERIFIER_CHALLENGES_H

#include <stddef.h>
#include <stdint.h>

#include "verifier/store.h"

#define VF_NONCE_LEN 32

typedef struct vf_challenges vf_challenges;

/* ttl: a nonce's lifetime in seconds (> 0).  shared_key: the replicas' key (taken tags then
 * go to the store given to take), or NULL for a key of this process and taken tags kept in
 * memory, max_taken of them at once (0 = 1,048,576). */
vt_status vf_challenges_new(vf_challenges **out, vt_time ttl, size_t max_taken,
                            const uint8_t shared_key[VS_CHALLENGE_KEY_LEN], vt_err *err);
/* Wipes the key.  NULL-safe. */
void vf_challenges_free(vf_challenges *c);
/* A fresh nonce issued at now. */
vt_status vf_challenges_issue(vf_challenges *c, uint8_t nonce[VF_NONCE_LEN], vt_time now, vt_err *err);
/*
 * Takes nonce at now: *out VS_TAKE_OK (with *issued, the second it was issued) the first
 * time, VS_TAKE_USED after, VS_TAKE_EXPIRED from issued + ttl on, VS_TAKE_UNKNOWN when it
 * was not issued under this key.  st: the caller's store connection, for a shared key (its
 * challenge_spend records the take); unused otherwise.  VT_E_LIMIT when max_taken
 * unexpired nonces are taken already (in memory); the store's error when it fails.
 */
vt_status vf_challenges_take(vf_challenges *c, vs_store *st, vs_take *out, vt_time *issued,
                             const uint8_t nonce[VF_NONCE_LEN], vt_time now, vt_err *err);

#endif
