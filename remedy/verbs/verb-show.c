/* SPDX-License-Identifier: MIT */
/* remedy show NAME: the validated playbook — parameters with their defaults, steps with their
 * arguments as written, and the verification checks. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "verbs.h"
#include "remedy/action.h"
#include "remedy/report.h"
#include "remedy/term-escape.h"

/* A scalar as YAML flow text: plain when safe, double-quoted otherwise. */
static void print_scalar(const YamlNode *n, FILE *out) {
        bool plain = n->plain && n->size > 0 && !strpbrk(n->scalar, ":#,[]{}\n\"'");
        if (plain) {
                fputs(n->scalar, out);
                return;
        }
        fputc('"', out);
        for (size_t i = 0; i < n->size; i++) {
                unsigned char c = (unsigned char) n->scalar[i];
                if (c == '"' || c == '\\')
                        fprintf(out, "\\%c", c);
                else if (c == '\n')
                        fputs("\\n", out);
                else if (c < 0x20)
                        fprintf(out, "\\x%02x", c);
                else
                        fputc(c, out);
        }
        fputc('"', out);
}

static void print_flow(const YamlNode *n, FILE *out) {
        switch (n->type) {
        case YAML_NODE_SCALAR:
                print_scalar(n, out);
                break;
        case YAML_NODE_SEQUENCE:
                fputc('[', out);
                for (size_t i = 0; i < n->n_items; i++) {
                        fputs(i ? ", " : "", out);
                        print_flow(n->items[i], out);
                }
                fputc(']', out);
                break;
        case YAML_NODE_MAPPING:
                fputc('{', out);
                for (size_t i = 0; i < n->n_pairs; i++) {
                        fputs(i ? ", " : "", out);
                        print_scalar(n->pairs[i].key, out);
                        fputs(": ", out);
                        print_flow(n->pairs[i].value, out);
                }
                fputc('}', out);
                break;
        }
}

static json_object *node_json(const YamlNode *n) {
        json_object *o;
        switch (n->type) {
        case YAML_NODE_SCALAR:
                return json_object_new_string_len(n->scalar, (int) n->size);
        case YAML_NODE_SEQUENCE:
                o = json_object_new_array();
                for (size_t i = 0; i < n->n_items; i++)
                        json_object_array_add(o, node_json(n->items[i]));
                return o;
        case YAML_NODE_MAPPING:
                o = json_object_new_object();
                for (size_t i = 0; i < n->n_pairs; i++)
                        json_object_object_add(o, n->pairs[i].key->scalar, node_json(n->pairs[i].value));
                return o;
        }
        return NULL;
}

/* The `when:` mapping of a step, found through the document (the Condition keeps no node). */
static const YamlNode *step_when_node(const Playbook *p, size_t i) {
        const YamlNode *steps = p->document && p->document->root ? yaml_node_get(p->document->root, "steps") : NULL;
        if (!steps || steps->type != YAML_NODE_SEQUENCE || i >= steps->n_items)
                return NULL;
        return yaml_node_get(steps->items[i], "when");
}

static void show_json(const Playbook *p) {
        json_object *o = json_object_new_object(), *params = json_object_new_array(), *steps = json_object_new_array(),
                    *checks = json_object_new_array(), *refs = json_object_new_array();

        json_object_object_add(o, "name", json_object_new_string(p->name));
        json_object_object_add(o, "summary", json_object_new_string(strempty(p->summary)));
        json_object_object_add(o, "description", json_object_new_string(strempty(p->description)));
        if (p->advice)
                json_object_object_add(o, "advice", json_object_new_string(p->advice));
        json_object_object_add(o, "safety", json_object_new_string(playbook_safety_to_string(p->safety)));
        json_object_object_add(o, "path", json_object_new_string(p->path));
        json_object_object_add(o, "sha256", json_object_new_string(p->sha256));
        for (char **r = p->references; r && *r; r++)
                json_object_array_add(refs, json_object_new_string(*r));
        json_object_object_add(o, "references", refs);
        for (size_t i = 0; i < p->n_params; i++) {
                const Param *pa = &p->params[i];
                json_object *j = json_object_new_object();
                json_object_object_add(j, "name", json_object_new_string(pa->name));
                json_object_object_add(j, "type", json_object_new_string(param_type_name(pa->type)));
                json_object_object_add(j, "default", pa->default_value ? json_object_new_string(pa->default_value) : NULL);
                json_object_object_add(j, "required", json_object_new_boolean(!pa->default_value));
                if (pa->from)
                        json_object_object_add(j, "from", json_object_new_string(pa->from));
                if (pa->description)
                        json_object_object_add(j, "description", json_object_new_string(pa->description));
                json_object_array_add(params, j);
        }
        for (size_t i = 0; i < p->n_steps; i++) {
                const YamlNode *when = step_when_node(p, i);
                json_object *j = json_object_new_object();
                json_object_object_add(j, "name", json_object_new_string(p->steps[i].name));
                json_object_object_add(j, "action", json_object_new_string(p->steps[i].action->key));
                json_object_object_add(j, "arguments", node_json(p->steps[i].node));
                if (when)
                        json_object_object_add(j, "when", node_json(when));
                json_object_array_add(steps, j);
        }
        for (size_t i = 0; i < p->n_checks; i++) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "check", json_object_new_string(p->checks[i].type->key));
                json_object_object_add(j, "arguments", node_json(p->checks[i].node));
                json_object_array_add(checks, j);
        }
        json_object_object_add(o, "params", params);
        json_object_object_add(o, "steps", steps);
        json_object_object_add(o, "verify", checks);
        report_print_json(o, stdout);
}

