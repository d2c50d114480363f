"""Peak memory of saving one image through the Python package: the growth of the peak resident
set while saving does not scale with the image's size (downloads stream to disk).

    python benches/download_memory.py --url http://127.0.0.1:PORT --key vxl-emulator-key

Generates one 512x512 image with transparency foreground_only (a PNG, which the emulator pads to
any size with --picture-padding-bytes N), saves it with Client(...).generate(...).save(dir) into
a temporary directory, and prints one `RESULT download_memory lang=python ...` line: the file's
size, the peak RSS (resource.getrusage ru_maxrss and /proc/self/status VmHWM, reset just before
the save through /proc/self/clear_refs so the growth is what the save needed) and VmRSS.
--url/--key default to ONEMIN_BASE_URL/ONEMIN_API_KEY. --max-image-bytes N sets the client's
cap (Client(max_image_bytes=N); default the client's own, 64 MiB): an image above it fails, and
the line then says error=<code>. benches/download-memory.sh passes 1 GiB, like the Rust example.
Run by benches/download-memory.sh. Linux only.
"""

import argparse
import os
import resource
import sys
import tempfile
import time

import visionxl


def proc_status_kib():
    """(VmHWM, VmRSS) in KiB."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                out[name] = int(value.split()[0])
    return out.get("VmHWM", 0), out.get("VmRSS", 0)


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", default=os.environ.get("ONEMIN_BASE_URL"))
    p.add_argument("--key", default=os.environ.get("ONEMIN_API_KEY"))
    p.add_argument("--max-image-bytes", type=int, default=None)
    a = p.parse_args()
    options = {} if a.max_image_bytes is None else {"max_image_bytes": a.max_image_bytes}
    client = visionxl.Client(a.key, base_url=a.url, **options)
    gen = client.generate(
        "a lighthouse, memory benchmark", size="512x512", transparency="foreground_only", seed=1
    )
    with tempfile.TemporaryDirectory() as d:
        reset = reset_peak()
        hwm0, rss0 = proc_status_kib()
        max0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.monotonic()
        error = None
        size = 0
        try:
            paths = gen.save(d)
            images = [x for x in paths if not str(x).endswith(".json")]
            size = os.path.getsize(images[0])
        except visionxl.VisionXLError as e:
            error = getattr(e, "code", type(e).__name__)
            print(f"  (python) save failed: {e}", file=sys.stderr)
        seconds = time.monotonic() - t0
        hwm1, rss1 = proc_status_kib()
        max1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"RESULT download_memory lang=python image_bytes={size} peak_before_kib={hwm0} "
        f"peak_after_kib={hwm1} peak_growth_kib={max(0, hwm1 - hwm0)} rss_before_kib={rss0} "
        f"rss_after_kib={rss1} ru_maxrss_before_kib={max0} ru_maxrss_after_kib={max1} "
        f"save_seconds={seconds:.2f} peak_reset={str(reset).lower()}"
        + (f" error={error}" if error else "")
    )


if __name__ == "__main__":
    main()
