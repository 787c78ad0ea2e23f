#pragma once
// RAII over HDF5 identifiers and the translation of HDF5's error stack into StoreError.
#include <hdf5.h>

#include <string>

namespace attnscope::store::detail {

/// Owns one HDF5 identifier (file, group, dataset, dataspace, datatype, attribute or
/// property list) and closes it with the matching close function.
class Handle {
public:
    Handle() = default;
    explicit Handle(hid_t id) : m_id(id) {}
    ~Handle() { reset(); }
    Handle(Handle&& other) noexcept : m_id(other.m_id) { other.m_id = H5I_INVALID_HID; }
    Handle& operator=(Handle&& other) noexcept;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    hid_t get() const { return m_id; }
    bool valid() const { return m_id >= 0; }
    /// Closes the identifier now; returns false when HDF5 reported a failure.
    bool reset();

private:
    hid_t m_id = H5I_INVALID_HID;
};

/// Silences HDF5's automatic error printing for the guard's lifetime, restoring the
/// caller's setting afterwards (other code in the process may rely on it).
class ErrorSilencer {
public:
    ErrorSilencer();
    ~ErrorSilencer();
    ErrorSilencer(const ErrorSilencer&) = delete;
    ErrorSilencer& operator=(const ErrorSilencer&) = delete;

private:
    H5E_auto2_t m_func = nullptr;
    void* m_data = nullptr;
};

/// The messages on HDF5's current error stack, outermost first, as one line (then clears it).
std::string takeHdf5ErrorMessage();

/// Throws StoreError("<what> (<hdf5 message>)") when `id` is negative; returns it otherwise.
hid_t check(hid_t id, const std::string& what);
/// Same for herr_t / htri_t results (negative = failure).
void checkStatus(herr_t status, const std::string& what);

/// Throws StoreError with the message.
[[noreturn]] void fail(const std::string& message);

}  // namespace attnscope::store::detail
