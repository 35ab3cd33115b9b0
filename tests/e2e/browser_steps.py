"""Browser-tab steps of the end-to-end run (kept apart from test_desktop.py, which
passes in its `check` and `wait_state`)."""

import math
import os
import struct
import wave
import zlib


def write_png(path, width, height):
    """A real RGB PNG (no imaging library needed)."""
    raw = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 5 % 256, y * 7 % 256, 128)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)
    return path


def write_wav(path, seconds=1.0, rate=8000):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i * 2 * math.pi * 440 / rate))) for i in range(int(seconds * rate))))
    return path


def open_in_browser(s, folder, key):
    s.click(s.find('[data-testid="tab-browser"]'))
    s.click(s.wait(f"folder {folder}", lambda: s.find(f'[data-testid="browser-folder"][data-prefix="{folder}"] button'), timeout=30))
    s.click(s.wait(f"object {key}", lambda: s.find(f'[data-testid="browser-object"][data-key="{key}"] button'), timeout=30))


def preview_step(s, chosen, check, wait_state):
    """An image, a text and a sound previewed in the Browser through the app's
    hoist-preview: protocol (the CSP allows no store origin)."""
    media = os.path.join(chosen, "media")
    os.makedirs(media, exist_ok=True)
    write_png(os.path.join(media, "dot.png"), 40, 30)
    with open(os.path.join(media, "readme.txt"), "w") as f:
        f.write("<b>not markup</b>\nline two\n")
    write_wav(os.path.join(media, "beep.wav"))
    s.invoke("add_paths", {"paths": [media]})
    for key in ["media/dot.png", "media/readme.txt", "media/beep.wav"]:
        wait_state(s, key, "verified")
    # The queue row of the local PNG shows its thumbnail (made by Rust from the file);
    # the text file's row shows none.
    s.click(s.find('[data-testid="tab-queue"]'))
    thumb = s.wait("the queue row's thumbnail", lambda: s.execute(
        "const i = document.querySelector('[data-testid=\"queue-row\"][data-key=\"media/dot.png\"] img.qthumb');"
        " return i && !i.hidden && i.complete && i.naturalWidth"), timeout=30)
    check(thumb > 0, f"the queue row of dot.png shows a thumbnail ({thumb} px wide)")
    check(s.execute("const i = document.querySelector('[data-testid=\"queue-row\"][data-key=\"media/readme.txt\"] img.qthumb');"
                    " return !i || i.hidden"), "the text file's row shows no thumbnail")

    open_in_browser(s, "media/", "media/dot.png")
    width = s.wait("the image preview to load", lambda: s.execute(
        "const i = document.querySelector('[data-testid=\"preview-image\"]'); return i && i.complete && i.naturalWidth"), timeout=30)
    check(width == 40, f"the image preview shows the 40×30 PNG (naturalWidth {width})")
    src = s.execute("return document.querySelector('[data-testid=\"preview-image\"]').getAttribute('src')")
    check(src.startswith("hoist-preview://localhost/hoist/"), f"the image comes from the app's protocol, not the store: {src}")

    s.click(s.find('[data-testid="browser-object"][data-key="media/readme.txt"] button'))
    text = s.wait("the text preview", lambda: (t := s.execute(
        "const p = document.querySelector('[data-testid=\"preview-text\"]'); return p && p.textContent")) and t != "Loading…" and t, timeout=30)
    check("<b>not markup</b>" in text and "line two" in text, f"the text preview shows the text as text: {text!r}")
    check(s.execute("return document.querySelector('[data-testid=\"preview-text\"] b') === null"), "no markup from the object is rendered")

    s.click(s.find('[data-testid="browser-object"][data-key="media/beep.wav"] button'))
    probe = "const a = document.querySelector('[data-testid=\"preview-audio\"]'); return a && [a.readyState, a.duration, a.networkState, a.error && a.error.code, a.error && a.error.message]"
    try:
        duration = s.wait("the sound's metadata", lambda: (st := s.execute(probe)) and st[0] >= 1 and st[1], timeout=30)
    except Exception as e:  # noqa: BLE001 - say what the element reported
        raise AssertionError(f"the audio preview never loaded: [readyState, duration, networkState, error code, message] = {s.execute(probe)}") from e
    check(abs(duration - 1.0) < 0.1, f"the audio preview plays the 1 s WAV fetched from the protocol (duration {duration})")
    s.click(s.find('[data-testid="tab-queue"]'))
