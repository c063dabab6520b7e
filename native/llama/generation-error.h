// The error every part of generation throws for a failure JS should see with a stable code.
#pragma once

#include <stdexcept>
#include <string>

namespace cmdai {

// A failure the caller reports to JS with a stable code (USAGE, GENERATION, ...).
class GenerationError : public std::runtime_error {
  public:
    GenerationError(std::string errorCode, const std::string & message) :
        std::runtime_error(message),
        code(std::move(errorCode)) {}
    std::string code;
};

}  // namespace cmdai
