/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Playbooks: the validated, in-memory form of a playbook YAML file (docs/playbooks.md describes
 * the language). playbook_load() validates everything that can be validated without the node:
 * keys, types, actions and their arguments, parameter declarations and every {{ param }}
 * reference. Errors come back as "FILE:LINE:COLUMN: reason" and -EINVAL (exit status 2).
 *
 * Values given with --set are checked against their declared type by param_values_new(); values
 * are substituted into templates while planning (template_render()), where a value that would
 * break the target format (a newline in a one-line field, a relative path) is refused.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "remedy/hash.h"
#include "remedy/edit-value.h"
#include "remedy/macro.h"
#include "remedy/yaml-node.h"

typedef struct ActionType ActionType;
typedef struct CheckType CheckType;
typedef struct Condition Condition;

typedef enum ParamType {
        PARAM_STRING,
        PARAM_BOOL,
        PARAM_INT,
        PARAM_DURATION,     /* systemd-style: "15s", "1min 30s", "0"; its value is written as seconds ("90s") */
        PARAM_PATH,         /* absolute node path */
        PARAM_ENUM,
        PARAM_CIDR,         /* an IPv4 or IPv6 subnet, ADDRESS/PREFIX, host bits zero */
        _PARAM_TYPE_MAX,
} ParamType;

typedef struct Param {
        char *name;
        ParamType type;
        char *default_value;   /* NULL: the parameter is required */
        char **choices;        /* enum */
        char *description;
        char *from;            /* a node fact the value comes from unless --set ("containerd.cni.conf_dir") */
        Mark mark;
} Param;

/* The file format a multi-line template (a file's or drop-in's content) is written in: a value is
 * encoded by that format's rules where its reference sits, or refused (template-format.c). */
typedef enum TemplateFormat {
        TEMPLATE_FORMAT_TEXT,   /* unknown: values go in as the one-line text they are */
        TEMPLATE_FORMAT_JSON,
        TEMPLATE_FORMAT_TOML,
        TEMPLATE_FORMAT_YAML,
        TEMPLATE_FORMAT_ENV,    /* KEY=VALUE lines, as systemd's EnvironmentFile= and sh read them */
        TEMPLATE_FORMAT_UNIT,   /* a systemd unit file or drop-in */
        _TEMPLATE_FORMAT_MAX,
} TemplateFormat;

/* Where in its format a reference sits, found when the template loads. */
typedef enum TemplateSlot {
        SLOT_TEXT,
        SLOT_JSON_STRING,       /* "...{{ x }}..." */
        SLOT_JSON_BARE,         /* "mtu": {{ x }} */
        SLOT_TOML_BASIC,        /* key = "{{ x }}" */
        SLOT_TOML_LITERAL,      /* key = '{{ x }}' */
        SLOT_TOML_KEY,          /* {{ x }} = 1, [a.{{ x }}] */
        SLOT_TOML_BARE,         /* key = {{ x }} */
        SLOT_YAML_DOUBLE,
        SLOT_YAML_SINGLE,
        SLOT_YAML_PLAIN,
        SLOT_ENV_DOUBLE,        /* K="{{ x }}" */
        SLOT_ENV_SINGLE,        /* K='{{ x }}' */
        SLOT_ENV_BARE,          /* K={{ x }} */
        SLOT_UNIT_VALUE,        /* Description={{ x }}: the rest of the line */
        SLOT_UNIT_WORD,         /* ExecStart=/bin/sleep {{ x }}: one word of a command line */
        SLOT_UNIT_WORD_DOUBLE,  /* ExecStart=/bin/echo "{{ x }}" */
        SLOT_UNIT_WORD_SINGLE,  /* ExecStart=/bin/echo '{{ x }}' */
        SLOT_UNIT_ENV_WORD,     /* Environment=A={{ x }}: as above, without $ expansion */
        SLOT_UNIT_ENV_DOUBLE,
        SLOT_UNIT_ENV_SINGLE,
} TemplateSlot;

/* One {{ param }} reference or literal run inside a template. */
typedef struct TemplatePart {
        char *literal;      /* NULL for a reference */
        const Param *param; /* for a reference */
        TemplateSlot slot;  /* for a reference */
} TemplatePart;

