/* gateway.json: defaults, strict keys, ranges, listen and upstream parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "gateway/config.h"

static vt_status parse(vt_gw_config *c, const char *json)
{
    vt_err err;
    vt_gw_config_defaults(c);
    return vt_gw_config_parse(c, json, strlen(json), &err);
}

static void test_gateway_config__full(void **state)
{
    vt_gw_config c;
    vt_err err;
    char *js = NULL;
    (void)state;
    assert_int_equal(parse(&c, "{\"listen\":\"0.0.0.0:9000\",\"upstream\":\"http://model:8000/base/\","
                               "\"threads\":3,\"limits\":{\"max_request_bytes\":1000,\"upstream_idle_timeout_ms\":50,\"attestation_per_sec\":3},"
                               "\"verifier\":\"https://v.example\",\"environment\":\"env-1\","
                               "\"models\":[\"/m/a.gguf\"],\"auditors\":[{\"name\":\"pii\",\"mode\":\"redact\"}],"
                               "\"state_dir\":\"/var/lib/veritee\"}"),
                     VT_OK);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9000);
    assert_string_equal(c.upstream_host, "model");
    assert_int_equal(c.upstream_port, 8000);
    assert_string_equal(c.upstream_base, "/base");
    assert_int_equal(c.threads, 3);
    assert_int_equal(c.limits.max_request_bytes, 1000);
    assert_int_equal(c.limits.upstream_idle_timeout_ms, 50);
    assert_int_equal(c.limits.upstream_connect_timeout_ms, 5000); /* default kept */
    assert_int_equal(c.limits.attestation_per_sec, 3);
    assert_string_equal(c.verifier_url, "https://v.example");
    assert_string_equal(c.environment, "env-1");
    assert_int_equal(c.model_count, 1);
    assert_string_equal(c.models[0], "/m/a.gguf");
    assert_int_equal(json_array_size(c.auditors), 1);
    assert_string_equal(c.state_dir, "/var/lib/veritee");
    assert_int_equal(c.model_check_ms, 1000); /* default */
    assert_int_equal(vt_gw_config_check(&c, &err), VT_OK);
    assert_int_equal(vt_gw_config_to_json(&js, &c, &err), VT_OK);
    assert_non_null(strstr(js, "\"max_request_bytes\": 1000"));
    assert_non_null(strstr(js, "\"model_check_ms\": 1000"));
    free(js);
    vt_gw_config_free(&c);

    /* The model watch's period, 0 (every request) to an hour. */
    assert_int_equal(parse(&c, "{\"model_check_ms\":0}"), VT_OK);
    assert_int_equal(c.model_check_ms, 0);
    vt_gw_config_free(&c);
    assert_int_equal(parse(&c, "{\"model_check_ms\":3600000}"), VT_OK);
    assert_int_equal(c.model_check_ms, 3600000);
    assert_int_equal(vt_gw_config_to_json(&js, &c, &err), VT_OK);
    assert_non_null(strstr(js, "\"model_check_ms\": 3600000"));
    free(js);
    vt_gw_config_free(&c);
}

