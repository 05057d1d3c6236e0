/*
 * Signed environments (passport.h, docs/verifier.md): an environment document
 * as a compact JWS by the verifier's passport signing key, so that whoever
 * answers as the verifier's URL cannot choose a relying party's reference
 * values.  The payload carries the document's bytes as stored, inside a claim
 * set of our own; the reader takes those exact bytes back out.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraise_int.h"
#include "base/json.h"

#define DOC_CLAIM "environment"

vt_status vt_env_token_issue(char **token_out, const char *env_json, size_t len, const char *issuer, vt_time now,
                             uint64_t rev, const vt_pkey *key, const char *kid, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_env *env = NULL;
    json_t *claims = NULL;
    vt_buf payload;

    *token_out = NULL;
    vt_buf_init(&payload);
    if (env_json == NULL || issuer == NULL || key == NULL || kid == NULL || now <= 0)
        return vt_err_set(err, VT_E_ARG, "environment: document, issuer, time, key and kid are required");
    if (rev == 0 || rev > (uint64_t)VT_ENV_REV_MAX)
        return vt_err_set(err, VT_E_ARG, "environment: revision %llu is out of range", (unsigned long long)rev);
    /* Never sign what a relying party would refuse to parse: the check it makes, made first. */
    env = malloc(sizeof(*env));
    if (env == NULL)
        return vt_err_set(err, VT_E_NOMEM, "environment: out of memory");
    rc = vt_env_parse(env, env_json, len, NULL, err);
    if (rc != VT_OK)
        goto out;
    claims = json_pack("{s:s, s:I, s:s, s:I}", "iss", issuer, "iat", (json_int_t)now, "sub", env->id, "rev",
                       (json_int_t)rev);
    if (claims == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "environment: out of memory");
        goto out;
    }
    /* {"iss":…,"iat":…,"sub":…,"rev":…} with its closing brace replaced by the document's member. */
    rc = vt__json_dump_buf(&payload, claims, JSON_COMPACT | JSON_PRESERVE_ORDER, err);
    if (rc == VT_OK && (payload.len == 0 || payload.data[payload.len - 1] != '}'))
        rc = vt_err_set(err, VT_E_INTERNAL, "environment: claims do not end an object");
    if (rc == VT_OK) {
        payload.len--;
        rc = vt_buf_append_str(&payload, ",\"" DOC_CLAIM "\":", err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append(&payload, env_json, len, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&payload, "}", 1, err);
    if (rc == VT_OK)
        rc = vt_jws_sign(token_out, key, kid, VT_ENV_TOKEN_TYP, payload.data, payload.len, err);
out:
    json_decref(claims);
    vt_buf_free(&payload);
    free(env);
    return rc;
}

/* The claims beside the document: iss, iat, sub, rev, each as the reader requires it. */
static vt_status check_claims(uint64_t *rev_out, const json_t *doc, const vt_env_token_opts *o, vt_err *err)
{
    const char *iss = json_string_value(json_object_get(doc, "iss"));
    const char *sub = json_string_value(json_object_get(doc, "sub"));
    const json_t *iat = json_object_get(doc, "iat");
    const json_t *rev = json_object_get(doc, "rev");
    int64_t max_age = o->max_age > 0 ? o->max_age : VT_ENV_TOKEN_MAX_AGE;
    char what[96], t1[32], t2[32];
    vt_time at;
    vt_status rc;

    if (iss == NULL || sub == NULL || !json_is_integer(iat) || json_integer_value(iat) <= 0)
        return vt_err_set(err, VT_E_FORMAT, "environment: the token needs \"iss\", \"sub\" and a positive \"iat\"");
    /* Every verifier that serves signed environments signs their revision: one without is refused
     * (a relying party that took it could be rolled back to it). */
    if (!json_is_integer(rev) || json_integer_value(rev) <= 0)
        return vt_err_set(err, VT_E_FORMAT, "environment: the token needs a positive revision \"rev\"");
    *rev_out = (uint64_t)json_integer_value(rev);
    snprintf(what, sizeof(what), "environment %.64s", sub);
    rc = vt__issuer_check(iss, what, o->jwks_issuer, o->verifier, err);
    if (rc != VT_OK)
        return rc;
    if (strcmp(sub, o->id) != 0)
        return vt_err_set(err, VT_E_POLICY, "environment: the verifier signed environment %.64s, not %s", sub, o->id);
    at = (vt_time)json_integer_value(iat);
    vt_time_format(t1, at);
    vt_time_format(t2, o->now);
    if (at > o->now + VT_ENV_TOKEN_SKEW)
        return vt_err_set(err, VT_E_POLICY, "environment %s: signed at %s, in the future (now %s)", o->id, t1, t2);
    if (o->now - at > max_age)
        return vt_err_set(err, VT_E_POLICY, "environment %s: signed at %s, more than %lld s before now (%s): "
                          "too old to take", o->id, t1, (long long)max_age, t2);
    return VT_OK;
}

vt_status vt_env_token_verify(vt_env *out, char **json_out, uint64_t *rev_out, const char *token, size_t len,
                              const vt_env_token_opts *o, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_jws j;
    json_t *doc = NULL;
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    uint64_t rev = 0;
    char *text = NULL;

    memset(out, 0, sizeof(*out));
    memset(&j, 0, sizeof(j));
    if (json_out != NULL)
        *json_out = NULL;
    if (rev_out != NULL)
        *rev_out = 0;
    if (token == NULL || o == NULL || o->jwks == NULL || o->id == NULL || o->now <= 0)
        return vt_err_set(err, VT_E_ARG, "environment: token, key set, id and time are required");
    if (!vt_env_id_valid(o->id))
        return vt_err_set(err, VT_E_ARG, "environment: \"%.64s\" is not an environment id", o->id);
    rc = vt__jws_verify_set(&j, token, len, VT_ENV_TOKEN_TYP, o->jwks, "environment", err);
    if (rc != VT_OK)
        goto out;
    doc = json_loadb((const char *)j.payload.data, j.payload.len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        rc = vt_err_set(err, VT_E_FORMAT, "environment: the token's payload is not a JSON object");
        goto out;
    }
    rc = check_claims(&rev, doc, o, err);
    /* The document's own bytes, as signed (not a re-serialisation of what jansson read). */
    if (rc == VT_OK)
        rc = vt__json_member_raw(&raw, &raw_len, j.payload.data, j.payload.len, DOC_CLAIM, err);
    if (rc == VT_E_NOTFOUND)
        rc = vt_err_set(err, VT_E_FORMAT, "environment: the token carries no \"" DOC_CLAIM "\"");
    if (rc == VT_OK)
        rc = vt_env_parse(out, (const char *)raw, raw_len, NULL, err);
    if (rc == VT_OK && strcmp(out->id, o->id) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "environment: the signed document is environment %.64s, not %s", out->id,
                        o->id);
    if (rc == VT_OK && json_out != NULL) {
        text = malloc(raw_len + 1);
        if (text == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "environment: out of memory");
        } else {
            memcpy(text, raw, raw_len);
            text[raw_len] = '\0';
        }
    }
    /* Last: only a token taken in every other respect moves the revision a relying party remembers. */
    if (rc == VT_OK && o->revs != NULL)
        rc = vt_env_revs_take(o->revs, o->verifier != NULL ? o->verifier : "", o->id, rev, err);
    if (rc == VT_OK) {
        if (json_out != NULL)
            *json_out = text;
        text = NULL;
        if (rev_out != NULL)
            *rev_out = rev;
    }
out:
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    free(text);
    json_decref(doc);
    vt_jws_clear(&j);
    return rc;
}

