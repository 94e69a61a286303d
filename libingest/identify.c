/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <strings.h>
#include <magic.h>

#include "identify.h"

static void set_kind(struct ing_file *f, enum ing_kind k, char *evidence)
{
	f->kind = k;
	free(f->evidence);
	f->evidence = evidence;
}

static const char *const program_exts[] = {
	".exe", ".dll", ".msi", ".jar", ".so", ".dylib", ".ocx", ".cab", ".bat", ".cmd",
	".vbs", ".ps1", ".com", ".scr", ".sys", ".drv", ".app", ".cpl", ".inf",
};

bool is_program_file_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(program_exts); i++)
		if (str_has_suffix_ci(name, program_exts[i]))
			return true;
	return false;
}

/* Does any folder component of path (not the last) equal or end with one of these? */
static const char *path_component(const char *path, bool (*match)(const char *comp, size_t n))
{
	const char *p = path;
	for (;;) {
		const char *slash = strchr(p, '/');
		if (!slash)
			return NULL;
		if (match(p, (size_t)(slash - p)))
			return p;
		p = slash + 1;
	}
}

static bool comp_is_junk_dir(const char *c, size_t n)
{
	static const char *const dirs[] = {
		"__MACOSX", ".Spotlight-V100", ".Trashes", ".fseventsd", ".TemporaryItems",
		"System Volume Information", "$RECYCLE.BIN", "RECYCLER",
	};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (strlen(dirs[i]) == n && strncasecmp(c, dirs[i], n) == 0)
			return true;
	return false;
}

static bool comp_is_ihe_pdi(const char *c, size_t n)
{
	return n == 7 && strncasecmp(c, "IHE_PDI", 7) == 0;
}

static bool comp_is_app_bundle(const char *c, size_t n)
{
	return n > 4 && strncasecmp(c + n - 4, ".app", 4) == 0;
}

bool identify_by_path(struct ing_file *f, const struct ident_where *w)
{
	static const char *const junk_names[] = {
		".DS_Store", "Thumbs.db", "desktop.ini", "ehthumbs.db", "Icon\r", ".directory",
	};
	const char *base = path_basename(f->path);
	const char *c;

	if ((c = path_component(f->path, comp_is_junk_dir))) {
		set_kind(f, KIND_OS_JUNK, xasprintf("operating-system metadata folder \"%.*s\"",
		                                    (int)strcspn(c, "/"), c));
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(junk_names); i++)
		if (strcasecmp(base, junk_names[i]) == 0) {
			set_kind(f, KIND_OS_JUNK, xasprintf("operating-system file \"%s\"", junk_names[i]));
			return true;
		}
	if (strncmp(base, "._", 2) == 0) {
		set_kind(f, KIND_OS_JUNK, xstrdup("macOS resource fork (\"._\" file)"));
		return true;
	}
	if (strcasecmp(base, "autorun.inf") == 0) {
		set_kind(f, KIND_VIEWER, xstrdup("disc autorun file (starts the bundled viewer)"));
		return true;
	}
	if ((c = path_component(f->path, comp_is_ihe_pdi))) {
		set_kind(f, KIND_VIEWER, xstrdup("inside the IHE_PDI web-viewer folder of a PDI disc"));
		return true;
	}
	if ((c = path_component(f->path, comp_is_app_bundle))) {
		set_kind(f, KIND_VIEWER, xasprintf("inside the macOS application bundle \"%.*s\"",
		                                   (int)strcspn(c, "/"), c));
		return true;
	}
	if (is_program_file_name(base)) {
		set_kind(f, KIND_VIEWER, xasprintf("program file (%s)", strrchr(base, '.')));
		return true;
	}
	if (str_has_suffix_ci(base, ".url") || str_has_suffix_ci(base, ".webloc") ||
	    strcasecmp(base, "links.txt") == 0) {
		set_kind(f, KIND_LINK, xasprintf("download link file \"%s\"", base));
		return true;
	}
	const char *slash = strchr(f->path, '/');
	if (strcmp(f->path, "case.yaml") == 0 ||
	    (w->case_store && slash && strcmp(slash + 1, "case.yaml") == 0)) {
		set_kind(f, KIND_CASE_YAML, xstrdup("case description (case.yaml at the drop root)"));
		return true;
	}
	return false;
}

bool identify_dicom_candidate(const uint8_t *h, size_t len)
{
	if (len >= 132 && memcmp(h + 128, "DICM", 4) == 0)
		return true;
	if (len < 8)
		return false;
	/* A bare dataset starts with a low group: 0002, 0008 (or 0000..0010),
	 * little or big endian; the wrapper decides, this only filters. */
	uint16_t le = (uint16_t)(h[0] | h[1] << 8), be = (uint16_t)(h[0] << 8 | h[1]);
	return (le >= 0x0002 && le <= 0x0010 && (le & 1) == 0) ||
	       (be >= 0x0002 && be <= 0x0010 && (be & 1) == 0);
}

