/* SPDX-License-Identifier: MIT */
/*
 * kubelet-flags: {path, variable, remove: [flags], remove_unknown: bool, kubelet_version}
 *
 * Removes flags from the kubelet's argument variable in an environment file, keeping every other
 * byte of the file. `variable` defaults to KUBELET_KUBEADM_ARGS for a file named
 * kubeadm-flags.env and to KUBELET_EXTRA_ARGS otherwise (/etc/default/kubelet,
 * /etc/sysconfig/kubelet). `remove` names flags with or without their dashes; `remove_unknown`
 * also removes every flag the node's kubelet does not accept, judged by the shipped per-version
 * list for `kubelet_version` ("1.33") or, without it, for the version of the node's kubelet
 * package in the dpkg status file (also when kubelet_version is empty). Only the last assignment of the variable counts, as in systemd.
 * A missing file has no flags to remove.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/kubelet-flags.h"
#include "remedy/kubelet-node.h"
#include "remedy/strv.h"


typedef struct KubeletFlagsArgs {
        Template *path;
        Template *variable;         /* NULL: by file name */
        char **remove;              /* names without dashes */
        bool remove_unknown;
        Template *kubelet_version;  /* NULL: from dpkg */
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
            (r = parse_template(pc, args, "path", true, TEMPLATE_PATH, "a path", &a->path)) < 0 ||
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

static int kubelet_flags_plan(Context *c, const void *p, Change *change) {
        const KubeletFlagsArgs *a = p;
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
        if ((r = kubelet_node_flag_set(c, binary, version, a->remove_unknown, &known)) < 0)
                return r;
        r = kubelet_flags_edit(f->data, f->size, variable, a->remove, known, a->remove_unknown, &data, &size, &removed,
                               &error);
        if (r < 0)
                return ctx_error(c, r, "%s:%s", path, error ? error : " cannot edit");
        if (r == 0)
                return 0;

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
        (void) change_set_note(change, "removes %s from %s in %s", list, variable, path);
        return r;
}

const ActionType action_kubelet_flags = {
        .key = "kubelet-flags",
        .summary = "kubelet flags removed from an environment file (named, or unknown to the node's kubelet)",
        .parse = kubelet_flags_parse_args,
        .plan = kubelet_flags_plan,
        .free_args = kubelet_flags_args_free,
};
