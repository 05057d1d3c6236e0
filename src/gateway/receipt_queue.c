/* The gateway's durable receipt queue: segments, cursor, recovery (receipt_queue.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/owner_lock.h"
#include "gateway/crc32.h"
#include "gateway/receipt_queue.h"

#define RQ_HDR 8
#define RQ_NAME_DIGITS 20
#define RQ_CURSOR_MAX 64
#define RQ_SPARE "spare" /* the next segment, made ahead with its room reserved */
#define RQ_SPARE_RETRY_MS 1000
/* The reader takes a segment in pieces of this size (one pread for many records, not two
 * per record); a piece always holds at least one whole record. */
#define RQ_READ_CHUNK ((size_t)256 << 10)
_Static_assert(RQ_READ_CHUNK >= RQ_HDR + VT_RECEIPT_MAX, "a record fits one read");

struct rq_seg {
    uint64_t first;  /* sequence number of its first record */
    uint64_t count;  /* whole records in it */
    uint64_t size;   /* bytes (whole records only) */
};

/* A record the disk refused (a full disk), kept in memory until a push or sync writes it. */
struct rq_held {
    struct rq_held *next;
    size_t len;
    uint8_t rec[]; /* header and payload, as written */
};

struct vt_gw_rq {
    pthread_mutex_t mu;
    char dir[4000];
    uint64_t max_bytes, seg_bytes;
    struct rq_seg *segs;     /* oldest first; the last one is written */
    size_t nseg;
    int fd;                  /* the last segment, O_APPEND */
    int cfd;                 /* the cursor file, once written */
    int lfd;                 /* <dir>/lock, flock()ed for as long as the queue is open */
    uint64_t next_seq;       /* sequence number of the next push */
    uint64_t acked;          /* first unacknowledged sequence number */
    size_t rseg;             /* reader: segment index and byte offset of `acked` */
    uint64_t roff;
    uint64_t bytes;          /* sum of segment sizes */
    bool dirty;              /* pushed since the last sync */
    bool dir_dirty;          /* a segment was made (or the spare renamed to one) since the last sync */
    bool must_rotate;        /* a failed write left bytes after the last whole record */
    uint8_t *rbuf;           /* the reader's piece of a segment (RQ_READ_CHUNK), made on first peek */
    bool reserved;           /* the last segment's room is reserved on disk */
    bool spare;              /* <dir>/spare exists with its room reserved */
    int64_t spare_tried_ms;  /* when a spare was last tried for (monotonic) */
    struct rq_held *held, *held_tail; /* oldest first; written before anything newer */
    uint64_t held_bytes, hold_max;
    vt_gw_rq_stats st;
};

/* ---- record checksums ---- */

/* A record's header at p (RQ_HDR bytes): its payload length and checksum; false when the
 * length cannot be a record's.  Recovery and the reader both judge records through it. */
static bool rec_header(const uint8_t *p, uint32_t *len, uint32_t *crc)
{
    vt_rd r;

    vt_rd_init(&r, p, RQ_HDR);
    *len = vt_rd_u32le(&r);
    *crc = vt_rd_u32le(&r);
    return *len > 0 && *len <= VT_RECEIPT_MAX;
}

static uint32_t rec_crc(uint32_t len, const uint8_t *p)
{
    uint8_t l[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24) };
    return vt__gw_crc32(vt__gw_crc32(0, l, 4), p, len);
}

/* ---- paths ---- */

static void seg_path(char *out, size_t n, const vt_gw_rq *q, uint64_t first)
{
    snprintf(out, n, "%s/%020" PRIu64 ".seg", q->dir, first);
}

