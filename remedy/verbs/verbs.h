/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The commands, one per verb-*.c file, each called by main.c with the command's own argv
 * (argv[0] is the command) after the options were parsed. Each returns the exit status.
 */

typedef int (*VerbFunction)(int argc, char **argv);

int verb_list(int argc, char **argv);
int verb_show(int argc, char **argv);
int verb_plan(int argc, char **argv);
int verb_apply(int argc, char **argv);
int verb_rollback(int argc, char **argv);
int verb_backups(int argc, char **argv);
int verb_diagnose(int argc, char **argv);
int verb_fix(int argc, char **argv);
int verb_snapshot(int argc, char **argv);
int verb_drift(int argc, char **argv);
