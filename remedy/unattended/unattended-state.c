/* SPDX-License-Identifier: MIT */
/*
 * The unattended state as JSON, parsed strictly: the file decides whether a root process changes
 * the node, so a field of the wrong type is an error naming it, never a default.
 *
 *   {"version": 1,
 *    "breaker": {"open": true, "since": 1765000000, "playbooks": ["kubelet-enable"]},
 *    "playbooks": {"kubelet-enable": {"attempts": [1764990000, 1765000000]}}}
 */
#include "unattended.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "remedy/strv.h"

const char *unattended_decision_to_string(UnattendedDecision d) {
        static const char * const names[_UNATTENDED_DECISION_MAX] = {
                [UNATTENDED_APPLY] = "apply",
                [UNATTENDED_SKIP_COOLDOWN] = "skipped-cooldown",
                [UNATTENDED_SKIP_ATTEMPTS] = "skipped-attempts",
                [UNATTENDED_SKIP_BREAKER] = "skipped-breaker",
                [UNATTENDED_REPORT_ONLY] = "reported",
                [UNATTENDED_APPLIED] = "applied",
                [UNATTENDED_ROLLED_BACK] = "rolled-back",
                [UNATTENDED_RESET] = "reset",
        };
        return d >= 0 && d < _UNATTENDED_DECISION_MAX ? names[d] : NULL;
}

void unattended_state_done(UnattendedState *s) {
        for (size_t i = 0; i < s->n_playbooks; i++) {
                free(s->playbooks[i].name);
                free(s->playbooks[i].attempts);
        }
        free(s->playbooks);
        strv_free(s->breaker_playbooks);
        *s = (UnattendedState) {};
}

UnattendedPlaybook *unattended_state_playbook(UnattendedState *s, const char *name, bool create) {
        for (size_t i = 0; i < s->n_playbooks; i++)
                if (streq(s->playbooks[i].name, name))
                        return &s->playbooks[i];
        if (!create)
                return NULL;
        UnattendedPlaybook *l = realloc(s->playbooks, (s->n_playbooks + 1) * sizeof *l);
        if (!l)
                return NULL;
        s->playbooks = l;
        l[s->n_playbooks] = (UnattendedPlaybook) { .name = strdup(name) };
        if (!l[s->n_playbooks].name)
                return NULL;
        return &l[s->n_playbooks++];
}

static void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

static void json_tokener_freep(json_tokener **t) {
        if (*t)
                json_tokener_free(*t);
}

/* The line of a byte offset, counting from 1. */
static unsigned line_of(const char *text, size_t offset) {
        unsigned line = 1;
        for (size_t i = 0; i < offset && text[i]; i++)
                if (text[i] == '\n')
                        line++;
        return line;
}

static int fail(char **ret_error, const char *display, const char *what) {
        if (asprintf(ret_error, "%s: %s; `remedy fix --reset` starts afresh", display, what) < 0)
                *ret_error = NULL;
        return -EBADMSG;
}

static bool is_time(json_object *v) {
        return json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0;
}

