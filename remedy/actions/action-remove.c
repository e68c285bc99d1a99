/* SPDX-License-Identifier: MIT */
/*
 * remove: {path}
 *
 * Removes a file or symlink, or every match of a glob in the last component
 * (/var/lib/kubelet/pki/kubelet-client*). A symlink is removed, not its target. Nothing matching is
 * not an error: the node is already as wanted.
 */
#include <stdlib.h>

#include "remedy/context.h"
#include "remedy/strv.h"

typedef struct RemoveArgs {
        Template *path;
} RemoveArgs;

static void remove_free(void *p) {
        RemoveArgs *a = p;
        if (!a)
                return;
        template_free(a->path);
        free(a);
}

static int remove_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "path", NULL };
        RemoveArgs *a = calloc(1, sizeof(RemoveArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "remove", keys)) < 0 ||
            (r = parse_template(pc, args, "path", true, TEMPLATE_PATH | TEMPLATE_GLOB, "a path", &a->path)) < 0) {
                remove_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static int remove_plan(Context *c, const void *p, Change *change) {
        const RemoveArgs *a = p;
        _cleanup_free_ char *pattern = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        int r, changed = 0;

        if ((r = ctx_render(c, a->path, &pattern)) < 0 || (r = ctx_glob(c, pattern, &paths)) < 0)
                return r;
        STRV_FOREACH(path, paths) {
                if ((r = ctx_want_absent(c, change, *path)) < 0)
                        return r;
                changed += r;
        }
        if (changed > 0)
                (void) change_set_note(change, "removes %d file%s matching %s", changed, changed == 1 ? "" : "s",
                                       pattern);
        return changed > 0;
}

const ActionType action_remove = {
        .key = "remove",
        .summary = "no file (or no file matching a glob) at a path",
        .parse = remove_parse,
        .plan = remove_plan,
        .free_args = remove_free,
};