static const struct { const char *uid, *name; } sop_classes[] = {
	{ "1.2.840.10008.1.3.10", "Media Storage Directory Storage" },
	{ "1.2.840.10008.5.1.4.1.1.1", "Computed Radiography Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.1.1", "Digital X-Ray Image Storage - For Presentation" },
	{ "1.2.840.10008.5.1.4.1.1.1.2", "Digital Mammography X-Ray Image Storage - For Presentation" },
	{ "1.2.840.10008.5.1.4.1.1.2", "CT Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.2.1", "Enhanced CT Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.3.1", "Ultrasound Multi-frame Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.4", "MR Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.4.1", "Enhanced MR Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.6.1", "Ultrasound Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.7.1", "Multi-frame Single Bit Secondary Capture Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.7.2", "Multi-frame Grayscale Byte Secondary Capture Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.7.3", "Multi-frame Grayscale Word Secondary Capture Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.7.4", "Multi-frame True Color Secondary Capture Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.9.1.1", "12-lead ECG Waveform Storage" },
	{ "1.2.840.10008.5.1.4.1.1.11.1", "Grayscale Softcopy Presentation State Storage" },
	{ "1.2.840.10008.5.1.4.1.1.12.1", "X-Ray Angiographic Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.13.1.3", "Breast Tomosynthesis Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.20", "Nuclear Medicine Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.77.1.6", "VL Whole Slide Microscopy Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.88.11", "Basic Text SR Storage" },
	{ "1.2.840.10008.5.1.4.1.1.88.22", "Enhanced SR Storage" },
	{ "1.2.840.10008.5.1.4.1.1.88.33", "Comprehensive SR Storage" },
	{ "1.2.840.10008.5.1.4.1.1.88.59", "Key Object Selection Document Storage" },
	{ "1.2.840.10008.5.1.4.1.1.104.1", "Encapsulated PDF Storage" },
	{ "1.2.840.10008.5.1.4.1.1.104.2", "Encapsulated CDA Storage" },
	{ "1.2.840.10008.5.1.4.1.1.128", "Positron Emission Tomography Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.130", "Enhanced PET Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.481.1", "RT Image Storage" },
	{ "1.2.840.10008.5.1.4.1.1.481.2", "RT Dose Storage" },
	{ "1.2.840.10008.5.1.4.1.1.481.3", "RT Structure Set Storage" },
	{ "1.2.840.10008.5.1.4.1.1.481.5", "RT Plan Storage" },
};

const char *sop_class_name(const char *uid)
{
	for (size_t i = 0; i < ARRAY_SIZE(sop_classes); i++)
		if (strcmp(uid, sop_classes[i].uid) == 0)
			return sop_classes[i].name;
	return NULL;
}

static bool uid_prefix(const char *uid, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(uid, prefix, n) == 0 && (uid[n] == 0 || uid[n] == '.');
}

void identify_dicom(struct ing_file *f)
{
	const struct dcm_info *d = f->dcm;
	const char *uid = d->sop_class_uid, *name = sop_class_name(uid);
	const char *how = d->part10 ? "DICOM Part 10 file (\"DICM\" at offset 128)"
	                            : "DICOM dataset without the Part 10 header";
	enum ing_kind k;

	if (strcmp(uid, "1.2.840.10008.1.3.10") == 0 ||
	    (!uid[0] && strcasecmp(path_basename(f->path), "DICOMDIR") == 0))
		k = KIND_DICOM_DICOMDIR;
	else if (uid_prefix(uid, "1.2.840.10008.5.1.4.1.1.88") && strcmp(uid, "1.2.840.10008.5.1.4.1.1.88.59") != 0)
		k = KIND_DICOM_SR;
	else if (strcmp(uid, "1.2.840.10008.5.1.4.1.1.104.1") == 0)
		k = KIND_DICOM_ENC_PDF;
	else if (uid_prefix(uid, "1.2.840.10008.5.1.4.1.1.7"))
		k = KIND_DICOM_SC;
	else
		k = KIND_DICOM_IMAGE;

	if (uid[0])
		set_kind(f, k, xasprintf("%s; SOP Class %s (%s)%s%s", how, uid, name ? name : "not in our table",
		                         d->modality[0] ? "; modality " : "", d->modality));
	else
		set_kind(f, k, xasprintf("%s; no SOP Class UID%s%s", how,
		                         d->modality[0] ? "; modality " : "", d->modality));
}

