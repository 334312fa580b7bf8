#!/usr/bin/env bash
# Regenerates Sources/GeoLensNN/ONNX/Generated/onnx.pb.swift from onnx.proto with swift-protobuf.
#
# Usage: scripts/onnx/generate_proto.sh [path/to/onnx.proto]
#
# Needs protoc (3.21.12 was used: `apt-get install -y protobuf-compiler`). The protoc-gen-swift plugin
# is built in a scratch package outside the repository from swift-protobuf 1.39.0, the version
# GeoLensNN links, so the generated code and the runtime agree. Without an argument, onnx.proto is
# taken from the `onnx` wheel on PyPI (`pip download --no-deps onnx==$ONNX_VERSION`, default 1.23.2,
# the version the committed file was generated from). PROTOC_GEN_SWIFT may name an already built
# plugin to skip the plugin build (it must come from swift-protobuf 1.39.0).
# Types are generated with internal visibility so protobuf types stay out of GeoLensNN's public API.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${TMPDIR:-/tmp}/geolens-protoc-gen"
out="$repo/Sources/GeoLensNN/ONNX/Generated"
mkdir -p "$work/plugin/Sources/dummy" "$work/wheel" "$out"

proto="${1:-}"
if [[ -z "$proto" ]]; then
    pip="${PIP:-pip}"
    "$pip" download --no-deps "onnx==${ONNX_VERSION:-1.23.2}" -d "$work/wheel" >/dev/null
    wheel="$(ls "$work"/wheel/onnx-*.whl | head -n 1)"
    unzip -o -q "$wheel" 'onnx/onnx.proto' -d "$work/wheel"
    proto="$work/wheel/onnx/onnx.proto"
fi

plugin="${PROTOC_GEN_SWIFT:-}"
if [[ -z "$plugin" ]]; then
# The scratch package only exists to build the plugin at the pinned swift-protobuf version.
cat > "$work/plugin/Package.swift" <<'SWIFT'
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "ProtocPlugin",
    dependencies: [.package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0")],
    targets: [.target(name: "dummy", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")])])
SWIFT
echo "" > "$work/plugin/Sources/dummy/Dummy.swift"
(cd "$work/plugin" && swift build -c release --product protoc-gen-swift >/dev/null)
plugin="$work/plugin/.build/release/protoc-gen-swift"
fi

cp "$proto" "$work/onnx.proto"
protoc --plugin=protoc-gen-swift="$plugin" \
    --proto_path="$work" \
    --swift_out="$out" \
    --swift_opt=Visibility=Internal \
    "$work/onnx.proto"
echo "wrote $out/onnx.pb.swift from $proto"
