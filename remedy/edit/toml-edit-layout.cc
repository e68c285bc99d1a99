// SPDX-License-Identifier: MIT
/*
 * Source positions and layout for toml-edit.cc: toml++ reports where every node starts and ends
 * as line and codepoint column; this maps them to byte offsets, finds the [headers] and values of
 * a document, and computes where a new key or table goes. See toml-edit-layout.hh.
 */

#include <algorithm>
#include <cerrno>

#include "toml-edit-layout.hh"

namespace toml_edit {

namespace {

bool is_table_of_array(const toml::node &n) {
        const toml::array *a = n.as_array();
        return a && !a->empty() && a->front().is_table() && !a->front().as_table()->is_inline();
}

/*
 * The path a single header names, found by letting toml++ parse it as a document of its own:
 * "[a.'b.c']" gives {a, b.c}. is_array is set for "[[...]]".
 */
Path header_path(std::string_view header, bool *is_array) {
        toml::table doc = toml::parse(std::string(header) + "\n");
        Path path;
        const toml::table *t = &doc;
        *is_array = false;
        while (t->size() == 1) {
                auto it = t->begin();
                const toml::node &v = it->second;
                path.emplace_back(it->first.str());
                if (is_table_of_array(v)) {
                        *is_array = true;
                        break;
                }
                t = v.as_table();
                if (!t)
                        break;
        }
        return path;
}

} // namespace

size_t utf8_sequence_length(unsigned char lead) {
        if (lead < 0x80)
                return 1;
        if ((lead & 0xe0) == 0xc0)
                return 2;
        if ((lead & 0xf0) == 0xe0)
                return 3;
        if ((lead & 0xf8) == 0xf0)
                return 4;
        return 1;
}

SourceMap::SourceMap(std::string_view data) : data_(data) {
        size_t start = data.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; /* toml++ skips a BOM */
        line_starts_.push_back(start);
        for (size_t i = start; i < data.size(); i++)
                if (data[i] == '\n')
                        line_starts_.push_back(i + 1);
}

size_t SourceMap::offset(const toml::source_position &p) const {
        if (p.line == 0 || p.line > line_starts_.size())
                fail(-EIO, "toml++ reported a position outside the document");
        size_t o = line_starts_[p.line - 1];
        for (toml::source_index c = 1; c < p.column && o < data_.size(); c++)
                o += utf8_sequence_length(static_cast<unsigned char>(data_[o]));
        return std::min(o, data_.size());
}

size_t SourceMap::line_start(size_t o) const {
        while (o > line_starts_[0] && data_[o - 1] != '\n')
                o--;
        return o;
}

size_t SourceMap::next_line(size_t o) const {
        size_t nl = data_.find('\n', o);
        return nl == std::string_view::npos ? data_.size() : nl + 1;
}

std::string SourceMap::indentation(size_t o) const {
        size_t b = line_start(o), e = b;
        while (e < data_.size() && (data_[e] == ' ' || data_[e] == '\t'))
                e++;
        return std::string(data_.substr(b, e - b));
}

bool SourceMap::follows_blank_line(size_t o) const {
        if (o <= line_starts_[0])
                return true;
        size_t prev = line_start(o - 1);
        for (size_t i = prev; i < o; i++)
                if (data_[i] != ' ' && data_[i] != '\t' && data_[i] != '\r' && data_[i] != '\n')
                        return false;
        return true;
}

Layout::Layout(const toml::table &doc, const SourceMap &map) : map_(map) {
        walk(doc, {});
        std::sort(headers_.begin(), headers_.end(),
                  [](const Header &a, const Header &b) { return a.offset < b.offset; });
        std::sort(values_.begin(), values_.end(), [](const Span &a, const Span &b) { return a.begin < b.begin; });
}

const Header *Layout::own_header(const Path &path) const {
        for (const Header &h : headers_)
                if (h.path == path)
                        return &h;
        return nullptr;
}

size_t Layout::block_end(size_t header_offset) const {
        for (const Header &h : headers_)
                if (h.offset > header_offset)
                        return h.offset;
        return map_.data().size();
}

size_t Layout::first_header_offset() const {
        return headers_.empty() ? map_.data().size() : headers_.front().offset;
}

const Span *Layout::last_value(size_t begin, size_t end) const {
        const Span *last = nullptr;
        for (const Span &v : values_)
                if (v.begin >= begin && v.begin < end)
                        last = &v;
        return last;
}

const Header *Layout::last_header_under(const Path &prefix) const {
        const Header *last = nullptr;
        for (const Header &h : headers_)
                if (h.path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), h.path.begin()))
                        last = &h;
        return last;
}

