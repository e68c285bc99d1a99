/* SPDX-License-Identifier: MIT */
/*
 * Playbook files: YamlNode tree in, validated Playbook out. Every check that does not need the
 * node happens here, so that a mistake in a playbook is reported when it loads, with its
 * position, and never halfway through an apply.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "remedy/action.h"
#include "remedy/fileio.h"
#include "remedy/playbook.h"
#include "remedy/strv.h"

#define PLAYBOOK_NAME_MAX 64

static void step_done(Step *s) {
        free(s->name);
        condition_free(s->when);
        if (s->args && s->action && s->action->free_args)
                s->action->free_args(s->args);
}

static void check_done(Check *c) {
        if (c->args && c->type && c->type->free_args)
                c->type->free_args(c->args);
}

Playbook *playbook_free(Playbook *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_steps; i++)
                step_done(&p->steps[i]);
        free(p->steps);
        for (size_t i = 0; i < p->n_checks; i++)
                check_done(&p->checks[i]);
        free(p->checks);
        condition_free(p->match);
        params_free(p->params, p->n_params);
        free(p->name);
        free(p->summary);
        free(p->description);
        free(p->advice);
        strv_free(p->references);
        free(p->path);
        yaml_document_free(p->document);
        free(p);
        return NULL;
}

/* "file, dropin, remove, ...": for "expected ..." in errors. */
static char *action_keys_list(void) {
        size_t len = 1;
        for (const ActionType * const *t = action_types; *t; t++)
                len += strlen((*t)->key) + 2;
        char *s = malloc(len), *e = s;
        if (!s)
                return NULL;
        *e = 0;
        for (const ActionType * const *t = action_types; *t; t++)
                e = stpcpy(stpcpy(e, t == action_types ? "" : ", "), (*t)->key);
        return s;
}

static char *check_keys_list(void) {
        size_t len = 1;
        for (const CheckType * const *t = check_types; *t; t++)
                len += strlen((*t)->key) + 2;
        char *s = malloc(len), *e = s;
        if (!s)
                return NULL;
        *e = 0;
        for (const CheckType * const *t = check_types; *t; t++)
                e = stpcpy(stpcpy(e, t == check_types ? "" : ", "), (*t)->key);
        return s;
}

static int step_parse(ParseContext *pc, const YamlNode *node, Step *step) {
        const YamlNode *action_key = NULL, *action_args = NULL;
        int r;

        if (node->type != YAML_NODE_MAPPING)
                return parse_error(pc, node, "a step must be a mapping with name: and one action, got a %s",
                                   yaml_node_type_name(node->type));
        step->mark = node->mark;

        for (size_t i = 0; i < node->n_pairs; i++) {
                const YamlNode *key = node->pairs[i].key, *value = node->pairs[i].value;

                if (streq(key->scalar, "name") || streq(key->scalar, "when"))
                        continue;
                const ActionType *type = action_type_find(key->scalar);
                if (!type) {
                        _cleanup_free_ char *list = action_keys_list();
                        if (!list)
                                return -ENOMEM;
                        return parse_error(pc, key, "unknown key '%s' in step (expected name, when, or one action: %s)",
                                           key->scalar, list);
                }
                if (action_key)
                        return parse_error(pc, key, "step has two actions, '%s' and '%s': write one step per action",
                                           action_key->scalar, key->scalar);
                action_key = key;
                action_args = value;
                step->action = type;
        }

        r = parse_string(pc, node, "name", false, &step->name);
        if (r < 0)
                return r;
        if (r == 0)
                return parse_error(pc, node, "step has no name: say in name: what it does");
        if (!action_key) {
                _cleanup_free_ char *list = action_keys_list();
                if (!list)
                        return -ENOMEM;
                return parse_error(pc, node, "step '%s' has no action (expected one of: %s)", step->name, list);
        }

        const YamlNode *when = yaml_node_get(node, "when");
        if (when && (r = condition_parse(pc, when, &step->when)) < 0)
                return r;

        step->node = action_args;
        r = step->action->parse(pc, action_args, &step->args);
        if (r < 0)
                return r == -ENOMEM ? r : parse_error(pc, action_args, "invalid arguments for '%s'", action_key->scalar);
        return 0;
}

