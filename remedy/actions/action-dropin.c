/* SPDX-License-Identifier: MIT */
/*
 * dropin: {unit, name, content}
 *
 * A drop-in at /etc/systemd/system/UNIT.d/NAME. Drop-ins, not edits of the packaged unit: a package
 * upgrade does not revert them and rollback is one file. The daemon-reload that makes systemd read
 * it belongs to the live unit steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"

typedef struct DropinArgs {
        Template *unit;
        Template *name;
        Template *content;
} DropinArgs;

static void dropin_free(void *p) {
        DropinArgs *a = p;
        if (!a)
                return;
        template_free(a->unit);
        template_free(a->name);
        template_free(a->content);
        free(a);
}

static int dropin_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "unit", "name", "content", NULL };
        DropinArgs *a = calloc(1, sizeof(DropinArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "dropin", keys)) < 0 ||
            (r = parse_template(pc, args, "unit", true, 0, "a unit name", &a->unit)) < 0 ||
            (r = parse_template(pc, args, "name", true, 0, "a drop-in file name", &a->name)) < 0 ||
            (r = parse_template_format(pc, args, "content", true, TEMPLATE_MULTILINE, TEMPLATE_FORMAT_UNIT,
                                       "the drop-in content", &a->content)) < 0) {
                dropin_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* Unit names as systemd accepts them: a name, an optional @instance, a known type suffix. */
static bool unit_name_valid(const char *s) {
        static const char * const suffixes[] = { ".service", ".socket", ".target", ".mount", ".automount", ".swap",
                                                  ".timer",   ".path",   ".slice",  ".scope", ".device",    NULL };
        if (!*s || strlen(s) > 255 || s[0] == '.' || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                "0123456789:-_.\\@") != strlen(s))
                return false;
        for (const char * const *x = suffixes; *x; x++)
                if (endswith(s, *x) && strlen(s) > strlen(*x))
                        return true;
        return false;
}

static int dropin_plan(Context *c, const void *p, Change *change) {
        const DropinArgs *a = p;
        _cleanup_free_ char *unit = NULL, *name = NULL, *content = NULL, *path = NULL;
        int r;

        if ((r = ctx_render(c, a->unit, &unit)) < 0 || (r = ctx_render(c, a->name, &name)) < 0 ||
            (r = ctx_render(c, a->content, &content)) < 0)
                return r;
        if (!unit_name_valid(unit))
                return ctx_error(c, -EINVAL, "%s:%u:%u: \"%s\" is not a valid unit name", a->unit->mark.file,
                                 a->unit->mark.line, a->unit->mark.column, unit);
        /* systemd reads only *.conf from UNIT.d/; anything else would be silently ignored. */
        if (strchr(name, '/') || name[0] == '.' || !endswith(name, ".conf") || streq(name, ".conf"))
                return ctx_error(c, -EINVAL, "%s:%u:%u: drop-in name \"%s\" must be a file name ending in .conf",
                                 a->name->mark.file, a->name->mark.line, a->name->mark.column, name);
        if (asprintf(&path, "/etc/systemd/system/%s.d/%s", unit, name) < 0)
                return -ENOMEM;

        r = ctx_want_file(c, change, path, content, strlen(content), 0644, 0, 0);
        if (r > 0)
                (void) change_set_note(change, "drop-in for %s", unit);
        return r;
}

const ActionType action_dropin = {
        .key = "dropin",
        .summary = "a systemd drop-in /etc/systemd/system/UNIT.d/NAME",
        .parse = dropin_parse,
        .plan = dropin_plan,
        .free_args = dropin_free,
};
