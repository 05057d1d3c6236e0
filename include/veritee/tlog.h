/*
 * veritee transparency log: an RFC 9162 Merkle tree with inclusion and
 * consistency proofs, C2SP signed notes with Ed25519, C2SP tlog-checkpoint
 * and C2SP tlog-tiles paths, tiles and entry bundles (docs/log.md).
 *
 * The tree is held by the caller as "stored hashes": the hash of every
 * complete subtree, numbered as in Go's golang.org/x/mod/sumdb/tlog (level k,
 * index i covers leaves [i*2^k, (i+1)*2^k)).  Appending leaf n writes its
 * leaf hash and the hashes of the subtrees it completes; roots, proofs and
 * tiles are read back through a vt_tlog_reader.  Nothing here stores bytes.
 */
#ifndef VERITEE_TLOG_H
#define VERITEE_TLOG_H

#include "veritee/base.h"
#include "veritee/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_TLOG_HASH_LEN 32
/* Largest tree, leaves: every size the library reads, proves or writes (a checkpoint's, a
 * witness request's, the frontier's) is at most this, so none can go past what an append
 * can reach or what a signed 64-bit integer holds. */
#define VT_TLOG_SIZE_MAX (((uint64_t)1 << 63) - 1)
/* Longest inclusion or consistency proof for a tree of up to 2^63 leaves. */
#define VT_TLOG_PROOF_MAX 66
/* Stored hashes one append writes at most (its leaf and 63 completed subtrees). */
#define VT_TLOG_STORED_MAX 64
/* Largest entry: entry bundles carry a big-endian uint16 length. */
#define VT_TLOG_ENTRY_MAX 65535u
/* Largest signed note we read, and most signature lines in one. */
#define VT_NOTE_MAX ((size_t)64 << 10)
#define VT_NOTE_SIGS_MAX 100
/* Longest key name / checkpoint origin, bytes. */
#define VT_NOTE_NAME_MAX 255
/* Hashes in a full tile, and the longest tile path ("tile/entries/x...x/NNN.p/WWW"). */
#define VT_TILE_WIDTH 256
#define VT_TILE_PATH_MAX 128

/* ---- hashing (RFC 9162 §2.1.1) ---- */
/* SHA-256(0x00 || entry). */
VT_NODISCARD VT_API vt_status vt_tlog_leaf_hash(uint8_t out[32], const void *entry, size_t len, vt_err *err);
/* SHA-256(0x01 || left || right). */
VT_NODISCARD VT_API vt_status vt_tlog_node_hash(uint8_t out[32], const uint8_t left[32], const uint8_t right[32],
                                                vt_err *err);

/* ---- stored hashes ---- */
/* Position of the hash of subtree (level, index) in the append order. */
VT_API uint64_t vt_tlog_stored_index(unsigned level, uint64_t index);
/* How many stored hashes a tree of `size` leaves has. */
VT_API uint64_t vt_tlog_stored_count(uint64_t size);
/* Reads the stored hash at `stored_index` into out; VT_E_NOTFOUND when absent. */
typedef vt_status (*vt_tlog_reader)(void *arg, uint8_t out[32], uint64_t stored_index, vt_err *err);
/*
 * The stored hashes appending leaf number `index` (== the current size) adds,
 * in order, starting at vt_tlog_stored_index(0, index): out[0] = leaf_hash,
 * then the hash of each subtree the leaf completes.  *count is 1..64.  Reads
 * the left siblings it needs through rd.
 */
VT_NODISCARD VT_API vt_status vt_tlog_stored_hashes(uint8_t out[VT_TLOG_STORED_MAX][32], size_t *count,
                                                    uint64_t index, const uint8_t leaf_hash[32], vt_tlog_reader rd,
                                                    void *arg, vt_err *err);
/* Root hash of the tree of `size` leaves (SHA-256 of "" when size is 0). */
VT_NODISCARD VT_API vt_status vt_tlog_tree_hash(uint8_t out[32], uint64_t size, vt_tlog_reader rd, void *arg,
                                                vt_err *err);

