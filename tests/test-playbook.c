/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "playbook-test-good.h"
#include "remedy/action.h"
#include "remedy/playbook.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

static void test_good_playbook(void) {
        _cleanup_free_ char *path = fixture_path("good/cni-placeholder.yaml");
        _cleanup_(playbook_freep) Playbook *p = load_good();
        if (!p)
                return;

        is_str(p->name, "cni-placeholder", "name");
        is_str(p->summary, "Write a placeholder CNI config so the node can become Ready", "summary");
        ok(p->description && startswith(p->description, "kubelet reports NetworkReady=false"), "description");
        is_int(strv_length(p->references), 2, "two references");
        is_str(p->path, path, "path kept");

        is_int(p->n_params, 7, "seven parameters");
        const Param *subnet = playbook_find_param(p, "subnet");
        ok(subnet && subnet->type == PARAM_STRING, "subnet is a string");
        is_str(subnet ? subnet->default_value : NULL, "10.244.0.0/16", "subnet default");
        is_str(subnet ? subnet->description : NULL, "pod subnet of this node", "subnet description");
        is_int(subnet ? subnet->mark.line : 0, 12, "subnet declared on line 12");
        const Param *mode = playbook_find_param(p, "mode");
        ok(mode && mode->type == PARAM_ENUM && strv_length(mode->choices) == 2, "mode is an enum of two");
        is_str(playbook_find_param(p, "restart")->default_value, "true", "bool default as written");
        is_str(playbook_find_param(p, "timeout")->default_value, "1min 30s", "duration default as written");
        ok(!playbook_find_param(p, "cluster")->default_value, "cluster is required");
        ok(!playbook_find_param(p, "nope"), "no such parameter");

        is_int(p->n_steps, 5, "five steps");
        is_str(p->steps[0].name, "Write the placeholder config", "first step name");
        is_str(p->steps[0].action->key, "file", "first step is a file action");
        ok(p->steps[0].when != NULL, "first step has a condition");
        is_int(p->steps[0].mark.line, 23, "first step on line 23");
        is_int(p->steps[0].mark.column, 5, "first step at column 5");
        is_str(p->steps[1].action->key, "remove", "second step removes");
        is_str(p->steps[2].action->key, "dropin", "third step is a drop-in");
        is_str(p->steps[3].action->key, "kubelet-flags", "fourth step edits kubelet flags");
        ok(p->steps[0].node && p->steps[0].node->type == YAML_NODE_MAPPING, "step keeps its arguments node");
        is_int(p->n_checks, 2, "two checks");
        is_str(p->checks[0].type->key, "file", "file check");

        /* The identity of the file, computed by another program. */
        char *argv[] = { (char *) "sha256sum", path, NULL };
        _cleanup_free_ char *out = NULL;
        if (program_exists("sha256sum") && run_capture(argv, &out, NULL) == 0 && out && strlen(out) >= 64) {
                out[64] = 0;
                is_str(p->sha256, out, "sha256 of the file bytes");
        } else
                ok(false, "sha256sum runs");
}

static void test_bad_playbooks(void) {
        /* The expected errors live beside the fixtures, one line per file. */
        _cleanup_free_ char *table = read_fixture("playbooks/bad/expected-errors.tsv", NULL);
        unsigned n = 0;

        for (char *line = strtok(table, "\n"); line; line = strtok(NULL, "\n")) {
                _cleanup_free_ char *path = NULL, *want = NULL, *error = NULL;
                Playbook *p = NULL;

                if (line[0] == '#')
                        continue;
                char *errname = strchr(line, '\t'), *reason = errname ? strchr(errname + 1, '\t') : NULL;
                if (!ok(reason != NULL, "table line is FILE<TAB>ERRNO<TAB>ERROR"))
                        continue;
                *errname++ = 0;
                *reason++ = 0;
                int err = streq(errname, "EBADMSG") ? -EBADMSG : -EINVAL;

                if (asprintf(&path, "%s/playbooks/bad/%s.yaml", getenv("FIXTURES") ?: "tests/fixtures", line) < 0 ||
                    asprintf(&want, "%s:%s", path, reason) < 0)
                        abort();
                int r = playbook_load(path, &p, &error);
                is_int(r, err, "%s is refused", line);
                is_str(error, want, "%s: error names FILE:LINE:COLUMN", line);
                ok(!p, "%s: no playbook", line);
                playbook_free(p);
                n++;
        }
        ok(n >= 32, "%u bad playbooks checked", n);
}

