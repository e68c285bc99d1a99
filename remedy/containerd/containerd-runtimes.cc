// SPDX-License-Identifier: MIT
/*
 * The merged CRI table decoded as containerd's CRI plugin decodes it: the CNI directories, the
 * runtimes and the cgroup driver each one's shim gets, and what makes the plugin refuse to load.
 * The rules, and where they come from:
 *
 * Defaults (pkg/cri/config/config_unix.go DefaultConfig in 1.x, internal/cri/config/
 * config_unix.go DefaultRuntimeConfig in 2.x): conf_dir "/etc/cni/net.d", bin_dir "/opt/cni/bin"
 * (2.1+: bin_dirs ["/opt/cni/bin"]), default_runtime_name "runc", and one runtime, runc, of type
 * io.containerd.runc.v2 with options that leave SystemdCgroup false. In 1.x, go-toml v1 replaces
 * a map it decodes into, so a `runtimes` table drops the default runc entry (verified with
 * `containerd config dump` 1.6.20). In 2.x, go-toml v2 decodes into the existing map, and a
 * runtime the file names over a copy of the existing entry (unmarshaler.go handleKeyPart): runc
 * stays, and keeps its type unless the file sets another.
 *
 * 1.x's ValidatePluginConfig turns the deprecated [containerd.default_runtime] table, when it
 * names a runtime_type, into the runtime "default" and makes it the default, and
 * untrusted_workload_runtime into "untrusted"; it refuses an empty default_runtime_name, one that
 * names no runtime, and the deprecated systemd_cgroup = true unless the default runtime is the v1
 * linux shim. 2.x's ValidateRuntimeConfig refuses the first two. A refused configuration still
 * starts containerd, without its CRI plugin: the kubelet finds no runtime.
 *
 * The options the shim gets (generateRuntimeOptions, pkg/cri/server/helpers.go in 1.x): the
 * runtime's options table decoded into the options type of its runtime_type: runc.v1 and runc.v2
 * into runc's options, whose SystemdCgroup field decides the driver; the v1 linux shim into its
 * own, with a SystemdCgroup field too, and without an options table the CRI plugin's
 * systemd_cgroup; any other type, an empty one included, into options in which SystemdCgroup
 * means nothing. go-toml matches the key without regard to case (v1 also tries the lowered
 * forms, v2 folds case), so kubespray's `systemdCgroup` counts.
 *
 * In 2.1+, ValidateRuntimeConfig (containerd PR #11311) lets a set bin_dir replace bin_dirs when
 * bin_dirs is unset or the default, and refuses both set otherwise.
 */

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>

#include "containerd-config-internal.hh"

namespace remedy_containerd {

namespace {

const char DEFAULT_CONF_DIR[] = "/etc/cni/net.d";
const char DEFAULT_BIN_DIR[] = "/opt/cni/bin";
const char DEFAULT_RUNTIME[] = "runc";
const char RUNC_V1[] = "io.containerd.runc.v1";
const char RUNC_V2[] = "io.containerd.runc.v2";
const char LINUX_V1[] = "io.containerd.runtime.v1.linux";

std::optional<std::string> string_at(const Effective &e, const toml::table &merged, const Path &path,
                                     const std::string &fallback) {
        const toml::node *n = lookup(&merged, path);
        if (!n)
                return std::nullopt;
        if (!n->is_string())
                fail_at(e, path, fallback, "expected a string");
        return n->as_string()->get();
}

std::optional<bool> bool_at(const Effective &e, const toml::table &merged, const Path &path, const std::string &fallback) {
        const toml::node *n = lookup(&merged, path);
        if (!n)
                return std::nullopt;
        if (!n->is_boolean())
                fail_at(e, path, fallback, "expected a boolean");
        return n->as_boolean()->get();
}

/* A key as it must be written in a dotted key: bare when it can be, quoted otherwise. */
std::string toml_key(const std::string &k) {
        bool bare = !k.empty() && k.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
        if (bare)
                return k;
        std::string q = "\"";
        for (char ch : k) {
                if (ch == '"' || ch == '\\')
                        q += '\\';
                q += ch;
        }
        return q + "\"";
}

bool same_key(std::string_view a, std::string_view b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                       return (x | 0x20) == (y | 0x20);
               });
}

std::vector<std::string> cni_bin_dirs(const Effective &e, const toml::table &merged, const std::string &src) {
        std::optional<std::string> bin_dir = string_at(e, merged, {"cni", "bin_dir"}, src);
        if (!e.runtime_plugin)
                return {bin_dir.value_or(DEFAULT_BIN_DIR)};
        std::vector<std::string> dirs = {DEFAULT_BIN_DIR};
        if (const toml::node *n = lookup(&merged, {"cni", "bin_dirs"})) {
                const toml::array *a = n->as_array();
                if (!a)
                        fail_at(e, {"cni", "bin_dirs"}, src, "expected an array of strings");
                dirs.clear();
                for (const toml::node &d : *a) {
                        if (!d.is_string())
                                fail_at(e, {"cni", "bin_dirs"}, src, "expected an array of strings");
                        dirs.push_back(d.as_string()->get());
                }
        }
        if (bin_dir && !bin_dir->empty()) {
                if (dirs.empty() || dirs == std::vector<std::string>{DEFAULT_BIN_DIR})
                        dirs = {*bin_dir};
                else
                        fail_at(e, {"cni", "bin_dirs"}, src,
                                "cannot be set together with cni.bin_dir (containerd refuses this configuration)");
        }
        return dirs;
}

