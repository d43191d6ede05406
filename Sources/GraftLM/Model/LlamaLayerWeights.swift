import Graft

/// The weights of one transformer block, looked up once from the model's parameter tree.
struct LlamaLayerWeights {
    let inputNorm: Tensor
    let postAttentionNorm: Tensor
    var query, key, value, output: LinearWeights
    var gate, up, down: LinearWeights

    /// Reads layer `index` from `tree` (`model.layers.N.…` names), checking every shape against
    /// `config`; `source` names the tree's origin in errors.
    init(_ tree: ParameterTree, index: Int, config c: ModelConfig, source: String) throws {
        let prefix = "model.layers.\(index)."
        func norm(_ name: String) throws -> Tensor {
            let path = prefix + name + ".weight"
            guard let t = tree[path] else { throw ModelError.missingTensor(file: source, name: path) }
            guard t.shape == [c.hiddenSize] else {
                throw ModelError.shapeMismatch(file: source, name: path, expected: [c.hiddenSize], found: t.shape)
            }
            return t
        }
        func linear(_ name: String, out: Int, in inputs: Int, bias: Bool) throws -> LinearWeights {
            let projection = try LinearWeights(tree, path: prefix + name, inputCount: inputs, requireBias: bias, source: source)
            guard projection.shape == [out, inputs] else {
                throw ModelError.shapeMismatch(file: source, name: prefix + name + ".weight", expected: [out, inputs],
                                               found: projection.shape)
            }
            return projection
        }
        let h = c.hiddenSize, q = c.attentionHeadCount * c.headDimension, kv = c.keyValueHeadCount * c.headDimension
        inputNorm = try norm("input_layernorm")
        postAttentionNorm = try norm("post_attention_layernorm")
        query = try linear("self_attn.q_proj", out: q, in: h, bias: c.qkvBias)
        key = try linear("self_attn.k_proj", out: kv, in: h, bias: c.qkvBias)
        value = try linear("self_attn.v_proj", out: kv, in: h, bias: c.qkvBias)
        output = try linear("self_attn.o_proj", out: h, in: q, bias: c.outputProjectionBias)
        gate = try linear("mlp.gate_proj", out: c.intermediateSize, in: h, bias: c.mlpBias)
        up = try linear("mlp.up_proj", out: c.intermediateSize, in: h, bias: c.mlpBias)
        down = try linear("mlp.down_proj", out: h, in: c.intermediateSize, bias: c.mlpBias)
    }
}
