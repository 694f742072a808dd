# cspm_add_plugin(): one plugin = an OBJECT library (for unit tests) + a MODULE .so (for Boost.DLL).
#
#   cspm_add_plugin(KIND sink NAME plan SOURCES plan_sink.cpp [DEPS lib...])
# produces libcspm-sink-plan.so in ${CSPM_PLUGIN_OUTPUT_DIR} from the object library
# cspm_plugin_sink_plan_obj (a seam for unit tests of plugin internals; today's tests load
# the .so itself).
function(cspm_add_plugin)
  cmake_parse_arguments(P "" "KIND;NAME" "SOURCES;DEPS" ${ARGN})
  set(obj cspm_plugin_${P_KIND}_${P_NAME}_obj)
  set(mod cspm_plugin_${P_KIND}_${P_NAME})
  add_library(${obj} OBJECT ${P_SOURCES})
  target_link_libraries(${obj} PUBLIC cspm_sdk ${P_DEPS} PRIVATE cspm_warnings)
  set_target_properties(${obj} PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  add_library(${mod} MODULE $<TARGET_OBJECTS:${obj}>)
  target_link_libraries(${mod} PRIVATE cspm_sdk ${P_DEPS})
  set_target_properties(${mod} PROPERTIES
    OUTPUT_NAME "cspm-${P_KIND}-${P_NAME}"
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${CSPM_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../..")
  install(TARGETS ${mod} LIBRARY DESTINATION ${CSPM_PLUGIN_INSTALL_DIR})
  set_property(GLOBAL APPEND PROPERTY CSPM_PLUGIN_TARGETS ${mod})
endfunction()
