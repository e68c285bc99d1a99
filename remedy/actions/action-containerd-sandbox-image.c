/* SPDX-License-Identifier: MIT */
/*
 * containerd-sandbox-image: {image: IMAGE}    (image may be empty: chosen from the store)
 *
 * Points containerd's sandbox (pause) image at an image its store holds (FAILURES.md B.22): the
 * key that decides it (sandbox-image.h) is set in the file that sets it, every other byte kept
 * (toml-edit.h); unset, in the file whose CRI table containerd uses (1.x) or the main file, in
 * the table of that file's configuration version: sandbox_image of [plugins.cri] (version 1) or
 * [plugins."io.containerd.grpc.v1.cri"] (version 2), sandbox of
 * [plugins."io.containerd.cri.v1.images".pinned_images] (version 3 and later).
 *
 * IMAGE empty: the image the kubelet names (--pod-infra-container-image) when the store has it,
 * else the store's newest REGISTRY/pause:TAG. That needs the store, which is read live only:
 * offline the step is skipped unless IMAGE is given. A sandbox image already in the store is
 * left alone unless IMAGE names another. A file under /usr or one a generator rewrites is refused
 * with what to do instead, as for containerd-enable-cri.
 *
 * Restarting containerd is a separate step; nothing here talks to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/containerd-node.h"
#include "remedy/context.h"
#include "remedy/edit-value.h"
#include "remedy/sandbox-image.h"
#include "remedy/toml-edit.h"

typedef struct SandboxImageArgs {
        Template *image;
} SandboxImageArgs;

static void sandbox_image_free(void *p) {
        SandboxImageArgs *a = p;
        if (!a)
                return;
        template_free(a->image);
        free(a);
}

static int sandbox_image_action_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "image", NULL };
        SandboxImageArgs *a = calloc(1, sizeof(SandboxImageArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "containerd-sandbox-image", keys)) < 0 ||
            (r = parse_template(pc, args, "image", false, 0, "an image reference", &a->image)) < 0) {
                sandbox_image_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static int sandbox_image_action_plan(Context *c, const void *p, Change *change) {
        const SandboxImageArgs *a = p;
        _cleanup_(sandbox_image_done) SandboxImage s = {};
        _cleanup_free_ char *image = NULL, *data = NULL, *error = NULL, *refusal = NULL;
        const NodeFile *f;
        size_t size = 0;
        int r;

        if (a->image && (r = ctx_render(c, a->image, &image)) < 0)
                return r;
        r = sandbox_image_judge(c, &s);
        if (r == -ENODEV) {
                change->status = CHANGE_SKIPPED;
                return change_set_note(change, "containerd is not installed on this node: no sandbox image to set");
        }
        if (r < 0)
                return r;

        const char *target = image && *image ? image : NULL;
        if (!target) {
                if (!s.store_checked) {
                        change->status = CHANGE_SKIPPED;
                        return change_set_note(change, "containerd's image store: %s (%s); give --set image=IMAGE to "
                                               "set the sandbox image anyway", s.store_error,
                                               c->offline ? "remedy reads it with ctr, live" : "ctr cannot reach it");
                }
                if (s.in_store)
                        return 0;
                if (!s.replacement)
                        return ctx_error(c, -ENOENT,
                                         "containerd's sandbox image %s is not in its image store, and neither is a pause "
                                         "image to use instead: import one (ctr -n k8s.io images import FILE) or give "
                                         "--set image=IMAGE",
                                         s.image ? s.image : "(containerd's default)");
                target = s.replacement;
        }
        if (s.image && streq(s.image, target))
                return 0;

        if ((r = ctx_read(c, s.edit_file, true, &f)) < 0)
                return r;
        if (f->kind == FILE_ABSENT)
                return ctx_error(c, -ENOENT,
                                 "%s: containerd runs on its compiled-in defaults (no configuration file): write one "
                                 "first (the containerd-default-config step, or containerd config default)", s.edit_file);
        if ((r = ctx_read_regular(c, s.edit_file, "containerd's configuration", &f)) < 0)
                return r;
        EditValue v = { .type = EDIT_VALUE_STRING, .text = target };
        r = toml_edit_set(f->data, f->size, s.edit_table, s.edit_key, &v, &data, &size, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_edit_error(c, -EINVAL, s.edit_file, error, strerror(-r));
        if (r == 0)
                return 0;
        if (startswith(s.edit_file, "/usr/"))
                return ctx_error(c, -EROFS,
                                 "%s: belongs to the OS image (/usr): copy it to /etc/containerd/config.toml, make "
                                 "containerd read that one, and run this again", s.edit_file);
        if ((r = containerd_generated_refusal(c, s.edit_file, f, &refusal)) < 0)
                return r;
        if (r > 0)
                return ctx_error(c, -EROFS, "%s", refusal);
        r = ctx_want_file(c, change, s.edit_file, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1);
        if (r <= 0)
                return r;
        (void) change_set_note(change, "containerd's sandbox image %s → %s (%s of [%s] in %s)%s",
                               s.image ? s.image : "(containerd's default)", target, s.edit_key, s.edit_table,
                               s.edit_file,
                               s.store_checked && !sandbox_image_listed(s.pause_images, target) && !streq_ptr(target, s.replacement)
                                       ? "; it is not in containerd's image store either: containerd will pull it" : "");
        return 1;
}

const ActionType action_containerd_sandbox_image = {
        .key = "containerd-sandbox-image",
        .summary = "containerd's sandbox (pause) image pointed at one its image store holds",
        .parse = sandbox_image_action_parse,
        .plan = sandbox_image_action_plan,
        .free_args = sandbox_image_free,
};