static bool seg_name(uint64_t *first, const char *name)
{
    uint64_t v = 0;

    if (strlen(name) != RQ_NAME_DIGITS + 4 || strcmp(name + RQ_NAME_DIGITS, ".seg") != 0)
        return false;
    for (int i = 0; i < RQ_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *first = v;
    return true;
}

static int seg_cmp(const void *a, const void *b)
{
    const struct rq_seg *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* ---- recovery ---- */

/*
 * Counts the whole, intact records of the segment at path; *good is the byte
 * length they cover.  Parsing stops at the first short, oversized or
 * corrupt record.
 */
static vt_status seg_scan(struct rq_seg *s, uint64_t *file_size, const char *path, vt_err *err)
{
    vt_buf b;
    vt_rd r;
    vt_status rc;

    vt_buf_init(&b);
    s->count = 0;
    s->size = 0;
    rc = vt_file_read(&b, path, (size_t)1 << 31, err);
    if (rc != VT_OK)
        goto out;
    *file_size = b.len;
    vt_rd_init(&r, b.data, b.len);
    while (r.left > 0) {
        const uint8_t *h = vt_rd_take(&r, RQ_HDR), *p;
        uint32_t len, crc;
        if (h == NULL || !rec_header(h, &len, &crc))
            break;
        p = vt_rd_take(&r, len);
        if (p == NULL || rec_crc(len, p) != crc)
            break;
        s->count++;
        s->size += RQ_HDR + (uint64_t)len;
    }
out:
    vt_buf_free(&b);
    return rc;
}

static vt_status cursor_read(uint64_t *out, const vt_gw_rq *q, vt_err *err)
{
    char path[4100];
    vt_buf b;
    vt_status rc;
    uint64_t v = 0;

    *out = 0;
    snprintf(path, sizeof(path), "%s/cursor", q->dir);
    if (access(path, F_OK) != 0)
        return VT_OK; /* nothing acknowledged yet */
    vt_buf_init(&b);
    rc = vt_file_read(&b, path, RQ_CURSOR_MAX, err);
    for (size_t i = 0; rc == VT_OK && i < b.len && b.data[i] != '\n'; i++) {
        if (b.data[i] < '0' || b.data[i] > '9' || v > (UINT64_MAX - 9) / 10)
            rc = vt_err_set(err, VT_E_FORMAT, "receipt queue: %s is not a sequence number", path);
        else
            v = v * 10 + (uint64_t)(b.data[i] - '0');
    }
    vt_buf_free(&b);
    if (rc == VT_OK)
        *out = v;
    return rc;
}

/*
 * Overwrites the cursor in place (fixed width, one pwrite, no fsync): a cursor
 * that lags after a power loss only sends acknowledged receipts again, which
 * the verifier takes as already logged.  The fsync per round goes to the
 * receipts themselves.
 */
static vt_status cursor_write(vt_gw_rq *q, uint64_t v, vt_err *err)
{
    char s[32];
    int n = snprintf(s, sizeof(s), "%020" PRIu64 "\n", v);

    if (q->cfd < 0) {
        char path[4100];
        snprintf(path, sizeof(path), "%s/cursor", q->dir);
        q->cfd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (q->cfd < 0)
            return vt_err_set(err, VT_E_IO, "receipt queue: cannot open %s: %s", path, strerror(errno));
    }
    if (pwrite(q->cfd, s, (size_t)n, 0) != n)
        return vt_err_set(err, VT_E_IO, "receipt queue: cannot write the cursor in %s: %s", q->dir, strerror(errno));
    return VT_OK;
}

/* The most bytes a segment comes to: it is cut once over seg_bytes, after the record that crossed. */
static uint64_t seg_room(const vt_gw_rq *q)
{
    return q->seg_bytes + RQ_HDR + VT_RECEIPT_MAX;
}

/*
 * Reserves a segment's whole room on disk without changing its size (fallocate, KEEP_SIZE), so
 * a full disk refuses none of its writes: receipts made while the disk is full are still
 * written, survive kill -9 and are synced as usual.  false, with the reason in the stats, where
 * the filesystem cannot (no fallocate, or no room left).
 */
static bool seg_reserve(vt_gw_rq *q, int fd)
{
    int e = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)seg_room(q)) == 0 ? 0 : errno;

    if (e != 0)
        snprintf(q->st.reserve_why, sizeof(q->st.reserve_why), "%s", strerror(e));
    return e == 0;
}

/* Makes <dir>/spare, an empty file with a segment's room reserved, for the next rotation to take
 * (so a full disk has a whole segment of room ahead, not only what is left of the last one). */
static void spare_make(vt_gw_rq *q)
{
    char path[4100];
    struct stat sb;
    int fd;

    q->spare_tried_ms = vt_time_mono_ms();
    snprintf(path, sizeof(path), "%s/" RQ_SPARE, q->dir);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(q->st.reserve_why, sizeof(q->st.reserve_why), "%s", strerror(errno));
        q->spare = false;
        return;
    }
    /* never written while it is the spare; emptied only if something else wrote it, as
     * truncating drops a reservation on some filesystems (ext4) */
    q->spare = fstat(fd, &sb) == 0 && (sb.st_size == 0 || ftruncate(fd, 0) == 0) && seg_reserve(q, fd);
    close(fd);
    if (!q->spare)
        (void)unlink(path); /* a half-reserved spare gives its blocks back */
}

