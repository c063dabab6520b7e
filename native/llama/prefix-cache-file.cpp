#include "prefix-cache-file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "generation-error.h"
#include "kv-checksum.h"

namespace cmdai {

namespace {

// Version 2 adds a checksum of the KV payload (version 1 files are recomputed and rewritten).
constexpr char kPrefixFileMagic[8] = {'C', 'M', 'D', 'A', 'I', 'K', 'V', '\2'};

bool ReadExact(FILE * file, void * data, size_t size) { return std::fread(data, 1, size, file) == size; }

}  // namespace

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

}  // namespace cmdai
