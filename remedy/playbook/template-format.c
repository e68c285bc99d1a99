/* SPDX-License-Identifier: MIT */
/*
 * Values placed into a file's format. When a file's content template loads, a small lexer of its
 * format walks the literal text and notes where each {{ reference }} sits: inside a JSON string,
 * a TOML literal string, a YAML plain scalar, one word of a unit file's ExecStart=... When
 * rendering, the value is encoded by the rules of that place (quotes and backslashes escaped, '%'
 * doubled for systemd's specifiers) or refused where no encoding keeps it what it was (a quote in
 * a TOML literal string, a space in an unquoted command-line word). So a value can never close
 * its string and write structure of its own: a second CNI plugin, a new TOML key, a directive.
 *
 * The lexers know what the playbooks' own text needs: strings, comments, keys. They are not
 * parsers; the rendered JSON, TOML and YAML are parsed again as a last check
 * (template_format_check()). This file finds the places, at load; template-encode.c encodes a
 * value for its place, at render.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/playbook.h"

static const char * const format_names[_TEMPLATE_FORMAT_MAX] = {
        [TEMPLATE_FORMAT_TEXT] = "text", [TEMPLATE_FORMAT_JSON] = "json", [TEMPLATE_FORMAT_TOML] = "toml",
        [TEMPLATE_FORMAT_YAML] = "yaml", [TEMPLATE_FORMAT_ENV] = "env",   [TEMPLATE_FORMAT_UNIT] = "unit",
};

const char *template_format_name(TemplateFormat f) {
        return f >= 0 && f < _TEMPLATE_FORMAT_MAX ? format_names[f] : NULL;
}

int template_format_from_string(const char *s) {
        for (int f = 0; f < _TEMPLATE_FORMAT_MAX; f++)
                if (streq(format_names[f], s))
                        return f;
        return -EINVAL;
}

TemplateFormat template_format_for_path(const Template *path) {
        static const char * const unit_suffixes[] = { ".service", ".socket", ".timer",  ".mount", ".automount",
                                                      ".swap",    ".path",   ".target", ".slice", NULL };
        if (!path || path->n_parts == 0)
                return TEMPLATE_FORMAT_TEXT;
        /* The suffix is in the last part when it is literal ("{{ conf_dir }}/zz.conflist"); where
         * the file lies, in the first one. */
        const char *last = path->parts[path->n_parts - 1].literal ?: "", *first = path->parts[0].literal ?: "";

        if (endswith(last, ".json") || endswith(last, ".conflist"))
                return TEMPLATE_FORMAT_JSON;
        if (endswith(last, ".toml"))
                return TEMPLATE_FORMAT_TOML;
        if (endswith(last, ".yaml") || endswith(last, ".yml"))
                return TEMPLATE_FORMAT_YAML;
        if (endswith(last, ".env") || startswith(first, "/etc/default/") || startswith(first, "/etc/sysconfig/"))
                return TEMPLATE_FORMAT_ENV;
        for (const char * const *u = unit_suffixes; *u; u++)
                if (endswith(last, *u))
                        return TEMPLATE_FORMAT_UNIT;
        /* /etc/systemd/system/kubelet.service.d/10-x.conf */
        const char *slash = strrchr(last, '/');
        if (endswith(last, ".conf") && slash && slash - last >= 2 && slash[-1] == 'd' && slash[-2] == '.' &&
            strstr(first, "/systemd/"))
                return TEMPLATE_FORMAT_UNIT;
        return TEMPLATE_FORMAT_TEXT;
}

/* The lexers' state between literal parts: the place the next reference would sit in. */
typedef enum LexState {
        LEX_OUT,              /* outside strings: a value, a key, a plain scalar, a word */
        LEX_DOUBLE,
        LEX_DOUBLE_ESCAPE,    /* right after a backslash in a double-quoted string */
        LEX_OUT_ESCAPE,       /* unit: right after a backslash outside quotes */
        LEX_SINGLE,
        LEX_ML_DOUBLE,        /* TOML """ and ''' strings */
        LEX_ML_SINGLE,
        LEX_COMMENT,
        LEX_BLOCK,            /* YAML: a line of a block scalar's text */
        LEX_KEY,              /* env and unit files: the name before '=', or a [section] line */
} LexState;