static void test_parse_util(void) {
        const char *y =
                "m1: \"0644\"\n"
                "m2: 0644\n"
                "m3: 644\n"
                "m4: 0o755\n"
                "m5: \"7777\"\n"
                "m6: 10000\n"
                "m7: rw\n"
                "m8: \"\"\n"
                "b1: true\n"
                "b2: yes\n"
                "l1: [a, b]\n"
                "l2: a\n"
                "l3: [a, [b]]\n"
                "s1: ~\n"
                "seq: [x]\n";
        YamlDocument *doc = NULL;
        _cleanup_free_ char *yerr = NULL;
        if (!is_int(yaml_document_parse("u.yaml", y, strlen(y), &doc, &yerr), 0, "parse-util document parses"))
                return;
        const YamlNode *root = doc->root;
        ParseContext pc = { .file = "u.yaml" };
        mode_t m = 0;
        bool b = false;
        char **l = NULL, *s = NULL;

        is_int(parse_mode(&pc, root, "m1", true, &m), 1, "\"0644\"");
        is_int(m, 0644, "\"0644\" is 0644");
        is_int(parse_mode(&pc, root, "m2", true, &m), 1, "plain 0644");
        is_int(m, 0644, "plain 0644 is octal");
        is_int(parse_mode(&pc, root, "m3", true, &m), 1, "plain 644");
        is_int(m, 0644, "644 is read as octal");
        is_int(parse_mode(&pc, root, "m4", true, &m), 1, "0o755");
        is_int(m, 0755, "YAML 1.2 octal");
        is_int(parse_mode(&pc, root, "m5", true, &m), 1, "\"7777\"");
        is_int(m, 07777, "all bits");
        m = 0123;
        is_int(parse_mode(&pc, root, "absent", false, &m), 0, "optional mode absent");
        is_int(m, 0123, "absent leaves the value alone");
        is_int(parse_mode(&pc, root, "m6", true, &m), -EINVAL, "10000 refused");
        is_str(pc.error, "u.yaml:6:5: 'm6' is larger than 07777: '10000'", "too large");
        free(TAKE_PTR(pc.error));
        is_int(parse_mode(&pc, root, "m7", true, &m), -EINVAL, "rw refused");
        is_str(pc.error, "u.yaml:7:5: 'm7' must be an octal mode such as \"0644\", got 'rw'", "not octal");
        free(TAKE_PTR(pc.error));
        is_int(parse_mode(&pc, root, "m8", true, &m), -EINVAL, "empty mode refused");
        free(TAKE_PTR(pc.error));
        is_int(parse_mode(&pc, root, "absent", true, &m), -EINVAL, "required mode missing");
        is_str(pc.error, "u.yaml:1:1: missing required key 'absent'", "missing key names the mapping");
        free(TAKE_PTR(pc.error));

        is_int(parse_bool(&pc, root, "b1", true, &b), 1, "true");
        ok(b, "true is true");
        is_int(parse_bool(&pc, root, "b2", true, &b), -EINVAL, "yes refused");
        is_str(pc.error, "u.yaml:10:5: 'b2' must be true or false, got 'yes'", "bool error");
        free(TAKE_PTR(pc.error));

        is_int(parse_string_list(&pc, root, "l1", true, &l), 1, "list");
        is_int(strv_length(l), 2, "two items");
        l = strv_free(l);
        is_int(parse_string_list(&pc, root, "l2", true, &l), -EINVAL, "scalar is not a list");
        is_str(pc.error, "u.yaml:12:5: 'l2' must be a list of strings, got a scalar", "list error");
        free(TAKE_PTR(pc.error));
        is_int(parse_string_list(&pc, root, "l3", true, &l), -EINVAL, "nested list refused");
        is_str(pc.error, "u.yaml:13:9: 'l3' must be a list of strings, got a sequence", "nested list error");
        free(TAKE_PTR(pc.error));
        ok(!l, "nothing returned on error");

        is_int(parse_string(&pc, root, "s1", true, &s), -EINVAL, "null is not a string");
        is_str(pc.error, "u.yaml:14:5: 's1' must be a string, got nothing (null)", "null error");
        free(TAKE_PTR(pc.error));

        static const char * const keys[] = { "x", NULL };
        is_int(parse_check_keys(&pc, yaml_node_get(root, "seq"), "the thing", keys), -EINVAL, "sequence is not a mapping");
        is_str(pc.error, "u.yaml:15:6: the thing must be a mapping, got a sequence", "mapping error");
        /* The first error wins. */
        is_int(parse_error(&pc, root, "later"), -EINVAL, "later error");
        is_str(pc.error, "u.yaml:15:6: the thing must be a mapping, got a sequence", "first error kept");
        free(TAKE_PTR(pc.error));
        yaml_document_free(doc);
}

