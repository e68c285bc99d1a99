/* SPDX-License-Identifier: MIT */
/*
 * unit-file.c against the judge: real `systemctl --root` (systemd 252). Each case builds a node
 * root from tests/fixtures/units/, lets systemctl act on one copy and applies our planned links
 * (symlink()/unlink()) to another, then compares the symlinks under /etc/systemd/system and asks
 * `systemctl is-enabled` about the result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/playbook.h"
#include "remedy/strv.h"
#include "remedy/unit-file.h"
#include "tap.h"
#include "test-util.h"
#include "unit-test-fs.h"

/* ---- node roots ---- */

static char *fixtures_dir(void) {
        const char *f = getenv("FIXTURES");
        return xasprintf("%s/units", f && *f ? f : "tests/fixtures");
}

/* A root with the fixture units in /lib/systemd/system (merged: /lib -> usr/lib). */
static char *make_root(const char *name, bool merged_usr) {
        char *root = make_temp_dir(name), *fixtures = fixtures_dir();
        char *units = xasprintf("%s/%s/systemd/system", root, merged_usr ? "usr/lib" : "lib");
        char *etc = xasprintf("%s/etc/systemd/system", root);
        run_ok((char *[]) { "mkdir", "-p", units, etc, NULL });
        if (merged_usr) {
                char *lib = xasprintf("%s/lib", root);
                if (symlink("usr/lib", lib) < 0)
                        abort();
                free(lib);
        }
        char *src = xasprintf("%s/.", fixtures);
        run_ok((char *[]) { "cp", "-a", src, units, NULL });
        free(src);
        free(fixtures);
        free(units);
        free(etc);
        return root;
}

/* ---- [Install] syntax ---- */

static void test_parse_syntax(void) {
        char *fixtures = fixtures_dir(), *path = xasprintf("%s/syntax.service", fixtures);
        char *data = read_file(path, NULL), *error = NULL, *joined;
        UnitInstall i = {};

        int r = unit_install_parse(&i, "syntax.service", path, data, &error);
        ok(r == 0, "syntax.service parses (%s)", error ?: "no error");
        /* The empty assignment dropped dropped.target; continuation, comment inside it, tab and
         * quotes give three words; [Service] and [install] assignments do not count. */
        joined = xasprintf("%s|%s|%s|%s", i.wanted_by[0], i.wanted_by[1], i.wanted_by[2],
                           i.wanted_by[3] ?: "(end)");
        is_str(joined, "first.target|second.target|third.target|(end)", "WantedBy= list");
        free(joined);
        is_str(i.required_by ? i.required_by[0] : NULL, "req.target", "RequiredBy= unquoted");
        is_str(i.aliases ? i.aliases[0] : NULL, "%p-alias.service", "Alias= keeps its specifier");
        is_int(strv_length(i.aliases), 2, "two aliases");
        unit_install_done(&i);
        free(data);
        free(path);
        free(fixtures);

        r = unit_install_parse(&i, "x.service", "x.service", "[Install]\nWantedBy=a.target\n[Install\nWantedBy=b.target\n", &error);
        is_int(r, -EBADMSG, "broken section header refused");
        is_str(error, "x.service:3: Invalid section header '[Install'", "error names file and line");
        unit_install_done(&i);
        free(error);
        error = NULL;

        r = unit_install_parse(&i, "t@.service", "t@.service",
                               "[Install]\nDefaultInstance=%p1\nAlso=%p-helper.service %i.socket\nWantedBy=x.target\\\\\n", &error);
        ok(r == 0, "template parses");
        is_str(i.default_instance, "t1", "DefaultInstance= with %%p");
        is_str(i.also ? i.also[0] : NULL, "t-helper.service", "Also= specifiers resolved at parse time");
        is_str(i.also && i.also[0] ? i.also[1] : NULL, "t1.socket", "%%i in a template is its default instance");
        is_str(i.wanted_by ? i.wanted_by[0] : NULL, "x.target\\\\", "an even run of backslashes does not continue");
        unit_install_done(&i);

        r = unit_install_parse(&i, "t@x.service", "t@.service", "[Install]\nDefaultInstance=tty1\n", &error);
        ok(r == 0 && !i.default_instance, "DefaultInstance= is ignored when installing an instance");
        unit_install_done(&i);

        r = unit_install_parse(&i, "x.service", "x.service", "[Install]\nAlso=%H.service\n", &error);
        is_int(r, -EOPNOTSUPP, "unsupported specifier in Also= refused");
        ok(error && strstr(error, "Also="), "and said so: %s", strempty(error));
        unit_install_done(&i);
        free(error);
}