typedef enum TemplateFlags {
        TEMPLATE_MULTILINE = 1 << 0,   /* newlines allowed in the rendered value (file contents) */
        TEMPLATE_PATH      = 1 << 1,   /* must render to an absolute normalised path */
        TEMPLATE_GLOB      = 1 << 2,   /* a path that may hold * ? [ ] in its last component */
} TemplateFlags;

typedef struct Template {
        TemplatePart *parts;
        size_t n_parts;
        TemplateFlags flags;
        const char *what;   /* what the value goes into, for errors: "a TOML value", "a path" */
        TemplateFormat format;
        Mark mark;
        bool plain;         /* the YAML scalar was plain (unquoted) */
} Template;

typedef struct ParamValues ParamValues;

/* The state shared by the parsers of a playbook: the parameters declared so far and the first
 * error. */
typedef struct ParseContext {
        const char *file;
        const Param *params;
        size_t n_params;
        char *error;        /* "FILE:LINE:COLUMN: reason", the first error only */
} ParseContext;

/* Records an error at node's position (the first one wins) and returns -EINVAL. */
int parse_error(ParseContext *pc, const YamlNode *node, const char *fmt, ...) _printf_(3, 4);
int parse_error_at(ParseContext *pc, Mark mark, const char *fmt, ...) _printf_(3, 4);

/* Fails (and records an error) unless node is a mapping whose keys are all in allowed (NULL
 * terminated). */
int parse_check_keys(ParseContext *pc, const YamlNode *node, const char *what, const char * const *allowed);

/*
 * Typed getters for the arguments of actions, conditions and checks. They return 0 when the key is
 * absent and optional (leaving *ret untouched), 1 when set, negative errno (with an error
 * recorded) when the key is required and missing or has the wrong type.
 */
int parse_template(ParseContext *pc, const YamlNode *map, const char *key, bool required, TemplateFlags flags,
                   const char *what, Template **ret);
/* The `value:` (a template) and `type:` (string, bool, int) of a step that sets one scalar
 * (typed-value.c). Without type:, a plain true/false is a bool, a plain integer an int, "{{ p }}"
 * alone the type of a bool or int parameter, anything else a string; a plain value YAML
 * versions read differently (yes, 1.5) is refused. action names the step in errors. */
int typed_value_parse(ParseContext *pc, const YamlNode *args, const char *action, Template **ret_value,
                      EditValueType *ret_type);

/* A template's text when it has no parameters in it ("" for an empty one), else NULL: what can
 * be checked when the playbook loads. */
const char *template_literal(const Template *t);

/* The string scalar at key itself, for getters built on this one (parse_template). */
int parse_scalar(ParseContext *pc, const YamlNode *map, const char *key, bool required, const YamlNode **ret);
int parse_bool(ParseContext *pc, const YamlNode *map, const char *key, bool required, bool *ret);
int parse_string(ParseContext *pc, const YamlNode *map, const char *key, bool required, char **ret);
int parse_string_list(ParseContext *pc, const YamlNode *map, const char *key, bool required, char ***ret);
/* An octal mode written as a string or plain scalar ("0644", 0644, "644"). */
int parse_mode(ParseContext *pc, const YamlNode *map, const char *key, bool required, mode_t *ret);

Template *template_free(Template *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Template *, template_free);
/* Compiles a scalar with {{ name }} references to declared params. */
int template_parse(ParseContext *pc, const YamlNode *scalar, TemplateFlags flags, const char *what, Template **ret);
/* The same for the content of a file in format: each reference's place in the format is found
 * now, and a reference where no value could be written safely (a comment, a key name of a unit
 * file, a multi-line TOML string, after a backslash) is an error. */
int template_parse_format(ParseContext *pc, const YamlNode *scalar, TemplateFlags flags, TemplateFormat format,
                          const char *what, Template **ret);
int parse_template_format(ParseContext *pc, const YamlNode *map, const char *key, bool required, TemplateFlags flags,
                          TemplateFormat format, const char *what, Template **ret);
