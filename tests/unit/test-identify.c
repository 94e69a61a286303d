/* Identification by path, DICOM candidates, SOP classes, libmagic classes, and text kinds. */
#include "identify.h"
#include "check.h"

static enum ing_kind by_path(const char *path, bool *decided)
{
	struct ing_file f = { .path = (char *)path };
	struct ident_where w = { 0 };
	*decided = identify_by_path(&f, &w);
	free(f.evidence);
	return f.kind;
}

static void test_paths(void)
{
	bool d;
	CHECK_INT(by_path("__MACOSX/DICOM/._IM1", &d), KIND_OS_JUNK); CHECK(d);
	CHECK_INT(by_path("disc/.DS_Store", &d), KIND_OS_JUNK); CHECK(d);
	CHECK_INT(by_path("THUMBS.DB", &d), KIND_OS_JUNK); CHECK(d);
	CHECK_INT(by_path("scans/._report.pdf", &d), KIND_OS_JUNK); CHECK(d);
	CHECK_INT(by_path("AUTORUN.INF", &d), KIND_VIEWER); CHECK(d);
	CHECK_INT(by_path("IHE_PDI/INDEX.HTM", &d), KIND_VIEWER); CHECK(d);
	CHECK_INT(by_path("Viewer/OsiriX.app/Contents/Info.plist", &d), KIND_VIEWER); CHECK(d);
	CHECK_INT(by_path("Viewer/viewer.EXE", &d), KIND_VIEWER); CHECK(d);
	CHECK_INT(by_path("bin/dcm.dll", &d), KIND_VIEWER); CHECK(d);
	CHECK_INT(by_path("Download.url", &d), KIND_LINK); CHECK(d);
	CHECK_INT(by_path("links.txt", &d), KIND_LINK); CHECK(d);
	CHECK_INT(by_path("case.yaml", &d), KIND_CASE_YAML); CHECK(d);
	/* case.yaml deeper down is not the drop's description */
	by_path("sub/case.yaml", &d); CHECK(!d);
	by_path("DICOM/IM000001", &d); CHECK(!d);
	by_path("report.pdf", &d); CHECK(!d);
}

static void test_dicom_candidates(void)
{
	uint8_t buf[256] = { 0 };
	CHECK(!identify_dicom_candidate(buf, 4));
	memcpy(buf + 128, "DICM", 4);
	CHECK(identify_dicom_candidate(buf, 132));
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x08; buf[1] = 0x00;          /* (0008,xxxx) little endian */
	CHECK(identify_dicom_candidate(buf, 16));
	memcpy(buf, "%PDF-1.4", 8);
	CHECK(!identify_dicom_candidate(buf, 16));
	memcpy(buf, "\xff\xd8\xff\xe0", 4);
	CHECK(!identify_dicom_candidate(buf, 16));
}

static enum ing_kind by_sop(const char *uid)
{
	struct dcm_info d = { 0 };
	struct ing_file f = { .path = (char *)"x", .dcm = &d };
	d.sop_class_uid = uid;
	CHECK(dcm_info_own(&d) == 0);
	d.part10 = true;
	identify_dicom(&f);
	CHECK(f.evidence && strstr(f.evidence, uid));
	free(f.evidence);
	dcm_info_release(&d);
	return f.kind;
}

static void test_sop_classes(void)
{
	CHECK_INT(by_sop("1.2.840.10008.1.3.10"), KIND_DICOM_DICOMDIR);
	CHECK_INT(by_sop("1.2.840.10008.5.1.4.1.1.88.11"), KIND_DICOM_SR);
	CHECK_INT(by_sop("1.2.840.10008.5.1.4.1.1.88.33"), KIND_DICOM_SR);
	CHECK_INT(by_sop("1.2.840.10008.5.1.4.1.1.88.59"), KIND_DICOM_IMAGE);   /* KOS is not a report */
	CHECK_INT(by_sop("1.2.840.10008.5.1.4.1.1.104.1"), KIND_DICOM_ENC_PDF);
	CHECK_INT(by_sop("1.2.840.10008.5.1.4.1.1.7"), KIND_DICOM_SC);
	CHECK_INT(by_sop("1.2.840.10008.5.1.4.1.1.7.4"), KIND_DICOM_SC);
	CHECK_INT(by_sop("1.2.840.10008.5.1.4.1.1.77.1.6"), KIND_DICOM_IMAGE);
	CHECK_INT(by_sop("1.2.840.10008.5.1.4.1.1.2"), KIND_DICOM_IMAGE);
	/* a prefix is not a match: 1.2.840.10008.5.1.4.1.1.70 is not secondary capture */
	CHECK_INT(by_sop("1.2.840.10008.5.1.4.1.1.70"), KIND_DICOM_IMAGE);
}

static void test_content(void)
{
	struct ing_ctx *ctx;
	CHECK_INT(ing_ctx_new(&ctx), 0);
	struct { const char *bytes; size_t n; enum content_class want; } cases[] = {
		{ "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", 36, CONTENT_PDF },
		{ "\x50\x4b\x03\x04\x14\x00\x00\x00\x08\x00\x45\x30\x77\x5d\x80\x88\xf9\xe5\x0a\x00\x00\x00\x11\x00\x00\x00\x05\x00\x00\x00\x61\x2e\x74\x78\x74\xcb\x48\xcd\xc9\xc9\x57\xc8\x40\x90\x00\x50\x4b\x01\x02\x14\x03\x14\x00\x00\x00\x08\x00\x45\x30\x77\x5d\x80\x88\xf9\xe5\x0a\x00\x00\x00\x11\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00\x61\x2e\x74\x78\x74\x50\x4b\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00\x33\x00\x00\x00\x2d\x00\x00\x00\x00\x00", 118, CONTENT_ARCHIVE },
		{ "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10, CONTENT_ARCHIVE },
		{ "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20, CONTENT_IMAGE },
		{ "Laboratory report\nCEA 4.2 ng/mL\n", 32, CONTENT_TEXT },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ing_file f = { .path = (char *)"x" };
		enum content_class c = identify_content(ctx, &f, (const uint8_t *)cases[i].bytes, cases[i].n);
		if (c != cases[i].want)
			fprintf(stderr, "case %zu: mime %s\n", i, f.mime);
		CHECK_INT(c, cases[i].want);
		/* libmagic's description only where the evidence quotes it */
		CHECK((f.magic != NULL) == (c != CONTENT_PDF && c != CONTENT_TEXT && c != CONTENT_IMAGE));
		free(f.mime);
		free(f.magic);
	}
	ing_ctx_free(ctx);
}

int main(void)
{
	test_paths();
	test_dicom_candidates();
	test_sop_classes();
	test_content();
	CHECK_DONE();
}