static void test_gateway_config__refused(void **state)
{
    static const char *bad[] = {
        "[]",
        "{\"listen\":\"127.0.0.1:8080\",\"listen\":\"127.0.0.1:8081\"}", /* duplicate key */
        "{\"lisen\":\"127.0.0.1:1\"}",                                  /* unknown key */
        "{\"limits\":{\"max_request_byte\":1}}",                          /* unknown limit */
        "{\"limits\":{\"max_request_bytes\":0}}",
        "{\"limits\":{\"attestation_per_sec\":0}}",                    /* never unlimited quotes */
        "{\"limits\":{\"max_request_bytes\":-1}}",
        "{\"limits\":{\"max_request_bytes\":\"1\"}}",
        "{\"limits\":{\"upstream_idle_timeout_ms\":999999999999}}",
        "{\"threads\":1000}",
        "{\"listen\":\"127.0.0.1\"}",
        "{\"listen\":\"127.0.0.1:99999\"}",
        "{\"listen\":\"::1:80\"}",
        "{\"upstream\":\"https://x:1\"}",
        "{\"upstream\":\"ftp://x\"}",
        "{\"upstream\":\"http://:80\"}",
        "{\"upstream\":\"http://x:0\"}",
        "{\"upstream\":\"http://x:1/a?b\"}",
        "{\"upstream\":\"http://us@er:1\"}",
        "{\"upstream\":\"http://user:pw@model:1\"}", /* userinfo */
        "{\"upstream\":\"http://x:65536\"}",
        "{\"upstream\":\"http://[model]:1\"}",
        "{\"verifier\":\"v.example\"}",
        "{\"models\":\"/m\"}",
        "{\"models\":[1]}",
        "{\"auditors\":[{\"mode\":\"x\"}]}",
        "{\"environment\":\"\"}",
        "{\"state_dir\":5}",
        "{\"model_check_ms\":3600001}", /* more than an hour */
        "{\"model_check_ms\":-1}",
        "{\"model_check_ms\":\"1000\"}",
        "{\"verifier_jwks\":\"\"}",
        "{\"verifier_jwks\":5}",
        "{\"verifier_jwks\":\"https://v.example/.well-known/jwks.json\"}", /* a pin is a file, never fetched */
        "{",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_gw_config c;
        vt_err err;
        vt_gw_config_defaults(&c);
        if (vt_gw_config_parse(&c, bad[i], strlen(bad[i]), &err) == VT_OK)
            fail_msg("accepted: %s", bad[i]);
        assert_true(strncmp(err.msg, "gateway config: ", 16) == 0);
        vt_gw_config_free(&c);
    }
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* "verifier_jwks": a path kept as given, in the effective config; it pins a verifier's keys, so
 * a config without "verifier" is refused. */
static void test_gateway_config__verifier_jwks(void **state)
{
    vt_gw_config c;
    vt_err err = { 0 };
    char *js = NULL;
    (void)state;
    assert_int_equal(parse(&c, "{\"upstream\":\"http://m:1\",\"verifier\":\"https://v.example\","
                               "\"verifier_jwks\":\"/etc/veritee/verifier-jwks.json\"}"),
                     VT_OK);
    assert_string_equal(c.verifier_jwks, "/etc/veritee/verifier-jwks.json");
    assert_int_equal(vt_gw_config_check(&c, &err), VT_OK);
    assert_int_equal(vt_gw_config_to_json(&js, &c, &err), VT_OK);
    assert_non_null(strstr(js, "\"verifier_jwks\": \"/etc/veritee/verifier-jwks.json\""));
    free(js);
    vt_gw_config_free(&c);

    assert_int_equal(parse(&c, "{\"upstream\":\"http://m:1\",\"verifier_jwks\":\"/k.json\"}"), VT_OK);
    assert_int_equal(vt_gw_config_check(&c, &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "verifier_jwks"));
    vt_gw_config_free(&c);
}

/* The pinned set is read at boot: a JWK Set with a usable key and its issuer is taken, with the
 * SHA-256 of exactly the bytes read (what the boot measures; the same keys written otherwise are
 * other bytes, another digest); a missing, malformed, empty, oversized one, or one whose issuer
 * is not a string, is refused naming the key and the file, with no digest; no pin, no set and no
 * digest. */
static void test_gateway_config__verifier_jwks_load(void **state)
{
    char dir[512], path[600], good[2048], big[(64 << 10) + 64];
    static const char *bad[] = {
        "not json",
        "{\"keys\":[]}", /* empty */
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"AAAA\"}]}", /* none usable */
        "{\"keys\":{}}",
        "[]",
        NULL, /* good, with a non-string issuer (filled in below) */
        NULL, /* more than 64 KiB */
    };
    char bad_issuer[2048], spaced[2100];
    static const uint8_t zero[32] = { 0 };
    uint8_t sha[32], want[32], first[32];
    vt_pkey *key = NULL;
    char *jwk = NULL;
    vt_gw_config c;
    vt_jwks *set = NULL;
    char issuer[128];
    vt_err err = { 0 };
    (void)state;

    vt_test_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/verifier-jwks.json", dir);
    assert_int_equal(vt_pkey_generate(&key, VT_KEY_EC_P256, &err), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk, key, "v-1", &err), VT_OK);
    snprintf(good, sizeof(good), "{\"keys\":[%s],\"issuer\":\"https://v.example\"}\n", jwk);
    snprintf(bad_issuer, sizeof(bad_issuer), "{\"keys\":[%s],\"issuer\":7}", jwk);
    bad[5] = bad_issuer;
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, good, strlen(good));
    bad[6] = big;

    vt_gw_config_defaults(&c);
    memset(sha, 0xa5, sizeof(sha));
    assert_int_equal(vt_gw_config_load_jwks(&set, issuer, sizeof(issuer), sha, &c, &err), VT_OK); /* no pin */
    assert_null(set);
    assert_string_equal(issuer, "");
    assert_memory_equal(sha, zero, 32);
    c.verifier_jwks = strdup(path);
    assert_non_null(c.verifier_jwks);

    /* missing */
    memset(sha, 0xa5, sizeof(sha));
    assert_int_equal(vt_gw_config_load_jwks(&set, issuer, sizeof(issuer), sha, &c, &err), VT_E_ARG);
    assert_null(set);
    assert_memory_equal(sha, zero, 32);
    assert_non_null(strstr(err.msg, "gateway config: verifier_jwks "));
    assert_non_null(strstr(err.msg, path));

    write_text(path, good);
    if (vt_gw_config_load_jwks(&set, issuer, sizeof(issuer), sha, &c, &err) != VT_OK)
        fail_msg("good set: %s", err.msg);
    assert_int_equal(vt_jwks_count(set), 1);
    assert_non_null(vt_jwks_find(set, "v-1"));
    assert_string_equal(issuer, "https://v.example");
    assert_int_equal(vt_digest(VT_MD_SHA256, good, strlen(good), want, &err), VT_OK);
    assert_memory_equal(sha, want, 32); /* the file's bytes, as read */
    memcpy(first, sha, 32);
    vt_jwks_free(set);
    set = NULL;

    /* The same keys and issuer in other bytes: the same set, another digest; read again, the same. */
    snprintf(spaced, sizeof(spaced), "{ \"issuer\": \"https://v.example\", \"keys\": [%s] }", jwk);
    write_text(path, spaced);
    if (vt_gw_config_load_jwks(&set, issuer, sizeof(issuer), sha, &c, &err) != VT_OK)
        fail_msg("spaced set: %s", err.msg);
    assert_non_null(vt_jwks_find(set, "v-1"));
    assert_memory_not_equal(sha, first, 32);
    assert_int_equal(vt_digest(VT_MD_SHA256, spaced, strlen(spaced), want, &err), VT_OK);
    assert_memory_equal(sha, want, 32);
    vt_jwks_free(set);
    set = NULL;
    write_text(path, good);
    if (vt_gw_config_load_jwks(&set, issuer, sizeof(issuer), sha, &c, &err) != VT_OK)
        fail_msg("good set again: %s", err.msg);
    assert_memory_equal(sha, first, 32);
    vt_jwks_free(set);
    set = NULL;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_text(path, bad[i]);
        memset(&err, 0, sizeof(err));
        memset(sha, 0xa5, sizeof(sha));
        if (vt_gw_config_load_jwks(&set, issuer, sizeof(issuer), sha, &c, &err) != VT_E_ARG)
            fail_msg("accepted set %zu", i);
        assert_null(set);
        assert_string_equal(issuer, "");
        assert_memory_equal(sha, zero, 32);
        assert_non_null(strstr(err.msg, "gateway config: verifier_jwks "));
    }
    vt_gw_config_free(&c);
    free(jwk);
    vt_pkey_free(key);
    vt_test_rmdir(dir);
}

