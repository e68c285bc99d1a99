/* SPDX-License-Identifier: MIT */
/*
 * `remedy snapshot`'s document: the node's configuration as its daemons will load it, read by the
 * same code that diagnose and the playbooks use (the kubelet's command line and config merge in
 * kubelet/, containerd's in containerd/, units in systemd/, versions in packages/), so that what
 * a snapshot says is what remedy acts on.
 */
#include "remedy/snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/containerd-node.h"
#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/kubelet-node.h"
#include "remedy/package-version.h"
#include "remedy/secret-mask.h"
#include "remedy/strv.h"
#include "remedy/unit-file.h"

/* json-c's add functions take ownership even when they fail; these keep the error paths short. */
static int add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_string(json_object *o, const char *key, const char *s) {
        return s ? add(o, key, json_object_new_string(s)) : 0;
}

static int push(json_object *a, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static json_object *strv_json(char * const *l) {
        json_object *a = json_object_new_array();
        STRV_FOREACH(s, l)
                if (!a || push(a, json_object_new_string(*s)) < 0)
                        return json_object_put(a), NULL;
        return a;
}

char *config_path_text(char * const *path) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        if (!out)
                return NULL;
        STRV_FOREACH(p, path) {
                if (p != path)
                        fputc('.', out);
                if (**p && !strpbrk(*p, ".\"\\ "))
                        fputs(*p, out);
                else {
                        _cleanup_(json_object_putp) json_object *s = json_object_new_string(*p);
                        fputs(s ? json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "\"\"", out);
                }
        }
        if (fclose(out) != 0)
                return NULL;
        return TAKE_PTR(text);
}

/* "FILE:LINE", or "--cgroup-driver=systemd at FILE:LINE" when a flag decides. */
static char *setting_source(const KubeletSetting *s) {
        char *text;
        if (!s->flag)
                return strdup(s->source);
        if (asprintf(&text, "%s at %s", s->word, s->source) < 0)
                return NULL;
        return text;
}

/* config: the nested KubeletConfiguration; sources: each leaf's origin by its path text. */
static int kubelet_config_json(const KubeletConfigTree *t, json_object *kubelet) {
        _cleanup_(json_object_putp) json_object *config = json_object_new_object(), *sources = json_object_new_object();
        int r;

        if (!config || !sources)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_leaves; i++) {
                const KubeletConfigLeaf *l = &t->leaves[i];
                json_object *at = config;
                for (char **p = l->path; p[1]; p++) {
                        json_object *next = json_object_object_get(at, *p);
                        if (!next || !json_object_is_type(next, json_type_object)) {
                                if ((r = add(at, *p, json_object_new_object())) < 0)
                                        return r;
                                next = json_object_object_get(at, *p);
                        }
                        at = next;
                }
                json_object *v = l->value ? json_object_get(l->value) : NULL;
                if (json_object_object_add(at, l->path[strv_length(l->path) - 1], v) < 0) {
                        json_object_put(v);
                        return -ENOMEM;
                }
                _cleanup_free_ char *path = config_path_text(l->path), *source = setting_source(&l->setting);
                if (!path || !source || (r = add_string(sources, path, source)) < 0)
                        return -ENOMEM;
        }
        if ((r = add(kubelet, "config", TAKE_PTR(config))) < 0)
                return r;
        return add(kubelet, "sources", TAKE_PTR(sources));
}

static int kubelet_command_line_json(const KubeletCommandLine *cl, json_object *kubelet) {
        _cleanup_(json_object_putp) json_object *flags = json_object_new_array(), *env = json_object_new_array();
        int r;

        if (!flags || !env)
                return -ENOMEM;
        if ((r = add(kubelet, "unit_files", strv_json(cl->unit.unit_files))) < 0 ||
            (r = add_string(kubelet, "exec_start", cl->unit.exec_source)) < 0 ||
            (r = add(kubelet, "command_line", strv_json(cl->unit.argv))) < 0)
                return r;
        for (size_t i = 0; i < cl->n_args; i++) {
                const KubeletArg *a = &cl->args[i];
                json_object *f = json_object_new_object();
                if ((r = push(flags, f)) < 0 ||
                    (r = add_string(f, a->flag ? "flag" : "word", a->flag ? a->flag : a->word)) < 0 ||
                    (r = add_string(f, "value", a->value)) < 0 || (r = add_string(f, "source", a->source)) < 0 ||
                    (r = add_string(f, "variable", a->variable)) < 0)
                        return r;
                if (a->accepted == 0 && (r = add(f, "accepted", json_object_new_boolean(false))) < 0)
                        return r;
        }
        for (size_t i = 0; i < cl->unit.n_env; i++) {
                json_object *e = json_object_new_object();
                if ((r = push(env, e)) < 0 || (r = add_string(e, "name", cl->unit.env[i].name)) < 0 ||
                    (r = add_string(e, "value", cl->unit.env[i].value)) < 0 ||
                    (r = add_string(e, "source", cl->unit.env[i].source)) < 0)
                        return r;
        }
        if ((r = add(kubelet, "flags", TAKE_PTR(flags))) < 0)
                return r;
        return add(kubelet, "environment", TAKE_PTR(env));
}

