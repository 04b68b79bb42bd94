# The DTN IQFeed client (docs/FEEDS.md ("DTN IQFeed")): plain POSIX sockets on the feed thread, so
# no Boost is needed; Threads for the stop machinery.
target_sources(spacetime_feed PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/protocol.cpp
  ${CMAKE_CURRENT_LIST_DIR}/clock.cpp
  ${CMAKE_CURRENT_LIST_DIR}/socket.cpp
  ${CMAKE_CURRENT_LIST_DIR}/client.cpp)
target_link_libraries(spacetime_feed PRIVATE Threads::Threads)
# The US Eastern clock reads the tz database (clock.cpp).
target_link_libraries(spacetime_feed PRIVATE date::date-tz)
