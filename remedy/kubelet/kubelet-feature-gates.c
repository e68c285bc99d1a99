/* SPDX-License-Identifier: MIT */
/*
 * The kubelet's feature gates (kubelet-feature-gates.h): where the effective configuration sets
 * them, which the node's kubelet rejects, and cutting one out of a --feature-gates word.
 */
#include "remedy/kubelet-feature-gates.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/env-file.h"
#include "remedy/journal.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/kubelet-flags.h"
#include "remedy/kubelet-node.h"
#include "remedy/strv.h"
#include "remedy/yaml-edit.h"

extern const char kubelet_feature_gates_data[];
extern const size_t kubelet_feature_gates_data_size;

#define KUBELET_UNIT "kubelet.service"
/* As condition-journal.c: a crash-looping kubelet logs a lot; the newest lines tell. */
#define GATES_JOURNAL_MAX_ENTRIES 5000

int kubelet_feature_gate_removed_in(const char *gate, unsigned *ret_minor) {
        const char *p = kubelet_feature_gates_data, *end = p + kubelet_feature_gates_data_size;
        size_t len = strlen(gate);

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *line_end = nl ? nl : end;
                if (*p != '#' && (size_t) (line_end - p) > len + 1 && memcmp(p, gate, len) == 0 && p[len] == '\t') {
                        _cleanup_free_ char *version = strndup(p + len + 1, strcspn(p + len + 1, "\t\n"));
                        if (!version)
                                return -ENOMEM;
                        if (kubelet_version_minor(version, ret_minor) < 0)
                                return -EBADMSG;   /* the shipped list is checked by its unit test */
                        return 1;
                }
                p = line_end + 1;
        }
        return 0;
}

static void trim(const char **s, size_t *n) {
        while (*n > 0 && strchr(" \t", **s)) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && strchr(" \t", (*s)[*n - 1]))
                (*n)--;
}

int kubelet_feature_gates_split(const char *value, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        for (const char *p = value; p && *p;) {
                size_t n = strcspn(p, ","), k;
                const char *s = p;
                trim(&s, &n);
                k = n > 0 ? strcspn(s, "=") : 0;
                if (k > n)
                        k = n;
                size_t kn = k;
                trim(&s, &kn);
                if (kn > 0 && strv_consume(&names, strndup(s, kn)) < 0)
                        return -ENOMEM;
                p += strcspn(p, ",");
                if (*p == ',')
                        p++;
        }
        *ret = TAKE_PTR(names);
        return 0;
}

KubeletGateUses *kubelet_gate_uses_free(KubeletGateUses *u) {
        if (!u)
                return NULL;
        for (size_t i = 0; i < u->n; i++) {
                free(u->uses[i].gate);
                free(u->uses[i].file);
                free(u->uses[i].variable);
                free(u->uses[i].source);
        }
        free(u->uses);
        free(u);
        return NULL;
}

static int add_use(KubeletGateUses *u, const char *gate, const char *file, const char *variable, const char *source,
                   bool literal) {
        KubeletGateUse *n = reallocarray(u->uses, u->n + 1, sizeof(KubeletGateUse));
        if (!n)
                return -ENOMEM;
        u->uses = n;
        KubeletGateUse *x = &u->uses[u->n];
        *x = (KubeletGateUse) {
                .gate = strdup(gate),
                .file = strdup(file),
                .variable = variable ? strdup(variable) : NULL,
                .source = strdup(source),
                .literal = literal,
        };
        u->n++;
        if (!x->gate || !x->file || (variable && !x->variable) || !x->source)
                return -ENOMEM;
        return 0;
}

