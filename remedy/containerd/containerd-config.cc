// SPDX-License-Identifier: MIT
/*
 * containerd's configuration as containerd merges it. The rules, and where they come from:
 *
 * Loading (LoadConfig in services/server/config/config.go for 1.6/1.7, LoadConfigWithPlugins in
 * cmd/containerd/server/config/config.go for 2.x): a queue that starts with the main file; each
 * file is decoded, merged into the result, and its own `imports` are resolved and appended to the
 * queue, so imports of imports are followed, breadth first. A path already loaded is skipped (the
 * string, not the file: that is what stops circular imports).
 *
 * resolveImports: a non-glob import is filepath.Clean'ed and, when relative, joined to the
 * importing file's directory. An import containing '*' is a filepath.Glob pattern: in 1.x it is
 * globbed as written, so a relative pattern is relative to containerd's working directory ("/"
 * under systemd); in 2.x it is joined to the importing file's directory first. Glob results come
 * directory by directory in byte order, and '*' matches dot files too (Go's filepath.Match).
 *
 * A missing main file is containerd's defaults (1.x main.go stats the default path first; 2.x
 * ignores os.IsNotExist); a missing import makes containerd fail to start.
 *
 * mergeConfig, 1.x: after mergo, `to.Plugins[k] = v` replaces each plugin's whole table with the
 * later file's. Version: mergo.WithOverride, so the last non-zero version wins; GetVersion() makes
 * 0 into 1, and Config.Decode reads a plugin's table by its short ID ("cri") in version 1 and by
 * its URI ("io.containerd.grpc.v1.cri") otherwise.
 *
 * mergeConfig, 2.x (containerd PR #9982): mergo alone, which merges map[string]any tables key by
 * key (darccio/mergo merge.go deepMerge, reflect.Map): nested tables recursively, while a later
 * scalar or array replaces the earlier one, even when it is empty or false. Before merging, a file
 * whose version is below 3 is migrated on its own: v1Migrate renames "cri" to its URI, then the CRI
 * runtime plugin's configMigration (plugins/cri/runtime/plugin.go, migrateConfig) copies the
 * io.containerd.grpc.v1.cri keys into io.containerd.cri.v1.runtime where that file does not set
 * them (cni.bin_dir becoming cni.bin_dirs = [bin_dir]; `runtimes` is taken whole or not at all).
 * The first file with a version fixes the root version; a drop-in with a higher one is refused.
 *
 * Decoding onto the plugin's defaults (pkg/cri/config/config_unix.go DefaultConfig in 1.x,
 * internal/cri/config/config_unix.go DefaultRuntimeConfig in 2.x): conf_dir "/etc/cni/net.d",
 * bin_dir "/opt/cni/bin" (2.1+: bin_dirs ["/opt/cni/bin"]), default_runtime_name "runc", whose
 * options do not set SystemdCgroup (false). In 1.x, go-toml v1 replaces a map it decodes into, so a
 * `runtimes` table drops the default runc entry (verified with `containerd config dump` 1.6.20);
 * ValidatePluginConfig turns a deprecated default_runtime with a runtime_type into the runtime
 * "default". In 2.1+, ValidateRuntimeConfig (containerd PR #11311) lets a set bin_dir replace
 * bin_dirs when bin_dirs is unset or the default, and refuses both set otherwise.
 *
 * Nothing may throw across the C boundary: the entry points run inside guarded().
 */

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fnmatch.h>

#include <toml++/toml.h>

#include "edit/cc-boundary.hh"

extern "C" {
#include "remedy/containerd-config.h"
#include "remedy/strv.h"
}