const char *template_format_name(TemplateFormat f);
int template_format_from_string(const char *s);
/* The format a file's path says (a literal suffix: .json/.conflist, .toml, .yaml/.yml, .env,
 * unit suffixes and systemd drop-in .conf files; /etc/default and /etc/sysconfig files are env
 * files), else TEMPLATE_FORMAT_TEXT. */
TemplateFormat template_format_for_path(const Template *path);
/* Finds the slot of every reference of t (template-format.c); -EINVAL with *ret_reason. */
int template_format_scan(Template *t, const char **ret_reason);
/* value encoded for slot (a new string), or -EINVAL with a reason that does not quote the value. */
int template_slot_encode(TemplateSlot slot, const Param *param, const char *value, char **ret, const char **ret_reason);
/* The whole rendered text still reads as its format where that can be checked (JSON, TOML,
 * YAML). */
int template_format_check(TemplateFormat format, const char *text, const char **ret_reason);

/* The single parameter a template consists of ("{{ x }}" alone), or NULL. */
const Param *template_sole_param(const Template *t);

/*
 * Substitutes parameter values. A value that breaks the template's flags (a newline in a one-line
 * field, a NUL, a relative path) is refused with -EINVAL and *ret_error set to
 * "FILE:LINE:COLUMN: reason".
 */
int template_render(const Template *t, const ParamValues *values, char **ret, char **ret_error);

typedef struct Step {
        char *name;
        Condition *when;              /* NULL: always */
        const ActionType *action;
        void *args;                   /* owned, freed with action->free_args */
        const YamlNode *node;         /* the action's arguments as written, for `show` */
        Mark mark;
} Step;

typedef struct Check {
        const CheckType *type;
        void *args;
        const YamlNode *node;
        Mark mark;
} Check;

/*
 * How far a playbook may go without an operator (FAILURES.md's classes A, C and R): `fix`
 * applies auto ones, confirm ones only with --yes or after asking on a terminal, and never
 * report ones, which only name the failure and advise. `apply NAME` is the operator's own choice
 * whatever the class. Ordered from the most to the least permissive.
 */
typedef enum PlaybookSafety {
        PLAYBOOK_SAFETY_AUTO,
        PLAYBOOK_SAFETY_CONFIRM,
        PLAYBOOK_SAFETY_REPORT,
        _PLAYBOOK_SAFETY_MAX,
} PlaybookSafety;

const char *playbook_safety_to_string(PlaybookSafety s);

typedef struct Playbook {
        char *name;
        char *summary;
        char *description;
        char *advice;                 /* what the operator should do around it ("drain the node first"):
                                       * shown by show, plan and apply */
        char **references;
        PlaybookSafety safety;        /* safety:, confirm when not given */
        Param *params;
        size_t n_params;
        Step *steps;
        size_t n_steps;
        Check *checks;                /* verify: */
        size_t n_checks;
        Condition *match;             /* match: how diagnose recognises the failure; NULL: never */
        const YamlNode *match_node;   /* as written, for evidence and `show` */
        char *path;                   /* the file it was loaded from */
        char sha256[SHA256_HEX_SIZE]; /* of the file's bytes */
        YamlDocument *document;       /* kept: steps point into it */
} Playbook;

/*
 * Loads and validates one playbook file. On invalid input returns -EINVAL (or -EBADMSG for YAML
 * syntax) with *ret_error = "FILE:LINE:COLUMN: reason".
 */
int playbook_load(const char *path, Playbook **ret, char **ret_error);
int playbook_load_data(const char *file, const char *data, size_t size, Playbook **ret, char **ret_error);
Playbook *playbook_free(Playbook *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Playbook *, playbook_free);

const Param *playbook_find_param(const Playbook *p, const char *name);

/* The loader's helpers for the params: mapping (remedy/param.c). A null node is no parameters. */
int params_parse(ParseContext *pc, const YamlNode *node, Param **ret, size_t *ret_n);
void params_free(Param *params, size_t n);
const char *param_type_name(ParamType t);

/* Checks a value against a parameter's type; on failure returns -EINVAL with a reason ("not a
 * boolean", "must be one of a, b") in *ret_reason. */
int param_check_value(const Param *p, const char *value, char **ret_reason);
/* Every value is one line of printable UTF-8: no C0 or C1 control character (newline, tab, ESC),
 * no DEL, no U+2028/U+2029. On failure -EINVAL and a reason that does not quote the value
 * ("not one line of printable text: it has a control character (U+001B) at byte 4"). */
