/* The durable receipt queue: order, acknowledgement, replay after a restart,
 * torn and corrupt tails, a full disk budget, a disk that refuses writes (held in memory),
 * room reserved on disk ahead of the queue (the spare segment), segment rotation and removal,
 * one process per queue directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vt_test.h"

#include "gateway/crc32.h"
#include "gateway/receipt_queue.h"

static vt_gw_rq *open_q(const char *dir, uint64_t max_bytes, uint64_t seg_bytes)
{
    vt_gw_rq_opts o = { .dir = dir, .max_bytes = max_bytes, .segment_bytes = seg_bytes };
    vt_gw_rq *q = NULL;
    vt_err err = { 0 };
    vt_status rc = vt_gw_rq_open(&q, &o, &err);
    if (rc != VT_OK)
        fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, VT_OK);
    return q;
}

static void push(vt_gw_rq *q, int i)
{
    char tok[64];
    vt_err err;
    int n = snprintf(tok, sizeof(tok), "eyJhbGciOiJFUzI1NiJ9.receipt-%06d.sig", i);
    assert_int_equal(vt_gw_rq_push(q, (const uint8_t *)tok, (size_t)n, &err), VT_OK);
}

/* A fresh queue directory holding receipts 0..n-1, closed. */
static void with_records(char *dir, size_t dir_len, int n)
{
    vt_gw_rq *q;

    vt_test_mkdtemp(dir, dir_len);
    q = open_q(dir, 0, 0);
    for (int i = 0; i < n; i++)
        push(q, i);
    vt_gw_rq_close(q);
}

/* Opens dir again and checks what the restart recovered and discarded (bytes). */
static vt_gw_rq *reopen(const char *dir, uint64_t recovered, uint64_t discarded)
{
    vt_gw_rq *q = open_q(dir, 0, 0);
    vt_gw_rq_stats st;

    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.recovered, recovered);
    assert_int_equal(st.discarded, discarded);
    return q;
}

/* Peeks up to max and checks they are receipts first..first+count-1. */
static size_t expect_batch(vt_gw_rq *q, vt_gw_rq_batch *b, size_t max, int first)
{
    vt_err err;
    assert_int_equal(vt_gw_rq_peek(q, b, max, 1 << 20, &err), VT_OK);
    for (size_t i = 0; i < b->count; i++) {
        char want[64];
        snprintf(want, sizeof(want), "eyJhbGciOiJFUzI1NiJ9.receipt-%06d.sig", first + (int)i);
        assert_string_equal((const char *)b->data.data + b->off[i], want);
        assert_int_equal(b->len[i], strlen(want));
    }
    return b->count;
}

static char *last_segment(char *out, size_t n, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char best[300] = "";
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, ".seg") != NULL && strcmp(de->d_name, best) > 0)
            snprintf(best, sizeof(best), "%s", de->d_name);
    closedir(d);
    assert_true(best[0] != '\0');
    snprintf(out, n, "%s/%s", dir, best);
    return out;
}

static size_t count_segments(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t c = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        c += strstr(de->d_name, ".seg") != NULL;
    closedir(d);
    return c;
}

