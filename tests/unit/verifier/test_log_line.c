/* The verifier's operator log lines: one JSON object per line, whatever the detail holds
 * (quotes, backslashes, newlines, 5 KB of it), with the extra field where asked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "vt_test.h"

#include "verifier/verifier.h"

/* Runs the lines written by fn (stderr into a file) and returns them, each parsed. */
static json_t *lines_of(void (*fn)(void))
{
    char path[] = "/tmp/vt-log-line-XXXXXX", buf[16384];
    int fd = mkstemp(path), saved = dup(2);
    json_t *all = json_array();
    FILE *f;

    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    assert_int_equal(dup2(fd, 2), 2);
    fn();
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    close(fd);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(buf, sizeof(buf), f) != NULL) {
        json_error_t je;
        json_t *o = json_loads(buf, 0, &je);
        if (o == NULL)
            fail_msg("not one JSON object: %s (%s)", buf, je.text);
        assert_true(buf[strlen(buf) - 1] == '\n');
        json_array_append_new(all, o);
    }
    fclose(f);
    unlink(path);
    return all;
}

static void write_lines(void)
{
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    vf_log_line("warn", "store failure", "table \"passports\": disk\\full\nnext");
    vf_log_line("info", "no detail", NULL);
    vf_log_line_at("warn", "witness unreachable", "witness", "http://w.example/\"x\"", "connect: refused");
    vf_log_line("error", "long", big);
}

static void test_log_line_one_object_each(void **state)
{
    json_t *all = lines_of(write_lines), *o;
    (void)state;

    assert_int_equal(json_array_size(all), 4);
    o = json_array_get(all, 0);
    assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(o, "service")), "verifier");
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "store failure");
    assert_string_equal(json_string_value(json_object_get(o, "detail")), "table 'passports': disk'full'next");
    assert_non_null(json_string_value(json_object_get(o, "ts")));
    assert_null(json_object_get(json_array_get(all, 1), "detail"));
    o = json_array_get(all, 2);
    assert_string_equal(json_string_value(json_object_get(o, "witness")), "http://w.example/'x'");
    assert_string_equal(json_string_value(json_object_get(o, "detail")), "connect: refused");
    o = json_array_get(all, 3); /* cut short, still one object */
    assert_true(strlen(json_string_value(json_object_get(o, "detail"))) > 1000);
    assert_true(strlen(json_string_value(json_object_get(o, "detail"))) < 2048);
    json_decref(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_line_one_object_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