static int kubelet_json(Context *c, json_object **ret) {
        _cleanup_(json_object_putp) json_object *kubelet = json_object_new_object();
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *known = NULL;
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_(kubelet_config_tree_done) KubeletConfigTree tree = {};
        _cleanup_free_ char *error = NULL;
        const NodeFS fs = ctx_node_fs(c);
        int r;

        if (!kubelet || (r = add_string(kubelet, "unit", "kubelet.service")) < 0)
                return -ENOMEM;
        /* judged as diagnose judges it: a flag this kubelet refuses overrides nothing */
        if (kubelet_node_flag_set(c, NULL, NULL, false, &known) < 0)
                known = NULL;
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", known, &cl, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if ((r = add_string(kubelet, "error", error ? error : r == -ENOENT ? "kubelet.service: no such unit" : strerror(-r))) < 0)
                        return r;
                *ret = TAKE_PTR(kubelet);
                return 0;
        }
        if ((r = kubelet_command_line_json(&cl, kubelet)) < 0)
                return r;
        r = kubelet_cmdline_config_tree(&cl, &fs, &tree, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                r = add_string(kubelet, "error", error ? error : strerror(-r));
        else if ((r = add(kubelet, "config_files", strv_json(tree.files))) >= 0)
                r = kubelet_config_json(&tree, kubelet);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(kubelet);
        return 0;
}

