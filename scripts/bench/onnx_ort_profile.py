"""Per-operator time of an ONNX segmentation model in onnxruntime (1 thread, 1 x C x 256 x 256).

usage: python scripts/bench/onnx_ort_profile.py MODEL.onnx

Runs six inferences with onnxruntime's profiler on and prints the mean milliseconds per run for
each operator type; convolutions are keyed by kernel size, depthwise or not, and input height.
"""
import onnxruntime as ort, numpy as np, json, sys, collections, glob, os
m=sys.argv[1]
so=ort.SessionOptions(); so.intra_op_num_threads=1; so.enable_profiling=True; so.profile_file_prefix="/tmp/ortprof"
s=ort.InferenceSession(m, so, providers=["CPUExecutionProvider"])
name=s.get_inputs()[0].name
bands=s.get_inputs()[0].shape[1]
x=np.random.default_rng(0).standard_normal((1,bands,256,256)).astype(np.float32)
for _ in range(6): s.run(None,{name:x})
f=s.end_profiling()
ev=json.load(open(f))
tab=collections.defaultdict(float); cnt=collections.Counter()
for e in ev:
    if e.get("cat")=="Node" and e["name"].endswith("_kernel_time"):
        a=e["args"]; op=a.get("op_name")
        shp=a.get("input_type_shape",[{}])
        key=op
        try:
            xs=list(shp[0].values())[0]; 
            if op in("Conv","FusedConv"):
                ws=list(shp[1].values())[0]
                key=f"{op} {ws[2]}x{ws[3]} {'dw' if ws[1]==1 and ws[0]>1 else 'g1'} hw{xs[2]}"
        except Exception: pass
        tab[key]+=e["dur"]/1000/6; cnt[key]+=1
for k,v in sorted(tab.items(), key=lambda t:-t[1]): print(f"{v:8.2f} {cnt[k]//6:4d} {k}")
print("total", sum(tab.values()))
os.remove(f)
