/*
 * veritee measurement of AI components: model weights (a file or a directory
 * of shards), auditor sets, runtime binaries, config files.
 *
 * The digest (format "veritee-measure-v1", docs/formats/measure.md) is a tree:
 * each file is hashed in fixed 4 MiB chunks, chunk digests make the file
 * digest, and the sorted (relative path, size, file digest) entries make the
 * root.  Chunks of all files are hashed on all cores at once, and any single
 * file can be re-checked alone against its manifest entry.
 */
#ifndef VERITEE_MEASURE_H
#define VERITEE_MEASURE_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_MEASURE_CHUNK ((size_t)4 << 20)
#define VT_MEASURE_FORMAT "veritee-measure-v1"

typedef struct vt_measure_entry {
    char *path;         /* relative to the measured directory ('/'-separated), or the file's base name */
    uint64_t size;
    uint8_t digest[32]; /* SHA-256 file digest (see docs/formats/measure.md) */
} vt_measure_entry;

/* Caller owns, free with vt_measurement_free(). */
typedef struct vt_measurement {
    uint8_t root[32];
    vt_measure_entry *files; /* sorted by path, bytewise */
    size_t file_count;
    uint64_t total_bytes;
} vt_measurement;

typedef struct vt_measure_opts {
    unsigned threads;   /* 0 = the online CPUs */
    size_t max_files;   /* 0 = 100000 */
} vt_measure_opts;

/*
 * Measures one path: a regular file, or a directory walked recursively.
 * Symbolic links and special files are refused (a link could point outside
 * what is meant to be measured).  opts may be NULL.
 */
VT_NODISCARD VT_API vt_status vt_measure_path(vt_measurement **out, const char *path, const vt_measure_opts *opts,
                                              vt_err *err);
/* The digest of one file alone: equal to its manifest entry's digest. */
VT_NODISCARD VT_API vt_status vt_measure_file(uint8_t digest[32], uint64_t *size, const char *path, vt_err *err);
/* The pieces of a file digest, for code that holds the bytes already (the
 * decryption of encrypted weights computes them in the same pass):
 * leaf = SHA-256(VT_MEASURE_LEAF_TAG || chunk), one per VT_MEASURE_CHUNK
 * (the last may be shorter); file digest = SHA-256(0x01 || u64le size ||
 * leaves), count = ceil(size / VT_MEASURE_CHUNK) (VT_E_ARG otherwise). */
#define VT_MEASURE_LEAF_TAG 0x00
VT_NODISCARD VT_API vt_status vt_measure_file_digest(uint8_t out[32], uint64_t size, const uint8_t *leaves,
                                                     size_t count, vt_err *err);
/* The root of a measurement of one file named name (its base name) of size bytes whose file
 * digest is digest: what vt_measure_path gives for that file, without reading it (an encrypted
 * model's header carries size and digest). */
VT_NODISCARD VT_API vt_status vt_measure_root_one(uint8_t root[32], const char *name, uint64_t size,
                                                  const uint8_t digest[32], vt_err *err);
/* {"format", "root", "files":[{"path","size","digest"}], "file_count", "total_bytes"}; free() the string. */
VT_NODISCARD VT_API vt_status vt_measurement_to_json(char **json_out, const vt_measurement *m, vt_err *err);
VT_API void vt_measurement_free(vt_measurement *m);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_MEASURE_H */
