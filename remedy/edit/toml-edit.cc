// SPDX-License-Identifier: MIT
/*
 * Byte-preserving TOML edits. toml++ does all the parsing and validation; toml-edit-layout.cc maps
 * the source positions toml++ reports (line, and column counted in codepoints) to byte offsets and
 * finds where new bytes go, and this file decides what to splice and checks the result. Table and
 * key names are always compared after toml++ has parsed them, so plugins."a.b" and plugins.'a.b'
 * are one table and no table is ever defined twice.
 *
 * Nothing may throw across the C boundary: every entry point runs inside guarded(), which turns
 * toml::parse_error into -EBADMSG, our own refusals into their errno, std::bad_alloc into -ENOMEM
 * and anything else into -EIO.
 */

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

extern "C" {
#include "remedy/toml-edit.h"
}

#include "toml-edit-layout.hh"

namespace toml_edit {

std::string position_prefix(const toml::source_position &p) {
        return std::to_string(p.line) + ":" + std::to_string(p.column) + ": ";
}

toml::table parse_document(std::string_view data) {
        try {
                return toml::parse(data);
        } catch (const toml::parse_error &e) {
                fail(-EBADMSG, position_prefix(e.source().begin) + std::string(e.description()));
        }
}

/* A table name as written in a [header]; "" is the root table. */
Path parse_table_name(const std::string &name) {
        if (name.empty())
                return {};
        if (name.find_first_of("\r\n") != std::string::npos)
                fail(-EINVAL, "invalid table name: contains a line break");
        std::string header = "[" + name + "]";
        toml::table doc;
        try {
                doc = toml::parse(header + "\n");
        } catch (const toml::parse_error &e) {
                fail(-EINVAL, "invalid table name \"" + name + "\": " + std::string(e.description()));
        }
        Path path;
        const toml::table *t = &doc;
        while (!t->empty()) {
                const toml::table *sub = t->size() == 1 ? t->begin()->second.as_table() : nullptr;
                if (!sub || sub->is_inline())
                        fail(-EINVAL, "invalid table name \"" + name + "\": not a single table name");
                path.emplace_back(t->begin()->first.str());
                t = sub;
        }
        /* Nothing may follow the closing bracket ("a] # x" parses too, but is not a name). */
        SourceMap map(header);
        if (path.empty() || map.offset(t->source().end) != header.size())
                fail(-EINVAL, "invalid table name \"" + name + "\": not a single table name");
        return path;
}

/* Deep equality by TOML's data model (floats: NaN equals NaN, so an untouched nan is no change). */
bool same_table(const toml::table &a, const toml::table &b) {
        if (a.size() != b.size())
                return false;
        for (const auto &[k, v] : a) {
                const toml::node *o = b.get(k.str());
                if (!o || !same_node(v, *o))
                        return false;
        }
        return true;
}

bool same_node(const toml::node &a, const toml::node &b) {
        if (a.type() != b.type())
                return false;
        switch (a.type()) {
        case toml::node_type::table: return same_table(*a.as_table(), *b.as_table());
        case toml::node_type::array: {
                const toml::array &x = *a.as_array(), &y = *b.as_array();
                if (x.size() != y.size())
                        return false;
                for (size_t i = 0; i < x.size(); i++)
                        if (!same_node(x[i], y[i]))
                                return false;
                return true;
        }
        case toml::node_type::floating_point: {
                double x = a.as_floating_point()->get(), y = b.as_floating_point()->get();
                return x == y || (std::isnan(x) && std::isnan(y));
        }
        case toml::node_type::string: return a.as_string()->get() == b.as_string()->get();
        case toml::node_type::integer: return a.as_integer()->get() == b.as_integer()->get();
        case toml::node_type::boolean: return a.as_boolean()->get() == b.as_boolean()->get();
        case toml::node_type::date: return a.as_date()->get() == b.as_date()->get();
        case toml::node_type::time: return a.as_time()->get() == b.as_time()->get();
        case toml::node_type::date_time: return a.as_date_time()->get() == b.as_date_time()->get();
        default: return false;
        }
}

} // namespace toml_edit

