import Foundation

/// McNemar's test of two classifiers scored on the same tiles, from the discordant tiles only:
/// `b` tiles that run A gets right and run B wrong, `c` the other way round (for multi-label,
/// "right" is the whole label set). Both forms statsmodels' `mcnemar` gives are computed:
///
/// - exact (`exact=True`): statistic min(b, c), p-value the two-sided binomial test of min(b, c)
///   successes in b + c trials with probability 1/2 (2 x the lower tail, capped at 1);
/// - chi-square with continuity correction (`exact=False, correction=True`): statistic
///   (|b - c| - 1)^2 / (b + c) as statsmodels writes it (not clipped at 0), p-value the upper tail
///   of chi-square with 1 degree of freedom; undefined (null) when b + c = 0.
///
/// `test` names the one reported as `p_value`: the exact test while b + c < 25, where the
/// chi-square approximation is poor, the corrected chi-square from 25 discordant tiles on.
public struct McNemarTest: Sendable, Equatable, Encodable {
    public var b: Int
    public var c: Int
    public var exactStatistic: Double
    public var exactPValue: Double
    public var chiSquareStatistic: Double?
    public var chiSquarePValue: Double?

    /// Discordant tiles from which the chi-square form is reported instead of the exact test.
    public static let chiSquareFrom = 25

    public init(b: Int, c: Int) {
        precondition(b >= 0 && c >= 0, "McNemarTest: negative counts \(b), \(c)")
        self.b = b
        self.c = c
        let n = b + c
        let k = min(b, c)
        exactStatistic = Double(k)
        exactPValue = n == 0 ? 1 : min(1, 2 * Self.binomialLowerTail(k, n))
        if n > 0 {
            let statistic = pow(Double(abs(b - c)) - 1, 2) / Double(n)
            chiSquareStatistic = statistic
            chiSquarePValue = erfc((statistic / 2).squareRoot())
        }
    }

    public var discordant: Int { b + c }
    /// `exact` or `chi2_corrected`: which p-value `pValue` is.
    public var test: String { discordant < Self.chiSquareFrom ? "exact" : "chi2_corrected" }
    public var pValue: Double? { test == "exact" ? exactPValue : chiSquarePValue }

    /// P(X <= k) for X ~ Binomial(n, 1/2), summed in log space (exact to double rounding for any n).
    static func binomialLowerTail(_ k: Int, _ n: Int) -> Double {
        let logHalfN = Double(n) * log(0.5)
        // log C(n, i) built up term by term: C(n, i + 1) = C(n, i) (n - i) / (i + 1).
        var logChoose = 0.0
        var terms: [Double] = []
        for i in 0...k {
            terms.append(logChoose + logHalfN)
            logChoose += log(Double(n - i)) - log(Double(i + 1))
        }
        let top = terms.max()!
        return exp(top) * terms.reduce(0) { $0 + exp($1 - top) }
    }

    private enum CodingKeys: String, CodingKey {
        case b, c, discordant, test, pValue = "p_value"
        case exactStatistic = "exact_statistic", exactPValue = "exact_p_value"
        case chiSquareStatistic = "chi2_statistic", chiSquarePValue = "chi2_p_value"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(b, forKey: .b)
        try container.encode(c, forKey: .c)
        try container.encode(discordant, forKey: .discordant)
        try container.encode(test, forKey: .test)
        try container.encode(pValue, forKey: .pValue)
        try container.encode(exactStatistic, forKey: .exactStatistic)
        try container.encode(exactPValue, forKey: .exactPValue)
        try container.encode(chiSquareStatistic, forKey: .chiSquareStatistic)
        try container.encode(chiSquarePValue, forKey: .chiSquarePValue)
    }
}
