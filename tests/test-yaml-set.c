/* SPDX-License-Identifier: MIT */
/*
 * The yaml-set action: its arguments parsed from playbook YAML, and its plan on a node tree, with
 * parameter values typed and the file's mode kept. The editor itself is tested in test-yaml-edit.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edit-test-text.h"
#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/macro.h"
#include "remedy/playbook.h"
#include "remedy/yaml-node.h"
#include "tap.h"
#include "test-util.h"

static Param action_params[] = {
        { .name = (char *) "swap", .type = PARAM_BOOL, .default_value = (char *) "false" },
        { .name = (char *) "pods", .type = PARAM_INT, .default_value = (char *) "110" },
        { .name = (char *) "behavior", .type = PARAM_STRING, .default_value = (char *) "LimitedSwap" },
};

typedef struct Planned {
        int r;                 /* parse result when parsing failed, else plan result */
        bool parsed;
        Change change;
        char *error;
} Planned;

static void planned_done(Planned *p) {
        change_done(&p->change);
        free(p->error);
}

static Planned plan_step(const char *root_dir, const char *yaml, const char *set) {
        _cleanup_(yaml_document_freep) YamlDocument *doc = NULL;
        _cleanup_(param_values_freep) ParamValues *values = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        ParseContext pc = { .file = "test.yaml", .params = action_params, .n_params = ELEMENTSOF(action_params) };
        Playbook playbook = { .name = (char *) "test", .path = (char *) "test.yaml", .params = action_params,
                              .n_params = ELEMENTSOF(action_params) };
        char *sets[] = { (char *) set, NULL };
        Planned p = {};
        void *args = NULL;

        if (yaml_document_parse("test.yaml", yaml, strlen(yaml), &doc, &p.error) < 0) {
                p.r = -EBADMSG;
                return p;
        }
        p.r = action_yaml_set.parse(&pc, doc->root, &args);
        if (p.r < 0) {
                p.error = pc.error;
                return p;
        }
        free(pc.error);
        p.parsed = true;
        if (param_values_new(&playbook, set ? sets : NULL, &values, &p.error) < 0 || root_open(root_dir, &root) < 0 ||
            context_new(root, true, &c) < 0)
                abort();
        c->playbook = &playbook;
        c->values = values;
        p.r = action_yaml_set.plan(c, args, &p.change);
        if (c->error)
                p.error = strdup(c->error);
        action_yaml_set.free_args(args);
        return p;
}

static const char *planned_data(const Planned *p) {
        if (p->change.n_ops != 1 || p->change.ops[0].type != FILE_OP_WRITE || !p->change.ops[0].after)
                return NULL;
        return p->change.ops[0].after->data;
}

