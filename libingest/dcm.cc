/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DCMTK wrapper: the only C++ in ingestd.
 *
 * Two passes over a prefix of the object:
 *  1. our own structural walk (dcm-walk.c, in C): Part 10 preamble and
 *     meta group, transfer syntax detection, every element header up to Pixel Data,
 *     nested sequences/items checked against their containers, Pixel Data
 *     length (or its fragment items) checked against the object's size. This
 *     decides OK / TRUNCATED / CORRUPT / NOT_DICOM / NEED_MORE and finds the
 *     offsets, without trusting a single length.
 *  2. DCMTK reads only the verified bytes before Pixel Data (so no declared
 *     length it sees can exceed what we hold, and pixel data is never
 *     loaded), converts strings to UTF-8 and gives us the values.
 * No C++ type or exception crosses the C header: every exported function
 * catches everything.
 */
#include "dcm-private.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcbytstr.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>
#include <dcmtk/ofstd/ofstd.h>

namespace {

static_assert(EXS_Unknown == DCM_XFER_UNKNOWN, "DCM_XFER_UNKNOWN is DCMTK's EXS_Unknown");

std::string trim(const std::string &s)
{
	size_t b = 0, e = s.size();
	while (b < e && (s[b] == ' ' || s[b] == '\0'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\0'))
		e--;
	return s.substr(b, e - b);
}

void copy_utf8(char *dst, size_t cap, const std::string &src)
{
	dcm_copy_utf8(dst, cap, src.data(), src.size());
}

void set_msg(fat_info *out, const std::string &m)
{
	copy_utf8(out->message, sizeof out->message, m);
}

/* A transfer syntax's properties, for dcm-walk.c. */
void xfer_of(const DcmXfer &d, struct dcm_xfer *x)
{
	x->id = d.getXfer();
	x->deflated = d.getStreamCompression() == ESC_zlib;
	x->explicit_vr = d.isExplicitVR() != OFFalse;
	x->big_endian = d.isBigEndian() != OFFalse;
	x->lossy = d.isLossy() != OFFalse;
	x->uid = d.getXferID();
}

/* The walk (dcm-walk.c) with its inflated dataset freed however we leave. */
struct walk {
	struct dcm_analysis a;

	walk()
	{
		dcm_analysis_init(&a);
	}
	walk(const walk &) = delete;
	walk &operator=(const walk &) = delete;
	~walk()
	{
		dcm_analysis_release(&a);
	}
	void analyse(const uint8_t *p, size_t len, uint64_t total, fat_info *out)
	{
		if (dcm_analyse(p, len, total, out, &a) < 0)
			throw std::bad_alloc();
	}
};

void dcmtk_init(void)
{
	static std::once_flag once;
	std::call_once(once, [] {
		OFLog::configure(OFLogger::OFF_LOG_LEVEL);
		OFLog::getLogger("dcmtk").setLogLevel(OFLogger::OFF_LOG_LEVEL);
	});
}

/* Read the verified dataset bytes with DCMTK. */
OFCondition read_dataset(const struct dcm_analysis &a, DcmDataset &ds)
{
	if (a.ds_len == 0)
		return EC_Normal;
	DcmInputBufferStream is;
	is.setBuffer(a.ds, (offile_off_t)a.ds_len);
	is.setEos();
	ds.transferInit();
	OFCondition c = ds.read(is, (E_TransferSyntax)a.xfer.id, EGL_noChange, DCM_MaxReadLength);
	ds.transferEnd();
	if (c == EC_EndOfStream)
		c = EC_Normal;
	return c;
}

/* The value of an element as text; elements some writers store with VR UN
 * (e.g. Modality, Image Position) are taken as their raw bytes. */
bool get_text(DcmItem &it, const DcmTagKey &k, std::string *out)
{
	DcmElement *el = nullptr;
	if (it.findAndGetElement(k, el).bad() || !el)
		return false;
	if (el->ident() == EVR_UN) {
		Uint8 *raw = nullptr;
		if (el->getUint8Array(raw).bad() || !raw)
			return false;
		*out = trim(std::string((const char *)raw, el->getLength()));
		return true;
	}
	OFString s;
	if (el->getOFStringArray(s).bad())
		return false;
	*out = trim(std::string(s.c_str(), s.length()));
	return true;
}

void get_str(DcmItem &it, const DcmTagKey &k, char *dst, size_t cap)
{
	std::string s;
	if (get_text(it, k, &s))
		copy_utf8(dst, cap, s);
}

/* Up to n decimal values of a DS/IS element (locale-independent). */
size_t get_numbers(DcmItem &it, const DcmTagKey &k, double *v, size_t n)
{
	std::string s;
	if (!get_text(it, k, &s))
		return 0;
	size_t got = 0, pos = 0;
	while (got < n && pos <= s.size()) {
		size_t bs = s.find('\\', pos);
		std::string part = trim(s.substr(pos, bs == std::string::npos ? std::string::npos : bs - pos));
		if (part.empty())
			return 0;
		OFBool ok = OFFalse;
		double d = OFStandard::atof(part.c_str(), &ok);
		if (!ok || !std::isfinite(d))
			return 0;
		v[got++] = d;
		if (bs == std::string::npos)
			break;
		pos = bs + 1;
	}
	return got;
}

bool get_int(DcmItem &it, const DcmTagKey &k, int32_t *v)
{
	double d;
	if (get_numbers(it, k, &d, 1) != 1 || d < INT32_MIN || d > INT32_MAX || d != std::floor(d))
		return false;
	*v = (int32_t)d;
	return true;
}

/* A value the character set applies to (PN, LO, SH, ST, LT, UT, UC) with a
 * byte over 0x7f or an ESC: only then does converting change anything.
 * ASCII reads the same in every character set DICOM allows but the JIS X
 * 0201 ones (IR 13: 0x5c is the yen sign), which the caller always converts.
 * Converting every dataset cost 20 us a file (2,600 CT slices in ISO_IR 100:
 * 2% of a whole package run). */
bool has_coded_text(DcmItem &ds)
{
	DcmStack stack;
	while (ds.nextObject(stack, OFTrue).good()) {
		DcmObject *o = stack.top();
		switch (o->ident()) {
		case EVR_PN: case EVR_LO: case EVR_SH: case EVR_ST: case EVR_LT: case EVR_UT: case EVR_UC: {
			char *v = nullptr;
			Uint32 n = 0;
			if (OFstatic_cast(DcmByteString *, o)->getString(v, n).bad() || !v)
				continue;
			for (Uint32 i = 0; i < n; i++)
				if ((unsigned char)v[i] >= 0x80 || v[i] == 0x1b)
					return true;
			break;
		}
		default:
			break;
		}
	}
	return false;
}

void fill_fields(DcmDataset &ds, const struct dcm_analysis &a, fat_info *out,
                 struct dcm_notes *warnings)
{
	OFString cs;
	if (ds.findAndGetOFStringArray(DCM_SpecificCharacterSet, cs).good())
		copy_utf8(out->specific_charset, sizeof out->specific_charset,
		          trim(std::string(cs.c_str(), cs.length())));
	std::string csv = out->specific_charset;
	if (!csv.empty() && csv != "ISO_IR 192" && csv != "ISO_IR 6" &&
	    (csv.find("IR 13") != std::string::npos || has_coded_text(ds))) {
		OFCondition c = ds.convertCharacterSet("ISO_IR 192", 0);
		if (c.bad())
			dcm_note(warnings, "character set conversion failed: ", c.text(), strlen(c.text()));
	}

	get_str(ds, DCM_SOPClassUID, out->sop_class_uid, sizeof out->sop_class_uid);
	if (!out->sop_class_uid[0])
		dcm_copy_utf8(out->sop_class_uid, sizeof out->sop_class_uid, a.meta_sop_class,
		              a.meta_sop_class_len);
	get_str(ds, DCM_SOPInstanceUID, out->sop_instance_uid, sizeof out->sop_instance_uid);
	if (!out->sop_instance_uid[0])
		dcm_copy_utf8(out->sop_instance_uid, sizeof out->sop_instance_uid, a.meta_sop_instance,
		              a.meta_sop_instance_len);
	get_str(ds, DCM_StudyInstanceUID, out->study_uid, sizeof out->study_uid);
	get_str(ds, DCM_SeriesInstanceUID, out->series_uid, sizeof out->series_uid);
	get_str(ds, DCM_PatientName, out->patient_name, sizeof out->patient_name);
	get_str(ds, DCM_PatientID, out->patient_id, sizeof out->patient_id);
	get_str(ds, DCM_PatientBirthDate, out->patient_birth_date, sizeof out->patient_birth_date);
	get_str(ds, DCM_PatientSex, out->patient_sex, sizeof out->patient_sex);
	get_str(ds, DCM_Modality, out->modality, sizeof out->modality);
	get_str(ds, DCM_StudyDate, out->study_date, sizeof out->study_date);
	get_str(ds, DCM_SeriesDate, out->series_date, sizeof out->series_date);
	get_str(ds, DCM_StudyDescription, out->study_description, sizeof out->study_description);
	get_str(ds, DCM_SeriesDescription, out->series_description, sizeof out->series_description);
	get_str(ds, DCM_BodyPartExamined, out->body_part, sizeof out->body_part);
	get_str(ds, DCM_InstitutionName, out->institution, sizeof out->institution);
	get_str(ds, DCM_AccessionNumber, out->accession, sizeof out->accession);
	get_str(ds, DCM_ContrastBolusAgent, out->contrast_agent, sizeof out->contrast_agent);
	DcmItem *rp = nullptr;
	if (ds.findAndGetSequenceItem(DCM_RadiopharmaceuticalInformationSequence, rp, 0).good() && rp)
		get_str(*rp, DCM_Radiopharmaceutical, out->radiopharmaceutical,
		        sizeof out->radiopharmaceutical);

	/* DICOMDIR keys (package stage) */
	get_str(ds, DCM_StudyTime, out->study_time, sizeof out->study_time);
	get_str(ds, DCM_StudyID, out->study_id, sizeof out->study_id);
	get_str(ds, DCM_ContentDate, out->content_date, sizeof out->content_date);
	if (!out->content_date[0])
		get_str(ds, DCM_PresentationCreationDate, out->content_date, sizeof out->content_date);
	get_str(ds, DCM_ContentTime, out->content_time, sizeof out->content_time);
	if (!out->content_time[0])
		get_str(ds, DCM_PresentationCreationTime, out->content_time, sizeof out->content_time);
	get_str(ds, DCM_ContentLabel, out->content_label, sizeof out->content_label);
	get_str(ds, DCM_CompletionFlag, out->completion_flag, sizeof out->completion_flag);
	get_str(ds, DCM_VerificationFlag, out->verification_flag, sizeof out->verification_flag);

	int32_t v = 0;
	if (get_int(ds, DCM_SeriesNumber, &v)) {
		out->has_series_number = true;
		out->series_number = v;
	}
	if (get_int(ds, DCM_InstanceNumber, &v)) {
		out->has_instance_number = true;
		out->instance_number = v;
	}
	out->has_position = get_numbers(ds, DCM_ImagePositionPatient, out->image_position, 3) == 3;
	if (!out->has_position)
		memset(out->image_position, 0, sizeof out->image_position);
	out->has_orientation = get_numbers(ds, DCM_ImageOrientationPatient, out->image_orientation, 6) == 6;
	if (!out->has_orientation)
		memset(out->image_orientation, 0, sizeof out->image_orientation);
	double th;
	if (get_numbers(ds, DCM_SliceThickness, &th, 1) == 1)
		out->slice_thickness = th;
	if (get_int(ds, DCM_NumberOfFrames, &v) && v >= 1)
		out->number_of_frames = v;
	std::string lossy;
	if (get_text(ds, DCM_LossyImageCompression, &lossy) && lossy == "01")
		out->lossy = true;
}

enum dcm_status read_fat(const void *buf, size_t len, uint64_t total, fat_info *out)
{
	dcmtk_init();
	memset(out, 0, sizeof *out);
	out->number_of_frames = 1;
	walk w;
	struct dcm_analysis &a = w.a;
	if (!buf)
		len = 0;
	if (len == 0) {
		out->status = total > 0 ? DCM_NEED_MORE : DCM_NOT_DICOM;
		set_msg(out, total > 0 ? "no bytes given" : "empty");
		return out->status;
	}
	w.analyse((const uint8_t *)buf, len, total, out);
	if (a.status == DCM_NOT_DICOM || a.status == DCM_NEED_MORE ||
	    (a.status == DCM_CORRUPT && a.ds == nullptr)) {
		out->status = a.status;
		set_msg(out, a.why);
		return out->status;
	}
	/* Values from everything verified (for a truncated or corrupt object, the
	 * complete elements before the damage). */
	DcmDataset ds;
	std::string msg = a.why;
	OFCondition c = read_dataset(a, ds);
	if (c.bad()) {
		if (a.status == DCM_OK || a.status == DCM_WARN) {
			a.status = DCM_CORRUPT;
			msg = std::string("DCMTK cannot parse the dataset: ") + c.text();
		}
	} else {
		fill_fields(ds, a, out, &a.warnings);
	}
	if (a.status == DCM_OK && a.warnings.n)
		a.status = DCM_WARN;
	if (a.warnings.n) {
		if (!msg.empty())
			msg += "; ";
		msg.append(a.warnings.text, a.warnings.len);
	}
	out->status = a.status;
	set_msg(out, msg);
	return out->status;
}

/* Parse into fat buffers (on the heap: about 3.4 KB), then pack. */
enum dcm_status read_header(const void *buf, size_t len, uint64_t total, struct dcm_info *out)
{
	std::unique_ptr<fat_info> f(new fat_info());
	read_fat(buf, len, total, f.get());
	dcm_info_pack(f.get(), out);
	return out->status;
}

int dicomdir_list(const void *buf, size_t len,
                  void (*cb)(void *ud, const char *ref_file_id, const char *sop_instance_uid),
                  void *ud)
{
	dcmtk_init();
	if (!buf || !cb)
		return -EINVAL;
	std::unique_ptr<fat_info> info(new fat_info());
	walk w;
	struct dcm_analysis &a = w.a;
	w.analyse((const uint8_t *)buf, len, len, info.get());
	bool stale = a.status == DCM_TRUNCATED && a.ds && !a.deflated;
	if (stale) {
		/* Edited DICOMDIRs often carry a stale length at the end: DCMTK
		 * reads up to the last whole element (at any depth) before the
		 * place the walk ran short, every length there checked. Not the
		 * rest: DCMTK allocates an element's declared length before it
		 * reads it (a 15 KB file made it ask for 771 MB, fuzz-dicomdir). */
		a.ds_len = std::max(a.ds_len, a.ds_whole_len);
		if (a.ds_len == 0)
			return -EBADMSG;
	} else if (a.status != DCM_OK && a.status != DCM_WARN) {
		return -EBADMSG;
	}
	DcmDataset ds;
	if (read_dataset(a, ds).bad() && !stale)
		return -EBADMSG;
	DcmSequenceOfItems *seq = nullptr;
	if (ds.findAndGetSequence(DCM_DirectoryRecordSequence, seq).bad() || !seq)
		return -EBADMSG;
	for (unsigned long i = 0; i < seq->card(); i++) {
		DcmItem *it = seq->getItem(i);
		if (!it)
			continue;
		OFString ref, uid;
		/* Only text of a sane length: a damaged record can carry any VR here,
		 * and rendering a large OB/OW value as text takes seconds. */
		DcmElement *el = nullptr;
		if (it->findAndGetElement(DCM_ReferencedFileID, el).bad() || !el || !el->isaString() ||
		    el->getLength() > 1024 || el->getOFStringArray(ref).bad())
			continue;
		std::string r = trim(std::string(ref.c_str(), ref.length()));
		if (r.empty())
			continue;
		std::replace(r.begin(), r.end(), '\\', '/');
		el = nullptr;
		if (it->findAndGetElement(DCM_ReferencedSOPInstanceUIDInFile, el).good() && el && el->isaString() &&
		    el->getLength() <= 2 * DCM_UID_MAX)
			el->getOFString(uid, 0);
		char rb[1024], ub[DCM_UID_MAX];
		copy_utf8(rb, sizeof rb, r);
		copy_utf8(ub, sizeof ub, trim(std::string(uid.c_str(), uid.length())));
		cb(ud, rb, ub);
	}
	return 0;
}

} // namespace

/* What the walk (dcm-walk.c) asks of DCMTK's tables: C in and out, nothing
 * thrown. */
extern "C" void dcm_xfer_by_uid(const char *uid, struct dcm_xfer *x)
{
	xfer_of(DcmXfer(uid), x);
}

extern "C" void dcm_xfer_by_enc(bool explicit_vr, bool big_endian, struct dcm_xfer *x)
{
	xfer_of(DcmXfer(!explicit_vr ? EXS_LittleEndianImplicit
	                : big_endian ? EXS_BigEndianExplicit : EXS_LittleEndianExplicit), x);
}

extern "C" int dcm_tag_is_sq(uint16_t group, uint16_t elem)
{
	try {
		DcmTag t(group, elem);
		return t.getEVR() == EVR_SQ;
	} catch (...) {
		/* the dictionary is loaded on first use */
		return -ENOMEM;
	}
}

extern "C" void dcm_quiet(void)
{
	try {
		dcmtk_init();
	} catch (...) {
	}
}

extern "C" enum dcm_status dcm_read_header(const void *buf, size_t len, uint64_t total,
                                           struct dcm_info *out)
{
	if (!out)
		return DCM_CORRUPT;
	dcm_info_release(out);
	try {
		return read_header(buf, len, total, out);
	} catch (...) {
		/* dcm_info_pack() is the last step and does not throw: no pool yet. */
		dcm_info_set_empty(out);
		out->number_of_frames = 1;
		out->status = DCM_CORRUPT;
		out->message = "internal error while parsing";
		return DCM_CORRUPT;
	}
}

extern "C" int dcm_dicomdir_list(const void *buf, size_t len,
                                 void (*cb)(void *ud, const char *ref_file_id,
                                            const char *sop_instance_uid),
                                 void *ud)
{
	try {
		return dicomdir_list(buf, len, cb, ud);
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	} catch (...) {
		return -EBADMSG;
	}
}

/* ---- writing a DICOMDIR (package stage) ----
 *
 * From the headers the scan already read (struct dcm_info): no payload file
 * is opened again. DCMTK's DicomDirInterface re-reads every file and finds
 * each record's parent by a linear search (quadratic: ~6 s for 20,500 small
 * files); here records are grouped with hash maps, the records are built
 * with DCMTK's data classes in their final (pre-order) sequence, and the
 * offsets are computed from each record's encoded length: linear in n.
 */

#include <fcntl.h>
#include <unistd.h>
#include <unordered_map>

#include <dcmtk/dcmdata/dcdirrec.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcvrul.h>
#include <dcmtk/dcmdata/dcvrus.h>

namespace {

bool uid_in(const char *uid, std::initializer_list<const char *> l)
{
	for (const char *u : l)
		if (strcmp(uid, u) == 0)
			return true;
	return false;
}

bool uid_prefix(const char *uid, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(uid, prefix, n) == 0 && uid[n] == '.';
}

/* The record type for a SOP class, after DicomDirInterface's
 * sopClassToRecordType() (DCMTK 3.6.7); false: no record type (refused). */
bool record_type_of(const char *sop, E_DirRecType *t)
{
	if (uid_in(sop, { UID_KeyObjectSelectionDocumentStorage }))
		*t = ERT_KeyObjectDoc;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.88") || /* SR, incl. dose SRs */
	         uid_in(sop, { UID_DRAFT_SRTextStorage, UID_DRAFT_SRAudioStorage,
	                       UID_DRAFT_SRDetailStorage, UID_DRAFT_SRComprehensiveStorage }))
		*t = ERT_SRDocument;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.11"))
		*t = ERT_Presentation;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.9") || uid_in(sop, { UID_DRAFT_WaveformStorage }))
		*t = ERT_Waveform;
	else if (uid_in(sop, { UID_RTDoseStorage }))
		*t = ERT_RTDose;
	else if (uid_in(sop, { UID_RTStructureSetStorage }))
		*t = ERT_RTStructureSet;
	else if (uid_in(sop, { UID_RTPlanStorage, UID_RTIonPlanStorage }))
		*t = ERT_RTPlan;
	else if (uid_in(sop, { UID_RTBeamsTreatmentRecordStorage, UID_RTBrachyTreatmentRecordStorage,
	                       UID_RTTreatmentSummaryRecordStorage, UID_RTIonBeamsTreatmentRecordStorage }))
		*t = ERT_RTTreatRecord;
	else if (uid_in(sop, { UID_RTPhysicianIntentStorage, UID_RTSegmentAnnotationStorage,
	                       UID_RTRadiationSetStorage, UID_RTRadiationRecordSetStorage,
	                       UID_RTRadiationSalvageRecordStorage, UID_RTRadiationSetDeliveryInstructionStorage,
	                       UID_RTTreatmentPreparationStorage, UID_RTBeamsDeliveryInstructionStorage,
	                       UID_RTBrachyApplicationSetupDeliveryInstructionStorage }) ||
	         uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.481") /* newer RT radiation IODs */)
		*t = dcmIsImageStorageSOPClassUID(sop) ? ERT_Image : ERT_Radiotherapy;
	else if (uid_in(sop, { UID_RawDataStorage }))
		*t = ERT_RawData;
	else if (uid_in(sop, { UID_SpatialRegistrationStorage, UID_DeformableSpatialRegistrationStorage }))
		*t = ERT_Registration;
	else if (uid_in(sop, { UID_SpatialFiducialsStorage }))
		*t = ERT_Fiducial;
	else if (uid_in(sop, { UID_SurfaceSegmentationStorage }))
		*t = ERT_Surface;
	else if (uid_in(sop, { UID_TractographyResultsStorage }))
		*t = ERT_Tract;
	else if (uid_in(sop, { UID_MRSpectroscopyStorage }))
		*t = ERT_Spectroscopy;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.104"))
		*t = ERT_EncapDoc;
	else if (uid_in(sop, { UID_RealWorldValueMappingStorage }))
		*t = ERT_ValueMap;
	else if (uid_in(sop, { UID_HangingProtocolStorage }))
		*t = ERT_HangingProtocol;
	else if (uid_in(sop, { UID_StereometricRelationshipStorage }))
		*t = ERT_Stereometric;
	else if (uid_in(sop, { UID_SurfaceScanMeshStorage, UID_SurfaceScanPointCloudStorage }))
		*t = ERT_SurfaceScan;
	else if (uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.78") || uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.79") ||
	         uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.80") || uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.81") ||
	         uid_prefix(sop, "1.2.840.10008.5.1.4.1.1.82"))
		*t = dcmIsImageStorageSOPClassUID(sop) ? ERT_Image : ERT_Measurement;
	else if (uid_in(sop, { UID_GenericImplantTemplateStorage }))
		*t = ERT_Implant;
	else if (uid_in(sop, { UID_ImplantAssemblyTemplateStorage }))
		*t = ERT_ImplantAssy;
	else if (uid_in(sop, { UID_ImplantTemplateGroupStorage }))
		*t = ERT_ImplantGroup;
	else if (uid_in(sop, { UID_ContentAssessmentResultsStorage }))
		*t = ERT_Assessment;
	else if (uid_in(sop, { UID_MicroscopyBulkSimpleAnnotationsStorage }))
		*t = ERT_Annotation;
	else if (uid_in(sop, { "1.2.840.10008.5.1.4.39.1" /* Color Palette */ }))
		*t = ERT_Palette;
	else if (dcmIsImageStorageSOPClassUID(sop))
		*t = ERT_Image;
	else
		return false;
	return true;
}

const char *mime_of(const char *sop)
{
	if (strcmp(sop, UID_EncapsulatedCDAStorage) == 0)
		return "text/XML";
	if (strcmp(sop, UID_EncapsulatedSTLStorage) == 0)
		return "model/stl";
	if (strcmp(sop, UID_EncapsulatedOBJStorage) == 0)
		return "model/obj";
	if (strcmp(sop, UID_EncapsulatedMTLStorage) == 0)
		return "model/mtl";
	return "application/pdf";
}

/* DICOM form of a '/'-separated PS3.10 file id, or "" if it is not one
 * (1 to 8 components of 1 to 8 characters from A-Z 0-9 _). */
std::string dicom_file_id(const char *fid)
{
	std::string r;
	size_t comp = 0, len = 0;
	for (const char *p = fid; *p; p++) {
		char c = *p;
		if (c == '/') {
			if (len == 0)
				return "";
			r += '\\';
			len = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return "";
		if (len == 0 && ++comp > 8)
			return "";
		if (++len > 8)
			return "";
		r += c;
	}
	return len ? r : "";
}

bool ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

uint64_t fnv1a(const std::string &s)
{
	uint64_t h = 14695981039346656037ull;
	for (unsigned char c : s) {
		h ^= c;
		h *= 1099511628211ull;
	}
	return h;
}

/* One directory record: which group or input it stands for, and its place
 * in the tree (indices into the pre-order list of records). Only these few
 * bytes live for the whole DICOMDIR; each record's DCMTK item is made when
 * it is measured and again when it is written, then freed, so memory does
 * not grow with the number of files (the whole tree in DCMTK objects took
 * about 2.5 KB a record). */
struct dnode {
	E_DirRecType type;
	uint32_t idx;               /* patient, study or series group; the input (recs index) for the rest */
	uint32_t next = UINT32_MAX; /* the next record under the same parent */
	uint32_t lower = UINT32_MAX;/* the first record under it */
	uint32_t len = 0;           /* its encoded length, item header included */
	uint32_t off = 0;           /* where it starts in the file */
};

static const char *type_name(E_DirRecType t)
{
	switch (t) {
	case ERT_Patient: return "PATIENT";
	case ERT_Study: return "STUDY";
	case ERT_Series: return "SERIES";
	case ERT_Image: return "IMAGE";
	case ERT_SRDocument: return "SR DOCUMENT";
	case ERT_Presentation: return "PRESENTATION";
	case ERT_Waveform: return "WAVEFORM";
	case ERT_RTDose: return "RT DOSE";
	case ERT_RTStructureSet: return "RT STRUCTURE SET";
	case ERT_RTPlan: return "RT PLAN";
	case ERT_RTTreatRecord: return "RT TREAT RECORD";
	case ERT_KeyObjectDoc: return "KEY OBJECT DOC";
	case ERT_Registration: return "REGISTRATION";
	case ERT_Fiducial: return "FIDUCIAL";
	case ERT_RawData: return "RAW DATA";
	case ERT_Spectroscopy: return "SPECTROSCOPY";
	case ERT_EncapDoc: return "ENCAP DOC";
	case ERT_ValueMap: return "VALUE MAP";
	case ERT_HangingProtocol: return "HANGING PROTOCOL";
	case ERT_Stereometric: return "STEREOMETRIC";
	case ERT_Palette: return "PALETTE";
	case ERT_Surface: return "SURFACE";
	case ERT_Measurement: return "MEASUREMENT";
	case ERT_Implant: return "IMPLANT";
	case ERT_ImplantGroup: return "IMPLANT GROUP";
	case ERT_ImplantAssy: return "IMPLANT ASSY";
	case ERT_SurfaceScan: return "SURFACE SCAN";
	case ERT_Tract: return "TRACT";
	case ERT_Assessment: return "ASSESSMENT";
	case ERT_Radiotherapy: return "RADIOTHERAPY";
	case ERT_Annotation: return "ANNOTATION";
	default: return "PRIVATE";
	}
}

/* One record's item, keys put in as DCMTK's own writer would. text8: a
 * key is not ASCII (struct dcm_info strings are UTF-8), so the record says
 * its character set. */
struct item_maker {
	DcmItem *it;
	bool text8 = false;

	item_maker(E_DirRecType type, uint32_t next, uint32_t lower) : it(new DcmItem(DcmTag(DCM_Item)))
	{
		DcmUnsignedLong *n = new DcmUnsignedLong(DcmTag(DCM_OffsetOfTheNextDirectoryRecord, EVR_UL));
		n->putUint32(next);
		it->insert(n);
		DcmUnsignedShort *inuse = new DcmUnsignedShort(DcmTag(DCM_RecordInUseFlag, EVR_US));
		inuse->putUint16(0xFFFF);
		it->insert(inuse);
		DcmUnsignedLong *l = new DcmUnsignedLong(DcmTag(DCM_OffsetOfReferencedLowerLevelDirectoryEntity, EVR_UL));
		l->putUint32(lower);
		it->insert(l);
		it->putAndInsertString(DCM_DirectoryRecordType, type_name(type));
	}
	item_maker(const item_maker &) = delete;
	item_maker &operator=(const item_maker &) = delete;
	~item_maker()
	{
		delete it;
	}

	void put(const DcmTagKey &k, const char *v)
	{
		if (!ascii(v))
			text8 = true;
		it->putAndInsertString(k, v);
	}

	/* The file's value, or the invented one when it has none (type 1 keys). */
	void put_or(const DcmTagKey &k, const char *v, const char *invented)
	{
		put(k, v[0] ? v : invented);
	}

	void put_int(const DcmTagKey &k, long v)
	{
		char b[24];
		snprintf(b, sizeof b, "%ld", v);
		it->putAndInsertString(k, b);
	}

	DcmItem *done()
	{
		if (text8)
			it->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
		DcmItem *r = it;
		it = nullptr;
		return r;
	}
};

/* Encode obj (explicit VR little endian, explicit lengths) with write(os),
 * handing the bytes to sink piece by piece (at most 64 KiB held); sink
 * returns false to stop. */
template <class Write, class Sink> OFCondition encode(DcmObject &obj, Write write, Sink sink)
{
	std::vector<char> chunk(64u << 10);
	DcmOutputBufferStream os(chunk.data(), (offile_off_t)chunk.size());
	obj.transferInit();
	OFCondition c;
	void *p;
	offile_off_t l;
	for (;;) {
		c = write(os);
		if (c != EC_StreamNotifyClient)
			break;
		os.flushBuffer(p, l);
		if (l > 0 && !sink((const uint8_t *)p, (size_t)l)) {
			c = EC_IllegalCall;
			break;
		}
	}
	if (c.good()) {
		os.flush();
		os.flushBuffer(p, l);
		if (l > 0 && !sink((const uint8_t *)p, (size_t)l))
			c = EC_IllegalCall;
	}
	obj.transferEnd();
	return c;
}

/* The DICOMDIR's file: meta group and the dataset up to its record sequence. */
template <class Sink> OFCondition encode_file(DcmFileFormat &ff, Sink sink)
{
	/* EWM_fileformat: keep our Media Storage SOP Class / Instance UID (the
	 * default re-creates the meta group from the dataset, which has no SOP
	 * Class UID, and would call the file "private generic"). */
	return encode(ff, [&](DcmOutputStream &os) {
		return ff.write(os, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr, EGL_withoutGL, EPD_noChange,
		                0, 0, 0, EWM_fileformat);
	}, sink);
}

template <class Sink> OFCondition encode_item(DcmItem &it, Sink sink)
{
	return encode(it, [&](DcmOutputStream &os) {
		return it.write(os, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr);
	}, sink);
}

bool write_full(int fd, const uint8_t *p, size_t n, int *err)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			*err = -errno;
			return false;
		}
		p += k;
		n -= (size_t)k;
	}
	return true;
}

