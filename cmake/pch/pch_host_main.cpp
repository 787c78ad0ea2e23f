// Compiled only to build the shared LibTorch + GoogleTest precompiled header of the tests (an
// executable, so that it is compiled with -fPIE as the test binaries are).
int main() {
    return 0;
}