static int check_parse(ParseContext *pc, const YamlNode *node, Check *check) {
        if (node->type != YAML_NODE_MAPPING || node->n_pairs != 1)
                return parse_error(pc, node, "a verify entry must be a mapping with exactly one check, such as "
                                   "file: {path: ..., contains: ...}");

        const YamlNode *key = node->pairs[0].key, *args = node->pairs[0].value;
        check->type = check_type_find(key->scalar);
        if (!check->type) {
                _cleanup_free_ char *list = check_keys_list();
                if (!list)
                        return -ENOMEM;
                return parse_error(pc, key, "unknown check '%s' (expected one of: %s)", key->scalar, list);
        }
        check->node = args;
        check->mark = node->mark;
        int r = check->type->parse(pc, args, &check->args);
        if (r < 0)
                return r == -ENOMEM ? r : parse_error(pc, args, "invalid arguments for check '%s'", key->scalar);
        return 0;
}

bool playbook_name_is_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > PLAYBOOK_NAME_MAX)
                return false;
        for (const char *c = s; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
                        return false;
        return true;
}

static const char * const safety_names[_PLAYBOOK_SAFETY_MAX] = {
        [PLAYBOOK_SAFETY_AUTO] = "auto",
        [PLAYBOOK_SAFETY_CONFIRM] = "confirm",
        [PLAYBOOK_SAFETY_REPORT] = "report",
};

const char *playbook_safety_to_string(PlaybookSafety s) {
        return s >= 0 && s < _PLAYBOOK_SAFETY_MAX ? safety_names[s] : NULL;
}

/* Unclassified playbooks (an operator's own) are confirm: never run unattended by accident. */
static int safety_parse(ParseContext *pc, const YamlNode *root, PlaybookSafety *ret) {
        const YamlNode *n = yaml_node_get(root, "safety");
        *ret = PLAYBOOK_SAFETY_CONFIRM;
        if (!n)
                return 0;
        if (n->type == YAML_NODE_SCALAR)
                for (PlaybookSafety s = 0; s < _PLAYBOOK_SAFETY_MAX; s++)
                        if (streq(n->scalar, safety_names[s])) {
                                *ret = s;
                                return 0;
                        }
        return parse_error(pc, n, "safety must be one of auto, confirm, report");
}

