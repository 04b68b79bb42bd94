# Bearer tokens and JWKS documents from outside: the JWT parser and the key-set parser.
spacetime_fuzzer(token_fuzz ${CMAKE_CURRENT_LIST_DIR}/token_fuzz.cpp spacetime_auth)
