# SPDX-License-Identifier: GPL-3.0-or-later
"""Test inputs for the confined document extractor, made at test time.

    gen.py KIND PATH

KIND: text-pdf, image-pdf, lab-jpeg, lab-jpeg-rot90, lab-jpeg-rot180, ru-jpeg,
zh-jpeg, zh-mixed-jpeg, zh-mixed2-jpeg, table-pdf, ar-table-pdf, utf8, utf16le, utf16be, utf16-nobom, cp1252, garbage,
encrypted-pdf, fault-pdf, big, png-bomb, png-huge, mixed-pdf, long-text.
PDFs come from fixtures/pdfgen.py (table-pdf from layoutpdf.py); the lab
sheets are drawn with Pillow and a DejaVu (Chinese: WenQuanYi) font, tilted
and speckled so OCR has real work to do.
"""

import hashlib
import io
import os
import random
import sys

ROOT = os.environ.get("INGEST_SOURCE_ROOT",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import pdfgen  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT_CJK = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

LAB_LINES = [
    ("LABORATORY REPORT", True),
    ("Patient ID: 000-TEST-0001", False),
    ("Collected: 2024-03-14", False),
    ("", False),
    ("Test              Result      Units", True),
    ("CEA               4.2         ng/mL", False),
    ("CA 19-9           31          U/mL", False),
    ("Haemoglobin       12.1        g/dL", False),
    ("Platelets         245         10^9/L", False),
    ("Creatinine        0.9         mg/dL", False),
]

# A Russian blood count and a Chinese pathology report: OCR must pick the
# languages from the script it sees (the caller names none).
RU_LINES = [
    ("ОБЩИЙ АНАЛИЗ КРОВИ", True),
    ("Пациент: Иванова Мария Петровна", False),
    ("Дата взятия: 14.03.2024", False),
    ("", False),
    ("Показатель        Результат   Единицы", True),
    ("Гемоглобин        121         г/л", False),
    ("Тромбоциты        245         10^9/л", False),
    ("Лейкоциты         6,2         10^9/л", False),
    ("Креатинин         78          мкмоль/л", False),
]

ZH_LINES = [
    ("病理诊断报告", True),
    ("姓名：王丽  性别：女  年龄：52岁", False),
    ("送检标本：左乳肿物穿刺活检", False),
    ("", False),
    ("病理诊断：浸润性导管癌，组织学分级二级", False),
    ("免疫组化结果：雌激素受体阳性，孕激素受体阴性", False),
    ("人表皮生长因子受体二阴性，增殖指数百分之二十", False),
]

# Short Chinese reports of marker names: Latin names read well in any script's
# languages and OSD is no judge of such a page (the first: Cyrillic at about 3,
# the second: Japanese, no script of ours); the best reading must win.
ZH_MIXED_LINES = [
    ("病理诊断报告", True),
    ("(胃窦) 腺癌。", False),
    ("免疫组化：HER2(2+)，MLH1(+)，PMS2(+)，MSH2(+)，MSH6(+)，", False),
    ("PD-L1 (22C3) CPS=10，Ki-67 (60%)。", False),
    ("原位杂交：EBER(-)。", False),
]
ZH_MIXED2_LINES = [
    ("肿瘤医院 病理科", True),
    ("免疫组化：ER(-)，PR(-)，HER2(3+)，Ki-67(40%)，", False),
    ("CK7(+)，CK20(-)，TTF-1(-)，GATA3(+)，AR(+)。", False),
]

TEXT = "Pathology report\nHämoglobin 12,1 g/dL – ER positive (90 %)\n€ 5 ≥ 3\n病理报告\n"


def lab_sheet_jpeg(rotate90=False, dpi=200, lines=None, font=FONT, font_bold=FONT_BOLD, rotate=0):
    from PIL import Image, ImageDraw, ImageFont
    w, h = int(8.27 * dpi), int(11.69 * dpi / 2)   # top half of an A4 page
    img = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(img)
    size = int(dpi * 0.16)                           # ~11.5 pt
    reg = ImageFont.truetype(font, size)
    bold = ImageFont.truetype(font_bold, size)
    y = int(dpi * 0.8)
    for text, is_bold in lines or LAB_LINES:
        d.text((int(dpi * 0.8), y), text, fill=0, font=bold if is_bold else reg)
        y += int(size * 1.6)
    img = img.rotate(1.5, resample=Image.BICUBIC, expand=False, fillcolor=255)
    rnd = random.Random(42)
    px = img.load()
    for _ in range(w * h // 200):                    # salt and pepper
        x, yy = rnd.randrange(w), rnd.randrange(h)
        px[x, yy] = rnd.choice((0, 90, 180, 255))
    if rotate90:
        img = img.transpose(Image.ROTATE_90)
    elif rotate == 180:
        img = img.transpose(Image.ROTATE_180)
    elif rotate == 270:
        img = img.transpose(Image.ROTATE_270)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80, dpi=(dpi, dpi))
    return out.getvalue(), img.size


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 255
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for c in data:
        i = (i + 1) & 255
        j = (j + s[i]) & 255
        s[i], s[j] = s[j], s[i]
        out.append(c ^ s[(s[i] + s[j]) & 255])
    return bytes(out)


def encrypted_pdf():
    """Standard security handler R2 (RC4-40) with user password "secret": an
    empty password does not open it, so a reader must report it protected."""
    pad = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
    user = (b"secret" + pad)[:32]
    owner = (b"owner" + pad)[:32]
    o = _rc4(hashlib.md5(owner).digest()[:5], user)
    doc_id = hashlib.md5(b"ingest-docext-test").digest()
    p = (-4).to_bytes(4, "little", signed=True)
    key = hashlib.md5(user + o + p + doc_id).digest()[:5]
    u = _rc4(key, pad)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + o.hex().encode() + b"> /U <"
        + u.hex().encode() + b"> /P -4 >>",
    ]
    body = pdfgen.pdf_bytes(objs)
    hexid = doc_id.hex().encode()
    return body.replace(b"/Root 1 0 R >>",
                        b"/Root 1 0 R /Encrypt 4 0 R /ID [<" + hexid + b"> <" + hexid + b">] >>")


