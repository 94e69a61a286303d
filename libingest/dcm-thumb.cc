/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DCMTK wrapper for pictures (dcm-thumb.h): DCMTK's dcmimage renders one
 * frame of an image, windowed and scaled, to 8-bit pixels. Runs only in the
 * confined thumbnail child (thumbs.c), never in the scan or the report's own
 * process: it decodes untrusted pixel data. The image's size is checked
 * against the caller's pixel cap before DicomImage decodes anything.
 * No C++ type or exception crosses the C header: everything is caught.
 */
#include "dcm-private.h"
#include "dcm-thumb.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmimage/diregist.h>   /* colour images (DicomImage's plug-in for RGB, YBR, palette) */
#include <dcmtk/dcmimgle/dcmimage.h>

namespace {

void say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void say(char *why, size_t cap, const char *fmt, ...)
{
	if (!why || !cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

uint64_t get_u16(DcmItem &ds, const DcmTagKey &k, uint64_t dflt)
{
	Uint16 v = 0;
	return ds.findAndGetUint16(k, v).good() ? v : dflt;
}

int render(const void *buf, size_t len, unsigned max_side, uint64_t max_pixels, struct dcm_thumb_img *out,
           char *why, size_t cap)
{
	dcmtk_codecs_init();
	/* Our structural walk first (dcm-walk.c, as for every header): DCMTK
	 * allocates a value's declared length before it looks at what the
	 * stream holds, so it sees only objects whose lengths are checked, and
	 * only up to the end of a pixel data of defined length (what follows
	 * is not needed for a picture). */
	struct dcm_info info = {};
	enum dcm_status hs = dcm_read_header(buf, len, len, &info);
	bool usable = hs == DCM_OK || hs == DCM_WARN;
	/* A VR the walk does not know it reads with the 4-byte length of PS3.5
	 * 7.1.2; DCMTK may read it otherwise, and then sees lengths the walk
	 * never checked (fuzz-thumb: a 3.7 GB allocation). No picture then. */
	bool unknown_vr = hs == DCM_WARN && info.message && strstr(info.message, "unknown VR");
	if (usable && info.has_pixel_data && info.pixel_data_length != UINT64_MAX &&
	    info.pixel_data_offset + info.pixel_data_length <= len)
		len = (size_t)(info.pixel_data_offset + info.pixel_data_length);
	if (!usable)
		say(why, cap, "the file is %s", hs == DCM_TRUNCATED ? "cut short" : hs == DCM_NOT_DICOM ? "not DICOM"
		                                : "damaged");
	bool pixels = info.has_pixel_data;
	dcm_info_release(&info);
	if (!usable)
		return -EBADMSG;
	if (unknown_vr) {
		say(why, cap, "the file holds a value type the image reader does not know");
		return -EBADMSG;
	}
	if (!pixels) {
		say(why, cap, "the object holds no image (no pixel data)");
		return -ENODATA;
	}
	DcmFileFormat ff;
	DcmInputBufferStream is;
	is.setBuffer(buf, (offile_off_t)len);
	is.setEos();
	ff.transferInit();
	OFCondition c = ff.read(is, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
	ff.transferEnd();
	if (c.bad() && c != EC_EndOfStream) {
		say(why, cap, "the file cannot be read as DICOM (%s)", c.text());
		return -EBADMSG;
	}
	DcmDataset *ds = ff.getDataset();
	if (!ds || !ds->tagExists(DCM_PixelData)) {
		say(why, cap, "the object holds no image (no pixel data)");
		return -ENODATA;
	}
	E_TransferSyntax xfer = ds->getOriginalXfer();
	uint64_t rows = get_u16(*ds, DCM_Rows, 0), cols = get_u16(*ds, DCM_Columns, 0);
	uint64_t spp = get_u16(*ds, DCM_SamplesPerPixel, 1);
	long frames = 1;
	Sint32 nf = 0;
	if (ds->findAndGetSint32(DCM_NumberOfFrames, nf).good() && nf > 1)
		frames = nf;
	if (rows == 0 || cols == 0) {
		say(why, cap, "the image has no size (rows or columns missing)");
		return -ENODATA;
	}
	bool compressed = DcmXfer(xfer).isEncapsulated() != OFFalse;
	/* A compressed object is expanded whole by its decoder; a native one is
	 * read frame by frame. */
	uint64_t samples = rows * cols * (spp ? spp : 1) * (compressed ? (uint64_t)frames : 1);
	if (samples > max_pixels) {
		say(why, cap, "the image is too large to preview (%llu x %llu pixels%s; the limit is %llu million samples)",
		    (unsigned long long)cols, (unsigned long long)rows,
		    compressed && frames > 1 ? ", every frame compressed together" : "",
		    (unsigned long long)(max_pixels / 1000000));
		return -E2BIG;
	}
	unsigned long mid = (unsigned long)(frames / 2);
	std::unique_ptr<DicomImage> img(new DicomImage(ds, xfer, CIF_MayDetachPixelData, mid, 1));
	EI_Status st = img->getStatus();
	if (st != EIS_Normal) {
		switch (st) {
		case EIS_NotSupportedValue:
			say(why, cap, "the image is stored in a form the viewer cannot show");
			return -ENODATA;
		case EIS_MemoryFailure:
			say(why, cap, "out of memory rendering the image");
			return -ENOMEM;
		case EIS_MissingAttribute:
			/* also what a pixel data its decoder gave up on looks like */
			say(why, cap, "the pixel data could not be decoded (damaged, or a value the image needs is missing)");
			return -EBADMSG;
		default:
			say(why, cap, "the pixel data is damaged and could not be decoded");
			return -EBADMSG;
		}
	}
	const char *win = "as stored (colour)";
	if (img->isMonochrome()) {
		if (img->getWindowCount() > 0 && img->setWindow(0)) {
			win = "its own window";
		} else if (img->getVoiLutCount() > 0 && img->setVoiLut(0)) {
			win = "its own VOI LUT";
		} else if (img->setHistogramWindow(0.01)) {
			win = "histogram (1st to 99th percentile)";
		} else if (img->setMinMaxWindow(0)) {
			win = "min-max";
		}
	}
	unsigned long w = img->getWidth(), h = img->getHeight();
	if (w == 0 || h == 0) {
		say(why, cap, "the image has no size");
		return -ENODATA;
	}
	unsigned long tw = w, th = h;
	if (w > max_side || h > max_side) {
		if (w >= h) {
			tw = max_side;
			th = h * max_side / w;
		} else {
			th = max_side;
			tw = w * max_side / h;
		}
		tw = tw ? tw : 1;
		th = th ? th : 1;
	}
	std::unique_ptr<DicomImage> small;
	DicomImage *use = img.get();
	if (tw != w || th != h) {
		/* interpolation 1: DCMTK's pbmplus scaler, which averages the
		 * pixels each output pixel covers (3 and 4 are for magnifying) */
		small.reset(img->createScaledImage(tw, th, 1, 0));
		if (!small || small->getStatus() != EIS_Normal) {
			say(why, cap, "DCMTK could not scale this image");
			return -ENODATA;
		}
		use = small.get();
	}
	unsigned channels = use->isMonochrome() ? 1 : 3;
	size_t n = (size_t)tw * th * channels;
	if (use->getOutputDataSize(8) != n) {
		say(why, cap, "DCMTK gave an unexpected picture size");
		return -ENODATA;
	}
	uint8_t *px = (uint8_t *)malloc(n);
	if (!px) {
		say(why, cap, "out of memory");
		return -ENOMEM;
	}
	if (!use->getOutputData(px, n, 8, 0, 0)) {
		free(px);
		say(why, cap, "DCMTK could not render the pixels");
		return -ENODATA;
	}
	out->pixels = px;
	out->width = (unsigned)tw;
	out->height = (unsigned)th;
	out->channels = channels;
	snprintf(out->window, sizeof out->window, "%s", win);
	return 0;
}

} // namespace

extern "C" int dcm_thumb_render(const void *buf, size_t len, unsigned max_side, uint64_t max_pixels,
                                struct dcm_thumb_img *out, char *why, size_t cap)
{
	if (why && cap)
		why[0] = '\0';
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof *out);
	if (!buf || !len || !max_side) {
		say(why, cap, "nothing to render");
		return -EINVAL;
	}
	try {
		return render(buf, len, max_side, max_pixels, out, why, cap);
	} catch (const std::bad_alloc &) {
		say(why, cap, "out of memory rendering the image");
		return -ENOMEM;
	} catch (...) {
		say(why, cap, "DCMTK failed on this image");
		return -EBADMSG;
	}
}

extern "C" void dcm_thumb_prepare(void)
{
	try {
		dcmtk_codecs_init();
		dcmDataDict.rdlock();
		dcmDataDict.rdunlock();
	} catch (...) {
	}
}

extern "C" void dcm_thumb_release(struct dcm_thumb_img *out)
{
	if (out) {
		free(out->pixels);
		out->pixels = NULL;
	}
}
