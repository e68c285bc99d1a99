/* SPDX-License-Identifier: MIT */
/*
 * A parameter's value encoded for the place its reference sits in (the TemplateSlot that
 * template-format.c's lexers found when the template loaded): escaped by that format's rules, or
 * refused with the reason; and the rendered file parsed once more by its format's own parser.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/playbook.h"
#include "remedy/toml-edit.h"

/* s with each character of `special` preceded by a backslash, and each '%' (and '$' if
 * dollar) doubled for systemd. */
static int escape(const char *s, const char *special, bool percent, bool dollar, char **ret) {
        size_t n = 0;
        for (const char *p = s; *p; p++)
                n += 1 + (strchr(special, *p) || (percent && *p == '%') || (dollar && *p == '$'));
        char *out = malloc(n + 1), *o = out;
        if (!out)
                return -ENOMEM;
        for (const char *p = s; *p; p++) {
                if ((percent && *p == '%') || (dollar && *p == '$'))
                        *o++ = *p;
                else if (strchr(special, *p))
                        *o++ = '\\';
                *o++ = *p;
        }
        *o = 0;
        *ret = out;
        return 0;
}

static bool json_number_is_valid(const char *s) {
        const char *p = s + (*s == '-');
        if (*p == '0')
                p++;
        else if (*p >= '1' && *p <= '9')
                p += strspn(p, "0123456789");
        else
                return false;
        if (*p == '.') {
                size_t n = strspn(p + 1, "0123456789");
                if (n == 0)
                        return false;
                p += 1 + n;
        }
        if (*p == 'e' || *p == 'E') {
                p++;
                p += *p == '+' || *p == '-';
                size_t n = strspn(p, "0123456789");
                if (n == 0)
                        return false;
                p += n;
        }
        return *p == 0;
}

/* A decimal integer in the canonical form TOML and YAML 1.1 both read as that number ("010"
 * is octal to YAML 1.1 and an error to TOML: written "10"). */
static int integer_canonical(const char *s, char **ret) {
        EditValue v = { .type = EDIT_VALUE_INT, .text = s };
        if (edit_value_check(&v) < 0)
                return -EINVAL;
        return edit_value_yaml_format(&v, EDIT_YAML_PLAIN, false, ret);
}

static bool is_bool(const char *s) {
        return streq(s, "true") || streq(s, "false");
}

