// SPDX-License-Identifier: MIT
/*
 * Removing strings from an array of a TOML file, every other byte kept: containerd's
 * disabled_plugins = ["cri"] as Docker's containerd.io package ships it becomes
 * disabled_plugins = []. toml++ gives each element's source region; the bytes that go are an
 * element and what separates it from the next one (its comma, spaces, a comment line), or for
 * removed elements at the end of the array the separator before them, so that no comma is left
 * dangling and the layout of what stays (one element a line, comments) is untouched. The result is
 * parsed again and must equal the original document with exactly those elements gone.
 */

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

extern "C" {
#include "remedy/strv.h"
#include "remedy/toml-edit.h"
}

#include "toml-edit-layout.hh"

namespace {

using toml_edit::fail;
using toml_edit::Path;
using toml_edit::SourceMap;

bool wanted_gone(const toml::node &n, char * const *values) {
        if (!n.is_string())
                return false;
        const std::string &s = n.as_string()->get();
        STRV_FOREACH(v, values)
                if (s == *v)
                        return true;
        return false;
}

int array_remove(std::string_view data, const std::string &table_name, const std::string &key, char * const *values,
                 std::string *ret) {
        toml::table doc = toml_edit::parse_document(data);
        Path table = toml_edit::parse_table_name(table_name);
        if (key.empty())
                fail(-EINVAL, "invalid key name");

        toml::table *t = &doc;
        for (const std::string &c : table) {
                toml::node *n = t->get(c);
                if (!n || !n->is_table())
                        return 0;   /* no such table: nothing to remove */
                t = n->as_table();
        }
        toml::node *n = t->get(key);
        if (!n)
                return 0;
        toml::array *a = n->as_array();
        if (!a)
                fail(-EINVAL, toml_edit::position_prefix(n->source().begin) + "\"" + key + "\" is not an array");

        SourceMap map(data);
        size_t count = a->size();
        std::vector<size_t> begin(count), end(count);
        std::vector<bool> gone(count);
        size_t n_gone = 0;
        for (size_t i = 0; i < count; i++) {
                begin[i] = map.offset((*a)[i].source().begin);
                end[i] = map.offset((*a)[i].source().end);
                gone[i] = wanted_gone((*a)[i], values);
                n_gone += gone[i];
        }
        if (n_gone == 0)
                return 0;

        /* The removed elements at the end, after the last one that stays. */
        size_t tail = count;
        while (tail > 0 && gone[tail - 1])
                tail--;

        struct Cut {
                size_t begin, end;
        };
        std::vector<Cut> cuts;
        for (size_t i = 0; i < tail; i++)
                if (gone[i])
                        cuts.push_back({begin[i], begin[i + 1]});
        if (tail < count) {
                if (tail > 0)
                        cuts.push_back({end[tail - 1], end[count - 1]});
                else {
                        /* every element goes: up to the closing bracket, a trailing comma included */
                        size_t e = end[count - 1];
                        size_t after = data.find_first_not_of(" \t", e);
                        if (after != std::string_view::npos && data[after] == ',')
                                e = after + 1;
                        cuts.push_back({begin[0], e});
                }
        }

        std::string out;
        size_t at = 0;
        for (const Cut &c : cuts) {
                out.append(data.substr(at, c.begin - at));
                at = c.end;
        }
        out.append(data.substr(at));

        /* What must come out: the original with exactly those elements gone. */
        toml::array kept;
        for (size_t i = 0; i < count; i++)
                if (!gone[i])
                        (*a)[i].visit([&](auto &&x) { kept.push_back(x); });
        toml::table expected = doc;
        toml::table *et = &expected;
        for (const std::string &c : table)
                et = et->get(c)->as_table();
        et->insert_or_assign(key, std::move(kept));
        toml::table result;
        try {
                result = toml::parse(out);
        } catch (const toml::parse_error &e) {
                fail(-EINVAL, "refusing the edit: the result would not parse (" +
                                      toml_edit::position_prefix(e.source().begin) + std::string(e.description()) + ")");
        }
        if (!toml_edit::same_table(expected, result))
                fail(-EINVAL, "refusing the edit: the result would change more than " + key);
        *ret = std::move(out);
        return 1;
}

} // namespace

int toml_edit_array_remove(const char *data, size_t size, const char *table, const char *key, char * const *values,
                           char **ret_data, size_t *ret_size, char **ret_error) {
        if (!data || !table || !key || !ret_data)
                return -EINVAL;
        *ret_data = nullptr;
        if (ret_size)
                *ret_size = 0;
        return remedy_cc::guarded(ret_error, [&]() -> int {
                std::string out;
                int r = array_remove(std::string_view(data, size), table, key, values, &out);
                if (r == 0)
                        return 0;
                char *buf = static_cast<char *>(malloc(out.size() + 1));
                if (!buf)
                        return -ENOMEM;
                memcpy(buf, out.data(), out.size());
                buf[out.size()] = '\0';
                *ret_data = buf;
                if (ret_size)
                        *ret_size = out.size();
                return 1;
        });
}
