/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DCMTK wrapper, documents inside DICOM objects: dcm_read_document()
 * (dcm.h). An Encapsulated PDF gives its PDF's bytes, for the same confined
 * extractor as any PDF (documents.c); a text SR gives its content tree as
 * text, in document order, with the concept names ("Findings: ..."), for the
 * same findings as any text. The data set is the one dcm_read_header() reads
 * (dcm_dataset_read(): only bytes the structural walk verified); the tree is
 * walked by hand with DcmItem rather than DSRDocument, which refuses trees
 * that break a template, and a report's text is worth reading even then.
 */
#include "dcm-private.h"

#include <cerrno>
#include <cstring>
#include <new>
#include <string>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

namespace {

std::string trim(const std::string &s)
{
	size_t b = 0, e = s.size();
	while (b < e && (s[b] == ' ' || s[b] == '\0'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\0' || s[e - 1] == '\r' || s[e - 1] == '\n'))
		e--;
	return s.substr(b, e - b);
}

/* A string value (all of its values, '\' between them), trimmed; "" when absent. */
std::string str(DcmItem &it, const DcmTagKey &k)
{
	DcmElement *el = nullptr;
	OFString s;
	if (it.findAndGetElement(k, el, OFFalse).bad() || !el || !el->isaString() || el->getOFStringArray(s).bad())
		return std::string();
	return trim(std::string(s.c_str(), s.length()));
}

/* The Code Meaning of the first item of a code sequence (a concept's name). */
std::string code_meaning(DcmItem &it, const DcmTagKey &seq)
{
	DcmItem *c = nullptr;
	if (it.findAndGetSequenceItem(seq, c, 0).bad() || !c)
		return std::string();
	std::string m = str(*c, DCM_CodeMeaning);
	return m.empty() ? str(*c, DCM_CodeValue) : m;
}

/* The text SR classes: reports written by people (PS3.4 B.5). Dose, CAD and
 * other measurement SRs are machine data, not read as documents. */
bool text_sr(const std::string &uid)
{
	static const char *const classes[] = {
		"1.2.840.10008.5.1.4.1.1.88.11",   /* Basic Text SR */
		"1.2.840.10008.5.1.4.1.1.88.22",   /* Enhanced SR */
		"1.2.840.10008.5.1.4.1.1.88.33",   /* Comprehensive SR */
		"1.2.840.10008.5.1.4.1.1.88.34",   /* Comprehensive 3D SR */
		"1.2.840.10008.5.1.4.1.1.88.35",   /* Extensible SR */
	};
	for (const char *c : classes)
		if (uid == c)
			return true;
	return false;
}

/* The text of an SR's content tree, bounded. */
struct sr_text {
	std::string out;
	size_t max;
	unsigned items = 0;
	bool truncated = false;      /* a bound cut something off */
	bool stop = false;           /* bytes or items used up: nothing more is read */

	bool full() const
	{
		return stop;
	}
	void add(const std::string &s)
	{
		if (stop)
			return;
		if (out.size() + s.size() > max) {
			/* cut on a UTF-8 boundary */
			size_t n = max - out.size();
			while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
				n--;
			out.append(s, 0, n);
			truncated = stop = true;
			return;
		}
		out += s;
	}
	void line(const std::string &name, const std::string &value)
	{
		if (value.empty())
			return;
		if (++items > DCM_SR_MAX_ITEMS) {
			truncated = stop = true;
			return;
		}
		add(name.empty() ? value : name + ": " + value);
		add("\n");
	}
	void heading(const std::string &name)
	{
		if (name.empty())
			return;
		if (!out.empty())
			add("\n");
		add(name);
		add("\n");
	}
};

/* A NUM item's value: "12 mm" (the units' code value is UCUM, shorter than
 * its meaning; "1" means no unit). */
std::string num_value(DcmItem &it)
{
	DcmItem *mv = nullptr;
	if (it.findAndGetSequenceItem(DCM_MeasuredValueSequence, mv, 0).bad() || !mv)
		return std::string();
	std::string v = str(*mv, DCM_NumericValue);
	DcmItem *u = nullptr;
	if (!v.empty() && mv->findAndGetSequenceItem(DCM_MeasurementUnitsCodeSequence, u, 0).good() && u) {
		std::string unit = str(*u, DCM_CodeValue);
		if (unit.empty())
			unit = str(*u, DCM_CodeMeaning);
		if (!unit.empty() && unit != "1")
			v += " " + unit;
	}
	return v;
}

void walk_items(DcmItem &parent, unsigned depth, sr_text &t)
{
	DcmSequenceOfItems *cs = nullptr;
	if (parent.findAndGetSequence(DCM_ContentSequence, cs, OFFalse).bad() || !cs)
		return;
	if (depth >= DCM_SR_MAX_DEPTH) {
		t.truncated = true;     /* this branch only: its siblings are read */
		return;
	}
	for (unsigned long i = 0; i < cs->card() && !t.full(); i++) {
		DcmItem *it = cs->getItem(i);
		if (!it)
			continue;
		std::string vt = str(*it, DCM_ValueType);
		std::string name = code_meaning(*it, DCM_ConceptNameCodeSequence);
		if (vt == "CONTAINER") {
			t.heading(name);
			walk_items(*it, depth + 1, t);
			continue;
		}
		if (vt == "TEXT")
			t.line(name, str(*it, DCM_TextValue));
		else if (vt == "CODE")
			t.line(name, code_meaning(*it, DCM_ConceptCodeSequence));
		else if (vt == "NUM")
			t.line(name, num_value(*it));
		else if (vt == "DATE")
			t.line(name, str(*it, DCM_Date));
		else if (vt == "TIME")
			t.line(name, str(*it, DCM_Time));
		else if (vt == "DATETIME")
			t.line(name, str(*it, DCM_DateTime));
		/* PNAME (observers: names stay out of the text), UIDREF,
		 * COMPOSITE, IMAGE, WAVEFORM, SCOORD, TCOORD: nothing to read.
		 * Items under any of them (HAS PROPERTIES, HAS CONCEPT MOD) are. */
		walk_items(*it, depth + 1, t);
	}
}

int read_document(const void *buf, size_t len, uint64_t total, uint64_t max_bytes, struct dcm_document *out)
{
	DcmDataset ds;
	enum dcm_status st = dcm_dataset_read(buf, len, total, ds);
	if (st != DCM_OK && st != DCM_WARN)
		return -EBADMSG;
	std::string sop = str(ds, DCM_SOPClassUID);

	if (sop == "1.2.840.10008.5.1.4.1.1.104.1") {
		std::string mime = str(ds, DCM_MIMETypeOfEncapsulatedDocument);
		if (!mime.empty() && mime != "application/pdf")
			return -ENODATA;
		DcmElement *el = nullptr;
		Uint8 *p = nullptr;
		if (ds.findAndGetElement(DCM_EncapsulatedDocument, el, OFFalse).bad() || !el ||
		    el->getUint8Array(p).bad() || !p || el->getLength() == 0)
			return -ENODATA;
		size_t n = el->getLength();
		/* the value is padded to an even length; the PDF's own length when given */
		Uint32 declared = 0;
		if (ds.findAndGetUint32(DCM_EncapsulatedDocumentLength, declared).good() && declared > 0 &&
		    declared <= n)
			n = declared;
		if (n > max_bytes)
			return -E2BIG;
		out->bytes = (uint8_t *)malloc(n + 1);
		if (!out->bytes)
			return -ENOMEM;
		memcpy(out->bytes, p, n);
		out->bytes[n] = 0;
		out->len = n;
		out->type = DCM_DOC_PDF;
		return 0;
	}
	if (!text_sr(sop))
		return -ENODATA;
	/* Text values in the data set's character set, read as UTF-8; a set
	 * DCMTK cannot convert leaves the bytes as they are, for the text
	 * reader's own decoding (documents.c reads the text as any text file). */
	std::string cs = str(ds, DCM_SpecificCharacterSet);
	if (!cs.empty() && cs != "ISO_IR 192" && cs != "ISO_IR 6")
		(void)ds.convertCharacterSet("ISO_IR 192", 0);
	sr_text t;
	t.max = max_bytes > (uint64_t)SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)max_bytes;
	/* the root's name is the document's title ("Imaging Report") */
	t.heading(code_meaning(ds, DCM_ConceptNameCodeSequence));
	walk_items(ds, 0, t);
	if (t.items == 0)
		return -ENODATA;
	out->bytes = (uint8_t *)malloc(t.out.size() + 1);
	if (!out->bytes)
		return -ENOMEM;
	memcpy(out->bytes, t.out.data(), t.out.size());
	out->bytes[t.out.size()] = 0;
	out->len = t.out.size();
	out->type = DCM_DOC_TEXT;
	out->truncated = t.truncated;
	out->items = t.items > DCM_SR_MAX_ITEMS ? DCM_SR_MAX_ITEMS : t.items;
	return 0;
}

} // namespace

extern "C" int dcm_read_document(const void *buf, size_t len, uint64_t total, uint64_t max_bytes,
                                 struct dcm_document *out)
{
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof *out);
	try {
		int r = read_document(buf, len, total, max_bytes, out);
		if (r < 0)
			dcm_document_release(out);
		return r;
	} catch (const std::bad_alloc &) {
		dcm_document_release(out);
		return -ENOMEM;
	} catch (...) {
		dcm_document_release(out);
		return -EBADMSG;
	}
}

extern "C" void dcm_document_release(struct dcm_document *d)
{
	if (!d)
		return;
	free(d->bytes);
	memset(d, 0, sizeof *d);
}
