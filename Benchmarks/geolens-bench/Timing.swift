import Foundation

/// Wall-clock timing for the benchmarks: warm-up calls, then the median of timed repeats.
struct Timing {
    var warmup = 2
    var repeats = 10

    /// The median time of one call of `body`, in milliseconds.
    func medianMilliseconds(_ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        let clock = ContinuousClock()
        var samples: [Double] = []
        for _ in 0..<repeats {
            let elapsed = clock.measure(body)
            samples.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
        }
        samples.sort()
        let mid = samples.count / 2
        return samples.count % 2 == 1 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2
    }
}

/// Keeps a result alive so the optimizer cannot drop the work that made it.
@inline(never)
func consume<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// CPU time used by the whole process so far (every thread), in milliseconds.
func processCPUMilliseconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) * 1e3 + Double(spec.tv_nsec) * 1e-6
}

/// The process's peak resident set size so far (VmHWM of /proc/self/status), in MiB; 0 where unavailable.
func peakRSSMiB() -> Double { statusMiB("VmHWM:") }

/// The process's resident set size now (VmRSS of /proc/self/status), in MiB; 0 where unavailable.
func currentRSSMiB() -> Double { statusMiB("VmRSS:") }

/// A kB line of /proc/self/status, in MiB.
private func statusMiB(_ key: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
          let kib = line.split(separator: " ").compactMap({ Double($0) }).first else { return 0 }
    return kib / 1024
}
