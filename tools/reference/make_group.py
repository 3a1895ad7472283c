"""Builds photos/test/group.jpg: four real public-domain portraits side by side on one canvas, at
different sizes (one near, three farther away), standing in for a group photo. Run once with a
Python that has Pillow; the output is committed.

No group photo with a clear public-domain licence ships in the registries' packages we can use;
this collage exercises the same things (several faces, near and far, in one frame), with real
faces and real pixels, but a real group photo would be better.
"""
from PIL import Image

root = "photos/"
canvas = Image.new("RGB", (2400, 1200), (128, 128, 128))
# (file, crop box, height on the canvas, x, y)
pieces = [
    ("samples/obama.jpg", (0, 0, 910, 1137), 1137, 40, 40),
    ("samples/grace_hopper.jpg", (0, 0, 512, 600), 420, 1000, 700),
    ("samples/astronaut.png", (60, 0, 400, 512), 360, 1500, 120),
    ("samples/biden.jpg", (150, 0, 820, 900), 300, 2000, 820),
]
for f, box, h, x, y in pieces:
    im = Image.open(root + f).convert("RGB").crop(box)
    w = round(im.width * h / im.height)
    canvas.paste(im.resize((w, h), Image.LANCZOS), (x, y))
canvas.save(root + "test/group.jpg", quality=90)