std::string Layout::indent_step() const {
        for (const Header &h : headers_) {
                const Span *v = last_value(h.offset, block_end(h.offset));
                if (!v)
                        continue;
                std::string hi = map_.indentation(h.offset), vi = map_.indentation(v->begin);
                if (vi.size() > hi.size() && vi.compare(0, hi.size(), hi) == 0)
                        return vi.substr(hi.size());
                return "";
        }
        return "";
}

void Layout::walk(const toml::table &t, const Path &path) {
        for (const auto &[k, v] : t) {
                Path child = path;
                child.emplace_back(k.str());
                if (const toml::table *sub = v.as_table(); sub && !sub->is_inline()) {
                        add_header_if_own(*sub, child, false);
                        walk(*sub, child);
                } else if (is_table_of_array(v)) {
                        for (const toml::node &e : *v.as_array()) {
                                add_header_if_own(e, child, true);
                                walk(*e.as_table(), child);
                        }
                } else
                        values_.push_back({map_.offset(v.source().begin), map_.offset(v.source().end)});
        }
}

/*
 * toml++ gives a table created implicitly by [a.b.c] (a, a.b) the source of that header and a
 * table created by dotted keys the source of the key; only a header that parses to the table's
 * own path is its definition.
 */
void Layout::add_header_if_own(const toml::node &t, const Path &path, bool array_element) {
        size_t b = map_.offset(t.source().begin), e = map_.offset(t.source().end);
        if (b >= e || map_.data()[b] != '[')
                return;
        bool is_array;
        if (header_path(map_.data().substr(b, e - b), &is_array) == path && is_array == array_element)
                headers_.push_back({b, path});
}

std::string line_ending(std::string_view data) {
        size_t nl = data.find('\n');
        return nl != std::string_view::npos && nl > 0 && data[nl - 1] == '\r' ? "\r\n" : "\n";
}

Edit add_table(const SourceMap &map, const Layout &layout, const Path &ancestor, const std::string &table_text,
               const std::string &key_line, const std::string &eol) {
        std::string_view data = map.data();
        size_t at = data.size();
        std::string indent;
        if (!ancestor.empty()) {
                if (const Header *last = layout.last_header_under(ancestor)) {
                        const Span *v = layout.last_value(last->offset, layout.block_end(last->offset));
                        at = map.next_line(v ? v->end : last->offset);
                }
                if (const Header *own = layout.own_header(ancestor))
                        indent = map.indentation(own->offset) + layout.indent_step();
        }

        std::string text;
        if (at == data.size() && at > map.text_start() && data.back() != '\n')
                text += eol;
        if (at > map.text_start() && !(text.empty() && map.follows_blank_line(at)))
                text += eol;
        text += indent + "[" + table_text + "]" + eol + indent + layout.indent_step() + key_line + eol;
        return {at, at, text};
}

Edit add_key(const SourceMap &map, const Layout &layout, const Header *header, const std::string &key_line,
             const std::string &eol) {
        std::string_view data = map.data();
        size_t begin = header ? header->offset : map.text_start();
        size_t end = header ? layout.block_end(header->offset) : layout.first_header_offset();
        const Span *v = layout.last_value(begin, end);

        std::string indent;
        size_t at;
        std::string suffix;
        if (v) {
                indent = map.indentation(v->begin);
                at = map.next_line(v->end);
        } else if (header) {
                indent = map.indentation(header->offset) + layout.indent_step();
                at = map.next_line(header->offset);
        } else {
                /* a root table without keys: before the first header, apart from it */
                at = end < data.size() ? map.line_start(end) : end;
                if (at < data.size())
                        suffix = eol;
        }
        std::string text;
        if (at == data.size() && at > map.text_start() && data.back() != '\n')
                text += eol;
        text += indent + key_line + eol + suffix;
        return {at, at, text};
}

} // namespace toml_edit
