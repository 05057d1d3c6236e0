/* PII detection: every built-in type found and redacted, near misses left
 * alone (checksums, ranges, edges), overlaps, and the streaming scanner
 * giving the same output as a whole-text scan for every split. */
#include "audit_util.h"

typedef struct sample {
    const char *pii;
    const char *placeholder;
} sample;

static const sample positives[] = {
    { "alice.smith+tag@example.co.uk", "[EMAIL_1]" },
    { "bob@mail.example.com", "[EMAIL_1]" },
    { "+1 415 555 2671", "[PHONE_1]" },
    { "(415) 555-2671", "[PHONE_1]" },
    { "415-555-2671", "[PHONE_1]" },
    { "+44 20 7946 0958", "[PHONE_1]" },
    { "4111 1111 1111 1111", "[CARD_1]" },
    { "4111-1111-1111-1111", "[CARD_1]" },
    { "5500005555555559", "[CARD_1]" },
    { "378282246310005", "[CARD_1]" },
    { "123-45-6789", "[SSN_1]" },
    { "DE89 3704 0044 0532 0130 00", "[IBAN_1]" },
    { "GB82WEST12345698765432", "[IBAN_1]" },
    { "192.168.1.10", "[IP_1]" },
    { "2001:db8::8a2e:370:7334", "[IP_1]" },
    { "fe80::1ff:fe23:4567:890a", "[IP_1]" },
    { "::ffff:192.0.2.128", "[IP_1]" },
    { "AKIAIOSFODNN7EXAMPLE", "[SECRET_1]" },
    { "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[SECRET_1]" },
    { "xoxb-1234567890-abcdefghijKLMN", "[SECRET_1]" },
    { "sk-proj-abcdefghijklmnopqrstuvwx1234", "[SECRET_1]" },
    { "AIzaSyA1234567890abcdefghijklmnopqrstuv", "[SECRET_1]" },
    { "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk", "[SECRET_1]" },
    { "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
      "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END RSA PRIVATE KEY-----",
      "[SECRET_1]" },
    { "EMP-123456", "[EMPLOYEE_ID_1]" },
    /* separators of pasted text and Unicode look-alikes (U+00A0, U+2009,
     * full-width digits, '＠' and '．') */
    { "4111\xc2\xa0" "1111\xc2\xa0" "1111\xc2\xa0" "1111", "[CARD_1]" },
    { "4111.1111.1111.1111", "[CARD_1]" },
    { "+44\xe2\x80\x89" "20\xe2\x80\x89" "7946\xe2\x80\x89" "0958", "[PHONE_1]" },
    { "415/555/2671", "[PHONE_1]" },
    { "jane\xef\xbc\xa0" "example\xef\xbc\x8e" "com", "[EMAIL_1]" },
    { "４１１１ １１１１ １１１１ １１１１", "[CARD_1]" },
    { "１９２．１６８．１．１０", "[IP_1]" },
};

static const char *const negatives[] = {
    "4111 1111 1111 1112",          /* Luhn fails */
    "1234567890123",                /* Luhn fails */
    "DE89 3704 0044 0532 0130 01",  /* mod-97 fails */
    "GB82WEST12345698765431",       /* mod-97 fails */
    "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", /* SSN area/group/serial */
    "256.1.1.1", "1.2.3.4.5", "01.2.3.4", "10.0.0.300", /* IPv4 ranges and edges */
    "12:30:45", "00:1a:2b:3c:4d:5e", "std::vector", "a::b",   /* not IPv6 */
    "user@localhost", "a@b", "@example.com", "x@example.c0m",   /* not e-mail */
    "call 12345", "version 1.2.3", "+12 34",                     /* not phones */
    "AKIA123", "AKIAIOSFODNN7EXAMPLEX", "task-abcdefghijklmnopqrstuvwxyz", "eyJhbGciOiJIUzI1NiJ9", /* not secrets */
    "EMP-12345", "-----BEGIN PUBLIC KEY-----",
    /* dates, versions, decimals and grouped numbers with the new separators */
    "2024/01/15", "01/15/2024", "2024.01.15", "15.01.2024", "3.14159265", "1234.5678",
    "4.111.111.111.111.111",        /* Luhn-valid digits with thousands separators */
    "4111.1111/1111.1111",          /* Luhn-valid digits, two different separators */
    "411.111.111.111.1111",         /* Luhn-valid digits, first group not 4 */
    "4111/1111/1111/1112", "1234\t5678\t9012\t3456", "1234\n5678\n9012\n3456", /* Luhn fails */
    "１．２．３．４．５", "２５６．１．１．１", "１０．０．０．３００", /* full-width IPv4 near misses */
    "ｕｓｅｒ＠ｌｏｃａｌｈｏｓｔ", "４１１１ １１１１ １１１１ １１１２", /* full-width near misses */
    "٤١١١ ١١١١ ١١١١ ١١١١",         /* Arabic-Indic digits: not folded (docs/auditors.md) */
    "4111\xa0" "1111\xa0" "1111\xa0" "1111",     /* a lone continuation byte is no space */
    "jane\xf0\x8f\xbc\xa0" "example.com",     /* an overlong '＠' is not '＠' */
    "jane\xef\xbc" "example.com",             /* a truncated '＠' */
};