int template_slot_encode(TemplateSlot slot, const Param *param, const char *value, char **ret, const char **ret_reason) {
        switch (slot) {
        case SLOT_JSON_STRING:
        case SLOT_TOML_BASIC:
        case SLOT_YAML_DOUBLE:
                /* Control characters never reach here (param_text_check()): quote and backslash
                 * are all that a JSON string, a TOML basic string and a YAML double-quoted
                 * scalar must escape. */
                return escape(value, "\"\\", false, false, ret);
        case SLOT_JSON_BARE:
                if (is_bool(value) || streq(value, "null") || json_number_is_valid(value))
                        break;
                if (param->type == PARAM_INT && integer_canonical(value, ret) >= 0)
                        return 0;   /* "010" is ten to an int parameter, and JSON writes it 10 */
                *ret_reason = "not a JSON number, true, false or null: quote the reference in the playbook (\"{{ x }}\")";
                return -EINVAL;
        case SLOT_TOML_LITERAL:
                if (!strchr(value, '\''))
                        break;
                *ret_reason = "not writable in a TOML literal string ('...'), which cannot hold a quote: "
                              "use a basic string (\"...\") in the playbook";
                return -EINVAL;
        case SLOT_TOML_KEY:
                if (*value && strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
                                      strlen(value))
                        break;
                *ret_reason = "not a TOML bare key (letters, digits, '_' and '-'): quote the reference in the playbook";
                return -EINVAL;
        case SLOT_TOML_BARE:
                if (is_bool(value))
                        break;
                if (integer_canonical(value, ret) >= 0)
                        return 0;
                *ret_reason = "not a TOML integer or boolean: quote the reference in the playbook (\"{{ x }}\")";
                return -EINVAL;
        case SLOT_YAML_SINGLE: {
                /* '' is the only escape of a single-quoted scalar. */
                size_t quotes = 0;
                for (const char *p = value; *p; p++)
                        quotes += *p == '\'';
                char *out = malloc(strlen(value) + quotes + 1), *o = out;
                if (!out)
                        return -ENOMEM;
                for (const char *p = value; *p; p++) {
                        if (*p == '\'')
                                *o++ = '\'';
                        *o++ = *p;
                }
                *o = 0;
                *ret = out;
                return 0;
        }
        case SLOT_YAML_PLAIN: {
                if (param->type == PARAM_BOOL && is_bool(value))
                        break;
                if (param->type == PARAM_INT && integer_canonical(value, ret) >= 0)
                        return 0;
                /* A string goes unquoted only when YAML 1.1 and 1.2 both read it back as the same
                 * string, wherever the plain scalar stands (a flow collection included). */
                _cleanup_free_ char *plain = NULL;
                EditValue v = { .type = EDIT_VALUE_STRING, .text = value };
                int r = edit_value_yaml_format(&v, EDIT_YAML_PLAIN, true, &plain);
                if (r < 0)
                        return r;
                if (streq(plain, value))
                        break;
                *ret_reason = "not a string YAML writes unquoted (it would read as another type, or holds ': ', "
                              "' #' or an indicator): quote the reference in the playbook (\"{{ x }}\")";
                return -EINVAL;
        }
        case SLOT_ENV_DOUBLE:
                /* Inside double quotes systemd's EnvironmentFile= and sh both take these four
                 * escaped, and only sh expands $ and ` unescaped. */
                return escape(value, "\"\\$`", false, false, ret);
        case SLOT_ENV_SINGLE:
                if (!strchr(value, '\'') && !strchr(value, '\\'))
                        break;
                *ret_reason = "not writable in single quotes in an env file (it has a quote or backslash): "
                              "use double quotes in the playbook";
                return -EINVAL;
        case SLOT_ENV_BARE:
                if (strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:,+=@%^-") ==
                    strlen(value))
                        break;
                *ret_reason = "not writable unquoted in an env file (it has a space, quote or shell character): "
                              "quote the reference in the playbook (\"{{ x }}\")";
                return -EINVAL;
        case SLOT_UNIT_VALUE:
                /* A trailing backslash would join the next line to this setting. */
                if (!endswith(value, "\\"))
                        return escape(value, "", true, false, ret);
                *ret_reason = "not writable at the end of a unit file's value: it ends in a backslash, which would "
                              "continue the line";
                return -EINVAL;
        case SLOT_UNIT_WORD:
        case SLOT_UNIT_ENV_WORD:
                if (!strpbrk(value, " \"'\\") && !streq(value, ";"))
                        return escape(value, "", true, slot == SLOT_UNIT_WORD, ret);
                *ret_reason = "not one word of a unit file's command line (it has a space, quote or backslash): "
                              "quote the reference in the playbook (\"{{ x }}\")";
                return -EINVAL;
        case SLOT_UNIT_WORD_DOUBLE:
        case SLOT_UNIT_ENV_DOUBLE:
                return escape(value, "\"\\", true, slot == SLOT_UNIT_WORD_DOUBLE, ret);
        case SLOT_UNIT_WORD_SINGLE:
        case SLOT_UNIT_ENV_SINGLE:
                if (!strchr(value, '\'') && !strchr(value, '\\'))
                        return escape(value, "", true, slot == SLOT_UNIT_WORD_SINGLE, ret);
                *ret_reason = "not writable in single quotes in a unit file (it has a quote or backslash): "
                              "use double quotes in the playbook";
                return -EINVAL;
        case SLOT_TEXT:
        default:
                break;
        }

        *ret = strdup(value);
        return *ret ? 0 : -ENOMEM;
}

int template_format_check(TemplateFormat format, const char *text, const char **ret_reason) {
        size_t len = strlen(text);

        if (format == TEMPLATE_FORMAT_TOML) {
                _cleanup_free_ char *error = NULL;
                int r = toml_edit_check(text, len, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        *ret_reason = "is not TOML once the parameters are in";
                        return -EINVAL;
                }
                return 0;
        }
        if (format == TEMPLATE_FORMAT_YAML) {
                _cleanup_free_ char *error = NULL;
                YamlDocument *doc = NULL;
                int r = yaml_document_parse("", text, len, &doc, &error);
                yaml_document_free(doc);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        *ret_reason = "is not YAML once the parameters are in";
                        return -EINVAL;
                }
                return 0;
        }
        if (format != TEMPLATE_FORMAT_JSON)
                return 0;

        json_tokener *tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        json_object *o = json_tokener_parse_ex(tok, text, (int) len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_object_put(o);
        json_tokener_free(tok);
        if (e != json_tokener_success || strspn(text + end, " \t\r\n") != len - end) {
                *ret_reason = "is not JSON once the parameters are in";
                return -EINVAL;
        }
        return 0;
}
