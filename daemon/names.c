/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a top-level inbox entry is: a case folder, CASE.EXT, CASE+LABEL.EXT, or refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingestd.h"

static const char *const drop_exts[] = {
	".tar.gz", ".tar.xz", ".tar.zst", ".tgz", ".tar", ".zip", ".iso", ".img", ".7z", ".rar",
};

static bool id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-';
}

static bool ident_ok(const char *s, size_t n)
{
	if (n < 1 || n > 64)
		return false;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!id_char(s[i]))
			return false;
	return true;
}

bool case_id_ok(const char *s)
{
	return ident_ok(s, strlen(s));
}

/* What file managers and sync tools leave in a shared folder, by name: not
 * drops, though some are valid case ids (".Trashes"). Names only: every
 * other name starting with '.' is a drop like any other (SPEC §3). */
static const char *os_litter(const char *name)
{
	static const char *const exact[] = {
		".DS_Store", ".Trashes", ".TemporaryItems", ".Spotlight-V100", ".fseventsd", ".DocumentRevisions-V100",
		".AppleDouble", ".AppleDB", ".AppleDesktop", ".localized",
	};
	for (size_t i = 0; i < ARRAY_SIZE(exact); i++)
		if (strcmp(name, exact[i]) == 0)
			return "a file of macOS's Finder";
	if (strncmp(name, "._", 2) == 0)
		return "a macOS resource-fork file (\"._NAME\", written beside a file copied from a Mac)";
	if (strncmp(name, ".~lock.", 7) == 0)
		return "the lock file of an office program that has a file open";
	if (strncmp(name, ".nfs", 4) == 0)
		return "a file deleted on an NFS client while still open there";
	return NULL;
}

int drop_name_parse(const char *name, bool is_dir, char **case_id, char **reason)
{
	size_t n = strlen(name);
	char *r = NULL;
	const char *litter = os_litter(name);

	if (litter) {
		if (asprintf(&r, "This is %s, not a drop: nothing of it was used. Nothing needs to be done; to keep such "
		                 "files out of the inbox, switch them off on the computer that uploads (for example "
		                 "\"defaults write com.apple.desktopservices DSDontWriteNetworkStores true\" on a Mac).",
		             litter) < 0)
			return -ENOMEM;
		*reason = r;
		return -EINVAL;
	}
	if (is_dir) {
		if (ident_ok(name, n)) {
			*case_id = strdup(name);
			return *case_id ? 0 : -ENOMEM;
		}
		if (asprintf(&r, "The folder name is not a valid case id. A case folder must be named with 1 to 64 "
		                 "letters, digits, '.', '_' or '-' (for example CASE-2024-017). Rename it and drop it "
		                 "into the inbox again.") < 0)
			return -ENOMEM;
		*reason = r;
		return -EINVAL;
	}
	const char *ext = NULL;
	for (size_t i = 0; i < sizeof(drop_exts) / sizeof(drop_exts[0]); i++) {
		size_t el = strlen(drop_exts[i]);
		if (n > el && strcasecmp(name + n - el, drop_exts[i]) == 0) {
			ext = drop_exts[i];
			break;
		}
	}
	if (!ext && name[0] == '.') {
		if (asprintf(&r, "A name starting with '.' that is not CASE.EXT is usually the temporary file of an "
		                 "upload (rsync, an SMB or cloud client write \".NAME.XXXXXX\" and rename it when "
		                 "done). This one stopped changing and was never renamed: its upload did not finish, or "
		                 "it is not a drop. Upload the drop again: a folder named after the case, or a file "
		                 "CASE.EXT with EXT one of .iso .img .zip .7z .tar .tar.gz .tgz .tar.xz .tar.zst .rar.") < 0)
			return -ENOMEM;
		*reason = r;
		return -EINVAL;
	}
	if (!ext) {
		if (asprintf(&r, "A single file in the inbox must be a disc image or an archive named CASE.EXT or "
		                 "CASE+LABEL.EXT, with EXT one of .iso .img .zip .7z .tar .tar.gz .tgz .tar.xz .tar.zst "
		                 ".rar. Put other files (PDFs, photos, ...) into a folder named after the case and drop "
		                 "the folder.") < 0)
			return -ENOMEM;
		*reason = r;
		return -EINVAL;
	}
	size_t stem = n - strlen(ext);
	const char *plus = memchr(name, '+', stem);
	size_t clen = plus ? (size_t)(plus - name) : stem;
	bool ok = ident_ok(name, clen) && (!plus || ident_ok(plus + 1, stem - clen - 1));
	if (!ok) {
		if (asprintf(&r, "The file name is not CASE%s or CASE+LABEL%s with a valid case id: CASE and LABEL are "
		                 "1 to 64 letters, digits, '.', '_' or '-'. Rename the file (for example "
		                 "CASE-2024-017+disc2%s) and drop it again.", ext, ext, ext) < 0)
			return -ENOMEM;
		*reason = r;
		return -EINVAL;
	}
	*case_id = strndup(name, clen);
	return *case_id ? 0 : -ENOMEM;
}
