/* PII scanning throughput on one core: vt_audit_text (Hyperscan, the digit
 * scanner, validators, redaction) over a deterministic mixed-text corpus
 * with sprinkled PII, over plain prose, and over non-ASCII text (accented
 * prose, typographic quotes and spaces, NBSP-separated and full-width PII,
 * which takes the folding path), next to a PCRE2 JIT loop over the same
 * patterns, measured in the same run. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "bench_common.h"

#define DOC 65536 /* one request's worth of text per call */

/* Seconds of this thread's CPU time: the figures are per core even when
 * the machine is shared (wall time would count the time other processes
 * held the core). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The built-in expressions of src/lib/audit/scan.c (the digit-led ones and
 * IPv6 are parsed by hand there, with the same matches), for the PCRE2 peer. */
static const char *const patterns[] = {
    "[A-Za-z0-9._%+\\-]@[A-Za-z0-9]",
    "\\+[1-9][0-9 ().\\-/\\t\\n]{6,20}[0-9]",
    "\\(?[2-9][0-9]{2}\\)?[ .\\-/\\t\\n]?[2-9][0-9]{2}[ .\\-/\\t\\n][0-9]{4}",
    "[0-9](?:[ \\-\\t\\n./]?[0-9]){12,18}",
    "[0-9]{3}-[0-9]{2}-[0-9]{4}",
    "[0-9]{3} [0-9]{2} [0-9]{4}",
    "[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}",
    "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
    "[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:",
    "::[0-9A-Fa-f]",
    "(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}",
    "gh[pousr]_[A-Za-z0-9]{36}",
    "github_pat_[A-Za-z0-9_]{82}",
    "AIza[0-9A-Za-z_\\-]{35}",
    "xox[abposr]-[0-9A-Za-z]{8}",
    "sk-[A-Za-z0-9_\\-]{20}",
    "eyJ[A-Za-z0-9_\\-]{8}",
    "-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----",
    "-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----",
};
#define NPAT (sizeof(patterns) / sizeof(patterns[0]))

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

enum { MIXED, PROSE, UNICODE };

/* Prose, numbers, a little code and markup, and one PII item per ~2 KiB;
 * or prose only; or the mixed text's numbers and PII among accented and
 * typographic prose, with the PII often written with NBSPs or full-width. */
