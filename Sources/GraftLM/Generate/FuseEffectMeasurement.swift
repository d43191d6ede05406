import Foundation
import Graft
import GraftIO
import GraftNN

/// How much of the adapters' effect on the model's next-token distributions survives fusing
/// and storing (re-quantization or half-precision rounding), measured on sample sequences.
///
/// Three models read the same token sequences: the base, the tuned model (base + adapters on
/// the side, exact float32), and the fused model as stored. At every position `i`:
/// - effect: `KL(p_tuned ‖ p_base)`, how far the adapters move the distribution;
/// - loss: `KL(p_tuned ‖ p_fused)`, how far the stored model is from the tuned one.
///
/// `kept = 1 − Σ loss / Σ effect` (means over all positions, in nats): 1 when the stored model
/// behaves like the tuned one, 0 when it is as far from it as the base model is (the adapters'
/// effect erased), negative when storing adds more noise than the adapters' effect. Below
/// ``minimumKept`` `graft fuse` refuses to write (unless `--force`).
public struct FuseEffectMeasurement: Sendable, Equatable {
    /// Mean `KL(p_tuned ‖ p_base)` per position, in nats.
    public let effect: Double
    /// Mean `KL(p_tuned ‖ p_fused)` per position, in nats.
    public let loss: Double
    /// Positions measured.
    public let positions: Int
    /// Fraction of positions where the fused model's most likely token is the tuned model's.
    public let topTokenAgreement: Double

    /// Below this kept fraction the adapters' effect counts as lost.
    public static let minimumKept = 0.5

    /// A measurement from its parts.
    public init(effect: Double, loss: Double, positions: Int, topTokenAgreement: Double) {
        self.effect = effect
        self.loss = loss
        self.positions = positions
        self.topTokenAgreement = topTokenAgreement
    }

    /// `1 − loss / effect` (1 when the adapters have no measurable effect).
    public var kept: Double { effect > 0 ? 1 - loss / effect : 1 }

    /// Whether storing erased most of the adapters' effect.
    public var effectLost: Bool { kept < Self.minimumKept }

    /// One line for the terminal.
    public var summary: String {
        String(format: "adapter effect on %d sample positions: KL(tuned‖base) %.4g nats, KL(tuned‖fused) %.4g nats → %.1f%% kept; top token agrees at %.1f%%",
               positions, effect, loss, 100 * kept, 100 * topTokenAgreement)
    }

    /// Measures `stored` (the fused model as written) against `base` with `adapter` on the side,
    /// over `sequences` (token ids; each sequence's every position counts).
    /// - Throws: ``ModelError/invalidInput(_:)`` for an empty sequence or an id outside the vocabulary.
    public static func measure(base: LlamaModel, adapter: LoRAAdapter, stored: LlamaModel,
                               sequences: [[Int32]]) throws -> FuseEffectMeasurement {
        let s = adapter.settings
        let lora = LoRAConfig(rank: s.rank, alpha: s.alpha, dropout: 0, dora: s.dora)
        let tree = ParameterTree(flattened: adapter.tensors.map { ($0.key, $0.value) })
        let vocabulary = base.config.vocabularySize
        var effect = 0.0, loss = 0.0, agree = 0, positions = 0
        for tokens in sequences {
            guard !tokens.isEmpty else { throw ModelError.invalidInput("an empty sample sequence") }
            if let bad = tokens.first(where: { $0 < 0 || Int($0) >= vocabulary }) {
                throw ModelError.invalidInput("token id \(bad) is outside the model's vocabulary (0..<\(vocabulary))")
            }
            let input = Tensor(tokens, shape: [1, tokens.count])
            let tuned = base.logits(input, adapters: tree, lora: lora, dropoutKey: nil)
            let plain = base.logits(input, adapters: .empty, lora: lora, dropoutKey: nil)
            let fused = stored.logits(input, adapters: .empty, lora: lora, dropoutKey: nil)
            eval([tuned, plain, fused])
            let t = tuned.toArray(as: Float.self), b = plain.toArray(as: Float.self), f = fused.toArray(as: Float.self)
            for position in 0..<tokens.count {
                let range = (position * vocabulary)..<((position + 1) * vocabulary)
                let (kb, _) = divergence(t[range], b[range])
                let (kf, same) = divergence(t[range], f[range])
                effect += kb
                loss += kf
                if same { agree += 1 }
                positions += 1
            }
        }
        let n = Double(max(positions, 1))
        return FuseEffectMeasurement(effect: effect / n, loss: loss / n, positions: positions, topTokenAgreement: Double(agree) / n)
    }

    /// `KL(softmax(p) ‖ softmax(q))` in float64, and whether both argmaxes agree.
    static func divergence(_ p: ArraySlice<Float>, _ q: ArraySlice<Float>) -> (Double, Bool) {
        func logNormalizer(_ x: ArraySlice<Float>) -> (Double, Int) {
            var best = x.startIndex
            for i in x.indices where x[i] > x[best] { best = i }
            let top = Double(x[best])
            var sum = 0.0
            for v in x { sum += Foundation.exp(Double(v) - top) }
            return (top + Foundation.log(sum), best - x.startIndex)
        }
        let (zp, ap) = logNormalizer(p), (zq, aq) = logNormalizer(q)
        var kl = 0.0
        for (u, v) in zip(p, q) {
            let logP = Double(u) - zp
            kl += Foundation.exp(logP) * (logP - (Double(v) - zq))
        }
        return (max(kl, 0), ap == aq)
    }

    /// Sample sequences for the measurement: a few chat questions rendered with the model's
    /// template (plain text without one), each followed by up to `continuation` tokens the tuned
    /// model generates greedily, so the positions include the tuned model's own answers.
    public static func sampleSequences(_ loaded: LoadedModel, adapter: LoRAAdapter, continuation: Int = 12) throws -> [[Int32]] {
        let questions = ["What is the capital of France?", "Write a SQL query that lists the customers living in Paris.",
                         "Explain in one sentence why the sky is blue."]
        let s = adapter.settings
        let side = loaded.applyingOnTheSide(tree: ParameterTree(flattened: adapter.tensors.map { ($0.key, $0.value) }),
                                            lora: LoRAConfig(rank: s.rank, alpha: s.alpha, dropout: 0, dora: s.dora))
        let generator = Generator(side)
        return try questions.map { question in
            let prompt = loaded.chatTemplate == nil ? loaded.textTokens(question)
                : try loaded.chatTokens([ChatMessage(role: "user", content: question)])
            let answer = try generator.generate(prompt: prompt, options: GenerationOptions(maxTokens: continuation)).tokens
            return prompt + answer
        }
    }
}
