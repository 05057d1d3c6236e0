/* C2SP tlog-cosignature v1 (a known answer from an independent implementation,
 * cosig_vectors.py) and the tlog-witness decision: every status the protocol
 * prescribes, failure cases first. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosig_vectors.h"
#include "mem_tree.h"

#define ORIGIN "log.example/test"

static vt_note_signer *cosigner_from_seed(void)
{
    vt_pkey *k = NULL;
    vt_note_signer *s = NULL;

    assert_int_equal(vt_pkey_from_ed25519_raw(&k, cosig_seed, true, NULL), VT_OK);
    assert_int_equal(vt_note_cosigner_new(&s, cosig_name, k, NULL), VT_OK);
    vt_pkey_free(k);
    return s;
}

static void test_tlog_witness__cosignature_known_answer(void **state)
{
    vt_note_signer *s = cosigner_from_seed();
    vt_buf line, vkey;

    (void)state;
    vt_buf_init(&line);
    vt_buf_init(&vkey);
    assert_int_equal(vt_note_signer_vkey(&vkey, s, NULL), VT_OK);
    assert_string_equal((const char *)vkey.data, cosig_vkey);
    assert_int_equal(vt_note_cosign(&line, cosig_text, strlen(cosig_text), s, cosig_time, NULL), VT_OK);
    assert_int_equal(line.len, strlen(cosig_line));
    assert_memory_equal(line.data, cosig_line, line.len);
    vt_buf_free(&line);
    vt_buf_free(&vkey);
    vt_note_signer_free(s);
}

static void test_tlog_witness__cosignature_opens_and_tamper_fails(void **state)
{
    vt_note_verifier *v = NULL;
    char note[1024];
    size_t tl = 0;
    uint64_t t = 0;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_note_verifier_parse(&v, cosig_vkey, strlen(cosig_vkey), NULL), VT_OK);
    snprintf(note, sizeof(note), "%s\n%s", cosig_text, cosig_line);
    assert_int_equal(vt_note_open_cosigned(&tl, &t, (const uint8_t *)note, strlen(note), v, &err), VT_OK);
    assert_int_equal(tl, strlen(cosig_text));
    assert_int_equal(t, cosig_time);
    /* A plain note verifier call refuses a cosigner key rather than misreading it. */
    assert_int_equal(vt_note_open(&tl, (const uint8_t *)note, strlen(note), v, NULL), VT_E_ARG);
    note[30] ^= 1; /* the size line */
    assert_int_equal(vt_note_open_cosigned(&tl, &t, (const uint8_t *)note, strlen(note), v, &err), VT_E_CRYPTO);
    vt_note_verifier_free(v);
}

/* A log with its own signer over a mem_tree; checkpoint(size) signs the tree's prefix. */
struct logfx {
    mem_tree t;
    vt_note_signer *signer;
    vt_note_verifier *verifier;
};

static void log_new(struct logfx *l, const char *salt, unsigned n)
{
    vt_pkey *k = NULL;
    vt_buf vk;

    memset(l, 0, sizeof(*l));
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_ED25519, NULL), VT_OK);
    assert_int_equal(vt_note_signer_new(&l->signer, ORIGIN, k, NULL), VT_OK);
    vt_buf_init(&vk);
    assert_int_equal(vt_note_signer_vkey(&vk, l->signer, NULL), VT_OK);
    assert_int_equal(vt_note_verifier_parse(&l->verifier, (const char *)vk.data, strlen((const char *)vk.data), NULL),
                     VT_OK);
    for (unsigned i = 0; i < n; i++) {
        char e[64];
        snprintf(e, sizeof(e), "%s entry %u", salt, i);
        mem_append(&l->t, e, strlen(e));
    }
    vt_buf_free(&vk);
    vt_pkey_free(k);
}

static void log_free(struct logfx *l)
{
    free(l->t.h);
    vt_note_signer_free(l->signer);
    vt_note_verifier_free(l->verifier);
}