static void test_gateway_receipt_queue__order_ack_replay(void **state)
{
    char dir[4096], seg[4200];
    vt_gw_rq *q;
    vt_gw_rq_batch b;
    vt_gw_rq_stats st;
    struct stat sb;
    vt_err err;
    (void)state;

    memset(&b, 0, sizeof(b));
    vt_test_mkdtemp(dir, sizeof(dir));
    q = open_q(dir, 0, 0);
    for (int i = 0; i < 10; i++)
        push(q, i);
    assert_int_equal(vt_gw_rq_sync(q, &err), VT_OK);
    assert_int_equal(expect_batch(q, &b, 4, 0), 4);
    /* not acknowledged: the same batch again */
    assert_int_equal(expect_batch(q, &b, 4, 0), 4);
    assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK);
    assert_int_equal(expect_batch(q, &b, 3, 4), 3);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.depth, 6);
    assert_int_equal(st.pushed, 10);
    assert_int_equal(st.acked, 4);
    /* files are private */
    assert_int_equal(stat(last_segment(seg, sizeof(seg), dir), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q); /* the peeked batch of 3 was never acknowledged */

    /* a restart replays everything from the cursor on */
    q = reopen(dir, 6, 0);
    assert_int_equal(expect_batch(q, &b, 100, 4), 6);
    assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK);
    push(q, 10);
    assert_int_equal(expect_batch(q, &b, 100, 10), 1);
    /* an ack of a batch that is no longer the oldest is refused */
    {
        vt_gw_rq_batch old = b;
        assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK);
        old.data.data = NULL;
        assert_int_equal(vt_gw_rq_ack(q, &old, &err), VT_E_ARG);
    }
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    q = open_q(dir, 0, 0);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.recovered, 0);
    assert_int_equal(expect_batch(q, &b, 100, 0), 0);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* A crash mid-write leaves part of a record: it is cut off, not fatal, and the queue goes on. */