/* Every model path is an event of the log and a passport names every one: at most
 * VT_APPRAISAL_MAX_DIGESTS, refused beyond with a way out. */
static void test_gateway_config__models_bound(void **state)
{
    char json[4096];
    size_t used;
    vt_gw_config c;
    vt_err err = { 0 };

    (void)state;
    for (int n = VT_APPRAISAL_MAX_DIGESTS; n <= VT_APPRAISAL_MAX_DIGESTS + 1; n++) {
        used = (size_t)snprintf(json, sizeof(json), "{\"models\":[");
        for (int i = 0; i < n; i++)
            used += (size_t)snprintf(json + used, sizeof(json) - used, "%s\"/m/shard-%d\"", i ? "," : "", i);
        snprintf(json + used, sizeof(json) - used, "]}");
        vt_gw_config_defaults(&c);
        assert_int_equal(vt_gw_config_parse(&c, json, strlen(json), &err),
                         n == VT_APPRAISAL_MAX_DIGESTS ? VT_OK : VT_E_LIMIT);
        if (n > VT_APPRAISAL_MAX_DIGESTS)
            assert_non_null(strstr(err.msg, "list their directory instead"));
        vt_gw_config_free(&c);
    }
    /* Encrypted models are model events too: the sum is bounded. */
    for (int enc = 6; enc <= 7; enc++) {
        used = (size_t)snprintf(json, sizeof(json), "{\"upstream\":\"http://m:1\",\"models\":[");
        for (int i = 0; i < 10; i++)
            used += (size_t)snprintf(json + used, sizeof(json) - used, "%s\"/m/%d\"", i ? "," : "", i);
        used += (size_t)snprintf(json + used, sizeof(json) - used, "],\"encrypted_models\":[");
        for (int i = 0; i < enc; i++)
            used += (size_t)snprintf(json + used, sizeof(json) - used, "%s{}", i ? "," : "");
        snprintf(json + used, sizeof(json) - used, "]}");
        vt_gw_config_defaults(&c);
        assert_int_equal(vt_gw_config_parse(&c, json, strlen(json), &err), VT_OK);
        assert_int_equal(vt_gw_config_check(&c, &err), enc == 6 ? VT_OK : VT_E_LIMIT);
        vt_gw_config_free(&c);
    }
}

