/* SPDX-License-Identifier: MIT */
/*
 * kernel-module: {name: MODULE, file: NAME.conf}
 *
 * A kernel module, loaded now and at every boot:
 *
 *   - at boot: unless one of the node's modules-load.d files (read as systemd-modules-load reads
 *     them, kernel-config.h) lists it already, its name is added to /etc/modules-load.d/FILE
 *     (made, or added to with every other byte kept);
 *   - now (live, on the node's own kernel): when it is not in the kernel, the node's modprobe
 *     loads it and what it depends on (kernel_module_load()). That it was not loaded is recorded
 *     in the transaction, and a rollback unloads it again (the module alone).
 *
 * In a container the kernel is the host's: the file is written, nothing is loaded and the note
 * says so. Offline (--root) only the files are judged and written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/engine.h"
#include "remedy/kernel-config.h"

typedef struct KernelModuleArgs {
        char *name;          /* as /proc/modules spells it */
        char *file;
} KernelModuleArgs;

typedef struct KernelModuleData {
        char *load;          /* the module to load now, or NULL */
} KernelModuleData;

static void kernel_module_data_free(void *p) {
        KernelModuleData *d = p;
        if (!d)
                return;
        free(d->load);
        free(d);
}

static void kernel_module_args_free(void *p) {
        KernelModuleArgs *a = p;
        if (!a)
                return;
        free(a->name);
        free(a->file);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(KernelModuleArgs *, kernel_module_args_free);

static int kernel_module_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "name", "file", NULL };
        _cleanup_(kernel_module_args_freep) KernelModuleArgs *a = calloc(1, sizeof(KernelModuleArgs));
        _cleanup_free_ char *name = NULL;
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kernel-module", keys)) < 0 ||
            (r = parse_string(pc, args, "name", true, &name)) < 0 ||
            (r = parse_string(pc, args, "file", true, &a->file)) < 0)
                return r;
        if (kernel_module_name_normalize(name, &a->name) < 0)
                return parse_error(pc, yaml_node_get(args, "name"), "kernel-module: \"%s\" is not a module name like br_netfilter",
                                   name);
        if (kernel_conf_name_check(a->file) < 0)
                return parse_error(pc, yaml_node_get(args, "file"),
                                   "kernel-module: file: \"%s\" is not a file name like remedy-k8s.conf", a->file);
        *ret = TAKE_PTR(a);
        return 0;
}

static int kernel_module_plan(Context *c, const void *p, Change *change) {
        const KernelModuleArgs *a = p;
        _cleanup_free_ char *boot_file = NULL, *path = NULL, *header = NULL, *edited = NULL, *note_text = NULL;
        _cleanup_fclose_ FILE *note = NULL;
        size_t note_size = 0;
        const NodeFile *f;
        int r;

        KernelModuleData *d = calloc(1, sizeof(KernelModuleData));
        if (!d)
                return -ENOMEM;
        change->data = d;
        change->free_data = kernel_module_data_free;
        if (!(note = open_memstream(&note_text, &note_size)))
                return -ENOMEM;

        if ((r = kernel_module_boot_file(c, a->name, &boot_file)) < 0)
                return r;
        if (r == 0) {
                if (!(path = path_join("/etc/modules-load.d", a->file)))
                        return -ENOMEM;
                if ((r = ctx_read(c, path, true, &f)) < 0)
                        return r;
                if (f->kind != FILE_ABSENT && f->kind != FILE_REGULAR)
                        return ctx_error(c, -EINVAL, "%s: is a %s, not a modules-load.d file", path,
                                         file_kind_name(f->kind));
                if (asprintf(&header, "# Written by remedy (playbook %s): the modules a Kubernetes node needs.\n",
                             c->playbook ? c->playbook->name : "?") < 0)
                        return -ENOMEM;
                if ((r = modules_load_file_add(f->kind == FILE_REGULAR ? f->data : NULL, header, a->name, &edited)) < 0)
                        return r;
                if ((r = ctx_want_file(c, change, path, edited, strlen(edited), (mode_t) -1, (uid_t) -1, (gid_t) -1)) < 0)
                        return r;
                fprintf(note, "loads %s at boot (no modules-load.d file listed it)", a->name);
        }

        if (kernel_is_nodes(c)) {
                if (!kernel_module_loaded(a->name)) {
                        if ((r = change_add_kernel(change, "module", a->name, "absent")) < 0)
                                return r;
                        if (!(d->load = strdup(a->name)))
                                return -ENOMEM;
                        fprintf(note, "%sloads %s now", ftell(note) > 0 ? "; " : "", a->name);
                }
        } else if (!c->offline)
                fprintf(note, "%sthe running kernel is the host's (a container): %s is not loaded here",
                        ftell(note) > 0 ? "; " : "", a->name);

        if (fclose(note) != 0) {
                note = NULL;
                return -ENOMEM;
        }
        note = NULL;
        if (change->n_ops > 0 || d->load)
                change->status = CHANGE_PENDING;
        if (note_size > 0 && (r = change_set_note(change, "%s", note_text)) < 0)
                return r;
        return change->status == CHANGE_PENDING;
}

static int kernel_module_apply(Context *c, const void *p, Change *change) {
        const KernelModuleData *d = change->data;
        _cleanup_free_ char *error = NULL;
        int r;

        if ((r = change_apply_files(c->root, change, &error)) < 0)
                return ctx_error(c, r, "%s", error ? error : strerror(-r));
        if (!d->load)
                return 0;
        if ((r = kernel_module_load(d->load, &error)) < 0)
                return ctx_error(c, r, "loading %s: %s", d->load, error ? error : strerror(-r));
        return 0;
}

const ActionType action_kernel_module = {
        .key = "kernel-module",
        .summary = "a kernel module loaded now (modprobe; unloaded by rollback) and at boot (a modules-load.d file)",
        .parse = kernel_module_parse,
        .plan = kernel_module_plan,
        .apply = kernel_module_apply,
        .free_args = kernel_module_args_free,
};