static void test_names(void) {
        char *s = NULL;
        is_int(unit_name_kind("kubelet.service"), UNIT_NAME_PLAIN, "plain name");
        is_int(unit_name_kind("getty@.service"), UNIT_NAME_TEMPLATE, "template name");
        is_int(unit_name_kind("getty@tty1.service"), UNIT_NAME_INSTANCE, "instance name");
        is_int(unit_name_kind("kubelet"), -EINVAL, "no type suffix");
        is_int(unit_name_kind("../x.service"), -EINVAL, "slash refused");
        is_int(unit_name_kind("@x.service"), -EINVAL, "empty prefix refused");
        is_int(unit_name_kind("x.conf"), -EINVAL, "unknown type refused");
        ok(unit_name_template("getty@tty1.service", &s) == 0 && streq(s, "getty@.service"), "template of instance");
        free(s);
}

/* The names systemd gives swap units for fstab sources, judged by systemd-escape. */
static void test_name_from_path(void) {
        static const char * const paths[] = {
                "/swap.img", "/dev/sda2", "/dev/disk/by-uuid/0f4e2c1a-7d0b-4b6e-9a55-2f1c0d9e8b77",
                "/dev/disk/by-label/my\\x20swap", "/var/lib/swap file", "//dev//./zram0/", "/.swapfile",
                "/dev/mapper/vg0-swap_1", "/", "/srv/sw\xc3\xa4p",
                /* relative: systemd-fstab-generator names swapfile.swap after "swapfile" in an fstab */
                "swap.img", "ID=abc",
        };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *ours = NULL, *theirs = NULL;
                char *argv[] = { (char *) "systemd-escape", (char *) "--path", (char *) "--suffix=swap", (char *) paths[i], NULL };
                int r = unit_name_from_path(paths[i], ".swap", &ours);
                if (run_capture(argv, &theirs, NULL) != 0 || !theirs) {
                        ok(false, "systemd-escape --path %s", paths[i]);
                        continue;
                }
                theirs[strcspn(theirs, "\n")] = 0;
                ok(r == 0 && streq(ours, theirs), "%s -> %s (systemd-escape: %s)", paths[i], ours ? ours : "(error)", theirs);
        }
        char *s = NULL;
        is_int(unit_name_from_path("/a/../b", ".swap", &s), -EINVAL, "a path with .. is refused");
        char long_path[300];
        memset(long_path, 'a', sizeof(long_path) - 1);
        long_path[0] = '/';
        long_path[sizeof(long_path) - 1] = 0;
        is_int(unit_name_from_path(long_path, ".swap", &s), -ENAMETOOLONG, "a name past 255 bytes is refused");
}

/* ---- against systemctl ---- */

static void test_enable_disable(bool merged_usr) {
        char *root = make_root(merged_usr ? "units-merged" : "units-split", merged_usr);
        diag("%s /usr", merged_usr ? "merged" : "split");

        check_state(root, "kubelet.service", "disabled");
        ok(compare_with_systemctl(root, "enable", unit_plan_enable, "kubelet.service") == 1, "kubelet: one link");
        check_state(root, "kubelet.service", "enabled");
        is_int(compare_with_systemctl(root, "enable", unit_plan_enable, "kubelet.service"), 0,
               "already enabled: no links planned");

        check_state(root, "systemd-networkd-wait-online.service", "disabled");
        /* Alias=, Also= (one of them missing: systemd-network-generator.service), WantedBy=. */
        check_state(root, "systemd-networkd.service", "disabled");
        is_int(compare_with_systemctl(root, "enable", unit_plan_enable, "systemd-networkd.service"), 4,
               "networkd: alias, its wants, socket and wait-online");
        check_state(root, "systemd-networkd.service", "enabled");
        check_state(root, "systemd-networkd-wait-online.service", "enabled");
        check_state(root, "dbus-org.freedesktop.network1.service", "alias");

        check_state(root, "getty@.service", "disabled");
        compare_with_systemctl(root, "enable", unit_plan_enable, "getty@.service");
        check_state(root, "getty@.service", "enabled");
        check_state(root, "getty@tty1.service", "enabled");
        check_state(root, "getty@tty2.service", "disabled");
        compare_with_systemctl(root, "enable", unit_plan_enable, "getty@tty5.service");
        check_state(root, "getty@tty5.service", "enabled");

        compare_with_systemctl(root, "enable", unit_plan_enable, "syntax.service");
        check_state(root, "syntax2.service", "alias");

        is_int(compare_with_systemctl(root, "disable", unit_plan_disable, "systemd-networkd.service"), 4,
               "networkd disabled with its Also= units");
        check_state(root, "systemd-networkd.service", "disabled");
        check_state(root, "systemd-networkd.socket", "disabled");
        compare_with_systemctl(root, "disable", unit_plan_disable, "getty@.service");
        check_state(root, "getty@tty5.service", "disabled");
        compare_with_systemctl(root, "disable", unit_plan_disable, "syntax.service");
        is_int(compare_with_systemctl(root, "disable", unit_plan_disable, "syntax.service"), 0,
               "already disabled: no links planned");
        check_state(root, "kubelet.service", "enabled");

        rm_rf(root);
        free(root);
}