static void test_gateway_receipt_queue__torn_tail(void **state)
{
    char dir[4096], seg[4200];
    vt_gw_rq *q;
    vt_gw_rq_batch b;
    struct stat sb;
    off_t whole;
    int fd;
    (void)state;

    memset(&b, 0, sizeof(b));
    with_records(dir, sizeof(dir), 5);
    last_segment(seg, sizeof(seg), dir);
    assert_int_equal(stat(seg, &sb), 0);
    whole = sb.st_size;
    /* every truncation inside the last record */
    for (off_t cut = 1; cut < 8 + 39; cut += 5) {
        assert_int_equal(truncate(seg, whole - cut), 0);
        q = reopen(dir, 4, (uint64_t)(8 + 39 - cut));
        assert_int_equal(expect_batch(q, &b, 100, 0), 4);
        push(q, 4); /* the lost one again: the queue appends after the last whole record */
        vt_gw_rq_close(q);
        assert_int_equal(stat(seg, &sb), 0);
        assert_int_equal(sb.st_size, whole);
    }
    /* a torn header of a next record */
    fd = open(seg, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\x10\x00", 2), 2);
    close(fd);
    q = reopen(dir, 5, 2);
    assert_int_equal(expect_batch(q, &b, 100, 0), 5);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* A flipped bit ends the segment at the last intact record. */
static void test_gateway_receipt_queue__corrupt_record(void **state)
{
    char dir[4096], seg[4200];
    vt_gw_rq *q;
    vt_gw_rq_batch b;
    int fd;
    char c;
    (void)state;

    memset(&b, 0, sizeof(b));
    with_records(dir, sizeof(dir), 5);
    last_segment(seg, sizeof(seg), dir);
    fd = open(seg, O_RDWR);
    assert_true(fd >= 0);
    /* record 2's payload (each record is 8 + 39 bytes) */
    assert_int_equal(pread(fd, &c, 1, 2 * 47 + 20), 1);
    c ^= 0x01;
    assert_int_equal(pwrite(fd, &c, 1, 2 * 47 + 20), 1);
    close(fd);
    q = reopen(dir, 2, 3 * 47);
    assert_int_equal(expect_batch(q, &b, 100, 0), 2);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    /* a cursor that is not a number is an error naming the file, not a silent reset */
    {
        char p[4200];
        vt_gw_rq_opts o = { .dir = dir };
        vt_err err = { 0 };
        snprintf(p, sizeof(p), "%s/cursor", dir);
        assert_int_equal(vt_file_write(p, "12x\n", 4, 0600, &err), VT_OK);
        q = NULL;
        assert_int_equal(vt_gw_rq_open(&q, &o, &err), VT_E_FORMAT);
        assert_null(q);
        assert_non_null(strstr(err.msg, "cursor"));
    }
    vt_test_rmdir(dir);
}

/* A cursor past the records on disk (acknowledged receipts lost with a power cut, or cut off
 * after a corrupt record): recovery takes it back to the end, on disk too, so the receipts
 * pushed after the restart are not taken as acknowledged at the next one. */
static void test_gateway_receipt_queue__cursor_past_the_end(void **state)
{
    char dir[4096], seg[4200];
    vt_gw_rq *q;
    vt_gw_rq_batch b;
    vt_err err;
    (void)state;

    memset(&b, 0, sizeof(b));
    with_records(dir, sizeof(dir), 5);
    q = reopen(dir, 5, 0);
    assert_int_equal(expect_batch(q, &b, 100, 0), 5);
    assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK); /* cursor 5 */
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    /* the last two records (sent and acknowledged) never reached the disk */
    assert_int_equal(truncate(last_segment(seg, sizeof(seg), dir), 3 * 47), 0);
    q = reopen(dir, 0, 0);
    push(q, 100);
    push(q, 101);
    vt_gw_rq_close(q); /* the verifier is away: nothing acknowledged */
    q = reopen(dir, 2, 0);
    assert_int_equal(expect_batch(q, &b, 100, 100), 2);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* A record that changes on disk after the queue was opened (recovery checked it) is refused
 * by the reader with an error, not sent; the records before it still are. */
static void test_gateway_receipt_queue__record_changed_under_the_reader(void **state)
{
    char dir[4096], seg[4200];
    vt_gw_rq *q;
    vt_gw_rq_batch b;
    vt_err err = { 0 };
    int fd;
    char c;
    (void)state;

    memset(&b, 0, sizeof(b));
    with_records(dir, sizeof(dir), 5);
    q = reopen(dir, 5, 0);
    last_segment(seg, sizeof(seg), dir);
    fd = open(seg, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, 3 * 47 + 20), 1); /* record 3's payload */
    c ^= 0x01;
    assert_int_equal(pwrite(fd, &c, 1, 3 * 47 + 20), 1);
    close(fd);
    assert_int_equal(vt_gw_rq_peek(q, &b, 100, 1 << 20, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "checksum"));
    assert_int_equal(b.count, 0);
    assert_int_equal(expect_batch(q, &b, 3, 0), 3); /* the intact ones before it */
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* The disk budget: a full queue refuses and counts; acknowledging frees room. */
static void test_gateway_receipt_queue__full(void **state)
{
    char dir[4096];
    vt_gw_rq *q;
    vt_gw_rq_batch b;
    vt_gw_rq_stats st;
    vt_err err;
    const char *tok = "eyJhbGciOiJFUzI1NiJ9.receipt-999999.sig";
    (void)state;

    memset(&b, 0, sizeof(b));
    vt_test_mkdtemp(dir, sizeof(dir));
    q = open_q(dir, 47 * 3, 0); /* room for three */
    for (int i = 0; i < 3; i++)
        push(q, i);
    assert_int_equal(vt_gw_rq_push(q, (const uint8_t *)tok, strlen(tok), &err), VT_E_LIMIT);
    assert_non_null(strstr(err.msg, "full"));
    assert_int_equal(vt_gw_rq_push(q, (const uint8_t *)tok, strlen(tok), &err), VT_E_LIMIT);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.dropped, 2);
    assert_int_equal(st.depth, 3);
    /* acknowledged, the full segment is replaced and the room comes back */
    assert_int_equal(expect_batch(q, &b, 100, 0), 3);
    assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK);
    push(q, 3);
    assert_int_equal(expect_batch(q, &b, 100, 3), 1);
    /* sizes outside 1..VT_RECEIPT_MAX are refused */
    assert_int_equal(vt_gw_rq_push(q, (const uint8_t *)tok, 0, &err), VT_E_ARG);
    {
        uint8_t *big = calloc(1, VT_RECEIPT_MAX + 1);
        assert_non_null(big);
        assert_int_equal(vt_gw_rq_push(q, big, VT_RECEIPT_MAX + 1, &err), VT_E_ARG);
        free(big);
    }
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* The disk refuses writes (a file-size limit stands in for a full disk): receipts are held
 * in memory in order and counted as held, not dropped, and the next sync the disk takes
 * writes them before anything newer; with the hold full a refusal is dropped and counted;
 * closed while the disk still refuses, the held ones are gone. */
static void test_gateway_receipt_queue__disk_refuses(void **state)
{
    char dir[4096];
    vt_gw_rq_opts o = { .hold_bytes = 47 * 3 }; /* room for three held */
    vt_gw_rq *q = NULL;
    vt_gw_rq_batch b;
    vt_gw_rq_stats st;
    struct rlimit was, lim;
    char tok[64];
    vt_err err;
    (void)state;

    memset(&b, 0, sizeof(b));
    vt_test_mkdtemp(dir, sizeof(dir));
    o.dir = dir;
    assert_int_equal(vt_gw_rq_open(&q, &o, &err), VT_OK);
    push(q, 0);
    push(q, 1); /* 94 bytes on disk */
    signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG instead */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
    lim = was;
    lim.rlim_cur = 100;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    push(q, 2);
    push(q, 3);
    push(q, 4);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.held, 3);
    assert_int_equal(st.dropped, 0);
    assert_true(st.held_why[0] != '\0');
    snprintf(tok, sizeof(tok), "eyJhbGciOiJFUzI1NiJ9.receipt-%06d.sig", 5);
    assert_int_equal(vt_gw_rq_push(q, (const uint8_t *)tok, strlen(tok), &err), VT_E_IO); /* the hold is full */
    assert_non_null(strstr(err.msg, "write to"));
    assert_int_equal(vt_gw_rq_sync(q, &err), VT_OK); /* still refused: they stay held */
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.held, 3);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(expect_batch(q, &b, 100, 0), 2); /* only what is on disk is read */
    vt_gw_rq_batch_clear(&b);

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0); /* space is back */
    assert_int_equal(vt_gw_rq_sync(q, &err), VT_OK);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.held, 0);
    assert_int_equal(expect_batch(q, &b, 100, 0), 5); /* 0..4, in order */
    vt_gw_rq_batch_clear(&b);

    /* closed while the disk still refuses: the held one is gone, the rest recovered */
    lim.rlim_cur = 47 * 5;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    snprintf(tok, sizeof(tok), "eyJhbGciOiJFUzI1NiJ9.receipt-%06d.sig", 6);
    assert_int_equal(vt_gw_rq_push(q, (const uint8_t *)tok, strlen(tok), &err), VT_OK);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.held, 1);
    assert_int_equal(vt_gw_rq_close(q), 1); /* the held one, lost and counted */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, SIG_DFL);
    q = reopen(dir, 5, 0);
    assert_int_equal(expect_batch(q, &b, 100, 0), 5);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* The room reserved on disk: each segment's whole room and a spare segment's, made ahead, so a
 * full disk still takes a segment and more.  Rotation takes the spare (the same file) and makes
 * a new one; a restart keeps both; a torn tail cut at recovery gets its room back. */
