/* SPDX-License-Identifier: MIT */
/*
 * The toml-set action, from playbook text to the planned file operation on a node tree, and the
 * playbook errors of its arguments. The editor itself is tested in test-toml-edit.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edit-test-text.h"
#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/macro.h"
#include "remedy/playbook.h"
#include "tap.h"
#include "test-util.h"

static char *tmpdir;

static const char action_playbook[] =
        "name: toml-set-test\n"
        "summary: toml-set\n"
        "params:\n"
        "  cfg: {type: path, default: /etc/containerd/config.toml}\n"
        "  systemd: {type: bool, default: \"true\"}\n"
        "steps:\n"
        "  - name: set SystemdCgroup\n"
        "    toml-set:\n"
        "      path: \"{{ cfg }}\"\n"
        "      table: plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options\n"
        "      key: SystemdCgroup\n"
        "      value: \"{{ systemd }}\"\n"
        "  - name: set the pause image, inferred string\n"
        "    toml-set: {path: \"{{ cfg }}\", table: plugins.\"io.containerd.grpc.v1.cri\", key: sandbox_image,"
        " value: registry.k8s.io/pause:3.9}\n"
        "  - name: a new file\n"
        "    toml-set: {path: /etc/new.toml, key: version, value: 2, create: true}\n"
        "  - name: a missing file\n"
        "    toml-set: {path: /etc/missing.toml, key: version, value: 2}\n";

static int plan_step(Context *c, const Playbook *p, size_t i, Change *change) {
        c->step = &p->steps[i];
        return p->steps[i].action->plan(c, p->steps[i].args, change);
}

static void test_action(void) {
        _cleanup_(playbook_freep) Playbook *p = NULL;
        _cleanup_(param_values_freep) ParamValues *values = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_free_ char *error = NULL, *etc = NULL, *cfg = NULL;
        _cleanup_free_ char *def = read_fixture("containerd/default-1.6.toml", NULL);
        Change change = {};

        if (!is_int(playbook_load_data("test.yaml", action_playbook, strlen(action_playbook), &p, &error), 0,
                    "action: playbook loads")) {
                diag("%s", strempty(error));
                return;
        }
        is_str(p->steps[0].action->key, "toml-set", "action: toml-set step");
        if (asprintf(&etc, "%s/root", tmpdir) < 0 || asprintf(&cfg, "%s/root/etc/containerd/config.toml", tmpdir) < 0)
                abort();
        ok(mkdir(etc, 0755) == 0, "action: the node's root");
        free(TAKE_PTR(etc));
        if (asprintf(&etc, "%s/root/etc", tmpdir) < 0)
                abort();
        ok(mkdir(etc, 0755) == 0, "action: root/etc");
        free(TAKE_PTR(etc));
        if (asprintf(&etc, "%s/root/etc/containerd", tmpdir) < 0)
                abort();
        ok(mkdir(etc, 0755) == 0, "action: root/etc/containerd");
        write_file(cfg, def, strlen(def));

        free(TAKE_PTR(etc));
        if (asprintf(&etc, "%s/root", tmpdir) < 0)
                abort();
        if (!is_int(root_open(etc, &root), 0, "action: root opens") || !is_int(context_new(root, true, &c), 0, "action: context") ||
            !is_int(param_values_new(p, NULL, &values, &error), 0, "action: default values"))
                return;
        c->playbook = p;
        c->values = values;

        is_int(plan_step(c, p, 0, &change), 1, "action: SystemdCgroup planned");
        if (is_int(change.n_ops, 1, "action: one file op")) {
                _cleanup_free_ char *want = replaced(def, "SystemdCgroup = false", "SystemdCgroup = true");
                is_str(change.ops[0].after->data, want, "action: the planned content");
        }
        is_str(change.note,
               "SystemdCgroup = true in [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options] (was false)",
               "action: note");
        change_done(&change);
        change = (Change) {};

        /* the second step sees the first one's planned content */
        is_int(plan_step(c, p, 1, &change), 1, "action: sandbox_image planned");
        if (is_int(change.n_ops, 1, "action: one file op")) {
                ok(strstr(change.ops[0].after->data, "SystemdCgroup = true"), "action: on top of the first step");
                ok(strstr(change.ops[0].after->data, "sandbox_image = \"registry.k8s.io/pause:3.9\""),
                   "action: inferred string");
        }
        change_done(&change);
        change = (Change) {};

        is_int(plan_step(c, p, 0, &change), 0, "action: already so");
        is_int(change.n_ops, 0, "action: no op when already so");
        change_done(&change);
        change = (Change) {};

        is_int(plan_step(c, p, 2, &change), 1, "action: create: true");
        if (is_int(change.n_ops, 1, "action: one file op"))
                is_str(change.ops[0].after->data, "version = 2\n", "action: new file content (inferred int)");
        is_str(change.note, "version = 2 in the root table (new file)", "action: note for a new file");
        change_done(&change);
        change = (Change) {};

        is_int(plan_step(c, p, 3, &change), -ENOENT, "action: a missing file is an error");
        is_str(c->error, "/etc/missing.toml: no such file (toml-set creates it only with create: true)",
               "action: missing file message");
        change_done(&change);
        change = (Change) {};

        /* an unparseable node file: PATH:LINE:COLUMN: reason */
        _cleanup_(context_freep) Context *c2 = NULL;
        write_file(cfg, "version = 2\n[plugins\n", 21);
        if (is_int(context_new(root, true, &c2), 0, "action: second context")) {
                c2->playbook = p;
                c2->values = values;
                is_int(plan_step(c2, p, 0, &change), -EINVAL, "action: invalid TOML refused");
                is_str(c2->error,
                       "/etc/containerd/config.toml:2:9: Error while parsing table header: expected ']', saw '\\n'",
                       "action: error names path, line and column");
                change_done(&change);
        }
}

static void test_action_parse_errors(void) {
        static const struct {
                const char *step, *error;
        } cases[] = {
                {"{path: /a.toml, key: k, value: yes, type: bool}", "test.yaml:5:46: value: \"yes\" is not a valid bool"},
                {"{path: /a.toml, key: k, value: 1, type: float}", "test.yaml:5:55: type: must be string, bool or int, not \"float\""},
                {"{path: /a.toml, table: \"a..b\", key: k, value: 1}", "test.yaml:5:38: table: invalid table name \"a..b\": "
                 "Error while parsing key: expected bare key starting character or string delimiter, saw '.'"},
                {"{path: /a.toml, key: k, value: True}", "test.yaml:5:46: value: write a boolean as true or false"},
                {"{path: /a.toml, key: \"\", value: 1}", "test.yaml:5:36: key: must not be empty"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *yaml = NULL, *error = NULL;
                _cleanup_(playbook_freep) Playbook *p = NULL;
                if (asprintf(&yaml, "name: t\nsummary: s\nsteps:\n  - name: x\n    toml-set: %s\n", cases[i].step) < 0)
                        abort();
                is_int(playbook_load_data("test.yaml", yaml, strlen(yaml), &p, &error), -EINVAL, "parse refuses %s",
                       cases[i].step);
                is_str(error, cases[i].error, "parse error for %s", cases[i].step);
        }
}

int main(void) {
        tmpdir = make_temp_dir("toml-set");

        test_action();
        test_action_parse_errors();

        rm_rf(tmpdir);
        free(tmpdir);
        return tap_done();
}
