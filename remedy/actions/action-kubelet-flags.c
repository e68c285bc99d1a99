/* SPDX-License-Identifier: MIT */
/*
 * kubelet-flags: {path, variable, remove: [flags], remove_unknown: bool, kubelet_version}
 *
 * Without path: from the kubelet's effective command line (kubelet.service, its drop-ins and the
 * environment files they read, /etc/sysconfig/kubelet on RPM nodes as much as /etc/default/kubelet
 * on Debian's), every flag to remove is taken out of the environment file and variable it came
 * from, each file keeping every other byte. A flag written on ExecStart= itself, or set by an
 * Environment= line of a unit file, is not rewritten: the note names it, and the kubelet-flags
 * check then fails rather than the playbook claiming nothing is left to do. With no version to
 * judge by (no package database), only what no kubelet version accepts is removed, and the flags
 * some versions accept are named as not judged.
 *
 * With path: removes flags from the kubelet's argument variable in that environment file, keeping
 * every other byte of the file. `variable` defaults to KUBELET_KUBEADM_ARGS for a file named
 * kubeadm-flags.env and to KUBELET_EXTRA_ARGS otherwise (/etc/default/kubelet,
 * /etc/sysconfig/kubelet). `remove` names flags with or without their dashes; `remove_unknown`
 * also removes every flag the node's kubelet does not accept, judged by the shipped per-version
 * list for `kubelet_version` ("1.33") or, without it, for the version of the node's kubelet
 * package in dpkg's status file or the RPM database (also when kubelet_version is empty). Only the
 * last assignment of the variable counts, as in systemd.
 * A missing file has no flags to remove.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/kubelet-flags.h"
#include "remedy/kubelet-node.h"
#include "remedy/strv.h"


typedef struct KubeletFlagsArgs {
        Template *path;
        Template *variable;         /* NULL: by file name */
        char **remove;              /* names without dashes */
        bool remove_unknown;
        Template *kubelet_version;  /* NULL: from the node's package database */
        Template *kubelet;          /* live: the binary whose --help lists the flags */
} KubeletFlagsArgs;

static void kubelet_flags_args_free(void *p) {
        KubeletFlagsArgs *a = p;
        if (!a)
                return;
        template_free(a->path);
        template_free(a->variable);
        strv_free(a->remove);
        template_free(a->kubelet_version);
        template_free(a->kubelet);
        free(a);
}

static bool flag_name_is_valid(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && *s != '-' && *s != '_')
                        return false;
        return true;
}

static int kubelet_flags_parse_args(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "path", "variable", "remove", "remove_unknown", "kubelet_version", "kubelet",
                                              NULL };
        KubeletFlagsArgs *a = calloc(1, sizeof(KubeletFlagsArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubelet-flags", keys)) < 0 ||
            (r = parse_template(pc, args, "path", false, TEMPLATE_PATH, "a path", &a->path)) < 0 ||
            (r = parse_template(pc, args, "variable", false, 0, "a variable name", &a->variable)) < 0 ||
            (r = parse_string_list(pc, args, "remove", false, &a->remove)) < 0 ||
            (r = parse_bool(pc, args, "remove_unknown", false, &a->remove_unknown)) < 0 ||
            (r = parse_template(pc, args, "kubelet_version", false, 0, "a kubelet version", &a->kubelet_version)) < 0 ||
            (r = parse_template(pc, args, "kubelet", false, TEMPLATE_PATH, "a path", &a->kubelet)) < 0)
                goto fail;

        STRV_FOREACH(f, a->remove) {
                /* "--flag", "-flag" and "flag" all name the flag; the dashes are dropped here. */
                size_t dashes = strspn(*f, "-");
                if (dashes > 2 || !flag_name_is_valid(*f + dashes)) {
                        r = parse_error(pc, yaml_node_get(args, "remove"), "remove: \"%s\" is not a flag name", *f);
                        goto fail;
                }
                memmove(*f, *f + dashes, strlen(*f + dashes) + 1);
        }
        if (!a->path && a->variable) {
                r = parse_error(pc, args, "kubelet-flags: variable goes with path (without path, each flag's own variable is edited)");
                goto fail;
        }
        if (strv_length(a->remove) == 0 && !a->remove_unknown) {
                r = parse_error(pc, args, "kubelet-flags: give remove (a list of flags) or remove_unknown: true");
                goto fail;
        }
        *ret = a;
        return 0;
fail:
        kubelet_flags_args_free(a);
        return r;
}

static bool env_name_is_valid(const char *k) {
        if (!*k || isdigit((unsigned char) *k))
                return false;
        for (; *k; k++)
                if (!isalnum((unsigned char) *k) && *k != '_')
                        return false;
        return true;
}

/* "the kubelet's version is unknown: ... not judged: --a, --b" for the flags of the file that
 * some kubelet versions accept and others do not; NULL when there are none. */