/* A runtime as the decoder sees it, before it becomes a ContainerdRuntime. */
struct Runtime {
        Path path;                  /* its table in the merged CRI table */
        bool configured = false;
        bool builtin = false;       /* containerd's default runc, with its options */
};

/* The runtimes containerd ends up with, by name; *deprecated_default when 1.x's deprecated
 * [containerd.default_runtime] table became the runtime "default", which is then the default. */
std::map<std::string, Runtime> runtimes_of(const Effective &e, const toml::table &merged, const std::string &src,
                                           bool *deprecated_default) {
        std::map<std::string, Runtime> out;
        const toml::node *n = lookup(&merged, {"containerd", "runtimes"});
        if (n && !n->is_table())
                fail_at(e, {"containerd", "runtimes"}, src, "expected a table of runtimes");
        if (!n || e.runtime_plugin)
                out["runc"] = {{"containerd", "runtimes", "runc"}, false, true};
        if (n)
                for (auto &&[k, v] : *n->as_table()) {
                        if (!v.is_table())
                                fail_at(e, {"containerd", "runtimes", std::string(k.str())}, src, "expected a table");
                        out[std::string(k.str())] = {{"containerd", "runtimes", std::string(k.str())}, true, false};
                }
        if (!e.runtime_plugin) {
                /* ValidatePluginConfig's conversions of the deprecated tables */
                if (!string_at(e, merged, {"containerd", "untrusted_workload_runtime", "runtime_type"}, src).value_or("").empty())
                        out["untrusted"] = {{"containerd", "untrusted_workload_runtime"}, true, false};
                if (!string_at(e, merged, {"containerd", "default_runtime", "runtime_type"}, src).value_or("").empty()) {
                        out["default"] = {{"containerd", "default_runtime"}, true, false};
                        *deprecated_default = true;
                }
        }
        return out;
}

void fill_runtime(const Effective &e, const toml::table &merged, const std::string &src, const std::string &name,
                  const Runtime &rt, bool is_default, int cri_systemd_cgroup, const Layer *cri_systemd_cgroup_layer,
                  ContainerdRuntime *r) {
        r->name = dup(name);
        r->configured = rt.configured;
        r->is_default = is_default;

        Path type_path = rt.path;
        type_path.push_back("runtime_type");
        std::string type = string_at(e, merged, type_path, src).value_or(rt.builtin || (e.runtime_plugin && name == "runc") ? RUNC_V2 : "");
        r->type = dup(type);
        r->runc = type == RUNC_V1 || type == RUNC_V2 || type == LINUX_V1;
        r->pods = is_default ? (r->runc || type.empty()) : (r->configured && r->runc);

        Path options = rt.path;
        options.push_back("options");
        const toml::node *o = lookup(&merged, options);
        if (o && !o->is_table())
                fail_at(e, options, src, "expected a table");
        r->has_options = o || rt.builtin;
        r->options_systemd_cgroup = -1;
        if (o)
                for (auto &&[k, v] : *o->as_table())
                        if (same_key(k.str(), "SystemdCgroup") && (!r->options_key || k.str() == "SystemdCgroup")) {
                                Path key = options;
                                key.push_back(std::string(k.str()));
                                free(r->options_key);
                                r->options_key = dup(std::string(k.str()));
                                r->options_systemd_cgroup = bool_at(e, merged, key, src).value() ? 1 : 0;
                                free(r->systemd_cgroup_file);
                                r->systemd_cgroup_file = nullptr;
                                if (const Layer *l = provenance(e, key))
                                        r->systemd_cgroup_file = dup(l->file);
                        }

        if (type == LINUX_V1 && !o) {
                r->systemd_cgroup = cri_systemd_cgroup == 1;
                if (cri_systemd_cgroup_layer)
                        r->systemd_cgroup_file = dup(cri_systemd_cgroup_layer->file);
        } else
                r->systemd_cgroup = r->runc && r->options_systemd_cgroup == 1;
        if (rt.configured)
                if (const Layer *l = provenance(e, rt.path))
                        r->table_file = dup(l->file);
        std::string table;
        for (const std::string &k : rt.path)
                table += (table.empty() ? "" : ".") + toml_key(k);
        r->table_path = dup(table);
}

