/* SPDX-License-Identifier: MIT */
#include "remedy/diagnose.h"
#include "diagnose-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remedy/action.h"
#include "remedy/containerd-node.h"
#include "remedy/crio-config.h"
#include "remedy/join-check.h"
#include "remedy/context.h"
#include "remedy/kubeconfig.h"
#include "remedy/kubelet-node.h"
#include "remedy/strv.h"

static void client_certificate_free(ClientCertificate *c) {
        if (!c)
                return;
        free(c->kubeconfig);
        free(c->source);
        free(c->subject);
        free(c->not_after);
        free(c);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ClientCertificate *, client_certificate_free);

void diagnosis_done(Diagnosis *d) {
        for (size_t i = 0; i < d->n_findings; i++)
                finding_done(&d->findings[i]);
        free(d->findings);
        client_certificate_free(d->certificate);
        if (d->kubelet)
                kubelet_cmdline_done(d->kubelet);
        free(d->kubelet);
        free(d->kubelet_error);
        free(d->kubelet_version_unknown);
        strv_free(d->problems);
        strv_free(d->notes);
        free(d->join_kubeconfig);
        strv_free(d->join_layers);
        *d = (Diagnosis) {};
}

static int add_finding(Diagnosis *d, const Playbook *p, char ***evidence) {
        Finding f = { .playbook = p, .evidence = *evidence };
        int r = diagnosis_add_finding(d, &f);
        if (r >= 0)
                *evidence = NULL;
        return r;
}

/* "FILE:LINE:COLUMN: reason (cannot judge: PLAYBOOK, ...)": one line a cause, however many
 * playbooks it stops. */
static int add_problem(Diagnosis *d, const char *error, const char *playbook) {
        size_t n = strlen(error);
        for (size_t i = 0; d->problems && d->problems[i]; i++) {
                char *p = d->problems[i];
                if (strncmp(p, error, n) != 0 || !startswith(p + n, " (cannot judge: "))
                        continue;
                char *longer = NULL;
                if (asprintf(&longer, "%.*s, %s)", (int) (strlen(p) - 1), p, playbook) < 0)
                        return -ENOMEM;
                free(p);
                d->problems[i] = longer;
                return 0;
        }
        char *problem = NULL;
        if (asprintf(&problem, "%s (cannot judge: %s)", error, playbook) < 0)
                return -ENOMEM;
        return strv_consume(&d->problems, problem);
}

/* One playbook's match against a fresh view of the node: 1 matched, 0 not, <0 error (-EINVAL with
 * *ret_error for a node file that does not parse). The notes its conditions took go to notes. */
static int ask_playbook(const Playbook *p, Root *root, bool offline, SystemdBus *bus, NodeFactSource *facts,
                        char ***ret_evidence, char ***notes, char **ret_error) {
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_(param_values_freep) ParamValues *values = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        if ((r = param_values_defaults(p, &values)) < 0 || (r = context_new(root, offline, &c)) < 0)
                return r;
        if ((r = param_values_fill_facts(p, values, node_fact_param, facts, &error)) < 0) {
                *ret_error = TAKE_PTR(error);
                return r;
        }
        c->bus = bus;
        c->playbook = p;
        c->values = values;

        r = condition_eval(c, p->match, &error);
        STRV_FOREACH(n, c->notes)
                if (strv_extend_unique(notes, *n) < 0)
                        return -ENOMEM;
        if (r < 0) {
                /* A node file the match reads that does not parse is bad input, as in plan. */
                const char *why = error ? error : c->error;
                if (!why)
                        return r;
                if (!(*ret_error = strdup(why)))
                        return -ENOMEM;
                return -EINVAL;
        }
        *ret_evidence = TAKE_PTR(c->evidence);
        return r > 0;
}

/*
 * What the kubelet's client certificate says, for the report: its subject, its end and the days
 * left. Informational: an expired or not-yet-valid one is a finding through
 * kubelet-rotate-kubeconfig's match; an unreadable one is left out (0), not an error.
 */
/* A note on how the kubelet's kubeconfig authenticates when it is not with a certificate remedy
 * can judge: an exec plugin (remedy does not run it), an auth provider, a token. */