typedef struct Lexer {
        TemplateFormat format;
        LexState state;
        bool line_start;      /* nothing but blanks since the last newline */
        bool key;             /* TOML: before '=' on this line, or in a [table] header */
        char prev;            /* the last character outside blanks, for YAML's quote rule */
        char last;            /* the last character */
        char open[32];        /* TOML: the open '{' and '[' of inline tables and arrays */
        size_t n_open;
        bool exec;            /* unit: the setting is an Exec*= one ($ expands) */
        bool words;           /* unit: the setting is split into quoted words (Exec*=, Environment=) */
        char setting[64];     /* unit: the setting's name as read so far */
        size_t setting_len;
        size_t line_indent;   /* YAML: the blanks before the first character of this line */
        bool block_header;    /* YAML: this line ends in a block scalar's header, | or > */
        int block_indent;     /* YAML: the indentation of the block scalar's header line; -1: none */
} Lexer;

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static void lex_newline(Lexer *l) {
        l->line_start = true;
        l->prev = '\n';
        switch (l->format) {
        case TEMPLATE_FORMAT_TOML:
                if (l->state == LEX_COMMENT)
                        l->state = LEX_OUT;
                if (l->state == LEX_OUT && l->n_open == 0)
                        l->key = true;
                break;
        case TEMPLATE_FORMAT_YAML:
                if (l->state == LEX_COMMENT || l->state == LEX_BLOCK)
                        l->state = LEX_OUT;
                if (l->block_header && l->state == LEX_OUT)
                        l->block_indent = (int) l->line_indent;
                l->block_header = false;
                l->line_indent = 0;
                break;
        case TEMPLATE_FORMAT_ENV:
        case TEMPLATE_FORMAT_UNIT:
                /* A unit file's value ending in a backslash goes on on the next line; otherwise
                 * a line starts with a name, and quotes do not span lines. */
                if (l->format == TEMPLATE_FORMAT_UNIT && l->last == '\\' &&
                    (l->state == LEX_OUT || l->state == LEX_OUT_ESCAPE)) {
                        l->state = LEX_OUT;
                        break;
                }
                l->state = LEX_KEY;
                l->setting_len = 0;
                break;
        default:
                break;
        }
        l->last = '\n';
}

static void lex_json(Lexer *l, char c) {
        switch (l->state) {
        case LEX_OUT:
                if (c == '"')
                        l->state = LEX_DOUBLE;
                break;
        case LEX_DOUBLE:
                l->state = c == '\\' ? LEX_DOUBLE_ESCAPE : c == '"' ? LEX_OUT : LEX_DOUBLE;
                break;
        case LEX_DOUBLE_ESCAPE:
                l->state = LEX_DOUBLE;
                break;
        default:
                break;
        }
}

static void lex_toml(Lexer *l, const char *s, size_t *i) {
        char c = s[*i];
        switch (l->state) {
        case LEX_OUT:
                if (c == '#')
                        l->state = LEX_COMMENT;
                else if (startswith(s + *i, "\"\"\"") || startswith(s + *i, "'''")) {
                        l->state = c == '"' ? LEX_ML_DOUBLE : LEX_ML_SINGLE;
                        *i += 2;
                } else if (c == '"')
                        l->state = LEX_DOUBLE;
                else if (c == '\'')
                        l->state = LEX_SINGLE;
                else if (c == '=')
                        l->key = false;
                else if (c == '[' && l->line_start && l->n_open == 0)
                        l->key = true;   /* a [table] header: its names are keys */
                else if ((c == '{' || c == '[') && !l->key) {
                        if (l->n_open < sizeof(l->open))
                                l->open[l->n_open] = c;
                        l->n_open++;
                        l->key = c == '{';
                } else if ((c == '}' || c == ']') && l->n_open > 0)
                        l->n_open--;
                else if (c == ',' && l->n_open > 0 && l->n_open <= sizeof(l->open))
                        l->key = l->open[l->n_open - 1] == '{';
                break;
        case LEX_DOUBLE:
                l->state = c == '\\' ? LEX_DOUBLE_ESCAPE : c == '"' ? LEX_OUT : LEX_DOUBLE;
                break;
        case LEX_DOUBLE_ESCAPE:
                l->state = LEX_DOUBLE;
                break;
        case LEX_SINGLE:
                if (c == '\'')
                        l->state = LEX_OUT;
                break;
        case LEX_ML_DOUBLE:
        case LEX_ML_SINGLE:
                if (startswith(s + *i, l->state == LEX_ML_DOUBLE ? "\"\"\"" : "'''")) {
                        l->state = LEX_OUT;
                        *i += 2;
                }
                break;
        default:
                break;
        }
}

