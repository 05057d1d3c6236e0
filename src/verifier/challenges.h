/*
 * The challenges of a verifier on SQLite, kept in memory (challenges.c): a
 * single-node verifier's nonces cost no database write.
 *
 * A nonce carries what checking it needs: 12 random bytes, the second it was
 * issued (u32be) and a tag, the first 16 bytes of HMAC-SHA256 under a key
 * made at start and never written anywhere.  Taking a nonce checks the tag
 * (constant time: a nonce this process did not issue is unknown), its age
 * against the lifetime, and the set of tags already taken, which it then
 * joins until the nonce would have expired.  So each nonce is good once, and
 * a restart forgets every outstanding one (a new key): an attester that asked
 * just before gets "unknown" and asks again.
 *
 * The taken set grows only by genuine nonces (the tag comes first), and holds
 * at most max_taken of them at once: past that, taking is refused (VT_E_LIMIT)
 * until older ones expire.  Replicas on PostgreSQL share challenges in the
 * database instead (store.h), since a challenge and its attest may reach
 * different replicas.  Thread-safe.
 */
#ifndef VT_VERIFIER_CHALLENGES_H
#define VT_VERIFIER_CHALLENGES_H

#include <stddef.h>
#include <stdint.h>

#include "verifier/store.h"

#define VF_NONCE_LEN 32

typedef struct vf_challenges vf_challenges;

/* ttl: a nonce's lifetime in seconds (> 0); max_taken: nonces taken and not yet expired that
 * are remembered at once (0 = 1,048,576). */
vt_status vf_challenges_new(vf_challenges **out, vt_time ttl, size_t max_taken, vt_err *err);
/* Wipes the key.  NULL-safe. */
void vf_challenges_free(vf_challenges *c);
/* A fresh nonce issued at now. */
vt_status vf_challenges_issue(vf_challenges *c, uint8_t nonce[VF_NONCE_LEN], vt_time now, vt_err *err);
/*
 * Takes nonce at now: *out VS_TAKE_OK (with *issued, the second it was issued) the first
 * time, VS_TAKE_USED after, VS_TAKE_EXPIRED once its lifetime has passed (the same as the
 * database's challenges: expired from issued + ttl on), VS_TAKE_UNKNOWN when this process
 * did not issue it.  VT_E_LIMIT when max_taken unexpired nonces are taken already.
 */
vt_status vf_challenges_take(vf_challenges *c, vs_take *out, vt_time *issued, const uint8_t nonce[VF_NONCE_LEN],
                             vt_time now, vt_err *err);

#endif