/* The add-checkpoint body from old to size of l (with the consistency proof). */
static void body(vt_buf *out, struct logfx *l, uint64_t old, uint64_t size)
{
    vt_checkpoint c;
    vt_buf text, note;
    uint8_t proof[VT_TLOG_PROOF_MAX][32];
    size_t n = 0;

    memset(&c, 0, sizeof(c));
    snprintf(c.origin, sizeof(c.origin), "%s", ORIGIN);
    c.size = size;
    assert_int_equal(vt_tlog_tree_hash(c.root, size, mem_read, &l->t, NULL), VT_OK);
    vt_buf_init(&text);
    vt_buf_init(&note);
    assert_int_equal(vt_checkpoint_text(&text, &c, NULL), VT_OK);
    assert_int_equal(vt_note_sign(&note, (const char *)text.data, text.len, l->signer, NULL), VT_OK);
    if (old != 0 && old <= size)
        assert_int_equal(vt_tlog_prove_consistency(proof, &n, old, size, mem_read, &l->t, NULL), VT_OK);
    vt_buf_init(out);
    assert_int_equal(vt_witness_req_build(out, old, (const uint8_t(*)[32])proof, n, note.data, note.len, NULL), VT_OK);
    vt_buf_free(&text);
    vt_buf_free(&note);
}

static int check(vt_witness_state *st, const vt_buf *b, const vt_note_verifier *log)
{
    vt_witness_req r;
    size_t tl = 0;

    assert_int_equal(vt_witness_req_parse(&r, b->data, b->len, NULL), VT_OK);
    return vt_witness_check(st, &tl, &r, log, NULL);
}

static void test_tlog_witness__decisions(void **state)
{
    struct logfx l, fork, other;
    vt_witness_state st = { 0 };
    vt_buf b;

    (void)state;
    log_new(&l, "real", 40);
    log_new(&fork, "fork", 40);
    log_new(&other, "real", 40); /* same entries, another log key */

    body(&b, &l, 5, 9); /* never cosigned: the witness's size is 0 */
    assert_int_equal(check(&st, &b, l.verifier), 409);
    vt_buf_free(&b);
    body(&b, &other, 0, 9); /* not signed by the key the witness trusts */
    assert_int_equal(check(&st, &b, l.verifier), 403);
    vt_buf_free(&b);
    assert_false(st.known);

    body(&b, &l, 0, 9);
    assert_int_equal(check(&st, &b, l.verifier), 200);
    assert_true(st.known);
    assert_int_equal(st.size, 9);
    assert_int_equal(check(&st, &b, l.verifier), 409); /* old 0 is stale now */
    vt_buf_free(&b);

    body(&b, &l, 9, 30);
    b.data[7] ^= 1; /* inside the first proof line's base64: the proof no longer holds */
    assert_int_equal(check(&st, &b, l.verifier), 422);
    vt_buf_free(&b);
    body(&b, &fork, 9, 30); /* a fork: consistent with itself, not with what the witness saw */
    assert_int_equal(check(&st, &b, fork.verifier), 422);
    assert_int_equal(check(&st, &b, l.verifier), 403); /* (and not signed by the trusted key) */
    vt_buf_free(&b);
    assert_int_equal(st.size, 9);

    body(&b, &l, 9, 30);
    assert_int_equal(check(&st, &b, l.verifier), 200);
    assert_int_equal(st.size, 30);
    assert_int_equal(check(&st, &b, l.verifier), 409);
    vt_buf_free(&b);
    body(&b, &l, 30, 30); /* the same checkpoint again is fine */
    assert_int_equal(check(&st, &b, l.verifier), 200);
    vt_buf_free(&b);
    body(&b, &l, 30, 20); /* old size above the checkpoint's */
    assert_int_equal(check(&st, &b, l.verifier), 400);
    vt_buf_free(&b);

    log_free(&l);
    log_free(&fork);
    log_free(&other);
}

