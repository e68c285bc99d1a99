/* SPDX-License-Identifier: MIT */
/*
 * One parameter value checked against its type, and written the one way every consumer reads:
 * every value is one line of printable UTF-8 first; then an int, a bool, a systemd time span
 * (written back as seconds: "500ms" is "0.5s", which sleep, systemd and Go all read), a CIDR
 * block, a normalised absolute path, or one of an enum's choices. Used for defaults when a
 * playbook loads, for --set values and for node facts (param.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/fileio.h"
#include "remedy/playbook.h"
#include "remedy/strv.h"
#include "remedy/utf8.h"

static const struct {
        const char *suffix;
        uint64_t usec;
} duration_units[] = {
        { "usec", 1ULL },        { "us", 1ULL },          { "\xc2\xb5s", 1ULL },    { "\xce\xbcs", 1ULL },
        { "msec", 1000ULL },     { "ms", 1000ULL },       { "seconds", 1000000ULL }, { "second", 1000000ULL },
        { "sec", 1000000ULL },   { "s", 1000000ULL },     { "minutes", 60000000ULL }, { "minute", 60000000ULL },
        { "min", 60000000ULL },  { "m", 60000000ULL },    { "hours", 3600000000ULL }, { "hour", 3600000000ULL },
        { "hr", 3600000000ULL }, { "h", 3600000000ULL },  { "days", 86400000000ULL }, { "day", 86400000000ULL },
        { "d", 86400000000ULL }, { "weeks", 604800000000ULL }, { "week", 604800000000ULL },
        { "w", 604800000000ULL }, { "months", 2629800000000ULL }, { "month", 2629800000000ULL },
        { "M", 2629800000000ULL }, { "years", 31557600000000ULL }, { "year", 31557600000000ULL },
        { "y", 31557600000000ULL },
};

static bool is_space(char c) {
        return c == ' ' || c == '\t';
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* A systemd time span (systemd.time(7)): "15s", "1min 30s", "500ms", "2h30m", "0", "infinity".
 * A number without a unit is seconds, as in systemd's unit files. A fraction applies to its unit
 * ("1.5s" is 1500000 µs). */
int duration_parse(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        bool any = false;

        if (streq(s, "infinity")) {
                *ret_usec = UINT64_MAX;
                return 0;
        }

        for (;;) {
                while (is_space(*s))
                        s++;
                if (!*s) {
                        if (!any)
                                return -EINVAL;
                        *ret_usec = total;
                        return 0;
                }

                const char *start = s;
                uint64_t whole = 0;
                while (is_digit(*s)) {
                        if (__builtin_mul_overflow(whole, 10, &whole) ||
                            __builtin_add_overflow(whole, (uint64_t) (*s - '0'), &whole))
                                return -ERANGE;
                        s++;
                }
                bool has_whole = s > start;
                const char *frac = NULL, *frac_end = NULL;
                if (*s == '.') {
                        s++;
                        frac = s;
                        while (is_digit(*s))
                                s++;
                        frac_end = s;
                        if (frac == frac_end)
                                return -EINVAL;
                } else if (!has_whole)
                        return -EINVAL;

                while (is_space(*s))
                        s++;
                const char *unit = s;
                while (*s && !is_space(*s) && !is_digit(*s) && *s != '.')
                        s++;
                size_t unit_len = (size_t) (s - unit);
                uint64_t mult = 1000000ULL;
                if (unit_len > 0) {
                        bool found = false;
                        for (size_t i = 0; i < ELEMENTSOF(duration_units) && !found; i++)
                                if (strlen(duration_units[i].suffix) == unit_len &&
                                    memcmp(duration_units[i].suffix, unit, unit_len) == 0) {
                                        mult = duration_units[i].usec;
                                        found = true;
                                }
                        if (!found)
                                return -EINVAL;
                }

                uint64_t part;
                if (__builtin_mul_overflow(whole, mult, &part) || __builtin_add_overflow(total, part, &total))
                        return -ERANGE;
                /* Fractions below a microsecond are dropped, as systemd does. */
                uint64_t scale = mult;
                for (const char *d = frac; d && d < frac_end && scale >= 10; d++) {
                        scale /= 10;
                        if (__builtin_add_overflow(total, (uint64_t) (*d - '0') * scale, &total))
                                return -ERANGE;
                }
                any = true;
        }
}

