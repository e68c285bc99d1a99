/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/yaml-node.h"
#include "tap.h"

static int parse_n(const char *data, size_t size, YamlDocument **ret, char **ret_error) {
        *ret = NULL;
        *ret_error = NULL;
        return yaml_document_parse("t.yaml", data, size, ret, ret_error);
}

static int parse(const char *data, YamlDocument **ret, char **ret_error) {
        return parse_n(data, strlen(data), ret, ret_error);
}

/* Asserts that data is refused with err and exactly this message. */
static void refused(const char *data, size_t size, int err, const char *want, const char *what) {
        YamlDocument *doc;
        char *error;
        int r = parse_n(data, size, &doc, &error);
        is_int(r, err, "%s: refused", what);
        is_str(error, want, "%s: error", what);
        ok(!doc, "%s: no document", what);
        yaml_document_free(doc);
        free(error);
}

/* sizeof, not strlen: some inputs hold a NUL byte on purpose. */
#define REFUSED(lit, err, want, what) refused(lit, sizeof(lit) - 1, err, want, what)

static void test_tree_and_marks(void) {
        const char *y =
                "name: test\n"
                "list:\n"
                "  - a\n"
                "  - \"b\"\n"
                "map: {x: 1, y: true}\n"
                "text: |\n"
                "  one\n"
                "  two\n"
                "empty:\n";
        YamlDocument *doc;
        char *error;

        is_int(parse(y, &doc, &error), 0, "a simple document parses");
        if (!doc)
                return;
        const YamlNode *root = doc->root;
        is_int(root->type, YAML_NODE_MAPPING, "root is a mapping");
        is_int(root->n_pairs, 5, "five keys, in order");
        is_str(root->pairs[1].key->scalar, "list", "second key is list");
        is_str(root->mark.file, "t.yaml", "marks carry the file name");

        const YamlNode *list = yaml_node_get(root, "list");
        is_int(list->type, YAML_NODE_SEQUENCE, "list is a sequence");
        is_int(list->mark.line, 3, "sequence starts on line 3");
        is_int(list->mark.column, 3, "sequence starts at column 3");
        is_int(list->n_items, 2, "two items");
        ok(list->items[0]->plain, "plain scalar is plain");
        ok(!list->items[1]->plain, "quoted scalar is not plain");
        is_int(list->items[1]->mark.line, 4, "quoted item on line 4");
        is_int(list->items[1]->mark.column, 5, "quoted item at column 5");

        const YamlNode *map = yaml_node_get(root, "map");
        is_int(map->mark.line, 5, "flow map line");
        is_int(map->mark.column, 6, "flow map column");
        const YamlNode *ykey = yaml_node_get_key(map, "y");
        is_int(ykey->mark.column, 13, "key y column");
        is_int(yaml_node_bool(yaml_node_get(map, "y")), 1, "y is true");
        is_int(yaml_node_bool(yaml_node_get(map, "x")), -EINVAL, "1 is not a boolean");

        const YamlNode *text = yaml_node_get(root, "text");
        ok(text->block, "literal block scalar is a block");
        is_str(text->scalar, "one\ntwo\n", "block scalar content");
        ok(yaml_node_is_null(yaml_node_get(root, "empty")), "key without a value is null");
        ok(!yaml_node_get(root, "missing"), "missing key is NULL");
        yaml_document_free(doc);
}

static void test_multibyte_marks(void) {
        /* 日本語 is 9 bytes and 3 characters: columns count characters, as libyaml's marks do. */
        YamlDocument *doc;
        char *error;
        const char *y = "a: {k: \"日本語\", b: x}\nc: é\nd: [ü, v]\n";
        is_int(parse(y, &doc, &error), 0, "non-ASCII document parses");
        if (!doc)
                return;
        const YamlNode *a = yaml_node_get(doc->root, "a");
        is_str(yaml_node_get(a, "k")->scalar, "日本語", "UTF-8 value kept");
        is_int(yaml_node_get_key(a, "b")->mark.column, 15, "column after multi-byte characters counts characters");
        const YamlNode *d = yaml_node_get(doc->root, "d");
        is_int(d->items[1]->mark.line, 3, "line after a multi-byte line");
        is_int(d->items[1]->mark.column, 8, "column after ü");
        yaml_document_free(doc);
}

static void test_bom(void) {
        YamlDocument *doc;
        char *error;
        is_int(parse("\xEF\xBB\xBFname: x\nb: y\n", &doc, &error), 0, "a UTF-8 BOM is accepted");
        if (!doc)
                return;
        is_str(yaml_node_get(doc->root, "name")->scalar, "x", "first key read past the BOM");
        is_int(yaml_node_get_key(doc->root, "name")->mark.column, 1, "BOM does not shift columns");
        is_int(yaml_node_get_key(doc->root, "b")->mark.line, 2, "second line");
        yaml_document_free(doc);

        REFUSED("\xEF\xBB\xBF" "a: 1\nb: \xff\n", -EBADMSG, "t.yaml:2:4: invalid UTF-8", "bad byte after a BOM");
}