static vt_status seg_open_fd(vt_gw_rq *q, uint64_t first, uint64_t keep, vt_err *err)
{
    char path[4100];
    struct stat sb;
    int fd;

    seg_path(path, sizeof(path), q, first);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return vt_err_set(err, VT_E_IO, "receipt queue: cannot open %s: %s", path, strerror(errno));
    /* cut to `keep` only when it is longer: truncating drops the reserved room (ext4) */
    if (fchmod(fd, 0600) != 0 || fstat(fd, &sb) != 0 || (sb.st_size != (off_t)keep && ftruncate(fd, (off_t)keep) != 0)) {
        int e = errno;
        close(fd);
        return vt_err_set(err, VT_E_IO, "receipt queue: %s: %s", path, strerror(e));
    }
    q->fd = fd;
    q->reserved = seg_reserve(q, fd);
    return VT_OK;
}

/* Starts a new, empty last segment at next_seq (the old one is synced and closed): the spare
 * when there is one, then a new spare.  A last segment without records (its first write failed
 * and could not be cut back) is the one replaced: the new one has its number, so its file. */
static vt_status seg_rotate(vt_gw_rq *q, vt_err *err)
{
    struct rq_seg *ns;
    vt_status rc;

    if (q->fd >= 0) {
        /* the records behind the closed descriptor are durable now, or the rotation waits: no
         * later sync would reach them */
        if (q->dirty && fdatasync(q->fd) != 0)
            return vt_err_set(err, VT_E_IO, "receipt queue: sync %s: %s", q->dir, strerror(errno));
        close(q->fd);
        q->fd = -1;
        q->dirty = false;
    }
    q->must_rotate = false;
    if (q->nseg > 0 && q->segs[q->nseg - 1].count == 0) {
        q->bytes -= q->segs[q->nseg - 1].size;
        q->nseg--;
    }
    ns = realloc(q->segs, (q->nseg + 1) * sizeof(*q->segs));
    if (ns == NULL)
        return vt_err_set(err, VT_E_NOMEM, "receipt queue: out of memory");
    q->segs = ns;
    q->segs[q->nseg].first = q->next_seq;
    q->segs[q->nseg].count = 0;
    q->segs[q->nseg].size = 0;
    q->nseg++;
    q->dir_dirty = true; /* its name reaches the disk with the next sync's directory fsync */
    if (q->spare) {
        char from[4100], to[4100];
        snprintf(from, sizeof(from), "%s/" RQ_SPARE, q->dir);
        seg_path(to, sizeof(to), q, q->next_seq);
        q->spare = false;
        if (rename(from, to) != 0) /* then a new file, reserved if the disk has room */
            (void)unlink(from);
    }
    rc = seg_open_fd(q, q->next_seq, 0, err);
    if (rc == VT_OK)
        spare_make(q);
    return rc;
}

/* Deletes the segments before the reader's that are wholly acknowledged (never the last). */
static void seg_gc(vt_gw_rq *q)
{
    size_t drop = 0;
    char path[4100];

    while (drop + 1 < q->nseg && drop < q->rseg) {
        seg_path(path, sizeof(path), q, q->segs[drop].first);
        (void)unlink(path);
        q->bytes -= q->segs[drop].size;
        drop++;
    }
    if (drop > 0) {
        memmove(q->segs, q->segs + drop, (q->nseg - drop) * sizeof(*q->segs));
        q->nseg -= drop;
        q->rseg -= drop;
    }
}

/* Places the reader at `acked` (the first record at or after it). */
static vt_status reader_seek(vt_gw_rq *q, vt_err *err)
{
    q->rseg = 0;
    q->roff = 0;
    while (q->rseg + 1 < q->nseg && q->segs[q->rseg].first + q->segs[q->rseg].count <= q->acked)
        q->rseg++;
    if (q->nseg == 0)
        return VT_OK;
    {
        struct rq_seg *s = &q->segs[q->rseg];
        char path[4100];
        uint64_t skip = q->acked > s->first ? q->acked - s->first : 0;
        vt_buf b;
        vt_rd r;
        vt_status rc;

        if (q->acked < s->first)
            q->acked = s->first; /* a gap (a lost segment): resume at what exists */
        if (skip == 0)
            return VT_OK;
        if (skip > s->count)
            skip = s->count;
        seg_path(path, sizeof(path), q, s->first);
        vt_buf_init(&b);
        rc = vt_file_read(&b, path, (size_t)1 << 31, err);
        vt_rd_init(&r, b.data, rc == VT_OK ? (size_t)s->size : 0);
        for (uint64_t i = 0; rc == VT_OK && i < skip; i++) {
            uint32_t len = vt_rd_u32le(&r);
            vt_rd_skip(&r, 4 + (size_t)len);
            q->roff += RQ_HDR + (uint64_t)len;
        }
        if (rc == VT_OK && !vt_rd_ok(&r))
            rc = vt_err_set(err, VT_E_FORMAT, "receipt queue: %s changed while it was read", path);
        vt_buf_free(&b);
        return rc;
    }
}

