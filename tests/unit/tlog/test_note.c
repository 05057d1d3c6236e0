/* Signed notes and checkpoints: the example key and note of Go's
 * golang.org/x/mod/sumdb/note (also used by the C2SP signed-note ports),
 * byte-exact signing, tamper cases, limits, checkpoints. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char go_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char go_skey[] = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char go_text[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n";
static const char go_note[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n"
                              "\n"
                              "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static vt_note_verifier *go_verifier(void)
{
    vt_note_verifier *v = NULL;
    assert_int_equal(vt_note_verifier_parse(&v, go_vkey, strlen(go_vkey), NULL), VT_OK);
    return v;
}

static void test_tlog_note__go_example_verifies(void **state)
{
    vt_note_verifier *v = go_verifier();
    size_t tl = 0;

    (void)state;
    assert_string_equal(vt_note_verifier_name(v), "PeterNeumann");
    assert_int_equal(vt_note_verifier_id(v), 0xc74f20a3);
    assert_int_equal(vt_note_open(&tl, (const uint8_t *)go_note, strlen(go_note), v, NULL), VT_OK);
    assert_int_equal(tl, strlen(go_text));
    vt_note_verifier_free(v);
}

static void test_tlog_note__go_example_signs_byte_exact(void **state)
{
    vt_note_signer *s = NULL;
    vt_buf out, vk;

    (void)state;
    vt_buf_init(&out);
    vt_buf_init(&vk);
    assert_int_equal(vt_note_signer_parse(&s, go_skey, NULL), VT_OK);
    assert_int_equal(vt_note_signer_vkey(&vk, s, NULL), VT_OK);
    assert_string_equal((const char *)vk.data, go_vkey);
    assert_int_equal(vt_note_sign(&out, go_text, strlen(go_text), s, NULL), VT_OK);
    assert_int_equal(out.len, strlen(go_note));
    assert_memory_equal(out.data, go_note, out.len);
    vt_note_signer_free(s);
    vt_buf_free(&out);
    vt_buf_free(&vk);
}

static void test_tlog_note__every_flipped_byte_rejected(void **state)
{
    vt_note_verifier *v = go_verifier();
    size_t n = strlen(go_note), tl;
    char *m = malloc(n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        memcpy(m, go_note, n);
        m[i] ^= 0x01;
        assert_int_not_equal(vt_note_open(&tl, (const uint8_t *)m, n, v, NULL), VT_OK);
    }
    /* every truncation */
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(vt_note_open(&tl, (const uint8_t *)go_note, i, v, NULL), VT_OK);
    free(m);
    vt_note_verifier_free(v);
}