static void test_gateway_config__addresses(void **state)
{
    vt_gw_config c;
    vt_err err;
    (void)state;
    vt_gw_config_defaults(&c);
    assert_int_equal(vt_gw_config_set_listen(&c, ":0", &err), VT_OK); /* port 0: pick one; host kept */
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 0);
    assert_int_equal(vt_gw_config_set_listen(&c, "[::1]:81", &err), VT_OK);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(vt_gw_config_set_upstream(&c, "http://[::1]:8000", &err), VT_OK);
    assert_string_equal(c.upstream_host, "::1");
    assert_string_equal(c.upstream_base, "");
    assert_int_equal(vt_gw_config_set_upstream(&c, "http://localhost", &err), VT_OK);
    assert_int_equal(c.upstream_port, 80);
    /* No upstream at all is refused by the check. */
    vt_gw_config_free(&c);
    vt_gw_config_defaults(&c);
    assert_int_equal(vt_gw_config_check(&c, &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "upstream"));
    vt_gw_config_free(&c);
}

/* "allowed_origins": browser pages allowed besides loopback ones, normalised, bounded, and
 * checked at startup (a malformed entry is refused, naming it; the config is left as it was). */
static void test_gateway_config__allowed_origins(void **state)
{
    static const char *const bad[] = {
        "{\"allowed_origins\":\"https://a.example\"}",
        "{\"allowed_origins\":[1]}",
        "{\"allowed_origins\":[\"https://a.example/\"]}",
        "{\"allowed_origins\":[\"null\"]}",
        "{\"allowed_origins\":[\"*\"]}",
        "{\"allowed_origins\":[\"a.example\"]}",
        "{\"allowed_origins\":[\"https://ok.example\",\"https://user@a.example\"]}",
    };
    vt_gw_config c;
    vt_err err;
    char *js = NULL, big[40 * 32 + 64];
    size_t n;
    (void)state;

    assert_int_equal(parse(&c, "{\"allowed_origins\":[\"HTTPS://App.Example.com:443\",\"http://[::1]:8080\","
                               "\"http://intranet.example:8080\",\"https://app.example.com\"]}"),
                     VT_OK);
    assert_int_equal(c.origins.count, 3); /* the same origin twice is one entry */
    assert_int_equal(vt_origin_check(&c.origins, "https://app.example.com", NULL), VT_OK);
    assert_int_equal(vt_origin_check(&c.origins, "http://intranet.example:8080", NULL), VT_OK);
    assert_int_equal(vt_origin_check(&c.origins, "http://intranet.example", NULL), VT_E_POLICY);
    assert_int_equal(vt_gw_config_to_json(&js, &c, &err), VT_OK);
    assert_non_null(strstr(js, "\"https://app.example.com\""));
    assert_non_null(strstr(js, "\"http://intranet.example:8080\""));
    free(js);
    vt_gw_config_free(&c);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        static const char kept[] = "{\"allowed_origins\":[\"https://kept.example\"]}";
        vt_gw_config_defaults(&c);
        assert_int_equal(vt_gw_config_parse(&c, kept, strlen(kept), &err), VT_OK);
        assert_int_not_equal(vt_gw_config_parse(&c, bad[i], strlen(bad[i]), &err), VT_OK);
        assert_non_null(strstr(err.msg, "allowed_origins"));
        assert_int_equal(c.origins.count, 1); /* unchanged */
        vt_gw_config_free(&c);
    }
    n = (size_t)snprintf(big, sizeof(big), "{\"allowed_origins\":[");
    for (int i = 0; i <= VT_ORIGIN_MAX; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"https://a%d.example\"", i > 0 ? "," : "", i);
    snprintf(big + n, sizeof(big) - n, "]}");
    assert_int_equal(parse(&c, big), VT_E_LIMIT);
    vt_gw_config_free(&c);
}