/* ---- the frontier: appending without reading ---- */
/* The right edge of the tree of `size` leaves: the hash of each complete subtree its
 * leaves split into, one per set bit of size, the largest first.  It is all an append
 * and the tree's root need: a log that keeps it reads no stored hash to grow. */
typedef struct vt_tlog_frontier {
    uint64_t size;
    unsigned n;
    uint8_t h[VT_TLOG_STORED_MAX][32];
} vt_tlog_frontier;
/* The frontier of the tree of `size` leaves, read through rd (one read per subtree). */
VT_NODISCARD VT_API vt_status vt_tlog_frontier_load(vt_tlog_frontier *f, uint64_t size, vt_tlog_reader rd, void *arg,
                                                    vt_err *err);
/* Appends leaf number f->size: out and *count as vt_tlog_stored_hashes gives them; f then
 * describes the tree one leaf larger. */
VT_NODISCARD VT_API vt_status vt_tlog_frontier_append(vt_tlog_frontier *f, uint8_t out[VT_TLOG_STORED_MAX][32],
                                                      size_t *count, const uint8_t leaf_hash[32], vt_err *err);
/* Root hash of f's tree, as vt_tlog_tree_hash. */
VT_NODISCARD VT_API vt_status vt_tlog_frontier_root(uint8_t out[32], const vt_tlog_frontier *f, vt_err *err);

/* ---- proofs (RFC 9162 §2.1.3, §2.1.4), leaf-side first ---- */
/* Inclusion proof of leaf `index` in the tree of `size` leaves.  VT_E_ARG when index >= size. */
VT_NODISCARD VT_API vt_status vt_tlog_prove_inclusion(uint8_t proof[VT_TLOG_PROOF_MAX][32], size_t *count,
                                                      uint64_t index, uint64_t size, vt_tlog_reader rd, void *arg,
                                                      vt_err *err);
/* Consistency proof from the tree of `old_size` leaves to the tree of `size` (empty when
 * old_size is 0 or equals size).  VT_E_ARG when old_size > size. */
VT_NODISCARD VT_API vt_status vt_tlog_prove_consistency(uint8_t proof[VT_TLOG_PROOF_MAX][32], size_t *count,
                                                        uint64_t old_size, uint64_t size, vt_tlog_reader rd,
                                                        void *arg, vt_err *err);
/* VT_OK when proof places leaf_hash at index in the tree of `size` with this root; else VT_E_CRYPTO. */
VT_NODISCARD VT_API vt_status vt_tlog_verify_inclusion(const uint8_t leaf_hash[32], uint64_t index, uint64_t size,
                                                       const uint8_t (*proof)[32], size_t count,
                                                       const uint8_t root[32], vt_err *err);
/* VT_OK when proof shows the tree (size, root) extends (old_size, old_root); else VT_E_CRYPTO. */
VT_NODISCARD VT_API vt_status vt_tlog_verify_consistency(uint64_t old_size, uint64_t size, const uint8_t (*proof)[32],
                                                         size_t count, const uint8_t old_root[32],
                                                         const uint8_t root[32], vt_err *err);

/* ---- signed notes (C2SP signed-note, Ed25519 keys) ---- */
/* A named Ed25519 signing key; caller owns, free with vt_note_signer_free(). */
typedef struct vt_note_signer vt_note_signer;
/* A named public key; caller owns, free with vt_note_verifier_free(). */
typedef struct vt_note_verifier vt_note_verifier;

/* Key ID: big-endian first 4 bytes of SHA-256(name || 0x0A || 0x01 || pub). */
VT_NODISCARD VT_API vt_status vt_note_key_id(uint32_t *out, const char *name, const uint8_t pub[32], vt_err *err);
/* True when name is a valid key name: non-empty, at most VT_NOTE_NAME_MAX bytes,
 * UTF-8, no Unicode space, no '+', no control character. */
