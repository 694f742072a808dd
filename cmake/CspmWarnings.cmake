# cspm_warnings: the warning set every target of the project compiles with.
add_library(cspm_warnings INTERFACE)
target_compile_options(cspm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough)