static int playbook_parse(ParseContext *pc, const YamlNode *root, Playbook *p) {
        static const char * const keys[] = {
                "name", "summary", "description", "advice", "references", "safety", "params", "match", "steps", "verify",
                NULL,
        };
        int r;

        if (!root)
                return parse_error(pc, NULL, "empty playbook: it needs at least name: and steps:");
        r = parse_check_keys(pc, root, "a playbook", keys);
        if (r < 0)
                return r;

        r = parse_string(pc, root, "name", true, &p->name);
        if (r < 0)
                return r;
        if (!playbook_name_is_valid(p->name))
                return parse_error(pc, yaml_node_get(root, "name"),
                                   "playbook name '%s' must be 1 to %u lowercase letters, digits and '-'", p->name,
                                   PLAYBOOK_NAME_MAX);
        if ((r = parse_string(pc, root, "summary", false, &p->summary)) < 0)
                return r;
        if (p->summary && strpbrk(p->summary, "\r\n"))
                return parse_error(pc, yaml_node_get(root, "summary"), "summary must be one line");
        if ((r = parse_string(pc, root, "description", false, &p->description)) < 0)
                return r;
        if ((r = parse_string(pc, root, "advice", false, &p->advice)) < 0)
                return r;
        if ((r = parse_string_list(pc, root, "references", false, &p->references)) < 0)
                return r;
        if ((r = safety_parse(pc, root, &p->safety)) < 0)
                return r;

        /* Parameters first, wherever they are written: the templates of the steps refer to them. */
        r = params_parse(pc, yaml_node_get(root, "params"), &p->params, &p->n_params);
        if (r < 0)
                return r;
        pc->params = p->params;
        pc->n_params = p->n_params;

        /* A report-only playbook may have no steps: its match and advice are the whole of it. */
        const YamlNode *steps = yaml_node_get(root, "steps");
        if (!steps && p->safety != PLAYBOOK_SAFETY_REPORT)
                return parse_error(pc, root, "missing required key 'steps' (only a playbook with safety: report "
                                             "may have none)");
        if (steps && steps->type != YAML_NODE_SEQUENCE)
                return parse_error(pc, steps, "steps must be a list of steps");
        if (steps && steps->n_items == 0)
                return parse_error(pc, steps, "steps must list at least one step");
        if (!steps && !p->advice)
                return parse_error(pc, root, "a playbook with safety: report and no steps needs advice: it is "
                                             "all the operator gets");
        p->steps = calloc(steps ? steps->n_items : 1, sizeof(Step));
        if (!p->steps)
                return -ENOMEM;
        for (size_t i = 0; steps && i < steps->n_items; i++) {
                p->n_steps++;
                r = step_parse(pc, steps->items[i], &p->steps[i]);
                if (r < 0)
                        return r;
        }

        const YamlNode *match = yaml_node_get(root, "match");
        if (match && !yaml_node_is_null(match)) {
                if ((r = condition_parse(pc, match, &p->match)) < 0)
                        return r;
                p->match_node = match;
        }

        const YamlNode *verify = yaml_node_get(root, "verify");
        if (verify && !yaml_node_is_null(verify)) {
                if (verify->type != YAML_NODE_SEQUENCE)
                        return parse_error(pc, verify, "verify must be a list of checks");
                p->checks = calloc(verify->n_items ?: 1, sizeof(Check));
                if (!p->checks)
                        return -ENOMEM;
                for (size_t i = 0; i < verify->n_items; i++) {
                        p->n_checks++;
                        r = check_parse(pc, verify->items[i], &p->checks[i]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

_printf_(3, 4) static int load_error(char **ret_error, int err, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(ret_error, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return err;
}

int playbook_load_data(const char *file, const char *data, size_t size, Playbook **ret, char **ret_error) {
        _cleanup_(playbook_freep) Playbook *p = NULL;
        int r;

        *ret_error = NULL;
        p = calloc(1, sizeof(Playbook));
        if (!p)
                return -ENOMEM;
        p->path = strdup(file);
        if (!p->path)
                return -ENOMEM;
        sha256_hex(data, size, p->sha256);

        r = yaml_document_parse(file, data, size, &p->document, ret_error);
        if (r < 0)
                return r;

        ParseContext pc = { .file = p->document->file };
        r = playbook_parse(&pc, p->document->root, p);
        if (r < 0) {
                if (r == -ENOMEM) {
                        free(pc.error);
                        return r;
                }
                if (!pc.error)
                        return load_error(ret_error, -EINVAL, "%s: invalid playbook", file);
                *ret_error = pc.error;
                return -EINVAL;
        }
        free(pc.error);

        *ret = TAKE_PTR(p);
        return 0;
}

int playbook_load(const char *path, Playbook **ret, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        size_t size;
        struct stat st;
        int r;

        *ret_error = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = negative_errno();
                return load_error(ret_error, r, "%s: %s", path, strerror(-r));
        }
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return load_error(ret_error, r, "%s: %s", path, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return load_error(ret_error, -EINVAL, "%s: not a regular file", path);

        r = read_full_fd(fd, YAML_MAX_SIZE, &data, &size);
        if (r == -EFBIG)
                return load_error(ret_error, -E2BIG, "%s:1:1: larger than the %u bytes a playbook may have", path,
                                  YAML_MAX_SIZE);
        if (r < 0)
                return r == -ENOMEM ? r : load_error(ret_error, r, "%s: %s", path, strerror(-r));

        return playbook_load_data(path, data, size, ret, ret_error);
}
