/* Per-client token buckets in a fixed table: memory does not grow with the
 * number of clients, and the least recently seen client is forgotten first. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "veritee/crypto.h"
#include "veritee/http.h"

#define RL_KEY_MAX 64
#define RL_PROBE 8

struct bucket {
    char key[RL_KEY_MAX];
    double tokens;
    int64_t last_ms;
    bool used;
};

struct vt_ratelimit {
    pthread_mutex_t mu;
    double rate;
    double burst;
    size_t n;
    uint64_t seed;
    struct bucket *b;
};

vt_status vt_ratelimit_new(vt_ratelimit **out, double rate, double burst, size_t clients, vt_err *err)
{
    vt_ratelimit *rl;

    *out = NULL;
    if (!(rate > 0) || !(burst >= 1) || clients == 0 || clients > ((size_t)1 << 20))
        return vt_err_set(err, VT_E_ARG, "ratelimit: rate > 0, burst >= 1 and 1..1M clients required");
    rl = calloc(1, sizeof(*rl));
    if (rl == NULL || (rl->b = calloc(clients, sizeof(*rl->b))) == NULL) {
        free(rl);
        return vt_err_set(err, VT_E_NOMEM, "ratelimit: out of memory");
    }
    if (vt_random(&rl->seed, sizeof(rl->seed), err) != VT_OK) {
        free(rl->b);
        free(rl);
        return VT_E_INTERNAL;
    }
    pthread_mutex_init(&rl->mu, NULL);
    rl->rate = rate;
    rl->burst = burst;
    rl->n = clients;
    *out = rl;
    return VT_OK;
}

/* FNV-1a with a random seed, so a client cannot aim at another one's slot. */
static uint64_t hash(const vt_ratelimit *rl, const char *s)
{
    uint64_t h = 1469598103934665603ULL ^ rl->seed;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

bool vt_ratelimit_take(vt_ratelimit *rl, const char *key, int64_t now_ms)
{
    struct bucket *slot = NULL, *oldest = NULL;
    size_t start;
    bool ok;

    if (rl == NULL)
        return true;
    pthread_mutex_lock(&rl->mu);
    start = (size_t)(hash(rl, key) % rl->n);
    for (size_t i = 0; i < RL_PROBE && i < rl->n; i++) {
        struct bucket *b = &rl->b[(start + i) % rl->n];
        if (b->used && strncmp(b->key, key, RL_KEY_MAX - 1) == 0) {
            slot = b;
            break;
        }
        if (!b->used) {
            if (oldest == NULL || oldest->used)
                oldest = b;
        } else if (oldest == NULL || (oldest->used && b->last_ms < oldest->last_ms)) {
            oldest = b;
        }
    }
    if (slot == NULL) {
        slot = oldest;
        memset(slot, 0, sizeof(*slot));
        slot->used = true;
        strncpy(slot->key, key, RL_KEY_MAX - 1);
        slot->tokens = rl->burst;
        slot->last_ms = now_ms;
    }
    if (now_ms > slot->last_ms) {
        slot->tokens += (double)(now_ms - slot->last_ms) * rl->rate / 1000.0;
        if (slot->tokens > rl->burst)
            slot->tokens = rl->burst;
        slot->last_ms = now_ms;
    }
    ok = slot->tokens >= 1.0;
    if (ok)
        slot->tokens -= 1.0;
    pthread_mutex_unlock(&rl->mu);
    return ok;
}

void vt_ratelimit_free(vt_ratelimit *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->b);
    free(rl);
}
