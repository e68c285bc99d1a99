/* SPDX-License-Identifier: MIT */
/*
 * file: {path, content | source, mode, owner, group, state: present|absent}
 *
 * Makes a file have exactly this content (and mode/owner when given), or not exist. `source` names
 * a file beside the playbook, read when the playbook loads, so a missing source is a load error.
 * Owner and group names are looked up in the node's /etc/passwd and /etc/group (inside --root),
 * not the rescue system's.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/trusted-file.h"

typedef struct FileArgs {
        Template *path;
        Template *content;
        char *source_data;   /* from source:, read at load time */
        size_t source_size;
        mode_t mode;         /* (mode_t) -1: keep / default */
        char *owner;
        char *group;
        bool absent;
} FileArgs;

static void file_free(void *p) {
        FileArgs *a = p;
        if (!a)
                return;
        template_free(a->path);
        template_free(a->content);
        free(a->source_data);
        free(a->owner);
        free(a->group);
        free(a);
}

static int read_source(ParseContext *pc, const YamlNode *node, const char *source, FileArgs *a) {
        if (source[0] == '/' || strstr(source, "..") || !*source)
                return parse_error(pc, node, "source: must be a relative path beside the playbook, without \"..\"");

        _cleanup_free_ char *dir = NULL, *path = NULL;
        const char *slash = strrchr(pc->file, '/');
        dir = slash ? strndup(pc->file, (size_t) (slash - pc->file)) : strdup(".");
        if (!dir || asprintf(&path, "%s/%s", dir, source) < 0)
                return -ENOMEM;

        /* Installed as root wherever the playbook says (/etc/sudoers.d...): it must be as
         * trusted as the playbook itself. */
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int fd = trusted_file_open(path, TRUST_FILE_TO_INSTALL, &error);
        if (fd == -ENOMEM)
                return fd;
        if (fd < 0)
                return parse_error(pc, node, "source: %s", error ? error : strerror(-fd));
        int r = read_full_fd(fd, NODE_FILE_MAX, &a->source_data, &a->source_size);
        if (r < 0)
                return parse_error(pc, node, "source: cannot read \"%s\": %s", path, strerror(-r));
        return 0;
}

static int file_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "path", "content", "format", "source", "mode", "owner", "group", "state", NULL };
        _cleanup_free_ FileArgs *a = calloc(1, sizeof(FileArgs));
        _cleanup_free_ char *state = NULL, *source = NULL, *format = NULL;
        int r;

        if (!a)
                return -ENOMEM;
        a->mode = (mode_t) -1;
        if ((r = parse_check_keys(pc, args, "file", keys)) < 0 ||
            (r = parse_template(pc, args, "path", true, TEMPLATE_PATH, "a path", &a->path)) < 0 ||
            (r = parse_string(pc, args, "format", false, &format)) < 0)
                goto fail;

        /* The content's format decides how values are written into it: given, or read off the
         * path. */
        TemplateFormat f = template_format_for_path(a->path);
        if (format) {
                int k = template_format_from_string(format);
                if (k < 0) {
                        r = parse_error(pc, yaml_node_get(args, "format"),
                                        "format: must be json, toml, yaml, env, unit or text, not \"%s\"", format);
                        goto fail;
                }
                f = k;
        }
        if ((r = parse_template_format(pc, args, "content", false, TEMPLATE_MULTILINE, f, "the file content", &a->content)) < 0 ||
            (r = parse_string(pc, args, "source", false, &source)) < 0 ||
            (r = parse_mode(pc, args, "mode", false, &a->mode)) < 0 ||
            (r = parse_string(pc, args, "owner", false, &a->owner)) < 0 ||
            (r = parse_string(pc, args, "group", false, &a->group)) < 0 ||
            (r = parse_string(pc, args, "state", false, &state)) < 0)
                goto fail;

        if (state && !streq(state, "present") && !streq(state, "absent")) {
                r = parse_error(pc, yaml_node_get(args, "state"), "state: must be present or absent");
                goto fail;
        }
        a->absent = state && streq(state, "absent");
        if ((format && !a->content) || (a->absent && (a->content || source || a->mode != (mode_t) -1 || a->owner || a->group))) {
                r = parse_error(pc, args, format && !a->content ? "file: format goes with content"
                                                                  : "file: state absent takes no content, source, mode, owner or group");
                goto fail;
        }
        if (!a->absent && !!a->content == !!source) {
                r = parse_error(pc, args, "file: give exactly one of content and source");
                goto fail;
        }
        if (source && (r = read_source(pc, yaml_node_get(args, "source"), source, a)) < 0)
                goto fail;

        *ret = TAKE_PTR(a);
        return 0;
fail:
        file_free(TAKE_PTR(a));
        return r;
}

/* Looks a user or group name up in the node's own database (numeric IDs are taken as they are). */
static int resolve_id(Context *c, const char *name, bool group, unsigned *ret) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(name, &end, 10);
        if (*name && !*end && errno == 0 && n < (unsigned long) UINT32_MAX) {
                *ret = (unsigned) n;
                return 0;
        }

        const char *db = group ? "/etc/group" : "/etc/passwd";
        const NodeFile *f;
        int r = ctx_read(c, db, true, &f);
        if (r < 0)
                return r;
        if (f->kind != FILE_REGULAR)
                return ctx_error(c, -ENOENT, "%s: missing, cannot look up %s \"%s\"", db, group ? "group" : "user", name);

        _cleanup_fclose_ FILE *s = fmemopen(f->data, f->size, "r");
        if (!s)
                return -ENOMEM;
        if (group) {
                struct group *g;
                while ((g = fgetgrent(s)))
                        if (streq(g->gr_name, name)) {
                                *ret = g->gr_gid;
                                return 0;
                        }
        } else {
                struct passwd *p;
                while ((p = fgetpwent(s)))
                        if (streq(p->pw_name, name)) {
                                *ret = p->pw_uid;
                                return 0;
                        }
        }
        return ctx_error(c, -ESRCH, "%s: no %s \"%s\" on the node", db, group ? "group" : "user", name);
}

static int file_plan(Context *c, const void *p, Change *change) {
        const FileArgs *a = p;
        _cleanup_free_ char *path = NULL, *content = NULL;
        unsigned uid = (unsigned) -1, gid = (unsigned) -1;
        int r;

        if ((r = ctx_render(c, a->path, &path)) < 0)
                return r;
        if (a->absent)
                return ctx_want_absent(c, change, path);

        if (a->content && (r = ctx_render(c, a->content, &content)) < 0)
                return r;
        if (a->owner && (r = resolve_id(c, a->owner, false, &uid)) < 0)
                return r;
        if (a->group && (r = resolve_id(c, a->group, true, &gid)) < 0)
                return r;

        const char *data = content ? content : a->source_data;
        size_t size = content ? strlen(content) : a->source_size;
        return ctx_want_file(c, change, path, data, size, a->mode, (uid_t) uid, (gid_t) gid);
}

const ActionType action_file = {
        .key = "file",
        .summary = "a file with this content, mode and owner, or no file",
        .parse = file_parse,
        .plan = file_plan,
        .free_args = file_free,
};
