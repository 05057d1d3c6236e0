/*
 * veritee base layer: status codes, the error object, byte buffers, the
 * bounded reader for untrusted bytes, hex/base64, time, and small memory
 * helpers.  Nothing here allocates an error; nothing here reads the
 * environment.
 */
#ifndef VERITEE_BASE_H
#define VERITEE_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define VT_API __attribute__((visibility("default")))
#define VT_NODISCARD __attribute__((warn_unused_result))
#define VT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VT_API
#define VT_NODISCARD
#define VT_PRINTF(a, b)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes.  The numbers are ABI: append only, never renumber. */
typedef enum vt_status {
    VT_OK = 0,
    VT_E_INTERNAL = -1,    /* a bug or an impossible state */
    VT_E_NOMEM = -2,       /* allocation failed */
    VT_E_ARG = -3,         /* the caller passed something invalid */
    VT_E_FORMAT = -4,      /* input bytes are malformed or truncated */
    VT_E_LIMIT = -5,       /* input exceeds a hard limit */
    VT_E_UNSUPPORTED = -6, /* well-formed but not something we handle */
    VT_E_CRYPTO = -7,      /* a signature, chain or digest did not verify */
    VT_E_POLICY = -8,      /* verified, but rejected by policy */
    VT_E_IO = -9,          /* a file or device operation failed */
    VT_E_NOTFOUND = -10,   /* a named thing does not exist */
} vt_status;

/*
 * Error detail, owned by the caller (usually on the stack).  Messages read
 * "<module>: <field> <problem>" and never contain secrets.  Every function
 * that takes a `vt_err *err` accepts NULL.
 */
typedef struct vt_err {
    vt_status code;
    char msg[256];
    const char *file; /* static string: source file that set the error */
    int line;
} vt_err;

/* Fills err (when non-NULL) and returns code. */
VT_API vt_status vt_err_set_at(vt_err *err, vt_status code, const char *file, int line,
                               const char *fmt, ...) VT_PRINTF(5, 6);
#define vt_err_set(err, code, ...) vt_err_set_at((err), (code), __FILE__, __LINE__, __VA_ARGS__)
/* Resets err to VT_OK with an empty message.  NULL-safe. */
VT_API void vt_err_clear(vt_err *err);
/* Stable lowercase name of a status ("format", "crypto", ...). */
VT_API const char *vt_status_str(vt_status code);

/* ---- overflow-checked arithmetic (HS-9) ---- */
static inline bool vt_add_ok(size_t a, size_t b, size_t *out) { return !__builtin_add_overflow(a, b, out); }
static inline bool vt_mul_ok(size_t a, size_t b, size_t *out) { return !__builtin_mul_overflow(a, b, out); }

/* ---- memory ---- */
/* Constant-time comparison: true when equal.  Time depends only on len. */
VT_API bool vt_ct_equal(const void *a, const void *b, size_t len);
/* Wipes len bytes in a way the compiler cannot elide. */
VT_API void vt_wipe(void *p, size_t len);

/* ---- growable byte buffer ---- */
/*
 * A vt_buf owns `data` (heap, free with vt_buf_free).  A zeroed struct is an
 * empty buffer.  Buffers that held secrets are wiped when freed or reset.
 */
typedef struct vt_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} vt_buf;

VT_API void vt_buf_init(vt_buf *b);
/* Wipes and frees the contents; the struct is left empty.  NULL-safe. */
VT_API void vt_buf_free(vt_buf *b);
/* Makes room for `extra` more bytes.  VT_E_LIMIT when the total passes max_len (0 = 1 GiB). */
VT_NODISCARD VT_API vt_status vt_buf_reserve(vt_buf *b, size_t extra, vt_err *err);
VT_NODISCARD VT_API vt_status vt_buf_append(vt_buf *b, const void *p, size_t len, vt_err *err);
VT_NODISCARD VT_API vt_status vt_buf_append_u16le(vt_buf *b, uint16_t v, vt_err *err);
VT_NODISCARD VT_API vt_status vt_buf_append_u32le(vt_buf *b, uint32_t v, vt_err *err);
VT_NODISCARD VT_API vt_status vt_buf_append_str(vt_buf *b, const char *s, vt_err *err);
/* Appends a NUL that is not counted in len, so data can be used as a C string. */
VT_NODISCARD VT_API vt_status vt_buf_terminate(vt_buf *b, vt_err *err);

/* ---- bounded reader over untrusted bytes (HS-10) ---- */
/*
 * Borrowed view: p points into a buffer the caller keeps alive.  The first
 * failure is sticky; readers return 0/NULL after it.  Check once at the end
 * with vt_rd_ok() or vt_rd_ok_and_empty().
 */
typedef struct vt_rd {
    const uint8_t *p;
    size_t left;
    bool failed;
} vt_rd;

VT_API void vt_rd_init(vt_rd *r, const uint8_t *p, size_t len);
VT_API const uint8_t *vt_rd_take(vt_rd *r, size_t n);
VT_API uint8_t vt_rd_u8(vt_rd *r);
VT_API uint16_t vt_rd_u16le(vt_rd *r);
VT_API uint32_t vt_rd_u32le(vt_rd *r);
VT_API uint64_t vt_rd_u64le(vt_rd *r);
VT_API uint16_t vt_rd_u16be(vt_rd *r);
VT_API uint32_t vt_rd_u32be(vt_rd *r);
/* Copies n bytes into out; on failure out is zero-filled. */
VT_API void vt_rd_copy(vt_rd *r, void *out, size_t n);
VT_API void vt_rd_skip(vt_rd *r, size_t n);
/* A child reader over the next n bytes (failed child when short). */
VT_API vt_rd vt_rd_sub(vt_rd *r, size_t n);
/* How many leading bytes of r are in set (a NUL byte never is); nothing is taken, 0 after a failure. */
VT_API size_t vt_rd_span(const vt_rd *r, const char *set);
VT_API bool vt_rd_ok(const vt_rd *r);
VT_API bool vt_rd_ok_and_empty(const vt_rd *r);