static void test_tlog_witness__fork_at_same_size_is_409(void **state)
{
    struct logfx l, fork;
    vt_witness_state st = { 0 };
    vt_buf b;

    (void)state;
    log_new(&l, "real", 12);
    log_new(&fork, "fork", 12);
    /* The fork is signed by the same key: a log that equivocates. */
    vt_note_signer_free(fork.signer);
    fork.signer = l.signer;
    body(&b, &l, 0, 12);
    assert_int_equal(check(&st, &b, l.verifier), 200);
    vt_buf_free(&b);
    body(&b, &fork, 12, 12);
    assert_int_equal(check(&st, &b, l.verifier), 409);
    vt_buf_free(&b);
    fork.signer = NULL;
    log_free(&l);
    log_free(&fork);
}

static void test_tlog_witness__unknown_origin_is_404(void **state)
{
    struct logfx l;
    vt_witness_state st = { 0 };
    vt_note_verifier *v = NULL;
    vt_note_signer *s = NULL;
    vt_pkey *k = NULL;
    vt_witness_req r;
    size_t tl;
    vt_buf b, vk;

    (void)state;
    log_new(&l, "real", 3);
    body(&b, &l, 0, 3);
    /* The witness knows one log: another origin's key. */
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_ED25519, NULL), VT_OK);
    assert_int_equal(vt_note_signer_new(&s, "other.example/log", k, NULL), VT_OK);
    vt_buf_init(&vk);
    assert_int_equal(vt_note_signer_vkey(&vk, s, NULL), VT_OK);
    assert_int_equal(vt_note_verifier_parse(&v, (const char *)vk.data, strlen((const char *)vk.data), NULL), VT_OK);
    assert_int_equal(vt_witness_req_parse(&r, b.data, b.len, NULL), VT_OK);
    assert_int_equal(vt_witness_check(&st, &tl, &r, v, NULL), 404);
    assert_false(st.known);
    vt_buf_free(&vk);
    vt_buf_free(&b);
    vt_note_signer_free(s);
    vt_pkey_free(k);
    vt_note_verifier_free(v);
    log_free(&l);
}

static void test_tlog_witness__malformed_requests(void **state)
{
    static const char *const bad[] = {
        "",
        "old 5\n",                        /* no blank line */
        "old 05\n\nx\n",                  /* leading zero */
        "old -1\n\nx\n",
        "old 9223372036854775808\n\nx\n", /* above 2^63 - 1 */
        "new 5\n\nx\n",
        "old 5\nnot base64!\n\nx\n",
        "old 5\nAAAA\n\nx\n",             /* base64, but not 32 bytes */
        "old 5\n\n",                      /* nothing after the blank line */
    };
    vt_witness_req r;
    vt_buf b;
    vt_err err = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_not_equal(vt_witness_req_parse(&r, (const uint8_t *)bad[i], strlen(bad[i]), &err), VT_OK);
    /* 64 proof lines: one more than the protocol allows. */
    vt_buf_init(&b);
    assert_int_equal(vt_buf_append_str(&b, "old 5\n", NULL), VT_OK);
    for (int i = 0; i < 64; i++)
        assert_int_equal(vt_buf_append_str(&b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(&b, "\nx\n", NULL), VT_OK);
    assert_int_equal(vt_witness_req_parse(&r, b.data, b.len, &err), VT_E_LIMIT);
    vt_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlog_witness__cosignature_known_answer),
        cmocka_unit_test(test_tlog_witness__cosignature_opens_and_tamper_fails),
        cmocka_unit_test(test_tlog_witness__decisions),
        cmocka_unit_test(test_tlog_witness__fork_at_same_size_is_409),
        cmocka_unit_test(test_tlog_witness__unknown_origin_is_404),
        cmocka_unit_test(test_tlog_witness__malformed_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