static void reserve_check(const char *path, uint64_t room, bool empty)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true((uint64_t)sb.st_blocks * 512 >= room); /* allocated, not only claimed */
    if (empty)
        assert_int_equal(sb.st_size, 0);
}

static ino_t inode_of(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return sb.st_ino;
}

static void test_gateway_receipt_queue__reserve(void **state)
{
    char dir[4096], seg[4400], spare[4200];
    const uint64_t seg_bytes = 47 * 4, room = 47 * 4 + 8 + VT_RECEIPT_MAX;
    vt_gw_rq *q;
    vt_gw_rq_stats st;
    ino_t spare_ino;
    int fd;
    (void)state;

    vt_test_mkdtemp(dir, sizeof(dir));
    snprintf(spare, sizeof(spare), "%s/spare", dir);
    q = open_q(dir, 0, seg_bytes);
    vt_gw_rq_stats_get(q, &st);
    if (strcmp(st.reserve_why, strerror(EOPNOTSUPP)) == 0) {
        vt_gw_rq_close(q);
        vt_test_rmdir(dir);
        skip(); /* this filesystem has no fallocate: nothing is reserved (the gateway says so) */
    }
    assert_string_equal(st.reserve_why, "");
    assert_int_equal(st.reserve, 2 * room); /* an empty last segment and the spare */
    reserve_check(last_segment(seg, sizeof(seg), dir), room, true);
    reserve_check(spare, room, true);
    for (int i = 0; i < 4; i++)
        push(q, i);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.reserve, 2 * room - 4 * 47);

    /* the fifth record starts a segment: the spare's file, with its room; a new spare */
    spare_ino = inode_of(spare);
    push(q, 4);
    assert_int_equal(count_segments(dir), 2);
    assert_true(inode_of(last_segment(seg, sizeof(seg), dir)) == spare_ino);
    reserve_check(seg, room, false);
    assert_true(inode_of(spare) != spare_ino);
    reserve_check(spare, room, true);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.reserve, 2 * room - 47);
    vt_gw_rq_close(q);

    /* a restart keeps the spare (the same file) and the last segment's room; recovery skips it */
    spare_ino = inode_of(spare);
    q = open_q(dir, 0, seg_bytes);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.recovered, 5);
    assert_true(inode_of(spare) == spare_ino);
    reserve_check(last_segment(seg, sizeof(seg), dir), room, false);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.reserve, 2 * room - 47);
    vt_gw_rq_close(q);

    /* a torn tail is cut at recovery (which frees the room past it on some filesystems): reserved again */
    fd = open(seg, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\x10\x00\x00\x00torn", 8), 8);
    close(fd);
    q = open_q(dir, 0, seg_bytes);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.recovered, 5);
    assert_int_equal(st.discarded, 8);
    reserve_check(seg, room, false);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* Small segments: rotation, batches across segments, acknowledged ones deleted, replay across them. */
