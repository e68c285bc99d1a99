/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What remedy prints: the same report as text (coloured on a terminal) or as one JSON document
 * (--json). Secrets never appear in either: diffs mask them (diff.h).
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "remedy/engine.h"

/* node-problem-detector's custom plugin protocol keeps this much of a plugin's stdout (its
 * max_output_length default): the condition's message. */
#define NPD_MESSAGE_MAX 80

typedef struct ReportOptions {
        bool json;
        bool npd;       /* --format=npd: one line of at most NPD_MESSAGE_MAX bytes on stdout */
        bool color;
        /* -q: outcomes and errors only; -v: every file of a step that touches many. JSON always has
         * everything: a program reading it chooses for itself. */
        bool quiet;
        bool verbose;
} ReportOptions;

extern ReportOptions report_options;

/* A step or a rollback that touches many files (a glob over years of rotated kubelet certificates)
 * would bury the rest of the report: without -v, the first REPORT_FILES_SHOWN are shown and the
 * others counted. */
#define REPORT_FILES_SHOWN 5

/* ANSI sequences, or "" without colour. */
const char *ansi_bold(void);
const char *ansi_red(void);
const char *ansi_green(void);
const char *ansi_yellow(void);
const char *ansi_grey(void);
const char *ansi_reset(void);

/* The plan or apply report of a run. */
void report_run(const Run *r, const char *command, bool dry_run, FILE *out);
json_object *report_run_json(const Run *r, const char *command, bool dry_run);

/* Prints a JSON document (pretty, newline-terminated) and releases it. */
void report_print_json(json_object *o, FILE *out);

/* A failure before any report could be made: text to stderr, or {"error": ...} on stdout with
 * --json. Returns exit_status. */
int report_error(int exit_status, const char *fmt, ...) _printf_(2, 3);

const char *change_status_name(ChangeStatus s, bool dry_run);

/* The NPD message: the first line of s, control bytes and non-ASCII replaced by '?', cut to
 * NPD_MESSAGE_MAX bytes with "..." where it was cut; printed on stdout with a newline. */
void report_npd_line(const char *s);
