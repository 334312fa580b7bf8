import Foundation
import GeoLensTensor
import Testing
import GeoLensNN

/// Prefix stripping, rename rules and the missing / unexpected / wrong-shape report.
@Suite("Checkpoint keys")
struct CheckpointKeyTests {
    let expected: [String: [Int]] = ["conv.weight": [4, 3, 3, 3], "conv.bias": [4], "head.weight": [2, 4]]

    @Test func dataParallelPrefixIsStrippedWhenEveryKeyHasIt() {
        let checkpoint = ["module.conv.weight": [4, 3, 3, 3], "module.conv.bias": [4], "module.head.weight": [2, 4]]
        let report = StateDictMatcher().match(checkpoint: checkpoint, expected: expected)
        #expect(report.isExact)
        #expect(report.strippedPrefixes == ["module."])
        #expect(report.renames["module.conv.bias"] == "conv.bias")
    }

    @Test func nestedWrappersAreStrippedInTurn() {
        let checkpoint = ["module.model.conv.weight": [4, 3, 3, 3], "module.model.conv.bias": [4],
                          "module.model.head.weight": [2, 4]]
        let report = StateDictMatcher().match(checkpoint: checkpoint, expected: expected)
        #expect(report.isExact)
        #expect(report.strippedPrefixes == ["module.", "model."])
    }

    @Test func prefixIsKeptWhenTheModelUsesIt() {
        // The model itself has a submodule called "model": stripping would lose every match.
        let own = ["model.conv.weight": [4, 3, 3, 3], "model.conv.bias": [4]]
        let report = StateDictMatcher().match(checkpoint: own, expected: own)
        #expect(report.isExact)
        #expect(report.strippedPrefixes.isEmpty)
    }

    @Test func partialPrefixIsStrippedWhenItMakesKeysMatch() {
        // A Lightning module with the network under "model." and a loss weight beside it.
        let checkpoint = ["model.conv.weight": [4, 3, 3, 3], "model.conv.bias": [4], "model.head.weight": [2, 4],
                          "criterion.weight": [2]]
        let report = StateDictMatcher().match(checkpoint: checkpoint, expected: expected)
        #expect(report.missing.isEmpty)
        #expect(report.unexpected == ["criterion.weight"])
        #expect(report.strippedPrefixes == ["model."])
    }

    @Test func renameRulesApplyInOrderBeforeStripping() throws {
        let checkpoint = ["net.backbone.conv.weight": [4, 3, 3, 3], "net.backbone.conv.bias": [4],
                          "net.classifier.0.weight": [2, 4]]
        let rules = [KeyRenameRule(prefix: "net.backbone.", replacement: "net."),
                     try KeyRenameRule(regex: #"classifier\.(\d+)\."#, replacement: "head.")]
        let report = StateDictMatcher(renameRules: rules).match(checkpoint: checkpoint, expected: expected)
        #expect(report.isExact, "\(report)")
        #expect(report.renames["net.classifier.0.weight"] == "head.weight")
    }

    @Test func invalidRegexIsRejectedNamingIt() throws {
        let error = try #require(throws: CheckpointError.self) { try KeyRenameRule(regex: "([a-z", replacement: "") }
        #expect(error.code == .invalidRenameRule)
        #expect(error.message.contains("([a-z"))
    }

    @Test func mismatchesAreListedAndFailTheLoad() throws {
        var dict = StateDict()
        dict["conv.weight"] = .float(Tensor(zeros: [4, 3, 5, 5]))
        dict["conv.bias"] = .float(Tensor(zeros: [4]))
        dict["extra.weight"] = .float(Tensor(zeros: [1]))
        dict["bn.num_batches_tracked"] = .integer(IntegerTensor(shape: [], values: [3]))
        let matcher = StateDictMatcher()
        let report = matcher.match(checkpoint: dict.shapes, expected: expected)
        #expect(report.missing == ["head.weight"])
        #expect(report.unexpected == ["extra.weight"], "num_batches_tracked is ignored when the model lacks it")
        #expect(report.wrongShape == [.init(name: "conv.weight", expected: [4, 3, 3, 3], found: [4, 3, 5, 5])])

        let url = URL(fileURLWithPath: "/models/unet.pth")
        let error = try #require(throws: CheckpointError.self) {
            try matcher.apply(to: dict, expected: expected, file: url)
        }
        #expect(error.code == .keyMismatch)
        for fragment in ["/models/unet.pth", "1 missing (head.weight)", "1 unexpected (extra.weight)",
                         "conv.weight (checkpoint [4, 3, 5, 5], model [4, 3, 3, 3])"] {
            #expect(error.description.contains(fragment), "\(fragment) in \(error)")
        }

        let (partial, _) = try matcher.apply(to: dict, expected: expected, allowPartial: true)
        #expect(partial.names == ["conv.bias"], "a partial load keeps only keys that fit")
    }

    @Test func lightningFixtureMatchesItsNetworkAfterStripping() throws {
        let dict = try CheckpointReader.read(CheckpointExpectations.url("lightning.ckpt"))
        let network: [String: [Int]] = ["conv.weight": [4, 3, 3, 3], "conv.bias": [4], "bn.weight": [4],
                                        "bn.bias": [4], "bn.running_mean": [4], "bn.running_var": [4],
                                        "bn.num_batches_tracked": [], "head.weight": [2, 4], "head.bias": [2]]
        let (loaded, report) = try StateDictMatcher().apply(to: dict, expected: network)
        #expect(report.strippedPrefixes == ["model."])
        #expect(Set(loaded.names) == Set(network.keys))
        #expect(loaded.integer("bn.num_batches_tracked") != nil)
    }
}