static void write_at(const char *dir, const char *name, const char *data) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                abort();
        write_file(path, data, strlen(data));
        (void) chmod(path, 0644);
}

#define PLAYBOOK(name, summary) \
        "name: " name "\nsummary: " summary "\nsteps:\n  - name: Remove it\n    remove: {path: /etc/x}\n"

static void test_playbook_set(void) {
        _cleanup_free_ char *top = make_temp_dir("set"), *a = NULL, *b = NULL, *missing = NULL;
        if (asprintf(&a, "%s/a", top) < 0 || asprintf(&b, "%s/b", top) < 0 || asprintf(&missing, "%s/none", top) < 0)
                abort();
        (void) mkdir(a, 0755);
        (void) mkdir(b, 0755);

        write_at(a, "foo.yaml", PLAYBOOK("foo", "shipped foo"));
        write_at(a, "bar.yaml", PLAYBOOK("bar", "shipped bar"));
        write_at(a, "only-a.yaml", PLAYBOOK("only-a", "only in a"));
        write_at(a, "one.yaml", PLAYBOOK("dup", "first"));
        write_at(a, "two.yaml", PLAYBOOK("dup", "second"));
        write_at(a, "README.md", "not a playbook\n");
        write_at(a, ".hidden.yaml", "{{{ not even YAML\n");
        write_at(b, "foo-override.yaml", PLAYBOOK("foo", "admin foo"));
        write_at(b, "bar.yaml", "name: bar\nsteps: {}\n");
        write_at(b, "baz.yaml", "name: [baz\n");

        char *dirs[] = { a, b, NULL };
        _cleanup_(playbook_set_freep) PlaybookSet *s = NULL;
        _cleanup_free_ char *error = NULL, *want = NULL, *only_a = NULL, *link = NULL;
        int r = playbook_set_load(dirs, &s, &error);
        if (!is_int(r, 0, "the set loads despite broken playbooks")) {
                diag("%s", error);
                goto finish;
        }
        is_int(s->n_items, 2, "two valid playbooks");
        is_str(s->items[0]->name, "foo", "sorted by name");
        is_str(s->items[0]->summary, "admin foo", "the later directory wins");
        ok(playbook_set_find(s, "only-a"), "a playbook only in the first directory is there");
        ok(!playbook_set_find(s, "bar"), "a broken override hides the shipped playbook");
        is_int(s->n_errors, 3, "three broken entries");

        const PlaybookError *e = playbook_set_find_error(s, "bar");
        ok(e && e->path && endswith(e->path, "/b/bar.yaml"), "broken override listed under its name");
        if (asprintf(&want, "%s/bar.yaml:2:8: steps must be a list of steps", b) < 0)
                abort();
        is_str(e ? e->error : NULL, want, "its error");
        free(TAKE_PTR(want));

        e = playbook_set_find_error(s, "baz");
        ok(e != NULL, "unparseable playbook listed under its file name");
        ok(e && strstr(e->error, "/b/baz.yaml:2:1: "), "with its syntax error");
        if (e)
                diag("%s", e->error);

        e = playbook_set_find_error(s, "dup");
        if (asprintf(&want, "%s/two.yaml: playbook name 'dup' is also used by %s/one.yaml: rename one", a, a) < 0)
                abort();
        is_str(e ? e->error : NULL, want, "two files of one name in one directory");
        free(TAKE_PTR(want));
        ok(!playbook_set_find(s, "dup"), "neither duplicate is used");
        s = playbook_set_free(s);

        /* A directory given explicitly must exist. */
        char *dirs_missing[] = { a, missing, NULL };
        free(TAKE_PTR(error));
        is_int(playbook_set_load(dirs_missing, &s, &error), -ENOENT, "a missing --playbooks directory is an error");
        ok(error && startswith(error, missing), "error names the directory");
        free(TAKE_PTR(error));

        if (geteuid() != 0) {
                diag("not root: remedy applies the ownership rules only as root");
                ok(chmod(a, 0775) == 0 && playbook_set_load(dirs, &s, &error) == 0,
                   "without root a group-writable directory is read");
                goto finish;
        }

        /* As root: a group-writable directory refuses the whole set, a foreign file is an entry. */
        (void) chmod(a, 0775);
        is_int(playbook_set_load(dirs, &s, &error), -EPERM, "group-writable playbook directory refused");
        if (asprintf(&want, "%s: the playbook directory is writable by its group (mode 0775); remedy runs as root and "
                     "refuses playbooks anyone else could change (chmod go-w %s)", a, a) < 0)
                abort();
        is_str(error, want, "error names the directory and the fix");
        free(TAKE_PTR(want));
        free(TAKE_PTR(error));
        (void) chmod(a, 0755);

        if (asprintf(&only_a, "%s/only-a.yaml", a) < 0 || asprintf(&link, "%s/link.yaml", b) < 0)
                abort();
        ok(chown(only_a, 65534, 65534) == 0, "give a playbook to nobody");
        ok(symlink(only_a, link) == 0, "symlink a playbook");
        (void) chmod(b, 0755);
        is_int(playbook_set_load(dirs, &s, &error), 0, "set loads with a foreign file");
        e = s ? playbook_set_find_error(s, "only-a") : NULL;
        if (asprintf(&want, "%s: the file is owned by uid 65534, not root; remedy runs as root and refuses playbooks "
                     "anyone else could change (chown root %s)", only_a, only_a) < 0)
                abort();
        is_str(e ? e->error : NULL, want, "a file not owned by root is refused");
        free(TAKE_PTR(want));
        e = s ? playbook_set_find_error(s, "link") : NULL;
        ok(e && strstr(e->error, "is a symlink"), "a symlinked playbook is refused");
        ok(s && playbook_set_find(s, "foo"), "the others still load");
        s = playbook_set_free(s);

        (void) chown(only_a, 0, 0);
        (void) chmod(only_a, 0664);
        is_int(playbook_set_load(dirs, &s, &error), 0, "set loads with a group-writable file");
        e = s ? playbook_set_find_error(s, "only-a") : NULL;
        ok(e && strstr(e->error, "the file is writable by its group (mode 0664)"), "a group-writable file is refused");

finish:
        rm_rf(top);
}

/* The playbooks remedy ships are written in this language: every one must load. */
static void test_shipped_playbooks(void) {
        const char *dir = getenv("PLAYBOOKS");
        if (!ok(dir != NULL, "PLAYBOOKS names the shipped playbooks"))
                return;
        char *dirs[] = { (char *) dir, NULL };
        _cleanup_(playbook_set_freep) PlaybookSet *s = NULL;
        _cleanup_free_ char *error = NULL;
        if (!is_int(playbook_set_load(dirs, &s, &error), 0, "shipped playbooks directory loads")) {
                diag("%s", error);
                return;
        }
        ok(s->n_items > 0, "%zu shipped playbooks", s->n_items);
        is_int(s->n_errors, 0, "no shipped playbook is broken");
        for (size_t i = 0; i < s->n_errors; i++)
                diag("%s", s->errors[i].error);
}

int main(void) {
        test_good_playbook();
        test_bad_playbooks();
        test_parse_util();
        test_playbook_set();
        test_shipped_playbooks();
        return tap_done();
}
