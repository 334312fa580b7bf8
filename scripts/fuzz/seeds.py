#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer harnesses from fixtures/ (Python standard library only).

Usage: scripts/fuzz/seeds.py OUT_DIR [TARGET ...]
Creates OUT_DIR/<target>/ for every harness in Fuzz/ (or the named ones) with small inputs taken from the committed
fixtures, in the form each harness reads (see Fuzz/Sources/*/). The corpora are generated, not
committed: libFuzzer adds what it finds to the same folders.
"""
import json
import struct
import sys
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
MAX_SEED = 64 * 1024  # run.sh passes the same -max_len


def write(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data[:MAX_SEED])


def safetensors_seeds(out: Path) -> None:
    """Each fixture checkpoint, reduced to the tensors that fit in 16 KiB (offsets rewritten)."""
    for path in sorted(FIX.rglob("*.safetensors")):
        raw = path.read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        data = raw[8 + n:]
        kept, body = {}, b""
        for name, rec in sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                                key=lambda kv: kv[1]["data_offsets"][0]):
            b, e = rec["data_offsets"]
            if len(body) + (e - b) > 16 * 1024:
                continue
            kept[name] = dict(rec, data_offsets=[len(body), len(body) + e - b])
            body += data[b:e]
        if "__metadata__" in header:
            kept["__metadata__"] = header["__metadata__"]
        text = json.dumps(kept, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        write(out, path.stem + ".safetensors", struct.pack("<Q", len(text)) + text + body)
        write(out, path.stem + "-truncated.safetensors", raw[:8 + n + 64])


def pickle_seeds(out: Path) -> None:
    """`sizes\\n` + data.pkl of every fixture torch archive (the fuzz-pickle input form)."""
    for path in sorted(list(FIX.rglob("*.pth")) + list(FIX.rglob("*.ckpt"))):
        if not zipfile.is_zipfile(path):
            continue
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            pkl = next(n for n in names if n.endswith("/data.pkl"))
            prefix = pkl[: -len("data.pkl")]
            keys = sorted((n[len(prefix) + 5:] for n in names if n.startswith(prefix + "data/")),
                          key=lambda k: int(k) if k.isdigit() else 1 << 30)
            sizes = [z.getinfo(prefix + "data/" + k).file_size if k.isdigit() and int(k) == i else 0
                     for i, k in enumerate(keys)]
            write(out, path.stem + ".pkl", ",".join(map(str, sizes)).encode() + b"\n" + z.read(pkl))


def onnx_seeds(out: Path) -> None:
    for path in sorted(list((FIX / "onnx").glob("*.onnx")) + list((FIX / "classification").glob("*.onnx"))):
        if path.stat().st_size <= MAX_SEED:
            write(out, path.name, path.read_bytes())


def card_seeds(out: Path) -> None:
    cards = [p for p in (FIX / "models").glob("*.json") if not p.name.endswith(".logits.json") and p.name != "keys.json"]
    cards += list(FIX.rglob("*.onnx.json")) + list((FIX / "stac").glob("*.item.json"))
    for path in sorted(cards):
        write(out, path.parent.name + "-" + path.name, path.read_bytes())


def config_seeds(out: Path) -> None:
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        write(out, path.name, path.read_bytes())


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width: int, height: int, depth: int, color: int, extra: bytes = b"") -> bytes:
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    row = (width * channels * depth + 7) // 8
    raw = b"".join(b"\x00" + bytes((x * 37 + y * 11) & 0xFF for x in range(row)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0))
            + extra + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def png_seeds(out: Path) -> None:
    write(out, "gray8.png", png(7, 5, 8, 0))
    write(out, "gray1.png", png(9, 3, 1, 0))
    write(out, "gray16.png", png(4, 4, 16, 0))
    write(out, "rgb8.png", png(6, 4, 8, 2))
    write(out, "rgba8.png", png(5, 5, 8, 6))
    write(out, "graya8.png", png(3, 3, 8, 4))
    palette = png_chunk(b"PLTE", bytes(range(48))) + png_chunk(b"tRNS", bytes([0, 128, 255]))
    write(out, "palette4.png", png(8, 2, 4, 3, palette))
    for path in sorted(FIX.rglob("*.png")):
        if path.stat().st_size <= MAX_SEED:
            write(out, path.name, path.read_bytes())


def label_table_seeds(out: Path) -> None:
    for path in sorted(FIX.rglob("*.csv")):
        if path.stat().st_size <= MAX_SEED and path.read_bytes()[:4].lower() == b"tile":
            write(out, path.name, path.read_bytes())
    write(out, "quoted.csv", b'\xef\xbb\xbftile,label,note\r\n"t_001.tif",cloud,"a ""quoted"", field"\r\n\r\nt_002,0,\n')
    write(out, "multilabel.csv", b"tile,labels\nt_001,cloud;shadow\nt_002,\n")


def source_table_seeds(out: Path) -> None:
    """The committed source tables, and small tables keyed by stem, file name and relative path."""
    for path in sorted((FIX / "sources").glob("*.csv")):
        if path.stat().st_size <= MAX_SEED:
            write(out, path.name, path.read_bytes())
    write(out, "keys.csv", b"tile,t2m,tcwv\ntile_r0_c0.tif,287.01,20.08\na/b.tif,-1e3, 5\nb,nan,inf\n")
    write(out, "first-column.csv", b'\xef\xbb\xbfname,"t 2m",x\r\n"tile_r0_c0",1.5e-2,"0x1p3"\r\n\r\nsub/tile_r0_c0.tif,,1\n')


TARGETS = {
    "safetensors": safetensors_seeds,
    "pickle": pickle_seeds,
    "onnx": onnx_seeds,
    "model-card": card_seeds,
    "config": config_seeds,
    "png": png_seeds,
    "label-table": label_table_seeds,
    "source-table": source_table_seeds,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or any(t not in TARGETS for t in sys.argv[2:]):
        sys.exit("usage: seeds.py OUT_DIR [" + " ".join(TARGETS) + " ...]")
    for target in sys.argv[2:] or TARGETS:
        TARGETS[target](Path(sys.argv[1]) / target)
