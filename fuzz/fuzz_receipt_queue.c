/* libFuzzer: the gateway's receipt queue reading its own files back (gateway/receipt_queue.c):
 * recovery of a segment of arbitrary bytes (a crash mid-write, a corrupted disk) with an
 * arbitrary cursor, then the reader taking every record in batches.  Byte 0 picks the segment's
 * first sequence number and whether a cursor is written; bytes 1..8 are the cursor's value.
 * What must hold: open either refuses with an error or recovers; every record read is whole
 * (1..VT_RECEIPT_MAX bytes, NUL after it) and its bytes are in the file; batches move forward
 * and end; a receipt pushed after recovery comes back intact. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/receipt_queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void empty_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[128];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d != NULL)
        closedir(d);
}

static void put(const char *name, const void *p, size_t n)
{
    char path[128];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (n > 0 && write(fd, p, n) != (ssize_t)n))
        __builtin_trap();
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char mark[] = "eyJhbGciOiJFUzI1NiJ9.fuzz.sig";
    vt_gw_rq_opts o = { 0 };
    vt_gw_rq_batch b = { 0 };
    vt_gw_rq *q = NULL;
    vt_err err = { 0 };
    char name[32];
    uint64_t first, cursor = 0, taken = 0, last_end = 0;
    bool found_mark = false;

    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "/tmp/fuzz_rq_XXXXXX");
        if (mkdtemp(dir) == NULL)
            __builtin_trap();
    }
    if (size < 9)
        return 0;
    empty_dir();
    first = data[0] & 0x3f; /* a small first sequence number */
    for (int i = 0; i < 8; i++)
        cursor = cursor << 8 | data[1 + i];
    if (data[0] & 0x40) {
        char c[32];
        int n = snprintf(c, sizeof(c), "%020" PRIu64 "\n", data[0] & 0x80 ? cursor % 64 : cursor);
        put("cursor", c, (size_t)n);
    }
    snprintf(name, sizeof(name), "%020" PRIu64 ".seg", first);
    put(name, data + 9, size - 9);
    o.dir = dir;
    o.max_bytes = (uint64_t)4 << 20;
    o.segment_bytes = (uint64_t)1 << 20;
    if (vt_gw_rq_open(&q, &o, &err) != VT_OK) {
        if (err.msg[0] == '\0')
            __builtin_trap(); /* a refusal says why */
        return 0;
    }
    if (vt_gw_rq_push(q, (const uint8_t *)mark, sizeof(mark) - 1, &err) != VT_OK)
        __builtin_trap(); /* the queue goes on after whatever it recovered */
    for (int round = 0; round < 100000; round++) {
        if (vt_gw_rq_peek(q, &b, 1 + (size_t)(data[0] % 7), 4096, &err) != VT_OK)
            break; /* a record that changed since recovery: refused, not misread */
        if (b.count == 0)
            break;
        if (b.first_seq < last_end || b.end_seq != b.first_seq + b.count)
            __builtin_trap();
        for (size_t i = 0; i < b.count; i++) {
            if (b.len[i] == 0 || b.len[i] > VT_RECEIPT_MAX || b.off[i] + b.len[i] >= b.data.len ||
                b.data.data[b.off[i] + b.len[i]] != '\0')
                __builtin_trap();
            if (b.len[i] == sizeof(mark) - 1 && memcmp(b.data.data + b.off[i], mark, b.len[i]) == 0)
                found_mark = true;
        }
        taken += b.count;
        last_end = b.end_seq;
        if (vt_gw_rq_ack(q, &b, &err) != VT_OK)
            __builtin_trap();
    }
    vt_gw_rq_batch_clear(&b);
    if (!found_mark || taken > (size - 9) / 9 + 1)
        __builtin_trap(); /* the pushed receipt came back; no more records than the bytes hold */
    vt_gw_rq_close(q);
    return 0;
}
