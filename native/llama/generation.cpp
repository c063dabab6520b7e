#include "generation.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "kv-checksum.h"
#include "llama-log.h"
#include "stderr-capture.h"
#include "text-stream.h"

namespace cmdai {

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct SamplerDeleter {
    void operator()(llama_sampler * sampler) const { llama_sampler_free(sampler); }
};
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;

struct BatchDeleter {
    void operator()(llama_batch * batch) const {
        llama_batch_free(*batch);
        delete batch;
    }
};
using BatchPtr = std::unique_ptr<llama_batch, BatchDeleter>;

// llama.cpp prints GBNF syntax errors as "parse: error parsing grammar: <why>\n\n<grammar>\n"
// on stderr; takes <why> out of `printed` and removes that report from it.
std::string TakeGrammarSyntaxError(std::string & printed, const std::string & grammar) {
    static const std::string marker = "error parsing grammar: ";
    const size_t at = printed.find(marker);
    if (at == std::string::npos) {
        return "";
    }
    const size_t lineStart = at == 0 || printed.rfind('\n', at) == std::string::npos ? 0 : printed.rfind('\n', at) + 1;
    const size_t reasonStart = at + marker.size();
    size_t reasonEnd = printed.find('\n', reasonStart);
    if (reasonEnd == std::string::npos) {
        reasonEnd = printed.size();
    }
    std::string reason = printed.substr(reasonStart, reasonEnd - reasonStart);
    const std::string echo = "\n\n" + grammar + "\n";
    size_t reportEnd = printed.compare(reasonEnd, echo.size(), echo) == 0 ? reasonEnd + echo.size()
                                                                          : std::min(printed.size(), reasonEnd + 1);
    printed.erase(lineStart, reportEnd - lineStart);
    return reason;
}

llama_sampler * NewGrammarSampler(const llama_vocab * vocab, const std::string & grammar) {
    LogCapture log;
    StderrCapture stderrCapture;
    llama_sampler * sampler = llama_sampler_init_grammar(vocab, grammar.c_str(), "root");
    std::string printed = stderrCapture.Finish();
    std::string syntaxError = TakeGrammarSyntaxError(printed, grammar);
    StderrCapture::PassOn(printed);
    if (sampler == nullptr) {
        std::string reason = !syntaxError.empty() ? syntaxError : log.Reason();
        throw GenerationError("USAGE", "invalid grammar: " + (reason.empty() ? "llama.cpp could not parse it" : reason));
    }
    return sampler;
}

// Picks the next token: penalties, truncation, temperature and the draw (or greedy), with an
// optional grammar. Checking the grammar against the whole vocabulary (150k tokens for Qwen2) at
// every step is slow, so, as llama.cpp's own common sampler does, the token is drawn first and
// the grammar consulted only for it; only when the grammar rejects it is the draw repeated over
// the candidates the grammar allows. Either way the token is one the grammar allows.
class TokenSampler {
  public:
    TokenSampler(const llama_vocab * vocab, const SamplingOptions & options) :
        chain_(llama_sampler_chain_init(llama_sampler_chain_default_params())) {
        llama_sampler * chain = chain_.get();
        if (options.repeatPenalty != 1.0f) {
            llama_sampler_chain_add(chain, llama_sampler_init_penalties(llama_vocab_n_tokens(vocab), options.repeatLastN,
                                                                        options.repeatPenalty, 0.0f, 0.0f));
        }
        if (options.temperature <= 0.0f) {
            llama_sampler_chain_add(chain, llama_sampler_init_greedy());
        } else {
            if (options.topK > 0) {
                llama_sampler_chain_add(chain, llama_sampler_init_top_k(options.topK));
            }
            if (options.topP < 1.0f) {
                llama_sampler_chain_add(chain, llama_sampler_init_top_p(options.topP, 1));
            }
            if (options.minP > 0.0f) {
                llama_sampler_chain_add(chain, llama_sampler_init_min_p(options.minP, 1));
            }
            llama_sampler_chain_add(chain, llama_sampler_init_temp(options.temperature));
            llama_sampler_chain_add(chain, llama_sampler_init_dist(options.seed));
        }
        if (!options.grammar.empty()) {
            grammar_.reset(NewGrammarSampler(vocab, options.grammar));
        }
        candidates_.resize(llama_vocab_n_tokens(vocab));
        plainGreedy_ = options.temperature <= 0.0f && options.repeatPenalty == 1.0f;
    }

