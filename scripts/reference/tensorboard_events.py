"""TensorBoard's own event writer, for the TensorBoard tests of GeoLens.

write: writes fixtures/reference/tensorboard/reference.tfevents with tensorboard's EventFileWriter
       (the writer behind torch.utils.tensorboard): the file-version header, two epochs of scalar
       summaries (simple_value), one image summary (a 2 x 3 RGBA PNG) and a SessionLog START, all with
       fixed wall times, plus reference.json listing what it wrote. The Swift tests read the file
       back and write the same events themselves, which must give the same bytes.
check RUN_DIR: loads a GeoLens run directory with TensorBoard's EventAccumulator (what
       `tensorboard --logdir` uses) and prints the scalar and image tags with their steps.

    python3 -m venv ../venv-eco && ../venv-eco/bin/pip install tensorboard
    ../venv-eco/bin/python scripts/reference/tensorboard_events.py write
    ../venv-eco/bin/python scripts/reference/tensorboard_events.py check runs/<run>
"""
import base64
import json
import struct
import sys
import time
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "reference" / "tensorboard"


def tiny_png():
    """A 3 x 2 RGBA PNG (red, green, blue / white, black, transparent)."""
    rows = [bytes([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]),
            bytes([255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0])]
    raw = b"".join(b"\x00" + row for row in rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 3, 2, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write():
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer import event_file_writer

    OUT.mkdir(parents=True, exist_ok=True)
    start = 1_700_000_000.0
    real_time = time.time
    time.time = lambda: start  # the header's wall time and the file name
    try:
        writer = event_file_writer.EventFileWriter(str(OUT), filename_suffix=".reference")
    finally:
        time.time = real_time
    expected = {"file_version": "brain.Event:2", "header_wall_time": start, "events": []}
    scalars = [(1, {"loss/train": 0.75, "loss/val": 0.5, "metrics/val_miou": 0.25, "learning_rate": 0.001}),
               (2, {"loss/train": 0.375, "loss/val": 0.3125, "metrics/val_miou": 0.625, "learning_rate": 0.0005})]
    for step, values in scalars:
        wall = start + step
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=t, simple_value=v) for t, v in values.items()])
        writer.add_event(event_pb2.Event(wall_time=wall, step=step, summary=summary))
        expected["events"].append({"wall_time": wall, "step": step, "scalars": values})
    png = tiny_png()
    image = summary_pb2.Summary.Image(height=2, width=3, colorspace=4, encoded_image_string=png)
    writer.add_event(event_pb2.Event(wall_time=start + 2.5, step=2,
                                     summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="snapshots/tile_class-cloud", image=image)])))
    expected["events"].append({"wall_time": start + 2.5, "step": 2,
                               "image": {"tag": "snapshots/tile_class-cloud", "width": 3, "height": 2, "colorspace": 4,
                                         "png_base64": base64.b64encode(png).decode()}})
    log = event_pb2.SessionLog(status=event_pb2.SessionLog.START, msg="resumed after epoch 1")
    writer.add_event(event_pb2.Event(wall_time=start + 3, step=2, session_log=log))
    expected["events"].append({"wall_time": start + 3, "step": 2, "session_log": {"status": 1, "msg": "resumed after epoch 1"}})
    writer.close()
    files = sorted(OUT.glob("events.out.tfevents.*"))
    target = OUT / "reference.tfevents"
    files[-1].replace(target)
    for extra in files[:-1]:
        extra.unlink()
    (OUT / "reference.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(f"wrote {target} ({target.stat().st_size} bytes) and reference.json")


def check(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(run_dir, size_guidance={"images": 0, "scalars": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    for tag in sorted(tags["scalars"]):
        print(tag, [(e.step, round(e.value, 6)) for e in accumulator.Scalars(tag)])
    for tag in sorted(tags["images"]):
        print(tag, [(e.step, e.width, e.height, len(e.encoded_image_string)) for e in accumulator.Images(tag)])


if __name__ == "__main__":
    if sys.argv[1:2] == ["write"]:
        write()
    elif sys.argv[1:2] == ["check"] and len(sys.argv) == 3:
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
