"""Reference values for conv2d and conv_transpose2d (forward, input/weight/bias gradients).

Asymmetric padding is produced in torch with F.pad then an unpadded conv2d (for the transposed
convolution: an unpadded conv_transpose2d, then cropping, which is what its padding means).

Run: python scripts/reference/tensor_conv.py   (writes fixtures/reference/tensor/conv.json)
"""
import torch.nn.functional as F

from common import make_case, randn, write_cases

cases = []
seed = [100]


def rnd(*shape):
    seed[0] += 1
    return randn(*shape, seed=seed[0])


def conv_case(name, x_shape, w_shape, stride=(1, 1), pad=(0, 0, 0, 0), dilation=(1, 1), groups=1, bias=True):
    top, left, bottom, right = pad
    inputs = [rnd(*x_shape), rnd(*w_shape)] + ([rnd(w_shape[0])] if bias else [])

    def fn(x, w, b=None):
        return F.conv2d(F.pad(x, (left, right, top, bottom)), w, b, stride=stride, dilation=dilation, groups=groups)

    attrs = {"stride": list(stride), "padding": list(pad), "dilation": list(dilation), "groups": groups}
    cases.append(make_case(name, "conv2d", fn, inputs, attrs, seed=seed[0]))


def conv_transpose_case(name, x_shape, w_shape, stride=(1, 1), pad=(0, 0, 0, 0), output_padding=(0, 0),
                        dilation=(1, 1), groups=1, bias=True):
    top, left, bottom, right = pad
    inputs = [rnd(*x_shape), rnd(*w_shape)] + ([rnd(w_shape[1] * groups)] if bias else [])

    def fn(x, w, b=None):
        full = F.conv_transpose2d(x, w, b, stride=stride, output_padding=output_padding, dilation=dilation,
                                  groups=groups)
        return full[:, :, top:full.shape[2] - bottom, left:full.shape[3] - right]

    attrs = {"stride": list(stride), "padding": list(pad), "output_padding": list(output_padding),
             "dilation": list(dilation), "groups": groups}
    cases.append(make_case(name, "conv_transpose2d", fn, inputs, attrs, seed=seed[0]))


conv_case("conv3x3_pad1_bias", (2, 3, 6, 7), (4, 3, 3, 3), pad=(1, 1, 1, 1))
conv_case("conv3x3_stride2_nobias", (2, 3, 7, 8), (5, 3, 3, 3), stride=(2, 2), pad=(1, 1, 1, 1), bias=False)
conv_case("conv3x3_asymmetric_pad_stride21", (2, 3, 6, 5), (4, 3, 3, 3), stride=(2, 1), pad=(1, 0, 2, 1))
conv_case("conv3x3_dilation2", (1, 3, 8, 8), (4, 3, 3, 3), pad=(2, 2, 2, 2), dilation=(2, 2))
conv_case("conv2x3_dilation21_asym", (1, 2, 7, 9), (3, 2, 2, 3), pad=(0, 2, 1, 0), dilation=(2, 1), bias=False)
conv_case("conv3x3_groups2", (2, 4, 6, 6), (6, 2, 3, 3), pad=(1, 1, 1, 1), groups=2)
conv_case("conv3x3_groups2_stride2_asym", (1, 4, 7, 6), (4, 2, 3, 3), stride=(2, 2), pad=(0, 1, 1, 0), groups=2,
          bias=False)
conv_case("conv1x1_pointwise_bias", (2, 5, 4, 4), (3, 5, 1, 1))
conv_case("conv1x1_stride2", (1, 4, 5, 5), (3, 4, 1, 1), stride=(2, 2), bias=False)
conv_case("conv1x1_groups2", (2, 4, 3, 3), (6, 2, 1, 1), groups=2)
conv_case("conv3x3_row_blocks", (1, 2, 24, 40), (3, 2, 3, 3), pad=(1, 1, 1, 1))
conv_case("depthwise3x3_pad1_bias", (2, 4, 7, 7), (4, 1, 3, 3), pad=(1, 1, 1, 1), groups=4)
conv_case("depthwise3x3_wide_rows", (1, 2, 5, 21), (2, 1, 3, 3), pad=(1, 1, 1, 1), groups=2)
conv_case("depthwise5x5_stride2", (1, 3, 9, 9), (3, 1, 5, 5), stride=(2, 2), pad=(2, 2, 2, 2), groups=3, bias=False)
conv_case("depthwise_multiplier2", (1, 3, 6, 6), (6, 1, 3, 3), pad=(1, 1, 1, 1), groups=3)
conv_case("depthwise_dilation2_asym", (1, 2, 8, 19), (2, 1, 3, 3), pad=(2, 1, 0, 2), dilation=(2, 2), groups=2)

conv_transpose_case("convT2x2_stride2_bias", (2, 4, 3, 3), (4, 3, 2, 2), stride=(2, 2))
conv_transpose_case("convT3x3_stride2_pad1_outpad1", (1, 3, 4, 4), (3, 2, 3, 3), stride=(2, 2), pad=(1, 1, 1, 1),
                    output_padding=(1, 1), bias=False)
conv_transpose_case("convT3x3_asym_pad_stride21_outpad", (1, 2, 4, 3), (2, 3, 3, 3), stride=(2, 1), pad=(0, 1, 2, 0),
                    output_padding=(1, 0))
conv_transpose_case("convT3x3_dilation2_groups2", (1, 4, 3, 3), (4, 3, 3, 3), pad=(1, 1, 1, 1), dilation=(2, 2),
                    groups=2)
conv_transpose_case("convT_depthwise_stride2", (1, 3, 4, 4), (3, 1, 3, 3), stride=(2, 2), pad=(1, 1, 1, 1), groups=3)
conv_transpose_case("convT1x1_pointwise", (2, 4, 3, 3), (4, 2, 1, 1), bias=False)

write_cases("fixtures/reference/tensor/conv.json", __file__, cases)
