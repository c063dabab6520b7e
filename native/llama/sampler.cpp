#include "sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "generation-error.h"
#include "llama-log.h"
#include "stderr-capture.h"

namespace cmdai {

namespace {

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
        throw GenerationError("USAGE",
                              "invalid grammar: " + (reason.empty() ? "llama.cpp could not parse it" : reason));
    }
    return sampler;
}

}  // namespace

TokenSampler::TokenSampler(const llama_vocab * vocab, const SamplingOptions & options) :
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
    // CMDAI_GRAMMAR_FULL_FILTER=1 always filters the whole vocabulary: the reference the ordered
    // search is tested against (test/engine/answer-prefix.test.ts).
    if (options.repeatPenalty == 1.0f && std::getenv("CMDAI_GRAMMAR_FULL_FILTER") == nullptr) {
        likelyCount_ = options.temperature <= 0.0f ? 1 : static_cast<size_t>(std::max(0, options.topK));
    }
}

llama_token TokenSampler::Sample(llama_context * ctx, const float * kept) {
    const float * logits = kept != nullptr ? kept : llama_get_logits_ith(ctx, -1);
    if (plainGreedy_) {
        // Greedy with nothing to adjust the logits: an argmax, without building (and
        // allocating) a candidate array over the whole vocabulary at every token.
        llama_token token = Argmax(logits);
        if (grammar_ && !GrammarAllows(token)) {
            token = DrawConstrained(logits);
        }
        if (grammar_) {
            llama_sampler_accept(grammar_.get(), token);
        }
        return token;
    }
    if (!grammar_) {
        if (kept == nullptr) {
            // Without a grammar this is exactly llama.cpp's llama_sampler_sample().
            return llama_sampler_sample(chain_.get(), ctx, -1);
        }
        // The same steps over the kept logits.
        const llama_token token = Draw(logits, false);
        llama_sampler_accept(chain_.get(), token);
        return token;
    }
    llama_token token = Draw(logits, false);
    if (!GrammarAllows(token)) {
        token = DrawConstrained(logits);
    }
    llama_sampler_accept(grammar_.get(), token);
    llama_sampler_accept(chain_.get(), token);
    return token;
}

bool TokenSampler::Force(llama_token token) {
    if (grammar_) {
        if (!GrammarAllows(token)) {
            return false;
        }
        llama_sampler_accept(grammar_.get(), token);
    }
    llama_sampler_accept(chain_.get(), token);
    return true;
}

llama_token TokenSampler::Argmax(const float * logits) const {
    llama_token best = 0;
    for (size_t i = 1; i < candidates_.size(); i++) {
        if (logits[i] > logits[best]) {
            best = static_cast<llama_token>(i);
        }
    }
    return best;
}

bool TokenSampler::GrammarAllows(llama_token token) {
    llama_token_data single = {token, 1.0f, 0.0f};
    llama_token_data_array check = {&single, 1, -1, false};
    llama_sampler_apply(grammar_.get(), &check);
    return single.logit != -INFINITY;
}

llama_token TokenSampler::DrawConstrained(const float * logits) {
    const llama_token token = likelyCount_ > 0 ? DrawAmongLikely(logits) : LLAMA_TOKEN_NULL;
    return token != LLAMA_TOKEN_NULL ? token : Draw(logits, true);
}

// Running the grammar over the whole vocabulary costs tens of milliseconds a token. When the
// chain after the grammar keeps only the K most likely tokens (top-k, or greedy: K = 1), those
// are the first K tokens the grammar allows in order of logit, so candidates are taken in that
// order, a slice at a time, and checked one by one. The chain then runs on exactly the tokens the
// whole-vocabulary path would have kept, and draws the same token. Returns LLAMA_TOKEN_NULL when
// the allowed tokens are too rare among the 2k most likely (a string forced to close, say); the
// caller filters the whole vocabulary then, having spent a few percent of that on the search.
llama_token TokenSampler::DrawAmongLikely(const float * logits) {
    constexpr size_t kFirstSlice = 256;
    constexpr size_t kMostScanned = 2048;
    const size_t total = candidates_.size();
    for (size_t i = 0; i < total; i++) {
        candidates_[i] = {static_cast<llama_token>(i), logits[i], 0.0f};
    }
    const auto moreLikely = [](const llama_token_data & a, const llama_token_data & b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    };
    likely_.clear();
    size_t scanned = 0;
    for (size_t slice = kFirstSlice; scanned < total && likely_.size() < likelyCount_; slice *= 2) {
        if (scanned >= kMostScanned) {
            return LLAMA_TOKEN_NULL;
        }
        const size_t end = std::min(total, scanned + slice);
        std::partial_sort(candidates_.begin() + scanned, candidates_.begin() + end, candidates_.end(), moreLikely);
        for (; scanned < end && likely_.size() < likelyCount_; scanned++) {
            if (GrammarAllows(candidates_[scanned].id)) {
                likely_.push_back(candidates_[scanned]);
            }
        }
    }
    if (likely_.empty()) {
        return LLAMA_TOKEN_NULL;
    }
    llama_token_data_array array = {likely_.data(), likely_.size(), -1, false};
    llama_sampler_apply(chain_.get(), &array);
    if (array.selected < 0 || array.selected >= static_cast<int64_t>(array.size)) {
        throw GenerationError("GENERATION", "the sampler selected no token");
    }
    return array.data[array.selected].id;
}

llama_token TokenSampler::Draw(const float * logits, bool constrained) {
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

}  // namespace cmdai