static void put_file(const char *root, const char *path, const char *data, mode_t mode) {
        _cleanup_free_ char *full = NULL;

        if (asprintf(&full, "%s%s", root, path) < 0)
                abort();
        for (char *slash = strchr(full + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                (void) mkdir(full, 0755);
                *slash = '/';
        }
        write_file(full, data, strlen(data));
        if (chmod(full, mode) < 0)
                abort();
}

static void test_action(void) {
        _cleanup_free_ char *root = make_temp_dir("yaml-set");
        _cleanup_free_ char *config = read_fixture("yaml-edit/kubeadm-kubelet-config.yaml", NULL);
        char *want;
        Planned p;

        put_file(root, "/var/lib/kubelet/config.yaml", config, 0600);
        put_file(root, "/var/lib/kubelet/broken.yaml", "cgroupDriver: systemd\n  bad: [\n", 0644);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: cgroupDriver, value: cgroupfs}", NULL);
        ok(p.parsed && p.r >= 0, "action: plan succeeds (%s)", strempty(p.error));
        want = replaced(config, "cgroupDriver: systemd\n", "cgroupDriver: cgroupfs\n");
        is_str(planned_data(&p), want, "action: the planned file");
        free(want);
        ok(p.change.n_ops == 1 && p.change.ops[0].after->mode == 0600, "action: the file keeps mode 0600");
        is_str(p.change.note, "cgroupDriver: systemd → cgroupfs", "action: note");
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: cgroupDriver, value: systemd}", NULL);
        ok(p.parsed && p.r == 0 && p.change.n_ops == 0, "action: already so, no op (%s)", strempty(p.error));
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: failSwapOn, value: \"{{ swap }}\"}", NULL);
        want = concat(config, "failSwapOn: false\n");
        is_str(planned_data(&p), want, "action: a bool parameter is written as a bool");
        free(want);
        is_str(p.change.note, "failSwapOn: (unset) → false", "action: note for a new key");
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: failSwapOn, value: \"{{ swap }}\"}", "swap=true");
        want = concat(config, "failSwapOn: true\n");
        is_str(planned_data(&p), want, "action: --set swap=true");
        free(want);
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: maxPods, value: \"{{ pods }}\"}", "pods=0250");
        want = concat(config, "maxPods: 250\n");
        is_str(planned_data(&p), want, "action: an int parameter, written canonically");
        free(want);
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: memorySwap.swapBehavior, value: \"{{ behavior }}\"}",
                      NULL);
        want = replaced(config, "memorySwap: {}\n", "memorySwap: {swapBehavior: LimitedSwap}\n");
        is_str(planned_data(&p), want, "action: string parameter into memorySwap: {}");
        free(want);
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: authentication.anonymous.enabled, value: true}", NULL);
        want = replaced(config, "    enabled: false\n", "    enabled: true\n");
        is_str(planned_data(&p), want, "action: plain true is a bool");
        free(want);
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: cgroupDriver, value: \"true\"}", NULL);
        want = replaced(config, "cgroupDriver: systemd\n", "cgroupDriver: \"true\"\n");
        is_str(planned_data(&p), want, "action: quoted \"true\" is a string");
        free(want);
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: healthzPort, value: \"10250\", type: int}", NULL);
        want = replaced(config, "healthzPort: 10248\n", "healthzPort: 10250\n");
        is_str(planned_data(&p), want, "action: type: int overrides the quotes");
        free(want);
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/new.yaml, key: cgroupDriver, value: systemd}", NULL);
        is_int(p.r, -ENOENT, "action: a missing file is an error");
        ok(p.error && startswith(p.error, "/var/lib/kubelet/new.yaml: file does not exist"), "action: says so: %s",
           strempty(p.error));
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/new.yaml, key: cgroupDriver, value: systemd, create: true}", NULL);
        is_str(planned_data(&p), "cgroupDriver: systemd\n", "action: create: true creates the file with the key");
        ok(p.change.n_ops == 1 && p.change.ops[0].after->mode == 0644 && p.change.ops[0].before &&
           p.change.ops[0].before->kind == FILE_ABSENT, "action: a new file, mode 0644");
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/broken.yaml, key: cgroupDriver, value: cgroupfs}", NULL);
        is_int(p.r, -EBADMSG, "action: a broken file is refused");
        ok(p.error && startswith(p.error, "/var/lib/kubelet/broken.yaml:2:6: "), "action: FILE:LINE:COLUMN: %s",
           strempty(p.error));
        planned_done(&p);

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: clusterDNS, value: 10.96.0.11}", NULL);
        is_int(p.r, -EINVAL, "action: a sequence target is refused");
        is_str(p.error, "/var/lib/kubelet/config.yaml:17:1: \"clusterDNS\" is a sequence, not a scalar",
               "action: error names the file and position");
        planned_done(&p);

        static const struct {
                const char *yaml, *error;
        } bad[] = {
                { "{path: /x.yaml, key: failSwapOn, value: yes}", "is ambiguous" },
                { "{path: /x.yaml, key: cpuCFSQuotaPeriod, value: 1.5}", "is ambiguous" },
                { "{path: /x.yaml, key: failSwapOn, value: True}", "is ambiguous" },
                { "{path: /x.yaml, key: failSwapOn, value: \"on\", type: bool}", "is not a valid bool" },
                { "{path: /x.yaml, key: maxPods, value: 1x, type: int}", "is not a valid int" },
                { "{path: /x.yaml, key: maxPods, value: 1, type: float}", "type 'float'" },
                { "{path: /x.yaml, key: a..b, value: 1}", "is not a key path" },
                { "{path: /x.yaml, key: a, value: 1, color: red}", "color" },
                { "{path: x.yaml, key: a, value: 1}", "absolute" },
                { "{path: /x.yaml, value: 1}", "key" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                p = plan_step(root, bad[i].yaml, NULL);
                ok(!p.parsed && p.r == -EINVAL && p.error && strstr(p.error, bad[i].error) &&
                   startswith(p.error, "test.yaml:1:"), "action: %s refused: %s", bad[i].yaml, strempty(p.error));
                planned_done(&p);
        }

        p = plan_step(root, "{path: /var/lib/kubelet/config.yaml, key: failSwapOn, value: \"{{ behavior }}\", type: bool}",
                      NULL);
        ok(p.parsed && p.r == -EINVAL && p.error && strstr(p.error, "'LimitedSwap' for failSwapOn is not a valid bool"),
           "action: a parameter value of the wrong type: %s", strempty(p.error));
        planned_done(&p);

        rm_rf(root);
}

int main(void) {
        test_action();
        return tap_done();
}