/* What the class means for `fix`, in the words of its help. */
static const char *safety_meaning(PlaybookSafety s) {
        switch (s) {
        case PLAYBOOK_SAFETY_AUTO:
                return "fix applies it unattended";
        case PLAYBOOK_SAFETY_CONFIRM:
                return "fix applies it with --yes, or when answered yes on a terminal";
        default:
                return "report only: fix never applies it";
        }
}

static void show_text(const Playbook *p) {
        /* A playbook is trusted, but YAML's "\e" writes an ESC: its prose is escaped all the same. */
        _cleanup_free_ char *summary = term_escape(p->summary), *path = term_escape(p->path);
        printf("%s%s%s — %s\n  file: %s\n", ansi_bold(), p->name, ansi_reset(), strempty(summary), strempty(path));
        printf("  safety: %s (%s)\n", playbook_safety_to_string(p->safety), safety_meaning(p->safety));
        if (p->description) {
                printf("\n");
                for (const char *l = p->description; *l;) {
                        size_t n = strcspn(l, "\n");
                        fputs("  ", stdout);
                        (void) term_write(stdout, l, n);
                        putchar('\n');
                        l += n + (l[n] ? 1 : 0);
                }
        }
        for (char **r = p->references; r && *r; r++) {
                fputs("  see: ", stdout);
                (void) term_puts(*r, stdout);
                putchar('\n');
        }
        if (p->advice) {
                printf("\n  %sadvice:%s ", ansi_yellow(), ansi_reset());
                (void) term_puts(p->advice, stdout);
                putchar('\n');
        }

        printf("\n%sParameters%s\n", ansi_bold(), ansi_reset());
        if (p->n_params == 0)
                printf("  (none)\n");
        for (size_t i = 0; i < p->n_params; i++) {
                const Param *pa = &p->params[i];
                printf("  %-20s %-8s %s%s", pa->name, param_type_name(pa->type), pa->default_value ? "default: " : "",
                       pa->default_value ? pa->default_value : "required");
                if (pa->from)
                        printf(" (or the node's %s)", pa->from);
                if (pa->choices) {
                        printf(" (one of:");
                        for (char **c = pa->choices; *c; c++)
                                printf(" %s", *c);
                        printf(")");
                }
                printf("\n");
                if (pa->description)
                        printf("  %-20s %s%s%s\n", "", ansi_grey(), pa->description, ansi_reset());
        }

        printf("\n%sSteps%s\n", ansi_bold(), ansi_reset());
        if (p->n_steps == 0)
                printf("  (none: report only)\n");
        for (size_t i = 0; i < p->n_steps; i++) {
                const YamlNode *when = step_when_node(p, i);
                printf("  %zu. %s\n     %s: ", i + 1, p->steps[i].name, p->steps[i].action->key);
                print_flow(p->steps[i].node, stdout);
                printf("\n");
                if (when) {
                        printf("     when: ");
                        print_flow(when, stdout);
                        printf("\n");
                }
        }

        printf("\n%sVerify%s\n", ansi_bold(), ansi_reset());
        if (p->n_checks == 0)
                printf("  (none)\n");
        for (size_t i = 0; i < p->n_checks; i++) {
                printf("  %s: ", p->checks[i].type->key);
                print_flow(p->checks[i].node, stdout);
                printf("\n");
        }
}

int verb_show(int argc, char **argv) {
        _cleanup_(playbook_set_freep) PlaybookSet *set = NULL;
        int r;

        if (argc != 2)
                return report_error(EXIT_BAD_INPUT, "show takes one playbook name");
        if ((r = cli_load_playbooks(&set)) != 0)
                return r;

        const Playbook *p = playbook_set_find(set, argv[1]);
        if (!p) {
                const PlaybookError *e = playbook_set_find_error(set, argv[1]);
                return report_error(EXIT_BAD_INPUT, e ? "%s" : "no playbook \"%s\" (see remedy list)", e ? e->error : argv[1]);
        }
        if (report_options.json)
                show_json(p);
        else
                show_text(p);
        return 0;
}