static vt_status rq_recover(vt_gw_rq *q, vt_err *err)
{
    DIR *d = opendir(q->dir);
    struct dirent *de;
    vt_status rc = VT_OK;
    uint64_t cursor = 0;

    if (d == NULL)
        return vt_err_set(err, VT_E_IO, "receipt queue: cannot open %s: %s", q->dir, strerror(errno));
    while (rc == VT_OK && (de = readdir(d)) != NULL) {
        uint64_t first;
        struct rq_seg *ns;
        if (!seg_name(&first, de->d_name))
            continue;
        ns = realloc(q->segs, (q->nseg + 1) * sizeof(*q->segs));
        if (ns == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "receipt queue: out of memory");
            break;
        }
        q->segs = ns;
        memset(&q->segs[q->nseg], 0, sizeof(*q->segs));
        q->segs[q->nseg++].first = first;
    }
    closedir(d);
    if (rc != VT_OK)
        return rc;
    if (q->nseg > 1)
        qsort(q->segs, q->nseg, sizeof(*q->segs), seg_cmp);
    for (size_t i = 0; rc == VT_OK && i < q->nseg; i++) {
        char path[4100];
        uint64_t fsize = 0;
        seg_path(path, sizeof(path), q, q->segs[i].first);
        rc = seg_scan(&q->segs[i], &fsize, path, err);
        if (rc == VT_OK && fsize > q->segs[i].size) {
            /* A torn tail (a crash mid-write) or corruption: the intact records before it stay. */
            q->st.discarded += fsize - q->segs[i].size;
            if (truncate(path, (off_t)q->segs[i].size) != 0)
                rc = vt_err_set(err, VT_E_IO, "receipt queue: cannot truncate %s: %s", path, strerror(errno));
        }
        if (rc == VT_OK && i + 1 < q->nseg && q->segs[i].first + q->segs[i].count > q->segs[i + 1].first)
            rc = vt_err_set(err, VT_E_FORMAT, "receipt queue: segments of %s overlap", q->dir);
        q->bytes += q->segs[i].size;
    }
    if (rc == VT_OK)
        rc = cursor_read(&cursor, q, err);
    if (rc != VT_OK)
        return rc;
    q->next_seq = q->nseg > 0 ? q->segs[q->nseg - 1].first + q->segs[q->nseg - 1].count : cursor;
    q->acked = cursor;
    if (cursor > q->next_seq) {
        /* never past what exists, on disk too: receipts pushed from here on take the numbers
         * past the end, which a stale cursor would count as acknowledged at the next start */
        q->acked = q->next_seq;
        rc = cursor_write(q, q->acked, err);
        if (rc == VT_OK && fdatasync(q->cfd) != 0) /* before any receipt takes those numbers */
            rc = vt_err_set(err, VT_E_IO, "receipt queue: sync the cursor in %s: %s", q->dir, strerror(errno));
    }
    if (rc == VT_OK)
        rc = reader_seek(q, err);
    for (size_t i = 0; rc == VT_OK && i < q->nseg; i++) { /* the records there are, not their numbers */
        const struct rq_seg *s = &q->segs[i];
        if (s->first + s->count > q->acked)
            q->st.recovered += s->first + s->count - (s->first > q->acked ? s->first : q->acked);
    }
    if (rc == VT_OK && q->nseg == 0) {
        rc = seg_rotate(q, err);
    } else if (rc == VT_OK) {
        rc = seg_open_fd(q, q->segs[q->nseg - 1].first, q->segs[q->nseg - 1].size, err);
        if (rc == VT_OK)
            spare_make(q); /* the one left by the last run, or a new one */
    }
    if (rc == VT_OK)
        seg_gc(q);
    return rc;
}

/*
 * One process per queue: two gateways appending to the same segment would interleave their
 * records and each would read the other's as corrupt (receipts lost).  <dir>/lock is held
 * until close (base/owner_lock.h), so the second one fails at start.
 */
