/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/edit-value.h"
#include "remedy/macro.h"

static const char * const edit_value_type_names[] = {
        [EDIT_VALUE_STRING] = "string",
        [EDIT_VALUE_BOOL] = "bool",
        [EDIT_VALUE_INT] = "int",
};

const char *edit_value_type_name(EditValueType t) {
        if ((size_t) t >= ELEMENTSOF(edit_value_type_names))
                return NULL;
        return edit_value_type_names[t];
}

int edit_value_type_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(edit_value_type_names); i++)
                if (streq(s, edit_value_type_names[i]))
                        return (int) i;
        return -EINVAL;
}

/* Only the spelling both TOML and every YAML version read as a boolean: "yes", "True" and "1"
 * mean different things to different parsers. */
static int check_bool(const char *s) {
        return streq(s, "true") || streq(s, "false") ? 0 : -EINVAL;
}

/* Decimal, as int parameters are: "010" is ten (writers print it canonically, since YAML 1.1
 * would read 010 as octal and TOML refuses it); "0x10" and "1e3" are not ints here. */
static int parse_int(const char *s, long long *ret) {
        const char *digits = s + (*s == '-' || *s == '+');
        char *end = NULL;

        if (*digits < '0' || *digits > '9')
                return -EINVAL;
        errno = 0;
        *ret = strtoll(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        return 0;
}

int edit_value_check(const EditValue *v) {
        if (!v || !v->text)
                return -EINVAL;

        switch (v->type) {
        case EDIT_VALUE_STRING:
                return 0;
        case EDIT_VALUE_BOOL:
                return check_bool(v->text);
        case EDIT_VALUE_INT: {
                long long ignored;
                return parse_int(v->text, &ignored);
        }
        }
        return -EINVAL;
}

static bool in_list(const char *s, const char * const *list) {
        for (; *list; list++)
                if (streq(s, *list))
                        return true;
        return false;
}

static bool all_of(const char *s, const char *set) {
        return *s && strspn(s, set) == strlen(s);
}

/* Numbers as YAML 1.2, go-yaml (kubelet: strconv.ParseInt(s, 0, 64) and its float regex) or a
 * YAML 1.1 reader (sexagesimal 1:30, 1_000) would take them: quoting a string too often is
 * harmless, too rarely is not. "10.96.0.10" and "1.2.3" are strings to all of them. */
static bool looks_numeric(const char *s) {
        static const char * const special[] = {
                ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL,
        };
        const char *rest = s + (*s == '-' || *s == '+');
        const char *dot, *exponent;

        if (in_list(rest, special))
                return true;
        if (rest[0] == '0' && rest[1] && strchr("xX", rest[1]))
                return all_of(rest + 2, "0123456789abcdefABCDEF_");
        if (rest[0] == '0' && rest[1] && strchr("oO", rest[1]))
                return all_of(rest + 2, "01234567_");
        if (rest[0] == '0' && rest[1] && strchr("bB", rest[1]))
                return all_of(rest + 2, "01_");
        if (strchr(rest, ':'))
                return rest[0] >= '0' && rest[0] <= '9' && all_of(rest, "0123456789_:.");

        /* Decimal, 1.1 octal, floats: digits with at most one dot, then an optional exponent. */
        exponent = rest + strspn(rest, "0123456789_.");
        dot = memchr(rest, '.', (size_t) (exponent - rest));
        if (dot && memchr(dot + 1, '.', (size_t) (exponent - dot - 1)))
                return false;
        if (strcspn(rest, "0123456789") >= (size_t) (exponent - rest))
                return false;
        if (*exponent == '\0')
                return true;
        if (!strchr("eE", *exponent))
                return false;
        exponent += 1 + (exponent[1] == '-' || exponent[1] == '+');
        return all_of(exponent, "0123456789");
}

bool edit_value_yaml_plain_is_string(const char *s) {
        static const char * const other[] = {
                /* null */
                "", "~", "null", "Null", "NULL",
                /* YAML 1.1 booleans, a superset of 1.2's */
                "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
                "true", "True", "TRUE", "false", "False", "FALSE",
                "on", "On", "ON", "off", "Off", "OFF",
                /* merge and value keys */
                "<<", "=",
                NULL,
        };

        if (in_list(s, other) || looks_numeric(s))
                return false;
        /* YAML 1.1 timestamps start with a year: 2001-12-14 */
        if (strspn(s, "0123456789") == 4 && s[4] == '-')
                return false;
        return true;
}

/* Line breaks and characters a reader may drop or fold: C0 controls, DEL, NEL, LS, PS, BOM. */
static size_t special_char_len(const char *p) {
        unsigned char c = (unsigned char) *p;

        if (c < 0x20 || c == 0x7f)
                return 1;
        if (startswith(p, "\xc2\x85"))
                return 2;
        if (startswith(p, "\xe2\x80\xa8") || startswith(p, "\xe2\x80\xa9") || startswith(p, "\xef\xbb\xbf"))
                return 3;
        return 0;
}

static bool has_special_chars(const char *s) {
        for (const char *p = s; *p; p++)
                if (special_char_len(p) > 0)
                        return true;
        return false;
}

static bool plain_fits(const char *s, bool in_flow) {
        size_t n = strlen(s);

        if (n == 0 || !edit_value_yaml_plain_is_string(s) || has_special_chars(s))
                return false;
        if (s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':')
                return false;
        /* Indicators may not start a plain scalar; "-x" may, but gains nothing over quoting. */
        if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
                return false;
        if (strstr(s, ": ") || strstr(s, " #"))
                return false;
        if (in_flow && strpbrk(s, ",[]{}:"))
                return false;
        return true;
}

static int format_single_quoted(const char *s, char **ret) {
        size_t n = strlen(s), quotes = 0;
        char *out, *q;

        for (const char *p = s; *p; p++)
                quotes += *p == '\'';
        out = malloc(n + quotes + 3);
        if (!out)
                return -ENOMEM;
        q = out;
        *q++ = '\'';
        for (const char *p = s; *p; p++) {
                if (*p == '\'')
                        *q++ = '\'';
                *q++ = *p;
        }
        *q++ = '\'';
        *q = '\0';
        *ret = out;
        return 0;
}

static int format_double_quoted(const char *s, char **ret) {
        static const char short_escapes[][2] = {
                ['\0'] = "0", ['\a'] = "a", ['\b'] = "b", ['\t'] = "t", ['\n'] = "n",
                ['\v'] = "v", ['\f'] = "f", ['\r'] = "r", ['\033'] = "e",
        };
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        fputc('"', f);
        for (const char *p = s; *p;) {
                unsigned char c = (unsigned char) *p;
                size_t special = special_char_len(p);

                if (c == '"' || c == '\\') {
                        fputc('\\', f);
                        fputc(c, f);
                } else if (special == 1 && c < ELEMENTSOF(short_escapes) && short_escapes[c][0])
                        fprintf(f, "\\%c", short_escapes[c][0]);
                else if (special == 1)
                        fprintf(f, "\\x%02X", c);
                else if (special > 1)
                        fputs(startswith(p, "\xc2\x85")          ? "\\N"
                              : startswith(p, "\xe2\x80\xa8") ? "\\L"
                              : startswith(p, "\xe2\x80\xa9") ? "\\P"
                                                              : "\\uFEFF",
                              f);
                else
                        fputc(c, f);
                p += MAX(special, (size_t) 1);
        }
        fputc('"', f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 0;
}

int edit_value_yaml_format(const EditValue *v, EditYamlQuoting quoting, bool in_flow, char **ret) {
        char *out = NULL;
        int r;

        r = edit_value_check(v);
        if (r < 0)
                return r;

        switch (v->type) {
        case EDIT_VALUE_BOOL:
                out = strdup(v->text);
                break;
        case EDIT_VALUE_INT:
                if (asprintf(&out, "%lld", strtoll(v->text, NULL, 10)) < 0)
                        out = NULL;
                break;
        case EDIT_VALUE_STRING:
                if (quoting == EDIT_YAML_SINGLE_QUOTED && !has_special_chars(v->text))
                        return format_single_quoted(v->text, ret);
                if (quoting != EDIT_YAML_DOUBLE_QUOTED && plain_fits(v->text, in_flow))
                        out = strdup(v->text);
                else
                        return format_double_quoted(v->text, ret);
                break;
        }
        if (!out)
                return -ENOMEM;
        *ret = out;
        return 0;
}

/* A decimal YAML 1.1 and 1.2 read alike (no leading zero), in range. */
static bool parse_canonical_int(const char *s, long long *ret) {
        const char *digits = s + (*s == '-' || *s == '+');

        if (!all_of(digits, "0123456789") || (digits[0] == '0' && digits[1] != '\0'))
                return false;
        return parse_int(s, ret) == 0;
}

bool edit_value_yaml_equal(const EditValue *v, const char *value, size_t length, bool plain, const char *tag) {
        const char *tag_type = NULL;
        long long have, want;

        if (!v || !v->text || !value || strlen(value) != length)
                return false;
        if (tag) {
                tag_type = startswith(tag, "tag:yaml.org,2002:");
                if (!tag_type)
                        return false;
        }

        switch (v->type) {
        case EDIT_VALUE_STRING:
                if (tag_type ? !streq(tag_type, "str") : plain && !edit_value_yaml_plain_is_string(value))
                        return false;
                return streq(value, v->text);
        case EDIT_VALUE_BOOL:
                /* Only YAML 1.2 spellings: "yes" is a bool to kubelet and a string elsewhere, so it
                 * is rewritten rather than taken as equal. */
                if (tag_type ? !streq(tag_type, "bool") : !plain)
                        return false;
                if (streq(v->text, "true"))
                        return in_list(value, (const char * const[]) { "true", "True", "TRUE", NULL });
                return in_list(value, (const char * const[]) { "false", "False", "FALSE", NULL });
        case EDIT_VALUE_INT:
                if (tag_type ? !streq(tag_type, "int") : !plain)
                        return false;
                return parse_canonical_int(value, &have) && parse_int(v->text, &want) == 0 && have == want;
        }
        return false;
}