int param_text_check(const char *value, char **ret_reason);
/* The value as it is substituted: a duration as seconds ("1min 30s" -> "90s", "500ms" -> "0.5s"),
 * anything else as given. value must have passed param_check_value(). */
int param_value_canonical(const Param *p, const char *value, char **ret);
/* A systemd time span ("15s", "1min 30s", "infinity" = UINT64_MAX) in µs: 0, -EINVAL or -ERANGE. */
int duration_parse(const char *s, uint64_t *ret_usec);

/*
 * The values of a playbook's parameters: its defaults overridden by assignments "KEY=VALUE"
 * (--set). Unknown keys, missing required values and values of the wrong type are refused with
 * -EINVAL and a one-line *ret_error naming the playbook file (and line of the declaration).
 */
int param_values_new(const Playbook *p, char * const *assignments, ParamValues **ret, char **ret_error);
/* The declared defaults only, required parameters left unset: what diagnose evaluates a
 * playbook's match: with (a template naming an unset parameter fails to render). */
int param_values_defaults(const Playbook *p, ParamValues **ret);
/*
 * Parameters declared with `from: FACT` and not given with --set take the node's value of FACT
 * (fn returns it; -ENODATA keeps the default). A fact the node cannot give (its file does not
 * parse) or a value of the wrong type is -EINVAL with *ret_error.
 */
typedef int (*ParamFactFn)(void *userdata, const char *fact, char **ret, char **ret_error);
/* The facts `from:` can name: "containerd.cni.conf_dir", "containerd.cni.bin_dir" (its first bin dir). */
bool param_fact_is_known(const char *name);
int param_values_fill_facts(const Playbook *p, ParamValues *v, ParamFactFn fn, void *userdata, char **ret_error);
ParamValues *param_values_free(ParamValues *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(ParamValues *, param_values_free);
const char *param_values_get(const ParamValues *v, const char *name);
/* Names and values in declaration order, for manifests and reports. */
size_t param_values_count(const ParamValues *v);
const char *param_values_name(const ParamValues *v, size_t i);
const char *param_values_value(const ParamValues *v, size_t i);

/*
 * The playbook search path. dirs (from --playbooks) replaces the default
 * "ROOT-less" list /usr/share/remedy/playbooks, /etc/remedy/playbooks; later directories win for
 * the same name. Running as root, a directory or file that is not root-owned or is group- or
 * world-writable is refused (as doas does with its config): anyone who can write a playbook can
 * make remedy change any file.
 *
 * One broken playbook does not keep the others from loading: it stays in the set as an error
 * entry, so that `list` can show it and `plan NAME` can report its error. Its name is its name:
 * key when the file parses that far, else the file name without ".yaml". A later directory's
 * entry replaces an earlier one of the same name whether either is valid or broken (an admin's
 * broken override must not silently fall back to the shipped playbook); two files of the same
 * name in one directory are an error entry for that name.
 */
typedef struct PlaybookError {
        char *name;
        char *path;
        char *error;        /* one line: "FILE:LINE:COLUMN: reason" or "FILE: reason" */
} PlaybookError;

typedef struct PlaybookSet {
        Playbook **items;          /* valid playbooks, sorted by name */
        size_t n_items;
        PlaybookError *errors;     /* broken ones, sorted by name; a name is never in both */
        size_t n_errors;
} PlaybookSet;

/*
 * dirs NULL means the default directories, which may be missing; a directory given in dirs must
 * exist. Returns -EPERM (root: a directory others can write to), -ENOENT, ... with *ret_error
 * set for problems with a directory; problems with a file become error entries.
 */
int playbook_set_load(char * const *dirs, PlaybookSet **ret, char **ret_error);
PlaybookSet *playbook_set_free(PlaybookSet *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(PlaybookSet *, playbook_set_free);
Playbook *playbook_set_find(const PlaybookSet *s, const char *name);
const PlaybookError *playbook_set_find_error(const PlaybookSet *s, const char *name);

/* [a-z0-9-]+, at most 64 characters. */
bool playbook_name_is_valid(const char *s);
