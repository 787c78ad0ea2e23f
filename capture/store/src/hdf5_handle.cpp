#include "hdf5_handle.h"

#include <vector>

#include "attnscope/store/store_error.h"

namespace attnscope::store::detail {

Handle& Handle::operator=(Handle&& other) noexcept {
    if (this != &other) {
        reset();
        m_id = other.m_id;
        other.m_id = H5I_INVALID_HID;
    }
    return *this;
}

bool Handle::reset() {
    if (m_id < 0) return true;
    herr_t status = -1;
    switch (H5Iget_type(m_id)) {
        case H5I_FILE:
            status = H5Fclose(m_id);
            break;
        case H5I_GROUP:
            status = H5Gclose(m_id);
            break;
        case H5I_DATASET:
            status = H5Dclose(m_id);
            break;
        case H5I_DATASPACE:
            status = H5Sclose(m_id);
            break;
        case H5I_DATATYPE:
            status = H5Tclose(m_id);
            break;
        case H5I_ATTR:
            status = H5Aclose(m_id);
            break;
        case H5I_GENPROP_LST:
            status = H5Pclose(m_id);
            break;
        default:
            status = H5Idec_ref(m_id) < 0 ? -1 : 0;
            break;
    }
    m_id = H5I_INVALID_HID;
    return status >= 0;
}

ErrorSilencer::ErrorSilencer() {
    H5Eget_auto2(H5E_DEFAULT, &m_func, &m_data);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

ErrorSilencer::~ErrorSilencer() {
    H5Eset_auto2(H5E_DEFAULT, m_func, m_data);
}

namespace {

herr_t collectMessage(unsigned /*n*/, const H5E_error2_t* error, void* clientData) {
    auto* messages = static_cast<std::vector<std::string>*>(clientData);
    if (error->desc && *error->desc) messages->emplace_back(error->desc);
    return 0;
}

}  // namespace

std::string takeHdf5ErrorMessage() {
    std::vector<std::string> messages;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collectMessage, &messages);
    H5Eclear2(H5E_DEFAULT);
    // The outermost entry says what failed, the innermost why; the ones between repeat them.
    if (messages.empty()) return "no HDF5 error detail";
    if (messages.size() == 1) return "HDF5: " + messages.front();
    return "HDF5: " + messages.front() + ": " + messages.back();
}

hid_t check(hid_t id, const std::string& what) {
    if (id < 0) fail(what + " (" + takeHdf5ErrorMessage() + ")");
    return id;
}

void checkStatus(herr_t status, const std::string& what) {
    if (status < 0) fail(what + " (" + takeHdf5ErrorMessage() + ")");
}

void fail(const std::string& message) {
    throw StoreError(message);
}

}  // namespace attnscope::store::detail