static void lex_yaml(Lexer *l, const char *s, size_t *i) {
        char c = s[*i];

        /* The first character of a line more indented than a block scalar's header ("a: |") is
         * the block's text, to the end of the line: no quotes or comments there. */
        if (l->line_start && !is_blank(c) && l->block_indent >= 0) {
                if (l->line_indent > (size_t) l->block_indent) {
                        l->state = LEX_BLOCK;
                        return;
                }
                l->block_indent = -1;
        }

        switch (l->state) {
        case LEX_OUT:
                /* A quote opens a quoted scalar only where a scalar starts; "it's" is plain. */
                if ((c == '"' || c == '\'') && (l->line_start || is_blank(l->last) || strchr(":-?[{,", l->prev)))
                        l->state = c == '"' ? LEX_DOUBLE : LEX_SINGLE;
                else if (c == '#' && (l->line_start || is_blank(l->last)))
                        l->state = LEX_COMMENT;
                else if ((c == '|' || c == '>') && (is_blank(l->last) || l->line_start))
                        l->block_header = true;
                else if (l->block_header && !is_blank(c) && !strchr("+-0123456789", c))
                        l->block_header = false;
                break;
        case LEX_DOUBLE:
                l->state = c == '\\' ? LEX_DOUBLE_ESCAPE : c == '"' ? LEX_OUT : LEX_DOUBLE;
                break;
        case LEX_DOUBLE_ESCAPE:
                l->state = LEX_DOUBLE;
                break;
        case LEX_SINGLE:
                if (c == '\'') {
                        if (s[*i + 1] == '\'')
                                (*i)++;   /* '' is a quote */
                        else
                                l->state = LEX_OUT;
                }
                break;
        default:
                break;
        }
}

static void lex_env(Lexer *l, char c) {
        switch (l->state) {
        case LEX_KEY:
                if (c == '#' && l->line_start)
                        l->state = LEX_COMMENT;
                else if (c == '=')
                        l->state = LEX_OUT;
                break;
        case LEX_OUT:
                if (c == '"')
                        l->state = LEX_DOUBLE;
                else if (c == '\'')
                        l->state = LEX_SINGLE;
                break;
        case LEX_DOUBLE:
                l->state = c == '\\' ? LEX_DOUBLE_ESCAPE : c == '"' ? LEX_OUT : LEX_DOUBLE;
                break;
        case LEX_DOUBLE_ESCAPE:
                l->state = LEX_DOUBLE;
                break;
        case LEX_SINGLE:
                if (c == '\'')
                        l->state = LEX_OUT;
                break;
        default:
                break;
        }
}

static void lex_unit(Lexer *l, char c) {
        switch (l->state) {
        case LEX_KEY:
                if ((c == '#' || c == ';') && l->line_start)
                        l->state = LEX_COMMENT;
                else if (c == '=') {
                        l->setting[MIN(l->setting_len, sizeof(l->setting) - 1)] = 0;
                        l->exec = startswith(l->setting, "Exec");
                        l->words = l->exec || streq(l->setting, "Environment");
                        l->state = LEX_OUT;
                } else if (!is_blank(c) && l->setting_len < sizeof(l->setting) - 1)
                        l->setting[l->setting_len++] = c;
                break;
        case LEX_OUT:
                if (l->words && c == '"')
                        l->state = LEX_DOUBLE;
                else if (l->words && c == '\'')
                        l->state = LEX_SINGLE;
                else if (l->words && c == '\\')
                        l->state = LEX_OUT_ESCAPE;   /* the next character is escaped, outside quotes too */
                break;
        case LEX_OUT_ESCAPE:
                l->state = LEX_OUT;
                break;
        case LEX_DOUBLE:
                l->state = c == '\\' ? LEX_DOUBLE_ESCAPE : c == '"' ? LEX_OUT : LEX_DOUBLE;
                break;
        case LEX_DOUBLE_ESCAPE:
                l->state = LEX_DOUBLE;
                break;
        case LEX_SINGLE:
                if (c == '\'')
                        l->state = LEX_OUT;
                break;
        default:
                break;
        }
}

static void lex_literal(Lexer *l, const char *s) {
        for (size_t i = 0; s[i]; i++) {
                char c = s[i];
                if (c == '\n' && l->state != LEX_ML_DOUBLE && l->state != LEX_ML_SINGLE &&
                    !(l->format == TEMPLATE_FORMAT_JSON && l->state != LEX_OUT) &&
                    !(l->format == TEMPLATE_FORMAT_YAML && (l->state == LEX_DOUBLE || l->state == LEX_SINGLE))) {
                        lex_newline(l);
                        continue;
                }
                switch (l->format) {
                case TEMPLATE_FORMAT_JSON:
                        lex_json(l, c);
                        break;
                case TEMPLATE_FORMAT_TOML:
                        lex_toml(l, s, &i);
                        break;
                case TEMPLATE_FORMAT_YAML:
                        lex_yaml(l, s, &i);
                        break;
                case TEMPLATE_FORMAT_ENV:
                        lex_env(l, c);
                        break;
                case TEMPLATE_FORMAT_UNIT:
                        lex_unit(l, c);
                        break;
                default:
                        break;
                }
                if (!is_blank(c)) {
                        l->line_start = false;
                        l->prev = c;
                } else if (l->line_start)
                        l->line_indent++;
                l->last = c;
        }
}