static void test_refusals(void) {
        REFUSED("a: &x 1\nb: 2\n", -EBADMSG, "t.yaml:1:4: anchors (&x) are not allowed in playbooks", "anchor");
        REFUSED("a: 1\nb: *x\n", -EBADMSG, "t.yaml:2:4: aliases (*x) are not allowed in playbooks", "alias");
        REFUSED("a:\n  - &anchor [1]\n", -EBADMSG, "t.yaml:2:5: anchors (&anchor) are not allowed in playbooks",
                "anchor on a sequence");
        REFUSED("a: !foo 1\n", -EBADMSG, "t.yaml:1:4: tag '!foo' is not allowed (only the core schema's)",
                "local tag");
        REFUSED("a: !!python/object:os.system x\n", -EBADMSG,
                "t.yaml:1:4: tag 'tag:yaml.org,2002:python/object:os.system' is not allowed (only the core schema's)",
                "python tag");
        REFUSED("a: !!map x\n", -EBADMSG, "t.yaml:1:4: tag 'tag:yaml.org,2002:map' is not allowed (only the core schema's)",
                "map tag on a scalar");
        REFUSED("a: 1\nb: 2\na: 3\n", -EBADMSG, "t.yaml:3:1: duplicate key 'a' (first at line 1)", "duplicate key");
        REFUSED("x:\n  k: 1\n  \"k\": 2\n", -EBADMSG, "t.yaml:3:3: duplicate key 'k' (first at line 2)",
                "duplicate key, quoted");
        REFUSED("? [a, b]\n: 1\n", -EBADMSG, "t.yaml:1:3: mapping keys must be scalars", "sequence as key");
        REFUSED("{{a: 1}: 2}\n", -EBADMSG, "t.yaml:1:2: mapping keys must be scalars", "mapping as key");
        REFUSED("a: 1\n---\nb: 2\n", -EBADMSG, "t.yaml:2:1: a second document: a playbook file holds exactly one",
                "two documents");
        REFUSED("a: b\0c\n", -EBADMSG, "t.yaml:1:5: NUL byte in a YAML file", "NUL byte");
        REFUSED("a: b\nc: \xff\n", -EBADMSG, "t.yaml:2:4: invalid UTF-8", "invalid byte");
        REFUSED("a: é\xc0\xaf\n", -EBADMSG, "t.yaml:1:5: invalid UTF-8", "overlong form after é");
        REFUSED("a: \xed\xa0\x80\n", -EBADMSG, "t.yaml:1:4: invalid UTF-8", "surrogate");
        REFUSED("a: b: c\n", -EBADMSG, "t.yaml:1:5: mapping values are not allowed in this context",
                "syntax error");
        REFUSED("a:\n\tb: 1\n", -EBADMSG,
                "t.yaml:2:1: found character that cannot start any token (while scanning for the next token at 2:1)",
                "tab indentation");
        REFUSED("a: \x01\n", -EBADMSG, "t.yaml:1:4: control characters are not allowed", "control character");

        /* Nesting: 32 levels load, 33 do not. */
        char deep[80];
        memset(deep, '[', 32);
        memset(deep + 32, ']', 32);
        deep[64] = 0;
        YamlDocument *doc;
        char *error;
        is_int(parse(deep, &doc, &error), 0, "32 levels of nesting load");
        yaml_document_free(doc);
        memset(deep, '[', 33);
        memset(deep + 33, ']', 33);
        deep[66] = 0;
        refused(deep, 66, -ELOOP, "t.yaml:1:33: nesting deeper than 32 levels", "33 levels of nesting");

        size_t big = YAML_MAX_SIZE + 1;
        char *data = malloc(big);
        memset(data, '#', big);
        refused(data, big, -E2BIG, "t.yaml:1:1: 1048577 bytes is more than the 1048576 a playbook may have",
                "oversized input");
        free(data);
}

static void test_scalars(void) {
        YamlDocument *doc;
        char *error;
        const char *y = "s: !!str true\nn: \"x\\0y\"\nt: True\nf: FALSE\nq: 'true'\nyes: yes\ntilde: ~\nempty: \"\"\n";

        is_int(parse(y, &doc, &error), 0, "scalars parse");
        if (!doc)
                return;
        const YamlNode *r = doc->root;
        is_int(yaml_node_bool(yaml_node_get(r, "s")), -EINVAL, "!!str true is a string");
        is_int(yaml_node_get(r, "n")->size, 3, "escaped NUL kept in size");
        is_int(strlen(yaml_node_get(r, "n")->scalar), 1, "escaped NUL visible to strlen");
        is_int(yaml_node_bool(yaml_node_get(r, "t")), 1, "True");
        is_int(yaml_node_bool(yaml_node_get(r, "f")), 0, "FALSE");
        is_int(yaml_node_bool(yaml_node_get(r, "q")), -EINVAL, "quoted 'true' is a string");
        is_int(yaml_node_bool(yaml_node_get(r, "yes")), -EINVAL, "yes is not a YAML 1.2 boolean");
        ok(yaml_node_is_null(yaml_node_get(r, "tilde")), "~ is null");
        ok(!yaml_node_is_null(yaml_node_get(r, "empty")), "\"\" is not null");
        yaml_document_free(doc);

        is_int(parse("# nothing but a comment\n", &doc, &error), 0, "comment-only file parses");
        ok(doc && !doc->root, "comment-only file has no root");
        yaml_document_free(doc);
        is_int(parse("", &doc, &error), 0, "empty file parses");
        ok(doc && !doc->root, "empty file has no root");
        yaml_document_free(doc);
        is_int(parse("---\na: 1\n...\n", &doc, &error), 0, "one explicit document parses");
        yaml_document_free(doc);
}

int main(void) {
        test_tree_and_marks();
        test_multibyte_marks();
        test_bom();
        test_refusals();
        test_scalars();
        return tap_done();
}
