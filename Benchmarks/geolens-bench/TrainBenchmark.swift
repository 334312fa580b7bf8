import Foundation
import GeoLensNN
import GeoLensTensor
import GeoLensTrain

/// `geolens-bench train [--base B] [--depth D] [--batch N] [--size S] [--threads T] [--steps K] [--warmup W]`:
/// training throughput of the classic U-Net, the same measurement as
/// scripts/reference/train_throughput.py makes in PyTorch: 6 bands, 3 classes, one fixed random
/// batch, training-mode batch norm, cross-entropy, AdamW (lr 1e-3, weight decay 0.01), K timed
/// steps after W untimed ones. No data pipeline on either side. Prints tiles/s (wall clock) and
/// the process CPU seconds of the timed steps.
enum TrainBenchmark {
    static let usage = "usage: geolens-bench train [--base B] [--depth D] [--batch N] [--size S] [--threads T] [--steps K] [--warmup W]"

    static func run(_ arguments: [String]) -> Never {
        var rest = arguments
        var base = 16, depth = 3, batch = 4, size = 64, threads = 2, steps = 20, warmup = 3
        while !rest.isEmpty {
            let flag = rest.removeFirst()
            guard let value = rest.first.flatMap(Int.init) else { usageError("\(flag) needs a number", usage: usage) }
            rest.removeFirst()
            switch flag {
            case "--base": base = value
            case "--depth": depth = value
            case "--batch": batch = value
            case "--size": size = value
            case "--threads": threads = value
            case "--steps": steps = value
            case "--warmup": warmup = value
            default: usageError("unknown option \(flag)", usage: usage)
            }
        }
        Parallel.setThreadCount(threads)
        var generator = SeededGenerator(seed: 0)
        let unet = ClassicUNet(inChannels: 6, classes: 3, baseChannels: base, depth: depth, generator: &generator)
        let parameters = unet.trainableParameters
        var configuration = OptimizerConfiguration(name: .adamw, learningRate: 1e-3)
        configuration.weightDecay = 0.01
        let optimizer = OptimizerFactory.make(configuration, parameters: parameters)
        let x = Tensor.randomNormal(shape: [batch, 6, size, size], using: &generator)
        let labels = (0..<(batch * size * size)).map { _ in Int32.random(in: 0..<3, using: &generator) }
        let loss = CrossEntropyLoss(ignoreIndex: 255)
        var start = ContinuousClock.now, startCPU = processCPUMilliseconds()
        for step in 0..<(warmup + steps) {
            if step == warmup { (start, startCPU) = (ContinuousClock.now, processCPUMilliseconds()) }
            let logits = unet.forward(x, context: ForwardContext(mode: .training))
            let value = loss(logits, labels: labels)
            let grads = gradients(of: value, wrt: parameters.map(\.parameter.value))
            optimizer.step(parameters.map(\.parameter), gradients: grads, learningRate: configuration.learningRate)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let cpu = (processCPUMilliseconds() - startCPU) / 1e3
        print("geolens threads=\(threads) base=\(base) depth=\(depth) batch=\(batch) size=\(size): "
              + "\(format3(Double(steps * batch) / seconds)) tiles/s, cpu \(format3(cpu)) s for \(steps) steps")
        exit(0)
    }
}