# An Arabic report as a right-to-left page holds it: a patient block whose
# date sits at the far left, an IHC table whose marker column is on the
# right (one row with no Arabic letter), a sentence with a Latin marker name.
# pdfgen writes each right-to-left item in visual order, as producers do.
AR_TABLE_ITEMS = [
    (360, 60, 12, "مستشفى الاختبار الجامعي"),
    (470, 90, 10, "اسم المريض:"),
    (330, 90, 10, "سارة علي"),
    (200, 90, 10, "التاريخ:"),
    (60, 90, 10, "2026/02/18"),
    (430, 140, 10, "الواسم"),
    (260, 140, 10, "النسخة"),
    (80, 140, 10, "النتيجة"),
    (400, 160, 10, "مستقبلات الإستروجين ER"),
    (260, 160, 10, "SP1"),
    (80, 160, 10, "إيجابي 90%"),
    (430, 180, 10, "HER2"),
    (260, 180, 10, "4B5"),
    (80, 180, 10, "سلبي (1+)"),
    (430, 200, 10, "Ki-67"),
    (260, 200, 10, "MIB-1"),
    (80, 200, 10, "20%"),
    (200, 240, 10, "سرطانة قنوية غازية، سلبي لـ HER2"),
]


def write_ar_table_pdf(path):
    pdfgen.make_unicode_pdf(path, [AR_TABLE_ITEMS])