static int unjudged_flags(const NodeFile *f, const char *variable, const KubeletFlagSet *ever,
                          const KubeletFlagSet *always, char **ret) {
        KubeletFlag *flags = NULL;
        size_t n = 0, size = 0;
        _cleanup_free_ char *text = NULL;
        int r = kubelet_flags_parse(f->data, f->size, variable, ever, &flags, &n, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;   /* the edit reports a file it cannot read */
        FILE *out = open_memstream(&text, &size);
        if (!out) {
                kubelet_flags_free(flags, n);
                return -ENOMEM;
        }
        bool any = false;
        for (size_t i = 0; i < n; i++)
                if (kubelet_flag_set_has(ever, flags[i].name) && !kubelet_flag_set_has(always, flags[i].name)) {
                        fprintf(out, "%s--%s", any ? ", " : "the kubelet's version cannot be read here (no package "
                                                          "database), so only flags no kubelet accepts are removed; "
                                                          "not judged, as some kubelet versions accept them and others "
                                                          "not: ", flags[i].name);
                        any = true;
                }
        kubelet_flags_free(flags, n);
        if (any)
                fputs(" (give kubelet_version, e.g. --set kubelet_version=1.33, to judge them)", out);
        if (fclose(out) != 0)
                return -ENOMEM;
        *ret = any ? TAKE_PTR(text) : NULL;
        return 0;
}

/* Removes the flags of (file, variable) named in names from the planned file; the words removed
 * go to note. */
static int edit_env_file(Context *c, Change *change, const char *path, const char *variable, char **names,
                         const KubeletFlagSet *known, FILE *note) {
        _cleanup_strv_free_ char **removed = NULL;
        _cleanup_free_ char *data = NULL, *error = NULL;
        const NodeFile *f;
        size_t size = 0;
        int r;

        if ((r = ctx_read_regular(c, path, "an environment file", &f)) < 0)
                return r;
        r = kubelet_flags_edit(f->data, f->size, variable, names, known, false, &data, &size, &removed, &error);
        if (r < 0)
                return ctx_error(c, r, "%s:%s", path, error ? error : " cannot edit");
        if (r == 0)
                return 0;
        if ((r = ctx_want_file(c, change, path, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1)) < 0)
                return r;
        fprintf(note, "%sremoves ", ftell(note) > 0 ? "; " : "");
        STRV_FOREACH(w, removed)
                fprintf(note, "%s%s", w == removed ? "" : ", ", *w);
        fprintf(note, " from %s in %s", variable, path);
        return 1;
}

/* The command-line mode: every flag to remove, from the file and variable it came from. */
static int plan_from_cmdline(Context *c, const KubeletFlagsArgs *a, Change *change) {
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *known = NULL, *always = NULL;
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_free_ char *binary = NULL, *version = NULL, *error = NULL, *text = NULL;
        _cleanup_strv_free_ char **groups = NULL;   /* "FILE\tVARIABLE", each edited once */
        const NodeFS fs = ctx_node_fs(c);
        size_t size = 0;
        int r, changed = 0;

        if ((a->kubelet && (r = ctx_render(c, a->kubelet, &binary)) < 0) ||
            (a->kubelet_version && (r = ctx_render(c, a->kubelet_version, &version)) < 0))
                return r;
        if (a->remove_unknown) {
                if ((r = kubelet_node_judging_set(c, binary, version, &known, &always)) < 0)
                        return r;
        } else if ((r = kubelet_node_flag_set(c, binary, version, false, &known)) < 0)
                return r;
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", known, &cl, &error);
        if (r == -ENOENT && !error)
                return 0;   /* no kubelet unit: no flags */
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, r, "kubelet.service: %s", error ? error : strerror(-r));

        FILE *note = open_memstream(&text, &size);
        if (!note)
                return -ENOMEM;
        for (size_t i = 0; i < cl.n_args; i++) {
                const KubeletArg *arg = &cl.args[i];
                bool named = arg->flag && strv_contains(a->remove, arg->flag);
                if (!named && !(a->remove_unknown && arg->flag && arg->accepted == 0))
                        continue;
                _cleanup_free_ char *file = kubelet_source_file(arg->source), *group = NULL;
                if (!file) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (!arg->variable || strv_contains(cl.unit.unit_files, file)) {
                        fprintf(note, "%s%s is written %s (%s): remedy does not rewrite unit files' command lines, "
                                "remove it there", ftell(note) > 0 ? "; " : "", arg->word,
                                arg->variable ? "in an Environment= line" : "on ExecStart= itself", arg->source);
                        continue;
                }
                if (asprintf(&group, "%s\t%s", file, arg->variable) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                if ((r = strv_extend_unique(&groups, group)) < 0)
                        goto fail;
        }
        STRV_FOREACH(g, groups) {
                _cleanup_strv_free_ char **names = NULL;
                char *tab = strchr(*g, '\t');
                *tab = 0;
                for (size_t i = 0; i < cl.n_args; i++) {
                        const KubeletArg *arg = &cl.args[i];
                        _cleanup_free_ char *file = kubelet_source_file(arg->source);
                        if (!file) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        if (!arg->flag || !streq_ptr(arg->variable, tab + 1) || !streq(file, *g) ||
                            !(strv_contains(a->remove, arg->flag) || (a->remove_unknown && arg->accepted == 0)))
                                continue;
                        if ((r = strv_extend_unique(&names, arg->flag)) < 0)
                                goto fail;
                }
                if ((r = edit_env_file(c, change, *g, tab + 1, names, known, note)) < 0)
                        goto fail;
                changed |= r;
        }
        if (always) {
                bool any = false;
                for (size_t i = 0; i < cl.n_args; i++) {
                        const KubeletArg *arg = &cl.args[i];
                        if (!arg->flag || arg->accepted != 1 || kubelet_flag_set_has(always, arg->flag))
                                continue;
                        fprintf(note, "%s--%s", any ? ", " : ftell(note) > 0 ? "; not judged: " : "not judged: ", arg->flag);
                        any = true;
                }
                if (any)
                        fputs(" (some kubelet versions accept them, others not, and this kubelet's version cannot be "
                              "read here: give kubelet_version, e.g. --set kubelet_version=1.33, to judge them)", note);
        }
        if (fclose(note) != 0)
                return -ENOMEM;
        if (size > 0)
                (void) change_set_note(change, "%s", text);
        return changed;
fail:
        fclose(note);
        return r;
}

static int kubelet_flags_plan(Context *c, const void *p, Change *change) {
        const KubeletFlagsArgs *a = p;
        if (!a->path)
                return plan_from_cmdline(c, a, change);
        _cleanup_free_ char *path = NULL, *variable = NULL, *data = NULL, *error = NULL, *list = NULL;
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *known = NULL;
        _cleanup_strv_free_ char **removed = NULL;
        const NodeFile *f;
        size_t size;
        int r;

        if ((r = ctx_render(c, a->path, &path)) < 0)
                return r;
        if (a->variable) {
                if ((r = ctx_render(c, a->variable, &variable)) < 0)
                        return r;
        } else {
                const char *base = strrchr(path, '/');
                variable = strdup(streq(base ? base + 1 : path, "kubeadm-flags.env") ? "KUBELET_KUBEADM_ARGS"
                                                                                      : "KUBELET_EXTRA_ARGS");
                if (!variable)
                        return -ENOMEM;
        }
        if (!env_name_is_valid(variable))
                return ctx_error(c, -EINVAL, "kubelet-flags: variable: \"%s\" is not an environment variable name", variable);

        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind == FILE_ABSENT)
                return 0;   /* no file, no flags */
        if (f->kind != FILE_REGULAR)
                return ctx_error(c, -EISDIR, "%s: is a %s, not an environment file", path, file_kind_name(f->kind));

        _cleanup_free_ char *binary = NULL, *version = NULL;
        if ((a->kubelet && (r = ctx_render(c, a->kubelet, &binary)) < 0) ||
            (a->kubelet_version && (r = ctx_render(c, a->kubelet_version, &version)) < 0))
                return r;
        if ((r = kubelet_node_flag_set(c, binary, version, false, &known)) < 0)
                return r;
        _cleanup_free_ char *unjudged = NULL;
        if (!known && a->remove_unknown) {
                /* No version to judge by: remove what no kubelet accepts, name what only some do. */
                _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *always = NULL;
                if ((r = kubelet_node_flag_sets_unversioned(c, &known, &always)) < 0 ||
                    (r = unjudged_flags(f, variable, known, always, &unjudged)) < 0)
                        return r;
        }
        r = kubelet_flags_edit(f->data, f->size, variable, a->remove, known, a->remove_unknown, &data, &size, &removed,
                               &error);
        if (r < 0)
                return ctx_error(c, r, "%s:%s", path, error ? error : " cannot edit");
        if (r == 0) {
                if (unjudged)
                        (void) change_set_note(change, "%s", unjudged);
                return 0;
        }

        STRV_FOREACH(s, removed) {
                char *n;
                if (asprintf(&n, "%s%s%s", strempty(list), list ? ", " : "", *s) < 0)
                        return -ENOMEM;
                free(list);
                list = n;
        }
        r = ctx_want_file(c, change, path, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1);
        if (r < 0)
                return r;
        (void) change_set_note(change, "removes %s from %s in %s%s%s", list, variable, path, unjudged ? "; " : "",
                               strempty(unjudged));
        return r;
}

const ActionType action_kubelet_flags = {
        .key = "kubelet-flags",
        .summary = "kubelet flags removed from an environment file (named, or unknown to the node's kubelet)",
        .parse = kubelet_flags_parse_args,
        .plan = kubelet_flags_plan,
        .free_args = kubelet_flags_args_free,
};