static struct magic_set *magic_cookie(struct ing_ctx *ctx)
{
	if (!ctx->magic) {
		/* MAGIC_NO_CHECK_COMPRESS: never decompress inside libmagic (bombs);
		 * archives are the expander's business. */
		struct magic_set *m = magic_open(MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
		if (!m)
			return NULL;
		if (magic_load(m, NULL) != 0) {
			log_err(ctx, "libmagic: cannot load its database: %s (is libmagic-mgc installed?)", magic_error(m));
			magic_close(m);
			return NULL;
		}
		ctx->magic = m;
	}
	return ctx->magic;
}

static const char *const archive_mimes[] = {
	"application/zip", "application/x-7z-compressed", "application/x-rar", "application/vnd.rar",
	"application/x-tar", "application/gzip", "application/x-gzip", "application/x-xz",
	"application/zstd", "application/x-zstd", "application/x-bzip2", "application/x-iso9660-image",
	"application/x-cpio", "application/x-lzip", "application/x-lzma", "application/x-archive",
	"application/x-udf-image",
};

static const char *const exec_mimes[] = {
	"application/x-dosexec", "application/x-executable", "application/x-sharedlib",
	"application/x-mach-binary", "application/x-pie-executable", "application/java-archive",
	"application/x-msi", "application/x-ms-installer", "application/vnd.microsoft.portable-executable",
	"application/x-msdownload",
};

/* A UDF volume recognition sequence (ECMA-167: "BEA01" then "NSR02" or
 * "NSR03" in the 2048-byte sectors from 16). libmagic does not know UDF-only
 * discs (DVDs burned without an ISO 9660 bridge): it calls them "data". */
static bool udf_vrs(const uint8_t *h, size_t len)
{
	bool bea = false;
	for (size_t k = 16; k < 32 && (k + 1) * 2048 <= len; k++) {
		const uint8_t *id = h + k * 2048 + 1;
		if (memcmp(id, "BEA01", 5) == 0)
			bea = true;
		else if (bea && (memcmp(id, "NSR02", 5) == 0 || memcmp(id, "NSR03", 5) == 0))
			return true;
	}
	return false;
}

static enum content_class class_of_mime(const char *mime)
{
	if (strcmp(mime, "application/pdf") == 0)
		return CONTENT_PDF;
	if (strncmp(mime, "image/", 6) == 0)
		return CONTENT_IMAGE;
	for (size_t i = 0; i < ARRAY_SIZE(archive_mimes); i++)
		if (strcmp(mime, archive_mimes[i]) == 0)
			return CONTENT_ARCHIVE;
	for (size_t i = 0; i < ARRAY_SIZE(exec_mimes); i++)
		if (strcmp(mime, exec_mimes[i]) == 0)
			return CONTENT_EXECUTABLE;
	if (strstr(mime, "officedocument") || strcmp(mime, "application/msword") == 0 ||
	    strcmp(mime, "text/rtf") == 0 || strcmp(mime, "application/rtf") == 0 ||
	    strstr(mime, "opendocument"))
		return CONTENT_OFFICE;
	if (strncmp(mime, "text/", 5) == 0)
		return CONTENT_TEXT;
	return CONTENT_OTHER;
}

enum content_class identify_content(struct ing_ctx *ctx, struct ing_file *f, const uint8_t *head, size_t len)
{
	struct magic_set *m = magic_cookie(ctx);
	enum content_class cls;

	free(f->mime);
	free(f->magic);
	f->mime = f->magic = NULL;
	if (m) {
		magic_setflags(m, MAGIC_NO_CHECK_COMPRESS | MAGIC_MIME_TYPE);
		const char *mime = magic_buffer(m, head, len);
		f->mime = xstrdup(mime ? mime : "application/octet-stream");
	} else {
		f->mime = xstrdup("application/octet-stream");
		f->magic = xstrdup("data (libmagic unavailable)");
	}

	if (strcmp(f->mime, "application/octet-stream") == 0 && udf_vrs(head, len)) {
		free(f->mime);
		free(f->magic);
		f->mime = xstrdup("application/x-udf-image");
		f->magic = xstrdup("UDF disc image (no ISO 9660 bridge)");
		return CONTENT_ARCHIVE;
	}
	cls = class_of_mime(f->mime);
	/* libmagic's description, a second pass over the bytes, only where the
	 * evidence quotes it: a document (PDF, text) is read and an image is told
	 * by its MIME type, so for those it would be computed and never shown. */
	if (m && cls != CONTENT_PDF && cls != CONTENT_TEXT && cls != CONTENT_IMAGE) {
		magic_setflags(m, MAGIC_NO_CHECK_COMPRESS);
		const char *desc = magic_buffer(m, head, len);
		f->magic = utf8_sanitize(desc ? desc : "data", strlen(desc ? desc : "data"));
	}
	return cls;
}