static int containerd_json(Context *c, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *runtimes = json_object_new_object();
        _cleanup_(containerd_config_done) ContainerdConfig cfg = {};
        _cleanup_(containerd_settings_done) ContainerdSettings settings = {};
        _cleanup_free_ char *path = NULL, *error = NULL;
        const NodeFS fs = ctx_node_fs(c);
        int r;

        if (!o || !runtimes)
                return -ENOMEM;
        if ((r = containerd_node_config_path(c, &path)) < 0 || (r = containerd_node_present(c, path)) < 0)
                return r == -ENOMEM ? r : add_string(o, "error", strerror(-r));
        if (r == 0) {
                if ((r = add(o, "installed", json_object_new_boolean(false))) < 0)
                        return r;
                *ret = TAKE_PTR(o);
                return 0;
        }
        r = containerd_node_config(&fs, !c->offline && root_is_host(c->root), path, &cfg, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if ((r = add_string(o, "config", path)) < 0 || (r = add_string(o, "error", error ? error : strerror(-r))) < 0)
                        return r;
                *ret = TAKE_PTR(o);
                return 0;
        }
        r = containerd_config_settings(&fs, &cfg, &settings, &error);
        if (r == -ENOMEM)
                return r;
        if ((r = add_string(o, "config", path)) < 0 || (r = add(o, "config_files", strv_json(cfg.files))) < 0 ||
            (r = add(o, "config_version", json_object_new_int(cfg.version))) < 0 ||
            (r = add_string(o, "cri_error", cfg.cri_error)) < 0 ||
            (r = add_string(o, "default_runtime", cfg.default_runtime)) < 0)
                return r;
        for (size_t i = 0; i < cfg.n_runtimes; i++) {
                const ContainerdRuntime *rt = &cfg.runtimes[i];
                json_object *j = json_object_new_object();
                if ((r = add(runtimes, rt->name, j)) < 0 || (r = add_string(j, "type", rt->type)) < 0 ||
                    (r = add(j, "systemd_cgroup", json_object_new_boolean(rt->systemd_cgroup))) < 0 ||
                    (r = add(j, "runs_pods", json_object_new_boolean(rt->pods))) < 0 ||
                    (r = add_string(j, "systemd_cgroup_source", rt->systemd_cgroup_file)) < 0)
                        return r;
        }
        if ((r = add(o, "runtimes", TAKE_PTR(runtimes))) < 0 ||
            (r = add_string(o, "cni_conf_dir", cfg.cni_conf_dir)) < 0 ||
            (r = add(o, "cni_bin_dirs", strv_json(cfg.cni_bin_dirs))) < 0 ||
            (r = add_string(o, "sandbox_image", settings.sandbox_image ? settings.sandbox_image : "(containerd's default)")) < 0 ||
            (r = add_string(o, "sandbox_image_source", settings.sandbox_image_file)) < 0 ||
            (r = add_string(o, "grpc_address", settings.grpc_address)) < 0 ||
            (r = add_string(o, "grpc_address_source", settings.grpc_address_file)) < 0)
                return r;
        if (error && (r = add_string(o, "error", error)) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int unit_json(Context *c, SystemdBus *bus, const char *name, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *error = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        if (bus) {
                _cleanup_(unit_state_done) UnitState s = {};
                r = systemd_bus_get_unit_state(bus, name, &s, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        r = add_string(o, "error", error ? error : strerror(-r));
                else if ((r = add_string(o, "load_state", s.load_state)) >= 0 &&
                         (r = add_string(o, "active_state", s.active_state)) >= 0 &&
                         (r = add_string(o, "sub_state", s.sub_state)) >= 0)
                        r = add_string(o, "unit_file_state", *s.unit_file_state ? s.unit_file_state : "(no unit file)");
        } else {
                const NodeFS fs = ctx_node_fs(c);
                UnitFileState state;
                r = unit_file_get_state(&fs, name, &state, &error);
                if (r == -ENOMEM)
                        return r;
                r = add_string(o, "unit_file_state", r == -ENOENT ? "not-found" : r < 0 ? strerror(-r) : unit_file_state_name(state));
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* The packages a Kubernetes node's behaviour depends on; alternatives name one package as
 * different distributions call it. */
static const char * const package_names[][3] = {
        { "containerd", "containerd.io", NULL },
        { "cri-tools", NULL },
        { "kubeadm", NULL },
        { "kubectl", NULL },
        { "kubelet", NULL },
        { "kubernetes-cni", NULL },
        { "runc", NULL },
};

static int packages_json(Context *c, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const NodeFS fs = ctx_node_fs(c);
        int r;

        if (!o)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(package_names); i++) {
                _cleanup_free_ char *version = NULL, *source = NULL;
                r = package_version(&fs, package_names[i], &version, &source);
                if (r == 0)
                        r = rpm_package_version(c->root, package_names[i], &version, &source);
                if (r == -ENOMEM)
                        return r;
                if (r <= 0 || !version)
                        continue;   /* not installed, or no database this machine can read */
                json_object *p = json_object_new_object();
                if ((r = add(o, package_names[i][0], p)) < 0 || (r = add_string(p, "version", version)) < 0 ||
                    (r = add_string(p, "source", source ? source : DPKG_STATUS)) < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int snapshot_node(Root *root, bool offline, SystemdBus *bus, json_object **ret) {
        _cleanup_(json_object_putp) json_object *doc = json_object_new_object(), *units = json_object_new_object();
        _cleanup_(context_freep) Context *c = NULL;
        json_object *part;
        int r;

        if (!doc || !units)
                return -ENOMEM;
        if ((r = context_new(root, offline, &c)) < 0)
                return r;
        if ((r = add(doc, "remedy_snapshot", json_object_new_int(SNAPSHOT_FORMAT))) < 0 ||
            (r = add_string(doc, "mode", offline ? "offline" : "live")) < 0)
                return r;
        if ((r = kubelet_json(c, &part)) < 0 || (r = add(doc, "kubelet", part)) < 0)
                return r;
        if ((r = containerd_json(c, &part)) < 0 || (r = add(doc, "containerd", part)) < 0)
                return r;
        static const char * const unit_names[] = { "containerd.service", "kubelet.service" };
        for (size_t i = 0; i < ELEMENTSOF(unit_names); i++)
                if ((r = unit_json(c, offline ? NULL : bus, unit_names[i], &part)) < 0 ||
                    (r = add(units, unit_names[i], part)) < 0)
                        return r;
        if ((r = add(doc, "units", TAKE_PTR(units))) < 0)
                return r;
        if ((r = packages_json(c, &part)) < 0 || (r = add(doc, "packages", part)) < 0)
                return r;
        secret_mask_json(doc);
        *ret = TAKE_PTR(doc);
        return 0;
}