/* ---- encodings ---- */
/* The value of one hex digit (either case), or -1 for any other character. */
VT_API int vt_hex_digit(int c);
/* Lowercase hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
VT_API void vt_hex_encode(char *out, const uint8_t *in, size_t len);
/* Decodes exactly out_len bytes from a hex string of 2*out_len chars (either case). */
VT_NODISCARD VT_API vt_status vt_hex_decode(uint8_t *out, size_t out_len, const char *hex,
                                            size_t hex_len, vt_err *err);
/* Decodes a hex string of any even length (at most max bytes) into buf (appended). */
VT_NODISCARD VT_API vt_status vt_hex_decode_buf(vt_buf *out, const char *hex, size_t hex_len,
                                                size_t max, vt_err *err);
/* Standard base64 (url=false) or base64url without padding (url=true), appended to out. */
VT_NODISCARD VT_API vt_status vt_base64_encode(vt_buf *out, const uint8_t *in, size_t len,
                                               bool url, vt_err *err);
/* Decodes either alphabet, padding optional, whitespace rejected.  Appends to out. */
VT_NODISCARD VT_API vt_status vt_base64_decode(vt_buf *out, const char *in, size_t len,
                                               vt_err *err);

/* ---- time: seconds since the Unix epoch, UTC ---- */
typedef int64_t vt_time;
/* Parses RFC 3339 ("2026-04-01T00:00:00Z", offsets and fractions accepted)
 * or "@<unix seconds>" or plain digits as unix seconds. */
VT_NODISCARD VT_API vt_status vt_time_parse(vt_time *out, const char *s, vt_err *err);
/* Formats as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
VT_API void vt_time_format(char out[32], vt_time t);
/* Current wall-clock time. */
VT_API vt_time vt_time_now(void);
/* The same in milliseconds since the epoch (timestamps and time-sorted ids; never for
 * durations: use the monotonic clock below). */
VT_API int64_t vt_time_now_ms(void);
/* Days-from-civil conversion, exposed for ASN.1 time parsing and tests. */
VT_API vt_time vt_time_from_utc(int year, int mon, int day, int hour, int min, int sec);
/* Monotonic clock in nanoseconds since an arbitrary start (boot).  For durations,
 * deadlines, rate limits and idle timeouts: unlike the wall clock it never jumps when the
 * time is set or stepped by NTP, so an interval can never come out negative or huge.
 * Not a timestamp: its zero is arbitrary and differs from boot to boot. */
VT_API int64_t vt_time_mono_ns(void);
/* The same clock in milliseconds and microseconds (truncated). */
static inline int64_t vt_time_mono_ms(void) { return vt_time_mono_ns() / 1000000; }
static inline int64_t vt_time_mono_us(void) { return vt_time_mono_ns() / 1000; }

/* ---- files ---- */
/* Reads a whole regular file into out (appended).  VT_E_LIMIT above max bytes. */
VT_NODISCARD VT_API vt_status vt_file_read(vt_buf *out, const char *path, size_t max, vt_err *err);
/* Writes atomically (temp file + rename) with the given mode. */
VT_NODISCARD VT_API vt_status vt_file_write(const char *path, const void *p, size_t len,
                                            unsigned mode, vt_err *err);
/* Writes like vt_file_write, but only when nothing is at path yet: the file appears whole or not
 * at all, and one another process made meanwhile is kept (VT_OK, *made false; made may be NULL).
 * For secrets made on first use (a key or sealing root): every user reads the same one. */
VT_NODISCARD VT_API vt_status vt_file_create(bool *made, const char *path, const void *p, size_t len,
                                             unsigned mode, vt_err *err);
/* mkdir -p with the given mode for created directories. */
VT_NODISCARD VT_API vt_status vt_mkdir_p(const char *path, unsigned mode, vt_err *err);
/* Like vt_file_read, for secrets (tokens, keys): VT_E_POLICY, naming the file
 * and "chmod 600", when the group or others have any access to it or another
 * user owns it (checked on the descriptor that is read). */
VT_NODISCARD VT_API vt_status vt_file_read_private(vt_buf *out, const char *path, size_t max, vt_err *err);
/* A state directory: created 0700 (with its parents) when missing, and an
 * existing one is tightened to 0700.  VT_E_POLICY when another user owns it. */
VT_NODISCARD VT_API vt_status vt_dir_private(const char *path, vt_err *err);

/* ---- process ---- */
/* For processes that hold private keys: no core dumps (RLIMIT_CORE 0, soft and
 * hard) and not dumpable (PR_SET_DUMPABLE 0: no core, no ptrace attach or
 * /proc/PID/mem by other processes of the same user).  The library never calls
 * it by itself, since it changes the whole process; programs call it in main()
 * before they load a key (veritee does for verifier, gateway, attest and sim). */
VT_NODISCARD VT_API vt_status vt_proc_protect_secrets(vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_BASE_H */
