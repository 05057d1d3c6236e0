/*
 * Measuring AI components (format: docs/formats/measure.md).  Files are
 * listed and sorted first, then every 4 MiB chunk of every file becomes one
 * job; worker threads take jobs from an atomic counter, so a directory of
 * shards and one huge file both keep every core busy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "veritee/crypto.h"
#include "veritee/measure.h"

#define MEASURE_MAX_FILES 100000
#define MEASURE_MAX_DEPTH 64
#define MEASURE_MAX_THREADS 64

static const char root_label[] = "veritee-measure-v1";

/* ---- listing ---- */

typedef struct listing {
    vt_measure_entry *files;
    size_t count, cap, max;
    char base[4096];     /* the directory measured ("" for a single file) */
} listing;

static vt_status list_add(listing *l, const char *rel, uint64_t size, vt_err *err)
{
    if (l->count >= l->max)
        return vt_err_set(err, VT_E_LIMIT, "measure: more than %zu files", l->max);
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        vt_measure_entry *f = realloc(l->files, cap * sizeof(*f));
        if (f == NULL)
            return vt_err_set(err, VT_E_NOMEM, "measure: out of memory");
        l->files = f;
        l->cap = cap;
    }
    l->files[l->count].path = strdup(rel);
    if (l->files[l->count].path == NULL)
        return vt_err_set(err, VT_E_NOMEM, "measure: out of memory");
    l->files[l->count].size = size;
    memset(l->files[l->count].digest, 0, 32);
    l->count++;
    return VT_OK;
}

static vt_status walk(listing *l, const char *rel, int depth, vt_err *err)
{
    vt_status rc = VT_OK;
    char dir[8192];
    DIR *d;
    struct dirent *de;

    if (depth > MEASURE_MAX_DEPTH)
        return vt_err_set(err, VT_E_LIMIT, "measure: directories nested deeper than %d", MEASURE_MAX_DEPTH);
    snprintf(dir, sizeof(dir), "%s%s%s", l->base, rel[0] ? "/" : "", rel);
    d = opendir(dir);
    if (d == NULL)
        return vt_err_set(err, VT_E_IO, "measure: cannot open directory %s: %s", dir, strerror(errno));
    while (rc == VT_OK && (de = readdir(d)) != NULL) {
        char child[4096], full[8192];
        struct stat st;
        int n;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        n = snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        if (n < 0 || (size_t)n >= sizeof(child)) {
            rc = vt_err_set(err, VT_E_LIMIT, "measure: path under %s too long", dir);
            break;
        }
        snprintf(full, sizeof(full), "%s/%s", l->base, child);
        if (lstat(full, &st) != 0) {
            rc = vt_err_set(err, VT_E_IO, "measure: cannot stat %s: %s", full, strerror(errno));
        } else if (S_ISLNK(st.st_mode)) {
            rc = vt_err_set(err, VT_E_UNSUPPORTED, "measure: %s is a symbolic link; measure its target instead",
                            full);
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(l, child, depth + 1, err);
        } else if (S_ISREG(st.st_mode)) {
            rc = list_add(l, child, (uint64_t)st.st_size, err);
        } else {
            rc = vt_err_set(err, VT_E_UNSUPPORTED, "measure: %s is not a regular file or directory", full);
        }
    }
    closedir(d);
    return rc;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const vt_measure_entry *)a)->path, ((const vt_measure_entry *)b)->path);
}

/* ---- hashing ---- */

typedef struct job_set {
    const listing *l;
    size_t *first_job;   /* per file: index of its first chunk job */
    uint8_t **leaves;    /* per file: chunk digests, 32 bytes each */
    size_t job_count;
    atomic_size_t next;
    atomic_bool failed;  /* lets the other workers stop early */
    pthread_mutex_t lock;
    vt_status rc;        /* first failure */
    vt_err err;
} job_set;

static size_t chunks_of(uint64_t size)
{
    return (size_t)((size + VT_MEASURE_CHUNK - 1) / VT_MEASURE_CHUNK);
}

static void job_fail(job_set *js, vt_status rc, const vt_err *e)
{
    pthread_mutex_lock(&js->lock);
    if (js->rc == VT_OK) {
        js->rc = rc;
        js->err = *e;
    }
    pthread_mutex_unlock(&js->lock);
    atomic_store(&js->failed, true);
}

