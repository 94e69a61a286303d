/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DCMTK wrapper, reading: dcm_read_header() and dcm_dicomdir_list()
 * (with dcm-dicomdir.cc, which writes DICOMDIRs, the only C++ in ingestd).
 *
 * Two passes over a prefix of the object:
 *  1. our own structural walk (dcm-walk.c, in C): Part 10 preamble and meta
 *     group, transfer syntax detection, every element header up to Pixel
 *     Data, nested sequences/items checked against their containers, Pixel
 *     Data length (or its fragment items) checked against the object's size.
 *     This decides OK / TRUNCATED / CORRUPT / NOT_DICOM / NEED_MORE and finds
 *     the offsets, without trusting a single length.
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
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcbytstr.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
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

/* Has the value of K spaces or NULs around it, as a reader that takes the
 * value as DCMTK gives it (or an element with VR UN as its raw bytes) sees
 * it? DCMTK drops the trailing spaces of a string VR, never those of UN. */
bool text_padded(DcmItem &it, const DcmTagKey &k)
{
	DcmElement *el = nullptr;
	if (it.findAndGetElement(k, el).bad() || !el)
		return false;
	std::string s;
	if (el->ident() == EVR_UN) {
		Uint8 *raw = nullptr;
		if (el->getUint8Array(raw).bad() || !raw)
			return false;
		s.assign((const char *)raw, el->getLength());
	} else {
		OFString v;
		if (el->getOFStringArray(v).bad())
			return false;
		s.assign(v.c_str(), v.length());
	}
	return trim(s).size() != s.size();
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
                 struct dcm_notes *warnings, std::string *keys)
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
	out->patient_id_padded = text_padded(ds, DCM_PatientID);
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
	/* the keys of its DICOMDIR record, while the data set is in hand */
	*keys = dcm_record_keys(ds, dcm_record_type(out->sop_class_uid));
	out->dir_keys = (const uint8_t *)keys->data();
	out->dir_keys_len = keys->size();
}

enum dcm_status read_fat(const void *buf, size_t len, uint64_t total, fat_info *out, std::string *keys)
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
		fill_fields(ds, a, out, &a.warnings, keys);
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
	std::string keys;
	read_fat(buf, len, total, f.get(), &keys);
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
		size_t avail = len - (size_t)(a.ds - (const uint8_t *)buf);
		a.ds_len = std::min(std::max(a.ds_len, a.ds_whole_len), avail);   /* never past the buffer */
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

enum dcm_status dcm_dataset_read(const void *buf, size_t len, uint64_t total, DcmDataset &ds)
{
	dcmtk_init();
	std::unique_ptr<fat_info> info(new fat_info());
	walk w;
	if (!buf || len == 0)
		return DCM_NOT_DICOM;
	w.analyse((const uint8_t *)buf, len, total, info.get());
	if (w.a.status != DCM_OK && w.a.status != DCM_WARN)
		return w.a.status;
	if (read_dataset(w.a, ds).bad())
		return DCM_CORRUPT;
	return w.a.status;
}

void dcmtk_init(void)
{
	static std::once_flag once;
	std::call_once(once, [] {
		OFLog::configure(OFLogger::OFF_LOG_LEVEL);
		OFLog::getLogger("dcmtk").setLogLevel(OFLogger::OFF_LOG_LEVEL);
	});
}

void dcmtk_codecs_init(void)
{
	static std::once_flag once;
	std::call_once(once, [] {
		dcmtk_init();
		DJDecoderRegistration::registerCodecs();     /* JPEG baseline, extended, lossless */
		DJLSDecoderRegistration::registerCodecs();   /* JPEG-LS */
		DcmRLEDecoderRegistration::registerCodecs(); /* RLE */
	});
}

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