static char *corpus(size_t len, int kind)
{
    static const char *const plain[] = {
        "the", "of", "and", "to", "in", "is", "for", "that", "with", "as", "on", "it", "was", "we", "they", "model",
        "summary", "meeting", "please", "customer", "answer", "question", "because", "however", "would", "could",
        "report", "team", "project", "results", "quarterly", "improved", "Monday", "The", "We", "It", "A", "This",
        "language", "translation", "German", "French", "latency", "deployment", "review", "draft", "letter",
    };
    static const char *const words[] = {
        "the", "model", "request", "of", "and", "to", "in", "is", "for", "that", "with", "as", "on", "data",
        "customer", "invoice", "please", "summarize", "following", "meeting", "notes", "Monday", "Q3", "revenue",
        "increased", "by", "percent", "API", "function", "return", "value", "error", "The", "We", "It", "A",
        "server", "config", "version", "2.1.4", "order", "#4471", "total:", "$1,299.00", "at", "10:30", "on",
        "2024-05-17", "user_id", "=", "{\"key\":", "\"value\"}", "if", "(x", ">", "3)", "http://example.org/docs",
        "Kubernetes", "deployment", "latency", "p99", "tokens", "translation", "German", "French", "email",
    };
    static const char *const pii[] = {
        "jane.doe@example.com", "+1 415 555 2671", "(212) 555-0147", "4111 1111 1111 1111", "5500005555555559",
        "123-45-6789", "DE89 3704 0044 0532 0130 00", "192.168.10.24", "2001:db8::8a2e:370:7334",
        "AKIAIOSFODNN7EXAMPLE", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "sk-proj-abcdefghijklmnopqrstuvwx1234",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    };
    static const char *const uwords[] = {
        "caf\xc3\xa9", "na\xc3\xafve", "Stra\xc3\x9f" "e", "gr\xc3\xb6\xc3\x9f" "er", "\xc3\xbc" "ber",
        "r\xc3\xa9sum\xc3\xa9", "d\xc3\xa9j\xc3\xa0", "\xc3\xa0", "ni\xc3\xb1o", "\xe2\x80\x94",
        "l\xe2\x80\x99\xc3\xa9t\xc3\xa9", "\xe2\x80\x9cquoted\xe2\x80\x9d", "\xc2\xab\xc2\xa0" "bonjour\xc2\xa0\xc2\xbb",
        "prix\xe2\x80\xaf:", "12\xc2\xa0" "500\xc2\xa0\xe2\x82\xac", "\xe3\x83\x87\xe3\x83\xbc\xe3\x82\xbf",
        "\xd0\xbc\xd0\xbe\xd0\xb4\xd0\xb5\xd0\xbb\xd1\x8c", "the", "model", "request", "of", "and", "to", "in",
        "data", "customer", "invoice", "2.1.4", "$1,299.00", "10:30", "2024-05-17", "user_id", "=", "{\"key\":",
        "http://example.org/docs", "p99", "tokens",
    };
    static const char *const upii[] = {
        "jane.doe@example.com", "4111\xc2\xa0" "1111\xc2\xa0" "1111\xc2\xa0" "1111", "+33\xe2\x80\xaf" "1\xe2\x80\xaf"
        "42\xe2\x80\xaf" "68\xe2\x80\xaf" "53\xe2\x80\xaf" "00", "(212)\xc2\xa0" "555-0147",
        "\xef\xbd\x8a\xef\xbd\x81\xef\xbd\x8e\xef\xbd\x85\xef\xbc\xa0\xef\xbd\x85\xef\xbd\x98.com",
        "\xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 1111 1111 1111", "5500.0055.5555.5559", "123\xc2\xa0" "45\xc2\xa0" "6789",
        "DE89\xc2\xa0" "3704\xc2\xa0" "0044\xc2\xa0" "0532\xc2\xa0" "0130\xc2\xa0" "00", "192.168.10.24",
        "AKIAIOSFODNN7EXAMPLE", "sk-proj-abcdefghijklmnopqrstuvwx1234",
    };
    char *s = malloc(len + 256);
    size_t n = 0, until_pii = 2048;

    while (n < len) {
        const char *w = kind == PROSE     ? plain[next() % (sizeof(plain) / sizeof(plain[0]))]
                        : kind == UNICODE ? (until_pii == 0 ? upii[next() % (sizeof(upii) / sizeof(upii[0]))]
                                                            : uwords[next() % (sizeof(uwords) / sizeof(uwords[0]))])
                        : until_pii == 0  ? pii[next() % (sizeof(pii) / sizeof(pii[0]))]
                                          : words[next() % (sizeof(words) / sizeof(words[0]))];
        size_t k = strlen(w);
        until_pii = until_pii == 0 ? 1024 + next() % 2048 : (until_pii > k ? until_pii - k - 1 : 0);
        memcpy(s + n, w, k);
        n += k;
        s[n++] = next() % 12 == 0 ? '\n' : next() % 9 == 0 ? ',' : ' ';
        if (s[n - 1] == ',')
            s[n++] = ' ';
    }
    s[len] = '\0';
    return s;
}

/* vt_audit_text over text in DOC-byte documents, repeated for secs. */
static double ours(vt_audit_ctx *x, const char *text, size_t len, double secs, size_t *found)
{
    vt_audit_report *rep = malloc(sizeof(*rep));
    vt_buf out = { 0 };
    vt_err err = { 0 };
    double t0 = cpu_now(), t;
    size_t bytes = 0;

    *found = 0;
    do {
        for (size_t off = 0; off < len; off += DOC) {
            size_t n = len - off < DOC ? len - off : DOC;
            out.len = 0;
            vt_audit_report_init(rep);
            if (vt_audit_text(rep, &out, x, VT_AUDIT_REQUEST, text + off, n, &err) != VT_OK) {
                fprintf(stderr, "bench_pii: %s\n", err.msg);
                exit(1);
            }
            if (bytes == 0)
                for (size_t i = 0; i < rep->entries[0].count_len; i++)
                    *found += rep->entries[0].counts[i].count;
        }
        bytes += len;
        t = cpu_now() - t0;
    } while (t < secs);
    vt_buf_free(&out);
    free(rep);
    return (double)bytes / t / 1e6;
}