/* ---- revisions taken (passport.h) ---- */

struct env_rev {
    char *verifier; /* owned */
    char id[64];
    uint64_t rev;
};

struct vt_env_revs {
    pthread_mutex_t mu;
    struct env_rev *v; /* owned, count used of cap */
    size_t count, cap;
};

vt_status vt_env_revs_new(vt_env_revs **out, vt_err *err)
{
    vt_env_revs *r = calloc(1, sizeof(*r));

    *out = NULL;
    if (r == NULL)
        return vt_err_set(err, VT_E_NOMEM, "environment: out of memory");
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r);
        return vt_err_set(err, VT_E_INTERNAL, "environment: cannot make a lock");
    }
    *out = r;
    return VT_OK;
}

void vt_env_revs_free(vt_env_revs *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->v[i].verifier);
    free(r->v);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

/* The entry of (verifier, id), NULL when none; r->mu held. */
static struct env_rev *revs_find(vt_env_revs *r, const char *verifier, const char *id)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->v[i].id, id) == 0 && strcmp(r->v[i].verifier, verifier) == 0)
            return &r->v[i];
    return NULL;
}

/* A new entry for (verifier, id) at rev; r->mu held. */
static vt_status revs_add(vt_env_revs *r, const char *verifier, const char *id, uint64_t rev, vt_err *err)
{
    struct env_rev *e;
    size_t ncap;

    if (r->count >= VT_ENV_REVS_MAX)
        return vt_err_set(err, VT_E_LIMIT, "environment: revisions of %d environments remembered already, not %s",
                          VT_ENV_REVS_MAX, id);
    if (r->count == r->cap) {
        ncap = r->cap == 0 ? 8 : r->cap * 2;
        e = realloc(r->v, ncap * sizeof(*e));
        if (e == NULL)
            return vt_err_set(err, VT_E_NOMEM, "environment: out of memory");
        r->v = e;
        r->cap = ncap;
    }
    e = &r->v[r->count];
    memset(e, 0, sizeof(*e));
    e->verifier = strdup(verifier);
    if (e->verifier == NULL)
        return vt_err_set(err, VT_E_NOMEM, "environment: out of memory");
    snprintf(e->id, sizeof(e->id), "%s", id);
    e->rev = rev;
    r->count++;
    return VT_OK;
}

