#pragma once
// How a freshly constructed model fills its weights.

namespace attnscope::capture {

enum class WeightInit {
    /// Zeros (norm weights ones): a model to be filled in by hand or trained from scratch.
    Zeros,
    /// Allocated but never written, so no page is touched: for the loader, which replaces every
    /// weight (usually by a view of the checkpoint file) right after construction.
    Uninitialised,
};

}  // namespace attnscope::capture
