/*
 * The highest tcbEvaluationDataNumber verified per TDX collateral document,
 * in memory (vt_verify_cache) and on disk (one small file per document in the
 * fetch cache directory, "v1 <number> <issueDate>", replaced atomically under
 * a lock so that two processes cannot lower it).  See tdx_eval.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tee/tdx_eval.h"
#include "veritee/crypto.h"

#define EVAL_FILE_MAX 64

typedef struct eval_value {
    vt__cached base;
    vt__tdx_eval_floor f;
} eval_value;

void vt__tdx_eval_name(char out[TDX_EVAL_NAME_MAX], bool sim, const char *doc, const char *id)
{
    snprintf(out, TDX_EVAL_NAME_MAX, "%s%s-%s", sim ? "sim-" : "", doc, id);
}

bool vt__tdx_eval_refused(const vt__tdx_eval_floor *f, uint32_t num, vt_time now)
{
    return f != NULL && num < f->num && now >= f->since;
}

static bool eval_key(uint8_t key[32], const char *dir, const char *name)
{
    static const char tag[] = "veritee/tdx/eval";
    const char *d = dir != NULL ? dir : "";
    const void *parts[3] = { tag, d, name };
    size_t lens[3] = { sizeof(tag), strlen(d) + 1, strlen(name) + 1 };

    return vt_digestv(VT_MD_SHA256, parts, lens, 3, key, NULL) == VT_OK;
}

static bool eval_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n;

    if (dir == NULL || dir[0] == '\0')
        return false;
    n = snprintf(out, cap, "%s/tdx-eval-%s", dir, name);
    return n > 0 && (size_t)n < cap;
}

/* "v1 <num> <since>\n", nothing else; { 0, 0 } when absent or unreadable. */
static void file_get(vt__tdx_eval_floor *out, const char *path)
{
    vt_buf b;
    char *p, *end;
    unsigned long long num;
    long long since;

    memset(out, 0, sizeof(*out));
    vt_buf_init(&b);
    if (vt_file_read(&b, path, EVAL_FILE_MAX, NULL) != VT_OK || b.len < 4 || memcmp(b.data, "v1 ", 3) != 0)
        goto out;
    p = (char *)b.data + 3; /* vt_file_read terminates */
    if (!isdigit((unsigned char)*p))
        goto out;
    errno = 0;
    num = strtoull(p, &end, 10);
    if (errno != 0 || *end != ' ' || num > UINT32_MAX)
        goto out;
    p = end + 1;
    if (!isdigit((unsigned char)*p) && !(*p == '-' && isdigit((unsigned char)p[1])))
        goto out;
    since = strtoll(p, &end, 10);
    if (errno != 0 || strcmp(end, "\n") != 0 || (size_t)(end + 1 - (char *)b.data) != b.len)
        goto out;
    out->num = (uint32_t)num;
    out->since = (vt_time)since;
out:
    vt_buf_free(&b);
}

static void destroy(vt__cached *base)
{
    free(base);
}

static void mem_put(vt_verify_cache *cache, const uint8_t key[32], const vt__tdx_eval_floor *f)
{
    eval_value *v;

    if (cache == NULL)
        return;
    v = calloc(1, sizeof(*v));
    if (v == NULL)
        return;
    vt__cached_init(&v->base, destroy);
    v->f = *f;
    vt__cache_put(cache, VT_CACHE_TDX_EVAL, key, INT64_MIN, INT64_MAX, &v->base);
    vt__cached_release(&v->base);
}

static bool mem_get(vt__tdx_eval_floor *out, vt_verify_cache *cache, const uint8_t key[32])
{
    eval_value *v = (eval_value *)vt__cache_get(cache, VT_CACHE_TDX_EVAL, key, 0);

    if (v == NULL)
        return false;
    *out = v->f;
    vt__cached_release(&v->base);
    return true;
}

void vt__tdx_eval_floor_get(vt__tdx_eval_floor *out, vt_verify_cache *cache, const char *dir, const char *name)
{
    char path[4096];
    uint8_t key[32];
    bool keyed = cache != NULL && eval_key(key, dir, name);

    memset(out, 0, sizeof(*out));
    if (keyed && mem_get(out, cache, key))
        return;
    if (!eval_path(path, sizeof(path), dir, name))
        return;
    file_get(out, path);
    if (keyed)
        mem_put(cache, key, out); /* the file is read once per process, not once per quote */
}

/* Puts f in memory unless memory already holds a floor at least as high. */
static void mem_raise(vt_verify_cache *cache, const char *dir, const char *name, const vt__tdx_eval_floor *f)
{
    vt__tdx_eval_floor cur;
    uint8_t key[32];

    if (cache != NULL && eval_key(key, dir, name) && (!mem_get(&cur, cache, key) || f->num > cur.num))
        mem_put(cache, key, f);
}

void vt__tdx_eval_floor_raise(vt_verify_cache *cache, const char *dir, const char *name, uint32_t num, vt_time since)
{
    char path[4096], lock[4200], line[EVAL_FILE_MAX];
    vt__tdx_eval_floor cur, f = { num, since };
    int fd = -1, n;

    if (eval_path(path, sizeof(path), dir, name) && snprintf(lock, sizeof(lock), "%s.lock", path) < (int)sizeof(lock) &&
        vt_mkdir_p(dir, 0700, NULL) == VT_OK)
        fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        mem_raise(cache, dir, name, &f); /* best effort: the floor holds in memory */
        return;
    }
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    /* Under the lock, so that neither the file nor the memory goes down when two raise at once. */
    file_get(&cur, path);
    if (num > cur.num) {
        n = snprintf(line, sizeof(line), "v1 %u %lld\n", num, (long long)since);
        if (n > 0 && (size_t)n < sizeof(line) && vt_file_write(path, line, (size_t)n, 0600, NULL) != VT_OK) {
            /* best effort: the floor still holds in memory */
        }
    } else {
        f = cur;
    }
    mem_raise(cache, dir, name, &f);
    close(fd); /* releases the lock */
}