namespace {

const char CRI_V1[] = "cri";
const char CRI_V2[] = "io.containerd.grpc.v1.cri";
const char CRI_RUNTIME_V3[] = "io.containerd.cri.v1.runtime";
const char DEFAULT_CONF_DIR[] = "/etc/cni/net.d";
const char DEFAULT_BIN_DIR[] = "/opt/cni/bin";
const char DEFAULT_RUNTIME[] = "runc";
const int CONFIG_VERSION_MAX = 3;

using remedy_cc::fail;

std::string at(const std::string &file, const toml::source_region &r) {
        return file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + ": ";
}

/* Go's filepath.Clean for the absolute paths containerd builds ("/a/./b/../c" is "/a/c"). */
std::string clean_path(std::string_view p) {
        std::vector<std::string_view> parts;
        size_t i = 0;
        while (i < p.size()) {
                size_t j = p.find('/', i);
                if (j == std::string_view::npos)
                        j = p.size();
                std::string_view c = p.substr(i, j - i);
                if (c == "..") {
                        if (!parts.empty())
                                parts.pop_back();
                } else if (!c.empty() && c != ".")
                        parts.push_back(c);
                i = j + 1;
        }
        std::string out;
        for (std::string_view c : parts)
                out.append("/").append(c);
        return out.empty() ? "/" : out;
}

std::string dir_of(const std::string &path) {
        size_t slash = path.rfind('/');
        return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string join(const std::string &dir, std::string_view name) {
        return clean_path(dir + "/" + std::string(name));
}

/* filepath.Glob treats these as pattern characters (and '\\' as an escape) on Unix. */
bool has_meta(std::string_view s) {
        return s.find_first_of("*?[\\") != std::string_view::npos;
}

struct CStrv {
        char **v = nullptr;
        ~CStrv() { strv_free(v); }
};

/* filepath.Glob inside the root. I/O errors mean no match, as in Go; fnmatch(3) without flags
 * matches one path component the way filepath.Match does (a leading '.' included). */
void glob_in(Root *root, const std::string &dir, const std::string &pattern, std::vector<std::string> &out) {
        CStrv names;
        int r = root_list_dir(root, dir.c_str(), &names.v);
        if (r == -ENOMEM)
                throw std::bad_alloc();
        if (r < 0)
                return;
        STRV_FOREACH(n, names.v)
                if (fnmatch(pattern.c_str(), *n, 0) == 0)
                        out.push_back(join(dir, *n));
}

std::vector<std::string> glob(Root *root, const std::string &pattern) {
        std::vector<std::string> out;
        if (!has_meta(pattern)) {
                struct stat st;
                if (root_lstat(root, pattern.c_str(), &st) >= 0)
                        out.push_back(pattern);
                return out;
        }
        std::string dir = dir_of(pattern), file = pattern.substr(pattern.rfind('/') + 1);
        if (!has_meta(dir))
                glob_in(root, dir, file, out);
        else
                for (const std::string &d : glob(root, dir))
                        glob_in(root, d, file, out);
        return out;
}

const toml::node *lookup(const toml::table *t, const std::vector<std::string> &path) {
        const toml::node *n = t;
        for (const std::string &k : path) {
                const toml::table *tt = n ? n->as_table() : nullptr;
                n = tt ? tt->get(k) : nullptr;
                if (!n)
                        return nullptr;
        }
        return n;
}

void put(toml::table &t, std::string_view key, const toml::node &n) {
        n.visit([&](auto &&v) { t.insert_or_assign(key, v); });
}

/* 2.x: mergo's map merge, tables recursively, everything else replaced. */
void deep_merge(toml::table &to, const toml::table &from) {
        for (auto &&[k, v] : from) {
                toml::table *sub = to.get_as<toml::table>(k.str());
                if (sub && v.is_table())
                        deep_merge(*sub, *v.as_table());
                else
                        put(to, k.str(), v);
        }
}

using Path = std::vector<std::string>;

/* One file's contribution to the CRI plugin table that decides what we report. Merging copies
 * nodes, and toml++ copies carry no source position: originals are the parsed tables the
 * contribution was taken from (in precedence order), kept to say where a bad value is. */
struct Layer {
        std::string file;
        toml::table table;
        std::vector<const toml::table *> originals;
};

struct Effective {
        int version = 1;
        int rules = 1;
        std::vector<std::string> files;
        std::vector<Layer> layers;  /* in merge order; the merged table is layers folded */
        bool runtime_plugin = false; /* 2.x io.containerd.cri.v1.runtime, else the 1.x cri plugin */
};

/* The last layer that sets path: what a key-by-key merge keeps, and with 1.x's single layer the
 * file whose whole table won. */
const Layer *provenance(const Effective &e, const Path &path) {
        for (auto it = e.layers.rbegin(); it != e.layers.rend(); ++it)
                if (lookup(&it->table, path))
                        return &*it;
        return nullptr;
}

std::string dotted(const Path &path) {
        std::string s;
        for (const std::string &k : path)
                s += (s.empty() ? "" : ".") + k;
        return s;
}

/* "FILE:LINE:COLUMN: KEY: " for the value that won at path. */
[[noreturn]] void fail_at(const Effective &e, const Path &path, const std::string &fallback, const std::string &what) {
        const Layer *l = provenance(e, path);
        std::string where = (l ? l->file : fallback) + ": ";
        if (l)
                for (const toml::table *o : l->originals)
                        if (const toml::node *n = lookup(o, path)) {
                                where = at(l->file, n->source());
                                break;
                        }
        fail(-EINVAL, where + dotted(path) + ": " + what);
}

std::optional<std::string> string_at(const Effective &e, const toml::table &merged, const Path &path,
                                     const std::string &fallback) {
        const toml::node *n = lookup(&merged, path);
        if (!n)
                return std::nullopt;
        if (!n->is_string())
                fail_at(e, path, fallback, "expected a string");
        return n->as_string()->get();
}

char *dup(const std::string &s) {
        char *p = strdup(s.c_str());
        if (!p)
                throw std::bad_alloc();
        return p;
}

void push(char ***l, const std::string &s) {
        if (strv_extend(l, s.c_str()) < 0)
                throw std::bad_alloc();
}

/* Decodes the merged CRI table onto the plugin's defaults and fills ret. */
void fill(const Effective &e, const std::string &name_for_errors, ContainerdConfig *ret) {
        toml::table merged;
        for (const Layer &l : e.layers)
                deep_merge(merged, l.table);
        const std::string &src = name_for_errors;

        ContainerdConfig c = {};
        c.version = e.version;
        c.rules = e.rules;
        try {
                std::string conf_dir = string_at(e, merged, {"cni", "conf_dir"}, src).value_or(DEFAULT_CONF_DIR);
                c.cni_conf_dir = dup(conf_dir);
                if (const Layer *l = provenance(e, {"cni", "conf_dir"}))
                        c.cni_conf_dir_file = dup(l->file);

                std::optional<std::string> bin_dir = string_at(e, merged, {"cni", "bin_dir"}, src);
                if (!e.runtime_plugin)
                        push(&c.cni_bin_dirs, bin_dir.value_or(DEFAULT_BIN_DIR));
                else {
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
                                        fail_at(e, {"cni", "bin_dirs"}, src, "cannot be set together with cni.bin_dir "
                                                                             "(containerd refuses this configuration)");
                        }
                        for (const std::string &d : dirs)
                                push(&c.cni_bin_dirs, d);
                }

                std::string name = string_at(e, merged, {"containerd", "default_runtime_name"}, src).value_or(DEFAULT_RUNTIME);
                Path runtime = {"containerd", "runtimes", name};
                if (!e.runtime_plugin &&
                    !string_at(e, merged, {"containerd", "default_runtime", "runtime_type"}, src).value_or("").empty()) {
                        name = "default";
                        runtime = {"containerd", "default_runtime"};
                }
                c.default_runtime = dup(name);

                runtime.insert(runtime.end(), {"options", "SystemdCgroup"});
                if (const toml::node *n = lookup(&merged, runtime)) {
                        if (!n->is_boolean())
                                fail_at(e, runtime, src, "expected a boolean");
                        c.systemd_cgroup = n->as_boolean()->get() ? 1 : 0;
                        if (const Layer *l = provenance(e, runtime))
                                c.systemd_cgroup_file = dup(l->file);
                }

                for (const std::string &f : e.files)
                        push(&c.files, f);
        } catch (...) {
                containerd_config_done(&c);
                throw;
        }
        *ret = c;
}

toml::table parse_file(const std::string &file, std::string_view data) {
        try {
                return toml::parse(data, std::string_view(file));
        } catch (const toml::parse_error &e) {
                fail(-EINVAL, at(file, e.source()) + std::string(e.description()));
        }
}

int file_version(const toml::table &doc, const std::string &file) {
        const toml::node *n = doc.get("version");
        if (!n)
                return 0;
        if (!n->is_integer() || n->as_integer()->get() < 0 || n->as_integer()->get() > 1000)
                fail(-EINVAL, at(file, n->source()) + "version: expected a small non-negative integer");
        return static_cast<int>(n->as_integer()->get());
}

const toml::table *plugin_table(const toml::table &doc, std::string_view id) {
        const toml::node *n = lookup(&doc, Path{"plugins", std::string(id)});
        return n ? n->as_table() : nullptr;
}

/* 2.x: one file's io.containerd.cri.v1.runtime table after the migrations its version needs. */
Layer migrated_runtime(const std::string &file, const toml::table &doc, int version) {
        const toml::table *own = plugin_table(doc, CRI_RUNTIME_V3);
        Layer layer{file, own ? *own : toml::table{}, {}};
        if (own)
                layer.originals.push_back(own);
        toml::table &dst = layer.table;
        if (version >= CONFIG_VERSION_MAX)
                return layer;
        /* v1Migrate: "cri" is io.containerd.grpc.v1.cri in a version 0/1 file */
        const toml::table *src = version <= 1 ? plugin_table(doc, CRI_V1) : nullptr;
        if (!src)
                src = plugin_table(doc, CRI_V2);
        if (!src)
                return layer;
        layer.originals.push_back(src);

        static const std::set<std::string_view> moved_elsewhere = {
                "cni", "containerd", "sandbox_image", "registry", "image_decryption", "max_concurrent_downloads",
                "image_pull_progress_timeout", "image_pull_with_sync_fs", "stats_collect_period",
                "disable_tcp_service", "stream_server_address", "stream_server_port", "stream_idle_timeout",
                "enable_tls_streaming", "x509_key_pair_streaming"};
        for (auto &&[k, v] : *src)
                if (!moved_elsewhere.count(k.str()) && !dst.contains(k.str()))
                        put(dst, k.str(), v);

        if (const toml::table *cni = src->get_as<toml::table>("cni")) {
                toml::table out = dst.get_as<toml::table>("cni") ? *dst.get_as<toml::table>("cni") : toml::table{};
                for (auto &&[k, v] : *cni) {
                        if (k.str() == "bin_dir") {
                                /* the migration's []string check never matches a decoded TOML array */
                                toml::array dirs;
                                v.visit([&](auto &&x) { dirs.push_back(x); });
                                out.insert_or_assign("bin_dirs", std::move(dirs));
                        } else if (!out.contains(k.str()))
                                put(out, k.str(), v);
                }
                dst.insert_or_assign("cni", std::move(out));
        }
        if (const toml::table *ctr = src->get_as<toml::table>("containerd")) {
                static const std::set<std::string_view> images = {"snapshotter", "disable_snapshot_annotations",
                                                                  "discard_unpacked_layers"};
                toml::table out = dst.get_as<toml::table>("containerd") ? *dst.get_as<toml::table>("containerd")
                                                                         : toml::table{};
                for (auto &&[k, v] : *ctr)
                        if (!images.count(k.str()) && !out.contains(k.str()))
                                put(out, k.str(), v);
                dst.insert_or_assign("containerd", std::move(out));
        }
        return layer;
}

struct Pending {
        std::string path;
        std::string parent;           /* empty for the main file */
        toml::source_region where{};  /* the imports entry that named it */
};

/* The resolved imports of one file, in containerd's order. */
void resolve_imports(Root *root, int rules, const std::string &file, const toml::table &doc,
                     std::deque<Pending> &pending) {
        const toml::node *n = doc.get("imports");
        if (!n)
                return;
        const toml::array *a = n->as_array();
        if (!a)
                fail(-EINVAL, at(file, n->source()) + "imports: expected an array of strings");
        for (const toml::node &entry : *a) {
                if (!entry.is_string())
                        fail(-EINVAL, at(file, entry.source()) + "imports: expected an array of strings");
                std::string imp = entry.as_string()->get();
                bool pattern = imp.find('*') != std::string::npos;
                if (imp.empty() || (imp[0] != '/' && (!pattern || rules == 2)))
                        imp = join(dir_of(file), imp);
                else
                        /* 1.x globs a relative pattern from containerd's working directory, "/" */
                        imp = clean_path(imp);
                if (pattern)
                        for (std::string &m : glob(root, imp))
                                pending.push_back({std::move(m), file, entry.source()});
                else
                        pending.push_back({std::move(imp), file, entry.source()});
        }
}

int load(Root *root, const char *path, ContainerdRules wanted, ContainerdConfig *ret) {
        if (!path || path[0] != '/')
                fail(-EINVAL, "containerd's configuration path must be absolute");
        Effective e;
        e.rules = wanted == CONTAINERD_RULES_2 ? 2 : 1;
        std::map<std::string, Layer> cri_by_id; /* 1.x: the last whole table of each CRI plugin id */
        std::set<std::string> loaded;
        std::deque<toml::table> docs;
        std::deque<Pending> pending = {{clean_path(path), "", {}}};
        int root_version = 0, last_version = 0;

        while (!pending.empty()) {
                Pending p = std::move(pending.front());
                pending.pop_front();
                if (loaded.count(p.path))
                        continue;

                char *raw = nullptr;
                size_t size = 0;
                int r = root_read_file(root, p.path.c_str(), NODE_FILE_MAX, &raw, &size);
                std::unique_ptr<char, decltype(&free)> data(raw, free);
                if (r == -ENOMEM)
                        throw std::bad_alloc();
                if (r < 0 && p.parent.empty()) {
                        if (r != -ENOENT)
                                fail(r, p.path + ": " + strerror(-r));
                        /* no main file: containerd runs on its defaults */
                        if (wanted == CONTAINERD_RULES_2)
                                e.version = CONFIG_VERSION_MAX;
                        fill(e, p.path, ret);
                        return 0;
                }
                if (r < 0)
                        fail(r, at(p.parent, p.where) + "cannot read the imported file " + p.path + ": " + strerror(-r) +
                                        " (containerd does not start without it)");

                /* kept until the end: layers point into them for error positions */
                const toml::table *doc = &docs.emplace_back(parse_file(p.path, std::string_view(data.get(), size)));
                int version = file_version(*doc, p.path);
                if (p.parent.empty() && wanted == CONTAINERD_RULES_AUTO && version == CONFIG_VERSION_MAX)
                        e.rules = 2;

                if (e.rules == 2) {
                        if (root_version == 0)
                                root_version = version;
                        const toml::node *vn = doc->get("version");
                        std::string where = vn ? at(p.path, vn->source()) : p.path + ": ";
                        if (version > root_version)
                                fail(-EINVAL, where + "drop-in config version " + std::to_string(version) +
                                                      " higher than root config version " + std::to_string(root_version) +
                                                      " (containerd refuses this)");
                        if (version > CONFIG_VERSION_MAX)
                                fail(-EINVAL, where + "containerd config version " + std::to_string(version) +
                                                      " is newer than containerd 2.x knows");
                        e.layers.push_back(migrated_runtime(p.path, *doc, version));
                } else {
                        if (version != 0)
                                last_version = version;
                        for (const char *id : {CRI_V1, CRI_V2})
                                if (const toml::table *t = plugin_table(*doc, id))
                                        cri_by_id[id] = {p.path, *t, {t}};
                }

                resolve_imports(root, e.rules, p.path, *doc, pending);
                loaded.insert(p.path);
                e.files.push_back(p.path);
        }

        if (e.rules == 2) {
                e.runtime_plugin = true;
                e.version = root_version == 0 ? 1 : root_version;
        } else {
                e.version = last_version == 0 ? 1 : last_version;
                auto it = cri_by_id.find(e.version == 1 ? CRI_V1 : CRI_V2);
                if (it != cri_by_id.end())
                        e.layers.push_back(std::move(it->second));
        }
        fill(e, path, ret);
        return 0;
}

int from_dump(std::string_view text, ContainerdConfig *ret) {
        const std::string name = "dump";
        toml::table doc = parse_file(name, text);
        Effective e;
        int version = file_version(doc, name);
        e.version = version == 0 ? 1 : version;
        e.rules = e.version >= CONFIG_VERSION_MAX ? 2 : 1;
        e.runtime_plugin = e.rules == 2;
        const char *id = e.rules == 2 ? CRI_RUNTIME_V3 : e.version == 1 ? CRI_V1 : CRI_V2;
        if (const toml::table *t = plugin_table(doc, id))
                e.layers.push_back({name, *t, {t}});
        fill(e, name, ret);
        /* the dump is one merged view: no file to name */
        free(ret->cni_conf_dir_file);
        ret->cni_conf_dir_file = nullptr;
        free(ret->systemd_cgroup_file);
        ret->systemd_cgroup_file = nullptr;
        return 0;
}

} // namespace

void containerd_config_done(ContainerdConfig *c) {
        if (!c)
                return;
        free(c->cni_conf_dir);
        strv_free(c->cni_bin_dirs);
        free(c->default_runtime);
        free(c->systemd_cgroup_file);
        free(c->cni_conf_dir_file);
        strv_free(c->files);
        *c = ContainerdConfig{};
}

int containerd_config_load(Root *root, const char *path, ContainerdRules rules, ContainerdConfig *ret,
                           char **ret_error) {
        if (!root || !ret)
                return -EINVAL;
        *ret = ContainerdConfig{};
        return remedy_cc::guarded(ret_error, [&]() -> int { return load(root, path, rules, ret); });
}

int containerd_config_from_dump(const char *text, size_t size, ContainerdConfig *ret, char **ret_error) {
        if (!text || !ret)
                return -EINVAL;
        *ret = ContainerdConfig{};
        return remedy_cc::guarded(ret_error, [&]() -> int { return from_dump(std::string_view(text, size), ret); });
}