static void path_of(char *out, size_t len, const listing *l, size_t i)
{
    if (l->base[0] != '\0')
        snprintf(out, len, "%s/%s", l->base, l->files[i].path);
    else
        snprintf(out, len, "%s", l->files[i].path);
}

/* Hashes one chunk: leaf = SHA-256(0x00 || bytes).  It is read in pieces
 * small enough to stay in the core's cache between the copy and the hash. */
#define MEASURE_PIECE ((size_t)256 << 10)

static vt_status hash_chunk(uint8_t out[32], int fd, uint64_t off, size_t len, uint8_t *buf, const char *path,
                            vt_err *err)
{
    static const uint8_t leaf_tag = VT_MEASURE_LEAF_TAG;
    vt_digest_ctx *c = NULL;
    vt_status rc = vt_digest_ctx_new(&c, VT_MD_SHA256, err);
    size_t got = 0;

    if (rc == VT_OK)
        rc = vt_digest_ctx_update(c, &leaf_tag, 1, err);
    while (rc == VT_OK && got < len) {
        size_t want = len - got < MEASURE_PIECE ? len - got : MEASURE_PIECE;
        ssize_t n = pread(fd, buf, want, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = vt_err_set(err, VT_E_IO, "measure: read %s: %s", path, strerror(errno));
        else if (n == 0)
            rc = vt_err_set(err, VT_E_IO, "measure: %s shrank while it was measured", path);
        else {
            rc = vt_digest_ctx_update(c, buf, (size_t)n, err);
            got += (size_t)n;
        }
    }
    if (rc == VT_OK)
        rc = vt_digest_ctx_final(c, out, err);
    vt_digest_ctx_free(c);
    return rc;
}

static size_t file_of_job(const job_set *js, size_t job)
{
    size_t lo = 0, hi = js->l->count;

    /* Last file whose first job is <= job (files without chunks are skipped). */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (js->first_job[mid] <= job)
            lo = mid;
        else
            hi = mid;
    }
    while (lo + 1 < js->l->count && js->first_job[lo + 1] <= job)
        lo++;
    return lo;
}

