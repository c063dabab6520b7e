// The MLX engine's parts: MLX model folders (mlx-community layout) through hand-written C++
// over mlx::core (native/mlx), behind the same `Model` interface as the llama.cpp engine.
// Behaviour spec: specs/mlx.md.
export { loadMlxModel } from './model';
export { loadMlxAddon, mlxAddonCandidates, type MlxAddonLookup } from './binding';
export { JsonSchemaConstraint } from './json-schema-mask';
export { MlxTokenizer } from './tokenizer';