/* The one URL splitter of the upstream and the workflow's deployments: the schemes it is given,
 * the scheme's default port, [IPv6] with and without a port; userinfo, ports 0 and 65536, a
 * bracketed non-address and a scheme left out are refused with *out zeroed. */
static void test_gateway_config__url_split(void **state)
{
    static const struct {
        const char *url;
        unsigned schemes;
        vt_status rc;
        const char *msg; /* in the error */
    } bad[] = {
        { "http://user@h:1", VT_GW_URL_HTTP, VT_E_ARG, "userinfo" },
        { "https://user:pw@h/b", VT_GW_URL_HTTP | VT_GW_URL_HTTPS, VT_E_ARG, "userinfo" },
        { "http://@h", VT_GW_URL_HTTP, VT_E_ARG, "userinfo" },
        { "http://h:0", VT_GW_URL_HTTP, VT_E_ARG, "port" },
        { "http://h:65536", VT_GW_URL_HTTP, VT_E_ARG, "port" },
        { "https://[::1]:0/", VT_GW_URL_HTTPS, VT_E_ARG, "port" },
        { "http://h:", VT_GW_URL_HTTP, VT_E_ARG, "port" },
        { "http://h:8a", VT_GW_URL_HTTP, VT_E_ARG, "port" },
        { "http://[::1]x", VT_GW_URL_HTTP, VT_E_ARG, "after ']'" },
        { "http://[::1", VT_GW_URL_HTTP, VT_E_ARG, "without ']'" },
        { "http://[model]:80", VT_GW_URL_HTTP, VT_E_ARG, "not an IPv6 address" },
        { "http://::1:80", VT_GW_URL_HTTP, VT_E_ARG, "[addr]:port" },
        { "http://", VT_GW_URL_HTTP, VT_E_ARG, "no host" },
        { "http:///b", VT_GW_URL_HTTP, VT_E_ARG, "no host" },
        { "http://h/a?b", VT_GW_URL_HTTP, VT_E_ARG, "query" },
        { "http://h/a b", VT_GW_URL_HTTP, VT_E_ARG, "query" },
        { "https://h", VT_GW_URL_HTTP, VT_E_UNSUPPORTED, "https" },
        { "http://h", VT_GW_URL_HTTPS, VT_E_ARG, "https://" },
        { "ftp://h", VT_GW_URL_HTTP | VT_GW_URL_HTTPS, VT_E_ARG, "https:// or http://" },
        { "HTTP://h", VT_GW_URL_HTTP, VT_E_ARG, "http://" },
    };
    vt_gw_url u, zero;
    vt_err err;
    char longhost[300];
    (void)state;

    memset(&zero, 0, sizeof(zero));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&u, 0x5a, sizeof(u));
        if (vt_gw_url_split(&u, bad[i].url, bad[i].schemes, "x", &err) != bad[i].rc)
            fail_msg("%s: not refused with %d (%s)", bad[i].url, bad[i].rc, err.msg);
        if (strstr(err.msg, bad[i].msg) == NULL || strncmp(err.msg, "gateway config: x", 17) != 0)
            fail_msg("%s: message %s", bad[i].url, err.msg);
        assert_memory_equal(&u, &zero, sizeof(u));
    }
    snprintf(longhost, sizeof(longhost), "http://%0256d", 0);
    assert_int_equal(vt_gw_url_split(&u, longhost, VT_GW_URL_HTTP, "x", &err), VT_E_LIMIT);

    /* The scheme's default port when none is given. */
    assert_int_equal(vt_gw_url_split(&u, "http://model", VT_GW_URL_HTTP, "x", &err), VT_OK);
    assert_false(u.https);
    assert_string_equal(u.host, "model");
    assert_int_equal(u.port, 80);
    assert_string_equal(u.base, "");
    assert_int_equal(vt_gw_url_split(&u, "https://gw.example/v//", VT_GW_URL_HTTP | VT_GW_URL_HTTPS, "x", &err), VT_OK);
    assert_true(u.https);
    assert_string_equal(u.host, "gw.example");
    assert_int_equal(u.port, 443);
    assert_string_equal(u.base, "/v");
    assert_int_equal(vt_gw_url_split(&u, "https://gw.example:8443", VT_GW_URL_HTTPS, "x", &err), VT_OK);
    assert_int_equal(u.port, 8443);
    assert_int_equal(vt_gw_url_split(&u, "http://h:65535/", VT_GW_URL_HTTP, "x", &err), VT_OK);
    assert_int_equal(u.port, 65535);
    assert_string_equal(u.base, "");
    /* IPv6 literals, with and without a port: the host without its brackets. */
    assert_int_equal(vt_gw_url_split(&u, "https://[2001:db8::5]/b", VT_GW_URL_HTTPS, "x", &err), VT_OK);
    assert_string_equal(u.host, "2001:db8::5");
    assert_int_equal(u.port, 443);
    assert_string_equal(u.base, "/b");
    assert_int_equal(vt_gw_url_split(&u, "http://[::1]:8000", VT_GW_URL_HTTP, "x", &err), VT_OK);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 8000);
    assert_int_equal(vt_gw_url_split(&u, "http://[::1]", VT_GW_URL_HTTP, "x", &err), VT_OK);
    assert_int_equal(u.port, 80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_config__full),
        cmocka_unit_test(test_gateway_config__refused),
        cmocka_unit_test(test_gateway_config__models_bound),
        cmocka_unit_test(test_gateway_config__addresses),
        cmocka_unit_test(test_gateway_config__url_split),
        cmocka_unit_test(test_gateway_config__allowed_origins),
        cmocka_unit_test(test_gateway_config__verifier_jwks),
        cmocka_unit_test(test_gateway_config__verifier_jwks_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