/* The slot of a reference met in state l, or -EINVAL with a reason. */
static int lex_slot(const Lexer *l, TemplateSlot *ret, const char **ret_reason) {
        if (l->state == LEX_DOUBLE_ESCAPE || l->state == LEX_OUT_ESCAPE) {
                *ret_reason = "a reference right after a backslash";
                return -EINVAL;
        }
        switch (l->format) {
        case TEMPLATE_FORMAT_JSON:
                *ret = l->state == LEX_DOUBLE ? SLOT_JSON_STRING : SLOT_JSON_BARE;
                return 0;
        case TEMPLATE_FORMAT_TOML:
                switch (l->state) {
                case LEX_DOUBLE:
                        *ret = SLOT_TOML_BASIC;
                        return 0;
                case LEX_SINGLE:
                        *ret = SLOT_TOML_LITERAL;
                        return 0;
                case LEX_OUT:
                        *ret = l->key ? SLOT_TOML_KEY : SLOT_TOML_BARE;
                        return 0;
                case LEX_COMMENT:
                        *ret_reason = "a reference in a TOML comment";
                        return -EINVAL;
                default:
                        *ret_reason = "a reference in a multi-line TOML string (use a one-line \"...\" string)";
                        return -EINVAL;
                }
        case TEMPLATE_FORMAT_YAML:
                if (l->state == LEX_BLOCK ||
                    (l->line_start && l->block_indent >= 0 && l->line_indent > (size_t) l->block_indent)) {
                        *ret = SLOT_TEXT;   /* a block scalar's text is taken as it is */
                        return 0;
                }
                switch (l->state) {
                case LEX_DOUBLE:
                        *ret = SLOT_YAML_DOUBLE;
                        return 0;
                case LEX_SINGLE:
                        *ret = SLOT_YAML_SINGLE;
                        return 0;
                case LEX_COMMENT:
                        *ret_reason = "a reference in a YAML comment";
                        return -EINVAL;
                default:
                        *ret = SLOT_YAML_PLAIN;
                        return 0;
                }
        case TEMPLATE_FORMAT_ENV:
                switch (l->state) {
                case LEX_DOUBLE:
                        *ret = SLOT_ENV_DOUBLE;
                        return 0;
                case LEX_SINGLE:
                        *ret = SLOT_ENV_SINGLE;
                        return 0;
                case LEX_OUT:
                        *ret = SLOT_ENV_BARE;
                        return 0;
                case LEX_COMMENT:
                        *ret_reason = "a reference in an env file's comment";
                        return -EINVAL;
                default:
                        *ret_reason = "a reference in an env file's variable name";
                        return -EINVAL;
                }
        case TEMPLATE_FORMAT_UNIT:
                switch (l->state) {
                case LEX_OUT:
                        *ret = !l->words ? SLOT_UNIT_VALUE : l->exec ? SLOT_UNIT_WORD : SLOT_UNIT_ENV_WORD;
                        return 0;
                case LEX_DOUBLE:
                        *ret = l->exec ? SLOT_UNIT_WORD_DOUBLE : SLOT_UNIT_ENV_DOUBLE;
                        return 0;
                case LEX_SINGLE:
                        *ret = l->exec ? SLOT_UNIT_WORD_SINGLE : SLOT_UNIT_ENV_SINGLE;
                        return 0;
                case LEX_COMMENT:
                        *ret = SLOT_TEXT;   /* the rest of the line is the comment's, whatever it says */
                        return 0;
                default:
                        *ret_reason = "a reference in a unit file's section header or setting name";
                        return -EINVAL;
                }
        default:
                *ret = SLOT_TEXT;
                return 0;
        }
}

int template_format_scan(Template *t, const char **ret_reason) {
        Lexer l = {
                .format = t->format,
                .line_start = true,
                .key = true,
                .prev = '\n',
                .last = '\n',
                .block_indent = -1,
                .state = t->format == TEMPLATE_FORMAT_ENV || t->format == TEMPLATE_FORMAT_UNIT ? LEX_KEY : LEX_OUT,
        };

        for (size_t i = 0; i < t->n_parts; i++) {
                TemplatePart *part = &t->parts[i];
                if (part->literal) {
                        lex_literal(&l, part->literal);
                        continue;
                }
                int r = lex_slot(&l, &part->slot, ret_reason);
                if (r < 0)
                        return r;
                if (l.format == TEMPLATE_FORMAT_YAML && part->slot == SLOT_TEXT)
                        l.state = LEX_BLOCK;   /* the rest of the line is the block's text too */
                /* The value stands where the reference was: for what follows, something was
                 * written here. */
                l.line_start = false;
                l.prev = l.last = 'x';
        }
        return 0;
}