VT_API bool vt_note_name_valid(const char *name);
/* Signer over an Ed25519 private key (a new reference is taken; key stays the caller's). */
VT_NODISCARD VT_API vt_status vt_note_signer_new(vt_note_signer **out, const char *name, vt_pkey *key, vt_err *err);
/* Signer from Go's "PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>" (checks the id). */
VT_NODISCARD VT_API vt_status vt_note_signer_parse(vt_note_signer **out, const char *skey, vt_err *err);
VT_API void vt_note_signer_free(vt_note_signer *s);
/* "<name>+<hex id>+<base64(0x01 || pub)>", appended to out (NUL-terminated). */
VT_NODISCARD VT_API vt_status vt_note_signer_vkey(vt_buf *out, const vt_note_signer *s, vt_err *err);
/* Parses a verifier key string (same form); checks the id against name and key. */
VT_NODISCARD VT_API vt_status vt_note_verifier_parse(vt_note_verifier **out, const char *vkey, size_t len,
                                                     vt_err *err);
VT_API void vt_note_verifier_free(vt_note_verifier *v);
/* Borrowed, valid while v lives. */
VT_API const char *vt_note_verifier_name(const vt_note_verifier *v);
VT_API uint32_t vt_note_verifier_id(const vt_note_verifier *v);
/* A C2SP tlog-cosignature v1 signer (key type 0x04: key id over name || 0x0A || 0x04 || pub);
 * its vkey string (vt_note_signer_vkey) carries type 0x04.  PRIVATE+KEY strings of type
 * 0x04 parse into one too. */
VT_NODISCARD VT_API vt_status vt_note_cosigner_new(vt_note_signer **out, const char *name, vt_pkey *key,
                                                   vt_err *err);
/* Appends s's cosignature line ("— <name> base64(id || u64 timestamp || sig)\n") over the note
 * text (a checkpoint's text, ending in its newline) at POSIX time `timestamp`.  s must be a cosigner. */
VT_NODISCARD VT_API vt_status vt_note_cosign(vt_buf *out, const char *text, size_t len, const vt_note_signer *s,
                                             uint64_t timestamp, vt_err *err);
/* vt_note_open for a cosigner key (type 0x04): verifies its cosignature line(s) and gives the
 * timestamp of the (last) one that verified. */
VT_NODISCARD VT_API vt_status vt_note_open_cosigned(size_t *text_len, uint64_t *timestamp, const uint8_t *note,
                                                    size_t len, const vt_note_verifier *v, vt_err *err);
/* Appends text, a blank line and s's signature line to out.  text must be
 * non-empty, end in a newline, be UTF-8 without control characters but newline. */
VT_NODISCARD VT_API vt_status vt_note_sign(vt_buf *out, const char *text, size_t len, const vt_note_signer *s,
                                           vt_err *err);
/*
 * Opens a signed note: checks its form (at most VT_NOTE_MAX bytes and
 * VT_NOTE_SIGS_MAX signatures), ignores signatures of other keys, and
 * verifies the one(s) by v.  *text_len is the length of the signed text
 * (note[0..*text_len), ending in its newline).  VT_E_FORMAT/VT_E_LIMIT on a
 * malformed note, VT_E_CRYPTO when v's signature is absent or does not verify.
 */
VT_NODISCARD VT_API vt_status vt_note_open(size_t *text_len, const uint8_t *note, size_t len,
                                           const vt_note_verifier *v, vt_err *err);

/* ---- checkpoints (C2SP tlog-checkpoint) ---- */
typedef struct vt_checkpoint {
    char origin[VT_NOTE_NAME_MAX + 1];
    uint64_t size;
    uint8_t root[32];
} vt_checkpoint;

/* The note text "<origin>\n<size>\n<base64 root>\n", appended to out. */
VT_NODISCARD VT_API vt_status vt_checkpoint_text(vt_buf *out, const vt_checkpoint *c, vt_err *err);
/* Parses checkpoint note text (extension lines are allowed and ignored). */
VT_NODISCARD VT_API vt_status vt_checkpoint_parse(vt_checkpoint *out, const uint8_t *text, size_t len, vt_err *err);
/* vt_note_open + vt_checkpoint_parse; origin (or NULL) must equal the checkpoint's. */
VT_NODISCARD VT_API vt_status vt_checkpoint_open(vt_checkpoint *out, const uint8_t *note, size_t len,
                                                 const vt_note_verifier *v, const char *origin, vt_err *err);