static int parse_breaker(json_object *b, const char *display, UnattendedState *s, char **ret_error) {
        json_object *open, *since, *list;

        if (!json_object_is_type(b, json_type_object))
                return fail(ret_error, display, "\"breaker\" is not an object");
        if (!json_object_object_get_ex(b, "open", &open) || !json_object_is_type(open, json_type_boolean))
                return fail(ret_error, display, "\"breaker.open\" is not true or false");
        s->breaker_open = json_object_get_boolean(open);
        if (json_object_object_get_ex(b, "since", &since)) {
                if (!is_time(since))
                        return fail(ret_error, display, "\"breaker.since\" is not a time in seconds");
                s->breaker_since = json_object_get_int64(since);
        }
        if (json_object_object_get_ex(b, "playbooks", &list)) {
                if (!json_object_is_type(list, json_type_array))
                        return fail(ret_error, display, "\"breaker.playbooks\" is not a list of names");
                for (size_t i = 0; i < json_object_array_length(list); i++) {
                        json_object *n = json_object_array_get_idx(list, i);
                        if (!json_object_is_type(n, json_type_string))
                                return fail(ret_error, display, "\"breaker.playbooks\" is not a list of names");
                        if (strv_extend(&s->breaker_playbooks, json_object_get_string(n)) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int parse_playbooks(json_object *o, const char *display, UnattendedState *s, char **ret_error) {
        if (!json_object_is_type(o, json_type_object))
                return fail(ret_error, display, "\"playbooks\" is not an object");
        json_object_object_foreach(o, name, entry) {
                json_object *attempts;
                _cleanup_free_ char *what = NULL;

                if (asprintf(&what, "\"playbooks.%s.attempts\" is not a list of times in seconds", name) < 0)
                        return -ENOMEM;
                if (!json_object_is_type(entry, json_type_object) ||
                    !json_object_object_get_ex(entry, "attempts", &attempts) ||
                    !json_object_is_type(attempts, json_type_array))
                        return fail(ret_error, display, what);
                UnattendedPlaybook *p = unattended_state_playbook(s, name, true);
                if (!p)
                        return -ENOMEM;
                size_t n = json_object_array_length(attempts);
                if (n > 10000)
                        return fail(ret_error, display, what);
                p->attempts = calloc(n + 1, sizeof(int64_t));
                if (!p->attempts)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        json_object *t = json_object_array_get_idx(attempts, i);
                        if (!is_time(t))
                                return fail(ret_error, display, what);
                        p->attempts[p->n_attempts++] = json_object_get_int64(t);
                }
        }
        return 0;
}

int unattended_state_parse(const char *text, const char *display, UnattendedState *ret, char **ret_error) {
        _cleanup_(json_tokener_freep) json_tokener *tok = json_tokener_new();
        _cleanup_(json_object_putp) json_object *root = NULL;
        UnattendedState s = {};
        json_object *v;
        int r;

        *ret_error = NULL;
        if (!tok)
                return -ENOMEM;
        size_t len = strlen(text);
        root = json_tokener_parse_ex(tok, text, (int) len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        if (!root || e != json_tokener_success || text[end + strspn(text + end, " \t\r\n")] != 0) {
                _cleanup_free_ char *where = NULL;
                if (asprintf(&where, "%s:%u", display, line_of(text, end)) < 0)
                        return -ENOMEM;
                return fail(ret_error, where, e != json_tokener_success ? json_tokener_error_desc(e)
                                                  : !root                     ? "not JSON"
                                                                              : "text after the JSON document");
        }
        if (!json_object_is_type(root, json_type_object))
                return fail(ret_error, display, "not a JSON object");
        if (!json_object_object_get_ex(root, "version", &v) || !json_object_is_type(v, json_type_int) ||
            json_object_get_int(v) != 1)
                return fail(ret_error, display, "\"version\" is not 1 (written by another remedy?)");
        if (json_object_object_get_ex(root, "breaker", &v) && (r = parse_breaker(v, display, &s, ret_error)) < 0)
                goto fail;
        if (json_object_object_get_ex(root, "playbooks", &v) && (r = parse_playbooks(v, display, &s, ret_error)) < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        unattended_state_done(&s);
        return r;
}

char *unattended_state_format(const UnattendedState *s) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();
        json_object *breaker = json_object_new_object(), *playbooks = json_object_new_object(),
                    *names = json_object_new_array();

        if (!root || !breaker || !playbooks || !names) {
                json_object_put(breaker);
                json_object_put(playbooks);
                json_object_put(names);
                return NULL;
        }
        json_object_object_add(root, "version", json_object_new_int(1));
        json_object_object_add(breaker, "open", json_object_new_boolean(s->breaker_open));
        json_object_object_add(breaker, "since", json_object_new_int64(s->breaker_since));
        STRV_FOREACH(n, s->breaker_playbooks)
                json_object_array_add(names, json_object_new_string(*n));
        json_object_object_add(breaker, "playbooks", names);
        json_object_object_add(root, "breaker", breaker);
        for (size_t i = 0; i < s->n_playbooks; i++) {
                const UnattendedPlaybook *p = &s->playbooks[i];
                json_object *entry = json_object_new_object(), *list = json_object_new_array();
                for (size_t k = 0; k < p->n_attempts; k++)
                        json_object_array_add(list, json_object_new_int64(p->attempts[k]));
                json_object_object_add(entry, "attempts", list);
                json_object_object_add(playbooks, p->name, entry);
        }
        json_object_object_add(root, "playbooks", playbooks);
        const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
        char *copy = NULL;
        if (text && asprintf(&copy, "%s\n", text) < 0)
                copy = NULL;
        return copy;
}