/* What makes the CRI plugin refuse to load (ValidatePluginConfig, ValidateRuntimeConfig). */
std::string cri_refusal(const Effective &e, const std::string &default_name, const ContainerdConfig &c) {
        for (const char *id : {CRI_V1, CRI_V2, CRI_RUNTIME_V3})
                if (e.disabled_plugins.count(id) && (e.runtime_plugin || std::strcmp(id, CRI_RUNTIME_V3) != 0))
                        return std::string("the CRI plugin is disabled (disabled_plugins names ") + id + ")";
        if (default_name.empty())
                return "default_runtime_name is empty";
        const ContainerdRuntime *d = containerd_config_runtime(&c, default_name.c_str());
        if (!d)
                return "default_runtime_name = \"" + default_name + "\" names no runtime in containerd.runtimes";
        if (!e.runtime_plugin && c.cri_systemd_cgroup == 1 && std::strcmp(d->type, LINUX_V1) != 0)
                return std::string("systemd_cgroup = true only works for runtime ") + LINUX_V1 + ", and the default runtime \"" +
                       default_name + "\" is " + (*d->type ? d->type : "of no type");
        return "";
}

} // namespace

void decode(const Effective &e, const std::string &name_for_errors, ContainerdConfig *ret) {
        toml::table merged;
        for (const Layer &l : e.layers)
                deep_merge(merged, l.table);
        const std::string &src = name_for_errors;

        ContainerdConfig c = {};
        c.version = e.version;
        c.rules = e.rules;
        c.max_version = e.max_version;
        c.cri_systemd_cgroup = -1;
        try {
                c.cni_conf_dir = dup(string_at(e, merged, {"cni", "conf_dir"}, src).value_or(DEFAULT_CONF_DIR));
                if (const Layer *l = provenance(e, {"cni", "conf_dir"}))
                        c.cni_conf_dir_file = dup(l->file);
                for (const std::string &d : cni_bin_dirs(e, merged, src))
                        push(&c.cni_bin_dirs, d);

                const Layer *legacy_layer = nullptr;
                if (!e.runtime_plugin)
                        if (std::optional<bool> b = bool_at(e, merged, {"systemd_cgroup"}, src)) {
                                c.cri_systemd_cgroup = *b ? 1 : 0;
                                if ((legacy_layer = provenance(e, {"systemd_cgroup"})))
                                        c.cri_systemd_cgroup_file = dup(legacy_layer->file);
                        }

                bool deprecated_default = false;
                std::map<std::string, Runtime> runtimes = runtimes_of(e, merged, src, &deprecated_default);
                std::string name = deprecated_default ? "default"
                                                      : string_at(e, merged, {"containerd", "default_runtime_name"}, src)
                                                                .value_or(DEFAULT_RUNTIME);
                c.default_runtime = dup(name);

                c.runtimes = static_cast<ContainerdRuntime *>(calloc(runtimes.size(), sizeof(ContainerdRuntime)));
                if (!c.runtimes && !runtimes.empty())
                        throw std::bad_alloc();
                /* the default first, then by name */
                if (runtimes.count(name))
                        fill_runtime(e, merged, src, name, runtimes[name], true, c.cri_systemd_cgroup, legacy_layer,
                                     &c.runtimes[c.n_runtimes++]);
                for (auto &&[n, rt] : runtimes)
                        if (n != name)
                                fill_runtime(e, merged, src, n, rt, false, c.cri_systemd_cgroup, legacy_layer,
                                             &c.runtimes[c.n_runtimes++]);

                if (const ContainerdRuntime *d = containerd_config_runtime(&c, name.c_str())) {
                        c.systemd_cgroup = d->systemd_cgroup;
                        if (d->systemd_cgroup_file)
                                c.systemd_cgroup_file = dup(d->systemd_cgroup_file);
                }
                if (!e.runtime_plugin && !e.layers.empty())
                        c.cri_file = dup(e.layers.back().file);
                std::string refusal = cri_refusal(e, name, c);
                if (!refusal.empty())
                        c.cri_error = dup(refusal);
                c.cri_error_systemd_cgroup = refusal.rfind("systemd_cgroup", 0) == 0;

                for (const std::string &f : e.files)
                        push(&c.files, f);
        } catch (...) {
                containerd_config_done(&c);
                throw;
        }
        *ret = c;
}

} // namespace remedy_containerd

extern "C" {

const ContainerdRuntime *containerd_config_runtime(const ContainerdConfig *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_runtimes; i++)
                if (c->runtimes[i].name && std::strcmp(c->runtimes[i].name, name) == 0)
                        return &c->runtimes[i];
        return nullptr;
}

void containerd_config_done(ContainerdConfig *c) {
        if (!c)
                return;
        free(c->cni_conf_dir);
        strv_free(c->cni_bin_dirs);
        free(c->default_runtime);
        free(c->systemd_cgroup_file);
        free(c->cni_conf_dir_file);
        strv_free(c->files);
        for (size_t i = 0; i < c->n_runtimes; i++) {
                ContainerdRuntime *r = &c->runtimes[i];
                free(r->name);
                free(r->type);
                free(r->options_key);
                free(r->systemd_cgroup_file);
                free(r->table_file);
                free(r->table_path);
        }
        free(c->runtimes);
        free(c->cri_systemd_cgroup_file);
        free(c->cri_error);
        free(c->cri_disabled);
        free(c->grpc_address);
        free(c->grpc_address_file);
        free(c->cri_file);
        *c = ContainerdConfig{};
}

} // extern "C"