static int note_credentials(Diagnosis *d, const char *kubeconfig, const Kubeconfig *kc) {
        _cleanup_free_ char *note = NULL;
        int r;

        if (kc->exec_command)
                r = asprintf(&note, "%s: user '%s' authenticates with the exec plugin '%s', which remedy does not run: "
                             "no client certificate to judge", kubeconfig, kc->user_name, kc->exec_command);
        else if (kc->auth_provider)
                r = asprintf(&note, "%s: user '%s' authenticates with the auth provider '%s': no client certificate to judge",
                             kubeconfig, kc->user_name, kc->auth_provider);
        else if (kc->token)
                r = asprintf(&note, "%s: user '%s' authenticates with a token: no client certificate to judge", kubeconfig,
                             kc->user_name);
        else
                return 0;
        if (r < 0)
                return -ENOMEM;
        return strv_extend_unique(&d->notes, note);
}

static int read_client_certificate(Root *root, bool offline, Diagnosis *d, ClientCertificate **ret) {
        _cleanup_free_ char *kubeconfig = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL;
        _cleanup_(cert_info_freep) CertInfo *info = NULL;
        _cleanup_(client_certificate_freep) ClientCertificate *cc = NULL;
        _cleanup_free_ char *error = NULL;
        const NodeFile *f;
        int r;

        *ret = NULL;
        if ((r = context_new(root, offline, &c)) < 0)
                return r;
        const NodeFS fs = ctx_node_fs(c);
        if ((r = kubelet_cmdline_kubeconfig(&fs, &kubeconfig)) < 0)
                return r;
        if (ctx_read(c, kubeconfig, true, &f) < 0 || f->kind != FILE_REGULAR)
                return 0;
        if (kubeconfig_parse(kubeconfig, f->data, f->size, &kc, &error) < 0)
                return 0;
        if (!kc->client_cert.data && !kc->client_cert.path)
                return note_credentials(d, kubeconfig, kc);
        if (kubeconfig_load(kc, c, KUBECONFIG_CLIENT_CERT, &error) < 0 || !kc->client_cert.data)
                return 0;
        const char *source = kc->client_cert.path ? kc->client_cert.path : kubeconfig;
        if (cert_info_from_pem(source, kc->client_cert.data, kc->client_cert.size, &info, &error) < 0)
                return 0;

        time_t now = time(NULL);
        cc = calloc(1, sizeof(ClientCertificate));
        if (!cc || !(cc->kubeconfig = strdup(kubeconfig)) || !(cc->source = strdup(source)) ||
            !(cc->subject = strdup(strempty(info->subject))))
                return -ENOMEM;
        if ((r = format_utc(info->not_after, &cc->not_after)) < 0)
                return r;
        double left = cert_seconds_left(info, now) / 86400.0;
        cc->days_left = (long) (left < 0 ? left - 0.5 : left + 0.5);
        cc->valid_now = cert_validity(info, now) == CERT_VALID;
        *ret = TAKE_PTR(cc);
        return 1;
}

/*
 * The kubelet's command line as systemd would run it, judged by this kubelet's flag set (live its
 * --help, offline the shipped list for its package version; unknown when neither can be had).
 * Informational, like the certificate: a unit systemd would not run as written is reported in
 * kubelet_error rather than failing diagnose.
 */
static int read_kubelet_command_line(Root *root, bool offline, Diagnosis *d) {
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *known = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        if ((r = context_new(root, offline, &c)) < 0)
                return r;
        /* Required: a version that cannot be had is then an error saying why. */
        if (kubelet_node_flag_set(c, NULL, NULL, true, &known) < 0) {
                known = NULL;   /* judged as unknown (-1), not an error of diagnose */
                /* The reason without the error's prefix and its advice for playbook authors
                 * ("; pass kubelet_version, ..."): diagnose gives its own, the --set to add. */
                const char *why = c->error ? c->error : "no kubelet flag list";
                if (startswith(why, "kubelet-flags: "))
                        why += strlen("kubelet-flags: ");
                const char *advice = strstr(why, "; pass kubelet_version");
                if (!(d->kubelet_version_unknown = strndup(why, advice ? (size_t) (advice - why) : strlen(why))))
                        return -ENOMEM;
        }
        const NodeFS fs = ctx_node_fs(c);
        KubeletCommandLine *cl = calloc(1, sizeof(KubeletCommandLine));
        if (!cl)
                return -ENOMEM;
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", known, cl, &error);
        if (r < 0) {
                free(cl);
                if (r == -ENOMEM)
                        return r;
                if (r == -ENOENT && !error)
                        return 0;
                d->kubelet_error = error ? TAKE_PTR(error) : strdup(strerror(-r));
                return d->kubelet_error ? 0 : -ENOMEM;
        }
        d->kubelet = cl;
        return 0;
}

/*
 * CRI-O and the kubelet on different cgroup drivers: a problem remedy names and does not repair
 * (it repairs containerd). Quiet on a node without CRI-O or without a kubelet unit.
 */
