/* SPDX-License-Identifier: MIT */
/*
 * copy: {src, dest, mode}
 *
 * Installs a file the operator supplies (typically through a `path` parameter: a kubeconfig made on
 * the control plane). src is a path on the machine remedy runs on — with --root, the rescue
 * system, not the node — and must be a regular file; dest is a node path.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "remedy/context.h"
#include "remedy/trusted-file.h"

typedef struct CopyArgs {
        Template *src;
        Template *dest;
        mode_t mode;
} CopyArgs;

static void copy_free(void *p) {
        CopyArgs *a = p;
        if (!a)
                return;
        template_free(a->src);
        template_free(a->dest);
        free(a);
}

static int copy_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "src", "dest", "mode", NULL };
        CopyArgs *a = calloc(1, sizeof(CopyArgs));
        int r;

        if (!a)
                return -ENOMEM;
        a->mode = (mode_t) -1;
        if ((r = parse_check_keys(pc, args, "copy", keys)) < 0 ||
            (r = parse_template(pc, args, "src", true, TEMPLATE_PATH, "a path", &a->src)) < 0 ||
            (r = parse_template(pc, args, "dest", true, TEMPLATE_PATH, "a path", &a->dest)) < 0 ||
            (r = parse_mode(pc, args, "mode", false, &a->mode)) < 0) {
                copy_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static int copy_plan(Context *c, const void *p, Change *change) {
        const CopyArgs *a = p;
        _cleanup_free_ char *src = NULL, *dest = NULL, *data = NULL;
        size_t size;
        int r;

        if ((r = ctx_render(c, a->src, &src)) < 0 || (r = ctx_render(c, a->dest, &dest)) < 0)
                return r;

        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int fd = trusted_file_open(src, TRUST_FILE_TO_INSTALL, &error);
        if (fd == -ENOMEM)
                return fd;
        if (fd < 0)
                return ctx_error(c, fd, "%s", error ? error : strerror(-fd));
        if ((r = read_full_fd(fd, NODE_FILE_MAX, &data, &size)) < 0)
                return ctx_error(c, r, "%s: cannot read: %s", src, strerror(-r));

        return ctx_want_file(c, change, dest, data, size, a->mode, (uid_t) -1, (gid_t) -1);
}

const ActionType action_copy = {
        .key = "copy",
        .summary = "install a file the operator supplies",
        .parse = copy_parse,
        .plan = copy_plan,
        .free_args = copy_free,
};