static vt_status rq_lock(vt_gw_rq *q, vt_err *err)
{
    char path[4100], pid[VT_OWNER_PID_MAX];
    vt_status rc;

    snprintf(path, sizeof(path), "%s/lock", q->dir);
    rc = vt__owner_lock(&q->lfd, pid, path, err);
    if (rc == VT_E_POLICY)
        return vt_err_set(err, VT_E_POLICY,
                          "receipt queue: %s is in use by another gateway%s%s%s; give each gateway its own state "
                          "directory (--state)",
                          q->dir, pid[0] != '\0' ? " (pid " : "", pid, pid[0] != '\0' ? ")" : "");
    if (rc != VT_OK && err != NULL) {
        char m[sizeof(err->msg)];
        snprintf(m, sizeof(m), "%s", err->msg);
        vt_err_set(err, rc, "receipt queue: %s", m);
    }
    return rc;
}

vt_status vt_gw_rq_open(vt_gw_rq **out, const vt_gw_rq_opts *o, vt_err *err)
{
    vt_gw_rq *q;
    vt_status rc = VT_E_INTERNAL;

    *out = NULL;
    if (o == NULL || o->dir == NULL || strlen(o->dir) >= sizeof(q->dir))
        return vt_err_set(err, VT_E_ARG, "receipt queue: dir missing or too long");
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return vt_err_set(err, VT_E_NOMEM, "receipt queue: out of memory");
    pthread_mutex_init(&q->mu, NULL);
    q->fd = -1;
    q->cfd = -1;
    q->lfd = -1;
    snprintf(q->dir, sizeof(q->dir), "%s", o->dir);
    q->max_bytes = o->max_bytes > 0 ? o->max_bytes : (uint64_t)256 << 20;
    q->seg_bytes = o->segment_bytes > 0 ? o->segment_bytes : (uint64_t)4 << 20;
    q->hold_max = o->hold_bytes > 0 ? o->hold_bytes : (uint64_t)8 << 20;
    rc = vt_dir_private(q->dir, err);
    if (rc == VT_OK)
        rc = rq_lock(q, err);
    if (rc == VT_OK)
        rc = rq_recover(q, err);
    if (rc != VT_OK) {
        vt_gw_rq_close(q);
        return rc;
    }
    *out = q;
    return VT_OK;
}

static vt_status write_held(vt_gw_rq *q, vt_err *err);

uint64_t vt_gw_rq_close(vt_gw_rq *q)
{
    uint64_t lost = 0;

    if (q == NULL)
        return 0;
    if (q->fd >= 0)
        (void)write_held(q, NULL);
    while (q->held != NULL) { /* the disk still refuses them: lost (counted for the caller) */
        struct rq_held *h = q->held;
        q->held = h->next;
        free(h);
        lost++;
    }
    if (q->fd >= 0) {
        if (q->dirty)
            (void)fdatasync(q->fd);
        close(q->fd);
    }
    if (q->cfd >= 0)
        close(q->cfd);
    if (q->lfd >= 0)
        close(q->lfd); /* releases the lock */
    free(q->segs);
    free(q->rbuf); /* receipts are public tokens: nothing to wipe */
    pthread_mutex_destroy(&q->mu);
    free(q);
    return lost;
}

/* ---- producer ---- */

/* Writes one whole record at the end of the last segment.  VT_E_LIMIT over the disk budget,
 * VT_E_IO when the disk refuses (the segment is cut back to its last whole record). */
static vt_status write_record(vt_gw_rq *q, const uint8_t *rec, size_t n, vt_err *err)
{
    struct rq_seg *s;
    size_t done = 0;
    vt_status rc;

    if (q->bytes + n > q->max_bytes)
        return vt_err_set(err, VT_E_LIMIT, "receipt queue: full (%" PRIu64 " bytes of %" PRIu64 " on disk)", q->bytes,
                          q->max_bytes);
    if (q->segs[q->nseg - 1].size >= q->seg_bytes || q->must_rotate) {
        rc = seg_rotate(q, err);
        if (rc != VT_OK)
            return rc;
    }
    s = &q->segs[q->nseg - 1];
    while (done < n) {
        ssize_t w = write(q->fd, rec + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            /* cut a partial record back off, so the segment stays whole */
            if (done > 0 && ftruncate(q->fd, (off_t)s->size) != 0)
                q->must_rotate = true; /* the partial record stays: nothing more goes after it */
            else if (done > 0)
                q->reserved = false; /* the cut gave the rest of the room back (ext4); sync tries again */
            snprintf(q->st.held_why, sizeof(q->st.held_why), "%s", strerror(e));
            return vt_err_set(err, VT_E_IO, "receipt queue: write to %s: %s", q->dir, strerror(e));
        }
        done += (size_t)w;
    }
    s->count++;
    s->size += n;
    q->bytes += n;
    q->next_seq++;
    q->st.pushed++;
    q->dirty = true;
    return VT_OK;
}

