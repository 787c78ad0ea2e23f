#pragma once
// A small SHA-256 (FIPS 180-4) for the weights fingerprint; no crypto library is needed for it.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace attnscope::capture {

class Sha256 {
public:
    Sha256();
    void update(std::string_view bytes);
    /// Finishes the digest and returns it as 64 lowercase hex digits.
    std::string hexDigest();

private:
    void compress(const uint8_t* block);
    std::array<uint32_t, 8> m_state;
    std::array<uint8_t, 64> m_buffer{};
    std::size_t m_buffered = 0;
    uint64_t m_totalBytes = 0;
};

}  // namespace attnscope::capture
