import Foundation
import Graft
import GraftLM
import XCTest

/// A loaded model's weights sit in one huge-page region, back to back in the order a forward
/// pass reads them (`Allocator.withHugePageRegion`), and so do a kernel-fused adapter's terms.
final class ModelMemoryLayoutTests: XCTestCase {
    func address(_ t: Tensor) -> Int { Int(bitPattern: t.node.buffer!.data) }

    func testGGUFWeightsAreContiguousInForwardOrder() throws {
        let loaded = try LlamaTestSupport.model()
        let tree = loaded.model.parameters
        let order = ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                     "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
        var previous = 0
        var bytes = 0
        for layer in 0..<loaded.model.config.layerCount {
            for module in order {
                let weight = try XCTUnwrap(tree["model.layers.\(layer).\(module).weight"], "\(layer) \(module)")
                XCTAssertGreaterThan(address(weight), previous, "layer \(layer) \(module) follows what the forward pass reads before it")
                previous = address(weight)
                bytes += weight.node.byteCount
            }
        }
        // The final norm and the embedding (read last, as the tied output head) come after.
        XCTAssertGreaterThan(address(try XCTUnwrap(tree["model.norm.weight"])), previous)
        XCTAssertGreaterThan(address(try XCTUnwrap(tree["model.embed_tokens.weight"])), previous)
        // Packed words, scales and biases of 270 projections plus the norms: nothing else between them.
        let first = address(try XCTUnwrap(tree["model.layers.0.input_layernorm.weight"]))
        let span = previous - first
        let factors = tree.flattened().filter { $0.path.hasPrefix("model.layers.") && !$0.path.hasSuffix(".weight") }
            .reduce(0) { $0 + $1.tensor.node.byteCount }
        XCTAssertLessThan(span, bytes + factors + 64 * 1024, "the layers' weights are packed without gaps")
    }
}
