// Leak checking for a program that loads an OpenGL driver (sanitizer builds only).
//
// Mesa's libGLX_mesa and its DRI driver keep a few blocks until exit, and libglvnd unloads
// them (dlclose) in glfwTerminate. LeakSanitizer reports after that, when the driver's code is
// no longer mapped: a block allocated there then has an "<unknown module>" stack that no
// suppression can name. Pinning every loaded library (RTLD_NODELETE) keeps them mapped to the
// end, so each report names its library and tests/lsan.supp decides. Does nothing in a build
// without AddressSanitizer.
#pragma once

namespace es::ui {

// Marks every shared library loaded so far as never to be unloaded. Call it once the GL
// context exists (the driver is loaded then) and again before glfwTerminate.
void pin_loaded_libraries_for_leak_check();

}  // namespace es::ui
