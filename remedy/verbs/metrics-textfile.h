/* SPDX-License-Identifier: MIT */
#pragma once

#include "remedy/diagnose.h"

/* What the running verb knows, kept for the metrics file (see metrics-textfile.c). */
void metrics_note_diagnosis(const Diagnosis *d);
void metrics_note_store(const char *dir);
/* More metrics, rendered by the verb (fix --unattended's); takes ownership of text. */
void metrics_note_text(char *text);
void metrics_notes_free(void);

/* Writes the metrics of a finished command to path (absolute, on the host), atomically. */
int metrics_textfile_write(const char *path, const char *command, int exit_status, char **ret_error);