static void test_mask(void) {
        char *root = make_root("units-mask", true), *error = NULL;
        UnitLinks links = {};

        compare_with_systemctl(root, "enable", unit_plan_enable, "kubelet.service");
        is_int(compare_with_systemctl(root, "mask", unit_plan_mask, "kubelet.service"), 1, "mask: one link");
        check_state(root, "kubelet.service", "masked");
        is_int(compare_with_systemctl(root, "mask", unit_plan_mask, "kubelet.service"), 0, "masked again: nothing");
        /* systemctl disable skips a masked unit: its wants link stays. */
        is_int(compare_with_systemctl(root, "disable", unit_plan_disable, "kubelet.service"), 0,
               "disable of a masked unit changes nothing");

        DISK_FS(fs, root);
        int r = unit_plan_enable(&fs, "kubelet.service", &links, &error);
        is_int(r, -ERFKILL, "enable of a masked unit refused");
        is_str(error, "Unit kubelet.service is masked", "with systemctl's reason");
        free(error);
        error = NULL;
        disk_fs_done(fs.userdata);

        is_int(compare_with_systemctl(root, "unmask", unit_plan_unmask, "kubelet.service"), 1, "unmask: one removal");
        check_state(root, "kubelet.service", "enabled");
        is_int(compare_with_systemctl(root, "unmask", unit_plan_unmask, "kubelet.service"), 0, "unmasked again: nothing");

        /* A real unit file in /etc: systemctl mask fails with "File exists". */
        char *etc_unit = xasprintf("%s/etc/systemd/system/kubelet.service", root);
        const char *etc_data = "[Service]\nExecStart=/usr/local/bin/kubelet\n[Install]\nWantedBy=multi-user.target\n";
        write_file(etc_unit, etc_data, strlen(etc_data));
        int status;
        free(systemctl(root, "mask", "kubelet.service", &status));
        ok(status != 0, "systemctl mask refuses a unit file in /etc");
        DISK_FS(fs2, root);
        r = unit_plan_mask(&fs2, "kubelet.service", &links, &error);
        is_int(r, -EEXIST, "so do we");
        is_str(error, "/etc/systemd/system/kubelet.service already exists", "naming the file");
        free(error);
        error = NULL;
        disk_fs_done(fs2.userdata);

        /* The fragment in /etc wins: enable links to it. */
        compare_with_systemctl(root, "disable", unit_plan_disable, "kubelet.service");
        compare_with_systemctl(root, "enable", unit_plan_enable, "kubelet.service");
        check_state(root, "kubelet.service", "enabled");

        /* A template without DefaultInstance= cannot be enabled by its template name. */
        char *t = xasprintf("%s/usr/lib/systemd/system/plain@.service", root);
        const char *t_data = "[Install]\nWantedBy=multi-user.target\n";
        write_file(t, t_data, strlen(t_data));
        free(systemctl(root, "enable", "plain@.service", &status));
        ok(status != 0, "systemctl refuses to enable plain@.service");
        DISK_FS(fs3, root);
        r = unit_plan_enable(&fs3, "plain@.service", &links, &error);
        is_int(r, -EIDRM, "so do we");
        diag("%s", strempty(error));
        free(error);
        error = NULL;
        r = unit_plan_enable(&fs3, "missing.service", &links, &error);
        is_int(r, -ENOENT, "a missing unit cannot be enabled");
        free(error);
        disk_fs_done(fs3.userdata);

        free(t);
        free(etc_unit);
        rm_rf(root);
        free(root);
}

