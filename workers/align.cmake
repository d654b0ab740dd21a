# hnyalign: the sentence aligner (hny_align), its anchors (numbers, dates,
# names: hny_anchor) and its English-Japanese lexicon (EDICT + MeCab:
# hny_lexicon). honyaku-worker runs align tasks with it (hny_prepq.c);
# honyaku-align-test and the align tests use it directly.
# The anchors need no MeCab: hnyanchor alone serves honyaku align-pairs too.
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
if(TARGET hnyprep)
  add_library(hnyanchor STATIC ${CMAKE_CURRENT_LIST_DIR}/hny_anchor.c)
  target_include_directories(hnyanchor PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(hnyanchor PUBLIC hnyprep hnycommon PRIVATE PkgConfig::XXHASH m)
endif()
find_path(MECAB_INCLUDE_DIR mecab.h)
find_library(MECAB_LIBRARY mecab)
if(MECAB_INCLUDE_DIR AND MECAB_LIBRARY AND TARGET hnyprep)
  add_library(hnyalign STATIC
    ${CMAKE_CURRENT_LIST_DIR}/hny_lexicon.c
    ${CMAKE_CURRENT_LIST_DIR}/hny_align.c)
  target_include_directories(hnyalign PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/include
                             PRIVATE ${MECAB_INCLUDE_DIR})
  # hnyprep for hny_date (eras, full dates); hnycommon for the inline form
  target_link_libraries(hnyalign PUBLIC hnyanchor hnyprep hnycommon PkgConfig::ICU PkgConfig::JANSSON
                        PRIVATE ${MECAB_LIBRARY} PkgConfig::XXHASH m)
else()
  message(WARNING "MeCab (libmecab-dev) not found: the aligner is not built")
endif()
