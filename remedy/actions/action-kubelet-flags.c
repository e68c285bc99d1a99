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
#include "remedy/exec-util.h"
#include "remedy/strv.h"

extern const char kubelet_flags_data[];
extern const size_t kubelet_flags_data_size;

#define DPKG_STATUS "/var/lib/dpkg/status"
#define KUBELET_BINARY "/usr/bin/kubelet"   /* kubeadm's kubelet.service ExecStart */

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

/* The version of the installed kubelet package ("Package: kubelet" with an installed Status). */
static int dpkg_kubelet_version(Context *c, char **ret) {
        const NodeFile *f;
        int r = ctx_read(c, DPKG_STATUS, true, &f);
        if (r < 0)
                return r;
        *ret = NULL;
        if (f->kind != FILE_REGULAR)
                return 0;

        const char *p = f->data, *end = f->data + f->size;
        bool is_kubelet = false, installed = false;
        _cleanup_free_ char *version = NULL;
        while (p <= end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *eol = nl ? nl : end;
                size_t len = (size_t) (eol - p);

                if (len == 0) {   /* end of a paragraph */
                        if (is_kubelet && installed && version) {
                                *ret = TAKE_PTR(version);
                                return 0;
                        }
                        is_kubelet = installed = false;
                        free(version);
                        version = NULL;
                } else if (len == 16 && strncmp(p, "Package: kubelet", 16) == 0)
                        is_kubelet = true;
                else if (len > 8 && strncmp(p, "Status: ", 8) == 0)
                        installed = len >= 18 && strncmp(eol - 10, " installed", 10) == 0;
                else if (len > 9 && strncmp(p, "Version: ", 9) == 0) {
                        free(version);
                        version = strndup(p + 9, len - 9);
                        if (!version)
                                return -ENOMEM;
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        if (is_kubelet && installed && version)
                *ret = TAKE_PTR(version);
        return 0;
}

static char *mfree_version(char *p) {
        free(p);
        return NULL;
}

static bool env_name_is_valid(const char *k) {
        if (!*k || isdigit((unsigned char) *k))
                return false;
        for (; *k; k++)
                if (!isalnum((unsigned char) *k) && *k != '_')
                        return false;
        return true;
}

/*
 * Live, the kubelet that will run is the authority on the flags it accepts: its --help lists them
 * (pflag's usage format). 0 with *ret NULL when there is no such binary (fall back to the list).
 */
static int flag_set_from_binary(Context *c, const KubeletFlagsArgs *a, KubeletFlagSet **ret) {
        _cleanup_free_ char *binary = NULL, *help = NULL;
        size_t size;
        int status, r;

        *ret = NULL;
        if (a->kubelet) {
                if ((r = ctx_render(c, a->kubelet, &binary)) < 0)
                        return r;
        } else if (!(binary = strdup(KUBELET_BINARY)))
                return -ENOMEM;

        char *argv[] = { binary, (char *) "--help", NULL };
        r = exec_capture(argv, 10000, 1024 * 1024, &help, &size, &status);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return ctx_error(c, r, "kubelet-flags: cannot run \"%s --help\": %s", binary, strerror(-r));
        if (status != 0)
                return ctx_error(c, -EIO, "kubelet-flags: \"%s --help\" exited with status %d", binary, status);
        r = kubelet_flag_set_from_help(help, size, ret);
        if (r < 0 || !kubelet_flag_set_has(*ret, "config"))
                /* Removing every flag because the help text was not understood would wreck the node. */
                return ctx_error(c, r < 0 ? r : -EBADMSG,
                                 "kubelet-flags: \"%s --help\" did not print kubelet's flags; pass kubelet_version instead",
                                 binary);
        return 1;
}

/*
 * The flag set of the node's kubelet: live, from the installed kubelet's --help; otherwise (or
 * when there is no kubelet binary) from the shipped list for kubelet_version or the version of
 * the node's kubelet package. *ret stays NULL when no version is known and none is needed
 * (remove only: flags are then read without knowing which are boolean).
 */
static int load_flag_set(Context *c, const KubeletFlagsArgs *a, KubeletFlagSet **ret) {
        _cleanup_free_ char *version = NULL, *minor = NULL, *error = NULL;
        const char *from;
        unsigned m;
        int r;

        *ret = NULL;
        if (a->kubelet_version && (r = ctx_render(c, a->kubelet_version, &version)) < 0)
                return r;
        bool given = version && *version;
        if (!given && !c->offline) {
                r = flag_set_from_binary(c, a, ret);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        if (given)
                from = "kubelet_version";
        else {
                /* An empty kubelet_version (a parameter's "" default) means: ask the node. */
                version = mfree_version(version);
                if ((r = dpkg_kubelet_version(c, &version)) < 0)
                        return r;
                from = DPKG_STATUS;
        }
        if (!version) {
                if (!a->remove_unknown)
                        return 0;
                return ctx_error(c, -ENOENT,
                                 "kubelet-flags: cannot tell which kubelet version the node runs (no installed kubelet "
                                 "package in %s); pass kubelet_version, e.g. kubelet_version: \"1.33\"",
                                 DPKG_STATUS);
        }

        /* dpkg versions may carry an epoch: "1:1.33.1-1.1" */
        const char *v = version;
        if (!given && strchr(v, ':'))
                v = strchr(v, ':') + 1;
        if (kubelet_version_minor(v, &m) < 0)
                return ctx_error(c, -EINVAL, "kubelet-flags: %s: \"%s\" is not a kubelet version like \"1.33\"", from,
                                 version);
        if (asprintf(&minor, "1.%u", m) < 0)
                return -ENOMEM;

        r = kubelet_flag_set_from_data(kubelet_flags_data, kubelet_flags_data_size, minor, ret, &error);
        if (r == -ENOENT) {
                _cleanup_strv_free_ char **versions = NULL;
                if (kubelet_flag_data_versions(kubelet_flags_data, kubelet_flags_data_size, &versions) < 0 || !versions)
                        return -ENOMEM;
                if (!a->remove_unknown)
                        return 0;
                return ctx_error(c, r, "kubelet-flags: kubelet %s (from %s) is not in the shipped flag list, which covers "
                                 "%s to %s", minor, from, versions[0], versions[strv_length(versions) - 1]);
        }
        if (r < 0)
                return ctx_error(c, r, "shipped kubelet flag list:%s", error ? error : " unreadable");
        return 0;
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

        if ((r = load_flag_set(c, a, &known)) < 0)
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
