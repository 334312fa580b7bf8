import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Starts libFuzzer with the process's arguments and `harness` as the function under test.
///
/// SwiftPM gives every executable a `main` of its own, which would hide libFuzzer's; each
/// harness's `main.swift` therefore calls libFuzzer's driver (`LLVMFuzzerRunDriver`) itself.
public enum FuzzDriver {
    public static func run(_ harness: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runDriver(&argc, &argv, harness))
    }
}
