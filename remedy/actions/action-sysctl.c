/* SPDX-License-Identifier: MIT */
/*
 * sysctl: {key: NAME, value: VALUE, file: NAME.conf, at-least: BOOL}
 *
 * A kernel setting, now and at every boot:
 *
 *   - at boot: when the node's sysctl.d files, read as systemd-sysctl reads them
 *     (kernel-config.h), do not already give the key the value, "KEY = VALUE" goes into a file of
 *     /etc/sysctl.d named after `file` and chosen to be read after the last file that sets the
 *     key otherwise (90-FILE, 99-zz-FILE, or right after that file's name), so that it wins; an
 *     existing file of that name keeps its other lines, a line of its own for the key is
 *     replaced. The other files are left as they are: a package owns them;
 *   - now (live, on the node's own kernel): /proc/sys is written when it differs. The value before
 *     is recorded in the transaction, and a rollback writes it back (unit-restore.h).
 *
 * With at-least, a number at least `value` counts as the value: a limit the node raised further
 * is never lowered (fs.inotify.max_user_watches). In a container the kernel is the host's: the
 * file is written, /proc/sys is left alone and the note says so. Offline (--root) only the files
 * are judged and written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/engine.h"
#include "remedy/kernel-config.h"

typedef struct SysctlArgs {
        char *key;           /* dotted */
        Template *value;
        char *file;          /* NAME.conf, without the order prefix */
        bool at_least;
} SysctlArgs;

typedef struct SysctlData {
        char *key;
        char *value;         /* to write to /proc/sys, or NULL */
} SysctlData;

static void sysctl_data_free(void *p) {
        SysctlData *d = p;
        if (!d)
                return;
        free(d->key);
        free(d->value);
        free(d);
}

static void sysctl_args_free(void *p) {
        SysctlArgs *a = p;
        if (!a)
                return;
        free(a->key);
        template_free(a->value);
        free(a->file);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(SysctlArgs *, sysctl_args_free);

static int sysctl_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "key", "value", "file", "at-least", NULL };
        _cleanup_(sysctl_args_freep) SysctlArgs *a = calloc(1, sizeof(SysctlArgs));
        _cleanup_free_ char *key = NULL;
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "sysctl", keys)) < 0 || (r = parse_string(pc, args, "key", true, &key)) < 0 ||
            (r = parse_template(pc, args, "value", true, 0, "a value", &a->value)) < 0 ||
            (r = parse_string(pc, args, "file", true, &a->file)) < 0 ||
            (r = parse_bool(pc, args, "at-least", false, &a->at_least)) < 0)
                return r;
        if (strpbrk(key, "*?[") || sysctl_name_normalize(key, &a->key) < 0)
                return parse_error(pc, yaml_node_get(args, "key"), "sysctl: \"%s\" is not a sysctl name like net.ipv4.ip_forward",
                                   key);
        if (kernel_conf_name_check(a->file) < 0)
                return parse_error(pc, yaml_node_get(args, "file"),
                                   "sysctl: file: \"%s\" is not a file name like remedy-k8s.conf", a->file);
        *ret = TAKE_PTR(a);
        return 0;
}

static int plan_file(Context *c, const SysctlArgs *a, const char *value, Change *change, FILE *note) {
        _cleanup_free_ char *boot = NULL, *boot_file = NULL, *last_other = NULL, *path = NULL, *edited = NULL,
                            *header = NULL;
        const NodeFile *f;
        int r;

        if ((r = sysctl_boot_value(c, a->key, value, a->at_least, &boot, &boot_file, &last_other)) < 0)
                return r;
        if (boot && sysctl_value_satisfies(boot, value, a->at_least))
                return 0;
        if ((r = sysctl_file_choose(c, a->file, last_other, &path)) < 0)
                return r;
        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind != FILE_ABSENT && f->kind != FILE_REGULAR)
                return ctx_error(c, -EINVAL, "%s: is a %s, not a sysctl.d file", path, file_kind_name(f->kind));
        if (asprintf(&header, "# Written by remedy (playbook %s): the kernel settings a Kubernetes node needs.\n",
                     c->playbook ? c->playbook->name : "?") < 0)
                return -ENOMEM;
        if ((r = sysctl_file_set(f->kind == FILE_REGULAR ? f->data : NULL, header, a->key, value, &edited)) < 0)
                return r;
        if ((r = ctx_want_file(c, change, path, edited, strlen(edited), (mode_t) -1, (uid_t) -1, (gid_t) -1)) < 0)
                return r;
        if (boot)
                fprintf(note, "%s = %s at boot (%s sets %s)", a->key, value, boot_file, boot);
        else
                fprintf(note, "%s = %s at boot (no file set it)", a->key, value);
        if (last_other && !streq_ptr(last_other, boot_file))
                fprintf(note, ", read after %s", last_other);
        return 1;
}