int param_text_check(const char *value, char **ret_reason) {
        size_t n = strlen(value);
        uint32_t cp = 0;
        size_t at = 0;
        char *reason = NULL;
        int k = 0;

        if (!utf8_is_valid_n(value, n))
                k = asprintf(&reason, "not valid UTF-8");
        else
                /* Valid UTF-8: a C1 control is U+0080..U+009F, "\xc2\x80".."\xc2\x9f"; U+2028 and
                 * U+2029 are "\xe2\x80\xa8" and "\xe2\x80\xa9". */
                for (size_t i = 0; i < n && !cp; i++) {
                        const unsigned char *c = (const unsigned char *) value + i;
                        if (c[0] < 0x20 || c[0] == 0x7f)
                                cp = c[0];
                        else if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
                                cp = c[1];
                        else if (c[0] == 0xe2 && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9))
                                cp = 0x2000 | (uint32_t) (c[2] - 0x80);
                        at = i + 1;
                }
        if (cp >= 0x2028)
                /* Line breaks to JavaScript, YAML 1.1 and some terminals. */
                k = asprintf(&reason, "not one line of text: it has a Unicode line or paragraph separator "
                             "(U+%04" PRIX32 ") at byte %zu", cp, at);
        else if (cp)
                /* A newline ends a line of the file the value goes into, an ESC reaches the
                 * terminal of whoever reads the plan. */
                k = asprintf(&reason, "not one line of printable text: it has a control character "
                             "(U+%04" PRIX32 ") at byte %zu", cp, at);
        else if (!reason)
                return 0;
        if (k < 0)
                return -ENOMEM;
        if (ret_reason)
                *ret_reason = reason;
        else
                free(reason);
        return -EINVAL;
}

/* ADDRESS/PREFIX with a network address: the host bits must be zero, so that a node address
 * given where a subnet belongs ("10.244.1.7/16") is caught rather than silently widened. */
static bool cidr_is_valid(const char *s, const char **ret_reason) {
        const char *slash = strrchr(s, '/');
        unsigned char addr[16];

        *ret_reason = "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)";
        if (!slash || slash == s || strlen(slash + 1) > 3)
                return false;
        _cleanup_free_ char *host = strndup(s, (size_t) (slash - s));
        if (!host)
                return false;
        int family = strchr(host, ':') ? AF_INET6 : AF_INET;
        unsigned bits = family == AF_INET6 ? 128 : 32;
        if (inet_pton(family, host, addr) != 1)
                return false;

        const char *d = slash + 1;
        if (!is_digit(d[0]) || (d[0] == '0' && d[1]))
                return false;
        unsigned prefix = 0;
        for (; *d; d++) {
                if (!is_digit(*d))
                        return false;
                prefix = prefix * 10 + (unsigned) (*d - '0');
        }
        if (prefix > bits) {
                *ret_reason = family == AF_INET6 ? "not a CIDR subnet: an IPv6 prefix is 0 to 128 bits"
                                                 : "not a CIDR subnet: an IPv4 prefix is 0 to 32 bits";
                return false;
        }
        for (unsigned b = prefix; b < bits; b++)
                if (addr[b / 8] & (0x80 >> (b % 8))) {
                        *ret_reason = "not a CIDR subnet: the address has host bits set (give the network address)";
                        return false;
                }
        return true;
}

/* A duration as seconds with an "s" suffix ("90s", "0.5s"): the one spelling coreutils' sleep
 * (NUMBER[smhd]), systemd's time spans and Go's time.ParseDuration (the kubelet's config) all read
 * the same. systemd's "500ms" is not a sleep(1) argument, sleep's "1d" is not a Go duration. */