static void test_dropin_install(void) {
        char *root = make_root("units-dropin", false);
        char *dir = xasprintf("%s/etc/systemd/system/systemd-networkd-wait-online.service.d", root);
        char *conf = xasprintf("%s/override.conf", dir);
        run_ok((char *[]) { "mkdir", "-p", dir, NULL });
        const char *conf_data = "[Install]\nWantedBy=\nWantedBy=multi-user.target\n";
        write_file(conf, conf_data, strlen(conf_data));

        compare_with_systemctl(root, "enable", unit_plan_enable, "systemd-networkd-wait-online.service");
        check_state(root, "systemd-networkd-wait-online.service", "enabled");
        rm_rf(root);
        free(root);
        free(dir);
        free(conf);
}

/* ---- the action, through the Context ---- */

typedef struct PlannedPlaybook {
        Playbook *playbook;
        ParamValues *values;
        Root *root;
        Context *context;
        Change *changes;
} PlannedPlaybook;

static void planned_done(PlannedPlaybook *p) {
        for (size_t i = 0; p->playbook && i < p->playbook->n_steps; i++)
                change_done(&p->changes[i]);
        free(p->changes);
        context_free(p->context);
        root_free(p->root);
        param_values_free(p->values);
        playbook_free(p->playbook);
}

/* Loads yaml and plans every step offline against root; returns the first error. */
static int plan_playbook(const char *root, const char *yaml, PlannedPlaybook *p, char **ret_error) {
        int r = playbook_load_data("test.yaml", yaml, strlen(yaml), &p->playbook, ret_error);
        if (r < 0)
                return r;
        if ((r = param_values_new(p->playbook, NULL, &p->values, ret_error)) < 0 ||
            (r = root_open(root, &p->root)) < 0 || (r = context_new(p->root, true, &p->context)) < 0)
                return r;
        p->context->playbook = p->playbook;
        p->context->values = p->values;
        p->changes = calloc(p->playbook->n_steps, sizeof(Change));
        for (size_t i = 0; i < p->playbook->n_steps; i++) {
                const Step *s = &p->playbook->steps[i];
                p->context->step = s;
                r = s->action->plan(p->context, s->args, &p->changes[i]);
                if (r < 0) {
                        *ret_error = p->context->error ? strdup(p->context->error) : NULL;
                        return r;
                }
        }
        return 0;
}

static void apply_ops(const char *root, const Change *ch) {
        for (size_t i = 0; i < ch->n_ops; i++) {
                const FileOp *op = &ch->ops[i];
                UnitLinks l = { .items = &(UnitLink) { .path = op->after->path,
                                                       .target = op->type == FILE_OP_SYMLINK ? op->after->data : NULL },
                                .n_items = 1 };
                apply_links(root, &l);
        }
}

