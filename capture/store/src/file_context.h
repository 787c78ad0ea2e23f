#pragma once
// Every public store operation runs through withFileContext: HDF5's own error printing is
// silenced, and any failure becomes one StoreError that starts with the file's name.
#include <exception>
#include <filesystem>
#include <new>
#include <string>

#include "attnscope/store/store_error.h"
#include "hdf5_handle.h"

namespace attnscope::store::detail {

template <class Function>
auto withFileContext(const std::filesystem::path& path, Function&& function)
    -> decltype(function()) {
    ErrorSilencer silencer;
    try {
        return function();
    } catch (const std::bad_alloc&) {
        throw StoreError("'" + path.string() + "': out of memory");
    } catch (const std::exception& error) {
        throw StoreError("'" + path.string() + "': " + error.what());
    }
}

}  // namespace attnscope::store::detail
