/* The key broker's resources as the transparency log says they are (kbs_gen.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/lines.h"
#include "verifier/kbs_gen.h"

#define PART_MAX 4096 /* a kbs_resource entry's header or payload, base64url */

struct gen {
    char id[64];
    uint64_t generation;
    bool registered;
};

struct vf_kbs_gen {
    pthread_rwlock_t lock;
    struct gen *v; /* sorted by id */
    size_t n, cap;
};

vt_status vf_kbs_gen_new(vf_kbs_gen **out, vt_err *err)
{
    vf_kbs_gen *g = calloc(1, sizeof(*g));

    *out = NULL;
    if (g == NULL)
        return vt_err_set(err, VT_E_NOMEM, "kbs: out of memory");
    pthread_rwlock_init(&g->lock, NULL);
    *out = g;
    return VT_OK;
}

void vf_kbs_gen_free(vf_kbs_gen *g)
{
    if (g == NULL)
        return;
    pthread_rwlock_destroy(&g->lock);
    free(g->v);
    free(g);
}

/* The position of id in g->v, or where it would go (*found false).  Under the lock. */
static size_t find(const vf_kbs_gen *g, const char *id, bool *found)
{
    size_t lo = 0, hi = g->n;

    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->v[mid].id, id);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The decoded base64url part [p, p + n) of a token as a JSON object, or NULL. */
static json_t *part(const char *p, size_t n)
{
    json_t *j = NULL;
    vt_buf b;

    vt_buf_init(&b);
    if (n > 0 && n <= PART_MAX && vt_base64_decode(&b, p, n, NULL) == VT_OK)
        j = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
    vt_buf_free(&b);
    if (!json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* Raises id to generation gen (a revocation wins at the same generation). */
static void raise_to(vf_kbs_gen *g, const char *id, uint64_t gen, bool registered)
{
    bool found;
    size_t i;

    pthread_rwlock_wrlock(&g->lock);
    i = find(g, id, &found);
    if (!found && g->n == g->cap) {
        size_t cap = g->cap != 0 ? 2 * g->cap : 16;
        struct gen *v = realloc(g->v, cap * sizeof(*v));
        if (v == NULL) { /* not learnt: releases of id stay refused (clause generation) */
            pthread_rwlock_unlock(&g->lock);
            return;
        }
        g->v = v;
        g->cap = cap;
    }
    if (!found) {
        memmove(&g->v[i + 1], &g->v[i], (g->n - i) * sizeof(g->v[0]));
        memset(&g->v[i], 0, sizeof(g->v[i]));
        snprintf(g->v[i].id, sizeof(g->v[i].id), "%s", id);
        g->n++;
    }
    if (gen > g->v[i].generation || (gen == g->v[i].generation && !registered)) {
        g->v[i].generation = gen;
        g->v[i].registered = registered;
    }
    pthread_rwlock_unlock(&g->lock);
}

void vf_kbs_gen_learn(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    const char *tok = (const char *)entry, *dot1, *dot2;
    json_t *h = NULL, *p = NULL;
    const char *typ, *type, *id, *ev;
    json_int_t gen;

    (void)index;
    dot1 = memchr(tok, '.', len);
    dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok)) : NULL;
    if (dot2 == NULL)
        return; /* not a compact JWS */
    h = part(tok, (size_t)(dot1 - tok));
    typ = json_string_value(json_object_get(h, "typ"));
    if (typ == NULL || strcmp(typ, VF_KBS_RESOURCE_TYP) != 0)
        goto out; /* a passport, a receipt, a release's outcome */
    p = part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    type = json_string_value(json_object_get(p, "type"));
    id = json_string_value(json_object_get(p, "resource"));
    ev = json_string_value(json_object_get(p, "event"));
    gen = json_integer_value(json_object_get(p, "generation"));
    if (type == NULL || strcmp(type, "kbs_resource") != 0 || id == NULL || !vt_env_id_valid(id) || ev == NULL ||
        (strcmp(ev, "registered") != 0 && strcmp(ev, "revoked") != 0) || gen <= 0 ||
        (uint64_t)gen > VF_KBS_GENERATION_MAX)
        goto out;
    raise_to(arg, id, (uint64_t)gen, strcmp(ev, "registered") == 0);
out:
    json_decref(h);
    json_decref(p);
}

vt_status vf_kbs_gen_save(void *arg, vt_buf *out, vt_err *err)
{
    vf_kbs_gen *g = arg;
    vt_status rc = VT_OK;
    char line[128];

    pthread_rwlock_rdlock(&g->lock);
    for (size_t i = 0; rc == VT_OK && i < g->n; i++) {
        int n = snprintf(line, sizeof(line), "%" PRIu64 " %s %s\n", g->v[i].generation,
                         g->v[i].registered ? "registered" : "revoked", g->v[i].id);
        rc = vt_buf_append(out, line, (size_t)n, err);
    }
    pthread_rwlock_unlock(&g->lock);
    return rc;
}

vt_status vf_kbs_gen_load(void *arg, const uint8_t *p, size_t len, vt_err *err)
{
    size_t line = 0;

    for (size_t at = 0; at < len;) {
        char buf[128], *f[3];
        uint64_t gen;

        line++;
        if (!vt__line_fields(p, len, &at, buf, sizeof(buf), f, 3) ||
            !vt__line_count(f[0], VF_KBS_GENERATION_MAX, &gen) || !vt_env_id_valid(f[2]) ||
            (strcmp(f[1], "registered") != 0 && strcmp(f[1], "revoked") != 0))
            return vt_err_set(err, VT_E_FORMAT, "kbs: follower state line %zu is not a generation", line);
        raise_to(arg, f[2], gen, strcmp(f[1], "registered") == 0);
    }
    return VT_OK;
}

bool vf_kbs_gen_get(vf_kbs_gen *g, const char *id, uint64_t *generation, bool *registered)
{
    bool found;
    size_t i;

    *generation = 0;
    *registered = false;
    if (g == NULL)
        return false;
    pthread_rwlock_rdlock(&g->lock);
    i = find(g, id, &found);
    if (found) {
        *generation = g->v[i].generation;
        *registered = g->v[i].registered;
    }
    pthread_rwlock_unlock(&g->lock);
    return found;
}

size_t vf_kbs_gen_count(vf_kbs_gen *g)
{
    size_t n;

    pthread_rwlock_rdlock(&g->lock);
    n = g->n;
    pthread_rwlock_unlock(&g->lock);
    return n;
}