static void test_gateway_receipt_queue__segments(void **state)
{
    char dir[4096];
    vt_gw_rq *q;
    vt_gw_rq_batch b;
    vt_gw_rq_stats st;
    vt_err err;
    (void)state;

    memset(&b, 0, sizeof(b));
    vt_test_mkdtemp(dir, sizeof(dir));
    q = open_q(dir, 0, 47 * 4); /* four records a segment */
    for (int i = 0; i < 30; i++)
        push(q, i);
    assert_int_equal(count_segments(dir), 8);
    assert_int_equal(expect_batch(q, &b, 10, 0), 10);
    assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK);
    assert_int_equal(count_segments(dir), 6); /* 0-3 and 4-7 are gone */
    /* a batch stops before max_bytes (but always holds one) */
    assert_int_equal(vt_gw_rq_peek(q, &b, 100, 40 * 3, &err), VT_OK);
    assert_int_equal(b.count, 3);
    assert_int_equal(vt_gw_rq_peek(q, &b, 100, 1, &err), VT_OK);
    assert_int_equal(b.count, 1);
    vt_gw_rq_close(q);
    q = open_q(dir, 0, 47 * 4);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.recovered, 20);
    assert_int_equal(expect_batch(q, &b, 100, 10), 20);
    assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.depth, 0);
    assert_int_equal(count_segments(dir), 1);
    push(q, 30);
    vt_gw_rq_close(q);
    q = open_q(dir, 0, 47 * 4);
    assert_int_equal(expect_batch(q, &b, 100, 30), 1);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* The record checksum is CRC-32 as zlib and the IEEE 802.3 check value define it, at every
 * length and offset the eight-byte tables and the 16- and 64-byte folds can meet, and split
 * at any point; the fold (where the CPU has it) and the tables agree everywhere. */
