# Tick files: `spacetime convert`, and the progress bar that convert and replay share.
target_sources(spacetime PRIVATE ${CMAKE_CURRENT_LIST_DIR}/convert_command.cpp)
target_sources(spacetime_app PRIVATE ${CMAKE_CURRENT_LIST_DIR}/progress.cpp)
