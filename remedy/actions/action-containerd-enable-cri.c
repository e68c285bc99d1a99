/* SPDX-License-Identifier: MIT */
/*
 * containerd-enable-cri: {path: PATH}    (path: containerd's main config, the one its unit passes)
 *
 * Takes the CRI plugin out of disabled_plugins in every file of containerd's effective
 * configuration that names it there (the main file and its imports, as containerd-config.h reads
 * them), every other byte kept: "cri" as Docker's containerd.io package ships it (a version 1
 * file, no version line), io.containerd.grpc.v1.cri as version 2 files and some 2.x defaults name
 * it, and 2.x's io.containerd.cri.v1.runtime. Other disabled plugins stay disabled. containerd's
 * main file in the OS image (Flatcar's /usr) is copied to /etc/containerd/config.toml,
 * containerd.service pointed at the copy with a drop-in, and the copy edited
 * (containerd_copy_out_of_usr(), as for containerd-runtimes); an import under /usr, or a file a
 * generator rewrites, is refused with what to do instead.
 *
 * Restarting containerd is a separate step; nothing here talks to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/containerd-node.h"
#include "remedy/context.h"
#include "remedy/strv.h"
#include "remedy/toml-edit.h"

typedef struct EnableCriArgs {
        Template *path;
} EnableCriArgs;

static void enable_cri_free(void *p) {
        EnableCriArgs *a = p;
        if (!a)
                return;
        template_free(a->path);
        free(a);
}

static int enable_cri_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "path", NULL };
        EnableCriArgs *a = calloc(1, sizeof(EnableCriArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "containerd-enable-cri", keys)) < 0 ||
            (r = parse_template(pc, args, "path", false, TEMPLATE_PATH, "a path", &a->path)) < 0) {
                enable_cri_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* The CRI plugin's ids in every spelling a containerd reads them in disabled_plugins. */
static char * const cri_ids[] = {
        (char *) "cri", (char *) "io.containerd.grpc.v1.cri", (char *) "io.containerd.cri.v1.runtime", NULL,
};

/* The CRI plugin out of disabled_plugins in the planned state of path: 1 with the new bytes, 0
 * nothing to remove, or negative errno (bad TOML: the Context's error naming the file and line). */
static int edit_file(Context *c, const char *path, char **ret_data, size_t *ret_size) {
        _cleanup_free_ char *error = NULL;
        const NodeFile *f;
        int r;

        if ((r = ctx_read_regular(c, path, "containerd's configuration", &f)) < 0)
                return r;
        r = toml_edit_array_remove(f->data, f->size, "", "disabled_plugins", cri_ids, ret_data, ret_size, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_edit_error(c, -EINVAL, path, error, strerror(-r));
        return r;
}

/* One file: 1 changed (a line added to note), 0 nothing to remove. main: path is the main file
 * containerd.service passes, which may be copied out of /usr. */
static int enable_in_file(Context *c, Change *change, const char *path, bool main, FILE *note) {
        _cleanup_free_ char *data = NULL, *refusal = NULL, *copy = NULL;
        const NodeFile *f;
        size_t size = 0;
        int r;

        if ((r = edit_file(c, path, &data, &size)) <= 0)
                return r;
        if (startswith(path, "/usr/")) {
                /* containerd reads its main file from the OS image (Flatcar): the edit goes to a copy
                 * containerd is pointed at. An import there is not containerd's main file: refused. */
                if (!main)
                        return ctx_error(c, -EROFS,
                                         "%s: belongs to the OS image (/usr): copy it to /etc/containerd, make containerd "
                                         "import that one instead, and run this again", path);
                if ((r = containerd_copy_out_of_usr(c, change, path, &copy, note)) < 0)
                        return r;
                path = copy;
                data = mfree(data);
                /* the copy is the file's bytes: the same edit */
                if ((r = edit_file(c, path, &data, &size)) <= 0)
                        return r;
        }
        if ((r = ctx_read_regular(c, path, "containerd's configuration", &f)) < 0 ||
            (r = containerd_generated_refusal(c, path, f, &refusal)) < 0)
                return r;
        if (r > 0)
                return ctx_error(c, -EROFS, "%s", refusal);
        r = ctx_want_file(c, change, path, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1);
        if (r <= 0)
                return r;
        fprintf(note, "%sthe CRI plugin taken out of disabled_plugins in %s", ftell(note) > 0 ? "; " : "", path);
        return 1;
}

static int enable_cri_plan(Context *c, const void *p, Change *change) {
        const EnableCriArgs *a = p;
        _cleanup_free_ char *path = NULL, *error = NULL, *text = NULL;
        _cleanup_(containerd_config_done) ContainerdConfig cfg = {};
        size_t size = 0;
        int r, changed = 0;

        if ((r = a->path ? ctx_render(c, a->path, &path) : containerd_node_config_path(c, &path)) < 0)
                return r;
        if ((r = containerd_node_present(c, path)) < 0)
                return r;
        if (r == 0) {
                change->status = CHANGE_SKIPPED;
                return change_set_note(change, "containerd is not installed on this node (no %s, no containerd.service, no "
                                       "containerd binary): nothing to enable", path);
        }
        const NodeFS fs = ctx_node_fs(c);
        r = containerd_config_load(&fs, path, containerd_node_rules(&fs), &cfg, &error);
        if (r < 0)
                return ctx_error(c, r == -ENOMEM ? r : -EINVAL, "%s", error ? error : strerror(-r));

        FILE *note = open_memstream(&text, &size);
        if (!note)
                return -ENOMEM;
        STRV_FOREACH(f, cfg.files) {
                r = enable_in_file(c, change, *f, !a->path && streq(*f, path), note);
                if (r < 0) {
                        fclose(note);
                        return r;
                }
                changed |= r;
        }
        if (fclose(note) != 0)
                return -ENOMEM;
        if (size > 0)
                (void) change_set_note(change, "%s", text);
        return changed;
}

const ActionType action_containerd_enable_cri = {
        .key = "containerd-enable-cri",
        .summary = "the CRI plugin taken out of containerd's disabled_plugins, in every file that names it",
        .parse = enable_cri_parse,
        .plan = enable_cri_plan,
        .free_args = enable_cri_free,
};
