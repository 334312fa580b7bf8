"""Writes the checkpoint fixtures read by Tests/GeoLensNNTests/Checkpoint*Tests.swift.

Run from the repository root with a Python that has torch and safetensors (lightning optional):

    python scripts/reference/checkpoints.py

Files written into fixtures/checkpoints/:

- state_dict.pth         torch.save of a module's state_dict plus extra tensors: F32, a transposed
                         (non-contiguous) view, two views sharing one storage (one with an offset),
                         F16/BF16/F64 tensors, Int64 `num_batches_tracked` and other integer buffers.
- nested.pth             {"epoch": 3, "model_state_dict": <the state dict above>}
- lightning.ckpt         a checkpoint written by a real Lightning Trainer (or, when lightning is not
                         installed, the same dictionary layout built by hand).
- state_dict.safetensors the tensors of state_dict.pth (made contiguous) with __metadata__.
- malicious_*.pth        real torch zip layouts whose data.pkl calls os.system, builtins.eval,
                         subprocess.Popen or posix.system (hand-written opcodes, never executed here).
- legacy.pth             the pre-1.6 non-zip format (_use_new_zipfile_serialization=False).
- damaged_*.pth          state_dict.pth with a big-endian byteorder record, or with a storage removed.
- expected.json          names, kinds, shapes and all values of the tensors of each readable file.

Payloads in the malicious files would create PAYLOAD_MARKER; the Swift tests check it never appears.
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile
from collections import OrderedDict

import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "checkpoints")
PAYLOAD_MARKER = "/tmp/geolens-checkpoint-payload-ran"


class TinyNet(torch.nn.Module):
    """A conv + batch norm + linear head: the parameter kinds a segmentation checkpoint has."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.bn(self.conv(x)).mean(dim=(2, 3)))


def make_state_dict():
    torch.manual_seed(0)
    net = TinyNet()
    net.bn.running_mean.copy_(torch.randn(4))
    net.bn.running_var.copy_(torch.rand(4) + 0.5)
    net.bn.num_batches_tracked.fill_(7)
    sd = OrderedDict((f"model.{k}", v) for k, v in net.state_dict().items())
    base = torch.randn(6, 4)
    sd["model.extra.transposed"] = torch.randn(3, 5).t()          # shape [5, 3], strides (1, 5)
    sd["model.extra.shared_base"] = base                           # storage shared with the next
    sd["model.extra.shared_row"] = base[2]                         # storage offset 8
    sd["model.extra.strided"] = base[1:, ::2]                      # offset 4, strides (4, 2)
    sd["model.extra.half"] = torch.randn(2, 3).half()
    sd["model.extra.bfloat16"] = torch.randn(2, 3).bfloat16()
    sd["model.extra.double"] = torch.randn(3, dtype=torch.float64)
    sd["model.extra.int32"] = torch.tensor([[-3, 0, 2147483647]], dtype=torch.int32)
    sd["model.extra.int16"] = torch.tensor([-32768, 5], dtype=torch.int16)
    sd["model.extra.int8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["model.extra.uint8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    sd["model.extra.mask"] = torch.tensor([True, False, True])
    sd["model.extra.scalar"] = torch.tensor(2.5)
    return sd


INTEGER_DTYPES = {torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool}


def tensor_entry(name, t):
    t = t.detach()
    if t.dtype in INTEGER_DTYPES:
        return {"name": name, "kind": "int", "shape": list(t.shape),
                "data": [int(v) for v in t.to(torch.int64).reshape(-1).tolist()]}
    values = t.to(torch.float32).contiguous().reshape(-1).tolist()
    return {"name": name, "kind": "float", "shape": list(t.shape),
            "data": [float(f"{v:.9g}") for v in values]}


def entries(sd):
    return [tensor_entry(k, v) for k, v in sd.items() if isinstance(v, torch.Tensor)]


def make_lightning(path):
    """Trains a real LightningModule for two steps and saves its checkpoint; falls back to a hand-built dict."""
    try:
        import pathlib
        import argparse
        import lightning as L
    except ImportError:
        sd = OrderedDict((f"model.{k}", v) for k, v in TinyNet().state_dict().items())
        ckpt = {"epoch": 0, "global_step": 2, "pytorch-lightning_version": "2.x",
                "state_dict": sd, "hyper_parameters": {"lr": 0.01},
                "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.01, "params": [0]}]}],
                "lr_schedulers": []}
        torch.save(ckpt, path)
        return sd, "hand-built"

    class LitNet(L.LightningModule):
        def __init__(self, lr=0.01, data_dir=pathlib.Path("/data/tiles"),
                     options=argparse.Namespace(depth=2, name="tiny")):
            super().__init__()
            self.save_hyperparameters()
            self.model = TinyNet()

        def training_step(self, batch, _):
            x, y = batch
            return torch.nn.functional.cross_entropy(self.model(x), y)

        def configure_optimizers(self):
            opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
            return [opt], [torch.optim.lr_scheduler.StepLR(opt, step_size=1)]

    torch.manual_seed(1)
    data = torch.utils.data.TensorDataset(torch.randn(8, 3, 6, 6), torch.randint(0, 2, (8,)))
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir="/tmp/geolens-lightning-fixture")
    module = LitNet()
    trainer.fit(module, loader)
    trainer.save_checkpoint(path)
    return module.state_dict(), "lightning " + L.__version__


