/* SPDX-License-Identifier: MIT */
#include "remedy/pattern.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pattern_done(Pattern *p) {
        if (p->compiled)
                regfree(&p->regex);
        free(p->source);
        *p = (Pattern) {};
}

/* How many copies of its atoms glibc's regcomp() makes of a pattern: it expands every repetition
 * ("a+" is "aa*", "a{3,5}" five copies, nested ones multiply), so "s+++...+" or "((a{99}){99}){99}"
 * take gigabytes to compile. A playbook is read from a directory the operator trusts, but a typo
 * there must be an error, not a node where remedy is killed for its memory. The estimate follows
 * the grammar of an extended expression loosely: it may overcount, never undercount by much. */
#define PATTERN_EXPANSION_MAX 20000u

static size_t saturating_mul(size_t a, size_t b) {
        return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

static size_t saturating_add(size_t a, size_t b) {
        return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* The size of the bracket expression at *s ('[' ... ']'): moves *s past it. */
static void skip_bracket(const char **s) {
        const char *c = *s + 1;
        if (*c == '^')
                c++;
        if (*c == ']')
                c++;    /* a ']' first is a member, not the end */
        while (*c && *c != ']') {
                if (c[0] == '[' && (c[1] == ':' || c[1] == '.' || c[1] == '=')) {
                        const char *end = strstr(c + 2, (char[]) { c[1], ']', 0 });
                        c = end ? end + 2 : c + 1;
                } else
                        c++;
        }
        *s = *c ? c + 1 : c;
}

/* "{n}", "{n,}", "{n,m}" at *s: the most copies it makes (n + 1 for "{n,}", as glibc appends a
 * starred copy), moving *s past it; 0 when *s is not an interval (glibc then reads '{' as itself). */
static size_t interval_copies(const char **s) {
        const char *c = *s + 1;
        size_t low = 0, high = 0;
        bool any = false, comma = false;

        for (; *c >= '0' && *c <= '9'; c++, any = true)
                low = saturating_add(saturating_mul(low, 10), (size_t) (*c - '0'));
        if (*c == ',') {
                comma = true;
                for (c++; *c >= '0' && *c <= '9'; c++)
                        high = saturating_add(saturating_mul(high, 10), (size_t) (*c - '0'));
        }
        if (!any || *c != '}')
                return 0;
        *s = c + 1;
        if (!comma)
                return MAX(low, (size_t) 1);
        return MAX(high, saturating_add(low, 1));
}

/* The expansion of the alternation starting at *s, up to the ')' closing it or the end. At the
 * top (depth 0) a ')' closes nothing, and glibc's regcomp() takes it as an ordinary character
 * (POSIX leaves it undefined; "a)b" compiles and matches "a)b"): an atom that a following
 * repetition copies like any other. */
static size_t expansion_of(const char **s, unsigned depth) {
        size_t total = 0, branch = 0, last = 0;

        if (depth > 64)
                return SIZE_MAX;
        while (**s && !(**s == ')' && depth > 0)) {
                const char *c = *s;
                size_t copies;

                switch (*c) {
                case '|':
                        total = saturating_add(total, branch);
                        branch = last = 0;
                        (*s)++;
                        continue;
                case '*':
                case '?':
                        copies = 1;
                        (*s)++;
                        break;
                case '+':
                        copies = 2;
                        (*s)++;
                        break;
                case '{':
                        copies = interval_copies(s);
                        if (copies != 0)
                                break;
                        (*s)++;
                        branch = saturating_add(branch, last = 1);
                        continue;
                case '(':
                        (*s)++;
                        last = saturating_add(expansion_of(s, depth + 1), 1);
                        if (**s == ')')
                                (*s)++;
                        branch = saturating_add(branch, last);
                        continue;
                case '[':
                        skip_bracket(s);
                        branch = saturating_add(branch, last = 1);
                        continue;
                case '\\':
                        *s += c[1] ? 2 : 1;
                        branch = saturating_add(branch, last = 1);
                        continue;
                default:
                        (*s)++;
                        branch = saturating_add(branch, last = 1);
                        continue;
                }
                /* A repetition of the last atom: replace its weight in the branch by the copies. */
                size_t repeated = saturating_mul(last, copies);
                branch = saturating_add(branch - last, repeated);
                last = repeated;
        }
        return saturating_add(total, branch);
}

static size_t pattern_expansion(const char *source) {
        const char *s = source;
        return expansion_of(&s, 0);
}

int pattern_parse(ParseContext *pc, const YamlNode *args, const char *key, Pattern *p) {
        int r = parse_string(pc, args, key, false, &p->source);
        if (r <= 0)
                return r;

        if (pattern_expansion(p->source) > PATTERN_EXPANSION_MAX)
                return parse_error(pc, yaml_node_get(args, key),
                                   "regular expression '%s' in '%s' is too large once its repetitions are expanded "
                                   "(more than %u copies of its parts)",
                                   p->source, key, PATTERN_EXPANSION_MAX);

        /* REG_NEWLINE: ^ and $ match at every line, and . does not run across lines, which is how
         * people read a pattern meant for a configuration file. */
        int k = regcomp(&p->regex, p->source, REG_EXTENDED | REG_NEWLINE);
        if (k != 0) {
                char msg[256];   /* regerror truncates to fit; a message, not a path */
                (void) regerror(k, &p->regex, msg, sizeof(msg));
                return parse_error(pc, yaml_node_get(args, key), "invalid regular expression '%s' in '%s': %s",
                                   p->source, key, msg);
        }
        p->compiled = true;
        return 1;
}

int evidence_printf(char **ret, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(ret, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

int evidence_quote(const char *text, char **ret) {
        size_t len = strcspn(text, "\n");
        bool cut = len > EVIDENCE_LINE_MAX;
        if (asprintf(ret, "%.*s%s", (int) MIN(len, (size_t) EVIDENCE_LINE_MAX), text, cut ? "..." : "") < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* The 1-based line of the first match and that line's text. */
int pattern_find(const Pattern *p, const char *data, unsigned *ret_line, char **ret_text) {
        regmatch_t m;
        if (regexec(&p->regex, data, 1, &m, 0) != 0)
                return 0;

        unsigned line = 1;
        const char *start = data;
        for (const char *c = data; c < data + m.rm_so; c++)
                if (*c == '\n') {
                        line++;
                        start = c + 1;
                }
        int r = evidence_quote(start, ret_text);
        if (r < 0)
                return r;
        *ret_line = line;
        return 1;
}

