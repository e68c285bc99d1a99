// SPDX-License-Identifier: MIT
/*
 * TOML tables with their provenance, for reading containerd's configuration: looking a dotted
 * path up, merging tables as containerd 2.x's mergo does, finding the file whose value won, and
 * failing with that value's position. Used by the loader (containerd-config.cc) and the decoder
 * (containerd-runtimes.cc) alike.
 */

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "containerd-config-internal.hh"

namespace remedy_containerd {

std::string at(const std::string &file, const toml::source_region &r) {
        return file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + ": ";
}

const toml::node *lookup(const toml::table *t, const Path &path) {
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

void deep_merge(toml::table &to, const toml::table &from) {
        for (auto &&[k, v] : from) {
                toml::table *sub = to.get_as<toml::table>(k.str());
                if (sub && v.is_table())
                        deep_merge(*sub, *v.as_table());
                else
                        put(to, k.str(), v);
        }
}

const Layer *provenance(const Effective &e, const Path &path) {
        for (auto it = e.layers.rbegin(); it != e.layers.rend(); ++it)
                if (lookup(&it->table, path))
                        return &*it;
        return nullptr;
}

[[noreturn]] void fail_at(const Effective &e, const Path &path, const std::string &fallback, const std::string &what) {
        const Layer *l = provenance(e, path);
        std::string where = (l ? l->file : fallback) + ": ";
        if (l)
                for (const toml::table *o : l->originals)
                        if (const toml::node *n = lookup(o, path)) {
                                where = at(l->file, n->source());
                                break;
                        }
        std::string key;
        for (const std::string &k : path)
                key += (key.empty() ? "" : ".") + k;
        remedy_cc::fail(-EINVAL, where + key + ": " + what);
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

} // namespace remedy_containerd
