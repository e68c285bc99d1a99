// SPDX-License-Identifier: MIT
#pragma once

/*
 * Private to toml-edit.cc: where things are in the bytes of a TOML file that toml++ has parsed.
 * SourceMap turns toml++'s source positions (line, and column counted in codepoints) into byte
 * offsets; Layout finds every [header] and every key-value's value bytes; add_key() and add_table()
 * compute where an insertion goes and the text to insert, with the file's own indentation and line
 * ending. Nothing here decides whether an edit is allowed: toml-edit.cc does that and checks the
 * result.
 *
 * Refusals and failures are thrown as Failure (via fail()); toml-edit.cc's entry points catch them
 * before the C boundary.
 */

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "cc-boundary.hh"

namespace toml_edit {

using Path = std::vector<std::string>;

/* A refusal or failure on its way to the C boundary (cc-boundary.hh). */
using remedy_cc::Failure;
using remedy_cc::fail;

/* The length a UTF-8 lead byte announces; 1 for bytes that cannot lead a sequence. */
size_t utf8_sequence_length(unsigned char lead);

/* Line/column (columns in codepoints, as toml++ counts them) to byte offsets, and line helpers. */
class SourceMap {
public:
        explicit SourceMap(std::string_view data);

        /* Where the text starts: past a BOM, which toml++ skips. */
        size_t text_start() const { return line_starts_[0]; }

        size_t offset(const toml::source_position &p) const;

        size_t line_start(size_t o) const;

        /* Offset just past the end of the line holding o (past its '\n'), or the end of data. */
        size_t next_line(size_t o) const;

        std::string indentation(size_t o) const;

        /* The line before the one starting at o is empty or whitespace only (or there is none). */
        bool follows_blank_line(size_t o) const;

        std::string_view data() const { return data_; }

private:
        std::string_view data_;
        std::vector<size_t> line_starts_;
};

/* Where things are in the file: every [header] and every key-value's value bytes. */
struct Header {
        size_t offset;
        Path path;
};

struct Span {
        size_t begin, end;
};

class Layout {
public:
        Layout(const toml::table &doc, const SourceMap &map);

        /* The header of table path (its own [path], not one of a sub-table), or nullptr. */
        const Header *own_header(const Path &path) const;

        /* The block of a header: up to the next header, or the end. */
        size_t block_end(size_t header_offset) const;

        size_t first_header_offset() const;

        /* The last value starting inside [begin, end), or nullptr. */
        const Span *last_value(size_t begin, size_t end) const;

        /* The last header (by position) of prefix itself or any table below it. */
        const Header *last_header_under(const Path &prefix) const;

        /*
         * The file's indentation step: how much deeper the key-values of the first table that has
         * any sit than its header (containerd's generated configs indent by two spaces per level).
         */
        std::string indent_step() const;

private:
        void walk(const toml::table &t, const Path &path);
        void add_header_if_own(const toml::node &t, const Path &path, bool array_element);

        const SourceMap &map_;
        std::vector<Header> headers_;
        std::vector<Span> values_;
};

struct Edit {
        size_t begin, end;   /* bytes replaced */
        std::string text;
};

/* The file's line ending, taken from its first line: "\r\n" or "\n". */
std::string line_ending(std::string_view data);

/* Adds "[table]" and the key line after the block of the closest existing ancestor (or at the end). */
Edit add_table(const SourceMap &map, const Layout &layout, const Path &ancestor, const std::string &table_text,
               const std::string &key_line, const std::string &eol);

/* Adds the key line after the last key-value of a table's block (or right after its header). */
Edit add_key(const SourceMap &map, const Layout &layout, const Header *header, const std::string &key_line,
             const std::string &eol);

/* Shared by toml-edit.cc's entry points and toml-edit-array.cc (defined in toml-edit.cc). */

/* "LINE:COLUMN: " */
std::string position_prefix(const toml::source_position &p);
/* Parses a whole file; -EBADMSG with the position on failure. */
toml::table parse_document(std::string_view data);
/* A table name as written in a [header] into its components; "" is the root table. */
Path parse_table_name(const std::string &name);
/* Deep equality by TOML's data model (floats: NaN equals NaN). */
bool same_node(const toml::node &a, const toml::node &b);
bool same_table(const toml::table &a, const toml::table &b);

} // namespace toml_edit