vt_status vt_env_revs_take(vt_env_revs *r, const char *verifier, const char *id, uint64_t rev, vt_err *err)
{
    struct env_rev *e;
    vt_status rc = VT_OK;

    if (r == NULL || verifier == NULL || id == NULL || !vt_env_id_valid(id) || rev == 0)
        return vt_err_set(err, VT_E_ARG, "environment: revisions, verifier, id and a revision are required");
    pthread_mutex_lock(&r->mu);
    e = revs_find(r, verifier, id);
    if (e == NULL)
        rc = revs_add(r, verifier, id, rev, err);
    else if (rev < e->rev)
        rc = vt_err_set(err, VT_E_POLICY, "environment %s revision %llu is older than revision %llu already seen: "
                        "a replayed environment", id, (unsigned long long)rev, (unsigned long long)e->rev);
    else
        e->rev = rev;
    pthread_mutex_unlock(&r->mu);
    return rc;
}

uint64_t vt_env_revs_seen(vt_env_revs *r, const char *verifier, const char *id)
{
    const struct env_rev *e;
    uint64_t rev;

    if (r == NULL || verifier == NULL || id == NULL)
        return 0;
    pthread_mutex_lock(&r->mu);
    e = revs_find(r, verifier, id);
    rev = e != NULL ? e->rev : 0;
    pthread_mutex_unlock(&r->mu);
    return rev;
}

vt_status vt_env_revs_each(vt_env_revs *r,
                           vt_status (*fn)(void *arg, const char *verifier, const char *id, uint64_t rev,
                                           vt_err *err),
                           void *arg, vt_err *err)
{
    vt_status rc = VT_OK;

    if (r == NULL || fn == NULL)
        return vt_err_set(err, VT_E_ARG, "environment: revisions and a function are required");
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; rc == VT_OK && i < r->count; i++)
        rc = fn(arg, r->v[i].verifier, r->v[i].id, r->v[i].rev, err);
    pthread_mutex_unlock(&r->mu);
    return rc;
}