int kubelet_feature_gates_collect(Context *c, KubeletGateUses **ret) {
        _cleanup_(kubelet_gate_uses_freep) KubeletGateUses *u = calloc(1, sizeof(KubeletGateUses));
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_strv_free_ char **files = NULL;
        const NodeFS fs = ctx_node_fs(c);
        int r;

        if (!u)
                return -ENOMEM;
        r = kubelet_cmdline_resolve(&fs, KUBELET_UNIT, NULL, &cl, &error);
        if (r == -ENOENT && !error) {
                *ret = TAKE_PTR(u);   /* no kubelet unit: no gates */
                return 0;
        }
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, r, "%s: %s", KUBELET_UNIT, error ? error : strerror(-r));

        for (size_t i = 0; i < cl.n_args; i++) {
                const KubeletArg *a = &cl.args[i];
                _cleanup_strv_free_ char **gates = NULL;
                if (!streq_ptr(a->flag, "feature-gates") || !a->value)
                        continue;
                _cleanup_free_ char *file = kubelet_source_file(a->source);
                if (!file || kubelet_feature_gates_split(a->value, &gates) < 0)
                        return -ENOMEM;
                bool literal = !a->variable || strv_contains(cl.unit.unit_files, file);
                STRV_FOREACH(g, gates)
                        if ((r = add_use(u, *g, file, a->variable, a->source, literal)) < 0)
                                return r;
        }

        r = kubelet_config_files(&fs, cl.config_path, cl.config_dir, &files, &error);
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, r, "%s", error ? error : strerror(-r));
        STRV_FOREACH(f, files) {
                _cleanup_strv_free_ char **gates = NULL;
                _cleanup_free_ char *why = NULL;
                const NodeFile *nf;
                if ((r = ctx_read(c, *f, true, &nf)) < 0)
                        return r;
                if (nf->kind != FILE_REGULAR)
                        continue;   /* the kubelet's own failure, not a gate's */
                r = yaml_edit_keys(nf->data, nf->size, "featureGates", &gates, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;   /* a config that does not parse is another failure (B.5) */
                STRV_FOREACH(g, gates)
                        if ((r = add_use(u, *g, *f, NULL, *f, false)) < 0)
                                return r;
        }
        *ret = TAKE_PTR(u);
        return 0;
}