int dicomdir_write_records(const char *path, const struct dcm_dir_rec *recs, size_t n, const char *fileset_id,
                           void (*refused)(void *ud, size_t idx, const char *why),
                           void (*written)(void *ud, const void *bytes, size_t len), void *ud, size_t *added)
{
	dcmtk_init();
	*added = 0;
	if (!path || (!recs && n) || !fileset_id)
		return -EINVAL;

	/* 1. Check each input and group it: patient key (as place_dicom: name |
	 * id | birth date), then Study Instance UID within the patient, then
	 * Series Instance UID within the study. Hash maps: linear in n. */
	struct grp {
		std::vector<size_t> kids; /* studies of a patient / series of a study / inputs of a series */
		size_t first;
	};
	std::vector<grp> pats, studies, series;
	std::unordered_map<std::string, size_t> pat_map, study_map, series_map;
	std::vector<E_DirRecType> type(n, ERT_Image);
	std::vector<std::string> fids(n);
	auto refuse = [&](size_t i, const std::string &why) {
		if (refused)
			refused(ud, i, why.c_str());
	};
	for (size_t i = 0; i < n; i++) {
		const struct dcm_info *d = recs[i].info;
		if (!d || !recs[i].file_id) {
			refuse(i, "no DICOM header");
			continue;
		}
		fids[i] = dicom_file_id(recs[i].file_id);
		if (fids[i].empty()) {
			refuse(i, std::string("not a PS3.10 file id: ") + recs[i].file_id);
			continue;
		}
		if (!d->sop_class_uid[0] || !d->sop_instance_uid[0]) {
			refuse(i, "SOP Class or SOP Instance UID missing");
			continue;
		}
		if (!d->study_uid[0] || !d->series_uid[0]) {
			refuse(i, "Study or Series Instance UID missing");
			continue;
		}
		if (!record_type_of(d->sop_class_uid, &type[i])) {
			refuse(i, std::string("SOP class ") + d->sop_class_uid +
			                  " has no DICOMDIR record type (not a known storage SOP class)");
			continue;
		}
		std::string pk = std::string(d->patient_name) + '|' + d->patient_id + '|' + d->patient_birth_date;
		auto pi = pat_map.emplace(pk, pats.size());
		if (pi.second)
			pats.push_back(grp{ {}, i });
		size_t p = pi.first->second;
		std::string sk = std::to_string(p) + '|' + d->study_uid;
		auto si = study_map.emplace(sk, studies.size());
		if (si.second) {
			studies.push_back(grp{ {}, i });
			pats[p].kids.push_back(studies.size() - 1);
		}
		size_t s = si.first->second;
		std::string rk = std::to_string(s) + '|' + d->series_uid;
		auto ri = series_map.emplace(rk, series.size());
		if (ri.second) {
			series.push_back(grp{ {}, i });
			studies[s].kids.push_back(series.size() - 1);
		}
		series[ri.first->second].kids.push_back(i);
		(*added)++;
	}
	if (*added == 0)
		return 0;
	pat_map.clear();
	study_map.clear();
	series_map.clear();

	/* 2. Records in pre-order (the order of the Directory Record Sequence):
	 * the tree as indices only. */
	std::vector<dnode> nodes;
	if (pats.size() + studies.size() + series.size() + *added >= UINT32_MAX)
		return -E2BIG;
	nodes.reserve(pats.size() + studies.size() + series.size() + *added);
	std::vector<uint32_t> roots;
	auto push = [&](E_DirRecType t, size_t idx, uint32_t *prev, uint32_t parent) {
		uint32_t me = (uint32_t)nodes.size();
		nodes.push_back(dnode{ t, (uint32_t)idx });
		if (*prev != UINT32_MAX)
			nodes[*prev].next = me;
		else if (parent != UINT32_MAX)
			nodes[parent].lower = me;
		*prev = me;
		return me;
	};
	uint32_t prev_p = UINT32_MAX;
	for (size_t p = 0; p < pats.size(); p++) {
		uint32_t pn = push(ERT_Patient, p, &prev_p, UINT32_MAX), prev_s = UINT32_MAX;
		roots.push_back(pn);
		for (size_t st : pats[p].kids) {
			uint32_t sn = push(ERT_Study, st, &prev_s, pn), prev_q = UINT32_MAX;
			for (size_t q : studies[st].kids) {
				uint32_t qn = push(ERT_Series, q, &prev_q, sn), prev_i = UINT32_MAX;
				for (size_t i : series[q].kids)
					push(type[i], i, &prev_i, qn);
			}
		}
	}

	/* One record's item. Called over the records in pre-order (twice: to
	 * measure, then to write), so the running values (the study's date for
	 * its instances, series and instance numbers) come out the same.
	 * Type 1 keys missing in a file are invented as DCMTK's invent mode
	 * (dcmmkdir +I) does:
	 *   PatientID        "ING" + 16 hex digits of a hash of the patient key
	 *                    (DCMTK: "DCMTKPAT" + a counter; a hash keeps it
	 *                    stable across runs)
	 *   StudyDate        the file's Series Date, else Content Date, else
	 *                    "19000101"
	 *   StudyTime        the file's Content Time, else "000000"
	 *   StudyID          "STUDY" + the study's number in this DICOMDIR
	 *                    (DCMTK: "DCMTKSTUDY" + a counter)
	 *   Modality         "OT"
	 *   SeriesNumber     a running number over the DICOMDIR (as DCMTK)
	 *   InstanceNumber   the file's position in its series, from 1
	 *   ContentDate/Time the study's date and time (SR, KO, ENCAP DOC,
	 *                    PRESENTATION creation date/time)
	 *   CompletionFlag "PARTIAL", VerificationFlag "UNVERIFIED" (SR),
	 *   ContentLabel "UNNAMED" (PRESENTATION)
	 * The file's PatientName, StudyDescription and AccessionNumber (type 2)
	 * are written as they are, empty if absent. */
	struct cursor {
		const char *date = "", *time = "";   /* the current study's */
		long series_no = 0, pos = 0;
	};
	auto offset_of = [&](uint32_t k) { return k == UINT32_MAX ? 0u : nodes[k].off; };
	auto make = [&](const dnode &nd, cursor &cur) -> DcmItem * {
		item_maker m(nd.type, offset_of(nd.next), offset_of(nd.lower));
		switch (nd.type) {
		case ERT_Patient: {
			const struct dcm_info *pd = recs[pats[nd.idx].first].info;
			m.put(DCM_PatientName, pd->patient_name);
			char pid[24];
			std::string pk = std::string(pd->patient_name) + '|' + pd->patient_id + '|' + pd->patient_birth_date;
			snprintf(pid, sizeof pid, "ING%016llX", (unsigned long long)fnv1a(pk));
			m.put_or(DCM_PatientID, pd->patient_id, pid);
			return m.done();
		}
		case ERT_Study: {
			const struct dcm_info *sd = recs[studies[nd.idx].first].info;
			cur.date = sd->study_date[0] ? sd->study_date
			           : sd->series_date[0] ? sd->series_date
			           : sd->content_date[0] ? sd->content_date : "19000101";
			cur.time = sd->study_time[0] ? sd->study_time : sd->content_time[0] ? sd->content_time : "000000";
			m.put(DCM_StudyDate, cur.date);
			m.put(DCM_StudyTime, cur.time);
			m.put(DCM_AccessionNumber, sd->accession);
			m.put(DCM_StudyDescription, sd->study_description);
			m.put(DCM_StudyInstanceUID, sd->study_uid);
			char sid[24];
			snprintf(sid, sizeof sid, "STUDY%u", nd.idx + 1);
			m.put_or(DCM_StudyID, sd->study_id, sid);
			return m.done();
		}
		case ERT_Series: {
			const struct dcm_info *qd = recs[series[nd.idx].first].info;
			cur.series_no++;
			cur.pos = 0;
			m.put_or(DCM_Modality, qd->modality, "OT");
			m.put(DCM_SeriesInstanceUID, qd->series_uid);
			m.put_int(DCM_SeriesNumber, qd->has_series_number ? (long)qd->series_number : cur.series_no);
			return m.done();
		}
		default:
			break;
		}
		const struct dcm_info *d = recs[nd.idx].info;
		cur.pos++;
		m.it->putAndInsertString(DCM_ReferencedFileID, fids[nd.idx].c_str());
		m.it->putAndInsertString(DCM_ReferencedSOPClassUIDInFile, d->sop_class_uid);
		m.it->putAndInsertString(DCM_ReferencedSOPInstanceUIDInFile, d->sop_instance_uid);
		m.it->putAndInsertString(DCM_ReferencedTransferSyntaxUIDInFile, d->transfer_syntax);
		m.put_int(DCM_InstanceNumber, d->has_instance_number ? (long)d->instance_number : cur.pos);
		const char *cdate = d->content_date[0] ? d->content_date : cur.date;
		const char *ctime = d->content_time[0] ? d->content_time : cur.time;
		switch (nd.type) {
		case ERT_SRDocument:
			m.put(DCM_ContentDate, cdate);
			m.put(DCM_ContentTime, ctime);
			m.put_or(DCM_CompletionFlag, d->completion_flag, "PARTIAL");
			m.put_or(DCM_VerificationFlag, d->verification_flag, "UNVERIFIED");
			break;
		case ERT_KeyObjectDoc:
			m.put(DCM_ContentDate, cdate);
			m.put(DCM_ContentTime, ctime);
			break;
		case ERT_EncapDoc:
			m.put(DCM_ContentDate, d->content_date);
			m.put(DCM_ContentTime, d->content_time);
			m.put(DCM_DocumentTitle, "");
			m.put(DCM_MIMETypeOfEncapsulatedDocument, mime_of(d->sop_class_uid));
			m.it->insertEmptyElement(DCM_ConceptNameCodeSequence);
			break;
		case ERT_Presentation:
			m.put(DCM_PresentationCreationDate, cdate);
			m.put(DCM_PresentationCreationTime, ctime);
			m.put_or(DCM_ContentLabel, d->content_label, "UNNAMED");
			m.put(DCM_ContentDescription, "");
			m.put(DCM_ContentCreatorName, "");
			break;
		default:
			if (d->content_date[0])
				m.put(DCM_ContentDate, d->content_date);
			if (d->content_time[0])
				m.put(DCM_ContentTime, d->content_time);
			break;
		}
		return m.done();
	};

	/* 3. Measure each record (offsets are 4-byte UL: their values do not
	 * change a length). */
	cursor c1;
	uint64_t sum = 0;
	for (dnode &nd : nodes) {
		std::unique_ptr<DcmItem> it(make(nd, c1));
		nd.len = it->calcElementLength(EXS_LittleEndianExplicit, EET_ExplicitLength);
		sum += nd.len;
	}

	/* 4. The head of the file: meta group, File-set identification, root
	 * offsets, and the Directory Record Sequence's own header, its length
	 * left 0 (the sequence is the last element: its header is the last 12
	 * bytes, the length the last 4) and set to the records' sum below. */
	DcmFileFormat ff;
	DcmMetaInfo *meta = ff.getMetaInfo();
	DcmDataset *ds = ff.getDataset();
	char uid[100];
	meta->putAndInsertString(DCM_MediaStorageSOPClassUID, UID_MediaStorageDirectoryStorage);
	meta->putAndInsertString(DCM_MediaStorageSOPInstanceUID, dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
	ds->putAndInsertString(DCM_FileSetID, fileset_id);
	DcmUnsignedLong *first = new DcmUnsignedLong(DcmTag(DCM_OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity, EVR_UL));
	DcmUnsignedLong *last = new DcmUnsignedLong(DcmTag(DCM_OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity, EVR_UL));
	first->putUint32(0);
	last->putUint32(0);
	ds->insert(first);
	ds->insert(last);
	ds->putAndInsertUint16(DCM_FileSetConsistencyFlag, 0);
	ds->insert(new DcmSequenceOfItems(DCM_DirectoryRecordSequence));
	std::vector<uint8_t> head;
	auto to_head = [&](const uint8_t *p, size_t l) {
		head.insert(head.end(), p, p + l);
		return true;
	};
	if (encode_file(ff, to_head).bad())
		return -EIO;
	uint64_t head_len = head.size();
	if (head_len + sum > 0xFFFFFFFFull)
		return -EIO;  /* offsets are 32-bit: a DICOMDIR over 4 GiB cannot be written */
	uint64_t off = head_len;
	for (dnode &nd : nodes) {
		nd.off = (uint32_t)off;
		off += nd.len;
	}
	first->putUint32(nodes[roots.front()].off);
	last->putUint32(nodes[roots.back()].off);
	head.clear();
	static const uint8_t sq_head[12] = { 0x04, 0x00, 0x20, 0x12, 'S', 'Q', 0, 0, 0, 0, 0, 0 };
	if (encode_file(ff, to_head).bad() || head.size() != head_len || head_len < 12 ||
	    memcmp(head.data() + head_len - 12, sq_head, 12) != 0)
		return -EIO;
	for (int k = 0; k < 4; k++)
		head[head_len - 4 + k] = (uint8_t)(sum >> (8 * k));

	/* 5. Write: the head, then each record made again with its offsets,
	 * checked to have the length it was placed with. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int err = 0;
	uint64_t pos = 0;
	auto out = [&](const uint8_t *p, size_t l) {
		if (!write_full(fd, p, l, &err))
			return false;
		if (written)
			written(ud, p, l);
		pos += l;
		return true;
	};
	bool ok = out(head.data(), head.size());
	cursor c2;
	try {
		for (size_t k = 0; ok && k < nodes.size(); k++) {
			std::unique_ptr<DcmItem> it(make(nodes[k], c2));
			uint64_t at = pos;
			ok = encode_item(*it, out).good() && pos - at == nodes[k].len && at == nodes[k].off;
		}
	} catch (...) {
		/* out of memory part-way: no half-written DICOMDIR left behind */
		close(fd);
		unlink(path);
		throw;
	}
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err == 0 && (!ok || pos != head_len + sum))
		err = -EIO;
	if (err < 0) {
		unlink(path);
		return err;
	}
	return 0;
}

} // namespace

extern "C" int dcm_dicomdir_write_records(const char *path, const struct dcm_dir_rec *recs, size_t n,
                                          const char *fileset_id,
                                          void (*refused)(void *ud, size_t idx, const char *why),
                                          void (*written)(void *ud, const void *bytes, size_t len), void *ud,
                                          size_t *added)
{
	size_t a = 0;
	int r;
	try {
		r = dicomdir_write_records(path, recs, n, fileset_id, refused, written, ud, &a);
	} catch (const std::bad_alloc &) {
		r = -ENOMEM;
	} catch (...) {
		r = -EIO;
	}
	if (added)
		*added = r == 0 ? a : 0;
	return r;
}