static void test_tlog_note__unknown_keys_ignored_known_bad_rejects(void **state)
{
    vt_note_verifier *v = go_verifier();
    vt_buf b;
    size_t tl;
    vt_err err = { 0 };
    static const char other[] = "\xe2\x80\x94 someone.example/log AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    /* same name and id as the known key, bad signature */
    static const char forged[] = "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAA=\n";
    /* same name, another id: an unknown key */
    static const char other_id[] = "\xe2\x80\x94 PeterNeumann AAAAAAZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    (void)state;
    vt_buf_init(&b);
    assert_int_equal(vt_buf_append_str(&b, go_note, NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(&b, other, NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(&b, other_id, NULL), VT_OK);
    assert_int_equal(vt_note_open(&tl, b.data, b.len, v, NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(&b, forged, NULL), VT_OK);
    assert_int_equal(vt_note_open(&tl, b.data, b.len, v, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "does not verify"));
    /* only other keys' signatures: rejected */
    b.len = 0;
    assert_int_equal(vt_buf_append_str(&b, go_text, NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(&b, "\n", NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(&b, other, NULL), VT_OK);
    assert_int_equal(vt_note_open(&tl, b.data, b.len, v, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "no signature by PeterNeumann"));
    vt_buf_free(&b);
    vt_note_verifier_free(v);
}

static void test_tlog_note__limits_and_form(void **state)
{
    vt_note_verifier *v = go_verifier(), *w = NULL;
    vt_buf b;
    size_t tl;

    (void)state;
    vt_buf_init(&b);
    /* more than VT_NOTE_SIGS_MAX signature lines */
    assert_int_equal(vt_buf_append_str(&b, go_note, NULL), VT_OK);
    for (int i = 0; i < VT_NOTE_SIGS_MAX; i++)
        assert_int_equal(vt_buf_append_str(&b, "\xe2\x80\x94 x AAAAAAAA\n", NULL), VT_OK);
    assert_int_equal(vt_note_open(&tl, b.data, b.len, v, NULL), VT_E_LIMIT);
    /* oversized */
    b.len = 0;
    assert_int_equal(vt_buf_reserve(&b, VT_NOTE_MAX + 1, NULL), VT_OK);
    memset(b.data, 'a', VT_NOTE_MAX + 1);
    b.len = VT_NOTE_MAX + 1;
    assert_int_equal(vt_note_open(&tl, b.data, b.len, v, NULL), VT_E_LIMIT);
    /* control character, invalid UTF-8, no blank line, "--" for the dash */
    static const char *const bad[] = {
        "a\tb\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        "a\xc0\xaf" "b\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        "ab\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        "ab\n\n-- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        "ab\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",
        "ab\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        "\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(vt_note_open(&tl, (const uint8_t *)bad[i], strlen(bad[i]), v, NULL), VT_E_FORMAT);
    /* verifier keys: wrong id, wrong type byte, bad name, missing parts */
    static const char *const badkeys[] = {
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+AhpC2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
    };
    for (size_t i = 0; i < sizeof(badkeys) / sizeof(badkeys[0]); i++)
        assert_int_not_equal(vt_note_verifier_parse(&w, badkeys[i], strlen(badkeys[i]), NULL), VT_OK);
    assert_null(w);
    assert_false(vt_note_name_valid(""));
    assert_false(vt_note_name_valid("a+b"));
    assert_false(vt_note_name_valid("a\xe2\x80\x83" "b")); /* U+2003 em space */
    assert_true(vt_note_name_valid("example.com/log"));
    vt_buf_free(&b);
    vt_note_verifier_free(v);
}

static void test_tlog_note__generated_key_round_trip(void **state)
{
    vt_pkey *k = NULL;
    vt_note_signer *s = NULL;
    vt_note_verifier *v = NULL;
    vt_buf vk, note;
    size_t tl;

    (void)state;
    vt_buf_init(&vk);
    vt_buf_init(&note);
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_ED25519, NULL), VT_OK);
    assert_int_equal(vt_note_signer_new(&s, "bad name", k, NULL), VT_E_ARG);
    assert_int_equal(vt_note_signer_new(&s, "log.example/a", k, NULL), VT_OK);
    assert_int_equal(vt_note_signer_vkey(&vk, s, NULL), VT_OK);
    assert_int_equal(vt_note_verifier_parse(&v, (const char *)vk.data, vk.len, NULL), VT_OK);
    assert_int_equal(vt_note_sign(&note, "no newline", 10, s, NULL), VT_E_ARG);
    assert_int_equal(vt_note_sign(&note, "x\x01y\n", 4, s, NULL), VT_E_ARG);
    assert_int_equal(vt_note_sign(&note, "hello\n", 6, s, NULL), VT_OK);
    assert_int_equal(vt_note_open(&tl, note.data, note.len, v, NULL), VT_OK);
    assert_int_equal(tl, 6);
    vt_note_verifier_free(v);
    vt_note_signer_free(s);
    vt_pkey_free(k);
    vt_buf_free(&vk);
    vt_buf_free(&note);
}

/* ---- checkpoints ---- */

static void test_tlog_checkpoint__c2sp_example_parses(void **state)
{
    static const char text[] = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    vt_checkpoint c;
    vt_buf b;

    (void)state;
    vt_buf_init(&b);
    assert_int_equal(vt_checkpoint_parse(&c, (const uint8_t *)text, strlen(text), NULL), VT_OK);
    assert_string_equal(c.origin, "example.com/behind-the-sofa");
    assert_int_equal(c.size, 20852163);
    assert_int_equal(c.root[0], 0x0a);
    assert_int_equal(vt_checkpoint_text(&b, &c, NULL), VT_OK);
    assert_int_equal(b.len, strlen(text));
    assert_memory_equal(b.data, text, b.len);
    vt_buf_free(&b);
}

static void test_tlog_checkpoint__malformed_rejected(void **state)
{
    static const char *const bad[] = {
        "",
        "origin\n",
        "origin\n5\n",
        "\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n-5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n5 \nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
        "origin\n5\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx=\n",
        "origin\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
        "origin\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next",
    };
    vt_checkpoint c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_not_equal(vt_checkpoint_parse(&c, (const uint8_t *)bad[i], strlen(bad[i]), NULL), VT_OK);
    static const char ext[] = "o\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nx\n";
    assert_int_equal(vt_checkpoint_parse(&c, (const uint8_t *)ext, strlen(ext), NULL), VT_OK);
    assert_int_equal(c.size, 0);
}

static void test_tlog_checkpoint__size_past_max_refused(void **state)
{
    static const char max[] = "o\n9223372036854775807\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    static const char past[] = "o\n9223372036854775808\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    static const char top[] = "o\n9999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    vt_checkpoint c;
    vt_buf b;
    vt_err e = { 0 };

    (void)state;
    /* 2^63 - 1, the largest tree (VT_TLOG_SIZE_MAX), parses and formats back. */
    assert_int_equal(vt_checkpoint_parse(&c, (const uint8_t *)max, strlen(max), NULL), VT_OK);
    assert_true(c.size == VT_TLOG_SIZE_MAX);
    vt_buf_init(&b);
    assert_int_equal(vt_checkpoint_text(&b, &c, NULL), VT_OK);
    assert_int_equal(b.len, strlen(max));
    assert_memory_equal(b.data, max, b.len);
    vt_buf_free(&b);
    /* 2^63 and the largest 19-digit number: refused, out left cleared. */
    assert_int_equal(vt_checkpoint_parse(&c, (const uint8_t *)past, strlen(past), &e), VT_E_LIMIT);
    assert_non_null(strstr(e.msg, "9223372036854775808"));
    assert_true(c.size == 0 && c.origin[0] == '\0');
    assert_int_equal(vt_checkpoint_parse(&c, (const uint8_t *)top, strlen(top), NULL), VT_E_LIMIT);
    /* Nor is such a checkpoint written. */
    memset(&c, 0, sizeof(c));
    memcpy(c.origin, "o", 2);
    c.size = VT_TLOG_SIZE_MAX + 1;
    vt_buf_init(&b);
    assert_int_equal(vt_checkpoint_text(&b, &c, NULL), VT_E_ARG);
    assert_int_equal(b.len, 0);
    vt_buf_free(&b);
}

static void test_tlog_checkpoint__signed_open_and_origin(void **state)
{
    vt_pkey *k = NULL;
    vt_note_signer *s = NULL;
    vt_note_verifier *v = NULL;
    vt_checkpoint c, got;
    vt_buf vk, text, note;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&vk);
    vt_buf_init(&text);
    vt_buf_init(&note);
    memset(&c, 0, sizeof(c));
    snprintf(c.origin, sizeof(c.origin), "log.example/v");
    c.size = 42;
    memset(c.root, 0xab, 32);
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_ED25519, NULL), VT_OK);
    assert_int_equal(vt_note_signer_new(&s, c.origin, k, NULL), VT_OK);
    assert_int_equal(vt_note_signer_vkey(&vk, s, NULL), VT_OK);
    assert_int_equal(vt_note_verifier_parse(&v, (const char *)vk.data, vk.len, NULL), VT_OK);
    assert_int_equal(vt_checkpoint_text(&text, &c, NULL), VT_OK);
    assert_int_equal(vt_note_sign(&note, (const char *)text.data, text.len, s, NULL), VT_OK);
    assert_int_equal(vt_checkpoint_open(&got, note.data, note.len, v, "log.example/v", NULL), VT_OK);
    assert_int_equal(got.size, 42);
    assert_memory_equal(got.root, c.root, 32);
    assert_int_equal(vt_checkpoint_open(&got, note.data, note.len, v, "log.example/other", &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "origin"));
    assert_int_equal(got.size, 0);
    note.data[note.len - 5] ^= 1;
    assert_int_not_equal(vt_checkpoint_open(&got, note.data, note.len, v, NULL, NULL), VT_OK);
    vt_note_verifier_free(v);
    vt_note_signer_free(s);
    vt_pkey_free(k);
    vt_buf_free(&vk);
    vt_buf_free(&text);
    vt_buf_free(&note);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlog_note__go_example_verifies),
        cmocka_unit_test(test_tlog_note__go_example_signs_byte_exact),
        cmocka_unit_test(test_tlog_note__every_flipped_byte_rejected),
        cmocka_unit_test(test_tlog_note__unknown_keys_ignored_known_bad_rejects),
        cmocka_unit_test(test_tlog_note__limits_and_form),
        cmocka_unit_test(test_tlog_note__generated_key_round_trip),
        cmocka_unit_test(test_tlog_checkpoint__c2sp_example_parses),
        cmocka_unit_test(test_tlog_checkpoint__malformed_rejected),
        cmocka_unit_test(test_tlog_checkpoint__size_past_max_refused),
        cmocka_unit_test(test_tlog_checkpoint__signed_open_and_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
