// The Qwen2 transformer written against mlx::core, reading the mlx-community weight layout.
// Names follow the model's config.json and mlx-lm's qwen2.py one to one: config, attention,
// MLP, block, model, KV cache. No Node-API here; everything runs on the model's own thread.
#pragma once

#include <mlx/mlx.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cmdai::mlx_engine {

namespace mx = mlx::core;

/** config.json, already validated by the TypeScript loader. */
struct Qwen2Config {
    int hidden_size = 0;
    int intermediate_size = 0;
    int num_hidden_layers = 0;
    int num_attention_heads = 0;
    int num_key_value_heads = 0;
    int vocab_size = 0;
    float rms_norm_eps = 1e-6f;
    float rope_theta = 1000000.0f;
    bool tie_word_embeddings = true;
    // The `quantization` block; bits == 0 means the weights are not quantized.
    int quantization_group_size = 64;
    int quantization_bits = 0;

    int head_dim() const { return hidden_size / num_attention_heads; }
};

using WeightMap = std::unordered_map<std::string, mx::array>;

/** A linear layer, float or affine-quantized (weight uint32-packed, scales, biases). */
struct Linear {
    mx::array weight = mx::array(0.0f);
    std::optional<mx::array> bias;
    std::optional<mx::array> scales;
    std::optional<mx::array> quant_biases;
    int group_size = 64;
    int bits = 0;

    mx::array operator()(const mx::array & x) const;
};

/** Token embedding; when tied it is also the output projection. */
struct Embedding {
    Linear table;  // [vocab, hidden], possibly quantized
    mx::array operator()(const mx::array & token_ids) const;
    mx::array as_linear(const mx::array & x) const { return table(x); }
};

/** Keys and values of one layer, grown in steps so appending does not reallocate every token. */
struct KVCache {
    static constexpr int kStep = 256;
    std::optional<mx::array> keys;  // [B, kv_heads, capacity, head_dim]
    std::optional<mx::array> values;
    int offset = 0;

    /** Appends [B, kv_heads, L, head_dim] and returns everything cached so far. */
    std::pair<mx::array, mx::array> update_and_fetch(const mx::array & k, const mx::array & v);
    void reset() {
        keys.reset();
        values.reset();
        offset = 0;
    }
};

struct Attention {
    Qwen2Config config;  // head counts, head size and rope_theta
    Linear q_proj, k_proj, v_proj, o_proj;

    mx::array operator()(const mx::array & x, KVCache & cache) const;
};

struct MLP {
    Linear gate_proj, up_proj, down_proj;
    mx::array operator()(const mx::array & x) const;
};

struct TransformerBlock {
    Attention self_attn;
    MLP mlp;
    mx::array input_layernorm = mx::array(0.0f);
    mx::array post_attention_layernorm = mx::array(0.0f);
    float rms_norm_eps = 1e-6f;

    mx::array operator()(const mx::array & x, KVCache & cache) const;
};

class Qwen2Model {
  public:
    /** Builds the model from loaded weights; throws std::runtime_error naming a missing tensor. */
    Qwen2Model(const Qwen2Config & config, WeightMap & weights, mx::Dtype compute_dtype);

    /** Runs tokens [1, L] through the model, appending to `caches`; returns last-position logits [1, vocab] (float32).
     */
    mx::array forward_last(const mx::array & tokens, std::vector<KVCache> & caches) const;

    std::vector<KVCache> make_caches() const { return std::vector<KVCache>(layers_.size()); }
    const Qwen2Config & config() const { return config_; }
    size_t parameter_count() const { return parameter_count_; }
    size_t weight_bytes() const { return weight_bytes_; }
    /** All weight arrays, for evaluating them once at load time. */
    std::vector<mx::array> all_weights() const;

  private:
    Qwen2Config config_;
    Embedding embed_tokens_;
    std::vector<TransformerBlock> layers_;
    mx::array norm_ = mx::array(0.0f);
    std::optional<Linear> lm_head_;
    size_t parameter_count_ = 0;
    size_t weight_bytes_ = 0;
};

/** Reads every model*.safetensors file of a model folder into one map. */
WeightMap load_weights(const std::vector<std::string> & files);

}  // namespace cmdai::mlx_engine
