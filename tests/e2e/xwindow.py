"""The app's window as the X server (Xvfb) has it: found by title, and saved as a PNG.

Screenshots come from here, not from WebDriver's Take Screenshot: WebKitGTK answers
that only while it composites, and without a GPU the app paints the page without
compositing (src-tauri/src/painting.rs), as under Xvfb."""

import struct
import zlib


def app_windows(title="Hoist"):
    """The app's top-level X windows that take WM_DELETE_WINDOW, as (windows, display)."""
    from Xlib import display as xdisplay

    d = xdisplay.Display()
    delete = d.intern_atom("WM_DELETE_WINDOW")

    def walk(w):
        for c in w.query_tree().children:
            yield c
            yield from walk(c)

    found = []
    for w in walk(d.screen().root):
        try:
            if w.get_wm_name() == title and delete in (w.get_wm_protocols() or []):
                found.append(w)
        except Exception:  # noqa: BLE001 (windows come and go)
            continue
    return found, d


def window_png(path, title="Hoist"):
    """Saves what the screen shows of the app's (first viewable) window; the whole
    screen when there is none."""
    from Xlib import X

    found, d = app_windows(title)
    root = d.screen().root
    g = root.get_geometry()
    box = (0, 0, g.width, g.height)
    for w in found:
        if w.get_attributes().map_state != X.IsViewable:
            continue
        wg = w.get_geometry()
        at = w.translate_coords(root, 0, 0)
        x, y = max(0, -at.x), max(0, -at.y)
        box = (x, y, min(wg.width, g.width - x), min(wg.height, g.height - y))
        break
    x, y, width, height = box
    image = root.get_image(x, y, width, height, X.ZPixmap, 0xFFFFFFFF)
    data = image.data if isinstance(image.data, bytes) else bytes(image.data)
    rows = bytearray()
    stride = width * 4
    for row in range(height):
        line = data[row * stride : (row + 1) * stride]
        rgb = bytearray(width * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = line[2::4], line[1::4], line[0::4]  # BGRX -> RGB
        rows += b"\x00" + rgb
    d.close()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(bytes(rows), 6)))
        f.write(chunk(b"IEND", b""))