/* Writes the held records, oldest first, until the disk refuses one. */
static vt_status write_held(vt_gw_rq *q, vt_err *err)
{
    while (q->held != NULL) {
        struct rq_held *h = q->held;
        vt_status rc = write_record(q, h->rec, h->len, err);
        if (rc != VT_OK)
            return rc;
        q->held = h->next;
        if (q->held == NULL)
            q->held_tail = NULL;
        q->held_bytes -= h->len;
        q->st.held--;
        free(h);
    }
    return VT_OK;
}

/* Keeps a record the disk refused, behind the ones held already; false over hold_max. */
static bool hold(vt_gw_rq *q, const uint8_t *rec, size_t n)
{
    struct rq_held *h;

    if (q->held_bytes + n > q->hold_max || (h = malloc(sizeof(*h) + n)) == NULL)
        return false;
    h->next = NULL;
    h->len = n;
    memcpy(h->rec, rec, n);
    if (q->held_tail != NULL)
        q->held_tail->next = h;
    else
        q->held = h;
    q->held_tail = h;
    q->held_bytes += n;
    q->st.held++;
    return true;
}

vt_status vt_gw_rq_push(vt_gw_rq *q, const uint8_t *p, size_t len, vt_err *err)
{
    uint8_t hdr[RQ_HDR];
    uint32_t crc;
    vt_status rc = VT_OK;
    vt_buf rec;

    if (len == 0 || len > VT_RECEIPT_MAX)
        return vt_err_set(err, VT_E_ARG, "receipt queue: a receipt of %zu bytes (1..%zu)", len, VT_RECEIPT_MAX);
    crc = rec_crc((uint32_t)len, p);
    for (int i = 0; i < 4; i++) {
        hdr[i] = (uint8_t)(len >> (8 * i));
        hdr[4 + i] = (uint8_t)(crc >> (8 * i));
    }
    vt_buf_init(&rec);
    rc = vt_buf_append(&rec, hdr, sizeof(hdr), err);
    if (rc == VT_OK)
        rc = vt_buf_append(&rec, p, len, err);
    if (rc != VT_OK) {
        vt_buf_free(&rec);
        return rc;
    }
    pthread_mutex_lock(&q->mu);
    rc = write_held(q, err); /* the older ones first: the queue keeps its order */
    if (rc == VT_OK)
        rc = write_record(q, rec.data, rec.len, err);
    if (rc == VT_E_IO && hold(q, rec.data, rec.len))
        rc = VT_OK; /* in memory until the disk takes it (vt_gw_rq_push, vt_gw_rq_sync) */
    else if (rc != VT_OK)
        q->st.dropped++;
    pthread_mutex_unlock(&q->mu);
    vt_buf_free(&rec);
    return rc;
}