    llama_token Sample(llama_context * ctx) {
        if (plainGreedy_) {
            // Greedy with nothing to adjust the logits: an argmax, without building (and
            // allocating) a candidate array over the whole vocabulary at every token.
            const float * logits = llama_get_logits_ith(ctx, -1);
            llama_token token = Argmax(logits);
            if (grammar_ && !GrammarAllows(token)) {
                token = Draw(logits, true);
            }
            if (grammar_) {
                llama_sampler_accept(grammar_.get(), token);
            }
            return token;
        }
        if (!grammar_) {
            // Without a grammar this is exactly llama.cpp's llama_sampler_sample().
            return llama_sampler_sample(chain_.get(), ctx, -1);
        }
        const float * logits = llama_get_logits_ith(ctx, -1);
        llama_token token = Draw(logits, false);
        if (!GrammarAllows(token)) {
            token = Draw(logits, true);
        }
        llama_sampler_accept(grammar_.get(), token);
        llama_sampler_accept(chain_.get(), token);
        return token;
    }

  private:
    llama_token Argmax(const float * logits) const {
        llama_token best = 0;
        for (size_t i = 1; i < candidates_.size(); i++) {
            if (logits[i] > logits[best]) {
                best = static_cast<llama_token>(i);
            }
        }
        return best;
    }

    bool GrammarAllows(llama_token token) {
        llama_token_data single = {token, 1.0f, 0.0f};
        llama_token_data_array check = {&single, 1, -1, false};
        llama_sampler_apply(grammar_.get(), &check);
        return single.logit != -INFINITY;
    }

    llama_token Draw(const float * logits, bool constrained) {
        for (size_t i = 0; i < candidates_.size(); i++) {
            candidates_[i] = {static_cast<llama_token>(i), logits[i], 0.0f};
        }
        llama_token_data_array array = {candidates_.data(), candidates_.size(), -1, false};
        if (constrained) {
            llama_sampler_apply(grammar_.get(), &array);
        }
        llama_sampler_apply(chain_.get(), &array);
        if (array.selected < 0 || array.selected >= static_cast<int64_t>(array.size)) {
            throw GenerationError("GENERATION", "the sampler selected no token");
        }
        return array.data[array.selected].id;
    }

    SamplerPtr chain_;
    SamplerPtr grammar_;
    std::vector<llama_token_data> candidates_;
    bool plainGreedy_ = false;
};

std::string TokenPiece(const llama_vocab * vocab, llama_token token) {
    std::string piece(64, '\0');
    int32_t n = llama_token_to_piece(vocab, token, piece.data(), static_cast<int32_t>(piece.size()), 0, true);
    if (n < 0) {
        piece.resize(static_cast<size_t>(-n));
        n = llama_token_to_piece(vocab, token, piece.data(), static_cast<int32_t>(piece.size()), 0, true);
    }
    piece.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return piece;
}

size_t CommonPrefixLength(const std::vector<llama_token> & a, const std::vector<llama_token> & b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) {
        n++;
    }
    return n;
}

// Decodes `count` tokens at positions kvTokens.size()..; only the last one gets logits, and
// only if asked. kvTokens grows by exactly what landed in the KV cache.
int32_t DecodeTokens(llama_context * ctx, llama_batch & batch, const llama_token * tokens, size_t count,
                     bool logitsForLast, std::vector<llama_token> & kvTokens) {
    const size_t capacity = llama_n_batch(ctx);
    for (size_t start = 0; start < count; start += capacity) {
        const size_t end = std::min(count, start + capacity);
        const llama_pos firstPos = static_cast<llama_pos>(kvTokens.size());
        batch.n_tokens = 0;
        for (size_t i = start; i < end; i++) {
            const int32_t j = batch.n_tokens++;
            batch.token[j] = tokens[i];
            batch.pos[j] = firstPos + static_cast<llama_pos>(i - start);
            batch.n_seq_id[j] = 1;
            batch.seq_id[j][0] = 0;
            batch.logits[j] = logitsForLast && i == count - 1;
        }
        const int32_t status = llama_decode(ctx, batch);
        if (status != 0) {
            // An abort or failure may leave part of this batch behind; drop it so kvTokens
            // stays an exact description of the cache.
            llama_memory_seq_rm(llama_get_memory(ctx), 0, firstPos, -1);
            return status;
        }
        kvTokens.insert(kvTokens.end(), tokens + start, tokens + end);
    }
    return 0;
}