static int check_crio(Root *root, bool offline, Diagnosis *d) {
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        _cleanup_free_ char *manager = NULL, *source = NULL, *error = NULL, *problem = NULL;
        int r;

        if ((r = context_new(root, offline, &c)) < 0)
                return r;
        if ((r = crio_node_present(c)) <= 0)
                return r;
        const NodeFS fs = ctx_node_fs(c);
        r = crio_cgroup_manager(&fs, &manager, &source, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_problem(d, error ? error : strerror(-r), "CRI-O's cgroup manager");
        if (kubelet_cmdline_resolve(&fs, "kubelet.service", NULL, &cl, NULL) < 0 ||
            kubelet_cmdline_setting(&cl, &fs, "cgroupDriver", &s, NULL) < 0)
                return 0;
        /* the kubelet's default is cgroupfs */
        const char *driver = s.set && s.value ? s.value : "cgroupfs";
        if (streq(driver, manager))
                return 0;
        if (asprintf(&problem, "CRI-O's cgroup_manager is %s (%s) and the kubelet's cgroupDriver %s (%s): they must agree; "
                     "remedy repairs containerd, not CRI-O: set cgroup_manager in a file of %s, or the kubelet's "
                     "cgroupDriver, then restart CRI-O and the kubelet", manager, source ? source : "CRI-O's default",
                     driver, s.set ? s.source : "the kubelet's default", CRIO_CONFIG_DIR) < 0)
                return -ENOMEM;
        return strv_consume(&d->problems, TAKE_PTR(problem));
}

/*
 * Whether the kubelet can join and register: the file layers, and live the network ones. What
 * fails is an advice-only finding; an expired client certificate is kubelet-rotate-kubeconfig's
 * when that playbook found it.
 */
static int check_join(Root *root, bool offline, SystemdBus *bus, const char *api_server, Diagnosis *d) {
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_(join_check_done) JoinCheck j = {};
        int r;

        if ((r = context_new(root, offline, &c)) < 0)
                return r;
        c->bus = bus;
        j.api_server = api_server;
        for (size_t i = 0; i < d->n_findings; i++)
                if (streq(finding_name(&d->findings[i]), "kubelet-rotate-kubeconfig"))
                        j.certificate_validity_reported = true;
        if ((r = join_check_files(c, &j)) < 0 || (!offline && (r = join_check_network(c, &j, bus)) < 0))
                return r;
        /* The layer that failed: a finding of diagnose's own, advice-only */
        for (size_t i = 0; i < j.n_findings; i++) {
                AdviceFinding *a = &j.findings[i];
                if ((r = diagnosis_add_own_finding(d, &a->name, &a->summary, &a->evidence, &a->advice)) < 0)
                        return r;
        }
        d->join_kubeconfig = TAKE_PTR(j.kubeconfig);
        d->join_layers = TAKE_PTR(j.layers);
        return 0;
}

int diagnose_node(const PlaybookSet *set, Root *root, bool offline, SystemdBus *bus, const char *api_server,
                  Diagnosis *ret, char **ret_error) {
        _cleanup_(diagnosis_done) Diagnosis d = {};
        _cleanup_(node_fact_source_done) NodeFactSource facts = { .root = root, .offline = offline };
        int r;

        *ret_error = NULL;
        for (size_t i = 0; i < set->n_items; i++) {
                const Playbook *p = set->items[i];
                _cleanup_strv_free_ char **evidence = NULL;

                if (!p->match)
                        continue;
                d.n_asked++;
                _cleanup_free_ char *error = NULL;
                r = ask_playbook(p, root, offline, bus, &facts, &evidence, &d.notes, &error);
                if (r == -EINVAL && error) {
                        /* one file that does not parse is a problem of the node, not the end of the diagnosis */
                        if ((r = add_problem(&d, error, p->name)) < 0)
                                return r;
                        continue;
                }
                if (r < 0) {
                        *ret_error = TAKE_PTR(error);
                        return r;
                }
                if (r > 0 && (r = add_finding(&d, p, &evidence)) < 0)
                        return r;
        }
        if ((r = check_crio(root, offline, &d)) < 0 ||
            (r = read_client_certificate(root, offline, &d, &d.certificate)) < 0 ||
            (r = read_kubelet_command_line(root, offline, &d)) < 0 ||
            (r = diagnose_units(root, offline, bus, &d)) < 0 ||
            (r = check_join(root, offline, bus, api_server, &d)) < 0)
                return r;
        *ret = d;
        d = (Diagnosis) {};
        return 0;
}
