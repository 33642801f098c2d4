#!/usr/bin/env python3
"""Writes the glyph table of patchtrain's picture font (Sources/PatchTrain/Plotting/BitmapFont+DejaVuSans.swift):
DejaVu Sans rendered by PIL at a small pixel size, every printable ASCII character, anti-aliased coverage kept in
16 levels (levels below 2 dropped, so faint fringes do not smear small text).

Usage (Debian: fonts-dejavu-core, python3-pil):
  python3 scripts/make_bitmap_font.py /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf 12 \
      Sources/PatchTrain/Plotting/BitmapFont+DejaVuSans.swift
"""
from PIL import Image, ImageFont, ImageDraw
import sys
path, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
font = ImageFont.truetype(path, size)
asc, desc = font.getmetrics()
H = asc + desc
entries = []
for c in range(32, 127):
    ch = chr(c)
    advance = int(round(font.getlength(ch)))
    left, top, right, bottom = font.getbbox(ch)
    w = max(advance, right) + 1
    im = Image.new('L', (w, H), 0)
    ImageDraw.Draw(im).text((0, 0), ch, font=font, fill=255)
    px = im.load()
    rows = ''.join(''.join('%x' % (px[x, y] * 15 // 255 if px[x, y] * 15 // 255 >= 2 else 0) for x in range(w)) for y in range(H))
    entries.append((ch, advance, w, rows))
with open(out, 'w') as f:
    f.write('// Generated from DejaVu Sans (Bitstream Vera licence: free to use, embed and redistribute) at %d px by\n' % size)
    f.write('// rendering each printable ASCII character with anti-aliasing and keeping 16 levels of coverage.\n')
    f.write('extension BitmapFont {\n')
    f.write('    /// Line height %d px (ascent %d, descent %d).\n' % (H, asc, desc))
    f.write('    static let dejaVuSans%d = BitmapFont(lineHeight: %d, glyphs: [\n' % (size, H))
    for ch, adv, w, rows in entries:
        f.write('        Glyph(advance: %d, width: %d, coverage: "%s"),  // %s\n' % (adv, w, rows, 'space' if ch == ' ' else ch))
    f.write('    ])\n}\n')
print(H, asc, desc)
