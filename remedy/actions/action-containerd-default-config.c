/* SPDX-License-Identifier: MIT */
/*
 * containerd-default-config: {path}       (path: containerd's main config, the one its unit passes)
 *
 * A node installed from containerd's release tarball or a distribution package may have no
 * config.toml at all: containerd then runs on its compiled-in defaults, runc on the cgroupfs
 * driver, and there is no file to set SystemdCgroup in. This writes the file containerd itself
 * prints as its defaults (`containerd config default`, its own version's layout: version 2 for
 * 1.x, 3 for 2.x), so that the steps after it edit a complete configuration. A file that exists
 * is left alone.
 *
 * Live only: offline the node's containerd binary would have to run on the rescue system, which
 * remedy does not do with a binary from the disk it repairs, and with --machine the binary here
 * is not the container's. The step is then skipped, saying so: containerd keeps running on its
 * defaults, and containerd-runtimes writes the one setting it needs into a file of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/containerd-node.h"
#include "remedy/context.h"
#include "remedy/exec-util.h"
#include "remedy/toml-edit.h"

#define CONTAINERD_TIMEOUT_MS 10000
#define CONTAINERD_OUTPUT_MAX (1024 * 1024)

typedef struct DefaultConfigArgs {
        Template *path;
} DefaultConfigArgs;

static void default_config_free(void *p) {
        DefaultConfigArgs *a = p;
        if (!a)
                return;
        template_free(a->path);
        free(a);
}

static int default_config_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "path", NULL };
        DefaultConfigArgs *a = calloc(1, sizeof(DefaultConfigArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "containerd-default-config", keys)) < 0 ||
            (r = parse_template(pc, args, "path", false, TEMPLATE_PATH, "a path", &a->path)) < 0) {
                default_config_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static int default_config_plan(Context *c, const void *p, Change *change) {
        const DefaultConfigArgs *a = p;
        _cleanup_free_ char *path = NULL, *out = NULL, *error = NULL;
        const NodeFile *f;
        const char *binary;
        size_t size = 0;
        int status = 0, r;

        if ((r = a->path ? ctx_render(c, a->path, &path) : containerd_node_config_path(c, &path)) < 0 ||
            (r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind != FILE_ABSENT)
                return 0;
        if ((r = containerd_node_present(c, path)) < 0)
                return r;
        if (r == 0) {
                change->status = CHANGE_SKIPPED;
                return change_set_note(change, "containerd is not installed on this node: no configuration to write");
        }
        if (c->offline || !root_is_host(c->root)) {
                change->status = CHANGE_SKIPPED;
                return change_set_note(change, "%s: missing; %s remedy does not run the node's containerd to print its "
                                       "defaults (containerd runs on them without a file)", path,
                                       c->offline ? "offline (--root)" : "with --machine");
        }
        if ((r = containerd_binary(&binary)) == -ENOENT)
                return ctx_error(c, r, "%s: missing, and no containerd binary in /usr/local/bin or /usr/bin to print its "
                                 "defaults", path);
        if (r < 0)
                return r;
        char *argv[] = { (char *) binary, (char *) "config", (char *) "default", NULL };
        r = exec_capture(argv, CONTAINERD_TIMEOUT_MS, CONTAINERD_OUTPUT_MAX, &out, &size, &status);
        if (r < 0)
                return ctx_error(c, r, "cannot run \"%s config default\": %s", binary, strerror(-r));
        if (status != 0)
                return ctx_error(c, -EIO, "\"%s config default\" exited with status %d", binary, status);
        if ((r = toml_edit_check(out, size, &error)) < 0)
                return ctx_error(c, r, "\"%s config default\" printed no valid TOML: %s", binary, error ? error : "");
        if ((r = ctx_want_file(c, change, path, out, size, 0644, 0, 0)) < 0)
                return r;
        (void) change_set_note(change, "creates %s from \"%s config default\"", path, binary);
        return r;
}

const ActionType action_containerd_default_config = {
        .key = "containerd-default-config",
        .summary = "containerd's main config exists: when missing, written from `containerd config default` (live)",
        .parse = default_config_parse,
        .plan = default_config_plan,
        .free_args = default_config_free,
};
