# hnyprep: charset -> extraction -> normalization -> segmentation.
add_library(hnyprep STATIC
  ${CMAKE_CURRENT_LIST_DIR}/hny_charset.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_extract.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_html.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_page.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_readable.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_htmlmeta.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_date.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_normalize.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_segment.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_prepare.c)
target_include_directories(hnyprep PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(hnyprep PUBLIC hnymarkup hnycommon PkgConfig::ICU PkgConfig::JANSSON PRIVATE PkgConfig::LIBXML2)
