/* Time as unix seconds (UTC), and the monotonic clock for intervals.  Verification takes
 * `now` as a parameter; only the programs ask the wall clock. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "veritee/base.h"

/* Howard Hinnant's days-from-civil: exact for the proleptic Gregorian calendar. */
vt_time vt_time_from_utc(int y, int m, int d, int hh, int mm, int ss)
{
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hh * 3600 + mm * 60 + ss;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

vt_status vt_time_parse(vt_time *out, const char *s, vt_err *err)
{
    int y, mo, d, h, mi, se, oh = 0, om = 0;
    size_t len = strlen(s), i;

    *out = 0;
    if (len > 0 && (s[0] == '@' || (len <= 12 && strspn(s, "0123456789") == len))) {
        const char *p = s[0] == '@' ? s + 1 : s;
        int64_t v = 0;
        if (*p == '\0' || strlen(p) > 12 || strspn(p, "0123456789") != strlen(p))
            return vt_err_set(err, VT_E_FORMAT, "time: '%s' is not unix seconds", s);
        for (; *p; p++)
            v = v * 10 + (*p - '0');
        *out = v;
        return VT_OK;
    }
    if (len < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se))
        return vt_err_set(err, VT_E_FORMAT, "time: '%.40s' is not RFC 3339 (YYYY-MM-DDTHH:MM:SSZ)", s);
    i = 19;
    if (s[i] == '.') {
        i++;
        if (s[i] < '0' || s[i] > '9')
            return vt_err_set(err, VT_E_FORMAT, "time: empty fraction in '%.40s'", s);
        while (s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0') {
        /* UTC */
    } else if ((s[i] == '+' || s[i] == '-') && strlen(s + i) == 6 && digits(s + i + 1, 2, &oh) &&
               s[i + 3] == ':' && digits(s + i + 4, 2, &om) && oh < 24 && om < 60) {
        if (s[i] == '-') {
            oh = -oh;
            om = -om;
        }
    } else {
        return vt_err_set(err, VT_E_FORMAT, "time: bad zone in '%.40s' (use Z or +HH:MM)", s);
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
        return vt_err_set(err, VT_E_FORMAT, "time: '%.40s' is out of range", s);
    if (se == 60)
        se = 59; /* leap second: clamp */
    *out = vt_time_from_utc(y, mo, d, h, mi, se) - (int64_t)oh * 3600 - (int64_t)om * 60;
    return VT_OK;
}

void vt_time_format(char out[32], vt_time t)
{
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    /* civil-from-days, the inverse of vt_time_from_utc */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += (m <= 2);
    if (y < 0 || y > 9999) {
        snprintf(out, 32, "%s", y < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z");
        return;
    }
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)m, (int)d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

vt_time vt_time_now(void)
{
    return (vt_time)time(NULL);
}

int64_t vt_time_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vt_time_mono_ns(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail for a valid pointer on Linux (it is always supported). */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