def torch_zip(path, pickle_bytes):
    """Writes pickle_bytes as data.pkl inside the zip layout torch.save uses (no storages)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")


def unicode_op(s):
    b = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b


def malicious_pickles():
    """Hand-written opcodes (nothing here is unpickled or run)."""
    p2 = b"\x80\x02"
    touch = f"touch {PAYLOAD_MARKER}"
    os_system = p2 + b"cos\nsystem\n" + unicode_op(touch) + b"\x85R."
    builtins_eval = (p2 + b"cbuiltins\neval\n"
                     + unicode_op(f"open('{PAYLOAD_MARKER}', 'w')") + b"\x85R.")
    popen = (p2 + b"csubprocess\nPopen\n" + b"]" + b"(" + unicode_op("touch")
             + unicode_op(PAYLOAD_MARKER) + b"e" + b"\x85R.")
    # A valid-looking state dict whose second value is a posix.system call reached with
    # STACK_GLOBAL (protocol 4): the refusal must happen mid-stream too.
    posix = (b"\x80\x04" + b"ccollections\nOrderedDict\n" + b")R" + b"("
             + unicode_op("ok") + b"K\x01"
             + unicode_op("evil") + unicode_op("posix") + unicode_op("system") + b"\x93"
             + unicode_op(touch) + b"\x85R" + b"u.")
    return {"malicious_os_system.pth": (os_system, "os.system"),
            "malicious_builtins_eval.pth": (builtins_eval, "builtins.eval"),
            "malicious_subprocess_popen.pth": (popen, "subprocess.Popen"),
            "malicious_posix_system.pth": (posix, "posix.system")}


def write_damaged_archives(source):
    """Copies of state_dict.pth with one record changed: a big-endian byteorder, a storage removed."""
    with zipfile.ZipFile(source) as z:
        records = {i.filename: z.read(i.filename) for i in z.infolist()}
    prefix = next(n for n in records if n.endswith("data.pkl"))[: -len("data.pkl")]
    variants = {
        "damaged_big_endian.pth": ({prefix + "byteorder": b"big"}, None, "byte order"),
        "damaged_missing_storage.pth": ({}, prefix + "data/0", "lacks"),
    }
    for name, (replace, drop, _) in variants.items():
        with zipfile.ZipFile(os.path.join(OUT, name), "w", compression=zipfile.ZIP_STORED) as z:
            for entry, data in records.items():
                if entry != drop:
                    z.writestr(entry, replace.get(entry, data))
    return {name: fragment for name, (_, _, fragment) in variants.items()}


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = make_state_dict()
    torch.save(sd, os.path.join(OUT, "state_dict.pth"))
    torch.save({"epoch": 3, "model_state_dict": sd}, os.path.join(OUT, "nested.pth"))
    torch.save(sd, os.path.join(OUT, "legacy.pth"), _use_new_zipfile_serialization=False)

    metadata = {"format": "pt", "source": "scripts/reference/checkpoints.py", "classes": "clear,cloud"}
    save_file({k: v.contiguous().clone() for k, v in sd.items()},
              os.path.join(OUT, "state_dict.safetensors"), metadata=metadata)

    lightning_sd, lightning_source = make_lightning(os.path.join(OUT, "lightning.ckpt"))

    damaged = write_damaged_archives(os.path.join(OUT, "state_dict.pth"))

    refused = {}
    for name, (payload, global_name) in malicious_pickles().items():
        torch_zip(os.path.join(OUT, name), payload)
        refused[name] = global_name

    expected = {
        "generator": "scripts/reference/checkpoints.py",
        "torch": torch.__version__,
        "lightning": lightning_source,
        "payload_marker": PAYLOAD_MARKER,
        "safetensors_metadata": metadata,
        "files": {
            "state_dict.pth": entries(sd),
            "nested.pth": entries(sd),
            "state_dict.safetensors": entries(sd),
            "lightning.ckpt": entries(lightning_sd),
        },
        "refused": refused,
        "damaged": damaged,
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, into {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