/* ---- witnesses (C2SP tlog-witness, tlog-cosignature v1) ---- */
#define VT_WITNESS_PROOF_MAX 63
/* An add-checkpoint request body, parsed; checkpoint points into the body. */
typedef struct vt_witness_req {
    uint64_t old_size;
    uint8_t proof[VT_WITNESS_PROOF_MAX][32];
    size_t proof_count;
    const uint8_t *checkpoint; /* the signed checkpoint note; borrowed from the body */
    size_t checkpoint_len;
} vt_witness_req;
/* Parses "old <size>\n" (no leading zeroes), 0..63 base64 hash lines, a blank line, the note. */
VT_NODISCARD VT_API vt_status vt_witness_req_parse(vt_witness_req *out, const uint8_t *body, size_t len,
                                                   vt_err *err);
/* Builds that body (appended to out). */
VT_NODISCARD VT_API vt_status vt_witness_req_build(vt_buf *out, uint64_t old_size, const uint8_t (*proof)[32],
                                                   size_t count, const uint8_t *checkpoint, size_t len,
                                                   vt_err *err);
/* What a witness remembers of one log: the latest checkpoint it cosigned. */
typedef struct vt_witness_state {
    bool known; /* false: never cosigned one (size 0) */
    uint64_t size;
    uint8_t root[32];
} vt_witness_state;
/*
 * The witness's decision on request r for the log whose key is `log`, as the HTTP status the
 * protocol prescribes: 200 (st is advanced; *text_len is the checkpoint text's length, to
 * cosign), 400 malformed or old size above the checkpoint's, 403 no valid log signature,
 * 404 another origin, 409 old size is not st's (or same size, other root), 422 the
 * consistency proof fails.  The caller persists st before answering 200, atomically with
 * the check.
 */
VT_NODISCARD VT_API int vt_witness_check(vt_witness_state *st, size_t *text_len, const vt_witness_req *r,
                                         const vt_note_verifier *log, vt_err *err);

/* ---- tiles (C2SP tlog-tiles) ---- */
#define VT_TILE_ENTRIES (-1) /* the "level" of entry bundles */
typedef struct vt_tile {
    int level;      /* 0..63, or VT_TILE_ENTRIES */
    uint64_t index; /* N */
    unsigned width; /* 1..256; 256 = full tile (no .p/ suffix) */
} vt_tile;

/* "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]" into out (VT_TILE_PATH_MAX bytes). */
VT_NODISCARD VT_API vt_status vt_tile_path(char out[VT_TILE_PATH_MAX], const vt_tile *t, vt_err *err);
/* Parses a path of that form (strict: no leading zeroes, x-prefixed groups, W 1..255). */
VT_NODISCARD VT_API vt_status vt_tile_path_parse(vt_tile *out, const char *path, size_t len, vt_err *err);
/* The tile at `level` holding hash (or entry) number `index` of its level, as wide as a tree of
 * `size` leaves makes it. */
VT_API void vt_tile_for(vt_tile *out, int level, uint64_t index, uint64_t size);
/* Appends one entry (at most VT_TLOG_ENTRY_MAX bytes) to an entry bundle. */
VT_NODISCARD VT_API vt_status vt_tile_bundle_append(vt_buf *out, const void *entry, size_t len, vt_err *err);
/* Reads the next entry of a bundle: *entry borrows from r's buffer.  false at the end or on
 * a truncated entry (then r has failed). */
VT_API bool vt_tile_bundle_next(vt_rd *r, const uint8_t **entry, size_t *len);
/* Checks an entry bundle: exactly t->width entries and each entry's leaf hash equals
 * hashes[i] (hashes: t->width leaf hashes from the level-0 tile). */
VT_NODISCARD VT_API vt_status vt_tile_bundle_check(const uint8_t *bundle, size_t len, const vt_tile *t,
                                                   const uint8_t (*hashes)[32], vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_TLOG_H */
