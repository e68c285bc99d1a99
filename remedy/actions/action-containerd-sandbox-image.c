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
 * left alone unless IMAGE names another. containerd's main file in the OS image (Flatcar's /usr)
 * is copied to /etc/containerd/config.toml, containerd.service pointed at the copy with a drop-in,
 * and the copy edited (containerd_copy_out_of_usr(), as for containerd-runtimes); an import under
 * /usr, or a file a generator rewrites (Bottlerocket, k0s), is refused with what to do instead.
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

/* The sandbox image set to target in the planned state of s->edit_file: 1 with the new bytes, 0
 * already so, or negative errno (bad TOML: the Context's error naming the file and line). */
static int edit_image(Context *c, const SandboxImage *s, const char *target, char **ret_data, size_t *ret_size) {
        _cleanup_free_ char *error = NULL;
        const NodeFile *f;
        int r;

        if ((r = ctx_read_regular(c, s->edit_file, "containerd's configuration", &f)) < 0)
                return r;
        EditValue v = { .type = EDIT_VALUE_STRING, .text = target };
        r = toml_edit_set(f->data, f->size, s->edit_table, s->edit_key, &v, ret_data, ret_size, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_edit_error(c, -EINVAL, s->edit_file, error, strerror(-r));
        return r;
}

static int sandbox_image_action_plan(Context *c, const void *p, Change *change) {
        const SandboxImageArgs *a = p;
        _cleanup_(sandbox_image_done) SandboxImage s = {};
        _cleanup_free_ char *image = NULL, *data = NULL, *refusal = NULL, *copy_note = NULL;
        const NodeFile *f;
        size_t size = 0, copy_note_size = 0;
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
        if ((r = edit_image(c, &s, target, &data, &size)) <= 0)
                return r;
        if (startswith(s.edit_file, "/usr/")) {
                /* containerd reads its main file from the OS image (Flatcar): the edit goes to a copy
                 * containerd is pointed at. An import there is not containerd's main file: refused. */
                _cleanup_free_ char *copy = NULL;
                if (!streq(s.edit_file, s.config_path))
                        return ctx_error(c, -EROFS,
                                         "%s: belongs to the OS image (/usr), and containerd imports it from %s: copy it "
                                         "to /etc/containerd, import that one instead, and run this again",
                                         s.edit_file, s.config_path);
                FILE *note = open_memstream(&copy_note, &copy_note_size);
                if (!note)
                        return -ENOMEM;
                r = containerd_copy_out_of_usr(c, change, s.edit_file, &copy, note);
                if (fclose(note) != 0 && r >= 0)
                        r = -ENOMEM;
                if (r < 0)
                        return r;
                free(s.edit_file);
                s.edit_file = TAKE_PTR(copy);
                data = mfree(data);
                /* the copy is the file's bytes: the same edit */
                if ((r = edit_image(c, &s, target, &data, &size)) <= 0)
                        return r;
        }
        if ((r = ctx_read_regular(c, s.edit_file, "containerd's configuration", &f)) < 0 ||
            (r = containerd_generated_refusal(c, s.edit_file, f, &refusal)) < 0)
                return r;
        if (r > 0)
                return ctx_error(c, -EROFS, "%s", refusal);
        r = ctx_want_file(c, change, s.edit_file, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1);
        if (r <= 0)
                return r;
        (void) change_set_note(change, "%s%scontainerd's sandbox image %s → %s (%s of [%s] in %s)%s",
                               copy_note ? copy_note : "", copy_note ? "; " : "",
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
