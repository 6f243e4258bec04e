// The file the test suites' shared precompiled header is built with (tests/CMakeLists.txt):
// doctest_main.cpp cannot carry it (it must define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN first).
namespace es::testing {
void pch_anchor() {}
}  // namespace es::testing