static uint32_t crc_bitwise(uint32_t c, const uint8_t *p, size_t n)
{
    c = ~c;
    while (n-- > 0) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

static void test_gateway_receipt_queue__crc32(void **state)
{
    static uint8_t buf[3200];
    uint32_t x = 2463534242u;

    (void)state;
    assert_int_equal(vt__gw_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(vt__gw_crc32(0, "", 0), 0u);
    assert_int_equal(vt__gw_crc32_portable(0, "123456789", 9), 0xCBF43926u);
    for (size_t i = 0; i < sizeof(buf); i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    for (size_t off = 0; off < 17; off++)
        for (size_t len = 0; off + len <= sizeof(buf); len += (len < 300 ? 1 : 61)) {
            uint32_t want = crc_bitwise(0, buf + off, len), seed = (uint32_t)(len * 2654435761u);
            assert_int_equal(vt__gw_crc32(0, buf + off, len), want);
            assert_int_equal(vt__gw_crc32_portable(0, buf + off, len), want);
            size_t cut = len / 3;
            assert_int_equal(vt__gw_crc32(vt__gw_crc32(0, buf + off, cut), buf + off + cut, len - cut), want);
            /* from any register value, not only the start */
            assert_int_equal(vt__gw_crc32(seed, buf + off, len), crc_bitwise(seed, buf + off, len));
        }
}

/* Records of every size up to the limit, many per read piece and straddling its edges, across
 * two segments: each comes back whole, in order, byte for byte, with batch limits honoured. */
static void test_gateway_receipt_queue__records_across_pieces(void **state)
{
    char dir[256];
    vt_gw_rq *q;
    vt_gw_rq_batch b = { 0 };
    vt_err err = { 0 };
    static uint8_t rec[VT_RECEIPT_MAX];
    size_t n = 0, total = 0, got = 0;

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    q = open_q(dir, (uint64_t)64 << 20, (uint64_t)2 << 20);
    for (size_t i = 0; total < ((size_t)3 << 20); i++) {
        size_t len = i % 97 == 0 ? VT_RECEIPT_MAX : 1 + (i * 7919) % 5000; /* now and then the largest */
        for (size_t j = 0; j < len; j++)
            rec[j] = (uint8_t)('A' + (i + j) % 26);
        assert_int_equal(vt_gw_rq_push(q, rec, len, &err), VT_OK);
        total += len;
        n++;
    }
    for (size_t i = 0; got < n;) {
        assert_int_equal(vt_gw_rq_peek(q, &b, 256, 512 << 10, &err), VT_OK);
        assert_true(b.count > 0);
        assert_true(b.count == 1 || b.data.len <= (512 << 10));
        for (size_t k = 0; k < b.count; k++, i++) {
            size_t len = i % 97 == 0 ? VT_RECEIPT_MAX : 1 + (i * 7919) % 5000;
            const uint8_t *p = b.data.data + b.off[k];
            assert_int_equal(b.len[k], len);
            for (size_t j = 0; j < len; j++)
                if (p[j] != (uint8_t)('A' + (i + j) % 26))
                    fail_msg("record %zu byte %zu differs", i, j);
            assert_int_equal(p[len], 0);
        }
        got += b.count;
        assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK);
    }
    vt_gw_rq_batch_clear(&b);
    assert_int_equal(vt_gw_rq_peek(q, &b, 256, 512 << 10, &err), VT_OK);
    assert_int_equal(b.count, 0);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* A second opener of a directory in use is refused, names the holder and loses nothing; once
 * the first closes, the directory opens again with every record. */
static void test_gateway_receipt_queue__one_owner(void **state)
{
    char dir[256], want[64];
    vt_gw_rq_opts o = { 0 };
    vt_gw_rq *q, *q2 = NULL;
    vt_gw_rq_batch b = { 0 };
    vt_err err = { 0 };

    (void)state;
    with_records(dir, sizeof(dir), 3);
    o.dir = dir;
    q = open_q(dir, 0, 0);
    assert_int_equal(vt_gw_rq_open(&q2, &o, &err), VT_E_POLICY);
    assert_null(q2);
    snprintf(want, sizeof(want), "in use by another gateway (pid %ld)", (long)getpid());
    assert_non_null(strstr(err.msg, want));
    push(q, 3); /* the holder goes on */
    vt_gw_rq_close(q);
    q = open_q(dir, 0, 0);
    assert_int_equal(vt_gw_rq_peek(q, &b, 100, 1 << 20, &err), VT_OK);
    assert_int_equal(b.count, 4);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* ---- syscalls the queue makes, mocked (HS-13) ---- */
static bool fail_ftruncate;  /* ftruncate fails with EIO */
static dev_t watch_dev;      /* the directory whose fsyncs are counted */
static ino_t watch_ino;
static int dir_fsyncs;

int __real_ftruncate(int fd, off_t len);
int __wrap_ftruncate(int fd, off_t len);
int __wrap_ftruncate(int fd, off_t len)
{
    if (fail_ftruncate) {
        errno = EIO;
        return -1;
    }
    return __real_ftruncate(fd, len);
}

int __real_fsync(int fd);
int __wrap_fsync(int fd);
int __wrap_fsync(int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode) && sb.st_dev == watch_dev && sb.st_ino == watch_ino)
        dir_fsyncs++;
    return __real_fsync(fd);
}

/* A segment in the middle of the queue lost a record to corruption (the records after it in
 * that segment go with it): the reader skips the gap to the next segment's numbers, so a drained
 * queue is empty (depth 0) and a restart sends nothing again that the verifier acknowledged. */
static void test_gateway_receipt_queue__gap_between_segments(void **state)
{
    char dir[4096], seg[4200];
    vt_gw_rq *q;
    vt_gw_rq_batch b;
    vt_gw_rq_stats st;
    vt_err err;
    int fd;
    char c;
    (void)state;

    memset(&b, 0, sizeof(b));
    vt_test_mkdtemp(dir, sizeof(dir));
    q = open_q(dir, 0, 47 * 3); /* three records a segment */
    for (int i = 0; i < 5; i++)
        push(q, i);
    vt_gw_rq_close(q);
    assert_int_equal(count_segments(dir), 2);
    snprintf(seg, sizeof(seg), "%s/%020d.seg", dir, 0);
    fd = open(seg, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, 1 * 47 + 20), 1); /* record 1's payload: 1 and 2 are cut off */
    c ^= 0x01;
    assert_int_equal(pwrite(fd, &c, 1, 1 * 47 + 20), 1);
    close(fd);
    q = open_q(dir, 0, 47 * 3);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.recovered, 3); /* 0, 3 and 4: what is there to send */
    assert_int_equal(st.depth, 3);     /* not 5: the numbers of the gap are no receipts */
    assert_int_equal(vt_gw_rq_peek(q, &b, 100, 1 << 20, &err), VT_OK);
    assert_int_equal(b.count, 3);
    assert_string_equal((const char *)b.data.data + b.off[1], "eyJhbGciOiJFUzI1NiJ9.receipt-000003.sig");
    assert_int_equal(b.first_seq, 0);
    assert_int_equal(b.end_seq, 5);
    assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.depth, 0);
    vt_gw_rq_close(q);
    q = reopen(dir, 0, 0); /* nothing acknowledged is sent again */
    assert_int_equal(vt_gw_rq_peek(q, &b, 100, 1 << 20, &err), VT_OK);
    assert_int_equal(b.count, 0);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* The first write to a fresh segment fails half-way and the cut back fails too: the next
 * write starts a new segment at the same number (the same file).  The empty one it replaces
 * is not kept beside it, where removing it once acknowledged would unlink the live segment
 * and lose every receipt written to it since. */
