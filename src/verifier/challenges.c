/* Challenges: tagged nonces, and the record of those taken (challenges.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "veritee/crypto.h"
#include "verifier/challenges.h"

#define RAND_LEN 12
#define TIME_LEN 4
#define TAG_LEN VS_CHALLENGE_TAG_LEN
_Static_assert(RAND_LEN + TIME_LEN + TAG_LEN == VF_NONCE_LEN, "nonce layout");
#define KEY_LEN VS_CHALLENGE_KEY_LEN
#define FIRST_SLOTS 1024
#define DEFAULT_MAX_TAKEN ((size_t)1 << 20)
static const char DOMAIN[] = "veritee challenge v1"; /* the tag's domain: this key tags nothing else */

/* One taken nonce: the first 8 bytes of its tag (a MAC: uniform, so also its hash) and when it
 * expires.  expires 0 = an empty slot. */
struct slot {
    uint64_t tag;
    vt_time expires;
};

struct vf_challenges {
    pthread_mutex_t mu;
    uint8_t key[KEY_LEN];
    bool shared;        /* the replicas' key: taken tags go to the store */
    vt_time ttl;
    size_t max_taken;
    struct slot *slots; /* open addressing, linear probing, at most half full; NULL if shared */
    size_t cap;         /* a power of two */
    size_t live;        /* slots in use, expired ones included until a sweep */
    vt_time sweep_at;   /* no sweep before then: nothing taken expires earlier */
};

