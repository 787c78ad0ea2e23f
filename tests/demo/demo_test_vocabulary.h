#pragma once
// The demo vocabulary the demo tests share, built once per test binary.
#include "attnscope/app/demo/demo_vocabulary.h"

namespace attnscope::app::demo::test {

inline const DemoVocabulary& vocab() {
    static const DemoVocabulary v;
    return v;
}

}  // namespace attnscope::app::demo::test
