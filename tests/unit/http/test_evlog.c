/* libevent's log messages as JSON lines (http/evlog.c): each a JSON object with
 * the service and level, the message as detail; the known-harmless EBADF of a
 * closed descriptor's stale registration and debug messages not logged. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "http/evlog.h"

static void test_http_evlog__json_lines(void **state)
{
    static const struct {
        int severity;
        const char *level;
    } cases[] = { { EVENT_LOG_MSG, "info" }, { EVENT_LOG_WARN, "warn" }, { EVENT_LOG_ERR, "error" } };
    const char *msg = "Epoll ADD(1) on fd 9 failed. \"quoted\"\nnext: Too many open files";

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *level = vt__http_evlog_level(cases[i].severity, msg);
        char *line;
        json_t *j;
        assert_non_null(level);
        assert_string_equal(level, cases[i].level);
        line = vt__http_evlog_line("gateway", level, msg);
        assert_non_null(line);
        assert_null(strchr(line, '\n')); /* one line, whatever the message holds */
        j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "level")), cases[i].level);
        assert_string_equal(json_string_value(json_object_get(j, "service")), "gateway");
        assert_string_equal(json_string_value(json_object_get(j, "msg")), "libevent");
        assert_string_equal(json_string_value(json_object_get(j, "detail")), msg);
        assert_non_null(json_string_value(json_object_get(j, "ts")));
        json_decref(j);
        free(line);
    }
}

static void test_http_evlog__not_logged(void **state)
{
    (void)state;
    assert_null(vt__http_evlog_level(EVENT_LOG_WARN, "Epoll MOD(1) on fd 8 failed. Old events were 6; read change was "
                                                     "0 (none); write change was 2 (del); close change was 0 (none): "
                                                     "Bad file descriptor"));
    assert_null(vt__http_evlog_level(EVENT_LOG_WARN, "Epoll ADD(5) on fd 8 failed. Old events were 0; read change was "
                                                     "1 (add); write change was 1 (add); close change was 0 (none): "
                                                     "Bad file descriptor"));
    assert_null(vt__http_evlog_level(EVENT_LOG_DEBUG, "epoll_dispatch: epoll_wait reports 1"));
    assert_null(vt__http_evlog_level(EVENT_LOG_WARN, NULL));
    /* any other failure is still reported, EBADF elsewhere too */
    assert_string_equal(vt__http_evlog_level(EVENT_LOG_WARN, "Epoll MOD(4) on fd 8 failed. ...: No such file or directory"),
                        "warn");
    assert_string_equal(vt__http_evlog_level(EVENT_LOG_ERR, "accept: Bad file descriptor"), "error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_evlog__json_lines),
        cmocka_unit_test(test_http_evlog__not_logged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
