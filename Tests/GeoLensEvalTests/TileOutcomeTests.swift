import GeoLensEval
import Testing

/// The order tile-task reports and galleries list tiles in.
@Suite struct TileOutcomeTests {
    @Test func classificationPutsConfidentMistakesFirstAndUnlabelledLast() {
        let configuration = ClassificationConfiguration(task: .classification, classes: ["a", "b", "c"])
        let tiles: [(String, TileScores)] = [
            ("right_sure", TileScores(probabilities: [0.9, 0.05, 0.05], target: .single(0))),
            ("wrong_unsure", TileScores(probabilities: [0.4, 0.35, 0.25], target: .single(1))),
            ("unlabelled", TileScores(probabilities: [0.99, 0.005, 0.005], target: nil)),
            ("wrong_sure", TileScores(probabilities: [0.05, 0.05, 0.9], target: .single(0))),
            ("right_unsure", TileScores(probabilities: [0.2, 0.5, 0.3], target: .single(1))),
        ]
        let outcomes = tiles.map { TileOutcome($0.1, configuration: configuration) }
        let order = TileOutcome.order(outcomes, ids: tiles.map(\.0)).map { tiles[$0].0 }
        #expect(order == ["wrong_sure", "wrong_unsure", "right_unsure", "right_sure", "unlabelled"])
        #expect(outcomes[3].wrong == true && outcomes[0].wrong == false && outcomes[2].wrong == nil)
        #expect(outcomes[3].predicted == [2] && outcomes[3].reference == [0] && abs(outcomes[3].confidence - 0.9) < 1e-7)
    }

    @Test func multilabelPutsMostWrongLabelsFirst() {
        let configuration = ClassificationConfiguration(task: .multilabel, classes: ["a", "b", "c"], thresholds: [0.5, 0.5, 0.5])
        let tiles: [(String, TileScores)] = [
            ("right", TileScores(probabilities: [0.9, 0.1, 0.1], target: .multiple([0]))),
            ("unlabelled", TileScores(probabilities: [0.9, 0.1, 0.1], target: nil)),
            ("two_wrong", TileScores(probabilities: [0.9, 0.9, 0.1], target: .multiple([2]))),
            ("one_wrong", TileScores(probabilities: [0.9, 0.1, 0.1], target: .multiple([0, 1]))),
            ("three_wrong", TileScores(probabilities: [0.9, 0.9, 0.1], target: .multiple([2]))),
        ]
        let outcomes = tiles.map { TileOutcome($0.1, configuration: configuration) }
        // two_wrong and three_wrong both miss 3 labels ({a, b} against {c}); the id breaks the tie.
        let order = TileOutcome.order(outcomes, ids: tiles.map(\.0)).map { tiles[$0].0 }
        #expect(order == ["three_wrong", "two_wrong", "one_wrong", "right", "unlabelled"])
        #expect(outcomes[2].wrongLabels == 3 && outcomes[3].wrongLabels == 1 && outcomes[0].wrongLabels == 0)
        #expect(outcomes[1].wrongLabels == nil && outcomes[1].wrong == nil)
    }
}