static int duration_canonical(uint64_t usec, char **ret) {
        uint64_t frac = usec % 1000000;
        int k;
        if (frac == 0)
                k = asprintf(ret, "%" PRIu64 "s", usec / 1000000);
        else {
                unsigned digits = 6;
                while (frac % 10 == 0) {
                        frac /= 10;
                        digits--;
                }
                k = asprintf(ret, "%" PRIu64 ".%0*" PRIu64 "s", usec / 1000000, (int) digits, frac);
        }
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

int param_value_canonical(const Param *p, const char *value, char **ret) {
        uint64_t usec;

        if (p->type == PARAM_DURATION && duration_parse(value, &usec) >= 0 && usec != UINT64_MAX)
                return duration_canonical(usec, ret);
        *ret = strdup(value);
        return *ret ? 0 : -ENOMEM;
}

/* Decimal, optional minus, no spaces or plus: what a reader of the playbook would call an int. */
static bool int_is_valid(const char *s, const char **ret_reason) {
        const char *d = s[0] == '-' ? s + 1 : s;
        if (!is_digit(*d)) {
                *ret_reason = "not a decimal integer";
                return false;
        }
        for (const char *c = d; *c; c++)
                if (!is_digit(*c)) {
                        *ret_reason = "not a decimal integer";
                        return false;
                }
        char *end;
        errno = 0;
        (void) strtoll(s, &end, 10);
        if (errno == ERANGE) {
                *ret_reason = "out of range for a 64-bit integer";
                return false;
        }
        if (errno != 0 || *end) {
                *ret_reason = "not a decimal integer";
                return false;
        }
        return true;
}

int param_check_value(const Param *p, const char *value, char **ret_reason) {
        const char *reason = NULL;
        _cleanup_free_ char *choices = NULL;

        /* Every value is one line of text before it is anything else. */
        char *text_reason = NULL;
        int r = param_text_check(value, &text_reason);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = text_reason;
                else
                        free(text_reason);
                return r;
        }

        switch (p->type) {
        case PARAM_STRING:
                return 0;
        case PARAM_BOOL:
                if (streq(value, "true") || streq(value, "false"))
                        return 0;
                reason = "not a boolean (write true or false)";
                break;
        case PARAM_INT:
                if (int_is_valid(value, &reason))
                        return 0;
                break;
        case PARAM_DURATION: {
                uint64_t usec;
                if (duration_parse(value, &usec) >= 0 && usec != UINT64_MAX)
                        return 0;
                reason = streq(value, "infinity") ? "infinity, which is not a delay or timeout a step can wait out"
                                                  : "not a time span such as 15s, 1min 30s or 500ms";
                break;
        }
        case PARAM_CIDR:
                if (cidr_is_valid(value, &reason))
                        return 0;
                break;
        case PARAM_PATH: {
                _cleanup_free_ char *normal = NULL;
                if (path_normalize(value, &normal) >= 0 && streq(normal, value))
                        return 0;
                reason = value[0] == '/' ? "not a normalised path (no '.', '..', '//' or trailing '/')"
                                         : "not an absolute path";
                break;
        }
        case PARAM_ENUM:
                if (strv_contains(p->choices, value))
                        return 0;
                size_t len = strlen("must be one of: ") + 1;
                STRV_FOREACH(c, p->choices)
                        len += strlen(*c) + 2;
                choices = malloc(len);
                if (!choices)
                        return -ENOMEM;
                char *e = stpcpy(choices, "must be one of: ");
                STRV_FOREACH(c, p->choices)
                        e = stpcpy(stpcpy(e, c == p->choices ? "" : ", "), *c);
                reason = choices;
                break;
        default:
                reason = "of an unknown type";
        }

        if (ret_reason) {
                *ret_reason = strdup(reason);
                if (!*ret_reason)
                        return -ENOMEM;
        }
        return -EINVAL;
}