static int sysctl_plan(Context *c, const void *p, Change *change) {
        const SysctlArgs *a = p;
        _cleanup_free_ char *value = NULL, *live = NULL, *note_text = NULL;
        _cleanup_fclose_ FILE *note = NULL;
        size_t note_size = 0;
        int r;

        SysctlData *d = calloc(1, sizeof(SysctlData));
        if (!d)
                return -ENOMEM;
        change->data = d;
        change->free_data = sysctl_data_free;
        if (!(d->key = strdup(a->key)))
                return -ENOMEM;

        if ((r = ctx_render(c, a->value, &value)) < 0)
                return r;
        if (!*value || strpbrk(value, "\n#;"))
                return ctx_error(c, -EINVAL, "sysctl %s: \"%s\" is not a value for a sysctl.d file", a->key, value);
        if (!(note = open_memstream(&note_text, &note_size)))
                return -ENOMEM;

        if ((r = plan_file(c, a, value, change, note)) < 0)
                return r;

        if (kernel_is_nodes(c)) {
                r = sysctl_live_read(a->key, &live);
                /* Missing now: the module that makes it is not loaded yet (an earlier step loads
                 * it); apply writes it then, or fails saying it is still missing. */
                if (r < 0 && r != -ENOENT)
                        return ctx_error(c, r, "/proc/sys: reading %s: %s", a->key, strerror(-r));
                if (!live || !sysctl_value_satisfies(live, value, a->at_least)) {
                        if ((r = change_add_kernel(change, "sysctl", a->key, live ? live : "")) < 0)
                                return r;
                        if (!(d->value = strdup(value)))
                                return -ENOMEM;
                        fprintf(note, "%ssets %s to %s now (%s)", ftell(note) > 0 ? "; " : "", a->key, value,
                                live ? live : "not there yet");
                }
        } else if (!c->offline)
                fprintf(note, "%sthe running kernel is the host's (a container): %s is left as it is there",
                        ftell(note) > 0 ? "; " : "", a->key);

        if (fclose(note) != 0) {
                note = NULL;
                return -ENOMEM;
        }
        note = NULL;
        if (change->n_ops > 0 || d->value)
                change->status = CHANGE_PENDING;
        if (note_size > 0 && (r = change_set_note(change, "%s", note_text)) < 0)
                return r;
        return change->status == CHANGE_PENDING;
}

static int sysctl_apply(Context *c, const void *p, Change *change) {
        const SysctlData *d = change->data;
        _cleanup_free_ char *error = NULL;
        int r;

        if ((r = change_apply_files(c->root, change, &error)) < 0)
                return ctx_error(c, r, "%s", error ? error : strerror(-r));
        if (!d->value)
                return 0;
        if ((r = sysctl_live_write(d->key, d->value)) < 0)
                return ctx_error(c, r, "/proc/sys: setting %s to %s: %s", d->key, d->value,
                                 r == -ENOENT ? "there is no such setting (is its module loaded?)" : strerror(-r));
        return 0;
}

const ActionType action_sysctl = {
        .key = "sysctl",
        .summary = "a kernel setting now (/proc/sys, put back by rollback) and at boot (a sysctl.d file read after any that sets it otherwise)",
        .parse = sysctl_parse,
        .plan = sysctl_plan,
        .apply = sysctl_apply,
        .free_args = sysctl_args_free,
};