static void *worker(void *arg)
{
    job_set *js = arg;
    uint8_t *buf = malloc(MEASURE_PIECE);
    int fd = -1;
    size_t fd_file = SIZE_MAX;
    char path[8192];
    vt_err e = { 0 };

    if (buf == NULL) {
        vt_err_set(&e, VT_E_NOMEM, "measure: out of memory for a chunk buffer");
        job_fail(js, VT_E_NOMEM, &e);
        return NULL;
    }
    for (;;) {
        size_t job = atomic_fetch_add(&js->next, 1), fi, ci;
        uint64_t off, size;
        size_t len;
        vt_status rc;

        if (job >= js->job_count || atomic_load(&js->failed))
            break;
        fi = file_of_job(js, job);
        ci = job - js->first_job[fi];
        size = js->l->files[fi].size;
        off = (uint64_t)ci * VT_MEASURE_CHUNK;
        len = (size_t)(size - off < VT_MEASURE_CHUNK ? size - off : VT_MEASURE_CHUNK);
        if (fi != fd_file) {
            if (fd >= 0)
                close(fd);
            path_of(path, sizeof(path), js->l, fi);
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            fd_file = fi;
            if (fd < 0) {
                vt_err_set(&e, VT_E_IO, "measure: cannot open %s: %s", path, strerror(errno));
                job_fail(js, VT_E_IO, &e);
                break;
            }
        }
        rc = hash_chunk(js->leaves[fi] + 32 * ci, fd, off, len, buf, path, &e);
        if (rc != VT_OK) {
            job_fail(js, rc, &e);
            break;
        }
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

/* file digest = SHA-256(0x01 || u64le size || leaf digests) */
vt_status vt_measure_file_digest(uint8_t out[32], uint64_t size, const uint8_t *leaves, size_t count, vt_err *err)
{
    uint8_t head[9] = { 0x01 };
    const void *parts[2] = { head, leaves };
    size_t lens[2] = { sizeof(head), 32 * count };

    if (count != chunks_of(size))
        return vt_err_set(err, VT_E_ARG, "measure: %zu leaves for a file of %llu bytes", count,
                          (unsigned long long)size);
    for (int i = 0; i < 8; i++)
        head[1 + i] = (uint8_t)(size >> (8 * i));
    return vt_digestv(VT_MD_SHA256, parts, lens, count > 0 ? 2 : 1, out, err);
}

/* root = SHA-256("veritee-measure-v1" 0x00 || per file: u32le len || path || u64le size || digest) */
static vt_status root_digest(vt_measurement *m, vt_err *err)
{
    vt_digest_ctx *c = NULL;
    vt_status rc = vt_digest_ctx_new(&c, VT_MD_SHA256, err);

    if (rc == VT_OK)
        rc = vt_digest_ctx_update(c, root_label, sizeof(root_label), err); /* includes the NUL */
    for (size_t i = 0; i < m->file_count && rc == VT_OK; i++) {
        uint8_t rec[12];
        size_t plen = strlen(m->files[i].path);
        for (int b = 0; b < 4; b++)
            rec[b] = (uint8_t)(plen >> (8 * b));
        for (int b = 0; b < 8; b++)
            rec[4 + b] = (uint8_t)(m->files[i].size >> (8 * b));
        rc = vt_digest_ctx_update(c, rec, 4, err);
        if (rc == VT_OK)
            rc = vt_digest_ctx_update(c, m->files[i].path, plen, err);
        if (rc == VT_OK)
            rc = vt_digest_ctx_update(c, rec + 4, 8, err);
        if (rc == VT_OK)
            rc = vt_digest_ctx_update(c, m->files[i].digest, 32, err);
    }
    if (rc == VT_OK)
        rc = vt_digest_ctx_final(c, m->root, err);
    vt_digest_ctx_free(c);
    return rc;
}

vt_status vt_measure_root_one(uint8_t root[32], const char *name, uint64_t size, const uint8_t digest[32],
                              vt_err *err)
{
    vt_measure_entry e;
    vt_measurement m;
    vt_status rc;

    memset(&m, 0, sizeof(m));
    e.path = (char *)name;
    e.size = size;
    memcpy(e.digest, digest, 32);
    m.files = &e;
    m.file_count = 1;
    rc = root_digest(&m, err);
    if (rc == VT_OK)
        memcpy(root, m.root, 32);
    return rc;
}

static unsigned thread_count(const vt_measure_opts *o, size_t jobs)
{
    long n = o != NULL && o->threads > 0 ? (long)o->threads : sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        n = 1;
    if (n > MEASURE_MAX_THREADS)
        n = MEASURE_MAX_THREADS;
    if ((size_t)n > jobs)
        n = jobs == 0 ? 1 : (long)jobs;
    return (unsigned)n;
}

static vt_status hash_all(listing *l, const vt_measure_opts *o, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    job_set js;
    pthread_t th[MEASURE_MAX_THREADS];
    unsigned nt, started = 0;

    memset(&js, 0, sizeof(js));
    js.l = l;
    js.rc = VT_OK;
    pthread_mutex_init(&js.lock, NULL);
    js.first_job = calloc(l->count ? l->count : 1, sizeof(*js.first_job));
    js.leaves = calloc(l->count ? l->count : 1, sizeof(*js.leaves));
    if (js.first_job == NULL || js.leaves == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "measure: out of memory");
        goto out;
    }
    for (size_t i = 0; i < l->count; i++) {
        size_t n = chunks_of(l->files[i].size);
        js.first_job[i] = js.job_count;
        js.job_count += n;
        js.leaves[i] = malloc(n ? 32 * n : 1);
        if (js.leaves[i] == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "measure: out of memory");
            goto out;
        }
    }
    atomic_init(&js.next, 0);
    atomic_init(&js.failed, false);
    nt = thread_count(o, js.job_count);
    for (unsigned t = 0; t < nt; t++) {
        if (pthread_create(&th[t], NULL, worker, &js) != 0)
            break;
        started++;
    }
    if (started == 0)
        worker(&js); /* no threads to be had: do it here */
    for (unsigned t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    if (js.rc != VT_OK) {
        rc = js.rc;
        if (err != NULL)
            *err = js.err;
        goto out;
    }
    for (size_t i = 0; i < l->count; i++) {
        rc = vt_measure_file_digest(l->files[i].digest, l->files[i].size, js.leaves[i], chunks_of(l->files[i].size), err);
        if (rc != VT_OK)
            goto out;
    }
    rc = VT_OK;
out:
    for (size_t i = 0; js.leaves != NULL && i < l->count; i++)
        free(js.leaves[i]);
    free(js.leaves);
    free(js.first_job);
    pthread_mutex_destroy(&js.lock);
    return rc;
}

static void listing_free(listing *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->files[i].path);
    free(l->files);
}

