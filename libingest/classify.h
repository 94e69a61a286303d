/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Document kind from its text: headings and vocabulary, with the words kept. */
#ifndef INGEST_CLASSIFY_H
#define INGEST_CLASSIFY_H

#include "model.h"

/* Returns the kind the text shows and sets *evidence (malloc'd) to the words
 * that decided it; KIND_UNKNOWN with an explanation when nothing matched. */
ING_HIDDEN enum ing_kind classify_text(const char *text, size_t len, const char *name, char **evidence);

#endif