static void test_gateway_receipt_queue__failed_first_write_rotates_in_place(void **state)
{
    char dir[4096];
    vt_gw_rq *q;
    vt_gw_rq_batch b;
    vt_gw_rq_stats st;
    struct rlimit was, lim;
    vt_err err;
    (void)state;

    memset(&b, 0, sizeof(b));
    vt_test_mkdtemp(dir, sizeof(dir));
    q = open_q(dir, 0, 0);
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
    lim = was;
    lim.rlim_cur = 20; /* the record's first 20 bytes are written, then EFBIG */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    fail_ftruncate = true;
    push(q, 0); /* held in memory */
    fail_ftruncate = false;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, SIG_DFL);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.held, 1);
    push(q, 1);
    push(q, 2);
    vt_gw_rq_stats_get(q, &st);
    assert_int_equal(st.held, 0);
    assert_int_equal(expect_batch(q, &b, 1, 0), 1);
    assert_int_equal(vt_gw_rq_ack(q, &b, &err), VT_OK);
    vt_gw_rq_batch_clear(&b);
    assert_int_equal(count_segments(dir), 1);
    vt_gw_rq_close(q);
    q = reopen(dir, 2, 0);
    assert_int_equal(expect_batch(q, &b, 100, 1), 2);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(q);
    vt_test_rmdir(dir);
}