std::string DecodeFailure(int32_t status) {
    switch (status) {
        case 1:
            return "the context has no room left for these tokens (llama_decode returned 1)";
        case -1:
            return "llama.cpp rejected the batch as invalid (llama_decode returned -1)";
        default:
            return "llama.cpp failed to evaluate the model (llama_decode returned " + std::to_string(status) + ")";
    }
}

// --- Prefix state: memory snapshot and file ------------------------------------------------

// Version 2 adds a checksum of the KV payload (version 1 files are recomputed and rewritten).
constexpr char kPrefixFileMagic[8] = {'C', 'M', 'D', 'A', 'I', 'K', 'V', '\2'};

PrefixSnapshot CaptureSequence(llama_context * ctx, const std::vector<llama_token> & tokens) {
    PrefixSnapshot snapshot;
    snapshot.tokens = tokens;
    snapshot.state.resize(llama_state_seq_get_size(ctx, 0));
    const size_t written = llama_state_seq_get_data(ctx, snapshot.state.data(), snapshot.state.size(), 0);
    snapshot.state.resize(written);
    return snapshot;
}

bool RestoreSequence(llama_context * ctx, const PrefixSnapshot & snapshot, std::vector<llama_token> & kvTokens) {
    llama_memory_t memory = llama_get_memory(ctx);
    llama_memory_seq_rm(memory, 0, -1, -1);
    kvTokens.clear();
    if (snapshot.state.empty() || llama_state_seq_set_data(ctx, snapshot.state.data(), snapshot.state.size(), 0) == 0) {
        llama_memory_seq_rm(memory, 0, -1, -1);
        return false;
    }
    kvTokens = snapshot.tokens;
    return true;
}

bool ReadExact(FILE * file, void * data, size_t size) { return std::fread(data, 1, size, file) == size; }

// Reads a prefix file written for this model and exactly these tokens; anything else (missing,
// another model, another prefix, truncated, a payload that fails its checksum) is "not cached"
// and gets recomputed and rewritten. `problem` says why a file that was ours could not be used.
bool ReadPrefixFile(const std::string & path, uint64_t fingerprint, const std::vector<llama_token> & expectedTokens,
                    PrefixSnapshot & snapshot, std::string & problem) {
    std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) {
        return false;
    }
    char magic[sizeof(kPrefixFileMagic)];
    uint64_t fileFingerprint = 0;
    uint32_t tokenCount = 0;
    if (!ReadExact(file.get(), magic, sizeof(magic)) || std::memcmp(magic, kPrefixFileMagic, sizeof(magic)) != 0 ||
        !ReadExact(file.get(), &fileFingerprint, sizeof(fileFingerprint)) || fileFingerprint != fingerprint ||
        !ReadExact(file.get(), &tokenCount, sizeof(tokenCount)) || tokenCount != expectedTokens.size()) {
        return false;
    }
    std::vector<llama_token> tokens(tokenCount);
    uint64_t stateSize = 0;
    uint64_t checksum = 0;
    if (!ReadExact(file.get(), tokens.data(), tokens.size() * sizeof(llama_token)) || tokens != expectedTokens ||
        !ReadExact(file.get(), &stateSize, sizeof(stateSize)) || !ReadExact(file.get(), &checksum, sizeof(checksum))) {
        return false;
    }
    // Guard the allocation against a corrupt size field.
    const long here = std::ftell(file.get());
    std::fseek(file.get(), 0, SEEK_END);
    const long fileSize = std::ftell(file.get());
    std::fseek(file.get(), here, SEEK_SET);
    if (here < 0 || fileSize < 0 || stateSize != static_cast<uint64_t>(fileSize - here)) {
        problem = "its size does not match its header (truncated or corrupt)";
        return false;
    }
    snapshot.tokens = std::move(tokens);
    snapshot.state.resize(stateSize);
    if (!ReadExact(file.get(), snapshot.state.data(), snapshot.state.size())) {
        problem = "it could not be read completely";
        return false;
    }
    if (PayloadChecksum(snapshot.state.data(), snapshot.state.size()) != checksum) {
        problem = "its KV payload does not match its checksum (corrupt)";
        snapshot = PrefixSnapshot();
        return false;
    }
    return true;
}

