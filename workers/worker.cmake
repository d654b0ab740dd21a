# hnyglossary: a profile's glossary (TSV), read by the backends, by the
# worker's checks of translated segments and by `honyaku qa --glossary`.
add_library(hnyglossary STATIC ${CMAKE_CURRENT_LIST_DIR}/hny_glossary.c)
target_include_directories(hnyglossary PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(hnyglossary PUBLIC hnycommon)

# hnybackend: the HTTP engine (curl multi), the translation backends and
# the checks of what they translated (hny_segqa.c).
add_library(hnybackend STATIC
  ${CMAKE_CURRENT_LIST_DIR}/hny_http.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_backend.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_be_apertium.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_be_pseudo.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_be_deepl.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_be_google.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_be_libre.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_be_openai.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_be_common.c
  ${CMAKE_CURRENT_LIST_DIR}/hny_segqa.c)
target_include_directories(hnybackend PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(hnybackend PUBLIC hnymarkup hnyglossary hnyjson hnycommon PkgConfig::CURL PkgConfig::JANSSON)

# honyaku-worker: the broker's worker process. Without hnyprep it still
# builds and answers prepare tasks with 503.
add_executable(honyaku-worker ${CMAKE_CURRENT_LIST_DIR}/hny_worker.c)
target_compile_definitions(honyaku-worker PRIVATE HNY_VERSION="${PROJECT_VERSION}")
target_link_libraries(honyaku-worker PRIVATE hnybackend hnycommon PkgConfig::ZMQ)
if(TARGET PkgConfig::JEMALLOC)
  target_link_libraries(honyaku-worker PRIVATE PkgConfig::JEMALLOC)
endif()
# Prepare tasks run on a thread of their own (hny_prepq.c).
if(TARGET hnyprep)
  find_package(Threads REQUIRED)
  target_sources(honyaku-worker PRIVATE ${CMAKE_CURRENT_LIST_DIR}/hny_prepq.c)
  target_link_libraries(honyaku-worker PRIVATE hnyprep Threads::Threads)
  target_compile_definitions(honyaku-worker PRIVATE HNY_HAVE_PREPARE=1)
  # Align tasks run on the same thread (the aligner needs MeCab); without
  # it the worker answers them 503 and another worker takes them.
  if(TARGET hnyalign)
    target_link_libraries(honyaku-worker PRIVATE hnyalign)
    target_compile_definitions(honyaku-worker PRIVATE HNY_HAVE_ALIGN=1)
  endif()
endif()
install(TARGETS honyaku-worker RUNTIME DESTINATION bin)