/* PCRE2 with JIT: every pattern over every document, all matches. */
static double peer(pcre2_code *const *re, pcre2_match_data *md, const char *text, size_t len, double secs)
{
    double t0 = cpu_now(), t;
    size_t bytes = 0;

    do {
        for (size_t off = 0; off < len; off += DOC) {
            size_t n = len - off < DOC ? len - off : DOC;
            for (size_t i = 0; i < NPAT; i++) {
                PCRE2_SIZE at = 0;
                while (at < n && pcre2_jit_match(re[i], (PCRE2_SPTR)text + off, n, at, 0, md, NULL) > 0) {
                    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                    at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
                }
            }
        }
        bytes += len;
        t = cpu_now() - t0;
    } while (t < secs);
    return (double)bytes / t / 1e6;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 3.0;
    size_t mb = 32, len = mb << 20, found = 0, pfound = 0, ufound = 0;
    const char *cfg = "[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\",\"phone\":\"redact\",\"card\":\"redact\","
                      "\"ssn\":\"redact\",\"iban\":\"redact\",\"ip\":\"redact\",\"secret\":\"redact\"}}]";
    char *text = corpus(len, MIXED), *prose = corpus(len, PROSE), *utext = corpus(len, UNICODE);
    vt_audit_chain *c = NULL;
    vt_audit_ctx *x = NULL;
    vt_err err = { 0 };
    pcre2_code *re[NPAT];
    pcre2_match_data *md;
    double o_mixed, o_prose, o_uni, p_mixed, p_prose, p_uni;

    if (argc > 2) { /* bench_pii SECS FILE: also write the corpus, for experiments */
        FILE *f = fopen(argv[2], "wb");
        if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0)
            return 1;
    }
    if (vt_audit_chain_new(&c, cfg, strlen(cfg), &err) != VT_OK || vt_audit_ctx_new(&x, c, &err) != VT_OK) {
        fprintf(stderr, "bench_pii: %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < NPAT; i++) {
        int e;
        PCRE2_SIZE eo;
        re[i] = pcre2_compile((PCRE2_SPTR)patterns[i], PCRE2_ZERO_TERMINATED, 0, &e, &eo, NULL);
        if (re[i] == NULL || pcre2_jit_compile(re[i], PCRE2_JIT_COMPLETE) != 0) {
            fprintf(stderr, "bench_pii: pcre2 cannot compile %s\n", patterns[i]);
            return 1;
        }
    }
    md = pcre2_match_data_create(4, NULL);
    /* interleaved, so that load from other processes hits both sides alike */
    o_mixed = ours(x, text, len, secs, &found);
    p_mixed = peer(re, md, text, len, secs);
    o_prose = ours(x, prose, len, secs / 2, &pfound);
    p_prose = peer(re, md, prose, len, secs / 2);
    o_uni = ours(x, utext, len, secs / 2, &ufound);
    p_uni = peer(re, md, utext, len, secs / 2);

    printf("corpus: %zu MiB mixed text, %zu PII findings (prose: %zu, non-ASCII: %zu), %zu-byte documents\n", mb,
           found, pfound, ufound, (size_t)DOC);
    printf("%-62s %10s %8s\n", "measurement (1 core)", "MB/s", "vs PCRE2");
    printf("%-62s %10.0f %7.0f%%\n", "PCRE2 10.42 JIT, same 19 patterns, one pass each (peer)", p_mixed, 100.0);
    printf("%-62s %10.0f %7.1fx\n", "veritee vt_audit_text (Hyperscan + digit scan + validators)", o_mixed,
           o_mixed / p_mixed);
    printf("%-62s %10.0f %7.0f%%\n", "prose only: PCRE2 peer", p_prose, 100.0);
    printf("%-62s %10.0f %7.1fx\n", "prose only: veritee vt_audit_text", o_prose, o_prose / p_prose);
    printf("%-62s %10.0f %7.0f%%\n", "non-ASCII text: PCRE2 peer (ASCII patterns, no folding)", p_uni, 100.0);
    printf("%-62s %10.0f %7.1fx\n", "non-ASCII text: veritee vt_audit_text (folds look-alikes)", o_uni, o_uni / p_uni);
    printf("goal: >= 1000 MB/s per core on the mixed corpus: %s\n", o_mixed >= 1000 ? "met" : "NOT met");

    pcre2_match_data_free(md);
    for (size_t i = 0; i < NPAT; i++)
        pcre2_code_free(re[i]);
    free(utext);
    free(prose);
    free(text);
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
    return 0;
}