vt_status vf_challenges_new(vf_challenges **out, vt_time ttl, size_t max_taken,
                            const uint8_t shared_key[VS_CHALLENGE_KEY_LEN], vt_err *err)
{
    vf_challenges *c;
    vt_status rc = VT_OK;

    *out = NULL;
    if (ttl <= 0 || ttl > UINT32_MAX)
        return vt_err_set(err, VT_E_ARG, "challenges: a lifetime of 1 s or more is needed");
    c = calloc(1, sizeof(*c));
    /* the taken set, kept here only without a shared key (with one the store keeps it) */
    if (c == NULL || (shared_key == NULL && (c->slots = calloc(FIRST_SLOTS, sizeof(*c->slots))) == NULL)) {
        free(c);
        return vt_err_set(err, VT_E_NOMEM, "challenges: out of memory");
    }
    if (shared_key != NULL)
        memcpy(c->key, shared_key, sizeof(c->key));
    else
        rc = vt_random(c->key, sizeof(c->key), err);
    if (rc != VT_OK) {
        free(c->slots);
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->shared = shared_key != NULL;
    c->ttl = ttl;
    c->max_taken = max_taken > 0 ? max_taken : DEFAULT_MAX_TAKEN;
    c->cap = FIRST_SLOTS;
    *out = c;
    return VT_OK;
}

void vf_challenges_free(vf_challenges *c)
{
    if (c == NULL)
        return;
    vt_wipe(c->key, sizeof(c->key));
    pthread_mutex_destroy(&c->mu);
    free(c->slots);
    free(c);
}

/* The tag of the nonce's first RAND_LEN + TIME_LEN bytes. */
static vt_status tag_of(const vf_challenges *c, uint8_t tag[TAG_LEN], const uint8_t *nonce, vt_err *err)
{
    uint8_t mac[32];
    const void *p[] = { DOMAIN, nonce };
    const size_t n[] = { sizeof(DOMAIN), RAND_LEN + TIME_LEN };
    vt_status rc = vt_hmacv(mac, VT_MD_SHA256, c->key, sizeof(c->key), p, n, 2, err);

    memcpy(tag, mac, TAG_LEN);
    vt_wipe(mac, sizeof(mac));
    return rc;
}

vt_status vf_challenges_issue(vf_challenges *c, uint8_t nonce[VF_NONCE_LEN], vt_time now, vt_err *err)
{
    uint32_t t = (uint32_t)now;
    vt_status rc = vt_random(nonce, RAND_LEN, err);

    if (rc != VT_OK)
        return rc;
    for (int i = 0; i < TIME_LEN; i++)
        nonce[RAND_LEN + i] = (uint8_t)(t >> (8 * (TIME_LEN - 1 - i)));
    return tag_of(c, nonce + RAND_LEN + TIME_LEN, nonce, err);
}

static uint64_t tag_key(const uint8_t *tag)
{
    uint64_t v;
    memcpy(&v, tag, sizeof(v));
    return v;
}

/* The slot holding key, or the empty one where it goes. */
static struct slot *probe(struct slot *slots, size_t cap, uint64_t key)
{
    size_t i = (size_t)key & (cap - 1);

    while (slots[i].expires != 0 && slots[i].tag != key)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

/* Moves the unexpired entries into a table of cap slots (the same size: a sweep; twice: growth). */
static bool rebuild(vf_challenges *c, size_t cap, vt_time now)
{
    struct slot *n = calloc(cap, sizeof(*n));

    if (n == NULL)
        return false;
    c->live = 0;
    c->sweep_at = 0;
    for (size_t i = 0; i < c->cap; i++) {
        const struct slot *s = &c->slots[i];
        if (s->expires == 0 || s->expires <= now)
            continue;
        *probe(n, cap, s->tag) = *s;
        c->live++;
        if (c->sweep_at == 0 || s->expires < c->sweep_at)
            c->sweep_at = s->expires;
    }
    free(c->slots);
    c->slots = n;
    c->cap = cap;
    return true;
}

/* Room for one more entry within max_taken: a sweep of the expired ones, then growth. */
static vt_status make_room(vf_challenges *c, vt_time now, vt_err *err)
{
    if (c->live + 1 > c->cap / 2 || c->live + 1 > c->max_taken) {
        if (now >= c->sweep_at && !rebuild(c, c->cap, now))
            return vt_err_set(err, VT_E_NOMEM, "challenges: out of memory");
        /* grow when the sweep left the table more than a quarter full, so sweeps stay rare */
        if (c->live + 1 > c->cap / 4 && c->cap / 2 < c->max_taken && !rebuild(c, c->cap * 2, now))
            return vt_err_set(err, VT_E_NOMEM, "challenges: out of memory");
    }
    if (c->live + 1 > c->cap / 2 || c->live + 1 > c->max_taken)
        return vt_err_set(err, VT_E_LIMIT, "challenges: %zu nonces in use; try again later", c->live);
    return VT_OK;
}

vt_status vf_challenges_take(vf_challenges *c, vs_store *st, vs_take *out, vt_time *issued,
                             const uint8_t nonce[VF_NONCE_LEN], vt_time now, vt_err *err)
{
    uint8_t tag[TAG_LEN];
    uint32_t t = 0;
    vt_time expires;
    struct slot *s;
    vt_status rc;

    *out = VS_TAKE_UNKNOWN;
    *issued = 0;
    rc = tag_of(c, tag, nonce, err);
    if (rc != VT_OK)
        return rc;
    if (!vt_ct_equal(tag, nonce + RAND_LEN + TIME_LEN, TAG_LEN))
        return VT_OK; /* not issued here (or before a restart) */
    for (int i = 0; i < TIME_LEN; i++)
        t = t << 8 | nonce[RAND_LEN + i];
    expires = (vt_time)t + c->ttl;
    if (now >= expires) {
        *out = VS_TAKE_EXPIRED;
        return VT_OK;
    }
    if (c->shared) {
        bool fresh = false;
        rc = st->ops->challenge_spend(st, &fresh, tag, expires, now, err);
        if (rc == VT_OK) {
            *out = fresh ? VS_TAKE_OK : VS_TAKE_USED;
            *issued = fresh ? (vt_time)t : 0;
        }
        return rc;
    }
    pthread_mutex_lock(&c->mu);
    s = probe(c->slots, c->cap, tag_key(tag));
    if (s->expires != 0 && s->expires > now) {
        *out = VS_TAKE_USED;
    } else if (s->expires != 0) { /* another nonce's, expired, whose first 8 tag bytes are the same */
        s->expires = expires;
        *out = VS_TAKE_OK;
    } else if ((rc = make_room(c, now, err)) == VT_OK) {
        s = probe(c->slots, c->cap, tag_key(tag)); /* the table may have moved */
        s->tag = tag_key(tag);
        s->expires = expires;
        c->live++;
        if (c->sweep_at == 0 || expires < c->sweep_at)
            c->sweep_at = expires;
        *out = VS_TAKE_OK;
    }
    pthread_mutex_unlock(&c->mu);
    if (*out == VS_TAKE_OK)
        *issued = (vt_time)t;
    return rc;
}
