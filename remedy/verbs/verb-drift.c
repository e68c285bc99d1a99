/* SPDX-License-Identifier: MIT */
/* remedy drift --baseline=FILE: each field where the node's effective configuration differs from
 * a baseline (a kubeadm kubelet-config ConfigMap, a KubeletConfiguration, another node's
 * snapshot), with the node's source and the baseline's line; node-specific fields apart.
 * Exit 0: no drift, 1: drift, 2: bad input. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "verbs.h"
#include "remedy/fileio.h"
#include "remedy/report.h"
#include "remedy/secret-mask.h"
#include "remedy/snapshot.h"
#include "remedy/term-escape.h"

/* Node bytes and the baseline's go through the masking, then the escaping. */
static void put_masked(const char *s) {
        _cleanup_free_ char *masked = secret_mask(s);
        (void) term_puts(masked ? masked : "(out of memory)", stdout);
}

static void print_side(const char *label, const char *value, const char *source, const char *note) {
        printf("    %-9s ", label);
        if (value)
                put_masked(value);
        else
                fputs("not set", stdout);
        if (source || note) {
                fputs(" (", stdout);
                put_masked(source ? source : note);
                fputs(")", stdout);
        }
        putchar('\n');
}

static void print_item(const DriftItem *i) {
        printf("  %s", ansi_bold());
        put_masked(i->path);
        printf("%s\n", ansi_reset());
        print_side("node:", i->node_value, i->node_source, i->node_value ? NULL : i->note);
        print_side("baseline:", i->baseline_value, i->baseline_source, i->baseline_value ? NULL : i->note);
        if (i->playbook)
                printf("    %-9s remedy apply %s\n", "fix:", i->playbook);
}

static json_object *item_json(const DriftItem *i) {
        json_object *o = json_object_new_object(), *node = json_object_new_object(), *base = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(i->path));
        json_object_object_add(node, "value", i->node_value ? json_object_new_string(i->node_value) : NULL);
        if (i->node_source)
                json_object_object_add(node, "source", json_object_new_string(i->node_source));
        json_object_object_add(o, "node", node);
        json_object_object_add(base, "value", i->baseline_value ? json_object_new_string(i->baseline_value) : NULL);
        if (i->baseline_source)
                json_object_object_add(base, "source", json_object_new_string(i->baseline_source));
        json_object_object_add(o, "baseline", base);
        if (i->note)
                json_object_object_add(o, "note", json_object_new_string(i->note));
        if (i->playbook)
                json_object_object_add(o, "playbook", json_object_new_string(i->playbook));
        return o;
}

static int read_baseline(Baseline **ret) {
        _cleanup_free_ char *data = NULL, *error = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;
        int r;

        /* The operator's file, on this machine: not under --root. */
        fd = open(arg_baseline, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return report_error(EXIT_BAD_INPUT, "--baseline: cannot open %s: %s", arg_baseline, strerror(errno));
        if ((r = read_full_fd(fd, NODE_FILE_MAX, &data, &size)) < 0)
                return report_error(EXIT_BAD_INPUT, "--baseline: cannot read %s: %s", arg_baseline, strerror(-r));
        r = baseline_load(arg_baseline, data, size, ret, &error);
        if (r < 0)
                return report_error(r == -ENOMEM ? EXIT_FAILED : EXIT_BAD_INPUT, "%s",
                                    error ? error : strerror(-r));
        return 0;
}

int verb_drift(int argc, char **argv) {
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(baseline_freep) Baseline *baseline = NULL;
        _cleanup_(drift_report_done) DriftReport d = {};
        json_object *node = NULL;
        int r;

        (void) argv;
        if (argc > 1)
                return report_error(EXIT_BAD_INPUT, "drift takes no arguments; the baseline is --baseline=FILE");
        if (!arg_baseline)
                return report_error(EXIT_BAD_INPUT, "drift: name the baseline with --baseline=FILE");
        if ((r = read_baseline(&baseline)) != 0 || (r = cli_open_node(&root, &bus)) != 0)
                return r;
        if ((r = snapshot_node(root, arg_root != NULL, bus, &node)) < 0)
                return report_error(EXIT_FAILED, "drift: %s", strerror(-r));
        json_object *kubelet = json_object_object_get(node, "kubelet"), *error = json_object_object_get(kubelet, "error");
        if (error) {
                r = report_error(EXIT_BAD_INPUT, "drift: the node's kubelet configuration cannot be read: %s",
                                 json_object_get_string(error));
                json_object_put(node);
                return r;
        }
        r = drift_compare(node, baseline, &d);
        json_object_put(node);
        if (r < 0)
                return report_error(EXIT_FAILED, "drift: %s", strerror(-r));

        if (report_options.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array(), *s = json_object_new_array();
                json_object_object_add(o, "command", json_object_new_string("drift"));
                json_object_object_add(o, "baseline", json_object_new_string(baseline->file));
                json_object_object_add(o, "baseline_kind", json_object_new_string(baseline_kind_name(baseline->kind)));
                json_object_object_add(o, "compared", json_object_new_int64((int64_t) d.n_compared));
                for (size_t i = 0; i < d.n_drift; i++)
                        json_object_array_add(a, item_json(&d.drift[i]));
                for (size_t i = 0; i < d.n_node_specific; i++)
                        json_object_array_add(s, item_json(&d.node_specific[i]));
                json_object_object_add(o, "drift", a);
                json_object_object_add(o, "node_specific", s);
                report_print_json(o, stdout);
        } else {
                fputs("baseline: ", stdout);
                put_masked(baseline->file);
                printf(" (%s)\n", baseline_kind_name(baseline->kind));
                if (d.n_drift > 0)
                        printf("%sdrift%s (%zu field%s):\n", ansi_red(), ansi_reset(), d.n_drift, d.n_drift == 1 ? "" : "s");
                for (size_t i = 0; i < d.n_drift; i++)
                        print_item(&d.drift[i]);
                if (d.n_node_specific > 0)
                        printf("node-specific, not drift (%zu field%s):\n", d.n_node_specific, d.n_node_specific == 1 ? "" : "s");
                for (size_t i = 0; i < d.n_node_specific; i++)
                        print_item(&d.node_specific[i]);
                if (d.n_drift == 0)
                        printf("%sno drift%s: %zu fields compared\n", ansi_green(), ansi_reset(), d.n_compared);
                else
                        printf("%zu of %zu fields compared differ\n", d.n_drift, d.n_compared);
        }
        return d.n_drift > 0 ? EXIT_FAILED : 0;
}
