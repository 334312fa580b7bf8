"""Reference values for the core tensor ops (arithmetic, math, reductions, layout, matmul).

Run: python scripts/reference/tensor_core.py   (writes fixtures/reference/tensor/core.json)
"""
import torch
import torch.nn.functional as F

from common import make_case, randn, write_cases

cases = []
a23, b13, b3 = randn(2, 3, seed=1), randn(1, 3, seed=2), randn(3, seed=3)
x4 = randn(2, 3, 4, 5, seed=4)
c1 = randn(1, 3, 1, 1, seed=5)
pos = randn(2, 3, 4, seed=6).abs() + 0.5

cases.append(make_case("add_broadcast_row", "add", lambda a, b: a + b, [a23, b13]))
cases.append(make_case("add_broadcast_rank", "add", lambda a, b: a + b, [a23, b3]))
cases.append(make_case("add_channel", "add", lambda a, b: a + b, [x4, c1]))
cases.append(make_case("sub_channel", "sub", lambda a, b: a - b, [c1, x4]))
cases.append(make_case("mul_broadcast", "mul", lambda a, b: a * b, [x4, c1]))
cases.append(make_case("mul_outer", "mul", lambda a, b: a * b, [randn(4, 1, seed=7), randn(1, 5, seed=8)]))
cases.append(make_case("div_broadcast", "div", lambda a, b: a / b, [a23, b13.abs() + 0.5]))
cases.append(make_case("neg", "neg", lambda a: -a, [a23]))
cases.append(make_case("exp", "exp", torch.exp, [a23]))
cases.append(make_case("log", "log", torch.log, [pos]))
cases.append(make_case("sqrt", "sqrt", torch.sqrt, [pos]))
cases.append(make_case("pow_2_5", "pow", lambda a: a.pow(2.5), [pos], {"exponent": 2.5}))
cases.append(make_case("abs", "abs", torch.abs, [randn(3, 4, seed=9, away_from_zero=0.1)]))
cases.append(make_case("erf", "erf", torch.erf, [a23]))
cases.append(make_case("sum_all", "sum", lambda a: a.sum(), [x4]))
cases.append(make_case("mean_all", "mean", lambda a: a.mean(), [x4]))
cases.append(make_case("sum_axes_1_3", "sum_axes", lambda a: a.sum(dim=(1, 3)), [x4], {"axes": [1, 3], "keep": False}))
cases.append(make_case("sum_axis_2_keep", "sum_axes", lambda a: a.sum(dim=2, keepdim=True), [x4], {"axes": [2], "keep": True}))
cases.append(make_case("mean_axes_2_3", "mean_axes", lambda a: a.mean(dim=(2, 3)), [x4], {"axes": [2, 3], "keep": False}))
cases.append(make_case("max_axis_1", "max_axis", lambda a: a.max(dim=1).values, [x4], {"axis": 1, "keep": False}))
cases.append(make_case("max_axis_last_keep", "max_axis", lambda a: a.max(dim=-1, keepdim=True).values, [x4], {"axis": -1, "keep": True}))
cases.append(make_case("permute_0231", "permute", lambda a: a.permute(0, 2, 3, 1), [x4], {"order": [0, 2, 3, 1]}))
cases.append(make_case("transpose_last", "transpose", lambda a: a.transpose(-2, -1), [x4], {"a": -2, "b": -1}))
cases.append(make_case("reshape", "reshape", lambda a: a.reshape(6, -1), [x4], {"shape": [6, -1]}))
cases.append(make_case("concat_channels", "concat", lambda a, b: torch.cat([a, b], dim=1),
                       [x4, randn(2, 2, 4, 5, seed=10)], {"axis": 1}))
cases.append(make_case("concat_last", "concat", lambda a, b, c: torch.cat([a, b, c], dim=-1),
                       [a23, randn(2, 1, seed=11), randn(2, 4, seed=12)], {"axis": -1}))
cases.append(make_case("slice_step2", "slice", lambda a: a[:, :, 1:4:2, :], [x4], {"axis": 2, "start": 1, "end": 4, "step": 2}))
cases.append(make_case("split_mid", "split_part", lambda a: torch.split(a, [1, 2], dim=1)[1], [x4],
                       {"axis": 1, "sizes": [1, 2], "part": 1}))
cases.append(make_case("matmul_2d", "matmul", lambda a, b: a @ b, [randn(3, 4, seed=13), randn(4, 5, seed=14)]))
cases.append(make_case("matmul_rank3_by_2d", "matmul", lambda a, b: a @ b, [randn(2, 3, 4, seed=15), randn(4, 5, seed=16)]))
cases.append(make_case("matmul_batched", "matmul", lambda a, b: a @ b, [randn(2, 3, 4, seed=17), randn(2, 4, 5, seed=18)]))
cases.append(make_case("linear_bias", "linear", F.linear, [randn(2, 3, 6, seed=19), randn(4, 6, seed=20), randn(4, seed=21)]))

write_cases("fixtures/reference/tensor/core.json", __file__, cases)
