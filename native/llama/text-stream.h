// Turns the bytes of generated tokens into text that is safe to show, piece by piece.
//
// - A token may end in the middle of a UTF-8 character; those bytes wait for the next token.
// - Text that could be the start of a stop string waits until it is clear whether the stop
//   string completes. When one completes, generation stops and neither the stop string nor
//   anything after it is ever shown, even when it spans several tokens.
#pragma once

#include <string>
#include <vector>

namespace cmdai {

class TextStream {
  public:
    explicit TextStream(std::vector<std::string> stops) :
        stops_(std::move(stops)) {}

    // Adds a token's bytes; returns the text that can be shown now (possibly empty).
    std::string Push(const std::string & bytes);
    // At the end of generation: whatever is still held back (nothing after a stop string).
    std::string Flush();
    bool stopped() const { return stopped_; }

  private:
    std::vector<std::string> stops_;
    std::string incompleteUtf8_;
    std::string held_;
    bool stopped_ = false;
};

// Length of the longest prefix of `bytes` that does not end inside a UTF-8 character.
size_t CompleteUtf8Length(const std::string & bytes);

}  // namespace cmdai
