/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Expansion: archives and disc images opened in one streaming pass, entries
 * fed to scan_entry() as they come out, nested archives recursively; hostile
 * entries refused with a reason, every size bounded by struct ing_limits.
 */
#ifndef INGEST_EXPAND_H
#define INGEST_EXPAND_H

#include "walk.h"

/* Where an archive's bytes are, besides its stream. */
struct arc_in {
	int fd;                       /* all of them are fd[off .. off + size), or -1 */
	uint64_t off;
	const uint8_t *mem;           /* all of them in memory, or NULL */
};

/*
 * Expand the archive whose first n bytes are in head and whose remaining
 * bytes come from src->read, or (in) from a file or memory: then it is read
 * there (libarchive may seek), and counts as read whole in *consumed (bytes
 * after head pulled from src). The archive itself is not hashed: its entries
 * are (one SHA-256 pass over the bytes that matter, the ones packaged).
 * Entries are scanned with scan_entry() under the path prefix "<archive
 * path>!/" (or no prefix when the archive is the drop itself: archive->path
 * == ""); an entry stored as it is in an archive that is in a file is handed
 * on as a range of that file (struct byte_range). Problems (encrypted,
 * truncated, unsafe entries, limits) are recorded on the archive's file
 * record or on records of the entries concerned.
 * Returns 0 when the archive was opened (even partly), -ENOTSUP when the
 * content is not an archive we open (the caller then treats it as a file).
 */
ING_HIDDEN int expand_archive(struct walk *w, struct ing_file *archive, const uint8_t *head, size_t n,
                              struct byte_src *src, const struct arc_in *in, uint64_t *consumed,
                              const struct ident_where *where);

#endif