/* The gates the kubelet's newest run that logged says it does not recognize. */
static int gates_from_journal(Context *c, char ***names) {
        _cleanup_free_ char *invocation = NULL, *error = NULL, *after = NULL;
        const char *directory = c->offline ? c->root->path : NULL;
        regex_t re;
        int r;

        r = journal_last_invocation(directory, KUBELET_UNIT, NULL, GATES_JOURNAL_MAX_ENTRIES, &invocation, &error);
        if (r <= 0)
                return r == -ENOMEM ? r : 0;   /* no journal to ask: the list alone judges */
        if (regcomp(&re, "unrecognized feature gate: ([A-Za-z0-9]+)", REG_EXTENDED) != 0)
                return -ENOMEM;
        for (unsigned i = 0; i < 64; i++) {
                _cleanup_(journal_hit_done) JournalHit hit = {};
                JournalSearch q = {
                        .unit = KUBELET_UNIT,
                        .after_cursor = after,
                        .invocation_id = invocation,
                        .match = &re,
                        .max_entries = GATES_JOURNAL_MAX_ENTRIES,
                };
                r = journal_search(directory, &q, &hit, NULL, &error);
                if (r <= 0)
                        break;
                regmatch_t m[2];
                if (hit.message && regexec(&re, hit.message, 2, m, 0) == 0) {
                        _cleanup_free_ char *g = strndup(hit.message + m[1].rm_so, (size_t) (m[1].rm_eo - m[1].rm_so));
                        if (!g || strv_extend_unique(names, g) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                }
                free(after);
                after = TAKE_PTR(hit.cursor);
        }
        regfree(&re);
        return r == -ENOMEM ? r : 0;
}

int kubelet_feature_gates_rejected(Context *c, const char *version, const KubeletGateUses *uses, char ***ret,
                                   char **ret_note) {
        _cleanup_strv_free_ char **rejected = NULL, **named = NULL;
        unsigned minor = 0;
        int r;

        if (uses->n == 0) {
                *ret = NULL;
                return 0;
        }
        r = kubelet_node_minor(c, version, &minor);
        if (r < 0)
                return r;
        bool known = r > 0;
        if ((r = gates_from_journal(c, &named)) < 0)
                return r;
        for (size_t i = 0; i < uses->n; i++) {
                unsigned removed_in;
                const char *g = uses->uses[i].gate;
                if ((r = kubelet_feature_gate_removed_in(g, &removed_in)) < 0)
                        return r;
                if ((known && r > 0 && minor >= removed_in) || strv_contains(named, g))
                        if (strv_extend_unique(&rejected, g) < 0)
                                return -ENOMEM;
        }
        if (ret_note && !known && !(*ret_note = strdup("the kubelet's version cannot be told here (give kubelet_version, "
                                                      "e.g. --set kubelet_version=1.33): only gates its own journal "
                                                      "names are judged")))
                return -ENOMEM;
        *ret = TAKE_PTR(rejected);
        return 0;
}

/* ---- cutting gates out of an environment file ---- */

typedef struct Cut {
        size_t start, end;
} Cut;

static int cut_compare(const void *a, const void *b) {
        const Cut *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

static int error_at(char **ret_error, const char *data, size_t offset, const char *reason) {
        unsigned line, column;
        env_file_position(data, offset, &line, &column);
        if (ret_error && asprintf(ret_error, "%u:%u: %s", line, column, reason) < 0)
                *ret_error = NULL;
        return -EBADMSG;
}

/* The cuts for one --feature-gates flag: whole, or each run of removed pairs with one comma. */
static int plan_flag(const char *data, size_t size, const KubeletFlag *f, char * const *gates, Cut **cuts, size_t *n_cuts,
                     char **ret_error) {
        size_t vs = f->start, ve = f->end;
        while (vs < ve && strchr("\"'", data[vs]))
                vs++;
        if (ve - vs < strlen("--feature-gates") || !(memcmp(data + vs, "--feature-gates", 15) == 0 ||
                                                      memcmp(data + vs, "--feature_gates", 15) == 0))
                return error_at(ret_error, data, f->start, "cannot find the gates of --feature-gates in the file's bytes; "
                                "edit the file by hand");
        vs += 15;
        while (vs < ve && strchr("= \t\"'", data[vs]))
                vs++;
        while (ve > vs && strchr("\"'", data[ve - 1]))
                ve--;

        /* The raw pairs, each [start, end) with its key. */
        size_t n = 0, kept = 0, removed_any = 0;
        struct { size_t start, end; bool remove; } pairs[256];
        for (size_t p = vs; p <= ve && n < 256;) {
                const char *comma = memchr(data + p, ',', ve - p);
                size_t end = comma ? (size_t) (comma - data) : ve;
                const char *s = data + p;
                size_t len = end - p;
                trim(&s, &len);
                size_t klen = strcspn(s, "=");
                if (klen > len)
                        klen = len;
                size_t kl = klen;
                trim(&s, &kl);
                if (len > 0) {
                        _cleanup_free_ char *key = strndup(s, kl);
                        if (!key)
                                return -ENOMEM;
                        bool rm = strv_contains(gates, key);
                        pairs[n].start = (size_t) (s - data);
                        pairs[n].end = (size_t) (s - data) + len;
                        pairs[n++].remove = rm;
                        kept += !rm;
                        removed_any += rm;
                }
                if (!comma)
                        break;
                p = end + 1;
        }
        if (!removed_any)
                return 0;

        Cut *more = reallocarray(*cuts, *n_cuts + n + 1, sizeof(Cut));
        if (!more)
                return -ENOMEM;
        *cuts = more;
        if (kept == 0) {
                /* The whole flag goes, with the blank after it, or before it when it ends the value. */
                size_t after = f->end, before = f->start;
                while (after < size && strchr(" \t", data[after]))
                        after++;
                while (before > 0 && strchr(" \t", data[before - 1]))
                        before--;
                if (after > f->end && after < size && !strchr("\r\n\"'", data[after]))
                        (*cuts)[(*n_cuts)++] = (Cut) { f->start, after };
                else
                        (*cuts)[(*n_cuts)++] = (Cut) { before, f->end };
                return 1;
        }
        for (size_t i = 0; i < n;) {
                if (!pairs[i].remove) {
                        i++;
                        continue;
                }
                size_t j = i;
                while (j + 1 < n && pairs[j + 1].remove)
                        j++;
                if (j + 1 < n)
                        (*cuts)[(*n_cuts)++] = (Cut) { pairs[i].start, pairs[j + 1].start };
                else    /* the last pairs: from the end of the last kept one, its comma included */
                        (*cuts)[(*n_cuts)++] = (Cut) { pairs[i - 1].end, pairs[j].end };
                i = j + 1;
        }
        return 1;
}

static bool names_equal(char * const *a, char * const *b) {
        size_t na = strv_length(a);
        if (na != strv_length(b))
                return false;
        for (size_t i = 0; i < na; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

/* The file read again must hold the same assignments, and the variable the same flags but for the
 * gates removed. */
static bool edit_is_exact(const char *before, size_t before_size, const char *after, size_t after_size,
                          const char *variable, char * const *gates) {
        _cleanup_(env_file_done) EnvFile a = {}, b = {};
        KubeletFlag *fa = NULL, *fb = NULL;
        size_t na = 0, nb = 0, j = 0;
        bool ok = false;

        if (env_file_parse(before, before_size, &b, NULL) < 0 || env_file_parse(after, after_size, &a, NULL) < 0 ||
            a.n_assignments != b.n_assignments)
                return false;
        for (size_t i = 0; i < a.n_assignments; i++)
                if (!streq(a.assignments[i].key, b.assignments[i].key) ||
                    (!streq(a.assignments[i].key, variable) && !streq(a.assignments[i].value, b.assignments[i].value)))
                        return false;
        if (kubelet_flags_parse(before, before_size, variable, NULL, &fb, &nb, NULL) < 0)
                return false;
        if (kubelet_flags_parse(after, after_size, variable, NULL, &fa, &na, NULL) < 0)
                goto out;
        for (size_t i = 0; i < nb; i++) {
                _cleanup_strv_free_ char **want = NULL, **left = NULL, **got = NULL;
                bool gates_flag = streq(fb[i].name, "feature-gates");
                if (gates_flag) {
                        if (kubelet_feature_gates_split(fb[i].value, &want) < 0)
                                goto out;
                        STRV_FOREACH(g, want)
                                if (!strv_contains(gates, *g) && strv_extend(&left, *g) < 0)
                                        goto out;
                        if (!left)
                                continue;   /* the whole flag went */
                }
                if (j >= na || !streq(fa[j].name, fb[i].name))
                        goto out;
                if (gates_flag) {
                        if (kubelet_feature_gates_split(fa[j].value, &got) < 0 || !names_equal(got, left))
                                goto out;
                } else if (!streq_ptr(fa[j].value, fb[i].value))
                        goto out;
                j++;
        }
        ok = j == na;
out:
        kubelet_flags_free(fa, na);
        kubelet_flags_free(fb, nb);
        return ok;
}

int kubelet_feature_gates_edit_env(const char *data, size_t size, const char *variable, char * const *gates,
                                   char **ret_data, size_t *ret_size, char **ret_error) {
        _cleanup_free_ Cut *cuts = NULL;
        _cleanup_free_ char *out = NULL;
        KubeletFlag *flags = NULL;
        size_t n = 0, n_cuts = 0;
        int r;

        *ret_data = NULL;
        r = kubelet_flags_parse(data, size, variable, NULL, &flags, &n, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++)
                if (streq(flags[i].name, "feature-gates") && flags[i].value)
                        r = plan_flag(data, size, &flags[i], gates, &cuts, &n_cuts, ret_error);
        kubelet_flags_free(flags, n);
        if (r < 0)
                return r;
        if (n_cuts == 0)
                return 0;

        qsort(cuts, n_cuts, sizeof(Cut), cut_compare);
        out = malloc(size + 1);
        if (!out)
                return -ENOMEM;
        size_t o = 0, copied = 0;
        for (size_t i = 0; i < n_cuts; i++) {
                if (cuts[i].start < copied)
                        return error_at(ret_error, data, cuts[i].start, "overlapping edits; edit the file by hand");
                memcpy(out + o, data + copied, cuts[i].start - copied);
                o += cuts[i].start - copied;
                copied = cuts[i].end;
        }
        memcpy(out + o, data + copied, size - copied);
        o += size - copied;
        out[o] = 0;
        if (!edit_is_exact(data, size, out, o, variable, gates))
                return error_at(ret_error, data, cuts[0].start,
                                "cannot remove the feature gate without changing the quoting around it; edit the file by hand");
        *ret_data = TAKE_PTR(out);
        *ret_size = o;
        return 1;
}