namespace {

using toml_edit::add_key;
using toml_edit::add_table;
using toml_edit::Edit;
using toml_edit::fail;
using toml_edit::Failure;
using toml_edit::Header;
using toml_edit::Layout;
using toml_edit::line_ending;
using toml_edit::parse_document;
using toml_edit::parse_table_name;
using toml_edit::Path;
using toml_edit::position_prefix;
using toml_edit::same_table;
using toml_edit::SourceMap;
using toml_edit::utf8_sequence_length;

[[noreturn]] void fail_at(const toml::node &n, const std::string &message) {
        fail(-EINVAL, position_prefix(n.source().begin) + message);
}

/* Strings written into the file must be valid UTF-8, or toml++ would reject the result. */
bool utf8_valid(std::string_view s) {
        for (size_t i = 0; i < s.size();) {
                auto lead = static_cast<unsigned char>(s[i]);
                size_t n = utf8_sequence_length(lead);
                if (lead >= 0x80 && (n == 1 || lead == 0xc0 || lead == 0xc1 || lead > 0xf4))
                        return false;
                if (i + n > s.size())
                        return false;
                uint32_t cp = n == 1 ? lead : lead & (0xff >> (n + 1));
                for (size_t k = 1; k < n; k++) {
                        auto c = static_cast<unsigned char>(s[i + k]);
                        if ((c & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (c & 0x3f);
                }
                static const uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
                if (cp < min_for_length[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n;
        }
        return true;
}

std::string dotted(const Path &path, size_t n) {
        std::string s;
        for (size_t i = 0; i < n && i < path.size(); i++) {
                if (i > 0)
                        s += '.';
                s += path[i];
        }
        return s;
}

std::string trim(std::string_view s) {
        size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
        return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

/* A dotted key path ("plugins.'a.b'.c") into its components. */
Path parse_key_path(const std::string &keypath) {
        if (keypath.empty() || keypath.find_first_of("\r\n") != std::string::npos)
                fail(-EINVAL, "invalid key path \"" + keypath + "\"");
        std::string line = keypath + " = 0";
        toml::table doc;
        try {
                doc = toml::parse(line + "\n");
        } catch (const toml::parse_error &e) {
                fail(-EINVAL, "invalid key path \"" + keypath + "\": " + std::string(e.description()));
        }
        Path path;
        const toml::table *t = &doc;
        for (;;) {
                if (t->size() != 1)
                        fail(-EINVAL, "invalid key path \"" + keypath + "\"");
                auto it = t->begin();
                const toml::node &v = it->second;
                path.emplace_back(it->first.str());
                if (const toml::table *sub = v.as_table(); sub && !sub->is_inline()) {
                        t = sub;
                        continue;
                }
                /* the value must be our own "0", so that the key spans all of keypath */
                SourceMap map(line);
                if (!v.is_integer() || map.offset(v.source().begin) != line.size() - 1)
                        fail(-EINVAL, "invalid key path \"" + keypath + "\"");
                return path;
        }
}

bool is_bare_key(std::string_view s) {
        if (s.empty())
                return false;
        for (char c : s)
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                        return false;
        return true;
}

std::string basic_string(std::string_view s) {
        std::string out = "\"";
        for (char ch : s) {
                auto c = static_cast<unsigned char>(ch);
                switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\b': out += "\\b"; break;
                case '\t': out += "\\t"; break;
                case '\n': out += "\\n"; break;
                case '\f': out += "\\f"; break;
                case '\r': out += "\\r"; break;
                default:
                        if (c < 0x20 || c == 0x7f) {
                                char esc[8];
                                snprintf(esc, sizeof esc, "\\u%04X", c);
                                out += esc;
                        } else
                                out += ch;
                }
        }
        return out + "\"";
}

bool literal_string_possible(std::string_view s) {
        for (char ch : s) {
                auto c = static_cast<unsigned char>(ch);
                if (c == '\'' || c == 0x7f || (c < 0x20 && c != '\t'))
                        return false;
        }
        return true;
}

std::string format_key(std::string_view key) {
        return is_bare_key(key) ? std::string(key) : basic_string(key);
}

/* The wanted value, validated, as a toml++ node (for comparisons) and as TOML text. */
struct Wanted {
        EditValueType type;
        std::string text;   /* string contents, "true"/"false", or normalised decimal */
        int64_t integer = 0;

        void assign_to(toml::table &t, const std::string &key) const {
                switch (type) {
                case EDIT_VALUE_BOOL: t.insert_or_assign(key, text == "true"); break;
                case EDIT_VALUE_INT: t.insert_or_assign(key, integer); break;
                default: t.insert_or_assign(key, text); break;
                }
        }

        bool equals(const toml::node &n) const {
                switch (type) {
                case EDIT_VALUE_BOOL: return n.is_boolean() && n.as_boolean()->get() == (text == "true");
                case EDIT_VALUE_INT: return n.is_integer() && n.as_integer()->get() == integer;
                default: return n.is_string() && n.as_string()->get() == text;
                }
        }

        /* keep_literal: the old value was a 'literal string', so stay with that style if possible */
        std::string toml(bool keep_literal) const {
                if (type != EDIT_VALUE_STRING)
                        return text;
                if (keep_literal && literal_string_possible(text))
                        return "'" + text + "'";
                return basic_string(text);
        }
};

Wanted parse_wanted(const EditValue *v) {
        if (!v || !v->text)
                fail(-EINVAL, "no value given");
        std::string text = v->text;
        Wanted w{v->type, text};
        /* the spelling rules every editor shares ("+07" and "yes" are refused everywhere) */
        if (edit_value_check(v) < 0)
                fail(-EINVAL, "\"" + text + "\" is not a valid " +
                                      (edit_value_type_name(v->type) ? edit_value_type_name(v->type) : "value"));
        switch (v->type) {
        case EDIT_VALUE_BOOL:
                if (text != "true" && text != "false")
                        fail(-EINVAL, "not a boolean: \"" + text + "\"");
                break;
        case EDIT_VALUE_INT: {
                size_t i = text[0] == '-' || text[0] == '+' ? 1 : 0;
                bool digits = i < text.size() && text.find_first_not_of("0123456789", i) == std::string::npos;
                char *end = nullptr;
                errno = 0;
                long long n = digits ? strtoll(text.c_str(), &end, 10) : 0;
                if (!digits || errno != 0 || *end != '\0')
                        fail(-EINVAL, "not a 64-bit decimal integer: \"" + text + "\"");
                w.integer = n;
                w.text = std::to_string(n);
                break;
        }
        case EDIT_VALUE_STRING:
                if (!utf8_valid(text))
                        fail(-EINVAL, "value is not valid UTF-8");
                break;
        default:
                fail(-EINVAL, "unknown value type");
        }
        return w;
}

/* The original document with the one intended change, to compare the edited file against. */
void verify_edit(const toml::table &original, std::string_view edited, const Path &table, const std::string &key,
                 const Wanted &wanted) {
        toml::table expected = original;
        toml::table *t = &expected;
        for (const std::string &c : table) {
                if (!t->get(c))
                        t->insert(c, toml::table{});
                t = t->get(c)->as_table();
        }
        wanted.assign_to(*t, key);

        toml::table result;
        try {
                result = toml::parse(edited);
        } catch (const toml::parse_error &e) {
                fail(-EINVAL, "refusing the edit: the result would not parse (" + position_prefix(e.source().begin) +
                                      std::string(e.description()) + ")");
        }
        if (!same_table(expected, result))
                fail(-EINVAL, "refusing the edit: the result would change more than " + key);
}

int toml_set(std::string_view data, const std::string &table_name, const std::string &key, const EditValue *value,
             std::string *ret) {
        toml::table doc = parse_document(data);
        std::string table_text = trim(table_name);
        Path table = parse_table_name(table_text);
        if (key.empty() || !utf8_valid(key))
                fail(-EINVAL, "invalid key name");
        Wanted wanted = parse_wanted(value);

        SourceMap map(data);
        std::string eol = line_ending(data);

        /* walk down to the target table, or its closest existing ancestor */
        toml::table *t = &doc;
        size_t depth = 0;
        for (; depth < table.size(); depth++) {
                toml::node *n = t->get(table[depth]);
                if (!n)
                        break;
                if (!n->is_table())
                        fail_at(*n, "\"" + dotted(table, depth + 1) + "\" is " +
                                            (n->is_array() ? "an array" : "a value") + ", not a table");
                t = n->as_table();
        }

        Edit edit;
        const toml::node *old = depth == table.size() ? t->get(key) : nullptr;
        if (old) {
                if (old->is_table())
                        fail_at(*old, "\"" + key + "\" is a table, not a value");
                if (old->is_array())
                        fail_at(*old, "\"" + key + "\" is an array; only strings, booleans and integers can be set");
                if (wanted.equals(*old))
                        return 0;
                size_t b = map.offset(old->source().begin), e = map.offset(old->source().end);
                bool literal = data.compare(b, 1, "'") == 0 && data.compare(b, 3, "'''") != 0;
                edit = {b, e, wanted.toml(literal)};
        } else {
                if (t->is_inline())
                        fail_at(*t, "\"" + dotted(table, depth) + "\" is an inline table; remedy only adds keys to [tables]");
                Layout layout(doc, map);
                Path existing(table.begin(), table.begin() + depth);
                const Header *header = table.empty() ? nullptr : layout.own_header(existing);
                std::string key_line = format_key(key) + " = " + wanted.toml(false);
                if (depth == table.size() && (table.empty() || header))
                        edit = add_key(map, layout, header, key_line, eol);
                else {
                        /* A table made by dotted keys cannot get a header of its own; one made
                         * implicitly by a sub-table's header can. */
                        if (depth > 0 && !header && data.compare(map.offset(t->source().begin), 1, "[") != 0)
                                fail_at(*t, "\"" + dotted(table, depth) +
                                                    "\" is defined with dotted keys; remedy only adds keys to [tables]");
                        edit = add_table(map, layout, existing, table_text, key_line, eol);
                }
        }

        std::string out;
        out.reserve(data.size() + edit.text.size());
        out.append(data.substr(0, edit.begin)).append(edit.text).append(data.substr(edit.end));
        verify_edit(doc, out, table, key, wanted);
        *ret = std::move(out);
        return 1;
}

/* remedy_cc::guarded(), with toml++'s parse errors given their position. */
template <typename F>
int guarded(char **ret_error, F &&f) {
        return remedy_cc::guarded(ret_error, [&]() -> int {
                try {
                        return f();
                } catch (const toml::parse_error &e) {
                        fail(-EBADMSG, position_prefix(e.source().begin) + std::string(e.description()));
                }
        });
}

std::string value_text(const toml::node &n) {
        if (const auto *s = n.as_string())
                return s->get();
        if (const auto *b = n.as_boolean())
                return b->get() ? "true" : "false";
        if (const auto *i = n.as_integer())
                return std::to_string(i->get());
        std::ostringstream os;
        if (const auto *t = n.as_table())
                os << *t;
        else if (const auto *a = n.as_array())
                os << *a;
        else if (const auto *f = n.as_floating_point())
                os << *f;
        else if (const auto *d = n.as_date())
                os << *d;
        else if (const auto *tm = n.as_time())
                os << *tm;
        else if (const auto *dt = n.as_date_time())
                os << *dt;
        return os.str();
}

int get_path(const char *data, size_t size, const Path &path, char **ret_value) {
        toml::table doc = parse_document(std::string_view(data, size));
        const toml::node *n = &doc;
        for (const std::string &c : path) {
                const toml::table *t = n->as_table();
                n = t ? t->get(c) : nullptr;
                if (!n) {
                        *ret_value = nullptr;
                        return 0;
                }
        }
        char *v = strdup(value_text(*n).c_str());
        if (!v)
                return -ENOMEM;
        *ret_value = v;
        return 1;
}

} // namespace

int toml_edit_set(const char *data, size_t size, const char *table, const char *key, const EditValue *value,
                  char **ret_data, size_t *ret_size, char **ret_error) {
        if (!data || !table || !key || !ret_data)
                return -EINVAL;
        return guarded(ret_error, [&]() -> int {
                std::string out;
                int r = toml_set(std::string_view(data, size), table, key, value, &out);
                if (r == 0) {
                        *ret_data = nullptr;
                        if (ret_size)
                                *ret_size = 0;
                        return 0;
                }
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

int toml_edit_get(const char *data, size_t size, const char *keypath, char **ret_value, char **ret_error) {
        if (!data || !keypath || !ret_value)
                return -EINVAL;
        return guarded(ret_error, [&]() -> int { return get_path(data, size, parse_key_path(keypath), ret_value); });
}

int toml_edit_get_key(const char *data, size_t size, const char *table, const char *key, char **ret_value,
                      char **ret_error) {
        if (!data || !table || !key || !ret_value)
                return -EINVAL;
        return guarded(ret_error, [&]() -> int {
                Path path = parse_table_name(trim(table));
                path.emplace_back(key);
                return get_path(data, size, path, ret_value);
        });
}

int toml_edit_check(const char *data, size_t size, char **ret_error) {
        if (!data)
                return -EINVAL;
        return guarded(ret_error, [&]() -> int {
                (void) parse_document(std::string_view(data, size));
                return 0;
        });
}

int toml_edit_check_table(const char *table, char **ret_error) {
        if (!table)
                return -EINVAL;
        return guarded(ret_error, [&]() -> int {
                (void) parse_table_name(trim(table));
                return 0;
        });
}
