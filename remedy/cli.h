/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The command line: options parsed into arg_* globals, and the helpers the verbs (verbs/) share
 * to open what the options name (loading playbooks, opening the root and the backup store).
 *
 * Exit statuses (documented in README and --help):
 *   0  done, or nothing to do
 *   1  a step or a verification failed (the transaction was rolled back), or changes are
 *      pending with plan --exit-code
 *   2  bad input or refused: usage, playbook, parameter, unparseable node file, tampered backup,
 *      another remedy running, an unresolved transaction — nothing was changed
 */

#include <stdbool.h>

#include "remedy/backup.h"
#include "remedy/fileio.h"
#include "remedy/playbook.h"
#include "remedy/systemd-bus.h"

#define EXIT_FAILED 1
#define EXIT_BAD_INPUT 2

extern char *arg_root;            /* NULL: live, "/" */
extern char **arg_playbook_dirs;  /* NULL: the defaults */
extern char *arg_backup_dir;      /* NULL: ROOT/var/lib/remedy/backups */
extern char **arg_sets;           /* --set KEY=VALUE */
extern bool arg_exit_code;
extern bool arg_dry_run;
extern bool arg_yes;
extern bool arg_unattended;        /* fix --unattended */
extern bool arg_reset;             /* fix --reset */
extern uint64_t arg_cooldown_usec; /* fix --unattended --cooldown= */
extern unsigned arg_max_attempts;  /* fix --unattended --max-attempts= */
extern char *arg_metrics_textfile;
extern bool arg_last;
extern bool arg_cascade;
extern bool arg_force;
extern bool arg_no_rollback;
extern unsigned arg_keep;
extern bool arg_keep_set;
extern BusScope arg_bus_scope;    /* --system (default), --user, --machine */
extern char *arg_machine;
extern char *arg_baseline;      /* drift --baseline=FILE */
extern char *arg_api_server;    /* diagnose --api-server=HOST:PORT, validated */
extern uint64_t arg_job_timeout_usec;

/* Parses the options into the arg_* globals and the report options: -1 to go on with
 * argv[optind] as the command, or the exit status (--help, --version, a bad option). */
int cli_parse_argv(int argc, char **argv);
void cli_args_free(void);

/* Loads the playbook set from --playbooks or the default directories. Exit status or 0. */
int cli_load_playbooks(PlaybookSet **ret);
int cli_open_root(Root **ret);
/*
 * Opens the node: offline (--root) the directory; live the bus to systemd (--system, --user,
 * --machine), which must answer before anything else happens, and the root directory of the node
 * the bus belongs to ("/", or a container's root for --machine). *ret_bus is NULL offline.
 * Exit status (2 when systemd cannot be reached) or 0.
 */
int cli_open_node(Root **ret_root, SystemdBus **ret_bus);
/* The backup store's host path. */
char *cli_backup_dir(const Root *root);
/* Opens the store; with create false a missing store is reported (exit 2 when required). */
int cli_open_store(const Root *root, bool create, BackupStore **ret);
/* The --set assignments whose key p declares. */
char **cli_sets_for(const Playbook *p);

#include "remedy/engine.h"

typedef struct Diagnosis Diagnosis;
/* Loads the playbooks, opens the node and diagnoses it (diagnose, fix). Exit status or 0. */
int cli_diagnose(PlaybookSet **ret_set, Root **ret_root, SystemdBus **ret_bus, Diagnosis *ret);

/* Builds a run of the named playbooks with their --set values, against the node (bus may be
 * NULL offline). Exit status (2) or 0. */
int cli_build_run(char * const *names, const PlaybookSet *set, Root *root, SystemdBus *bus, Run **ret);
/* Fails (exit 2) unless at least one playbook is named. */
int cli_check_names(char * const *names);
/* Reports a run that could not be planned or applied: exit 2 for bad input, 1 otherwise. */
int cli_run_error(const Run *run, int error, const char *command);
