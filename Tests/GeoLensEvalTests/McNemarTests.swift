import Foundation
import GeoLensEval
import GeoLensTestSupport
import Testing

/// McNemar's test against statsmodels' `mcnemar` (scripts/reference/mcnemar_statsmodels.py).
@Suite("McNemar's test matches statsmodels")
struct McNemarTests {
    struct Case: Decodable {
        let b: Int, c: Int
        let exactStatistic: Double, exactPValue: Double
        let chi2Statistic: Double?, chi2PValue: Double?
        enum CodingKeys: String, CodingKey {
            case b, c, exactStatistic = "exact_statistic", exactPValue = "exact_p_value"
            case chi2Statistic = "chi2_statistic", chi2PValue = "chi2_p_value"
        }
    }
    struct File: Decodable { let cases: [Case] }

    func close(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a - b) <= 1e-9 * max(abs(b), 1e-300) || abs(a - b) <= 1e-12
    }

    @Test func statsmodelsValues() throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: Fixtures.url("fixtures/reference/metrics/mcnemar.json")))
        #expect(file.cases.count >= 10)
        for r in file.cases {
            let t = McNemarTest(b: r.b, c: r.c)
            #expect(t.exactStatistic == r.exactStatistic, "(\(r.b), \(r.c))")
            #expect(close(t.exactPValue, r.exactPValue), "(\(r.b), \(r.c)) exact p \(t.exactPValue) vs \(r.exactPValue)")
            #expect(close(t.chiSquareStatistic, r.chi2Statistic), "(\(r.b), \(r.c)) chi2 \(String(describing: t.chiSquareStatistic))")
            #expect(close(t.chiSquarePValue, r.chi2PValue), "(\(r.b), \(r.c)) chi2 p \(String(describing: t.chiSquarePValue)) vs \(String(describing: r.chi2PValue))")
            #expect(t.test == (r.b + r.c < 25 ? "exact" : "chi2_corrected"))
            #expect(t.pValue == (t.test == "exact" ? t.exactPValue : t.chiSquarePValue))
        }
    }

    @Test func jsonNamesTheReportedTest() throws {
        let data = try JSONEncoder().encode(McNemarTest(b: 3, c: 12))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["test"] as? String == "exact")
        #expect(object["b"] as? Int == 3 && object["c"] as? Int == 12 && object["discordant"] as? Int == 15)
        #expect(abs((object["p_value"] as? Double ?? 0) - 0.03515625) < 1e-12)
    }
}