/* A new segment's name (made, or the spare renamed to it) is in the directory, and so durable,
 * by the sync that makes its first receipts durable: the directory is fsynced too. */
static void test_gateway_receipt_queue__new_segment_name_synced(void **state)
{
    char dir[4096];
    vt_gw_rq *q;
    struct stat sb;
    vt_err err;
    int before;
    (void)state;

    vt_test_mkdtemp(dir, sizeof(dir));
    assert_int_equal(stat(dir, &sb), 0);
    watch_dev = sb.st_dev;
    watch_ino = sb.st_ino;
    dir_fsyncs = 0;
    q = open_q(dir, 0, 47 * 2);
    push(q, 0);
    assert_int_equal(vt_gw_rq_sync(q, &err), VT_OK);
    assert_true(dir_fsyncs >= 1); /* the first segment's name */
    push(q, 1);
    assert_int_equal(vt_gw_rq_sync(q, &err), VT_OK);
    before = dir_fsyncs;
    assert_int_equal(vt_gw_rq_sync(q, &err), VT_OK); /* nothing new: no directory sync */
    assert_int_equal(dir_fsyncs, before);
    push(q, 2); /* a new segment: the spare renamed */
    assert_int_equal(count_segments(dir), 2);
    assert_int_equal(vt_gw_rq_sync(q, &err), VT_OK);
    assert_int_equal(dir_fsyncs, before + 1);
    vt_gw_rq_close(q);
    watch_ino = 0;
    vt_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_receipt_queue__order_ack_replay),
        cmocka_unit_test(test_gateway_receipt_queue__torn_tail),
        cmocka_unit_test(test_gateway_receipt_queue__corrupt_record),
        cmocka_unit_test(test_gateway_receipt_queue__cursor_past_the_end),
        cmocka_unit_test(test_gateway_receipt_queue__record_changed_under_the_reader),
        cmocka_unit_test(test_gateway_receipt_queue__full),
        cmocka_unit_test(test_gateway_receipt_queue__disk_refuses),
        cmocka_unit_test(test_gateway_receipt_queue__segments),
        cmocka_unit_test(test_gateway_receipt_queue__reserve),
        cmocka_unit_test(test_gateway_receipt_queue__crc32),
        cmocka_unit_test(test_gateway_receipt_queue__one_owner),
        cmocka_unit_test(test_gateway_receipt_queue__records_across_pieces),
        cmocka_unit_test(test_gateway_receipt_queue__gap_between_segments),
        cmocka_unit_test(test_gateway_receipt_queue__failed_first_write_rotates_in_place),
        cmocka_unit_test(test_gateway_receipt_queue__new_segment_name_synced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