static void test_audit_pii__every_type_is_redacted(void **state)
{
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
        char in[1024], want[256];
        char *got;
        snprintf(in, sizeof(in), "before %s after", positives[i].pii);
        snprintf(want, sizeof(want), "before %s after", positives[i].placeholder);
        got = scan_text(x, in, NULL);
        if (strcmp(got, want) != 0)
            fail_msg("'%s': got '%s', want '%s'", positives[i].pii, got, want);
        free(got);
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

static void test_audit_pii__near_misses_are_left_alone(void **state)
{
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (size_t i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++) {
        char in[256];
        char *got;
        vt_audit_report *rep = calloc(1, sizeof(*rep));
        vt_audit_report_init(rep);
        snprintf(in, sizeof(in), "before %s after", negatives[i]);
        got = scan_text(x, in, rep);
        if (strcmp(got, in) != 0)
            fail_msg("'%s' changed to '%s'", negatives[i], got);
        assert_int_equal(rep->entry_len, 1);
        assert_int_equal(rep->entries[0].count_len, 0);
        assert_int_equal(rep->verdict, VT_AUDIT_ALLOW);
        free(got);
        free(rep);
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

static void test_audit_pii__numbering_counts_and_report(void **state)
{
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    char *got;

    (void)state;
    vt_audit_report_init(rep);
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    got = scan_text(x, "a@example.com, b@example.org; card 4111111111111111 and 10.0.0.1", rep);
    assert_string_equal(got, "[EMAIL_1], [EMAIL_2]; card [CARD_1] and [IP_1]");
    assert_int_equal(rep->verdict, VT_AUDIT_REDACT);
    assert_int_equal(rep->entries[0].count_len, 3);
    assert_string_equal(rep->entries[0].counts[0].type, "email");
    assert_int_equal(rep->entries[0].counts[0].count, 2);
    free(got);
    free(rep);
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* Default actions: ip annotates (kept), secret blocks (and is not released). */
static void test_audit_pii__annotate_and_block(void **state)
{
    vt_audit_chain *c = chain_of("[{\"name\":\"pii\"}]");
    vt_audit_ctx *x = NULL;
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    char *got;

    (void)state;
    vt_audit_report_init(rep);
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    got = scan_text(x, "host 10.1.2.3", rep);
    assert_string_equal(got, "host 10.1.2.3");
    assert_int_equal(rep->verdict, VT_AUDIT_ANNOTATE);
    assert_string_equal(rep->entries[0].counts[0].type, "ip");
    free(got);
    vt_audit_report_init(rep);
    got = scan_text(x, "key AKIAIOSFODNN7EXAMPLE", rep);
    assert_null(strstr(got, "AKIA"));
    assert_int_equal(rep->verdict, VT_AUDIT_BLOCK);
    assert_non_null(strstr(vt_audit_report_block_reason(rep), "secret x1"));
    assert_null(strstr(vt_audit_report_block_reason(rep), "AKIA"));
    free(got);
    free(rep);
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* A card preceded by another short number, and overlapping detections of
 * different types merging into one placeholder of the stronger action. */
static void test_audit_pii__overlaps(void **state)
{
    vt_audit_chain *c = chain_of("[{\"name\":\"pii\",\"actions\":{\"ip\":\"annotate\",\"card\":\"redact\"}}]");
    vt_audit_ctx *x = NULL;
    char *got;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    got = scan_text(x, "ref 12 4111 1111 1111 1111 ok", NULL);
    assert_string_equal(got, "ref 12 [CARD_1] ok");
    free(got);
    got = scan_text(x, "a@b.example.com@c.example.org", NULL);
    assert_null(strstr(got, "example"));
    free(got);
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* A long token is swallowed entirely even past the longest match. */
static void test_audit_pii__long_token_swallowed(void **state)
{
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;
    char in[1200];
    char *got;
    size_t k;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    k = (size_t)snprintf(in, sizeof(in), "tok sk-");
    for (size_t i = 0; i < 700; i++)
        in[k++] = (char)('a' + i % 26);
    snprintf(in + k, sizeof(in) - k, " end");
    got = scan_text(x, in, NULL);
    assert_string_equal(got, "tok [SECRET_1] end");
    free(got);
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

static char *padded(const char *pii)
{
    static const char filler[] = "The quick brown fox jumps over the lazy dog; 42 is an answer. ";
    size_t n = 700 + strlen(pii) + 10;
    char *s = malloc(n), *w = s;
    for (size_t i = 0; i < 330; i++)
        *w++ = filler[i % (sizeof(filler) - 1)];
    w += snprintf(w, n - 330, " %s ", pii);
    for (size_t i = 0; i < 330; i++)
        *w++ = filler[(i + 7) % (sizeof(filler) - 1)];
    *w = '\0';
    return s;
}

/* Streaming: each sample inside 660 bytes of text, cut once at every
 * position, then fed one byte at a time: the released text always equals
 * the whole-text result, so no split lets a pattern through. */
static void test_audit_pii__stream_split_at_every_position(void **state)
{
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
        char *text = padded(positives[i].pii), *want = scan_text(x, text, NULL), *got;
        size_t n = strlen(text), *cuts = malloc(n * sizeof(size_t));
        assert_non_null(strstr(want, positives[i].placeholder));
        for (size_t at = 0; at <= n; at++) {
            got = stream_text(x, text, &at, 1, NULL);
            if (strcmp(got, want) != 0)
                fail_msg("'%s' cut at %zu: got\n%s\nwant\n%s", positives[i].pii, at, got, want);
            free(got);
        }
        for (size_t k = 0; k < n; k++)
            cuts[k] = k;
        got = stream_text(x, text, cuts, n, NULL);
        if (strcmp(got, want) != 0)
            fail_msg("'%s' byte by byte: got\n%s\nwant\n%s", positives[i].pii, got, want);
        free(got);
        free(cuts);
        free(want);
        free(text);
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* The stream holds back at most VT_AUDIT_HOLDBACK + 1 bytes. */
static void test_audit_pii__stream_holdback_is_bounded(void **state)
{
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;
    vt_audit_stream *s = NULL;
    vt_buf out = { 0 };
    size_t fed = 0;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    assert_int_equal(vt_audit_stream_new(&s, x, NULL), VT_OK);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(vt_audit_stream_feed(s, "plain words ", 12, &out, NULL), VT_OK);
        fed += 12;
        assert_true(fed - out.len <= VT_AUDIT_HOLDBACK + 1);
    }
    assert_int_equal(vt_audit_stream_finish(s, &out, NULL, NULL), VT_OK);
    assert_int_equal(out.len, fed);
    assert_false(vt_audit_stream_blocked(s));
    assert_int_equal(vt_audit_stream_feed(s, "x", 1, &out, NULL), VT_E_ARG);
    vt_audit_stream_free(s);
    vt_buf_free(&out);
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* A private-key block whose END line (its words may be long) ends exactly where a delta ends is
 * released whole, to the end of the window: the next scan still counts the policy's hits from
 * where this one stopped (the offset wrapped below zero, and a blocked term in the next delta
 * was released without blocking the stream). */
static void test_audit_pii__stream_policy_counted_after_key_block_at_window_end(void **state)
{
    vt_audit_chain *c = chain_of("[{\"name\":\"pii\",\"actions\":{\"secret\":\"redact\"}},"
                                 "{\"name\":\"policy\",\"blocked_terms\":[\"Project Falcon\"]}]");
    vt_audit_ctx *x = NULL;
    char word[301], d1[400], d2[400];

    (void)state;
    memset(word, 'A', 300);
    word[300] = '\0';
    snprintf(d1, sizeof(d1), "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END %s PRIVATE KEY-----", word);
    snprintf(d2, sizeof(d2), " then Project Falcon %s", word);
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (int with_key = 0; with_key < 2; with_key++) {
        vt_audit_stream *s = NULL;
        vt_buf out = { 0 };

        assert_int_equal(vt_audit_stream_new(&s, x, NULL), VT_OK);
        if (with_key)
            assert_int_equal(vt_audit_stream_feed(s, d1, strlen(d1), &out, NULL), VT_OK);
        else
            assert_int_equal(vt_audit_stream_feed(s, word, strlen(word), &out, NULL), VT_OK);
        assert_int_equal(vt_audit_stream_feed(s, d2, strlen(d2), &out, NULL), VT_OK);
        assert_int_equal(vt_audit_stream_finish(s, &out, NULL, NULL), VT_OK);
        if (!vt_audit_stream_blocked(s))
            fail_msg("%s: the blocked term passed", with_key ? "after a key block" : "alone");
        vt_audit_stream_free(s);
        vt_buf_free(&out);
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* Each sample at every offset from the start of the text (0..140: across
 * the scanner's 64-byte windows), and at or near the end: the same single
 * placeholder, nothing else changed. */
static void test_audit_pii__every_offset_and_text_edge(void **state)
{
    static const char filler[] = "xy zw ";
    static const size_t tails[] = { 0, 1, 6, 63, 64, 65 };
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
        for (size_t off = 0; off <= 140; off++) {
            for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
                char in[1024], want[512], pre[160], post[80];
                char *got;
                for (size_t k = 0; k < off; k++)
                    pre[k] = filler[k % (sizeof(filler) - 1)];
                if (off > 0)
                    pre[off - 1] = ' ';
                pre[off] = '\0';
                for (size_t k = 0; k < tails[t]; k++)
                    post[k] = filler[(k + 2) % (sizeof(filler) - 1)];
                post[tails[t]] = '\0';
                snprintf(in, sizeof(in), "%s%s%s", pre, positives[i].pii, post);
                snprintf(want, sizeof(want), "%s%s%s", pre, positives[i].placeholder, post);
                got = scan_text(x, in, NULL);
                if (strcmp(got, want) != 0)
                    fail_msg("'%s' at %zu, tail %zu: got '%s'", positives[i].pii, off, tails[t], got);
                free(got);
            }
        }
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* Edges of the digit-led types, pinned: how each start is chosen (the
 * leftmost start of the built-in regex for each end), what may follow. */
static void test_audit_pii__digit_led_edges(void **state)
{
    static const sample cases[] = {
        { "4111111111111111:x", "[CARD_1]:x" },             /* a colon after a card */
        { "(415)555-2671", "[PHONE_1]" },                    /* no gap after ')' */
        { "415.555.2671", "[PHONE_1]" },
        { "415) 555-2671", "415) 555-2671" },                /* ')' without '(' */
        { "415-555-2671-9", "415-555-2671-9" },              /* a longer number */
        { "+1 415 555 2671 22", "[PHONE_1]" },               /* longest valid end */
        { "123 45 6789", "[SSN_1]" },
        { "123-45-6789-1", "123-45-6789-1" },
        { "10.0.0.1:8080", "[IP_1]:8080" },
        { "1.10.0.0.1", "1.10.0.0.1" },
        { "ab.1.2.3.4", "ab.1.2.3.4" },
        { "GB82WEST12345698765432.", "[IBAN_1]." },
        /* the earlier start "XX00" reaches the same end, so it is the one
         * validated (and fails); the same as the regex always did */
        { "XX00 DE89 3704 0044 0532 0130 00", "XX00 DE89 3704 0044 0532 0130 00" },
        { "fe80::1ff:fe23:4567:890a:1:2:3:4:5:6:7:8:9:a:b", "fe80::1ff:fe23:4567:890a:1:2:3:4:5:6:7:8:9:a:b" },
        { "x ::1 y", "x ::1 y" },                            /* fewer than 4 hex digits */
        { "-----BEGIN A B C PRIVATE KEY-----x-----END EC PRIVATE KEY-----", "[SECRET_1]" },
        /* 19 single digits back from the end, then retried group by group
         * until the Luhn sum holds */
        { "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0", "1 2 [CARD_1]" },
        /* tab, newline, '.' and '/' used to end a card's run: a number glued
         * to a letter before them still leaves the card after them found */
        { "Q3\n4111 1111 1111 1111", "Q3\n[CARD_1]" },
        { "v2.4111 1111 1111 1111", "v2.[CARD_1]" },
        { "x9/4111.1111.1111.1111", "x9/[CARD_1]" },
        /* a '+' number complete before a line break does not take in the
         * next line's number; one that is not yet complete does */
        { "+1 415 555 2671\n10:30", "[PHONE_1]\n10:30" },
        { "+1 415 555 2671\t22", "[PHONE_1]\t22" },
        { "+44 20\n7946 0958\n12", "[PHONE_1]\n12" },
        { "+49 89/1234567", "[PHONE_1]" },
        /* separators in a NANP number */
        { "415\t555\t2671", "[PHONE_1]" },
        { "(415)\n555-2671", "[PHONE_1]" },
    };
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char in[256], want[256];
        char *got;
        snprintf(in, sizeof(in), "see %s ok", cases[i].pii);
        snprintf(want, sizeof(want), "see %s ok", cases[i].placeholder);
        got = scan_text(x, in, NULL);
        if (strcmp(got, want) != 0)
            fail_msg("'%s': got '%s', want '%s'", cases[i].pii, got, want);
        free(got);
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* Card and phone numbers separated by each Unicode space separator (Zs),
 * the dash look-alikes, a tab, a newline, '.' or '/': found, and exactly
 * the original bytes of the number replaced. */
static void test_audit_pii__separators_in_cards_and_phones(void **state)
{
    static const char *const seps[] = {
        "\xc2\xa0", "\xe2\x80\xaf", "\xe2\x80\x89", "\xe3\x80\x80", "\xe2\x81\x9f", "\xe1\x9a\x80", "\t", "\n", ".",
        "/", " ", "-", "\xe2\x80\x93" /* en dash */, "\xe2\x88\x92" /* minus */, "\xef\xbc\x8d" /* full-width - */,
        "\xe2\x80\x80", "\xe2\x80\x81", "\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85",
        "\xe2\x80\x86", "\xe2\x80\x87", "\xe2\x80\x88", "\xe2\x80\x8a", /* U+2000..U+200A */
    };
    static const sample forms[] = {
        { "4111|1111|1111|1111", "[CARD_1]" },  /* Visa, 4-4-4-4 */
        { "3782|822463|10005", "[CARD_1]" },    /* Amex, 4-6-5 */
        { "6011|1111|1111|1117", "[CARD_1]" },  /* Discover */
        { "415|555|2671", "[PHONE_1]" },        /* NANP */
        { "(415)|555|2671", "[PHONE_1]" },
        { "+44|20|7946|0958", "[PHONE_1]" },    /* international */
        { "+1|415|555|2671", "[PHONE_1]" },
    };
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
            char num[128] = "", in[256], want[256];
            char *got;
            for (const char *p = forms[f].pii; *p != '\0'; p++) {
                size_t k = strlen(num);
                if (*p == '|')
                    snprintf(num + k, sizeof(num) - k, "%s", seps[i]);
                else
                    snprintf(num + k, sizeof(num) - k, "%c", *p);
            }
            snprintf(in, sizeof(in), "call \xc3\xa9 %s \xc3\xa9 now", num);
            snprintf(want, sizeof(want), "call \xc3\xa9 %s \xc3\xa9 now", forms[f].placeholder);
            got = scan_text(x, in, NULL);
            if (strcmp(got, want) != 0)
                fail_msg("separator %zu in '%s': got '%s', want '%s'", i, forms[f].pii, got, want);
            free(got);
        }
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* Full-width, small and mathematical forms of the characters the
 * detectors key on fold to ASCII: e-mail addresses, cards, phones, IPs,
 * SSNs, IBANs and keys written with them are found whole. */
static void test_audit_pii__lookalikes_are_folded(void **state)
{
    static const sample cases[] = {
        { "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "[EMAIL_1]" },
        { "jane＠example．com", "[EMAIL_1]" },
        { "jane\xef\xb9\xab" "example\xef\xb9\x92" "com", "[EMAIL_1]" }, /* small forms U+FE6B, U+FE52 */
        { "jane@example\xe3\x80\x82" "com", "[EMAIL_1]" },                /* U+3002 ideographic full stop */
        { "jane@example\xe2\x80\xa4" "com", "[EMAIL_1]" },                /* U+2024 one dot leader */
        { "ｊａｎｅ.ｄｏｅ@ｅｘａｍｐｌｅ.ｃｏ.ｕｋ", "[EMAIL_1]" },
        { "４１１１－１１１１－１１１１－１１１１", "[CARD_1]" },
        { "４１１１１１１１１１１１１１１１", "[CARD_1]" },
        { "\xf0\x9d\x9f\x92\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f " /* mathematical bold digits */
          "\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f 1111 1111",
          "[CARD_1]" },
        { "＋４４ ２０ ７９４６ ０９５８", "[PHONE_1]" },
        { "（４１５）５５５－２６７１", "[PHONE_1]" },
        { "４１５．５５５．２６７１", "[PHONE_1]" },
        { "１２３－４５－６７８９", "[SSN_1]" },
        { "123\xc2\xa0" "45\xc2\xa0" "6789", "[SSN_1]" },
        { "DE89\xc2\xa0" "3704\xc2\xa0" "0044\xc2\xa0" "0532\xc2\xa0" "0130\xc2\xa0" "00", "[IBAN_1]" },
        { "２００１：ｄｂ８：：８ａ２ｅ：３７０：７３３４", "[IP_1]" },
        { "ＡＫＩＡＩＯＳＦＯＤＮＮ７ＥＸＡＭＰＬＥ", "[SECRET_1]" },
        { "ＥＭＰ－１２３４５６", "[EMPLOYEE_ID_1]" }, /* custom patterns see the folded text too */
    };
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char in[512], want[256];
        char *got;
        snprintf(in, sizeof(in), "データ：%s。 ok", cases[i].pii);
        snprintf(want, sizeof(want), "データ：%s。 ok", cases[i].placeholder);
        got = scan_text(x, in, NULL);
        if (strcmp(got, want) != 0)
            fail_msg("'%s': got '%s', want '%s'", cases[i].pii, got, want);
        free(got);
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* After a prefix of folded and unfolded multi-byte characters of every
 * length 0..80 (so the folded text is shorter than the original by a
 * different amount each time), each sample is still replaced exactly:
 * offsets map back to the original bytes. */
static void test_audit_pii__lookalike_offsets_map_back(void **state)
{
    static const char *const units[] = {
        "x", " ", "\xc3\xa9", "\xc2\xa0", "\xef\xbc\xa0", "\xe2\x80\x94", "\t", "\xef\xbc\x8e", "\xe3\x80\x80",
        "\xf0\x9f\x99\x82", "\xef\xbd\x81",
    };
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;
    const size_t nu = sizeof(units) / sizeof(units[0]);
    const size_t np = sizeof(positives) / sizeof(positives[0]);

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (size_t si = np - 7; si < np; si++) { /* the look-alike samples */
        const sample *sm = &positives[si];
        for (size_t k = 0; k <= 80; k++) {
            char pre[512] = "", post[512] = "", in[1400], want[1400];
            char *got;
            for (size_t j = 0; j < k; j++)
                strcat(pre, units[(j + si) % nu]);
            strcat(pre, " ");
            strcat(post, " ");
            for (size_t j = 0; j < k % 17; j++)
                strcat(post, units[(j * 3 + si) % nu]);
            snprintf(in, sizeof(in), "%s%s%s", pre, sm->pii, post);
            snprintf(want, sizeof(want), "%s%s%s", pre, sm->placeholder, post);
            got = scan_text(x, in, NULL);
            if (strcmp(got, want) != 0)
                fail_msg("'%s' after %zu units: got '%s'", sm->pii, k, got);
            free(got);
        }
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

/* Ill-formed and mixed UTF-8 (truncated, overlong and stray bytes next to
 * folded characters, digits and separators, cut anywhere): never an
 * error, the text outside placeholders is kept byte for byte, and a stream
 * cut at every 37th byte releases exactly the whole-text result. */
static void test_audit_pii__ill_formed_utf8(void **state)
{
    static const char *const bits[] = {
        "4", "1", "5", "0", " ", ".", "-", "/", "\t", "\n", "@", "a", "x", "(", ")", "+", ":",
        "\xc2\xa0", "\xc2", "\xa0", "\xe2\x80", "\xe2\x80\xaf", "\xef\xbc\xa0", "\xef\xbc\x94", "\xef\xbc",
        "\xf0\x9d\x9f\x92", "\xf0\x9d\x9f", "\xf0\x8f\xbc\xa0", "\xed\xa0\x80", "\xff", "\xc3\xa9", "\x80",
        "4111 1111 1111 1111", "415 555 2671", "bob@example.com", "１９２．１６８．１．１０",
    };
    vt_audit_chain *c = chain_of(CFG_REDACT_ALL);
    vt_audit_ctx *x = NULL;
    uint64_t r = 0x2545f4914f6cdd1dull;

    (void)state;
    assert_int_equal(vt_audit_ctx_new(&x, c, NULL), VT_OK);
    for (int round = 0; round < 400; round++) {
        char in[2048] = "";
        size_t cuts[64], nc = 0, len;
        char *whole, *streamed;
        int parts = 1 + round % 80;
        for (int j = 0; j < parts; j++) {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            strcat(in, bits[r % (sizeof(bits) / sizeof(bits[0]))]);
        }
        len = strlen(in);
        for (size_t at = 37; at < len && nc < 64; at += 37)
            cuts[nc++] = at;
        whole = scan_text(x, in, NULL);
        streamed = stream_text(x, in, cuts, nc, NULL);
        if (strcmp(whole, streamed) != 0)
            fail_msg("round %d: whole '%s' but streamed '%s'", round, whole, streamed);
        /* what is not a placeholder ('[' is in no input) is the input's
         * own bytes, in order */
        for (const char *p = whole, *q = in; *p != '\0';) {
            if (*p == '[') {
                p = strchr(p, ']');
                assert_non_null(p);
                p++;
                continue;
            }
            q = strchr(q, *p);
            if (q == NULL)
                fail_msg("round %d: '%s' holds a byte not in '%s'", round, whole, in);
            p++;
            q++;
        }
        free(whole);
        free(streamed);
    }
    vt_audit_ctx_free(x);
    vt_audit_chain_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_pii__every_type_is_redacted),
        cmocka_unit_test(test_audit_pii__near_misses_are_left_alone),
        cmocka_unit_test(test_audit_pii__numbering_counts_and_report),
        cmocka_unit_test(test_audit_pii__annotate_and_block),
        cmocka_unit_test(test_audit_pii__overlaps),
        cmocka_unit_test(test_audit_pii__long_token_swallowed),
        cmocka_unit_test(test_audit_pii__stream_split_at_every_position),
        cmocka_unit_test(test_audit_pii__stream_holdback_is_bounded),
        cmocka_unit_test(test_audit_pii__stream_policy_counted_after_key_block_at_window_end),
        cmocka_unit_test(test_audit_pii__every_offset_and_text_edge),
        cmocka_unit_test(test_audit_pii__digit_led_edges),
        cmocka_unit_test(test_audit_pii__separators_in_cards_and_phones),
        cmocka_unit_test(test_audit_pii__lookalikes_are_folded),
        cmocka_unit_test(test_audit_pii__lookalike_offsets_map_back),
        cmocka_unit_test(test_audit_pii__ill_formed_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