static void test_action(void) {
        char *root = make_root("units-action", true), *error = NULL;
        PlannedPlaybook p = {};

        const char *yaml =
                "name: units\n"
                "params:\n"
                "  wait_online_unit: {type: string, default: systemd-networkd-wait-online.service}\n"
                "steps:\n"
                "  - name: enable wait-online\n"
                "    unit: {name: \"{{ wait_online_unit }}\", enabled: true}\n"
                "  - name: enable the kubelet, named as systemctl allows\n"
                "    unit: {name: kubelet, enabled: true}\n"
                "  - name: enable it again\n"
                "    unit: {name: kubelet.service, enabled: true}\n"
                "  - name: restart it\n"
                "    unit: {name: kubelet.service, state: restarted}\n"
                "  - name: mask networkd\n"
                "    unit: {name: systemd-networkd.service, masked: true, enabled: false}\n";
        int r = plan_playbook(root, yaml, &p, &error);
        ok(r == 0, "playbook planned (%s)", error ?: "no error");
        if (r == 0) {
                is_int(p.changes[0].n_ops, 1, "wait-online: one op");
                is_str(p.changes[0].note,
                       "enable: /etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service"
                       " → /lib/systemd/system/systemd-networkd-wait-online.service",
                       "note says what enable links");
                is_int(p.changes[1].n_ops, 1, "kubelet: one op");
                ok(p.changes[1].n_ops == 1 && p.changes[1].ops[0].type == FILE_OP_SYMLINK &&
                   streq(p.changes[1].ops[0].after->path, "/etc/systemd/system/multi-user.target.wants/kubelet.service") &&
                   streq(p.changes[1].ops[0].after->data, "/lib/systemd/system/kubelet.service"),
                   "kubelet: the link systemctl makes");
                is_int(p.changes[2].n_ops, 0, "the second enable sees the first in the plan: no op");
                is_int(p.changes[3].status, CHANGE_SKIPPED, "state offline: skipped");
                is_str(p.changes[3].note, "offline (--root): not restarted", "with the reason");
                is_int(p.changes[4].n_ops, 1, "networkd (never enabled): only the mask link");
                for (size_t i = 0; i < p.playbook->n_steps; i++)
                        apply_ops(root, &p.changes[i]);
                free(systemctl(root, "is-enabled", "kubelet.service", NULL));
                char *s = systemctl(root, "is-enabled", "kubelet.service", NULL);
                is_str(s, "enabled", "systemctl: kubelet enabled after our ops");
                free(s);
                s = systemctl(root, "is-enabled", "systemd-networkd-wait-online.service", NULL);
                is_str(s, "enabled", "systemctl: wait-online enabled after our ops");
                free(s);
                s = systemctl(root, "is-enabled", "systemd-networkd.service", NULL);
                is_str(s, "masked", "systemctl: networkd masked after our ops");
                free(s);
        }
        planned_done(&p);
        free(error);
        error = NULL;

        /* Unmask and enable in one step: enable sees the unmask. Then disable in the next step. */
        p = (PlannedPlaybook) {};
        yaml = "name: units2\n"
               "steps:\n"
               "  - name: unmask and enable networkd\n"
               "    unit: {name: systemd-networkd.service, masked: false, enabled: true}\n"
               "  - name: disable the kubelet\n"
               "    unit: {name: kubelet.service, enabled: false}\n";
        r = plan_playbook(root, yaml, &p, &error);
        ok(r == 0, "second playbook planned (%s)", error ?: "no error");
        if (r == 0) {
                is_int(p.changes[0].n_ops, 4, "unmask + alias + 2 wants links (wait-online is linked already)");
                diag("%s", strempty(p.changes[0].note));
                ok(p.changes[0].note && startswith(p.changes[0].note, "unmask: removes /etc/systemd/system/systemd-networkd.service; enable: "),
                   "note lists unmask then enable");
                is_int(p.changes[1].n_ops, 1, "kubelet disable: one removal");
                for (size_t i = 0; i < p.playbook->n_steps; i++)
                        apply_ops(root, &p.changes[i]);
                char *s = systemctl(root, "is-enabled", "systemd-networkd.service", NULL);
                is_str(s, "enabled", "systemctl: networkd enabled");
                free(s);
                s = systemctl(root, "is-enabled", "kubelet.service", NULL);
                is_str(s, "disabled", "systemctl: kubelet disabled");
                free(s);
        }
        planned_done(&p);
        free(error);
        error = NULL;

        /* Errors: a masked unit cannot be enabled; live mode is the next issue. */
        p = (PlannedPlaybook) {};
        char *etc_mask = xasprintf("%s/etc/systemd/system/kubelet.service", root);
        if (symlink("/dev/null", etc_mask) < 0)
                abort();
        r = plan_playbook(root, "name: units3\nsteps:\n  - name: e\n    unit: {name: kubelet.service, enabled: true}\n", &p, &error);
        is_int(r, -ERFKILL, "enabling a masked unit fails the plan");
        is_str(error, "enable kubelet.service: Unit kubelet.service is masked", "with a reason");
        planned_done(&p);
        free(error);
        error = NULL;
        free(etc_mask);

        p = (PlannedPlaybook) {};
        r = plan_playbook(root, "name: units4\nsteps:\n  - name: e\n    unit: {name: kubelet.service, enabled: true, masked: true}\n", &p, &error);
        is_int(r, -EINVAL, "enabled and masked together refused at load");
        ok(error && strstr(error, "contradict"), "saying why: %s", strempty(error));
        planned_done(&p);
        free(error);
        error = NULL;

        p = (PlannedPlaybook) {};
        r = plan_playbook(root, "name: units5\nsteps:\n  - name: e\n    unit: {name: kubelet.service, state: running}\n", &p, &error);
        is_int(r, -EINVAL, "unknown state refused at load");
        planned_done(&p);
        free(error);

        rm_rf(root);
        free(root);
}

int main(void) {
        test_names();
        test_parse_syntax();
        if (!program_exists("systemctl")) {
                ok(false, "systemctl is needed: it is the judge of these tests");
                return tap_done();
        }
        test_name_from_path();
        test_enable_disable(false);
        test_enable_disable(true);
        test_mask();
        test_dropin_install();
        test_action();
        return tap_done();
}