vt_status vt_measure_path(vt_measurement **out, const char *path, const vt_measure_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    listing l;
    vt_measurement *m = NULL;
    struct stat st;

    *out = NULL;
    memset(&l, 0, sizeof(l));
    l.max = opts != NULL && opts->max_files > 0 ? opts->max_files : MEASURE_MAX_FILES;
    if (lstat(path, &st) != 0)
        return vt_err_set(err, errno == ENOENT ? VT_E_NOTFOUND : VT_E_IO, "measure: cannot stat %s: %s", path,
                          strerror(errno));
    if (S_ISLNK(st.st_mode))
        return vt_err_set(err, VT_E_UNSUPPORTED, "measure: %s is a symbolic link; measure its target instead", path);
    if (S_ISDIR(st.st_mode)) {
        size_t n = strlen(path);
        if (n >= sizeof(l.base))
            return vt_err_set(err, VT_E_ARG, "measure: path too long");
        memcpy(l.base, path, n + 1);
        while (n > 1 && l.base[n - 1] == '/')
            l.base[--n] = '\0';
        rc = walk(&l, "", 0, err);
    } else if (S_ISREG(st.st_mode)) {
        /* A single file is its own directory entry: the manifest names its base name. */
        const char *slash = strrchr(path, '/');
        size_t dlen = slash == NULL ? 0 : (size_t)(slash - path);
        if (dlen >= sizeof(l.base))
            return vt_err_set(err, VT_E_ARG, "measure: path too long");
        if (slash == NULL)
            memcpy(l.base, ".", 2);
        else if (dlen == 0)
            memcpy(l.base, "/", 2);
        else {
            memcpy(l.base, path, dlen);
            l.base[dlen] = '\0';
        }
        rc = list_add(&l, slash == NULL ? path : slash + 1, (uint64_t)st.st_size, err);
    } else {
        return vt_err_set(err, VT_E_UNSUPPORTED, "measure: %s is not a regular file or directory", path);
    }
    if (rc != VT_OK)
        goto out;
    qsort(l.files, l.count, sizeof(l.files[0]), by_path);
    rc = hash_all(&l, opts, err);
    if (rc != VT_OK)
        goto out;
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "measure: out of memory");
        goto out;
    }
    m->files = l.files;
    m->file_count = l.count;
    for (size_t i = 0; i < l.count; i++)
        m->total_bytes += l.files[i].size;
    l.files = NULL;
    l.count = 0;
    rc = root_digest(m, err);
    if (rc != VT_OK)
        goto out;
    *out = m;
    m = NULL;
out:
    vt_measurement_free(m);
    listing_free(&l);
    return rc;
}

vt_status vt_measure_file(uint8_t digest[32], uint64_t *size, const char *path, vt_err *err)
{
    vt_measurement *m = NULL;
    struct stat st;
    vt_status rc;

    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return vt_err_set(err, VT_E_ARG, "measure: %s is not a regular file", path);
    rc = vt_measure_path(&m, path, NULL, err);
    if (rc != VT_OK)
        return rc;
    memcpy(digest, m->files[0].digest, 32);
    *size = m->files[0].size;
    vt_measurement_free(m);
    return VT_OK;
}

vt_status vt_measurement_to_json(char **json_out, const vt_measurement *m, vt_err *err)
{
    json_t *o = json_object(), *files = json_array();
    char hex[65];

    vt_hex_encode(hex, m->root, 32);
    json_object_set_new(o, "format", json_string(VT_MEASURE_FORMAT));
    json_object_set_new(o, "root", json_string(hex));
    json_object_set_new(o, "file_count", json_integer((json_int_t)m->file_count));
    json_object_set_new(o, "total_bytes", json_integer((json_int_t)m->total_bytes));
    for (size_t i = 0; i < m->file_count; i++) {
        vt_hex_encode(hex, m->files[i].digest, 32);
        json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "path", m->files[i].path, "size",
                                               (json_int_t)m->files[i].size, "digest", hex));
    }
    json_object_set_new(o, "files", files);
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *json_out == NULL ? vt_err_set(err, VT_E_NOMEM, "measure: cannot serialize") : VT_OK;
}

void vt_measurement_free(vt_measurement *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->file_count; i++)
        free(m->files[i].path);
    free(m->files);
    free(m);
}