void WritePrefixFile(const std::string & path, uint64_t fingerprint, const PrefixSnapshot & snapshot) {
    // Write beside the target and rename, so readers never see a half-written file.
    std::random_device random;
    const std::string partial = path + ".partial-" + std::to_string(random());
    FILE * file = std::fopen(partial.c_str(), "wb");
    if (file == nullptr) {
        throw GenerationError("USAGE", "cannot write the prefix cache file " + path + ": " + std::strerror(errno));
    }
    const uint32_t tokenCount = static_cast<uint32_t>(snapshot.tokens.size());
    const uint64_t stateSize = snapshot.state.size();
    const uint64_t checksum = PayloadChecksum(snapshot.state.data(), snapshot.state.size());
    bool ok = std::fwrite(kPrefixFileMagic, 1, sizeof(kPrefixFileMagic), file) == sizeof(kPrefixFileMagic) &&
              std::fwrite(&fingerprint, sizeof(fingerprint), 1, file) == 1 &&
              std::fwrite(&tokenCount, sizeof(tokenCount), 1, file) == 1 &&
              std::fwrite(snapshot.tokens.data(), sizeof(llama_token), tokenCount, file) == tokenCount &&
              std::fwrite(&stateSize, sizeof(stateSize), 1, file) == 1 &&
              std::fwrite(&checksum, sizeof(checksum), 1, file) == 1 &&
              std::fwrite(snapshot.state.data(), 1, stateSize, file) == stateSize;
    const int writeErrno = errno;
    ok = (std::fclose(file) == 0) && ok;
    if (ok) {
#ifdef _WIN32
        std::remove(path.c_str());
#endif
        ok = std::rename(partial.c_str(), path.c_str()) == 0;
    }
    if (!ok) {
        const int err = errno != 0 ? errno : writeErrno;
        std::remove(partial.c_str());
        throw GenerationError("USAGE", "cannot write the prefix cache file " + path + ": " + std::strerror(err));
    }
}

}  // namespace

void ValidateGrammar(const llama_vocab * vocab, const std::string & grammar) {
    llama_sampler_free(NewGrammarSampler(vocab, grammar));
}