vt_status vt_gw_rq_sync(vt_gw_rq *q, vt_err *err)
{
    bool dir_sync;
    int fd;

    pthread_mutex_lock(&q->mu);
    (void)write_held(q, NULL); /* still refused: they stay held, counted in the stats */
    if ((!q->reserved || !q->spare) && q->fd >= 0 && vt_time_mono_ms() - q->spare_tried_ms >= RQ_SPARE_RETRY_MS) {
        /* the room the disk did not have before (it was full, or it has been freed since) */
        if (!q->reserved)
            q->reserved = seg_reserve(q, q->fd);
        if (!q->spare)
            spare_make(q);
        q->spare_tried_ms = vt_time_mono_ms();
    }
    fd = q->dirty && q->fd >= 0 ? dup(q->fd) : -1;
    if (fd >= 0)
        q->dirty = false;
    dir_sync = q->dir_dirty;
    q->dir_dirty = false;
    pthread_mutex_unlock(&q->mu);
    /* A new segment's name first: receipts synced into a file the directory lost (a power cut
     * after the rename of the spare, say) would be gone with it. */
    if (dir_sync) {
        int dfd = open(q->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int e = dfd < 0 || fsync(dfd) != 0 ? errno : 0;
        if (dfd >= 0)
            close(dfd);
        if (e != 0) {
            if (fd >= 0)
                close(fd);
            pthread_mutex_lock(&q->mu);
            q->dir_dirty = true;
            q->dirty |= fd >= 0;
            pthread_mutex_unlock(&q->mu);
            return vt_err_set(err, VT_E_IO, "receipt queue: sync the directory %s: %s", q->dir, strerror(e));
        }
    }
    if (fd < 0)
        return VT_OK;
    /* outside the lock: pushes go on while the disk flushes (the next sync covers them) */
    if (fdatasync(fd) != 0) {
        int e = errno;
        close(fd);
        pthread_mutex_lock(&q->mu);
        q->dirty = true;
        pthread_mutex_unlock(&q->mu);
        return vt_err_set(err, VT_E_IO, "receipt queue: sync %s: %s", q->dir, strerror(e));
    }
    close(fd);
    return VT_OK;
}

/* ---- consumer ---- */

void vt_gw_rq_batch_clear(vt_gw_rq_batch *b)
{
    if (b == NULL)
        return;
    vt_buf_free(&b->data);
    b->count = 0;
    b->first_seq = b->end_seq = 0;
}

/* The reader's piece of one segment: rbuf holds bytes [off, off + len) of it. */
struct rq_piece {
    uint64_t off;
    size_t len;
};

/* Reads on from off (one pread, up to RQ_READ_CHUNK, not past the segment's whole records). */
static vt_status piece_read(vt_gw_rq *q, struct rq_piece *pc, int fd, const struct rq_seg *s, uint64_t off,
                            const char *path, vt_err *err)
{
    size_t n = s->size - off < RQ_READ_CHUNK ? (size_t)(s->size - off) : RQ_READ_CHUNK;

    pc->off = off;
    pc->len = 0;
    if (fd < 0 || pread(fd, q->rbuf, n, (off_t)off) != (ssize_t)n)
        return vt_err_set(err, VT_E_IO, "receipt queue: cannot read %s", path);
    pc->len = n;
    return VT_OK;
}

static bool piece_has(const struct rq_piece *pc, uint64_t off, size_t n)
{
    return off >= pc->off && off + n <= pc->off + pc->len;
}

/* The record at off of segment s, whole in rbuf (read on when it is not): its payload and length,
 * checked against its length bound and CRC. */
static vt_status record_at(vt_gw_rq *q, struct rq_piece *pc, int fd, const struct rq_seg *s, uint64_t off,
                           const char *path, const uint8_t **rec, uint32_t *len, vt_err *err)
{
    vt_status rc = VT_OK;
    uint32_t crc;

    if (!piece_has(pc, off, RQ_HDR))
        rc = piece_read(q, pc, fd, s, off, path, err);
    if (rc != VT_OK)
        return rc;
    if (!piece_has(pc, off, RQ_HDR))
        return vt_err_set(err, VT_E_FORMAT, "receipt queue: record length in %s", path);
    if (!rec_header(q->rbuf + (off - pc->off), len, &crc) || off + RQ_HDR + *len > s->size)
        return vt_err_set(err, VT_E_FORMAT, "receipt queue: record length in %s", path);
    if (!piece_has(pc, off, RQ_HDR + *len)) /* it fits a fresh piece: RQ_READ_CHUNK holds any record */
        rc = piece_read(q, pc, fd, s, off, path, err);
    if (rc != VT_OK)
        return rc;
    *rec = q->rbuf + (off - pc->off) + RQ_HDR;
    if (rec_crc(*len, *rec) != crc)
        return vt_err_set(err, VT_E_FORMAT, "receipt queue: record checksum in %s", path);
    return VT_OK;
}

vt_status vt_gw_rq_peek(vt_gw_rq *q, vt_gw_rq_batch *b, size_t max_count, size_t max_bytes, vt_err *err)
{
    vt_status rc = VT_OK;
    struct rq_piece pc = { 0, 0 };
    size_t si;
    uint64_t off, seq;
    char path[4100];
    int fd = -1;

    vt_gw_rq_batch_clear(b);
    vt_buf_init(&b->data);
    if (max_count > VT_GW_RQ_BATCH_MAX)
        max_count = VT_GW_RQ_BATCH_MAX;
    pthread_mutex_lock(&q->mu);
    if (q->rbuf == NULL && (q->rbuf = malloc(RQ_READ_CHUNK)) == NULL) {
        pthread_mutex_unlock(&q->mu);
        return vt_err_set(err, VT_E_NOMEM, "receipt queue: out of memory");
    }
    si = q->rseg;
    off = q->roff;
    seq = q->acked;
    b->first_seq = seq;
    while (b->count < max_count && seq < q->next_seq && si < q->nseg) {
        const struct rq_seg *s = &q->segs[si];
        const uint8_t *rec = NULL;
        uint32_t len = 0;
        if (off >= s->size) { /* this segment is done: the next one */
            si++;
            off = 0;
            if (si < q->nseg && q->segs[si].first > seq)
                seq = q->segs[si].first; /* records lost before it (a corrupt one cut its segment short) */
            pc = (struct rq_piece){ 0, 0 };
            if (fd >= 0)
                close(fd);
            fd = -1;
            continue;
        }
        seg_path(path, sizeof(path), q, s->first);
        if (fd < 0)
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        rc = record_at(q, &pc, fd, s, off, path, &rec, &len, err);
        if (rc != VT_OK)
            break;
        if (b->count > 0 && b->data.len + len + 1 > max_bytes)
            break;
        /* grow by doubling: one realloc per record would copy the batch over and over */
        if (b->data.cap - b->data.len < (size_t)len + 1)
            rc = vt_buf_reserve(&b->data, b->data.cap > (size_t)len + 1 ? b->data.cap : (size_t)len + 1, err);
        if (rc != VT_OK)
            break;
        memcpy(b->data.data + b->data.len, rec, len);
        b->off[b->count] = b->data.len;
        b->len[b->count] = len;
        b->data.len += len;
        b->data.data[b->data.len++] = '\0';
        b->count++;
        off += RQ_HDR + len;
        seq++;
    }
    b->end_seq = seq;
    pthread_mutex_unlock(&q->mu);
    if (fd >= 0)
        close(fd);
    if (rc != VT_OK)
        vt_gw_rq_batch_clear(b);
    return rc;
}

vt_status vt_gw_rq_ack(vt_gw_rq *q, const vt_gw_rq_batch *b, vt_err *err)
{
    vt_status rc = VT_OK;

    pthread_mutex_lock(&q->mu);
    if (b->count == 0 || b->first_seq != q->acked || b->end_seq > q->next_seq) {
        rc = b->count == 0 ? VT_OK : vt_err_set(err, VT_E_ARG, "receipt queue: ack of a batch that is not the oldest");
        goto out;
    }
    /* advance the reader by the batch's records */
    for (size_t i = 0; i < b->count; i++) {
        while (q->rseg + 1 < q->nseg && q->roff >= q->segs[q->rseg].size) {
            q->rseg++;
            q->roff = 0;
        }
        q->roff += RQ_HDR + (uint64_t)b->len[i];
    }
    while (q->rseg + 1 < q->nseg && q->roff >= q->segs[q->rseg].size) {
        q->rseg++;
        q->roff = 0;
    }
    q->acked = b->end_seq;
    q->st.acked += b->count;
    rc = cursor_write(q, q->acked, err);
    /* Everything sent and the written segment is large (or the budget is half used): start
     * afresh so it can go. */
    if (rc == VT_OK && q->acked == q->next_seq && q->segs[q->nseg - 1].size > 0 &&
        (q->segs[q->nseg - 1].size >= q->seg_bytes / 4 || q->bytes >= q->max_bytes / 2)) {
        rc = seg_rotate(q, err);
        if (rc == VT_OK) {
            q->rseg = q->nseg - 1;
            q->roff = 0;
        }
    }
    seg_gc(q);
out:
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* Records on disk from `acked` on.  Not next_seq - acked: numbers lost in a gap between
 * segments (a corrupted record and those after it in its segment) are no receipts to send. */
static uint64_t pending_records(const vt_gw_rq *q)
{
    uint64_t n = 0;

    for (size_t i = 0; i < q->nseg; i++) {
        uint64_t from = q->segs[i].first > q->acked ? q->segs[i].first : q->acked;
        uint64_t end = q->segs[i].first + q->segs[i].count;
        if (end > from)
            n += end - from;
    }
    return n;
}

void vt_gw_rq_stats_get(vt_gw_rq *q, vt_gw_rq_stats *out)
{
    pthread_mutex_lock(&q->mu);
    *out = q->st;
    out->depth = pending_records(q);
    out->bytes = q->bytes;
    out->segments = q->nseg;
    out->reserve = 0;
    if (q->reserved && q->nseg > 0 && q->segs[q->nseg - 1].size < seg_room(q))
        out->reserve = seg_room(q) - q->segs[q->nseg - 1].size;
    if (q->spare)
        out->reserve += seg_room(q);
    if (q->reserved && q->spare)
        out->reserve_why[0] = '\0'; /* a reason from before, when the room was made since */
    pthread_mutex_unlock(&q->mu);
}
