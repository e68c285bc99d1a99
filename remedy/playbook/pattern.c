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

int pattern_parse(ParseContext *pc, const YamlNode *args, const char *key, Pattern *p) {
        int r = parse_string(pc, args, key, false, &p->source);
        if (r <= 0)
                return r;

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

