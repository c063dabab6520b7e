#include "qwen2.h"

#include <stdexcept>

namespace cmdai::mlx_engine {

namespace {

mx::array require(WeightMap & weights, const std::string & name) {
    auto it = weights.find(name);
    if (it == weights.end()) {
        throw std::runtime_error("model.safetensors has no tensor named " + name);
    }
    return it->second;
}

bool has(const WeightMap & weights, const std::string & name) { return weights.find(name) != weights.end(); }

Linear take_linear(WeightMap & weights, const std::string & prefix, bool with_bias, const Qwen2Config & config,
                   mx::Dtype dtype) {
    Linear layer;
    layer.weight = require(weights, prefix + ".weight");
    if (has(weights, prefix + ".scales")) {
        if (config.quantization_bits == 0) {
            throw std::runtime_error(prefix + " is quantized but config.json has no \"quantization\" block");
        }
        if (layer.weight.dtype() != mx::uint32) {
            throw std::runtime_error(prefix + ".weight must be uint32-packed in a quantized model");
        }
        layer.bits = config.quantization_bits;
        layer.group_size = config.quantization_group_size;
        layer.scales = mx::astype(require(weights, prefix + ".scales"), dtype);
        layer.quant_biases = mx::astype(require(weights, prefix + ".biases"), dtype);
    } else {
        if (!mx::issubdtype(layer.weight.dtype(), mx::floating)) {
            throw std::runtime_error(prefix + ".weight is not a float tensor and has no scales");
        }
        layer.weight = mx::astype(layer.weight, dtype);
    }
    if (with_bias)
        layer.bias = mx::astype(require(weights, prefix + ".bias"), dtype);
    return layer;
}

mx::array take_vector(WeightMap & weights, const std::string & name, mx::Dtype dtype) {
    return mx::astype(require(weights, name), dtype);
}

size_t parameters_of(const Linear & l) {
    size_t n = l.weight.size() * (l.bits ? 32 / l.bits : 1);
    if (l.bias)
        n += l.bias->size();
    return n;
}

size_t bytes_of(const Linear & l) {
    size_t n = l.weight.nbytes();
    if (l.bias)
        n += l.bias->nbytes();
    if (l.scales)
        n += l.scales->nbytes();
    if (l.quant_biases)
        n += l.quant_biases->nbytes();
    return n;
}

void collect(const Linear & l, std::vector<mx::array> & out) {
    out.push_back(l.weight);
    if (l.bias)
        out.push_back(*l.bias);
    if (l.scales)
        out.push_back(*l.scales);
    if (l.quant_biases)
        out.push_back(*l.quant_biases);
}

}  // namespace

mx::array Linear::operator()(const mx::array & x) const {
    mx::array y = scales ? mx::quantized_matmul(x, weight, *scales, quant_biases, /*transpose=*/true, group_size, bits)
                         : mx::matmul(x, mx::transpose(weight));
    return bias ? mx::add(y, *bias) : y;
}

mx::array Embedding::operator()(const mx::array & token_ids) const {
    if (!table.scales)
        return mx::take(table.weight, token_ids, 0);
    // Gather the packed rows and their scales, then unpack only those rows.
    return mx::dequantize(mx::take(table.weight, token_ids, 0), mx::take(*table.scales, token_ids, 0),
                          mx::take(*table.quant_biases, token_ids, 0), table.group_size, table.bits);
}

std::pair<mx::array, mx::array> KVCache::update_and_fetch(const mx::array & k, const mx::array & v) {
    const int B = k.shape(0), kv_heads = k.shape(1), L = k.shape(2), head_dim = k.shape(3);
    const int prev = offset;
    if (!keys || prev + L > keys->shape(2)) {
        const int grow = ((L + kStep - 1) / kStep) * kStep;
        auto new_keys = mx::zeros({B, kv_heads, grow, head_dim}, k.dtype());
        auto new_values = mx::zeros({B, kv_heads, grow, head_dim}, v.dtype());
        if (keys) {
            auto used_keys = mx::slice(*keys, {0, 0, 0, 0}, {B, kv_heads, prev, head_dim});
            auto used_values = mx::slice(*values, {0, 0, 0, 0}, {B, kv_heads, prev, head_dim});
            keys = mx::concatenate({used_keys, new_keys}, 2);
            values = mx::concatenate({used_values, new_values}, 2);
        } else {
            keys = new_keys;
            values = new_values;
        }
    }
    offset += L;
    const mx::Shape start = {0, 0, prev, 0};
    const mx::Shape stop = {B, kv_heads, offset, head_dim};
    keys = mx::slice_update(*keys, k, start, stop);
    values = mx::slice_update(*values, v, start, stop);
    return {mx::slice(*keys, {0, 0, 0, 0}, {B, kv_heads, offset, head_dim}),
            mx::slice(*values, {0, 0, 0, 0}, {B, kv_heads, offset, head_dim})};
}

mx::array Attention::operator()(const mx::array & x, KVCache & cache) const {
    const int B = x.shape(0), L = x.shape(1);
    const int head_dim = config.head_dim();
    auto heads = [&](const mx::array & t, int n) {
        return mx::transpose(mx::reshape(t, {B, L, n, head_dim}), {0, 2, 1, 3});
    };
    auto queries = heads(q_proj(x), config.num_attention_heads);
    auto keys = heads(k_proj(x), config.num_key_value_heads);
    auto values = heads(v_proj(x), config.num_key_value_heads);

    // Qwen2 rotates the two halves of each head (non-traditional, "NeoX" layout).
    queries = mx::fast::rope(queries, head_dim, false, config.rope_theta, 1.0f, cache.offset);
    keys = mx::fast::rope(keys, head_dim, false, config.rope_theta, 1.0f, cache.offset);
    auto [all_keys, all_values] = cache.update_and_fetch(keys, values);

    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    auto out = mx::fast::scaled_dot_product_attention(queries, all_keys, all_values, scale, L > 1 ? "causal" : "");
    out = mx::reshape(mx::transpose(out, {0, 2, 1, 3}), {B, L, config.num_attention_heads * head_dim});
    return o_proj(out);
}

mx::array MLP::operator()(const mx::array & x) const {
    auto gate = gate_proj(x);
    auto silu = mx::multiply(gate, mx::sigmoid(gate));
    return down_proj(mx::multiply(silu, up_proj(x)));
}

mx::array TransformerBlock::operator()(const mx::array & x, KVCache & cache) const {
    auto h = mx::add(x, self_attn(mx::fast::rms_norm(x, input_layernorm, rms_norm_eps), cache));
    return mx::add(h, mlp(mx::fast::rms_norm(h, post_attention_layernorm, rms_norm_eps)));
}

Qwen2Model::Qwen2Model(const Qwen2Config & config, WeightMap & weights, mx::Dtype dtype) :
    config_(config) {
    embed_tokens_.table = take_linear(weights, "model.embed_tokens", false, config, dtype);
    if (embed_tokens_.table.weight.shape(0) != config.vocab_size) {
        throw std::runtime_error("model.embed_tokens has " + std::to_string(embed_tokens_.table.weight.shape(0)) +
                                 " rows but config.json says vocab_size " + std::to_string(config.vocab_size));
    }
    for (int i = 0; i < config.num_hidden_layers; ++i) {
        const std::string p = "model.layers." + std::to_string(i);
        TransformerBlock block;
        block.rms_norm_eps = config.rms_norm_eps;
        block.input_layernorm = take_vector(weights, p + ".input_layernorm.weight", dtype);
        block.post_attention_layernorm = take_vector(weights, p + ".post_attention_layernorm.weight", dtype);
        auto & a = block.self_attn;
        a.config = config;
        a.q_proj = take_linear(weights, p + ".self_attn.q_proj", true, config, dtype);
        a.k_proj = take_linear(weights, p + ".self_attn.k_proj", true, config, dtype);
        a.v_proj = take_linear(weights, p + ".self_attn.v_proj", true, config, dtype);
        a.o_proj = take_linear(weights, p + ".self_attn.o_proj", false, config, dtype);
        block.mlp.gate_proj = take_linear(weights, p + ".mlp.gate_proj", false, config, dtype);
        block.mlp.up_proj = take_linear(weights, p + ".mlp.up_proj", false, config, dtype);
        block.mlp.down_proj = take_linear(weights, p + ".mlp.down_proj", false, config, dtype);
        layers_.push_back(std::move(block));
    }
    norm_ = take_vector(weights, "model.norm.weight", dtype);
    // Some tied checkpoints still ship lm_head; an untied one must.
    if (!config.tie_word_embeddings || has(weights, "lm_head.weight")) {
        lm_head_ = take_linear(weights, "lm_head", false, config, dtype);
    }

    std::vector<const Linear *> linears = {&embed_tokens_.table};
    if (lm_head_)
        linears.push_back(&*lm_head_);
    for (auto & b : layers_) {
        for (auto * l : {&b.self_attn.q_proj, &b.self_attn.k_proj, &b.self_attn.v_proj, &b.self_attn.o_proj,
                         &b.mlp.gate_proj, &b.mlp.up_proj, &b.mlp.down_proj}) {
            linears.push_back(l);
        }
        parameter_count_ += b.input_layernorm.size() + b.post_attention_layernorm.size();
        weight_bytes_ += b.input_layernorm.nbytes() + b.post_attention_layernorm.nbytes();
    }
    for (auto * l : linears) {
        parameter_count_ += parameters_of(*l);
        weight_bytes_ += bytes_of(*l);
    }
    parameter_count_ += norm_.size();
    weight_bytes_ += norm_.nbytes();
}

std::vector<mx::array> Qwen2Model::all_weights() const {
    std::vector<mx::array> out;
    collect(embed_tokens_.table, out);
    if (lm_head_)
        collect(*lm_head_, out);
    for (auto & b : layers_) {
        out.push_back(b.input_layernorm);
        out.push_back(b.post_attention_layernorm);
        for (auto * l : {&b.self_attn.q_proj, &b.self_attn.k_proj, &b.self_attn.v_proj, &b.self_attn.o_proj,
                         &b.mlp.gate_proj, &b.mlp.up_proj, &b.mlp.down_proj}) {
            collect(*l, out);
        }
    }
    out.push_back(norm_);
    return out;
}

mx::array Qwen2Model::forward_last(const mx::array & tokens, std::vector<KVCache> & caches) const {
    auto h = embed_tokens_(tokens);
    for (size_t i = 0; i < layers_.size(); ++i)
        h = layers_[i](h, caches[i]);
    const int L = h.shape(1), hidden = h.shape(2);
    auto last = mx::reshape(mx::slice(h, {0, L - 1, 0}, {1, L, hidden}), {1, hidden});
    last = mx::fast::rms_norm(last, norm_, config_.rms_norm_eps);
    auto logits = lm_head_ ? (*lm_head_)(last) : embed_tokens_.as_linear(last);
    return mx::astype(logits, mx::float32);
}

WeightMap load_weights(const std::vector<std::string> & files) {
    WeightMap all;
    for (const auto & file : files) {
        auto [arrays, metadata] = mx::load_safetensors(file);
        for (auto & [name, a] : arrays)
            all.insert_or_assign(name, a);
    }
    return all;
}

}  // namespace cmdai::mlx_engine
