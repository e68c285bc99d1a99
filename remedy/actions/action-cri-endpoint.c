/* SPDX-License-Identifier: MIT */
/*
 * cri-endpoint: {}
 *
 * Points the kubelet at the socket containerd listens on (its effective [grpc] address, imports
 * merged), where the kubelet's effective configuration sets the endpoint (cri-endpoint.h): the
 * --container-runtime-endpoint flag in the environment file that carries it (kubeadm-flags.env)
 * has its value replaced in place, the flag's spelling and every other byte kept; a
 * containerRuntimeEndpoint in the --config file or the --config-dir drop-in that decides it is
 * set there; a kubelet on its default endpoint gets containerRuntimeEndpoint in its --config file
 * (kubelet 1.27 and later read it). A flag written on ExecStart= itself is refused, naming the
 * unit file and line. An endpoint that already names a listening socket (containerd's, or CRI-O's
 * or cri-dockerd's on purpose) is left alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/cri-endpoint.h"
#include "remedy/edit-value.h"
#include "remedy/yaml-edit.h"

static int cri_endpoint_action_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { NULL };
        int r = parse_check_keys(pc, args, "cri-endpoint", keys);
        if (r < 0)
                return r;
        *ret = NULL;
        return 0;
}

/* A socket path written into a flag or YAML scalar as it is: nothing that needs quoting. */
static bool plain_path(const char *s) {
        if (s[0] != '/')
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-@+") == strlen(s);
}

/* The flag's value replaced on the line of the environment file that sets it. */
static int replace_flag(Context *c, Change *change, const CriEndpoint *e, const char *value, FILE *note) {
        const KubeletSetting *s = &e->setting;
        _cleanup_free_ char *path = kubelet_source_file(s->source), *old = NULL, *new = NULL, *data = NULL;
        const NodeFile *f;
        int r;

        if (!path)
                return -ENOMEM;
        if (!s->variable)
                return ctx_error(c, -EOPNOTSUPP,
                                 "%s: %s is written on ExecStart= itself; remedy does not rewrite ExecStart=: set it to "
                                 "%s there", s->source, s->word, value);
        const char *colon = strrchr(s->source, ':');
        unsigned long line = colon ? strtoul(colon + 1, NULL, 10) : 0;
        if ((r = ctx_read_regular(c, path, "an environment file", &f)) < 0)
                return r;

        /* "--container-runtime-endpoint=V" as one word, or "--container-runtime-endpoint V" */
        const char *eq = strchr(s->word, '=');
        if (eq ? asprintf(&old, "%s", s->word) < 0 || asprintf(&new, "%.*s%s", (int) (eq - s->word + 1), s->word, value) < 0
               : asprintf(&old, "%s %s", s->word, strempty(s->value)) < 0 || asprintf(&new, "%s %s", s->word, value) < 0)
                return -ENOMEM;

        const char *begin = f->data, *end = f->data + f->size;
        for (unsigned long n = 1; n < line && begin < end; n++) {
                const char *nl = memchr(begin, '\n', (size_t) (end - begin));
                begin = nl ? nl + 1 : end;
        }
        const char *line_end = memchr(begin, '\n', (size_t) (end - begin));
        if (!line_end)
                line_end = end;
        _cleanup_free_ char *text = strndup(begin, (size_t) (line_end - begin));
        if (!text)
                return -ENOMEM;
        char *hit = strstr(text, old);
        if (!hit || strstr(hit + 1, old))
                return ctx_error(c, -EINVAL, "%s: %s is not written there as one plain word: set it to %s by hand",
                                 s->source, s->word, value);
        size_t at = (size_t) (begin - f->data) + (size_t) (hit - text);
        size_t size = f->size - strlen(old) + strlen(new);
        data = malloc(size + 1);
        if (!data)
                return -ENOMEM;
        memcpy(data, f->data, at);
        memcpy(data + at, new, strlen(new));
        memcpy(data + at + strlen(new), f->data + at + strlen(old), f->size - at - strlen(old));
        data[size] = 0;
        if ((r = ctx_want_file(c, change, path, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1)) < 0)
                return r;
        fprintf(note, "%s → %s in $%s of %s", s->word, new, s->variable, path);
        return 1;
}

/* containerRuntimeEndpoint set in the file that decides it, or the --config file. */
static int set_config(Context *c, Change *change, const CriEndpoint *e, const char *value, FILE *note) {
        _cleanup_free_ char *target = e->setting.set ? kubelet_source_file(e->setting.source) : strdup(e->config_path);
        _cleanup_free_ char *edited = NULL, *error = NULL;
        size_t size = 0;
        const NodeFile *f;
        int r;

        if (!target)
                return -ENOMEM;
        if ((r = ctx_read_regular(c, target, "the kubelet's configuration", &f)) < 0)
                return r;
        EditValue v = { .type = EDIT_VALUE_STRING, .text = value };
        r = yaml_edit_set(f->data, f->size, "containerRuntimeEndpoint", &v, &edited, &size, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_edit_error(c, r, target, error, "cannot edit");
        if (r == 0)
                return 0;
        if ((r = ctx_want_file(c, change, target, edited, size, (mode_t) -1, (uid_t) -1, (gid_t) -1)) < 0)
                return r;
        fprintf(note, "containerRuntimeEndpoint: %s → %s in %s", e->kubelet_endpoint, value, target);
        return 1;
}

static int cri_endpoint_action_plan(Context *c, const void *args, Change *change) {
        _cleanup_(cri_endpoint_done) CriEndpoint e = {};
        _cleanup_free_ char *value = NULL, *text = NULL;
        size_t size = 0;
        int r = cri_endpoint_judge(c, &e);

        if (r == -ENODEV) {
                change->status = CHANGE_SKIPPED;
                return change_set_note(change, "no containerd, or no kubelet configuration: nothing to align");
        }
        if (r < 0)
                return r;
        if (e.aligned)
                return 0;
        if (!plain_path(e.address))
                return ctx_error(c, -EINVAL, "containerd's grpc address \"%s\" (%s) is not a plain socket path", e.address,
                                 e.address_file ? e.address_file : "default");
        if (asprintf(&value, "unix://%s", e.address) < 0)
                return -ENOMEM;

        FILE *note = open_memstream(&text, &size);
        if (!note)
                return -ENOMEM;
        r = e.setting.flag ? replace_flag(c, change, &e, value, note) : set_config(c, change, &e, value, note);
        if (fclose(note) != 0)
                return -ENOMEM;
        if (r > 0 && size > 0)
                (void) change_set_note(change, "%s", text);
        return r;
}

const ActionType action_cri_endpoint = {
        .key = "cri-endpoint",
        .summary = "the kubelet's container runtime endpoint pointed at the socket containerd listens on",
        .parse = cri_endpoint_action_parse,
        .plan = cri_endpoint_action_plan,
        .free_args = free,
};