void Generate(const GenerationTarget & target, SequenceCache & cache, const GenerationRequest & request,
              const std::atomic<bool> & abortRequested, const std::function<void(const std::string &)> & onText,
              GenerationResult & result) {
    const auto started = Clock::now();
    llama_context * ctx = target.ctx;
    const std::vector<llama_token> & prompt = request.prompt;
    const size_t contextSize = llama_n_ctx(ctx);

    if (prompt.empty()) {
        throw GenerationError("USAGE", "the prompt is empty");
    }
    if (prompt.size() >= contextSize) {
        throw GenerationError("USAGE", "the prompt is " + std::to_string(prompt.size()) + " tokens but the context holds " +
                                           std::to_string(contextSize) +
                                           " including the reply; shorten the prompt or load the model with a larger contextSize");
    }
    // Built first so that a bad grammar fails before any work is done.
    TokenSampler sampler(target.vocab, request.sampling);
    BatchPtr batch(new llama_batch(llama_batch_init(static_cast<int32_t>(llama_n_batch(ctx)), 0, 1)));

    // 1. Reuse as much of the KV cache as the new prompt shares with what is in it.
    const size_t prefixLength = std::min(request.prefixLength, prompt.size());
    const std::vector<llama_token> prefixTokens(prompt.begin(), prompt.begin() + prefixLength);
    size_t reused = CommonPrefixLength(cache.kvTokens, prompt);
    bool mustSavePrefix = false;
    result.prefixSource = "none";
    if (prefixLength > 0) {
        PrefixSnapshot fromFile;
        if (reused >= prefixLength) {
            result.prefixSource = "memory";
        } else if (cache.prefix.tokens == prefixTokens && RestoreSequence(ctx, cache.prefix, cache.kvTokens)) {
            result.prefixSource = "memory";
            reused = prefixLength;
        } else if (!request.prefixCacheFile.empty() &&
                   ReadPrefixFile(request.prefixCacheFile, target.modelFingerprint, prefixTokens, fromFile,
                                  result.prefixFileProblem) &&
                   RestoreSequence(ctx, fromFile, cache.kvTokens)) {
            result.prefixSource = "file";
            reused = prefixLength;
            cache.prefix = std::move(fromFile);
        } else {
            result.prefixSource = "computed";
            reused = CommonPrefixLength(cache.kvTokens, prompt);
            mustSavePrefix = true;
        }
    }
    // The last prompt token is always evaluated again: its logits drive the first sample.
    reused = std::min(reused, prompt.size() - 1);
    if (!llama_memory_seq_rm(llama_get_memory(ctx), 0, static_cast<llama_pos>(reused), -1)) {
        llama_memory_clear(llama_get_memory(ctx), true);
        reused = 0;
    }
    cache.kvTokens.resize(reused);
    result.promptTokens = static_cast<int32_t>(prompt.size());
    result.cachedTokens = static_cast<int32_t>(reused);

    // 2. Evaluate the rest of the prompt, stopping at the prefix boundary to snapshot it.
    int32_t status = 0;
    if (mustSavePrefix && reused < prefixLength) {
        status = DecodeTokens(ctx, *batch, prompt.data() + reused, prefixLength - reused, prefixLength == prompt.size(),
                              cache.kvTokens);
        if (status == 0) {
            cache.prefix = CaptureSequence(ctx, prefixTokens);
            if (!request.prefixCacheFile.empty()) {
                WritePrefixFile(request.prefixCacheFile, target.modelFingerprint, cache.prefix);
            }
        }
    }
    if (status == 0 && cache.kvTokens.size() < prompt.size()) {
        status = DecodeTokens(ctx, *batch, prompt.data() + cache.kvTokens.size(), prompt.size() - cache.kvTokens.size(), true,
                              cache.kvTokens);
    }
    result.promptMs = MsSince(started);
    if (status == 2) {
        result.stopReason = "abort";
        return;
    }
    if (status != 0) {
        throw GenerationError("GENERATION", DecodeFailure(status));
    }

    // 3. Sample, stream, evaluate the sampled token, repeat.
    const auto generationStarted = Clock::now();
    TextStream stream(request.stops);
    auto show = [&](const std::string & text) {
        if (!text.empty()) {
            result.text += text;
            onText(text);
        }
    };
    const size_t maxTokens = static_cast<size_t>(request.maxTokens);
    std::string stopReason = "length";
    while (true) {
        if (abortRequested) {
            stopReason = "abort";
            break;
        }
        llama_token token = sampler.Sample(ctx);
        if (result.tokens.empty()) {
            result.timeToFirstTokenMs = MsSince(started);
        }
        if (llama_vocab_is_eog(target.vocab, token)) {
            stopReason = "eos";
            break;
        }
        result.tokens.push_back(token);
        show(stream.Push(TokenPiece(target.vocab, token)));
        if (stream.stopped()) {
            stopReason = "stop";
            break;
        }
        if (result.tokens.size() >= maxTokens || cache.kvTokens.size() >= contextSize) {
            stopReason = "length";
            break;
        }
        status = DecodeTokens(ctx, *batch, &token, 1, true, cache.kvTokens);
        if (status == 2) {
            stopReason = "abort";
            break;
        }
        if (status != 0) {
            throw GenerationError("GENERATION", DecodeFailure(status));
        }
    }
    show(stream.Flush());
    result.stopReason = stopReason;
    result.generatedTokens = static_cast<int32_t>(result.tokens.size());
    result.generationMs = MsSince(generationStarted);
}

}  // namespace cmdai
