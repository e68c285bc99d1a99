/* SPDX-License-Identifier: MIT */
/*
 * The kubelet's command line: kubelet.service's words as systemd would start it (unit-exec.h), and
 * argv read as pflag reads it with the kubelet's flag set. The config merge is in
 * kubelet-config-dir.c.
 */
#include "remedy/kubelet-cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet-flag-set.h"

/* ---- argv as pflag reads it ---- */

static int arg_add(KubeletCommandLine *c, const UnitExecWord *w, size_t index, size_t n_words, const char *flag,
                   size_t flag_len, const char *value, int accepted) {
        KubeletArg *a = realloc(c->args, (c->n_args + 1) * sizeof(KubeletArg));
        if (!a)
                return -ENOMEM;
        c->args = a;
        a = &a[c->n_args];
        *a = (KubeletArg) {
                .word = strdup(w->text),
                .flag = flag ? strndup(flag, flag_len) : NULL,
                .value = value ? strdup(value) : NULL,
                .source = strdup(w->source),
                .variable = w->variable ? strdup(w->variable) : NULL,
                .index = index,
                .n_words = n_words,
                .accepted = accepted,
        };
        c->n_args++;
        if (!a->word || (flag && !a->flag) || (value && !a->value) || !a->source || (w->variable && !a->variable))
                return -ENOMEM;
        for (char *s = a->flag; s && *s; s++)
                if (*s == '_')
                        *s = '-';   /* kubelet's flag set normalises with WordSepNormalizeFunc */
        return 0;
}

/* hyperkube (OpenShift's ExecStart=/usr/bin/hyperkube kubelet ...) takes the kubelet as its
 * first word, a subcommand rather than an argument of the kubelet's. */
static size_t first_argument(const UnitExec *e) {
        if (e->n_words < 2 || !streq(e->words[1].text, "kubelet"))
                return 1;
        const char *slash = strrchr(e->words[0].text, '/');
        return streq(slash ? slash + 1 : e->words[0].text, "hyperkube") ? 2 : 1;
}

static int parse_flags(const UnitExec *unit, const KubeletFlagSet *known, KubeletCommandLine *c) {
        bool dashdash = false;
        int r;

        for (size_t i = first_argument(unit); i < unit->n_words; i++) {
                const char *t = unit->words[i].text, *value = NULL;
                const char *next = i + 1 < unit->n_words ? unit->words[i + 1].text : NULL;
                _cleanup_free_ char *name = NULL;
                size_t used = 1;
                bool good;

                if (dashdash || t[0] != '-' || !t[1]) {   /* kubelet: "unknown command" */
                        r = arg_add(c, &unit->words[i], i, 1, NULL, 0, NULL, known ? 0 : -1);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (streq(t, "--")) {
                        dashdash = true;
                        continue;
                }
                if (t[1] == '-') {
                        const char *body = t + 2, *eq = strchr(body, '=');
                        name = strndup(body, eq ? (size_t) (eq - body) : strlen(body));
                        if (!name)
                                return -ENOMEM;
                        for (char *s = name; *s; s++)
                                if (*s == '_')
                                        *s = '-';
                        bool is_bool = kubelet_flag_set_is_bool(known, name), is_known = kubelet_flag_set_has(known, name);
                        value = eq ? eq + 1 : NULL;
                        /* pflag takes the next word as the value whatever it looks like; for a flag it
                         * does not know it stops, so guess as a reader would. */
                        if (!eq && !is_bool && next && (is_known || next[0] != '-')) {
                                value = next;
                                used = 2;
                        }
                        good = is_known && body[0] != '-' && body[0] != '=' && (eq || is_bool || used == 2);
                } else {
                        /* "-v 2", "-v=2", "-v2": a shorthand letter */
                        const char *lng = kubelet_flag_set_long_name(known, t[1]), *rest = t + 2;
                        name = lng ? strdup(lng) : strndup(t + 1, 1);
                        if (!name)
                                return -ENOMEM;
                        bool is_bool = kubelet_flag_set_is_bool(known, name);
                        if (*rest == '=')
                                value = rest + 1;
                        else if (*rest && !is_bool)
                                value = rest;
                        else if (!*rest && !is_bool && next && (lng || next[0] != '-')) {
                                value = next;
                                used = 2;
                        }
                        good = lng && (value || is_bool);
                }
                r = arg_add(c, &unit->words[i], i, used, name, strlen(name), value, known ? good : -1);
                if (r < 0)
                        return r;
                i += used - 1;
        }
        return 0;
}

/* ---- exported ---- */

void kubelet_cmdline_done(KubeletCommandLine *c) {
        unit_exec_done(&c->unit);
        for (size_t i = 0; i < c->n_args; i++) {
                free(c->args[i].word);
                free(c->args[i].flag);
                free(c->args[i].value);
                free(c->args[i].source);
                free(c->args[i].variable);
        }
        free(c->args);
        free(c->config_path);
        free(c->config_dir);
        free(c->kubeconfig_path);
        *c = (KubeletCommandLine) {};
}

const KubeletArg *kubelet_cmdline_find(const KubeletCommandLine *c, const char *flag) {
        for (size_t i = c->n_args; i > 0; i--)
                if (streq_ptr(c->args[i - 1].flag, flag))
                        return &c->args[i - 1];
        return NULL;
}

static int dup_value(const KubeletCommandLine *c, const char *flag, char **ret) {
        const KubeletArg *a = kubelet_cmdline_find(c, flag);
        if (!a || !a->value)
                return 0;
        *ret = strdup(a->value);
        return *ret ? 0 : -ENOMEM;
}

int kubelet_cmdline_resolve(const NodeFS *fs, const char *unit, const KubeletFlagSet *known, KubeletCommandLine *ret,
                            char **ret_error) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {};
        int r;

        r = unit_exec_resolve(fs, unit, &c.unit, ret_error);
        if (r < 0)
                return r;
        c.config_dir_alpha_env = unit_exec_env_get(&c.unit, "KUBELET_CONFIG_DROPIN_DIR_ALPHA") != NULL;
        r = parse_flags(&c.unit, known, &c);
        if (r < 0)
                return r;
        /* The last of each wins, as pflag keeps the last value of a repeated flag. */
        if ((r = dup_value(&c, "config", &c.config_path)) < 0 || (r = dup_value(&c, "config-dir", &c.config_dir)) < 0 ||
            (r = dup_value(&c, "kubeconfig", &c.kubeconfig_path)) < 0)
                return r;
        *ret = c;
        c = (KubeletCommandLine) {};
        return 0;
}

int kubelet_cmdline_kubeconfig(const NodeFS *fs, char **ret) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {};
        _cleanup_free_ char *error = NULL;

        int r = kubelet_cmdline_resolve(fs, "kubelet.service", NULL, &c, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !c.kubeconfig_path)
                return (*ret = strdup(KUBELET_KUBECONFIG_DEFAULT)) ? 0 : -ENOMEM;
        return asprintf(ret, "%s%s", c.kubeconfig_path[0] == '/' ? "" : "/", c.kubeconfig_path) < 0 ? -ENOMEM : 0;
}

char *kubelet_source_file(const char *source) {
        const char *colon = strrchr(source, ':');
        return colon ? strndup(source, (size_t) (colon - source)) : strdup(source);
}