def huge_png(w, h):
    """A valid grey PNG of w x h white pixels: megabytes on disk, w * h bytes decoded."""
    import struct
    import zlib

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    comp = zlib.compressobj(1)
    rows = (b"\0" + b"\xff" * w) * 500
    idat = b"".join(comp.compress(rows) for _ in range(h // 500)) + comp.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


MIXED_TEXT_PAGE = ["SURGICAL PATHOLOGY REPORT", "Invasive ductal carcinoma, grade 2", "ER: positive (90%)",
                   "HER2: negative (IHC 1+)", "The laboratory sheet of the same day follows (scanned)."]


def mixed_pdf():
    """Page 1 with a text layer (a pathology report), page 2 a scanned lab
    sheet (an image only): a partly scanned document."""
    jpeg, (w, h) = lab_sheet_jpeg()
    W, H = pdfgen.PAGE_W, pdfgen.PAGE_H
    text = bytearray(b"BT\n/F1 11 Tf\n14 TL\n56 790 Td\n")
    for line in MIXED_TEXT_PAGE:
        text += b"(" + pdfgen._escape(line) + b") Tj T*\n"
    text += b"ET\n"
    scale = min((W - 40) / w, (H - 40) / h)
    dw, dh = w * scale, h * scale
    gray = pdfgen._jpeg_components(jpeg) == 1
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents 5 0 R >>" % (W, H),
        pdfgen._stream(b"", bytes(text)),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im1 7 0 R >> >> "
        b"/Contents 8 0 R >>" % (W, H),
        pdfgen._stream(b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                       b"/BitsPerComponent 8 /Filter /DCTDecode"
                       % (w, h, b"/DeviceGray" if gray else b"/DeviceRGB"), jpeg, compress=False),
        pdfgen._stream(b"", b"q %.2f 0 0 %.2f 20 %.2f cm /Im1 Do Q\n" % (dw, dh, H - 20 - dh)),
    ]
    return pdfgen.pdf_bytes(objs)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "text-pdf":
        pdfgen.make_text_pdf(path, [
            ["SURGICAL PATHOLOGY REPORT", "Invasive ductal carcinoma, grade 2", "ER: positive (90%)"],
            ["Page two: HER2 negative (1+)", "Ki-67 20%"],
            ["Page three: margins clear"],
        ])
    elif kind == "image-pdf":
        jpeg, (w, h) = lab_sheet_jpeg()
        pdfgen.make_image_pdf(path, jpeg, w, h)
    elif kind == "lab-jpeg":
        write(path, lab_sheet_jpeg()[0])
    elif kind == "lab-jpeg-rot90":
        write(path, lab_sheet_jpeg(rotate90=True)[0])
    elif kind == "lab-jpeg-rot180":
        write(path, lab_sheet_jpeg(rotate=180)[0])
    elif kind == "lab-jpeg-rot270":
        write(path, lab_sheet_jpeg(rotate=270)[0])
    elif kind == "ru-jpeg":
        write(path, lab_sheet_jpeg(lines=RU_LINES)[0])
    elif kind == "zh-jpeg":
        write(path, lab_sheet_jpeg(lines=ZH_LINES, font=FONT_CJK, font_bold=FONT_CJK)[0])
    elif kind == "zh-mixed-jpeg":
        write(path, lab_sheet_jpeg(lines=ZH_MIXED_LINES, font=FONT_CJK, font_bold=FONT_CJK)[0])
    elif kind == "zh-mixed2-jpeg":
        write(path, lab_sheet_jpeg(lines=ZH_MIXED2_LINES, font=FONT_CJK, font_bold=FONT_CJK)[0])
    elif kind == "table-pdf":
        import layoutpdf
        write(path, layoutpdf.pdf_runs([layoutpdf.table_page(), layoutpdf.two_column_page()]))
    elif kind == "ar-table-pdf":
        write_ar_table_pdf(path)
    elif kind == "utf8":
        write(path, TEXT.encode("utf-8"))
    elif kind == "utf16le":
        write(path, b"\xff\xfe" + TEXT.encode("utf-16-le"))
    elif kind == "utf16be":
        write(path, b"\xfe\xff" + TEXT.encode("utf-16-be"))
    elif kind == "utf16-nobom":
        write(path, ("Hämoglobin 12,1 g/dL " * 10).encode("utf-16-le"))
    elif kind == "cp1252":
        write(path, "Hämoglobin 12,1 g/dL – € 5\n".encode("cp1252"))
    elif kind == "garbage":
        rnd = random.Random(7)
        write(path, b"%PDF-1.7\n" + bytes(rnd.randrange(256) for _ in range(20000)))
    elif kind == "encrypted-pdf":
        write(path, encrypted_pdf())
    elif kind == "fault-pdf":
        # The marker sits in a comment, so the PDF is valid without the hook.
        pdfgen.make_text_pdf(path, [["Harmless page of a discharge summary"]])
        data = open(path, "rb").read()
        write(path, data.replace(b"%PDF-1.4\n", b"%PDF-1.4\n%INGEST-FAULT-INJECT\n", 1))
    elif kind == "big":
        # A "PDF" far beyond the limit the test sets; sparse, costs no disk.
        with open(path, "wb") as f:
            f.write(b"%PDF-1.4\n")
            f.truncate(64 << 20)
    elif kind == "png-bomb":
        # 20000 x 20000 grey PNG: 400 MB of pixels in a few hundred KB.
        import struct
        import zlib
        w = h = 20000
        def chunk(t, d):
            return (struct.pack(">I", len(d)) + t + d
                    + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff))
        comp = zlib.compressobj(9)
        row = b"\0" + b"\xff" * w
        idat = b"".join(comp.compress(row) for _ in range(h)) + comp.flush()
        write(path, b"\x89PNG\r\n\x1a\n"
              + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
              + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    elif kind == "png-huge":
        # 30000 x 30000 grey PNG: a scan too large for OCR, 900 MB of pixels in 4 MB
        write(path, huge_png(30000, 30000))
    elif kind == "mixed-pdf":
        write(path, mixed_pdf())
    elif kind == "long-text":
        write(path, ("Ünïcödé line with €uro and 病理 " * 2000).encode("utf-8"))
    else:
        sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    main()
